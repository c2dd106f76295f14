"""Pages for reviewers (평가위원): security pledge, assigned proposals, conflicts, scoresheets.

Every page shows the signed-in reviewer's own data only. A competition without an assignment of
theirs, another reviewer's assignment, or a proposal with a recorded conflict is a 404. Until
the reviewer accepts the security pledge of a competition, its other pages redirect to it.
The rules of a sheet (range, step, version, state) are evaluation.sheets'; pages only call them.
The sheet page's background save (``autosave``, portal/static/portal/review-sheet.js) is the same
form and the same ``save_draft`` as its "save draft" button, answered in JSON.
"""

from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.roles import Role
from evaluation import sheets
from evaluation.assignments import ConflictOfInterest, confirm_no_conflict, declare_conflict
from evaluation.models import Assignment, Reviewer, Scoresheet, SecurityPledge
from evaluation.models.panel import conflicts_of_pair
from evaluation.rules import plain_number, sheet_total
from portal.tables import PageConfig
from proposals.models import Competition

from .forms import (
    ConfirmNoConflictForm,
    DeclareConflictForm,
    PledgeForm,
    ScoresheetForm,
)
from .tables import AssignmentTable, SheetState, sheet_or_none

PLEDGE_TEXT_VERSION = "2023-1"


def _reviewer(request) -> Reviewer:
    try:
        return request.user.reviewer
    except Reviewer.DoesNotExist:
        raise Http404 from None


def _own_assignments(reviewer):
    return Assignment.objects.filter(reviewer=reviewer)


def _competition(reviewer, slug) -> Competition:
    """A competition in which the reviewer holds at least one assignment."""
    mine = _own_assignments(reviewer).filter(stage__competition=OuterRef("pk"))
    return get_object_or_404(Competition.objects.filter(Exists(mine)), slug=slug)


def _has_pledged(reviewer, competition) -> bool:
    return SecurityPledge.objects.filter(reviewer=reviewer, competition=competition).exists()


def reviewer_page(view):
    """A page of one competition: the reviewer's own, behind the security pledge."""

    @wraps(view)
    def wrapped(request, slug, *args, **kwargs):
        reviewer = _reviewer(request)
        competition = _competition(reviewer, slug)
        if not _has_pledged(reviewer, competition):
            return _pledge_redirect(request, competition)
        return view(request, reviewer, competition, *args, **kwargs)

    return role_required(Role.REVIEWER)(wrapped)


def _pledge_redirect(request, competition):
    query = urlencode({"next": request.get_full_path()})
    return redirect(f"{reverse('review:pledge', args=[competition.slug])}?{query}")


def assignment_page(view):
    """A page of one of the signed-in reviewer's assignments: ``view(request, competition,
    assignment)``. One query finds the assignment with its competition, proposal and sheet, and
    the pledge and conflict flags (a sheet is opened and saved many times; bench/load_bench.py):
    anyone else's, an unknown or a conflicted assignment is a 404; before the pledge, the pledge."""

    @wraps(view)
    def wrapped(request, slug, assignment_id, *args, **kwargs):
        pledged = SecurityPledge.objects.filter(
            reviewer=OuterRef("reviewer_id"), competition=OuterRef("stage__competition_id")
        )
        assignment = (
            Assignment.objects.filter(
                pk=assignment_id, reviewer__user=request.user, stage__competition__slug=slug
            )
            .with_conflict_flag()
            .annotate(pledged=Exists(pledged))
            .select_related(
                "stage__competition", "proposal__track", "proposal__applicant", "sheet", "reviewer"
            )
            .order_by()  # no joins for the default ordering
            .first()
        )
        if assignment is None or assignment.conflicted:
            raise Http404
        if not assignment.pledged:
            return _pledge_redirect(request, assignment.stage.competition)
        return view(request, assignment.stage.competition, assignment, *args, **kwargs)

    return role_required(Role.REVIEWER)(wrapped)


# --- competitions and the list of assigned proposals ------------------------------------------


@role_required(Role.REVIEWER)
def index(request):
    reviewer = getattr(request.user, "reviewer", None)
    competitions = []
    if reviewer is not None:
        pledged = SecurityPledge.objects.filter(reviewer=reviewer, competition=OuterRef("pk"))
        competitions = list(
            Competition.objects.filter(stages__assignments__reviewer=reviewer)
            .annotate(assigned=Count("stages__assignments"), pledged=Exists(pledged))
            .order_by("-year", "slug")
        )
    return render(request, "portal/review/index.html", {"competitions": competitions})


