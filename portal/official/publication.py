"""Officials publish a competition's result (SPEC §2): the checks, the publications so far with
each correction's changes (정정 사항) and reason (정정 사유), and a publish form that asks for an
explicit confirmation and, for a correction, its reason (a publication is never changed or deleted;
a correction is a new publication that supersedes the previous one)."""

from django import forms
from django.contrib import messages
from django.db.models import Count, Max
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.decorators import role_required
from accounts.roles import Role
from evaluation.appeals import deadline_text, state_of, with_open_appeals
from evaluation.corrections import accepted_uncited, describe_changes
from evaluation.integrity import publication_chain_entries, with_chain_head
from evaluation.models import Publication
from evaluation.publication import (
    PublicationRefused,
    correction_reason_missing,
    current_publication,
    publication_checks,
    publish,
)
from proposals.models import Competition

OFFICIALS = (Role.OFFICIAL, Role.ADMIN)


class PublishForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I understand that a publication is final: it can never be changed or deleted, "
            "only superseded by a correction."
        ),
        error_messages={"required": gettext_lazy("Confirm that you understand a publication is final.")},
    )
    override_reason = forms.CharField(
        label=gettext_lazy("Reason for publishing with scoresheets outstanding"),
        required=False,
        help_text=gettext_lazy("Required only when assigned scoresheets are not all submitted."),
        widget=forms.Textarea(attrs={"rows": 3, "class": "krds-input"}),
    )
    # Required for a correction: ``evaluation.publication.publish`` refuses one without it (after
    # telling a double click that nothing changed), and its message goes next to this field.
    correction_reason = forms.CharField(
        label=gettext_lazy("Reason for the correction (정정 사유)"),
        required=False,
        help_text=gettext_lazy(
            "Why the published result is corrected. It is shown on the public results page with the "
            "corrections and kept in the snapshot under its SHA-256."
        ),
        widget=forms.Textarea(attrs={"rows": 3, "class": "krds-input", "aria-required": "true"}),
    )

    def __init__(self, *args, previous=None, **kwargs):
        """``previous``: the publication in force, which this one would correct (None: the first)."""
        kwargs.setdefault("auto_id", "publish-%s")
        super().__init__(*args, **kwargs)
        self.previous = previous
        if previous is None:
            del self.fields["correction_reason"]


@role_required(*OFFICIALS)
def index(request):
    competitions = Competition.objects.annotate(
        publication_count=Count("publications"), latest_number=Max("publications__number")
    ).order_by("-year", "slug")
    return render(request, "portal/publication/index.html", {"competitions": competitions})


def _render(request, competition, form=None, status=200):
    checks = publication_checks(
        competition, override_reason=(form.data.get("override_reason", "") if form else "")
    )
    publications = list(
        with_chain_head(with_open_appeals(Publication.objects.filter(competition=competition)))
        .select_related("published_by", "competition")
        .defer("snapshot")
        .order_by("-number")
    )
    superseded = {p.supersedes_id for p in publications if p.supersedes_id}
    number_of = {p.pk: p.number for p in publications}
    rows = []
    for p in publications:
        state = state_of(p)
        rows.append(
            {
                "publication": p,
                "current": p.pk not in superseded,
                "superseded_by": next((q.number for q in publications if q.supersedes_id == p.pk), None),
                "supersedes": number_of.get(p.supersedes_id),
                "state": state,
                "appeal_deadline": deadline_text(state.deadline),
            }
        )
    # Accepted appeals (인용) still waiting for their correction: the next publication cites them.
    citing = (
        [
            {
                "id": appeal.pk,
                "proposal": appeal.letter.content["proposal"]["key"],
                "publication": appeal.publication.number,
                "decision": appeal.decision_reason,
            }
            for appeal in accepted_uncited(competition).select_related("publication", "letter")
        ]
        if publications
        else []
    )
    # 정정 사항 of each correction, newest first (only corrections' snapshots are read).
    snapshots = dict(
        Publication.objects.filter(pk__in=[p.pk for p in publications if p.supersedes_id]).values_list(
            "pk", "snapshot"
        )
    )
    corrections = [
        {
            "publication": p,
            "supersedes": number_of.get(p.supersedes_id),
            "reason": snapshots[p.pk].get("correction_reason"),
            "lines": describe_changes(snapshots[p.pk]),
            "appeals": snapshots[p.pk].get("appeals") or [],
        }
        for p in publications
        if p.pk in snapshots
    ]
    context = {
        "competition": competition,
        "corrections": corrections,
        "checks": checks,
        "publishable": all(check.passed for check in checks if check.code != "sheets"),
        "sheets_outstanding": any(check.code == "sheets" and not check.passed for check in checks),
        "publications": rows,
        "citing": citing,
        "form": form or PublishForm(previous=publications[0] if publications else None),
    }
    return render(request, "portal/publication/competition.html", context, status=status)


@role_required(*OFFICIALS)
def competition(request, slug):
    return _render(request, get_object_or_404(Competition, slug=slug))


@role_required(*OFFICIALS)
@require_POST
def publish_view(request, slug):
    competition = get_object_or_404(Competition, slug=slug)
    form = PublishForm(request.POST, previous=current_publication(competition))
    if not form.is_valid():
        messages.error(request, _("Nothing was published: see the messages next to the fields."))
        return _render(request, competition, form, status=400)
    try:
        publication = publish(
            competition,
            request.user,
            form.cleaned_data["override_reason"],
            correction_reason=form.cleaned_data.get("correction_reason", ""),
        )
    except PublicationRefused as refused:
        if "correction_reason" in refused.codes:
            # The reason's message goes next to its field (a first publication's form, published by
            # someone else meanwhile, gets the field now).
            previous = current_publication(competition)
            if "correction_reason" not in form.fields:
                form = PublishForm(request.POST, previous=previous)
                form.is_valid()
            form.add_error("correction_reason", correction_reason_missing(previous))
        for message in refused.messages:
            messages.error(request, message)
        if "sheets" in refused.codes:
            form.add_error(
                "override_reason",
                _("Assigned scoresheets are not all submitted: write the reason for publishing anyway."),
            )
        return _render(request, competition, form, status=409)
    if publication.supersedes_id:
        text = _(
            "Publication no. %(number)s is published; it supersedes no. %(previous)s, which is kept. "
            "SHA-256 %(digest)s."
        ) % {"number": publication.number, "previous": publication.number - 1, "digest": publication.digest}
    else:
        text = _("Publication no. %(number)s is published. SHA-256 %(digest)s.") % {
            "number": publication.number,
            "digest": publication.digest,
        }
    messages.success(request, text)
    entry = publication_chain_entries([publication])[publication.pk]
    messages.info(
        request, _("Audit chain head at publication (keep a copy): %(digest)s") % {"digest": entry.digest}
    )
    return redirect("publication:competition", slug=competition.slug)
