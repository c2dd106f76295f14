"""Officials' pages for the result letters (평가결과 통보서, issue 13): each proposal of the
publication in force with its letter's state (issued, sent, opened, revoked, expired), issuing all
letters or one again after a confirmation, revoking a link with a reason, the print-ready letter
and every letter in one PDF.

The rules are ``evaluation.letters``: what a letter says (``letter_content``), issuing (a letter in
force is revoked and replaced), revoking. A link's token exists only in the e-mail and on the page
that issued it: the result page lists the links of letters without an e-mail once, never again.
An official reading a letter here is not an opening (``LetterOpening`` is the applicant's)."""

from django.contrib import messages
from django.db.models import Count, Max
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.decorators import role_required
from accounts.roles import Role
from evaluation.appeals import deadline_text, publication_state
from evaluation.letters import (
    LetterUnavailable,
    content_deadline_text,
    issue_letters,
    letter_content,
    revoke_letter,
)
from evaluation.letters_pdf import letter_contents, letters_pdf_bytes, published_proposals
from evaluation.models import ResultLetter
from evaluation.publication import current_publication
from portal.tables import PageConfig, page_ids
from proposals.models import Competition, Proposal

from .forms import IssueLettersForm, RevokeLetterForm
from .tables import LetterTable

OFFICIALS = (Role.OFFICIAL, Role.ADMIN)
LETTERS_PAGE = 50


def _publication(competition):
    """The publication in force, with its competition (None before the first)."""
    current = current_publication(competition)
    if current is not None:
        current.competition = competition
    return current


def publication_facts(publication) -> dict | None:
    """The publication's state for a page: label, deadline as a notice writes it, open appeals."""
    if publication is None:
        return None
    state = publication_state(publication)
    return {
        "publication": publication,
        "state": state,
        "deadline": deadline_text(state.deadline),
    }


def letter_state(letter, now) -> str:
    """not_issued, revoked, expired, or in force: sent, failed, not_sent (no e-mail) or queued."""
    if letter is None:
        return "not_issued"
    if letter.revoked_at is not None:
        return "revoked"
    if letter.expires_at <= now:
        return "expired"
    if not letter.recipient:
        return "no_email"
    return letter.delivery


def _latest_letters(publication, proposal_ids) -> dict:
    """{proposal id: its newest letter of the publication, with ``opened`` and ``last_opened``}."""
    found = {}
    letters = (
        ResultLetter.objects.filter(publication=publication, proposal_id__in=proposal_ids)
        .annotate(opened=Count("openings"), last_opened=Max("openings__opened_at"))
        .defer("content")
        .order_by("proposal_id", "-issued_at", "-pk")
    )
    for letter in letters:
        found.setdefault(letter.proposal_id, letter)
    return found


def _competition(slug):
    return get_object_or_404(Competition, slug=slug)


@role_required(*OFFICIALS)
def letters(request, slug):
    competition = _competition(slug)
    publication = _publication(competition)
    context = {"competition": competition, "facts": publication_facts(publication)}
    if publication is not None:
        rows = published_proposals(publication)
        table = LetterTable(
            rows,
            slug=competition.slug,
            caption=_("Result letters of publication no. %(number)s, by proposal")
            % {"number": publication.number},
        )
        PageConfig(request, LETTERS_PAGE).configure(table)
        # The letters of the page shown only (one query); the rows are the table's own dicts.
        shown = page_ids(rows, request.GET.get(table.prefixed_page_field), LETTERS_PAGE)
        found = _latest_letters(publication, [row["id"] for row in shown])
        now = timezone.now()
        for row in shown:
            row["letter"] = found.get(row["id"])
            row["state"] = letter_state(row["letter"], now)
        in_force = ResultLetter.objects.filter(publication=publication).active()
        context.update(
            {
                "table": table,
                "proposal_count": len(rows),
                "in_force": in_force.count(),
            }
        )
    return render(request, "portal/official/letters.html", context)


