"""The ranking of a competition (SPEC §4, §6): stage scores from the database, then the pure
rules of ``evaluation.rules`` for advancement, final score, adjustments, tie-breaks and
selection. ``rank_competition`` is what the rank command, the officials' pages, exports and
publications all read; ``ranking_document`` is its JSON form (SPEC §6)."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from proposals.models import Competition, Proposal

from . import rules
from .models import Adjustment, Criterion, Draw, Stage
from .queries import competition_overview, criterion_averages, stage_results

ELIMINATED, INELIGIBLE, WITHDRAWN = "eliminated", "ineligible", "withdrawn"
# SPEC §8.2 and §8.6: statuses of the province cap and of an evaluation still under way. This
# ranking does not produce them yet; pages and exports already name them.
OVER_CAP, PENDING = "over_cap", "pending"

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


def tie_break_label(rule: str | None) -> str:
    """The rule that separated a proposal from the one ranked directly above it (SPEC §4.5)."""
    if not rule:
        return ""
    if rule.startswith("criterion:"):
        return _("Criterion %(code)s average") % {"code": rule.split(":", 1)[1]}
    labels = {
        "subsidy": _("Requested national subsidy"),
        "draw": _("Draw"),
        "unresolved": _("Tied"),
    }
    return labels.get(rule, rule)


@dataclass
class RankedProposal:
    id: int
    reference: str
    applicant: str
    title: str
    track: str
    national_subsidy: Decimal
    local_matching: Decimal
    stage_scores: dict = field(default_factory=dict)  # stage code → exact score or None
    adjustment: Decimal = Decimal(0)
    score: Decimal | None = None  # final, adjustments included, exact
    rank: int | None = None
    status: str = ""
    tie_break: str | None = None

    @property
    def shown_score(self) -> str | None:
        return None if self.score is None else f"{rules.round_half_up(self.score):.2f}"


@dataclass
class TrackRanking:
    code: str
    name: str
    applicants: int
    slots: int | None
    ratio: str | None
    subsidy: Decimal
    matching_ratio: Decimal
    ranking: list[RankedProposal] = field(default_factory=list)


@dataclass
class CategoryRanking:
    code: str
    name: str
    applicants: int
    slots: int
    ratio: str | None
    pooled: bool
    tracks: list[TrackRanking] = field(default_factory=list)
    ranking: list[RankedProposal] = field(default_factory=list)  # the pooled ranking, if pooled


@dataclass
class CompetitionRanking:
    competition: Competition
    stages: list[Stage]
    categories: list[CategoryRanking]

    def proposals(self):
        for category in self.categories:
            for track in category.tracks:
                yield from track.ranking

    @property
    def draws_required(self) -> list[RankedProposal]:
        return [row for row in self.proposals() if row.status == rules.DRAW_REQUIRED]


def rank_competition(competition: Competition) -> CompetitionRanking:
    stages = list(competition.stages.order_by("order"))
    proposals = list(
        Proposal.objects.filter(competition=competition)
        .select_related("applicant", "track__category")
        .order_by("pk")
    )
    eligible = [p for p in proposals if p.status == Proposal.Status.SUBMITTED]
    rows = {
        p.pk: RankedProposal(
            id=p.pk,
            reference=p.reference,
            applicant=p.applicant.name,
            title=p.title,
            track=p.track.code,
            national_subsidy=p.national_subsidy,
            local_matching=p.local_matching,
        )
        for p in proposals
    }
    group_of = {p.pk: _group_key(p) for p in proposals}
    slots_of = {}
    for p in proposals:
        category = p.track.category
        slots_of[group_of[p.pk]] = category.slots if category.pools_slots else p.track.slots

    # Stages: each one scores those still in; all but the last advance some of them.
    entrants, results_by_stage = _run_stages(stages, {p.pk for p in eligible}, group_of, slots_of)
    for stage in stages:
        for pk in entrants[stage.code]:
            result = results_by_stage[stage.code].get(pk)
            rows[pk].stage_scores[stage.code] = result.score if result else None
    alive = set(entrants[stages[-1].code]) if stages else set()  # who reached the last stage
    for pk in {p.pk for p in eligible} - alive:
        rows[pk].status = ELIMINATED
    last_results = results_by_stage[stages[-1].code] if stages else {}
    # Final score with adjustments.
    adjustments = dict(
        Adjustment.objects.filter(proposal__competition=competition)
        .values("proposal_id")
        .annotate(total=Sum("points"))
        .values_list("proposal_id", "total")
    )
    weighted = competition.final_score == Competition.FinalScore.WEIGHTED
    for pk in alive:
        row = rows[pk]
        base = rules.final_score([(row.stage_scores.get(s.code), s.weight) for s in stages], weighted)
        if base is None:
            row.status = ELIMINATED
            continue
        row.adjustment = rules.capped_adjustment(
            [Decimal(adjustments.get(pk) or 0)], competition.adjustment_cap
        )
        row.score = base + row.adjustment
    ranked_ids = [pk for pk in alive if rows[pk].score is not None]

    # Rank and select per quota.
    draws = dict(Draw.objects.filter(proposal__competition=competition).values_list("proposal_id", "order"))
    tie_criteria = _tie_break_criteria(stages[-1] if stages else None)
    by_group = defaultdict(list)
    for pk in ranked_ids:
        by_group[group_of[pk]].append(pk)
    for key, ids in by_group.items():
        averages = _averages_for_ties(ids, rows, last_results, tie_criteria)
        contenders = [
            rules.Contender(
                key=pk,
                score=rows[pk].score,
                criteria=tuple((code, averages.get((pk, code))) for code in tie_criteria),
                subsidy=rows[pk].national_subsidy,
                draw=draws.get(pk),
            )
            for pk in ids
        ]
        placed = rules.rank_contenders(contenders)
        statuses = rules.select(placed, slots_of[key] or 0, competition.reserve, competition.minimum_score)
        for item in placed:
            row = rows[item.contender.key]
            row.rank, row.tie_break, row.status = item.rank, item.tie_break, statuses[item.contender.key]
    for p in proposals:
        if p.status == Proposal.Status.INELIGIBLE:
            rows[p.pk].status = INELIGIBLE
        elif p.status == Proposal.Status.WITHDRAWN:
            rows[p.pk].status = WITHDRAWN
        if rows[p.pk].status in (ELIMINATED, INELIGIBLE, WITHDRAWN):
            rows[p.pk].score, rows[p.pk].rank, rows[p.pk].tie_break = None, None, None

    return CompetitionRanking(competition, stages, _arrange(competition, proposals, rows))


def _run_stages(stages, eligible_ids: set, group_of: dict, slots_of: dict, *, score_last: bool = True):
    """Who entered each stage, and each stage's results: the first stage takes every eligible
    proposal; each later one those the stage before advanced (SPEC §4.3). With
    ``score_last=False`` the last stage is entered but not scored (who reached it is all asked)."""
    entrants, results_by_stage = {}, {}
    alive = set(eligible_ids)
    for index, stage in enumerate(stages):
        entrants[stage.code] = alive
        if index == len(stages) - 1 and not score_last:
            break
        results_by_stage[stage.code] = stage_results(stage)
        if index < len(stages) - 1:
            alive = _advancing(stage, alive, results_by_stage[stage.code], group_of, slots_of)
    return entrants, results_by_stage


def _advancing(stage, alive, results, group_of, slots_of) -> set:
    by_group = defaultdict(dict)
    for pk in alive:
        result = results.get(pk)
        if result is not None and result.score is not None:
            by_group[group_of[pk]][pk] = result.score
    advancing = set()
    for key, scores in by_group.items():
        advancing |= rules.advancing(scores, slots_of[key], stage.advance_top_multiple, stage.advance_cutoff)
    return advancing


def stage_entrants(stage: Stage) -> set[int]:
    """Ids of the eligible proposals that reached ``stage``."""
    competition = stage.competition
    stages = [s for s in competition.stages.order_by("order") if s.order <= stage.order]
    proposals = list(
        Proposal.objects.filter(competition=competition, status=Proposal.Status.SUBMITTED).select_related(
            "track__category"
        )
    )
    group_of = {p.pk: _group_key(p) for p in proposals}
    slots_of = {
        group_of[p.pk]: (p.track.category.slots if p.track.category.pools_slots else p.track.slots)
        for p in proposals
    }
    # Only earlier stages' results are needed: the stage itself decides nothing about entry.
    entrants, _results = _run_stages(stages, set(group_of), group_of, slots_of, score_last=False)
    return entrants[stage.code]


def _group_key(proposal) -> tuple:
    category = proposal.track.category
    return ("category", category.pk) if category.pools_slots else ("track", proposal.track_id)


def _tie_break_criteria(stage) -> list[str]:
    if stage is None:
        return []
    codes = (
        Criterion.objects.filter(rubric__stage=stage, tie_break_priority__isnull=False)
        .order_by("tie_break_priority", "code")
        .values_list("code", flat=True)
    )
    return list(dict.fromkeys(codes))


def _averages_for_ties(ids, rows, results, criteria) -> dict:
    """Kept-sheet criterion averages, fetched only for proposals that share a rounded score."""
    if not criteria:
        return {}
    seen = defaultdict(list)
    for pk in ids:
        seen[rules.round_half_up(rows[pk].score)].append(pk)
    tied = [pk for group in seen.values() if len(group) > 1 for pk in group]
    if not tied:
        return {}
    sheet_ids = [sheet_id for pk in tied if pk in results for sheet_id, _total in results[pk].kept]
    return criterion_averages(sheet_ids)


def _order_key(row: RankedProposal):
    order = ["selected", "draw_required", "reserve", "not_selected", "below_minimum"]
    if row.rank is not None:
        return (0, row.rank, row.reference, row.id)
    tail = [ELIMINATED, INELIGIBLE, WITHDRAWN]
    return (1, tail.index(row.status) if row.status in tail else len(order), row.reference, row.id)


def _arrange(competition, proposals, rows) -> list[CategoryRanking]:
    """The ranked rows under their categories and tracks, with applicants, slots and ratios
    from ``competition_overview`` (one place computes those)."""
    by_track = defaultdict(list)
    for p in proposals:
        by_track[p.track_id].append(rows[p.pk])
    arranged = []
    for overview in competition_overview(competition):
        category = CategoryRanking(
            code=overview.code,
            name=overview.name,
            applicants=overview.applicants,
            slots=overview.slots,
            ratio=overview.ratio,
            pooled=overview.pooled,
        )
        for entry in overview.tracks:
            track = entry.track
            category.tracks.append(
                TrackRanking(
                    code=track.code,
                    name=track.name,
                    applicants=entry.applicants,
                    slots=entry.slots,
                    ratio=entry.ratio,
                    subsidy=track.subsidy,
                    matching_ratio=track.matching_ratio,
                    ranking=sorted(by_track[track.pk], key=_order_key),
                )
            )
        if category.pooled:
            category.ranking = sorted((row for t in category.tracks for row in t.ranking), key=_order_key)
        arranged.append(category)
    return arranged


def ranking_document(ranking: CompetitionRanking) -> dict:
    """The JSON document of ``rank --json`` (SPEC §6)."""

    def proposal(row: RankedProposal) -> dict:
        return {
            "rank": row.rank,
            "reference": row.reference,
            "applicant": row.applicant,
            "title": row.title,
            "score": row.shown_score,
            "status": row.status,
            "tie_break": row.tie_break,
        }

    return {
        "competition": ranking.competition.slug,
        "categories": [
            {
                "code": category.code,
                "name": category.name,
                "applicants": category.applicants,
                "slots": category.slots,
                "ratio": category.ratio,
                "tracks": [
                    {
                        "code": track.code,
                        "name": track.name,
                        "applicants": track.applicants,
                        "slots": track.slots,
                        "ratio": track.ratio,
                        "ranking": [proposal(row) for row in track.ranking],
                    }
                    for track in category.tracks
                ],
            }
            for category in ranking.categories
        ],
    }
