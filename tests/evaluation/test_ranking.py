"""The ranking engine on the database: stage scores, statuses, order and the pooled quota."""

from decimal import Decimal

import pytest

from evaluation.models import Adjustment, Conflict
from evaluation.ranking import rank_competition, ranking_document
from proposals.models import Proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(
    competition,
    stage,
    make_criteria,
    make_reviewer,
    make_proposal,
    make_assignment,
    submit_sheet,
    user_factory,
):
    """Hub: five proposals scored by five reviewers (one conflicted on the first), one withdrawn."""
    make_criteria(2, max_points=Decimal(50))
    reviewers = [make_reviewer(f"r{n}") for n in range(5)]
    totals = {
        "A": [(40, 45), (45, 45), (40, 40), (30, 30), (50, 50)],  # 85, 90, 80, 60, 100 → trimmed 85
        "B": [(40, 40)] * 5,  # 80
        "C": [(30, 30)] * 5,  # 60
        "D": [(20, 25)] * 5,  # 45: below the minimum of 60
    }
    proposals = {}
    for reference, sheets in totals.items():
        proposal = make_proposal(reference=reference, applicant=f"{reference}시")
        proposals[reference] = proposal
        for reviewer, points in zip(reviewers, sheets, strict=True):
            submit_sheet(make_assignment(proposal, reviewer), list(points))
    proposals["W"] = make_proposal(reference="W", applicant="W시", status=Proposal.Status.WITHDRAWN)
    proposals["I"] = make_proposal(reference="I", applicant="I시", status=Proposal.Status.INELIGIBLE)
    return proposals


def hub_rows(competition):
    ranking = rank_competition(competition)
    hub = next(track for category in ranking.categories for track in category.tracks if track.code == "hub")
    return [(row.reference, row.rank, row.shown_score, row.status, row.tie_break) for row in hub.ranking]


def test_statuses_scores_and_order(competition, scored):
    # A: 85, 90, 80, 60, 100 → the highest and lowest dropped → 85.00
    assert hub_rows(competition) == [
        ("A", 1, "85.00", "selected", None),
        ("B", 2, "80.00", "selected", None),
        ("C", 3, "60.00", "reserve", None),  # the minimum is 60: reached
        ("D", 4, "45.00", "below_minimum", None),  # ranked, never selected
        ("I", None, None, "ineligible", None),  # SPEC §6: eliminated, ineligible, withdrawn follow
        ("W", None, None, "withdrawn", None),
    ]


def test_a_conflicted_reviewers_sheet_never_counts(competition, scored):
    reviewer = scored["A"].assignments.order_by("pk").last().reviewer  # gave A 100
    Conflict.objects.create(
        proposal=scored["A"], reviewer=reviewer, kind=Conflict.Kind.CHALLENGED, reason="기피"
    )
    rows = {ref: score for ref, _rank, score, _status, _rule in hub_rows(competition)}
    assert rows["A"] == "78.75"  # four sheets left: (85 + 90 + 80 + 60) / 4, no trimming below five


def test_adjustments_apply_after_aggregation_within_the_cap(competition, scored, user_factory):
    official = user_factory(None, "kim")
    Adjustment.objects.create(proposal=scored["B"], points=Decimal(4), reason="가점", recorded_by=official)
    Adjustment.objects.create(proposal=scored["B"], points=Decimal(3), reason="가점", recorded_by=official)
    rows = {ref: (rank, score, status, rule) for ref, rank, score, status, rule in hub_rows(competition)}
    # B: 80 + min(4 + 3, 5) = 85.00, equal to A; no tie-break criterion, same subsidy, no draw
    assert rows["B"][:3] == (1, "85.00", "selected") and rows["A"][:3] == (1, "85.00", "selected")
    assert {rows["A"][3], rows["B"][3]} == {None, "unresolved"}
    assert rows["C"][:3] == (3, "60.00", "reserve")


def test_pooled_category_ranks_across_its_tracks(
    competition, stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet
):
    small = competition.categories.get(code="small")
    small.slots = 3
    small.save()
    small.tracks.update(slots=None)
    make_criteria(2, max_points=Decimal(50))
    reviewer = make_reviewer("solo")
    for reference, track, points in (
        ("c1", "climate", 45),
        ("d1", "depopulation", 48),
        ("d2", "depopulation", 44),
        ("c2", "climate", 40),
    ):
        proposal = make_proposal(track=track, reference=reference, applicant=reference)
        submit_sheet(make_assignment(proposal, reviewer), [points, points])
    document = ranking_document(rank_competition(competition))
    category = next(c for c in document["categories"] if c["code"] == "small")
    assert (category["slots"], category["ratio"]) == (3, "1.3:1")
    tracks = {t["code"]: t for t in category["tracks"]}
    assert tracks["climate"]["slots"] is None and tracks["climate"]["ratio"] is None
    ranks = {row["reference"]: (row["rank"], row["status"]) for t in tracks.values() for row in t["ranking"]}
    assert ranks == {
        "d1": (1, "selected"),
        "c1": (2, "selected"),
        "d2": (3, "selected"),
        "c2": (4, "reserve"),
    }
