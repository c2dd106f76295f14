"""Database-side computations for pages and commands (annotate/aggregate, not row loops)."""

from dataclasses import dataclass, field

from django.db.models import CharField, Count, Exists, F, OuterRef, Q, StringAgg, Subquery, Value
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from proposals.models import AuditEntry, Competition, Proposal, Track

from .advancement import proposals_of_stage
from .models import Adjustment, Assignment, Conflict, Draw, Reviewer, Score, Scoresheet
from .models.panel import conflicts_of_pair
from .reviewer_codes import reviewer_codes
from .rules import slot_counts


@dataclass
class TrackOverview:
    track: Track
    applicants: int
    slots: int | None  # None where the category pools its slots
    ratio: str | None


@dataclass
class CategoryOverview:
    code: str
    name: str
    applicants: int
    slots: int
    ratio: str | None
    pooled: bool
    tracks: list[TrackOverview] = field(default_factory=list)


def tracks_with_applicants(competition: Competition):
    """Tracks of the competition, each annotated with ``applicants``: proposals not withdrawn."""
    return (
        Track.objects.filter(category__competition=competition)
        .select_related("category")
        .annotate(applicants=Count("proposals", filter=Proposal.applicants_q("proposals__")))
        .order_by("category__order", "category__code", "order", "code")
    )


def competition_overview(competition: Competition) -> list[CategoryOverview]:
    """Applicants, slots and competition ratio per category and track (SPEC §4.7,
    ``rules.slot_counts``), one query."""
    tracks_of: dict = {}
    for track in tracks_with_applicants(competition):
        tracks_of.setdefault(track.category, []).append(track)
    overviews = []
    for category, tracks in tracks_of.items():
        total, per_track = slot_counts(
            category.slots, [(track.slots, track.applicants) for track in tracks], competition.ratio_decimals
        )
        overviews.append(
            CategoryOverview(
                code=category.code,
                name=category.name,
                applicants=total.applicants,
                slots=total.slots,
                ratio=total.ratio,
                pooled=category.pools_slots,
                tracks=[
                    TrackOverview(
                        track=track, applicants=count.applicants, slots=count.slots, ratio=count.ratio
                    )
                    for track, count in zip(tracks, per_track, strict=True)
                ],
            )
        )
    return overviews


# --- Officials: progress per stage, and the audit trail of one proposal (SPEC §2) --------


def stage_progress(stage):
    """Each proposal of ``stage`` annotated, in one query, with its assigned reviewers' names
    (``reviewer_names``, one a line, in no set order; for officials only) and counts over its assignments:
    ``assigned``; ``conflicted`` (assignments whose reviewer has a conflict on the proposal);
    ``drafts`` and ``submitted`` (sheets of unconflicted assignments only: a conflicted sheet
    never counts); ``not_started``; and ``conflict_count`` (reviewers with any recorded conflict on
    the proposal, assigned or not — 제척 keeps a reviewer off the proposal altogether)."""
    in_stage = Q(assignments__stage=stage)
    conflicted = Exists(conflicts_of_pair("assignments__"))  # of each assignment counted (SPEC §3)
    sheet_status = "assignments__sheet__status"
    reviewer_names = (
        Assignment.objects.filter(stage=stage, proposal_id=OuterRef("pk"))
        .order_by()
        .values("proposal_id")
        .annotate(names=StringAgg("reviewer__name", delimiter=Value("\n")))
        .values("names")
    )
    return (
        proposals_of_stage(stage)
        .select_related("applicant", "track__category")
        .annotate(
            reviewer_names=Subquery(reviewer_names),
            assigned=Count("assignments", filter=in_stage, distinct=True),
            conflicted=Count("assignments", filter=in_stage & Q(conflicted), distinct=True),
            drafts=Count(
                "assignments",
                filter=in_stage & Q(**{sheet_status: Scoresheet.Status.DRAFT}) & ~Q(conflicted),
                distinct=True,
            ),
            submitted=Count(
                "assignments",
                filter=in_stage & Q(**{sheet_status: Scoresheet.Status.SUBMITTED}) & ~Q(conflicted),
                distinct=True,
            ),
            conflict_count=Count("conflicts__reviewer", distinct=True),
        )
        .annotate(not_started=F("assigned") - F("conflicted") - F("drafts") - F("submitted"))
        .order_by("track__category__order", "track__order", "track__code", "reference", "pk")
    )