@role_required(*OFFICIALS)
@require_http_methods(["GET", "POST"])
def issue(request, slug, pk=None):
    """Issue every letter (``pk`` None) or one proposal's: a confirmation first, then the result."""
    competition = _competition(slug)
    publication = _publication(competition)
    if publication is None:
        messages.error(request, _("Nothing is published yet: letters follow the published result."))
        return redirect("official:letters", competition.slug)
    proposal = None
    if pk is not None:
        proposal = get_object_or_404(
            Proposal.objects.select_related("applicant"), competition=competition, pk=pk
        )
    ids = [row["id"] for row in published_proposals(publication)]
    if proposal is not None:
        ids = [proposal.pk] if proposal.pk in ids else []
        if not ids:
            messages.error(request, _("This proposal is not in the publication in force."))
            return redirect("official:letters", competition.slug)
    form = IssueLettersForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = issue_letters(competition, request.user, None if proposal is None else [proposal.pk])
        except LetterUnavailable as unavailable:
            messages.error(request, unavailable.message)
            return redirect("official:letters", competition.slug)
        return _issued_page(request, competition, publication, issued)
    with_email = Proposal.objects.filter(pk__in=ids).exclude(contact_email="").count()
    context = {
        "competition": competition,
        "publication": publication,
        "proposal": proposal,
        "form": form,
        "count": len(ids),
        "with_email": with_email,
        "without_email": len(ids) - with_email,
        "in_force": ResultLetter.objects.filter(publication=publication, proposal_id__in=ids)
        .active()
        .count(),
    }
    return render(
        request,
        "portal/official/letters_issue.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


def _issued_page(request, competition, publication, issued):
    """What was issued: counts by delivery, and — this once — the links of letters without an
    e-mail (the e-mails went out when the transaction committed, before this page)."""
    letters_by_id = ResultLetter.objects.in_bulk([item.letter.pk for item in issued])
    sent = failed = 0
    unsent = []
    for item in issued:
        letter = letters_by_id[item.letter.pk]
        if not letter.recipient:
            unsent.append({"letter": letter, "content": letter.content["proposal"], "link": item.link})
        elif letter.delivery == ResultLetter.Delivery.SENT:
            sent += 1
        else:
            failed += 1
    context = {
        "competition": competition,
        "publication": publication,
        "issued": len(issued),
        "sent": sent,
        "failed": failed,
        "unsent": unsent,
    }
    response = render(request, "portal/official/letters_issued.html", context)
    response["Cache-Control"] = "no-store, private"
    return response


@role_required(*OFFICIALS)
@require_http_methods(["GET", "POST"])
def revoke(request, slug, pk):
    """Revoke the link of the proposal's letter in force: the page asks why."""
    competition = _competition(slug)
    publication = _publication(competition)
    letter = get_object_or_404(
        ResultLetter.objects.select_related("proposal__applicant").defer("content"),
        publication=publication,
        proposal_id=pk,
        revoked_at__isnull=True,
    )
    form = RevokeLetterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            revoke_letter(letter, request.user, form.cleaned_data["reason"])
        except LetterUnavailable as refused:
            form.add_error("reason" if refused.code == "reason" else None, refused.message)
        else:
            messages.success(
                request,
                _("The link of the letter to %(applicant)s is revoked; it no longer opens.")
                % {"applicant": letter.proposal.applicant.name},
            )
            return redirect("official:letters", competition.slug)
    context = {"competition": competition, "publication": publication, "letter": letter, "form": form}
    return render(
        request,
        "portal/official/letters_revoke.html",
        context,
        status=400 if request.method == "POST" else 200,
    )


def _content(publication, proposal) -> tuple[dict, ResultLetter | None]:
    """The content of the proposal's letter in force, or a preview built now (letter None)."""
    letter = (
        ResultLetter.objects.filter(publication=publication, proposal=proposal, revoked_at__isnull=True)
        .order_by("-issued_at")
        .first()
    )
    if letter is not None:
        return letter.content, letter
    return letter_content(publication, proposal), None


@role_required(*OFFICIALS)
def print_letter(request, slug, pk):
    """The letter in force, print-ready, or a preview marked 미발송 미리보기. No opening is logged."""
    competition = _competition(slug)
    publication = _publication(competition)
    if publication is None:
        messages.error(request, _("Nothing is published yet: letters follow the published result."))
        return redirect("official:letters", competition.slug)
    proposal = get_object_or_404(Proposal, competition=competition, pk=pk)
    try:
        content, letter = _content(publication, proposal)
    except LetterUnavailable as unavailable:
        messages.error(request, unavailable.message)
        return redirect("official:letters", competition.slug)
    context = {
        "competition": competition,
        "publication": publication,
        "proposal": proposal,
        "content": content,
        "letter": letter,
        "preview": letter is None,
        "deadline": content_deadline_text(content),
    }
    return render(request, "portal/official/letters_print.html", context)


# --- Every letter in one PDF ---------------------------------------------------------------------


@role_required(*OFFICIALS)
def letters_pdf(request, slug):
    """One PDF of every letter of the publication in force (the letter in force, else a preview),
    each from a new page."""
    competition = _competition(slug)
    publication = _publication(competition)
    if publication is None:
        messages.error(request, _("Nothing is published yet: letters follow the published result."))
        return redirect("official:letters", competition.slug)
    contents = letter_contents(publication)
    body = letters_pdf_bytes(contents)
    response = HttpResponse(body, content_type="application/pdf")
    filename = f"평가결과통보서_{competition.slug}_제{publication.number}차.pdf"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store, private"
    return response
