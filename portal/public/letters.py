"""The applicant's pages reached through a result letter's link (issue 13): the letter, and
appeals (이의신청) filed from it.

The link's token is the only key: no sign-in. Every page of the link answers with
``Referrer-Policy: no-referrer`` (the token is in the address), ``Cache-Control: no-store,
private`` and ``X-Robots-Tag: noindex``. A link that does not open gets a short page with the
service's reason: 404 for an unknown link, 410 for a revoked or expired one — nothing more.

- The letter (``letter``): each GET is an opening, logged by ``evaluation.letters.open_letter``
  (a HEAD is not). With it: the appeals filed against this proposal's results, and the appeal
  form while the publication is in force and its window open.
- Filing (``appeal``): one form, one POST. An appeal cannot be changed or withdrawn once filed, so
  the form ends with what that means and a box to tick ("위 내용으로 이의신청합니다"); the appeal is
  filed only with it ticked. One POST keeps the attachment in hand: a separate confirmation page
  would have to store the file before the appeal exists, or ask for it again. The rules are
  ``evaluation.appeals.file_appeal``'s: a refusal is shown on its field, nothing is written.
- The applicant's own attachment (``appeal_attachment``): only an appeal shown on the page.
"""

from functools import wraps

from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from evaluation.appeals import (
    NAME_MAX,
    TEXT_MAX,
    AppealRefused,
    deadline_text,
    file_appeal,
    publication_state,
)
from evaluation.letters import LetterUnavailable, find_letter, open_letter
from evaluation.models import Appeal, Publication
from proposals.documents.filetypes import allowed_extensions_text

UNAVAILABLE_STATUS = {"unknown": 404, "revoked": 410, "expired": 410}
FIELDS = ("ground", "text", "filed_by", "attachment", "confirm")


def link_page(view):
    """A page of a letter's link: its private headers on every answer, and a short page (404 or
    410) when the link does not open."""

    @wraps(view)
    def wrapped(request, token, *args, **kwargs):
        try:
            response = view(request, token, *args, **kwargs)
        except LetterUnavailable as unavailable:
            response = render(
                request,
                "portal/letters/unavailable.html",
                {"message": unavailable.message},
                status=UNAVAILABLE_STATUS.get(unavailable.code, 404),
            )
        except Http404:
            message = _("This page does not exist.")
            response = render(request, "portal/letters/unavailable.html", {"message": message}, status=404)
        response["Referrer-Policy"] = getattr(response, "referrer_policy", "no-referrer")
        response["X-Robots-Tag"] = "noindex, nofollow"
        patch_cache_control(response, no_store=True, private=True)
        return response

    return wrapped


def _render(request, template, context, status=200):
    """A page of the link. Where it holds the appeal form, its referrer policy is ``strict-origin``
    rather than ``no-referrer``: under ``no-referrer`` a browser sends ``Origin: null`` with the
    form's POST, and Django's CSRF check refuses it. ``strict-origin`` still never sends the
    address (and its token) anywhere: only the site's origin."""
    response = render(request, template, context, status=status)
    if context.get("can_appeal") and not context.get("refused"):
        response.referrer_policy = "strict-origin"
    return response


def _address(request):
    return request.META.get("REMOTE_ADDR") or None


def _letter(token):
    """The letter of a link that opens, without logging an opening (``open_letter`` raises the
    reason when it does not; it logs only a letter that opens)."""
    letter = find_letter(token)
    if not letter.is_open():
        open_letter(token)  # raises LetterUnavailable with the reason
    return letter


def _appeals_of(letter):
    """The appeals filed against this proposal's results in the competition (through this letter or
    an earlier one): the applicant's own."""
    return (
        Appeal.objects.filter(
            proposal=letter.proposal, publication__competition=letter.publication.competition
        )
        .select_related("publication")
        .order_by("filed_at", "pk")
    )


