"""Pages for officials (담당 공무원): progress per stage with the sheets each reviewer still owes,
reminders by e-mail and the notices sent; each proposal's reviewers, conflicts and audit trail
(paged, filtered); reopening a submitted sheet and recording a challenge (기피), both with a reason
and a ticked confirmation; the ranking with its downloads, a proposal's scores by reviewer code
with its bonus/penalty points (가점/감점), and recording a draw (추첨).

Officials see who reviews and how far the sheets are, never edit a score (SPEC §2)."""

from collections import defaultdict
from types import SimpleNamespace

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.roles import Role, role_of
from evaluation import exporting
from evaluation.adjustments import adjustment_total
from evaluation.models import (
    Adjustment,
    Assignment,
    Conflict,
    Criterion,
    Notice,
    Publication,
    Reviewer,
    Scoresheet,
    Stage,
)
from evaluation.notices import owed_by_reviewer
from evaluation.publication import unresolved_ties
from evaluation.queries import (
    SCORING_ENTRIES,
    competition_overview,
    proposal_audit_trail,
    proposal_trail_names,
    stage_progress,
)
from evaluation.ranking import current_ranking, tie_break_chain_text
from evaluation.reviewer_codes import stage_reviewer_sheets
from evaluation.sheets import can_reopen, closing_publication_id, criteria_for, is_closed
from evaluation.stage_scores import criterion_averages, stage_results
from portal.tables import PageConfig, RowsOnDemand, page_ids
from proposals.models import Competition, Proposal, Track
from proposals.xlsx import XLSX_CONTENT_TYPE

from .forms import (
    AdjustmentDeleteForm,
    AdjustmentForm,
    AuditFilterForm,
    ChallengeForm,
    DrawForm,
    RemindForm,
    ReopenSheetForm,
)
from .tables import (
    SHEET_STATES,
    AdjustmentTable,
    AssignmentTable,
    AuditTable,
    ConflictTable,
    CriterionAverageTable,
    NoticeTable,
    OwedTable,
    ProgressTable,
    RankingTable,
    ReviewerScoreTable,
)

OFFICIALS = (Role.OFFICIAL, Role.ADMIN)
PROGRESS_COUNTS = ("assigned", "not_started", "drafts", "submitted", "conflict_count")
NOTICES_PER_PAGE = 10
TRAIL_PER_PAGE = 20


@role_required(*OFFICIALS)
def index(request):
    competitions = [
        (competition, competition_overview(competition))
        for competition in Competition.objects.order_by("-year", "slug").prefetch_related(
            Prefetch("stages", queryset=Stage.objects.order_by("order", "pk"))
        )
    ]
    return render(request, "portal/official/index.html", {"competitions": competitions})


PROGRESS_PAGE = 50