def _ids_as_text(queryset):
    """Primary keys as text, to match ``AuditEntry.object_id`` inside the same query."""
    return queryset.annotate(pk_text=Cast("pk", CharField())).values("pk_text")


def proposal_audit_trail(proposal, stage):
    """The audit entries of ``proposal`` itself, of its assignments, sheets and scores in ``stage``
    and of its conflicts, adjustments and draw, newest first, in one query. Audited rows are found by
    (object type, object id); a removed one by the proposal in its created/deleted snapshot."""
    assignments = Assignment.objects.filter(proposal=proposal, stage=stage)
    sheets = Scoresheet.objects.filter(assignment__in=assignments)
    scores = Score.objects.filter(sheet__in=sheets)
    conflicts = Conflict.objects.filter(proposal=proposal)
    found = (
        Q(object_type="proposal", object_id=str(proposal.pk))  # its status, amounts, track …
        | Q(
            object_type="adjustment", object_id__in=_ids_as_text(Adjustment.objects.filter(proposal=proposal))
        )
        | Q(object_type="draw", object_id__in=_ids_as_text(Draw.objects.filter(proposal=proposal)))
        | Q(object_type__in=("adjustment", "draw"), before__proposal_id=proposal.pk)
        | Q(object_type__in=("adjustment", "draw"), after__proposal_id=proposal.pk)
        | Q(object_type="assignment", object_id__in=_ids_as_text(assignments))
        | Q(object_type="scoresheet", object_id__in=_ids_as_text(sheets))
        | Q(object_type="score", object_id__in=_ids_as_text(scores))
        | Q(object_type="conflict", object_id__in=_ids_as_text(conflicts))
        # A removed conflict or assignment: its creation and removal name the proposal.
        | Q(object_type="conflict", before__proposal_id=proposal.pk)
        | Q(object_type="conflict", after__proposal_id=proposal.pk)
        | Q(object_type="assignment", before__proposal_id=proposal.pk, before__stage_id=stage.pk)
        | Q(object_type="assignment", after__proposal_id=proposal.pk, after__stage_id=stage.pk)
    )
    return (
        AuditEntry.objects.filter(found, competition_id=proposal.competition_id)
        .select_related("actor")
        .order_by("-created_at", "-id")
    )


def reviewer_entries(stage, proposal, reviewer_id) -> Q:
    """Of ``proposal_audit_trail``, the entries of one reviewer's scoring: their assignment, sheet
    and scores in ``stage`` (a removed assignment by its snapshot). None: no entry."""
    if reviewer_id is None:
        return Q(pk__in=[])
    assignments = Assignment.objects.filter(proposal=proposal, stage=stage, reviewer_id=reviewer_id)
    sheets = Scoresheet.objects.filter(assignment__in=assignments)
    return (
        Q(object_type="assignment", object_id__in=_ids_as_text(assignments))
        | Q(object_type="assignment", before__reviewer_id=reviewer_id, before__proposal_id=proposal.pk)
        | Q(object_type="assignment", after__reviewer_id=reviewer_id, after__proposal_id=proposal.pk)
        | Q(object_type="scoresheet", object_id__in=_ids_as_text(sheets))
        | Q(object_type="score", object_id__in=_ids_as_text(Score.objects.filter(sheet__in=sheets)))
    )


# Entries about a reviewer's scoring: officials see the reviewer of these by code only.
SCORING_ENTRIES = ("assignment", "scoresheet", "score")


