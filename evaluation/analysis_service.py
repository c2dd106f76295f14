"""The inputs of the issue-13 analysis read from the database, shared by ``manage.py analyze`` and
the officials' analysis page (``portal.official.analysis_views``). ``evaluation.analysis`` stays
pure; this module only gathers what it needs."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from evaluation import analysis
from evaluation.models import Criterion, Reviewer
from evaluation.ranking import RecentByChainHead, proposal_key, ranking_inputs
from evaluation.reviewer_codes import stage_reviewer_codes
from evaluation.stage_scores import stage_results
from proposals.models import Proposal


def analysis_inputs(competition, stages) -> tuple[dict, dict, dict]:
    """(the ranking inputs with each sheet's ``reviewer_id``, {reviewer id: e-mail}, {stage code:
    maximum total}). A reviewer's code names them only within a proposal and stage, so the
    identity is read from the assignments (``stage_reviewer_codes``)."""
    inputs = ranking_inputs(competition, stages)
    keys = {
        pk: proposal_key(pk, reference)
        for pk, reference in Proposal.objects.filter(competition=competition).values_list("pk", "reference")
    }
    reviewer_of = {}
    for stage in stages:
        for proposal_id, codes in stage_reviewer_codes(stage).items():
            for reviewer_id, code in codes.items():
                reviewer_of[(stage.code, keys.get(proposal_id), code)] = reviewer_id
    inputs["sheets"] = [
        {**sheet, "reviewer_id": reviewer_of[(sheet["stage"], sheet["proposal"], sheet["reviewer"])]}
        for sheet in inputs["sheets"]
    ]
    names = dict(Reviewer.objects.filter(pk__in=set(reviewer_of.values())).values_list("pk", "email"))
    sums = defaultdict(Decimal)  # a stage's maximum total: the largest of its rubrics' sums
    for stage_code, total in (
        Criterion.objects.filter(rubric__stage__in=stages)
        .order_by()
        .values("rubric_id", "rubric__stage__code")
        .annotate(total=Sum("max_points"))
        .values_list("rubric__stage__code", "total")
    ):
        sums[stage_code] = max(sums[stage_code], Decimal(total))
    return inputs, names, dict(sums)


@dataclass
class CompetitionAnalysis:
    """``analysis.analyze`` of a competition as the database holds it, with what it was run on."""

    result: dict
    inputs: dict
    max_totals: dict
    stages: list
    rounds: int
    seed: int


def analyze_competition(
    competition, rounds: int | None = None, seed: int | None = None
) -> CompetitionAnalysis:
    """The analysis of ``competition`` with ``rounds`` and ``seed`` (default: its ``analysis_rounds``
    and ``analysis_seed``), for ``manage.py analyze`` and the officials' page."""
    rounds = competition.analysis_rounds if rounds is None else rounds
    seed = competition.analysis_seed if seed is None else seed
    stages = list(competition.stages.order_by("order"))
    inputs, names, max_totals = analysis_inputs(competition, stages)
    result = analysis.analyze(
        inputs,
        slug=competition.slug,
        max_totals=max_totals,
        names=names,
        rounds=rounds,
        seed=seed,
        threshold_share=threshold_share(competition),
    )
    return CompetitionAnalysis(result, inputs, max_totals, stages, rounds, seed)


# The page's analysis, computed once per change of the database: the bootstrap of a large
# competition takes seconds (2,000 proposals × 7 sheets × 1,000 rounds ≈ 3–8 s).
recent_analyses = RecentByChainHead(analyze_competition)


def current_analysis(competition) -> CompetitionAnalysis:
    """``analyze_competition`` with the competition's settings, for reading (the officials' page):
    the same analysis until anything it depends on changes (``ranking.RecentByChainHead``)."""
    return recent_analyses.get(competition)


def threshold_share(competition) -> Decimal:
    """The competition's ``deviation_threshold`` (a percentage of the stage's maximum total) as the
    share ``evaluation.analysis.analyze`` takes: 10 → 0.10."""
    return Decimal(competition.deviation_threshold) / 100


def sheet_totals(competition, stages) -> dict:
    """{stage code: [{"reference", "applicant", "score", "totals"}]} — each proposal with counted
    sheets in the stage, its stage score (the trimmed mean, exact) and its sheets' totals, highest
    first, each (total, dropped) with dropped "high", "low" or "" as the trimmed mean
    (``rules.kept_sheets`` through ``stage_scores.stage_results``) drops it; highest score first.
    One query for the proposals and one per stage (the totals are summed in the database)."""
    proposals = {
        pk: (proposal_key(pk, reference), applicant)
        for pk, reference, applicant in Proposal.objects.filter(competition=competition).values_list(
            "pk", "reference", "applicant__name"
        )
    }
    found = {}
    for stage in stages:
        rows = []
        for proposal_id, result in stage_results(stage).items():
            if proposal_id not in proposals:
                continue
            reference, applicant = proposals[proposal_id]
            marks = {sheet_id: "high" for sheet_id, _total in result.dropped_high}
            marks.update({sheet_id: "low" for sheet_id, _total in result.dropped_low})
            sheets = [*result.kept, *result.dropped_high, *result.dropped_low]
            totals = [
                (total, marks.get(sheet_id, ""))
                for sheet_id, total in sorted(sheets, key=lambda item: (-item[1], item[0]))
            ]
            rows.append(
                {"reference": reference, "applicant": applicant, "score": result.score, "totals": totals}
            )
        rows.sort(key=lambda row: (row["score"] is None, -(row["score"] or 0), row["reference"]))
        found[stage.code] = rows
    return found