@role_required(*OFFICIALS)
def progress(request, slug, stage):
    """One stage of a competition: a table per track, counts from one query for the stage."""
    competition = get_object_or_404(Competition, slug=slug)
    stage = get_object_or_404(Stage, competition=competition, code=stage)
    # The counts of every proposal in one light query (numbers, no model objects): the totals
    # and each track's order; the proposals of the page shown are loaded when the table asks.
    progress_rows = stage_progress(stage)
    ids_by_track = defaultdict(list)
    track_totals = defaultdict(lambda: dict.fromkeys(PROGRESS_COUNTS, 0))
    totals = dict.fromkeys((*PROGRESS_COUNTS, "proposals"), 0)
    conflicted_total = 0
    for pk, track_id, conflicted, *counts in progress_rows.values_list(
        "pk", "track_id", "conflicted", *PROGRESS_COUNTS
    ):
        ids_by_track[track_id].append(pk)
        in_track = track_totals[track_id]
        for name, count in zip(PROGRESS_COUNTS, counts, strict=True):
            in_track[name] += count
            totals[name] += count
        conflicted_total += conflicted
        totals["proposals"] += 1
    tracks = Track.objects.filter(category__competition=competition).select_related("category")
    tracks = tracks.order_by("category__order", "category__code", "order", "code")
    # The proposals of every track's page, in one query (page_ids: the pages the tables will show).
    shown = [
        pk
        for track in tracks
        for pk in page_ids(ids_by_track[track.pk], request.GET.get(f"t{track.pk}-page"), PROGRESS_PAGE)
    ]
    loaded = {proposal.pk: proposal for proposal in progress_rows.filter(pk__in=shown)} if shown else {}
    tables = [
        ProgressTable(
            RowsOnDemand(ids_by_track[track.pk], lambda ids: progress_rows.filter(pk__in=ids), loaded),
            stage=stage,
            caption=_("Progress of %(track)s proposals in %(stage)s")
            % {"track": track.name, "stage": stage.name},
            totals=track_totals[track.pk],
            prefix=f"t{track.pk}-",
        )
        for track in tracks
    ]
    for table in tables:  # pages of PROGRESS_PAGE proposals per track; the footers total them all
        PageConfig(request, PROGRESS_PAGE).configure(table)
    owed = owed_by_reviewer(stage)
    notice_table = NoticeTable(
        Notice.objects.filter(stage=stage)
        .select_related("reviewer", "sent_by")
        .order_by("-created_at", "-pk"),
        caption=_("E-mails sent to reviewers about %(stage)s, newest first") % {"stage": stage.name},
        prefix="notices-",
    )
    PageConfig(request, NOTICES_PER_PAGE).configure(notice_table)
    counting = totals["assigned"] - conflicted_total
    context = {
        "competition": competition,
        "stage": stage,
        "stages": list(competition.stages.order_by("order", "pk")),
        "sections": list(zip(tracks, tables, strict=True)),
        "totals": totals,
        "counting": counting,
        "submitted_percent": round(100 * totals["submitted"] / counting) if counting else 0,
        "owed": owed,
        "owed_table": OwedTable(
            owed,
            stage=stage,
            remind_url=reverse("official:remind", args=[competition.slug, stage.code]),
            csrf_token=get_token(request),
            caption=_("Reviewers who still owe sheets in %(stage)s, and which") % {"stage": stage.name},
        ),
        "owed_sheets": sum(len(row["assignments"]) for row in owed),
        "notice_table": notice_table,
    }
    return render(request, "portal/official/progress.html", context)


@role_required(*OFFICIALS)
@require_POST
def send_reminders(request, slug, stage):
    """Remind one reviewer (``reviewer``) or every reviewer who owes sheets in the stage; a
    reviewer reminded for the stage within ``NOTICE_REPEAT_SECONDS`` is not reminded again."""
    competition = get_object_or_404(Competition, slug=slug)
    stage = get_object_or_404(Stage, competition=competition, code=stage)
    form = RemindForm(request.POST, stage=stage)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(reverse("official:progress", args=[competition.slug, stage.code]) + "#owed")
    outcome = form.send(request.user)
    for notice in outcome.queued:
        notice.refresh_from_db(fields=["status", "error"])  # sent when its transaction committed
        if notice.status == Notice.Status.FAILED:
            messages.error(
                request,
                _("The reminder to %(name)s could not be delivered (%(error)s); try again later.")
                % {"name": notice.reviewer.name, "error": notice.error},
            )
        else:
            messages.success(
                request,
                _("A reminder of %(count)s scoresheets was sent to %(name)s.")
                % {"count": notice.assignments.count(), "name": notice.reviewer.name},
            )
    for notice in outcome.already:
        messages.info(
            request,
            _("%(name)s was already reminded at %(time)s; the reminder was not sent again.")
            % {
                "name": notice.reviewer.name,
                "time": timezone.localtime(notice.created_at).strftime("%H:%M:%S"),
            },
        )
    if not outcome.queued and not outcome.already:
        messages.info(request, _("Nobody owes a scoresheet in this stage: no reminder was sent."))
    return redirect(reverse("official:progress", args=[competition.slug, stage.code]) + "#owed")


