"""A stage's scores with the sheets behind them (SPEC §4.2), for the pages and exports that show
which sheets counted: the counted sheets (``Scoresheet.objects.counted``), trimmed by
``rules.kept_sheets`` — the one statement of the trim — and the kept sheets' criterion averages.
The ranking itself ranks ``evaluation.engine``'s inputs; both trim with the same rule."""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, IntegerField, Sum
from django.db.models.functions import Cast, Round

from . import rules
from .cents import as_text, cents
from .models import Score, Scoresheet


@dataclass
class StageResult:
    """A proposal's stage score (exact) and which submitted sheets counted."""

    score: Decimal | None
    kept: list  # [(sheet id, total)] from the lowest total
    dropped_high: list
    dropped_low: list


def counted_sheets(stage):
    """Submitted sheets of ``stage`` that count: never a conflicted reviewer's (SPEC §4.2)."""
    return Scoresheet.objects.counted().filter(assignment__stage=stage)


def stage_results(stage, proposal_ids=None) -> dict:
    """{proposal id: StageResult} of ``stage`` (or of ``proposal_ids``), in one query."""
    competition = stage.competition
    sheets = counted_sheets(stage)
    if proposal_ids is not None:
        sheets = sheets.filter(assignment__proposal_id__in=list(proposal_ids))
    totals = defaultdict(list)
    for proposal_id, sheet_id, total in sheets.order_by("assignment__proposal_id", "pk").values_list(
        "assignment__proposal_id", "pk", as_text("total")
    ):
        if total is not None:
            totals[proposal_id].append((sheet_id, cents(total)))
    results = {}
    for proposal_id, found in totals.items():
        kept, high, low = rules.kept_sheets(found, competition.trim_min_reviewers, competition.trim_count)
        score = sum((total for _id, total in kept), Decimal(0)) / len(kept) if kept else None
        results[proposal_id] = StageResult(score, kept, high, low)
    return results


def criterion_averages(sheet_ids, batch: int = 2000) -> dict:
    """Average points per (proposal id, criterion code) over the given (kept) sheets, each
    criterion over the sheets that hold points for it (as the ranking's tie-break averages).

    Summed in the database as whole hundredths (points have two decimal places), so the sums are
    exact on every backend (SQLite holds decimals as binary floats) and come back as integers.
    The ids go in batches: SQLite plans a long literal IN list very badly (14,000 ids took 20 s,
    the same in batches of 2,000 under a second), and a sheet's scores never span two batches.
    """
    sums: dict = {}
    ids = list(sheet_ids)
    for start in range(0, len(ids), batch):
        rows = (
            Score.objects.filter(sheet_id__in=ids[start : start + batch])
            .order_by()  # Score's default ordering would add joins to the GROUP BY
            .values("sheet__assignment__proposal_id", "criterion__code")
            .annotate(
                hundredths=Sum(Cast(Round(F("points") * 100), IntegerField())),
                sheets=Count("points"),
            )
            .values_list("sheet__assignment__proposal_id", "criterion__code", "hundredths", "sheets")
        )
        for proposal_id, code, hundredths, sheets in rows:
            if hundredths is None:
                continue
            key = (proposal_id, code)
            summed, counted = sums.get(key, (0, 0))
            sums[key] = (summed + hundredths, counted + sheets)
    return {key: Decimal(hundredths) / (100 * sheets) for key, (hundredths, sheets) in sums.items() if sheets}