# The order of the reviewer's list, which "save, then the next proposal" follows too.
LIST_ORDER = (
    "stage__order",
    "proposal__track__category__order",
    "proposal__track__order",
    "proposal__applicant__name",
    "pk",
)


def _listed(reviewer_id, competition):
    """The reviewer's assignments in a competition, in the list's order, with their sheets and
    the conflict flag."""
    return (
        Assignment.objects.filter(reviewer_id=reviewer_id, stage__competition=competition)
        .with_conflict_flag()
        .select_related("stage", "proposal__track", "proposal__applicant", "sheet")
        .order_by(*LIST_ORDER)
    )


@dataclass
class StageProgress:
    """A reviewer's sheets of one stage: submitted of assigned, conflicted assignments left out."""

    stage_id: int
    name: str
    submitted: int
    assigned: int


REVIEW_LIST_PAGE = 50


def _progress(reviewer_id, competition, stage=None) -> list[StageProgress]:
    """Submitted of assigned (unconflicted) sheets per stage, counted by the database."""
    conflicted = Exists(conflicts_of_pair())
    assignments = Assignment.objects.filter(reviewer_id=reviewer_id, stage__competition=competition)
    if stage is not None:
        assignments = assignments.filter(stage=stage)
    rows = (
        assignments.values("stage_id", "stage__name", "stage__order")
        .annotate(
            assigned=Count("pk", filter=~Q(conflicted)),
            submitted=Count("pk", filter=~Q(conflicted) & Q(sheet__status=Scoresheet.Status.SUBMITTED)),
        )
        .order_by("stage__order", "stage_id")
    )
    return [
        StageProgress(row["stage_id"], row["stage__name"], row["submitted"], row["assigned"])
        for row in rows
        if row["assigned"]
    ]


def _next_open(assignment, closing_id):
    """The reviewer's next assignment still to be scored after ``assignment`` in the list's order
    (from the top again after the last): not conflicted, not submitted, not closed; or None."""
    listed = list(_listed(assignment.reviewer_id, assignment.stage.competition))
    ids = [item.pk for item in listed]
    start = ids.index(assignment.pk) + 1 if assignment.pk in ids else 0
    for item in listed[start:] + listed[:start]:
        if item.pk == assignment.pk:
            continue
        if SheetState.of(item, closing_id) in (SheetState.NOT_STARTED, SheetState.DRAFT, SheetState.REOPENED):
            return item
    return None


@reviewer_page
def competition(request, reviewer, competition):
    closing_id = sheets.closing_publication_id(competition.pk)
    table = AssignmentTable(_listed(reviewer.pk, competition), competition=competition, closing_id=closing_id)
    # A page of REVIEW_LIST_PAGE: a panel's usual load fits on one; thousands stay quick.
    PageConfig(request, REVIEW_LIST_PAGE).configure(table)
    return render(
        request,
        "portal/review/competition.html",
        {
            "competition": competition,
            "table": table,
            "closed": closing_id is not None,
            "progress": _progress(reviewer.pk, competition),
        },
    )


# --- security pledge ------------------------------------------------------------------------


@role_required(Role.REVIEWER)
@require_http_methods(["GET", "POST"])
def pledge(request, slug):
    reviewer = _reviewer(request)
    competition = _competition(reviewer, slug)
    accepted = SecurityPledge.objects.filter(reviewer=reviewer, competition=competition).first()
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = ""
    next_url = next_url or reverse("review:competition", args=[competition.slug])
    form = PledgeForm(request.POST if request.method == "POST" else None)
    if accepted is None and form.is_bound and form.is_valid():
        SecurityPledge.objects.get_or_create(
            reviewer=reviewer, competition=competition, defaults={"text_version": PLEDGE_TEXT_VERSION}
        )
        messages.success(request, _("You have accepted the security pledge."))
        return redirect(next_url)
    if accepted is not None and request.method == "POST":
        return redirect(next_url)
    return render(
        request,
        "portal/review/pledge.html",
        {"competition": competition, "form": form, "accepted": accepted, "next_url": next_url},
    )


# --- conflict of interest: confirm none, or declare one (회피) ------------------------------------