def _page_objects(slug, stage_code, pk):
    competition = get_object_or_404(Competition, slug=slug)
    stage = get_object_or_404(Stage, competition=competition, code=stage_code)
    proposal = get_object_or_404(
        Proposal.objects.select_related("applicant", "track__category"), competition=competition, pk=pk
    )
    return competition, stage, proposal


def _assignments(stage, proposal):
    """The proposal's assignments in the stage with their reviewers and sheets, by reviewer name."""
    return (
        Assignment.objects.filter(stage=stage, proposal=proposal)
        .select_related("reviewer", "sheet")
        .order_by("reviewer__name", "pk")
    )


def _conflicted(proposal) -> set:
    return set(Conflict.objects.filter(proposal=proposal).values_list("reviewer_id", flat=True))


def _assigned_reviewers(stage, proposal):
    return Reviewer.objects.filter(assignments__stage=stage, assignments__proposal=proposal).order_by("name")


def _forms(
    request, stage, proposal, assignments, closing_id, conflicted, reopen_form=None, challenge_form=None
):
    if reopen_form is None:
        reopen_form = ReopenSheetForm(
            assignments=assignments,
            closing_id=closing_id,
            conflicted=conflicted,
            # ``?reason=``: a reason suggested by the page that links here (an accepted appeal's).
            initial={"assignment": request.GET.get("reopen"), "reason": request.GET.get("reason", "")[:500]},
        )
    if challenge_form is None:
        challenge_form = ChallengeForm(proposal=proposal, reviewers=_assigned_reviewers(stage, proposal))
    return reopen_form, challenge_form


def _render_proposal(
    request, competition, stage, proposal, reopen_form=None, challenge_form=None, status=200
):
    assignments = list(_assignments(stage, proposal))
    closing_id = closing_publication_id(competition.pk)
    conflicts = list(
        Conflict.objects.filter(proposal=proposal)
        .select_related("reviewer", "recorded_by")
        .order_by("created_at")
    )
    conflicted = {conflict.reviewer_id for conflict in conflicts}
    rows = []
    for assignment in assignments:
        sheet = assignment.sheet if _has_sheet(assignment) else None
        if assignment.reviewer_id in conflicted:
            state = "conflict"
        elif sheet is not None and sheet.is_submitted:
            state = "submitted"
        elif is_closed(sheet, closing_id):
            state = "closed"
        elif sheet is None:
            state = "not_started"
        else:
            state = "reopened" if sheet.reopened_at else "draft"
        rows.append(
            {
                "assignment": assignment,
                "sheet": sheet,
                "state": state,
                "state_label": SHEET_STATES[state],
                "reopenable": state != "conflict" and can_reopen(sheet, closing_id),
            }
        )

    is_admin = role_of(request.user) == Role.ADMIN
    trail_filter = AuditFilterForm(
        request.GET if any(key in request.GET for key in AuditFilterForm.base_fields) else None,
        stage=stage,
        proposal=proposal,
        names={a.reviewer_id: a.reviewer.name for a in assignments} if is_admin else None,
    )
    trail = trail_filter.filter(proposal_audit_trail(proposal, stage))
    # Who acted on a scoring entry, from every entry the filter keeps (not only the page shown).
    acting = [
        SimpleNamespace(object_type=object_type, actor_id=actor_id)
        for object_type, actor_id in trail.order_by()
        .filter(object_type__in=SCORING_ENTRIES, actor_id__isnull=False)
        .values_list("object_type", "actor_id")
        .distinct()
    ]
    # Names of who changed a score are for admins only; officials see codes (SPEC §2).
    names = proposal_trail_names(proposal, stage, acting, names=is_admin)
    values = {("status", value): SHEET_STATES[value] for value in Scoresheet.Status.values}
    values.update({("kind", value): label for value, label in Conflict.Kind.choices})
    values.update({("source", value): label for value, label in Assignment.Source.choices})
    criteria = Criterion.objects.filter(rubric__stage=stage).values_list("pk", "code", "name")
    values.update({("criterion_id", pk): f"{code} {name}" for pk, code, name in criteria})
    values.update(
        {
            ("reopened_after_id", pk): _("publication no. %(number)s") % {"number": number}
            for pk, number in Publication.objects.filter(competition=competition).values_list("pk", "number")
        }
    )
    values[("proposal_id", proposal.pk)] = proposal.title
    values[("stage_id", stage.pk)] = stage.name

    reopen_form, challenge_form = _forms(
        request,
        stage,
        proposal,
        _assignments(stage, proposal),
        closing_id,
        conflicted,
        reopen_form,
        challenge_form,
    )
    audit_table = AuditTable(
        trail,
        caption=_("Audit trail of this proposal: who changed what, when, and why"),
        names=names,
        values=values,
        prefix="trail-",
    )
    PageConfig(request, TRAIL_PER_PAGE).configure(audit_table)
    context = {
        "competition": competition,
        "stage": stage,
        "proposal": proposal,
        "assignment_table": AssignmentTable(
            rows,
            caption=_("Reviewers of this proposal in %(stage)s and their sheets") % {"stage": stage.name},
        ),
        "conflict_table": ConflictTable(
            conflicts, caption=_("Conflicts of interest recorded for this proposal")
        ),
        "audit_table": audit_table,
        "trail_filter": trail_filter,
        "reopen_form": reopen_form,
        "challenge_form": challenge_form,
        "has_reopenable": any(row["reopenable"] for row in rows),
        "closed": closing_id is not None,
    }
    return render(request, "portal/official/proposal.html", context, status=status)


