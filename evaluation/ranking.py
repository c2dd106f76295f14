"""The ranking of a competition (SPEC §4, §6) from the database: ``ranking_inputs`` loads what the
outcome depends on, ``evaluation.engine.rank`` computes it. ``rank_competition`` (both) is what the
rank command, the officials' pages, exports and publishing read; ``ranking_document`` is its JSON
form (SPEC §6); the labels here are how pages and exports name statuses and tie-break rules."""

import functools
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import router
from django.db.models import ExpressionWrapper, FilteredRelation, IntegerField, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from proposals.models import Competition, Proposal, Track
from proposals.models.audit import chain_head
from proposals.models.competition import DEFAULT_TIE_BREAK

from . import engine, rules
from .cents import as_text, cents
from .engine import CategoryRanking, RankedProposal
from .models import Adjustment, Assignment, Criterion, Stage
from .models.scoresheet import counts
from .reviewer_codes import assignment_place, reviewer_code

# The statuses of SPEC §6 live with the engine; pages and exports name them from here too.
ELIMINATED, INELIGIBLE, WITHDRAWN = engine.ELIMINATED, engine.INELIGIBLE, engine.WITHDRAWN
OVER_CAP, PENDING = engine.OVER_CAP, engine.PENDING  # SPEC §8.2 (not produced yet), §8.6

# A status as officials read it (SPEC §6 statuses), in the order the ranking lists them.
STATUS_LABELS = {
    rules.SELECTED: gettext_lazy("Selected"),
    rules.DRAW_REQUIRED: gettext_lazy("Draw required"),
    rules.RESERVE: gettext_lazy("Reserve"),
    rules.NOT_SELECTED: gettext_lazy("Not selected"),
    OVER_CAP: gettext_lazy("Over the province cap"),
    rules.BELOW_MINIMUM: gettext_lazy("Below the minimum score"),
    PENDING: gettext_lazy("Evaluation in progress"),
    ELIMINATED: gettext_lazy("Eliminated at a stage"),
    INELIGIBLE: gettext_lazy("Ineligible"),
    WITHDRAWN: gettext_lazy("Withdrawn"),
}
STATUS_ORDER = list(STATUS_LABELS)


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def tie_break_label(rule: str | None, stages=()) -> str:
    """The rule that separated a proposal from the one ranked directly above it (SPEC §4.5,
    §8.3); ``stages`` (models or the inputs' dicts) name the stages a chain refers to."""
    if not rule:
        return ""
    names = {_stage_code(stage): _stage_name(stage) for stage in stages}
    parts = rule.split(":")
    if parts[0] == "criterion" and len(parts) == 3:
        return _("%(stage)s criterion %(code)s average") % {
            "stage": names.get(parts[1], parts[1]),
            "code": parts[2],
        }
    if parts[0] == "criterion":
        return _("Criterion %(code)s average") % {"code": rule.split(":", 1)[1]}
    if parts[0] == "stage" and len(parts) == 2:
        return _("%(stage)s score") % {"stage": names.get(parts[1], parts[1])}
    labels = {
        "subsidy": _("Requested national subsidy"),
        "draw": _("Draw"),
        "unresolved": _("Tied"),
    }
    return labels.get(rule, rule)


def tie_break_chain_text(chain: str, stages=()) -> str:
    """The competition's tie-break chain (SPEC §4.5, §8.3) as officials read it, a recorded draw
    last: "the last stage's criteria by priority → the lower requested national subsidy → a
    recorded draw"."""
    names = {_stage_code(stage): _stage_name(stage) for stage in stages}
    steps = []
    for element in (chain or "").split(","):
        kind, _sep, stage = element.partition(":")
        if element == "criteria":
            steps.append(_("the last stage's tie-break criteria by priority"))
        elif element == "subsidy":
            steps.append(_("the lower requested national subsidy"))
        elif kind == "criteria":
            steps.append(_("the tie-break criteria of %(stage)s") % {"stage": names.get(stage, stage)})
        elif kind == "stage":
            steps.append(_("the score of %(stage)s") % {"stage": names.get(stage, stage)})
    return " → ".join([*steps, _("a recorded draw")])


def _stage_code(stage) -> str:
    return stage["code"] if isinstance(stage, dict) else stage.code


def _stage_name(stage) -> str:
    return stage["name"] if isinstance(stage, dict) else stage.name