@assignment_page
@require_http_methods(["GET", "POST"])
def conflict(request, competition, assignment):
    sheet = sheet_or_none(assignment)
    if sheet is not None and sheet.is_submitted:
        return redirect("review:sheet", competition.slug, assignment.pk)
    confirm_form = ConfirmNoConflictForm()
    declare_form = DeclareConflictForm()
    if request.method == "POST" and request.POST.get("action") == "declare":
        declare_form = DeclareConflictForm(request.POST)
        if declare_form.is_valid():
            declare_conflict(assignment, declare_form.cleaned_data["reason"], request.user)
            messages.success(
                request,
                _("Your recusal has been recorded. The proposal of %(applicant)s is no longer shown to you.")
                % {"applicant": assignment.proposal.applicant.name},
            )
            return redirect("review:competition", competition.slug)
    elif request.method == "POST":
        confirm_form = ConfirmNoConflictForm(request.POST)
        if confirm_form.is_valid():
            try:
                confirm_no_conflict(assignment, request.user)
            except ConflictOfInterest as refused:  # a 제척 found now: recorded, off the list
                messages.error(request, refused.message)
                return redirect("review:competition", competition.slug)
            return redirect("review:sheet", competition.slug, assignment.pk)
    return render(
        request,
        "portal/review/conflict.html",
        {
            "competition": competition,
            "assignment": assignment,
            "proposal": assignment.proposal,
            "confirm_form": confirm_form,
            "declare_form": declare_form,
        },
    )


# --- the scoresheet ---------------------------------------------------------------------------


@assignment_page
@require_http_methods(["GET", "POST"])
def sheet(request, competition, assignment):
    stored = sheet_or_none(assignment)
    submitted = stored is not None and stored.is_submitted
    # A submitted sheet opens read-only whatever path created it: a sheet that came in through
    # import_scores was never confirmed "no conflict" on the conflict page, which sends a
    # submitted sheet back here.
    if assignment.no_conflict_confirmed_at is None and not submitted:
        return redirect("review:conflict", competition.slug, assignment.pk)
    criteria = sheets.criteria_for(assignment.stage, assignment.proposal.track)
    closing_id = sheets.closing_publication_id(competition.pk)
    if request.method == "GET":
        if submitted:
            return _read_only(request, assignment, criteria, stored, closing_id=closing_id)
        if sheets.is_closed(stored, closing_id):
            return _closed(request, assignment, criteria, stored)
        scores = list(stored.scores.all()) if stored is not None else []
        form = ScoresheetForm(criteria, initial=ScoresheetForm.initial_for(stored, scores))
        total = sheet_total([score.points for score in scores])
        return _sheet_page(request, assignment, criteria, form, total, closing_id=closing_id)

    form = ScoresheetForm(criteria, data=request.POST)
    if not form.is_valid():
        if sheets.is_closed(stored, closing_id):
            return _closed(
                request, assignment, criteria, stored, form=form, error=sheets.closed_error().message
            )
        if stored is not None and stored.is_submitted:
            return _refused_submitted(request, assignment, criteria)
        return _sheet_page(request, assignment, criteria, form, None, closing_id=closing_id)
    save = sheets.submit if form.wants_submit else sheets.save_draft
    try:
        save(assignment, form.cleaned_data["version"], form.sheet_input(), request.user, criteria)
    except sheets.SheetError as refused:
        return _refused(request, assignment, criteria, form, refused, closing_id)
    if form.wants_submit:
        messages.success(request, _("Your scoresheet has been submitted. It can no longer be changed."))
        return redirect("review:sheet", competition.slug, assignment.pk)
    if form.wants_next:
        following = _next_open(assignment, closing_id)
        if following is None:
            messages.success(
                request,
                _("Your draft has been saved. Every other proposal assigned to you has been submitted."),
            )
            return redirect("review:competition", competition.slug)
        messages.success(
            request,
            _("Your draft of %(previous)s has been saved. Next: %(applicant)s.")
            % {
                "previous": assignment.proposal.applicant.name,
                "applicant": following.proposal.applicant.name,
            },
        )
        return redirect("review:sheet", competition.slug, following.pk)
    messages.success(request, _("Your draft has been saved."))
    return redirect("review:sheet", competition.slug, assignment.pk)


# The background save of the sheet page (review-sheet.js): the same form and the same service as
# the page's "save draft", answered in JSON so the page keeps every value and its scroll position.
AUTOSAVE_REFUSED = {
    "stale": 409,
    "closed": 409,
    "busy": 503,
    "submitted": 403,
    "conflict": 403,
    "invalid": 400,
}