def _has_sheet(assignment) -> bool:
    try:
        assignment.sheet  # noqa: B018 (select_related fills it or raises)
    except Scoresheet.DoesNotExist:
        return False
    return True


@role_required(*OFFICIALS)
def proposal(request, slug, stage, pk):
    competition, stage, proposal = _page_objects(slug, stage, pk)
    return _render_proposal(request, competition, stage, proposal)


@role_required(*OFFICIALS)
@require_POST
def reopen_sheet(request, slug, stage, pk):
    competition, stage, proposal = _page_objects(slug, stage, pk)
    form = ReopenSheetForm(
        request.POST,
        assignments=_assignments(stage, proposal),
        closing_id=closing_publication_id(competition.pk),
        conflicted=_conflicted(proposal),
    )
    sheet = form.reopen(request.user) if form.is_valid() else None
    if sheet is None:
        return _render_proposal(request, competition, stage, proposal, reopen_form=form)
    messages.success(
        request,
        _("The sheet of %(name)s is reopened; the reason is in the audit trail.")
        % {"name": sheet.assignment.reviewer.name},
    )
    return redirect("official:proposal", competition.slug, stage.code, proposal.pk)


@role_required(*OFFICIALS)
@require_POST
def record_challenge(request, slug, stage, pk):
    competition, stage, proposal = _page_objects(slug, stage, pk)
    form = ChallengeForm(request.POST, proposal=proposal, reviewers=_assigned_reviewers(stage, proposal))
    if not form.is_valid():
        return _render_proposal(request, competition, stage, proposal, challenge_form=form)
    conflict = form.save(request.user)
    messages.success(
        request,
        _("The challenge of %(name)s is recorded; the reviewer's sheet no longer counts.")
        % {"name": conflict.reviewer.name},
    )
    return redirect("official:proposal", competition.slug, stage.code, proposal.pk)


# --- The ranking, its downloads and draws (SPEC §4.5) ----------------------------------------

RANKING_PAGE = 50


