"""The officials' analysis page (issue 13): reviewer leniency, agreement, outlier sheets, each
proposal's sheet totals, decision stability and margins of a competition, with server-rendered SVG
charts (``charts``) and the tables beside them. Advisory only: nothing here changes a score or a
published result.

The bootstrap runs the competition's ``analysis_rounds`` from its ``analysis_seed`` (as ``manage.py
analyze`` does without options), and the page says which. The sheet totals show ``DOT_ROWS``
proposals per stage at a time, highest stage score first, in pages (``?dots=N``, one page number
for every stage): a competition may have 2,000 proposals."""

from decimal import Decimal

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from accounts.decorators import role_required
from evaluation import analysis, rules
from evaluation.analysis_service import current_analysis, sheet_totals, threshold_share
from proposals.models import Competition

from . import charts
from .views import OFFICIALS

# Proposals per stage in the sheet totals' chart and table (a page of them; ``?dots=N``).
DOT_ROWS = 40


def _reviewer_label(email: str) -> str:
    """A chart label: the e-mail's local part (the table beside the chart has the whole address)."""
    return email.split("@", 1)[0]


def _sheet_totals(rows: list[dict], maximum: Decimal, page_number) -> dict:
    """A page of a stage's proposals (``analysis_service.sheet_totals``): the dot chart and the
    table beside it, totals and scores with two decimals as the analysis reports them."""
    page = Paginator(rows, DOT_ROWS).get_page(page_number)
    shown = [
        {
            "reference": row["reference"],
            "applicant": row["applicant"],
            "score": analysis.two(row["score"]),
            "totals": [
                {"total": analysis.two(total), "dropped": dropped} for total, dropped in row["totals"]
            ],
        }
        for row in page.object_list
    ]
    chart = charts.dot_chart(
        [
            (row["reference"], row["score"], [(sheet["total"], sheet["dropped"]) for sheet in row["totals"]])
            for row in shown
        ],
        maximum,
    )
    return {"chart": chart, "rows": shown, "page": page, "maximum": rules.plain_number(maximum)}


@role_required(*OFFICIALS)
def analysis_page(request, slug):
    competition = get_object_or_404(Competition, slug=slug)
    found = current_analysis(competition)
    stages, inputs, max_totals, result = found.stages, found.inputs, found.max_totals, found.result
    share = threshold_share(competition)
    rounds, seed = found.rounds, found.seed
    totals = sheet_totals(competition, stages)
    dots_page = request.GET.get("dots")
    stage_names = {stage.code: stage.name for stage in stages}
    proposal_ids = {p["reference"] or p["key"]: p["id"] for p in inputs["proposals"]}
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
                # Each outlier sheet links to its proposal's page, where the official may reopen the
                # sheet with a written reason and so ask the reviewer to reconsider.
                "outlier_sheets": [
                    {**sheet, "proposal_id": proposal_ids.get(sheet["reference"])}
                    for sheet in stage["outlier_sheets"]
                ],
                "name": stage_names.get(stage["code"], stage["code"]),
                "threshold": rules.plain_number(Decimal(analysis.two(threshold))),  # 10.00 → 10
                "chart": chart,
                "totals": _sheet_totals(totals.get(stage["code"], []), maximum, dots_page),
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
        "rounds": rounds,
        "seed": seed,
        "threshold_percent": rules.plain_number(competition.deviation_threshold),
    }
    return render(request, "portal/official/analysis.html", context)