@dataclass
class CompetitionRanking:
    """``engine.rank`` of the competition's inputs, with the competition and its stages (models)
    for the pages that link to them."""

    competition: Competition
    stages: list[Stage]
    inputs: engine.RankingInputs
    outcome: engine.Outcome

    @property
    def categories(self) -> list[CategoryRanking]:
        return self.outcome.categories

    def proposals(self):
        for category in self.categories:
            for track in category.tracks:
                yield from track.ranking

    @property
    def draws_required(self) -> list[RankedProposal]:
        return [row for row in self.proposals() if row.status == rules.DRAW_REQUIRED]

    @property
    def pending(self) -> list[RankedProposal]:
        return [row for row in self.proposals() if row.status == PENDING]

    def published_outcome(self) -> dict:
        """The outcome a publication of this ranking stores (``engine.published_outcome``)."""
        return engine.published_outcome(self.inputs, self.competition.slug, self.outcome)


def rank_competition(competition: Competition, *, closing: bool = False) -> CompetitionRanking:
    """The competition ranked from what the database holds now (``ranking_inputs``, then
    ``engine.rank``). ``closing``: as publishing would rank it, every unsubmitted sheet closed."""
    stages = list(competition.stages.order_by("order"))
    inputs = ranking_inputs(competition, stages, owed=not closing)
    return CompetitionRanking(competition, stages, inputs, engine.rank(inputs))


class RecentByChainHead:
    """What ``compute(competition, *args)`` last made for pages, per competition and arguments,
    under the audit chain's head (sequence and digest) read before it was computed. Every change
    a ranking or an analysis depends on — a proposal, sheet, score, assignment, conflict,
    adjustment, draw, publication, stage, criterion, track or the competition's settings, on any
    path (SPEC §7) — appends an entry to the chain in its own transaction, so a head that has not
    moved means the same inputs; a head read before computing can only be older than the data read
    after it, never newer. The digest makes a head unique even where a rolled-back sequence number
    is reused. One value per competition and arguments (a new head replaces it), for the last few
    asked; process-local: nothing pickled or shared. Used for the rankings the officials' pages
    show (``current_ranking``) and the analysis page's bootstrap."""

    COMPETITIONS = 4

    def __init__(self, compute):
        self._compute = compute
        self._lock = threading.Lock()
        self._rankings: OrderedDict[tuple, tuple] = OrderedDict()

    def get(self, competition: Competition, *args):
        using = router.db_for_read(Proposal)
        key, head = (using, competition.pk, *args), chain_head(using)
        with self._lock:
            kept = self._rankings.get(key)
            if kept is not None:
                self._rankings.move_to_end(key)
        if kept is None or kept[0] != head:
            kept = (head, self._compute(competition, *args))
            with self._lock:
                self._rankings[key] = kept
                self._rankings.move_to_end(key)
                while len(self._rankings) > self.COMPETITIONS:
                    self._rankings.popitem(last=False)
        return kept[1]

    def clear(self) -> None:
        with self._lock:
            self._rankings.clear()


recent_rankings = RecentByChainHead(rank_competition)


def current_ranking(competition: Competition) -> CompetitionRanking:
    """``rank_competition(competition)`` for reading (the officials' pages and downloads): the
    same ranking, computed once per change of the database (``RecentByChainHead``). Treat it as
    read-only: the next request may be given the same rows. Publishing ranks afresh."""
    return replace(recent_rankings.get(competition), competition=competition)


def ranking_document(ranking: CompetitionRanking) -> dict:
    """The JSON document of ``rank --json`` (SPEC §6)."""
    return engine.ranking_document(ranking.categories, ranking.competition.slug, ranking.outcome.provinces)


# --- Loading the inputs (one pass per stage) ---------------------------------------------------


def _text(value) -> str | None:
    """A Decimal (or number) as inputs and snapshots hold it: its exact text; None stays None."""
    return None if value is None else format(Decimal(value), "f")


def proposal_key(proposal_id: int, reference: str) -> str:
    """How the inputs and a publication name a proposal: its 접수번호, or ``#id`` without one."""
    return reference or f"#{proposal_id}"