@dataclass
class TrailNames:
    """How one viewer's audit trail of a proposal in a stage names reviewers (SPEC §2: officials
    see scores, never who gave them). For officials every assignment, sheet and score entry names
    its reviewer by code (``evaluation.reviewer_codes``), also as the actor who changed it; an
    admin sees names. Conflicts name the reviewer for both: officials record and read them by name."""

    items: dict  # (object type, object id) → what the entry is about
    values: dict  # (field attname, value) → the reviewer it stands for, in any entry
    scoring_values: dict  # the same in assignment, sheet and score entries (codes for officials)
    actors: dict  # user id → how the actor of a scoring entry is named (a code for officials)
    hidden: str = ""  # a scoring entry's reviewer that has no code here (officials only)

    def item(self, entry) -> str | None:
        return self.items.get((entry.object_type, entry.object_id))

    def value(self, entry, key, value):
        """The reviewer ``value`` of field ``key`` stands for in ``entry``, or None."""
        if isinstance(value, list | dict):  # a many-to-many list: its items are shown one by one
            return None
        if entry.object_type in SCORING_ENTRIES:
            found = self.scoring_values.get((key, value))
            if found is None and self.hidden and key in ("reviewer_id", "assignment_id", "sheet_id"):
                return self.hidden  # e.g. a removed assignment: never a raw id an official could look up
            return found
        return self.values.get((key, value))

    def actor(self, entry) -> str | None:
        """How the actor of ``entry`` is named, where not by their own name."""
        if entry.object_type in SCORING_ENTRIES:
            return self.actors.get(entry.actor_id)
        return None


def proposal_trail_names(proposal, stage, entries, *, names: bool) -> TrailNames:
    """The reviewer names or codes of ``proposal``'s audit trail in ``stage`` (``entries`` from
    ``proposal_audit_trail``): names when ``names`` (admins), codes otherwise (officials)."""
    assignments = list(
        Assignment.objects.filter(stage=stage, proposal=proposal)
        .select_related("reviewer", "sheet")
        .order_by("pk")
    )
    conflicts = list(Conflict.objects.filter(proposal=proposal).select_related("reviewer"))
    name_of = {a.reviewer_id: a.reviewer.name for a in assignments}
    name_of.update({c.reviewer_id: c.reviewer.name for c in conflicts})
    codes = reviewer_codes(stage, proposal)
    label = name_of if names else codes  # reviewer id → how scoring entries name them

    items, scoring = {}, {}
    sheets = {}
    for assignment in assignments:
        who = label[assignment.reviewer_id]
        items["assignment", str(assignment.pk)] = _("Assignment of %(name)s") % {"name": who}
        scoring["reviewer_id", assignment.reviewer_id] = who
        scoring["assignment_id", assignment.pk] = who
        sheet = getattr(assignment, "sheet", None)
        if sheet is not None:
            sheets[sheet.pk] = who
            items["scoresheet", str(sheet.pk)] = _("Scoresheet of %(name)s") % {"name": who}
            scoring["sheet_id", sheet.pk] = who
    for pk, sheet_id, code in Score.objects.filter(sheet_id__in=list(sheets)).values_list(
        "pk", "sheet_id", "criterion__code"
    ):
        items["score", str(pk)] = _("Score %(criterion)s of %(name)s") % {
            "criterion": code,
            "name": sheets[sheet_id],
        }
    for conflict in conflicts:
        items["conflict", str(conflict.pk)] = _("%(kind)s of %(name)s") % {
            "kind": conflict.get_kind_display(),
            "name": conflict.reviewer.name,
        }
    values = {("reviewer_id", pk): name for pk, name in name_of.items()}
    if names:
        return TrailNames(items, values, {**values, **scoring}, actors={})

    # Officials: a reviewer who changed a score, a sheet or an assignment is named by code too.
    actors = {}
    user_of = {a.reviewer.user_id: a.reviewer_id for a in assignments}
    acting = {e.actor_id for e in entries if e.object_type in SCORING_ENTRIES and e.actor_id is not None}
    for user_id in Reviewer.objects.filter(user_id__in=acting).values_list("user_id", flat=True):
        code = codes.get(user_of.get(user_id))
        actors[user_id] = _("Reviewer %(code)s") % {"code": code} if code else _("Reviewer")
    return TrailNames(items, values, scoring, actors, hidden=_("Reviewer"))
