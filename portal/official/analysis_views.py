"""The officials' analysis page (issue 13): reviewer leniency, agreement, outlier sheets, decision
stability and margins of a competition, with two server-rendered SVG charts (``charts``) and the
tables beside them. Advisory only: nothing here changes a score or a published result."""

from decimal import Decimal

from django.shortcuts import get_object_or_404, render

from accounts.decorators import role_required
from evaluation import analysis, rules
from evaluation.analysis_service import analysis_inputs, threshold_share
from proposals.models import Competition

from . import charts
from .views import OFFICIALS

# The page resamples fewer rounds than ``analyze`` (1,000) to stay quick; it says how many and the
# seed, so ``manage.py analyze --rounds 200`` repeats it.
PAGE_ROUNDS = 200
PAGE_SEED = analysis.DEFAULT_SEED


def _reviewer_label(email: str) -> str:
    """A chart label: the e-mail's local part (the table beside the chart has the whole address)."""
    return email.split("@", 1)[0]


@role_required(*OFFICIALS)
def analysis_page(request, slug):
    competition = get_object_or_404(Competition, slug=slug)
    stages = list(competition.stages.order_by("order"))
    inputs, names, max_totals = analysis_inputs(competition, stages)
    share = threshold_share(competition)
    result = analysis.analyze(
        inputs,
        slug=competition.slug,
        max_totals=max_totals,
        names=names,
        rounds=PAGE_ROUNDS,
        seed=PAGE_SEED,
        threshold_share=share,
    )
    stage_names = {stage.code: stage.name for stage in stages}
    sections = []
    for stage in result["stages"]:
        maximum = Decimal(max_totals.get(stage["code"], analysis.DEFAULT_MAX_TOTAL))
        threshold = maximum * share
        chart = charts.leniency_chart(
            [
                (_reviewer_label(row["email"]), row["mean_deviation"], row["flagged"])
                for row in stage["reviewers"]
            ],
            threshold,
        )
        sections.append(
            {
                **stage,
                "name": stage_names.get(stage["code"], stage["code"]),
                "threshold": rules.plain_number(Decimal(analysis.two(threshold))),  # 10.00 → 10
                "chart": chart,
            }
        )
    applicants = {p["reference"] or p["key"]: p["applicant"] for p in inputs["proposals"]}
    stability = [{**row, "applicant": applicants.get(row["reference"], "")} for row in result["stability"]]
    context = {
        "competition": competition,
        "sections": sections,
        "stability": stability,
        "stability_chart": charts.stability_chart(
            [(row["reference"], row["selected_share"], row["loo_changes_selection"]) for row in stability]
        ),
        "margins": result["margins"],
        "light_matches_engine": result["light_matches_engine"],
        "rounds": PAGE_ROUNDS,
        "seed": PAGE_SEED,
        "threshold_percent": rules.plain_number(competition.deviation_threshold),
    }
    return render(request, "portal/official/analysis.html", context)
