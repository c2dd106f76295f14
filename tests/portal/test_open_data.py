"""Open data (issue 12 §10, 공공데이터 practice): the publication in force as JSON and CSV at stable
addresses, with its number and SHA-256 — what the public page shows, nothing more — and
documented on the public results page."""

import csv
import io
import json

import pytest
from django.urls import reverse

from evaluation import sheets
from evaluation.models import Publication, Scoresheet
from evaluation.publication import publish
from proposals.models import Proposal
from tests.evaluation.test_publication import official, scored  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def json_url(competition):
    return reverse("public-results-json", args=[competition.slug])


def csv_url(competition):
    return reverse("public-results-csv", args=[competition.slug])


def test_the_json_is_the_public_result_with_its_digest(competition, scored, official, client):
    scored()
    publication = publish(competition, official)
    response = client.get(json_url(competition))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    document = json.loads(response.content)
    assert document["format"] == 1
    assert document["competition"] == {
        "slug": "smartcity-2023",
        "name": competition.name,
        "year": 2023,
        "organization": "국토교통부",
    }
    assert document["publication"] == {
        "number": 1,
        "published_at": document["publication"]["published_at"],
        "digest": publication.digest,
        "page": "http://testserver" + reverse("public-results", args=[competition.slug]),
    }
    assert document["publication"]["published_at"].endswith("+09:00")  # Asia/Seoul
    hub = document["categories"][0]
    assert (hub["applicants"], hub["slots"], hub["ratio"]) == (4, 2, "2:1")
    assert [row["reference"] for row in hub["tracks"][0]["selected"]] == ["R-0001", "R-0002"]
    assert document["totals"] == {"selected": 3, "national_subsidy": "600.00", "local_matching": "600.00"}
    assert document["provinces"] == [{"province": "시험", "applicants": 5, "selected": 3}]
    text = response.content.decode()
    # What the public page shows and no more: no inputs, scores of the not selected, reviewers
    # or contacts.
    for absent in ('"inputs"', '"sheets"', "R-0003", "R-0004", "kim", "010-1234-5678", "@city.go.kr"):
        assert absent not in text


def test_the_csv_has_a_row_per_selected_proposal(competition, scored, official, client):
    proposals = scored()
    Proposal.objects.filter(pk=proposals[1].pk).update(title='=HYPERLINK("x")')
    publication = publish(competition, official)
    response = client.get(csv_url(competition))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "사업 유형",
        "트랙",
        "접수번호",
        "선정 지자체",
        "사업명",
        "국비(억원)",
        "지방비(억원)",
        "공개 차수",
        "공개본의 SHA-256",
    ]
    assert [row[2] for row in rows[1:]] == ["R-0001", "R-0002", "R-0005"]
    assert rows[1][4] == '\'=HYPERLINK("x")'  # never a formula in Excel
    assert {(row[7], row[8]) for row in rows[1:]} == {("1", publication.digest)}


def test_the_addresses_stay_and_give_the_publication_in_force(
    competition,
    scored,
    official,
    client,
    submit_sheet,
):
    assert client.get(json_url(competition)).status_code == 404  # nothing published yet
    assert client.get(csv_url(competition)).status_code == 404
    assert client.get(reverse("public-results-json", args=["nowhere"])).status_code == 404
    proposals = scored()
    publish(competition, official)
    sheet = Scoresheet.objects.get(
        assignment__proposal=proposals[3], assignment__reviewer__user__username="kim"
    )
    sheets.reopen(sheet, "오기 정정", official)
    submit_sheet(sheet.assignment, [40, 40, 39])
    publish(competition, official, correction_reason="오기 정정")
    document = json.loads(client.get(json_url(competition)).content)
    assert document["publication"]["number"] == 2
    assert document["publication"]["digest"] == Publication.objects.get(number=2).digest


def test_the_public_page_documents_them(competition, scored, official, client):
    scored()
    publish(competition, official)
    page = client.get(reverse("public-results", args=[competition.slug])).content.decode()
    assert "공공데이터" in page
    assert f'href="{json_url(competition)}"' in page and f'href="{csv_url(competition)}"' in page