def ranking_inputs(
    competition: Competition, stages=None, *, owed: bool = True, averages: bool = True
) -> engine.RankingInputs:
    """The competition's ``engine.RankingInputs`` as the database holds them now, in a constant
    number of queries per stage. ``stages``: those to load (default every stage, in order).
    ``owed=False`` leaves out the sheets still owed (publishing closes them); ``averages=False``
    skips the tie-break averages (who enters a stage needs none)."""
    if stages is None:
        stages = list(competition.stages.order_by("order"))
    criteria_of = defaultdict(list)
    criterion_ids = defaultdict(list)  # (stage id, code) → the ids of that code in the stage's rubrics
    for stage_id, code, criterion_id in (
        Criterion.objects.filter(rubric__stage__in=stages, tie_break_priority__isnull=False)
        .order_by("rubric__stage_id", "tie_break_priority", "code")
        .values_list("rubric__stage_id", "code", "pk")
    ):
        if code not in criteria_of[stage_id]:
            criteria_of[stage_id].append(code)
        criterion_ids[(stage_id, code)].append(criterion_id)
    proposals = list(
        Proposal.objects.filter(competition=competition)
        .order_by("pk")
        .values_list(
            "pk",
            "reference",
            "applicant__name",
            "applicant__province",
            "title",
            "track__category__code",
            "track__code",
            "status",
            "national_subsidy",
            "local_matching",
            "draw__order",
            "draw__method",
        )
    )
    key_of = {row[0]: proposal_key(row[0], row[1]) for row in proposals}

    sheets, averages_found = [], []
    # The kept-sheet averages of the last stage's tie-break criteria, and of each stage the
    # tie-break chain names by its criteria (SPEC §8.3, "criteria:STAGE").
    chain = competition.tie_break.split(",") if competition.tie_break else []
    averaged = {stage.code for stage in stages[-1:]} | {
        e.split(":", 1)[1] for e in chain if e.startswith("criteria:")
    }
    for stage in stages:
        tie_codes = criteria_of[stage.pk] if averages and stage.code in averaged else []
        by_proposal = defaultdict(list)
        code = stage.code
        for row in _stage_sheets(stage, [criterion_ids[(stage.pk, code)] for code in tie_codes]):
            proposal_id, _sheet_id, total, letter = row[:4]
            key = key_of.get(proposal_id)
            if key is None:
                continue
            if tie_codes:
                by_proposal[proposal_id].append(row[1:])
            sheets.append(
                {
                    "stage": code,
                    "proposal": key,
                    "reviewer": reviewer_code(letter - 1),
                    "total": _cents_text(total),
                }
            )
        if tie_codes:
            averages_found += _kept_averages(competition, stage, by_proposal, tie_codes, key_of)

    missing = []
    if owed:
        stage_codes = {stage.pk: stage.code for stage in stages}
        found = (
            Assignment.objects.owed(competition)
            .filter(stage__in=stages)
            .order_by("stage__order", "proposal_id")
            .values_list("stage_id", "proposal_id")
            .distinct()
        )
        missing = [{"stage": stage_codes[stage_id], "proposal": key_of[pk]} for stage_id, pk in found]

    adjustments = list(
        Adjustment.objects.filter(proposal__competition=competition)
        .order_by("proposal_id", "created_at", "pk")
        .values_list(
            "proposal_id", "points", "reason", "item__code", "item__name", "item__max_points", "item__order"
        )
    )
    inputs = {
        "rules": {
            "trim_min_reviewers": competition.trim_min_reviewers,
            "trim_count": competition.trim_count,
            "adjustment_cap": _text(competition.adjustment_cap),
            "reserve": competition.reserve,
            "minimum_score": _text(competition.minimum_score),
            "final": competition.final_score,
        },
        "stages": [
            {
                "code": stage.code,
                "name": stage.name,
                "order": stage.order,
                "weight": _text(stage.weight),
                "advance_top_multiple": _text(stage.advance_top_multiple),
                "advance_cutoff": _text(stage.advance_cutoff),
                "tie_break_criteria": criteria_of[stage.pk],
            }
            for stage in stages
        ],
        "categories": _categories(competition),
        "proposals": [
            {
                "key": key_of[pk],
                "id": pk,
                "reference": reference,
                "applicant": applicant,
                "province": province,
                "title": title,
                "category": category,
                "track": track,
                "status": status,
                "national_subsidy": _text(national),
                "local_matching": _text(local),
            }
            for pk, reference, applicant, province, title, category, track, status, national, local, *_draw in proposals
        ],
        "sheets": sheets,
        "criterion_averages": averages_found,
        "adjustments": [
            # SPEC §8.4: the item's code only where the entry has one (a free entry's shape is
            # unchanged, so earlier publications' inputs stay as they were)
            {
                "proposal": key_of[pid],
                "points": _text(points),
                "reason": reason,
                **({"item": item} if item else {}),
            }
            for pid, points, reason, item, *_item in adjustments
        ],
        "draws": [
            {"proposal": key_of[row[0]], "order": row[10], "method": row[11]}
            for row in proposals
            if row[10] is not None
        ],
    }
    items = {row[3]: row[3:] for row in adjustments if row[3]}
    if items:  # SPEC §8.4: the items the entries name, in the competition's order
        inputs["adjustment_items"] = [
            {"code": code, "name": name, "max": _text(max_points)}
            for code, name, max_points, _order in sorted(items.values(), key=lambda item: (item[3], item[0]))
        ]
    if competition.tie_break != DEFAULT_TIE_BREAK:  # SPEC §8.3, only where not the default
        inputs["rules"]["tie_break"] = chain
    if competition.max_per_province is not None:  # SPEC §8.2, only where set (as ratio_decimals)
        inputs["rules"]["max_per_province"] = competition.max_per_province
    if competition.ratio_decimals != engine.DEFAULT_RATIO_DECIMALS:
        # SPEC §8.5, only where set: the inputs of a competition without it stay as they were
        # (a publication's correction compares every rule it holds).
        inputs["rules"]["ratio_decimals"] = competition.ratio_decimals
    if missing:  # present only while a sheet is owed: a publication never holds it
        inputs["missing"] = missing
    return inputs