@assignment_page
@require_POST
def autosave(request, competition, assignment):
    stored = sheet_or_none(assignment)
    if assignment.no_conflict_confirmed_at is None and not (stored is not None and stored.is_submitted):
        return _autosave_refused(
            "unconfirmed",
            _("Confirm that you have no conflict of interest before scoring this proposal."),
            status=409,
        )
    criteria = sheets.criteria_for(assignment.stage, assignment.proposal.track)
    form = ScoresheetForm.for_autosave(criteria, request.POST)
    try:
        if not form.is_valid():
            if sheets.is_closed(stored, sheets.closing_publication_id(competition.pk)):
                raise sheets.closed_error()
            if stored is not None and stored.is_submitted:
                raise sheets.SheetError("submitted", "")
            raise sheets.SheetError("invalid", "")
        saved = sheets.save_draft(
            assignment, form.cleaned_data["version"], form.sheet_input(), request.user, criteria
        )
    except sheets.SheetError as refused:
        form.add_point_errors(refused.field_errors)
        return _autosave_refused(
            refused.code, _autosave_message(refused, form), errors=form.error_list() if form.errors else []
        )
    saved_at = timezone.localtime(saved.updated_at)
    return JsonResponse(
        {
            "status": "saved",
            "version": saved.version,
            "saved_at": saved_at.isoformat(),
            "message": _("Saved %(time)s") % {"time": f"{saved_at:%H:%M:%S}"},
        }
    )


def _autosave_message(refused, form) -> str:
    kept = _("Every value you typed is kept on the page.")
    if refused.code == "stale":
        return _(
            "Not saved automatically: this sheet was saved elsewhere (another tab or device) after you "
            "opened it. Automatic saving has stopped. %(kept)s Press “Save draft” to compare your "
            "input with the saved version."
        ) % {"kept": kept}
    if refused.code == "busy":
        return _(
            "Not saved automatically: the system is busy with other changes. %(kept)s It will try "
            "again in a moment."
        ) % {"kept": kept}
    if refused.code == "invalid":
        return _(
            "Not saved automatically: some entries are not valid; see the messages next to the "
            "fields. %(kept)s"
        ) % {"kept": kept}
    if refused.code == "submitted":
        return _("This sheet has been submitted and can no longer be changed. Reload the page to see it.")
    return _("Not saved automatically: %(reason)s %(kept)s") % {"reason": refused.message, "kept": kept}


def _autosave_refused(code, message, *, errors=(), status=None):
    return JsonResponse(
        {"status": code, "message": message, "errors": list(errors)},
        status=status or AUTOSAVE_REFUSED.get(code, 409),
    )


def _refused(request, assignment, criteria, form, refused, closing_id):
    if refused.code == "closed":
        stored = Scoresheet.objects.filter(assignment=assignment).first()
        return _closed(request, assignment, criteria, stored, form=form, error=refused.message)
    if refused.code == "submitted":
        return _refused_submitted(request, assignment, criteria)
    if refused.code == "conflict":
        messages.error(request, refused.message)
        return redirect("review:competition", assignment.stage.competition.slug)
    if refused.code == "stale":
        # Keep every typed value; carry the stored version so that a deliberate second save
        # replaces it, and show the stored values next to the fields for comparison.
        current = Scoresheet.objects.prefetch_related("scores").get(assignment=assignment)
        data = request.POST.copy()
        data["version"] = str(current.version)
        form = ScoresheetForm(criteria, data=data)
        form.is_valid()
        saved = {score.criterion_id: score for score in current.scores.all()}
        return _sheet_page(
            request,
            assignment,
            criteria,
            form,
            None,
            closing_id=closing_id,
            error=refused.message,
            saved=saved,
            status=409,
        )
    if refused.code == "busy":
        # The database stayed locked (SQLite, a long import writing): nothing was saved. The same
        # form with every typed value and the same version, so saving again is one click.
        return _sheet_page(
            request,
            assignment,
            criteria,
            form,
            None,
            closing_id=closing_id,
            error=refused.message,
            status=503,
        )
    form.add_point_errors(refused.field_errors)
    return _sheet_page(request, assignment, criteria, form, None, closing_id=closing_id)


def _refused_submitted(request, assignment, criteria):
    current = Scoresheet.objects.get(assignment=assignment)
    message = _("This sheet has been submitted and can no longer be changed.")
    return _read_only(request, assignment, criteria, current, error=message, status=403)


def _error_summary_title(form, count: int) -> str:
    if form.wants_submit:
        return _("The sheet was not submitted. Correct the following (%(count)s):") % {"count": count}
    return _("The sheet was not saved. Correct the following (%(count)s):") % {"count": count}


