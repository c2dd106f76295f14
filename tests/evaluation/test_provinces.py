"""SPEC §8.7: results by province (광역) — applicants as in §4.7 and the selected, most applicants
first, then by name — in ``rank --json``, the officials' ranking page, the publication and its
public page, and the export; inputs recorded before provinces were rank exactly as before."""

import json
from io import BytesIO, StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from evaluation.engine import published_outcome
from evaluation.exporting import results_workbook
from evaluation.publication import publish, verify
from evaluation.ranking import rank_competition, ranking_inputs
from proposals.models import Applicant, Proposal
from tests.evaluation.test_publication import official, scored  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

EXPECTED = [
    {"province": "전남", "applicants": 2, "selected": 2},
    {"province": "경남", "applicants": 1, "selected": 0},
    {"province": "충남", "applicants": 1, "selected": 1},
]


@pytest.fixture
def spread(competition, scored):
    """Hub R-0001, R-0002 selected (전남), R-0003 a reserve (경남), R-0004 withdrawn (전남: not an
    applicant); climate R-0005 selected (충남)."""
    scored()
    for reference, province in (
        ("R-0001", "전남"),
        ("R-0002", "전남"),
        ("R-0003", "경남"),
        ("R-0004", "전남"),
    ):
        Applicant.objects.filter(proposals__reference=reference).update(province=province)
    Applicant.objects.filter(proposals__reference="R-0005").update(province="충남")
    Proposal.objects.filter(reference="R-0004").update(status=Proposal.Status.WITHDRAWN)
    return competition


def test_rank_json_has_the_results_by_province(spread):
    out = StringIO()
    call_command("rank", competition=spread.slug, json=True, stdout=out)
    assert json.loads(out.getvalue())["provinces"] == EXPECTED


def test_the_pages_the_publication_and_the_export_show_them(spread, official, client):
    client.force_login(official)
    page = client.get(reverse("official:ranking", args=[spread.slug])).content.decode()
    assert "시·도별 결과" in page
    assert page.index(">전남</th>") < page.index(">경남</th>") < page.index(">충남</th>")
    workbook = load_workbook(BytesIO(results_workbook(rank_competition(spread))))
    rows = [[cell.value for cell in row] for row in workbook["시·도별 결과"].iter_rows()]
    assert rows == [["시·도", "신청 수", "선정"], ["전남", 2, 2], ["경남", 1, 0], ["충남", 1, 1]]
    publication = publish(spread, official)
    assert publication.snapshot["outcome"]["ranking"]["provinces"] == EXPECTED
    ok, messages = verify(publication)
    assert ok, messages
    client.logout()
    public = client.get(reverse("public-results", args=[spread.slug])).content.decode()
    assert "시·도별 결과" in public and ">충남</th>" in public


def test_inputs_recorded_before_provinces_rank_as_before(spread):
    """A publication made before provinces were recorded verifies: its inputs rank to the same
    document, without results by province."""
    inputs = ranking_inputs(spread)
    earlier = {
        **inputs,
        "proposals": [{k: v for k, v in p.items() if k != "province"} for p in inputs["proposals"]],
    }
    before, now = published_outcome(earlier, spread.slug), published_outcome(inputs, spread.slug)
    assert "provinces" not in before["ranking"]
    assert before["ranking"] == {key: value for key, value in now["ranking"].items() if key != "provinces"}
    assert before["totals"] == now["totals"]


def test_same_named_applicants_are_shown_with_their_province(spread, official, client):
    """SPEC §8.5: 고성군 of 강원 and 고성군 of 경남 are told apart on the ranking page, in the export
    and in the publication's selected; a name no other 광역 shares stays as it is."""
    Applicant.objects.filter(proposals__reference="R-0001").update(name="고성군", province="강원")
    Applicant.objects.filter(proposals__reference="R-0003").update(name="고성군", province="경남")
    ranking = rank_competition(spread)
    shown = {row.reference: row.applicant_shown for row in ranking.proposals()}
    assert (shown["R-0001"], shown["R-0003"], shown["R-0002"]) == (
        "고성군(강원)",
        "고성군(경남)",
        "시험시 002",
    )
    client.force_login(official)
    page = client.get(reverse("official:ranking", args=[spread.slug])).content.decode()
    assert "고성군(강원)" in page and "고성군(경남)" in page
    out = StringIO()
    call_command("rank", competition=spread.slug, stdout=out)  # the command's text, too
    assert "R-0001  고성군(강원)  " in out.getvalue() and "R-0003  고성군(경남)  " in out.getvalue()
    hub = [
        [cell.value for cell in row]
        for row in load_workbook(BytesIO(results_workbook(ranking)))["순위 거점형"].iter_rows()
    ]
    assert [row[4] for row in hub[1:4]] == ["고성군(강원)", "시험시 002", "고성군(경남)"]
    publication = publish(spread, official)
    selected = publication.snapshot["outcome"]["totals"]["tracks"][0]["selected"]
    assert [row["applicant"] for row in selected] == ["고성군(강원)", "시험시 002"]
    ranked = publication.snapshot["outcome"]["ranking"]["categories"][0]["tracks"][0]["ranking"]
    assert (
        ranked[0]["applicant"] == "고성군"
    )  # rank --json keeps the name (SPEC §6) beside the province table
    client.logout()
    assert "고성군(강원)" in client.get(reverse("public-results", args=[spread.slug])).content.decode()
