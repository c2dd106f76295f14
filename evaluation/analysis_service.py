"""The inputs of the issue-13 analysis read from the database, shared by ``manage.py analyze`` and
the officials' analysis page (``portal.official.analysis_views``). ``evaluation.analysis`` stays
pure; this module only gathers what it needs."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Sum

from evaluation.models import Criterion, Reviewer
from evaluation.ranking import proposal_key, ranking_inputs
from evaluation.reviewer_codes import stage_reviewer_codes
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


def threshold_share(competition) -> Decimal:
    """The competition's ``deviation_threshold`` (a percentage of the stage's maximum total) as the
    share ``evaluation.analysis.analyze`` takes: 10 → 0.10."""
    return Decimal(competition.deviation_threshold) / 100
