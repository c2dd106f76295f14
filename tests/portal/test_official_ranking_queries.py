"""The ranking page runs a constant number of queries, whatever the number of proposals, and shows a
page of rows per ranking (SPEC §4.5–§4.7)."""

import random
from collections import Counter
from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from evaluation.models import Adjustment, Assignment, Criterion, Score, Scoresheet
from portal.official.views import RANKING_PAGE
from proposals.models import Applicant, Proposal, Track

pytestmark = pytest.mark.django_db

# Session and user, then rank_competition (stages, tie-break criteria, proposals with their draws,
# one query per stage for its counted sheets, their reviewer letters and tie-break points, the
# sheets still owed, tracks, adjustments) and the page's own: the same at 20 and 2,000 proposals.
MAX_QUERIES = 14


def bulk_world(competition, stage, criteria, reviewers, count, official):
    """``count`` proposals over the three tracks, three submitted sheets each (totals from a small
    range, so ties occur and the tie-break criteria are read), scores for C1/C2, a few adjustments."""
    rng = random.Random(count)
    tracks = list(Track.objects.filter(category__competition=competition).order_by("code"))
    applicants = Applicant.objects.bulk_create(
        [Applicant(province="시험", name=f"대량시 {number:05d}") for number in range(count)]
    )
    proposals = Proposal.objects.bulk_create(
        [
            Proposal(
                competition=competition,
                track=tracks[number % len(tracks)],
                applicant=applicant,
                reference=f"B-{number:05d}",
                title=f"대량 사업 {number}",
                national_subsidy=Decimal(100 + number % 3),
                local_matching=Decimal(100),
                status=Proposal.Status.WITHDRAWN if number % 17 == 0 else Proposal.Status.SUBMITTED,
            )
            for number, applicant in enumerate(applicants)
        ]
    )
    assignments = Assignment.objects.bulk_create(
        [
            Assignment(stage=stage, proposal=proposal, reviewer=reviewer)
            for proposal in proposals
            for reviewer in reviewers
        ]
    )
    points = {
        assignment.pk: [Decimal(rng.randint(30, 40)) for _criterion in criteria] for assignment in assignments
    }
    sheets = Scoresheet.objects.bulk_create(
        [
            Scoresheet(
                assignment=assignment, status=Scoresheet.Status.SUBMITTED, total=sum(points[assignment.pk])
            )
            for assignment in assignments
        ]
    )
    Score.objects.bulk_create(
        [
            Score(sheet=sheet, criterion=criterion, points=value)
            for sheet in sheets
            for criterion, value in zip(criteria, points[sheet.assignment_id], strict=True)
        ],
        batch_size=2000,
    )
    Adjustment.objects.bulk_create(
        [
            Adjustment(proposal=proposal, points=Decimal("1.5"), reason="가점", recorded_by=official)
            for proposal in proposals[::50]
        ]
    )


@pytest.mark.parametrize("count", [20, 2000])
def test_ranking_page_queries_do_not_grow_with_proposals(
    client,
    competition,
    stage,
    make_criteria,
    make_reviewer,
    user_factory,
    django_assert_max_num_queries,
    count,
):
    criteria = make_criteria(2, max_points=Decimal(50))
    Criterion.objects.filter(pk=criteria[1].pk).update(tie_break_priority=1)
    reviewers = [make_reviewer(f"r{number}") for number in range(3)]
    official = user_factory(Role.OFFICIAL, "official-kim")
    bulk_world(competition, stage, criteria, reviewers, count, official)
    client.force_login(official)
    url = reverse("official:ranking", args=[competition.slug])
    with django_assert_max_num_queries(MAX_QUERIES):
        response = client.get(url + "?track-hub-sort=-score")
    assert response.status_code == 200
    # Each ranking shows a page of RANKING_PAGE rows; the downloads hold them all.
    per_track = Counter(
        Proposal.objects.filter(competition=competition).values_list("track__code", flat=True)
    )
    html = response.content.decode()
    assert html.count('data-status="') == sum(min(RANKING_PAGE, n) for n in per_track.values())
    if per_track["hub"] > RANKING_PAGE:
        with django_assert_max_num_queries(MAX_QUERIES):
            second = client.get(url + "?track-hub-sort=-score&track-hub-page=2").content.decode()
        shown = min(RANKING_PAGE, per_track["hub"] - RANKING_PAGE) + sum(
            min(RANKING_PAGE, n) for code, n in per_track.items() if code != "hub"
        )
        assert second.count('data-status="') == shown
        assert 'class="krds-pagination"' in html


# The ranking queries above, then per stage three for the reviewers' totals (codes, assignments
# with their sheets, stage results).
MAX_EXPORT_QUERIES = MAX_QUERIES + 3


@pytest.mark.parametrize("count", [20, 2000])
def test_reviewer_totals_download_queries_do_not_grow_with_proposals(
    client,
    competition,
    stage,
    make_criteria,
    make_reviewer,
    user_factory,
    django_assert_max_num_queries,
    count,
):
    criteria = make_criteria(2, max_points=Decimal(50))
    reviewers = [make_reviewer(f"r{number}") for number in range(3)]
    official = user_factory(Role.OFFICIAL, "official-kim")
    bulk_world(competition, stage, criteria, reviewers, count, official)
    client.force_login(official)
    url = reverse("official:reviewer-totals-csv", args=[competition.slug])
    with django_assert_max_num_queries(MAX_EXPORT_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + 3 * count  # a header, then every assignment
    assert [line.split(",")[5] for line in lines[1:4]] == ["A", "B", "C"]
