"""Competition ratio (SPEC §4.7) as a pure function, and from imported data."""

from io import StringIO

import pytest
from django.core.management import call_command

from evaluation.queries import competition_overview
from evaluation.rules import competition_ratio
from proposals.models import Proposal
from tests.conftest import APPLICANTS_XLSX


@pytest.mark.parametrize(
    ("applicants", "slots", "expected"),
    [
        (10, 2, "5:1"),
        (14, 4, "3.5:1"),
        (7, 3, "2.3:1"),
        (4, 1, "4:1"),
        (5, 4, "1.3:1"),
        (1, 8, "0.1:1"),
        (0, 2, "0:1"),
        (9, 4, "2.3:1"),
        (25, 10, "2.5:1"),
        (3, 0, None),
        (3, None, None),
    ],
)
def test_competition_ratio(applicants, slots, expected):
    assert competition_ratio(applicants, slots) == expected


def test_ratio_rounds_half_up_not_to_even():
    assert competition_ratio(5, 4) == "1.3:1"  # 1.25 → 1.3
    assert competition_ratio(45, 20) == "2.3:1"  # 2.25 → 2.3


@pytest.mark.django_db
def test_ratios_from_the_imported_2023_applicants(competition):
    call_command("import_proposals", str(APPLICANTS_XLSX), competition="smartcity-2023", stdout=StringIO())
    overview = {category.code: category for category in competition_overview(competition)}
    assert (overview["hub"].applicants, overview["hub"].slots, overview["hub"].ratio) == (
        10,
        2,
        "5:1",
    )
    assert (overview["small"].applicants, overview["small"].slots, overview["small"].ratio) == (
        14,
        4,
        "3.5:1",
    )
    tracks = {row.track.code: (row.applicants, row.slots, row.ratio) for row in overview["small"].tracks}
    assert tracks == {"climate": (7, 2, "3.5:1"), "depopulation": (7, 2, "3.5:1")}


@pytest.mark.django_db
def test_withdrawn_proposals_do_not_count_and_pooled_categories_have_one_ratio(competition):
    call_command("import_proposals", str(APPLICANTS_XLSX), competition="smartcity-2023", stdout=StringIO())
    Proposal.objects.filter(reference="2023-H-01").update(status=Proposal.Status.WITHDRAWN)
    Proposal.objects.filter(reference="2023-H-02").update(status=Proposal.Status.INELIGIBLE)
    small = competition.categories.get(code="small")
    small.slots = 3
    small.save()
    small.tracks.update(slots=None)
    overview = {category.code: category for category in competition_overview(competition)}
    assert overview["hub"].applicants == 9 and overview["hub"].ratio == "4.5:1"
    assert overview["small"].ratio == "4.7:1" and overview["small"].pooled
    assert all(row.ratio is None and row.slots is None for row in overview["small"].tracks)


@pytest.mark.django_db
def test_overview_is_one_query(competition, django_assert_num_queries):
    with django_assert_num_queries(1):
        competition_overview(competition)