@role_required(*OFFICIALS)
def ranking(request, slug):
    """Every ranking of the competition (a track, or a category pooling its slots) with ratios."""
    competition = get_object_or_404(Competition, slug=slug)
    result = current_ranking(competition)
    # Pages of RANKING_PAGE rows per ranking (its own ?<group>-page=): the page stays light at
    # thousands of proposals; the downloads hold every row.
    config = PageConfig(request, RANKING_PAGE)
    sections = []
    for group in exporting.ranking_groups(result):
        table = RankingTable(
            group.rows,
            stages=result.stages,
            slug=competition.slug,
            pooled=group.pooled,
            track_names=group.track_names,
            slots=group.slots,
            caption=_("Ranking of %(name)s") % {"name": group.name},
            prefix=f"{group.key}-",
        )
        config.configure(table)
        if not sections or sections[-1][0] is not group.category:
            sections.append((group.category, []))
        sections[-1][1].append((group, table))
    context = {
        "competition": competition,
        "stages": result.stages,
        "sections": sections,
        "draws_required": result.draws_required,
        "pending": result.pending,
        "provinces": result.outcome.provinces,  # SPEC §8.7
        "tie_break_chain": tie_break_chain_text(competition.tie_break, result.stages),  # SPEC §8.3
    }
    return render(request, "portal/official/ranking.html", context)


@role_required(*OFFICIALS)
def ranking_csv(request, slug):
    competition = get_object_or_404(Competition, slug=slug)
    content = exporting.ranking_csv(current_ranking(competition))
    return _download(content, "text/csv; charset=utf-8", f"{competition.slug}-ranking.csv")


@role_required(*OFFICIALS)
def reviewer_totals_csv(request, slug):
    """Every reviewer's total by code, per stage and proposal (the score pages, in one file)."""
    competition = get_object_or_404(Competition, slug=slug)
    content = exporting.reviewer_totals_csv(current_ranking(competition))
    return _download(content, "text/csv; charset=utf-8", f"{competition.slug}-reviewer-totals.csv")


@role_required(*OFFICIALS)
def ranking_xlsx(request, slug):
    """The results workbook, as ``export_results`` writes it."""
    competition = get_object_or_404(Competition, slug=slug)
    content = exporting.results_workbook(current_ranking(competition))
    return _download(content, XLSX_CONTENT_TYPE, f"{competition.slug}-results.xlsx")


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


@role_required(*OFFICIALS)
@require_http_methods(["GET", "POST"])
def record_draw(request, slug):
    """Record the drawn order of each tie that straddles the last slot, and how it was drawn."""
    competition = get_object_or_404(Competition, slug=slug)
    ties = {tie.key: tie for tie in unresolved_ties(current_ranking(competition))}
    forms = {key: DrawForm(prefix=key, proposals=tie.rows) for key, tie in ties.items()}
    if request.method == "POST":
        key = request.POST.get("tie", "")
        if key not in ties:
            messages.info(request, _("This tie no longer needs a draw; the ranking has changed."))
            return redirect("official:draw", competition.slug)
        rows = ties[key].rows
        form = forms[key] = DrawForm(request.POST, prefix=key, proposals=rows)
        if form.is_valid():
            proposals = Proposal.objects.filter(competition=competition).in_bulk([row.id for row in rows])
            if form.save(proposals, request.user) is not None:
                messages.success(
                    request,
                    _("The draw of %(name)s is recorded; the ranking now follows the order drawn.")
                    % {"name": ties[key].name},
                )
                return redirect("official:ranking", competition.slug)
    context = {
        "competition": competition,
        "ties": [(tie, forms[key]) for key, tie in ties.items()],
    }
    return render(request, "portal/official/draw.html", context)


# --- A proposal's scores in a stage, by reviewer code, and its bonus/penalty points -------------


