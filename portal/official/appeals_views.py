"""Officials' pages for appeals (이의신청, issue 13): the appeals of a competition, and each
appeal with its text, attachment, review committee and decision; after an acceptance, the way to
the correction (reopen a sheet or record an adjustment, then publish a correction that cites it).

The rules are ``evaluation.appeals`` and the models': a reviewer of the proposal, or one with a
conflict on it, never sits on its committee; a decision needs a committee and written reasons."""

import hashlib

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.roles import Role
from evaluation.appeals import (
    AppealRefused,
    add_committee_member,
    decide_appeal,
    remove_committee_member,
)
from evaluation.models import Appeal, AppealCommitteeMember, Assignment, Conflict, Reviewer, Stage
from portal.tables import PageConfig
from proposals.models import Competition

from .forms import AppealDecisionForm, CommitteeMemberForm, RemoveMemberForm
from .letters_views import _publication, publication_facts
from .tables import AppealTable

OFFICIALS = (Role.OFFICIAL, Role.ADMIN)
APPEALS_PAGE = 50


@role_required(*OFFICIALS)
def appeals(request, slug):
    competition = get_object_or_404(Competition, slug=slug)
    table = AppealTable(
        Appeal.objects.filter(publication__competition=competition)
        .select_related("proposal__applicant", "publication", "corrected_by")
        .defer("publication__snapshot", "corrected_by__snapshot")
        .order_by("-filed_at", "-pk"),
        slug=competition.slug,
        caption=_("Appeals against the results of %(name)s, newest first") % {"name": competition.name},
    )
    PageConfig(request, APPEALS_PAGE).configure(table)
    context = {
        "competition": competition,
        "facts": publication_facts(_publication(competition)),
        "table": table,
    }
    return render(request, "portal/official/appeals.html", context)


def _appeal(slug, pk):
    return get_object_or_404(
        Appeal.objects.select_related(
            "publication__competition", "proposal__applicant", "letter", "decided_by", "corrected_by"
        ).defer("corrected_by__snapshot"),
        publication__competition__slug=slug,
        pk=pk,
    )


def _ineligible(appeal) -> dict:
    """{reviewer id: why they cannot sit on the committee} (the model refuses them anyway)."""
    reasons = {}
    for reviewer_id in Conflict.objects.filter(proposal_id=appeal.proposal_id).values_list(
        "reviewer_id", flat=True
    ):
        reasons[reviewer_id] = _("conflict of interest")
    for reviewer_id in Assignment.objects.filter(proposal_id=appeal.proposal_id).values_list(
        "reviewer_id", flat=True
    ):
        reasons[reviewer_id] = _("reviewer of this proposal")
    return reasons


def _member_form(appeal, data=None):
    members = AppealCommitteeMember.objects.filter(appeal=appeal).values_list("reviewer_id", flat=True)
    return CommitteeMemberForm(
        data,
        reviewers=Reviewer.objects.exclude(pk__in=members).order_by("name", "email"),
        ineligible=_ineligible(appeal),
    )


def _render_detail(request, appeal, member_form=None, decision_form=None, status=200):
    competition = appeal.publication.competition
    committee = list(appeal.committee.select_related("reviewer", "added_by").order_by("added_at", "pk"))
    stage_codes = [stage["code"] for stage in appeal.letter.content.get("stages", [])]
    stages = list(Stage.objects.filter(competition=competition, code__in=stage_codes).order_by("order", "pk"))
    context = {
        "competition": competition,
        "appeal": appeal,
        "facts": publication_facts(_publication(competition)),
        "committee": committee,
        "decided": appeal.status != Appeal.Status.RECEIVED,
        "member_form": member_form or _member_form(appeal),
        "decision_form": decision_form or AppealDecisionForm(),
        "stages": stages,
        "reopen_reason": _("Appeal no. %(number)s accepted") % {"number": appeal.pk},
    }
    return render(request, "portal/official/appeal.html", context, status=status)


@role_required(*OFFICIALS)
def appeal(request, slug, pk):
    return _render_detail(request, _appeal(slug, pk))


@role_required(*OFFICIALS)
def attachment(request, slug, pk):
    """The appeal's attachment, to officials only, when its bytes are the ones filed."""
    appeal = _appeal(slug, pk)
    if not appeal.attachment:
        messages.error(request, _("This appeal has no attachment."))
        return redirect("official:appeal", slug, appeal.pk)
    with appeal.attachment.storage.open(appeal.attachment.name, "rb") as stored:
        content = stored.read()
    if hashlib.sha256(content).hexdigest() != appeal.attachment_sha256:
        messages.error(
            request,
            _(
                "The stored file of '%(name)s' is not the one that was filed (its SHA-256 differs), "
                "so it is not shown. Tell the system administrator."
            )
            % {"name": appeal.attachment_name},
        )
        return redirect("official:appeal", slug, appeal.pk)
    response = HttpResponse(content, content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, appeal.attachment_name or "attachment")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


@role_required(*OFFICIALS)
@require_POST
def add_member(request, slug, pk):
    appeal = _appeal(slug, pk)
    form = _member_form(appeal, request.POST)
    if form.is_valid():
        try:
            member = add_committee_member(appeal, form.cleaned_data["reviewer"], request.user)
        except AppealRefused as refused:
            form.add_error("reviewer" if refused.field == "reviewer" else None, refused.message)
        else:
            messages.success(
                request, _("%(name)s is on the committee of this appeal.") % {"name": member.reviewer.name}
            )
            return redirect("official:appeal", slug, appeal.pk)
    return _render_detail(request, appeal, member_form=form, status=400)


@role_required(*OFFICIALS)
@require_http_methods(["GET", "POST"])
def remove_member(request, slug, pk, member_id):
    """Take a member off the committee: the page asks why."""
    appeal = _appeal(slug, pk)
    member = get_object_or_404(
        AppealCommitteeMember.objects.select_related("reviewer"), appeal=appeal, pk=member_id
    )
    form = RemoveMemberForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            remove_committee_member(member, request.user, form.cleaned_data["reason"])
        except AppealRefused as refused:
            form.add_error("reason" if refused.field == "reason" else None, refused.message)
        else:
            messages.success(
                request,
                _("%(name)s is no longer on the committee; the reason is in the audit trail.")
                % {"name": member.reviewer.name},
            )
            return redirect("official:appeal", slug, appeal.pk)
    context = {
        "competition": appeal.publication.competition,
        "appeal": appeal,
        "member": member,
        "form": form,
    }
    return render(
        request,
        "portal/official/appeal_remove_member.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


@role_required(*OFFICIALS)
@require_POST
def decide(request, slug, pk):
    appeal = _appeal(slug, pk)
    form = AppealDecisionForm(request.POST)
    if form.is_valid():
        accept = form.cleaned_data["decision"] == AppealDecisionForm.ACCEPT
        try:
            decide_appeal(appeal, request.user, accept=accept, reasons=form.cleaned_data["reasons"])
        except AppealRefused as refused:
            form.add_error("reasons" if refused.field == "reasons" else None, refused.message)
        else:
            if accept:
                text = _(
                    "The appeal is accepted (인용). Correct the result as shown below, then publish a correction."
                )
            else:
                text = _("The appeal is rejected (기각). The applicant is told by e-mail.")
            messages.success(request, text)
            return redirect("official:appeal", slug, appeal.pk)
    return _render_detail(request, appeal, decision_form=form, status=400)