def _sheet_page(request, assignment, criteria, form, total, *, closing_id, error="", saved=None, status=200):
    """The editable sheet. A bound form (a refused save) comes back with every typed value, marked
    unsaved for the page's script; its messages are listed at the top (``error_summary``), each
    linked to its field."""
    if total is None:
        total = sheet_total(form.typed_points())
    errors = form.error_list() if form.is_bound else []
    invalid = {item["field"] for item in errors}
    rows = []
    for criterion, points, comment in form.rows():
        saved_score = (saved or {}).get(criterion.pk)
        rows.append(
            {
                "criterion": criterion,
                "points": points,
                "comment": comment,
                "max": plain_number(criterion.max_points),
                "step": plain_number(criterion.step),
                "saved": saved is not None,
                "saved_points": _points_text(saved_score),
                "invalid": points.auto_id in invalid,
            }
        )
    summary = errors if not error else []
    stored = sheet_or_none(assignment)
    context = {
        "competition": assignment.stage.competition,
        "assignment": assignment,
        "proposal": assignment.proposal,
        "form": form,
        "rows": rows,
        "total": plain_number(total),
        "max_total": _max_total(criteria),
        "error": error,
        "error_summary": summary,
        "error_summary_title": _error_summary_title(form, len(summary)) if summary else "",
        "confirm_invalid": form["confirm_final"].auto_id in invalid,
        "unsaved": form.is_bound,
        "stale": saved is not None,
        "reopened": _reopened(assignment),
        "last_saved": stored.updated_at if stored is not None and not form.is_bound else None,
        "progress": _progress(assignment.reviewer_id, assignment.stage.competition, assignment.stage),
        "next_assignment": _next_open(assignment, closing_id),
    }
    return render(request, "portal/review/sheet.html", context, status=status)


def _read_only(request, assignment, criteria, sheet, *, closing_id=None, error="", status=200):
    scores = {score.criterion_id: score for score in sheet.scores.all()}
    total = sheet.total if sheet.total is not None else sheet_total([s.points for s in scores.values()])
    competition = assignment.stage.competition
    if closing_id is None:
        closing_id = sheets.closing_publication_id(competition.pk)
    context = {
        **_stored_rows(criteria, sheet, scores),
        "competition": competition,
        "assignment": assignment,
        "proposal": assignment.proposal,
        "reviewer": assignment.reviewer,
        "sheet": sheet,
        "total": plain_number(total),
        "max_total": _max_total(criteria),
        "error": error,
        "progress": _progress(assignment.reviewer_id, competition, assignment.stage),
        "next_assignment": _next_open(assignment, closing_id),
    }
    return render(request, "portal/review/sheet_submitted.html", context, status=status)


def _closed(request, assignment, criteria, stored, *, form=None, error=""):
    """The sheet as the publication closed it (``evaluation.sheets``): read-only, no save button.
    After a refused save, the values the reviewer typed (``form``), kept for them to copy."""
    if form is not None:
        rows = {
            "rows": [
                {
                    "criterion": criterion,
                    "points": (form.data.get(points.html_name) or "").strip(),
                    "comment": form.data.get(comment.html_name) or "",
                    "max": plain_number(criterion.max_points),
                }
                for criterion, points, comment in form.rows()
            ],
            "comment": form.data.get("comment", ""),
        }
        total = sheet_total(form.typed_points())
    else:
        scores = {score.criterion_id: score for score in stored.scores.all()} if stored is not None else {}
        rows = _stored_rows(criteria, stored, scores)
        total = sheet_total([score.points for score in scores.values()])
    context = {
        **rows,
        "competition": assignment.stage.competition,
        "assignment": assignment,
        "proposal": assignment.proposal,
        "sheet": stored,
        "progress": _progress(assignment.reviewer_id, assignment.stage.competition, assignment.stage),
        "closed": True,
        "typed": form is not None,
        "total": plain_number(total),
        "max_total": _max_total(criteria),
        "error": error,
    }
    return render(request, "portal/review/sheet_submitted.html", context, status=409 if error else 200)


def _stored_rows(criteria, sheet, scores: dict) -> dict:
    """The stored points and comments (``scores``: criterion id → Score) of ``sheet`` (None: not
    started) for a read-only page."""
    rows = [
        {
            "criterion": criterion,
            "points": _points_text(scores.get(criterion.pk)),
            "comment": scores[criterion.pk].comment if criterion.pk in scores else "",
            "max": plain_number(criterion.max_points),
        }
        for criterion in criteria
    ]
    return {"rows": rows, "comment": sheet.comment if sheet is not None else ""}


def _reopened(assignment):
    """The sheet, when an official reopened it and it awaits the reviewer's submission."""
    stored = sheet_or_none(assignment)
    if stored is not None and stored.reopened_at is not None and not stored.is_submitted:
        return stored
    return None


def _points_text(score) -> str:
    return plain_number(score.points) if score is not None and score.points is not None else ""


def _max_total(criteria) -> str:
    return plain_number(sum((criterion.max_points for criterion in criteria), start=Decimal(0)))