def _render_scores(request, competition, stage, proposal, adjustment_form=None, status=200):
    result = stage_results(stage, [proposal.pk]).get(proposal.pk)
    kept = [sheet_id for sheet_id, _total in result.kept] if result else []
    averages = criterion_averages(kept) if kept else {}
    criteria = [
        {
            "code": criterion.code,
            "name": criterion.name,
            "max_points": criterion.max_points,
            "tie_break": criterion.tie_break_priority,
            "average": exporting.shown(averages.get((proposal.pk, criterion.code))),
        }
        for criterion in criteria_for(stage, proposal.track)
    ]
    adjustments = list(
        Adjustment.objects.filter(proposal=proposal)
        .select_related("recorded_by", "item", "proposal__competition")
        .order_by("created_at", "pk")
    )
    entered, applied = adjustment_total([a.points for a in adjustments], competition.adjustment_cap)
    context = {
        "competition": competition,
        "stage": stage,
        "stages": list(competition.stages.order_by("order", "pk")),
        "proposal": proposal,
        "stage_score": exporting.shown(result.score) if result else None,
        "counted": len(kept),
        "reviewer_table": ReviewerScoreTable(
            stage_reviewer_sheets(stage, [proposal.pk], {proposal.pk: result} if result else {}).get(
                proposal.pk, []
            ),
            caption=_("Each reviewer's total in %(stage)s, by code") % {"stage": stage.name},
        ),
        "criterion_table": CriterionAverageTable(
            criteria, caption=_("Criterion averages over the counted sheets")
        ),
        "adjustment_table": AdjustmentTable(
            adjustments, caption=_("Bonus and penalty points of this proposal"), stage_code=stage.code
        ),
        "adjustments": adjustments,
        "adjustment_entered": entered,
        "adjustment_applied": applied,
        "adjustment_capped": entered != applied,
        "adjustment_form": adjustment_form or AdjustmentForm(proposal=proposal),
    }
    return render(request, "portal/official/scores.html", context, status=status)


@role_required(*OFFICIALS)
def proposal_scores(request, slug, stage, pk):
    competition, stage, proposal = _page_objects(slug, stage, pk)
    return _render_scores(request, competition, stage, proposal)


@role_required(*OFFICIALS)
@require_POST
def record_adjustment(request, slug, stage, pk):
    competition, stage, proposal = _page_objects(slug, stage, pk)
    form = AdjustmentForm(request.POST, proposal=proposal)
    adjustment = form.save(request.user) if form.is_valid() else None
    if adjustment is None:
        return _render_scores(request, competition, stage, proposal, adjustment_form=form)
    points = f"{adjustment.points:+.2f}"
    if adjustment.points > 0:
        text = _("A bonus of %(points)s points is recorded with its reason.")
    else:
        text = _("A penalty of %(points)s points is recorded with its reason.")
    messages.success(request, text % {"points": points})
    return redirect("official:proposal-scores", competition.slug, stage.code, proposal.pk)


@role_required(*OFFICIALS)
@require_http_methods(["GET", "POST"])
def delete_adjustment(request, slug, stage, pk, adjustment_id):
    """Delete a mistaken bonus or penalty: the page shows the entry and asks why (SPEC §8.4)."""
    competition, stage, proposal = _page_objects(slug, stage, pk)
    adjustment = get_object_or_404(
        Adjustment.objects.select_related("item", "recorded_by"), pk=adjustment_id, proposal=proposal
    )
    form = AdjustmentDeleteForm(request.POST or None, adjustment=adjustment)
    if request.method == "POST" and form.is_valid() and form.save(request.user):
        messages.success(
            request,
            _("The entry of %(points)s points was deleted; the reason is kept in the audit trail.")
            % {"points": f"{adjustment.points:+.2f}"},
        )
        return redirect("official:proposal-scores", competition.slug, stage.code, proposal.pk)
    context = {
        "competition": competition,
        "stage": stage,
        "proposal": proposal,
        "adjustment": adjustment,
        "form": form,
        "published": Publication.objects.filter(competition=competition).exists(),
    }
    return render(
        request,
        "portal/official/adjustment_delete.html",
        context,
        status=400 if request.method == "POST" else 200,
    )