def _appeal_window(letter):
    """(can appeal, the publication's state, why not: a sentence or "") for the letter's publication now."""
    publication = letter.publication
    state = publication_state(publication)
    if state.code == "superseded":
        newer = Publication.objects.filter(competition=publication.competition).order_by("-number").first()
        return (
            False,
            state,
            _(
                "This result was corrected by publication no. %(number)s. An appeal concerns the result in "
                "force: use the link of your new result letter (sent to you by e-mail), not this one."
            )
            % {"number": newer.number if newer else "—"},
        )
    if state.code != "appeal_window":
        return (
            False,
            state,
            _("Appeals against this result were received until %(deadline)s; the period has ended.")
            % {"deadline": deadline_text(state.deadline)},
        )
    return True, state, ""


def _context(letter, token, **extra):
    can_appeal, state, closed_reason = _appeal_window(letter)
    return {
        "letter": letter,
        "content": letter.content,
        "token": token,
        "appeals": _appeals_of(letter),
        "can_appeal": can_appeal,
        "closed_reason": closed_reason,
        "state": state,
        "deadline": deadline_text(state.deadline),
        "grounds": Appeal.Ground.choices,
        "text_max": TEXT_MAX,
        "name_max": NAME_MAX,
        "allowed_extensions": allowed_extensions_text("attachment"),
        "values": {},
        "errors": {},
        **extra,
    }


@link_page
@require_safe
def letter(request, token):
    """The letter; each GET is logged as an opening."""
    # A HEAD gets the same answer but is not an opening.
    found = open_letter(token, _address(request)) if request.method == "GET" else _letter(token)
    return _render(request, "portal/letters/letter.html", _context(found, token))


def _error_summary(errors):
    return [{"field": field, "message": errors[field]} for field in FIELDS if field in errors]


@link_page
@require_http_methods(["GET", "HEAD", "POST"])
def appeal(request, token):
    """The appeal form (GET) and filing (POST: with the box ticked, ``file_appeal``; refused: the
    form again with the reason on its field, nothing written)."""
    found = _letter(token)
    if request.method != "POST":
        filed = request.GET.get("filed")
        filed_appeal = _appeals_of(found).filter(pk=filed).first() if filed and filed.isdigit() else None
        return _render(request, "portal/letters/appeal.html", _context(found, token, filed=filed_appeal))
    values = {
        "ground": request.POST.get("ground", ""),
        "text": request.POST.get("text", ""),
        "filed_by": request.POST.get("filed_by", ""),
    }
    upload = request.FILES.get("attachment")
    can_appeal, _state, closed_reason = _appeal_window(found)
    if not can_appeal:
        context = _context(found, token, values=values, refused=closed_reason)
        return _render(request, "portal/letters/appeal.html", context, status=403)
    if request.POST.get("confirm") != "yes":
        errors = {"confirm": _("Tick the box to confirm that you file the appeal as written above.")}
        return _refused(request, found, token, values, errors, upload)
    try:
        filed = file_appeal(
            token,
            ground=values["ground"],
            text=values["text"],
            filed_by=values["filed_by"],
            attachment_name=upload.name if upload else "",
            attachment=upload.read() if upload else None,
        )
    except AppealRefused as refused:
        if refused.code in UNAVAILABLE_STATUS:
            raise LetterUnavailable(refused.message, refused.code) from None
        if refused.field is None:  # closed or corrected meanwhile
            context = _context(found, token, values=values, refused=refused.message)
            return _render(request, "portal/letters/appeal.html", context, status=403)
        return _refused(request, found, token, values, {refused.field: refused.message}, upload)
    return redirect(reverse("letter-appeal", args=[token]) + f"?filed={filed.pk}#appeal-received")


def _refused(request, found, token, values, errors, upload):
    context = _context(
        found,
        token,
        values=values,
        errors=errors,
        error_summary=_error_summary(errors),
        dropped_file=upload.name if upload else "",
    )
    return _render(request, "portal/letters/appeal.html", context, status=422)


@link_page
@require_safe
def appeal_attachment(request, token, pk):
    """The applicant's own attachment of an appeal shown on the letter's pages."""
    found = _letter(token)
    filed = _appeals_of(found).filter(pk=pk).exclude(attachment="").first()
    if filed is None:
        raise Http404
    response = FileResponse(filed.attachment.open("rb"), content_type="application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(True, filed.attachment_name or "attachment")
    response["X-Content-Type-Options"] = "nosniff"
    return response