def _stage_sheets(stage, tie_criteria) -> list[tuple]:
    """The counted sheets of ``stage`` (``evaluation.models.scoresheet.counts``) in one query, as
    (proposal id, sheet id, total, n, points of each tie-break criterion…) in sheet order, where
    ``tie_criteria`` lists the ids each tie-break criterion's code has in the stage's rubrics
    (a sheet is scored on one rubric, so each joins at most one score) and n is the reviewer's
    place among the proposal's assignments in the stage (their code, ``evaluation.reviewer_codes``:
    every assignment counts, so the letters are numbered over all of them before the uncounted are
    left out — which is why the rule is a column here, not a filter)."""
    # The tie-break points are joined (one LEFT JOIN each), not looked up by a subquery per row:
    # a third of the query's time on SQLite. Totals and points come as text (``evaluation.cents``).
    points = {
        f"tie_{n}": FilteredRelation("sheet__scores", condition=Q(sheet__scores__criterion_id__in=ids))
        for n, ids in enumerate(tie_criteria)
    }
    assignments = (
        Assignment.objects.filter(stage=stage)
        .annotate(**points)
        .annotate(
            letter=assignment_place(),
            # 1 or 0 (an integer, so no per-row converter): the sheet counts.
            counted=ExpressionWrapper(counts("sheet__", ""), output_field=IntegerField()),
            total_text=as_text("sheet__total"),
            **{f"tie_text_{n}": as_text(f"tie_{n}__points") for n in range(len(tie_criteria))},
        )
    )
    rows = assignments.order_by("proposal_id", "sheet__pk").values_list(
        "proposal_id",
        "sheet__pk",
        "total_text",
        "letter",
        "counted",
        *(f"tie_text_{n}" for n in range(len(tie_criteria))),
    )
    return [
        (proposal_id, sheet_id, cents(total), letter, *map(cents, tie))
        for proposal_id, sheet_id, total, letter, counted, *tie in rows
        if counted
    ]


@functools.lru_cache(maxsize=65536)
def _cents_text(value: Decimal | None) -> str | None:
    """``_text`` of a value ``cents`` made (two places, so equal values have equal texts)."""
    return _text(value)


def _kept_averages(competition, stage, by_proposal, tie_codes, key_of) -> list[dict]:
    """The kept-sheet average of each tie-break criterion (SPEC §4.5), per proposal: the sheets
    ``rules.kept_sheets`` keeps, from rows (sheet id, total, n, points…)."""
    found, trim_min, trim_count = [], competition.trim_min_reviewers, competition.trim_count
    for proposal_id in sorted(by_proposal, key=key_of.__getitem__):
        rows, key = by_proposal[proposal_id], key_of[proposal_id]
        points_of = {row[0]: row[3:] for row in rows}
        kept, _high, _low = rules.kept_sheets(
            [(row[0], row[1]) for row in rows if row[1] is not None], trim_min, trim_count
        )
        for n, code in enumerate(tie_codes):
            values = [points for sheet_id, _total in kept if (points := points_of[sheet_id][n]) is not None]
            if values:
                average = sum(values, Decimal(0)) / len(values)
                found.append(
                    {"stage": stage.code, "proposal": key, "criterion": code, "average": _text(average)}
                )
    return found


def _categories(competition) -> list[dict]:
    """Categories and their tracks, in the order of the competition file (one query)."""
    categories: dict = {}
    for track in (
        Track.objects.filter(category__competition=competition)
        .select_related("category")
        .order_by("category__order", "category__code", "order", "code")
    ):
        category = track.category
        entry = categories.get(category.pk)
        if entry is None:
            entry = categories[category.pk] = {
                "code": category.code,
                "name": category.name,
                "slots": category.slots if category.pools_slots else None,
                "tracks": [],
            }
            if category.max_per_province is not None:  # SPEC §8.2, only where set
                entry["max_per_province"] = category.max_per_province
        entry["tracks"].append(
            {
                "code": track.code,
                "name": track.name,
                "slots": None if category.pools_slots else track.slots,
                "subsidy": _text(track.subsidy),
                "matching_ratio": _text(track.matching_ratio),
            }
        )
    return list(categories.values())
