"""No phone number or e-mail address on any public page or official page or export (SPEC §7:
personal data appear only to admins; exports name reviewers by code)."""

import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from evaluation.publication import publish
from proposals.models import Proposal
from tests.conftest import HEADER, valid_row

pytestmark = pytest.mark.django_db

PHONES = ("010-9876-5432", "052-229-2000")
EMAILS = ("smart@ulsan.go.kr", "city@goyang.go.kr")
EMAIL_PATTERN = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


@pytest.fixture
def imported(competition, make_xlsx, tmp_path):
    header = [*HEADER, "담당자", "연락처", "이메일"]
    rows = [
        [*valid_row("T-01", applicant="울산광역시"), "홍길동", PHONES[0], EMAILS[0]],
        [*valid_row("T-02", applicant="고양시"), "김담당", PHONES[1], EMAILS[1]],
    ]
    call_command("import_proposals", str(make_xlsx(rows, header=header)), competition=competition.slug)
    proposals = list(Proposal.objects.filter(competition=competition).order_by("reference"))
    assert [p.contact_phone for p in proposals] == list(PHONES)
    assert [p.contact_email for p in proposals] == list(EMAILS)
    return proposals


@pytest.fixture
def published(
    competition, stage, imported, make_criteria, make_reviewer, make_assignment, submit_sheet, user_factory
):
    make_criteria(2, max_points=Decimal(40))
    reviewers = [make_reviewer(name) for name in ("kim", "lee")]
    for proposal, points in zip(imported, ([35, 35], [30, 30]), strict=True):
        for reviewer in reviewers:
            submit_sheet(make_assignment(proposal, reviewer, confirmed=True), points)
    official = user_factory(Role.OFFICIAL, "official-pii")
    publish(competition, official)
    return {"official": official, "proposals": imported, "reviewers": reviewers}


def assert_no_personal_data(text: str, where: str):
    for value in (*PHONES, *EMAILS, "kim@example.kr", "lee@example.kr", "홍길동", "김담당"):
        assert value not in text, (where, value)
    assert not EMAIL_PATTERN.search(text), (where, EMAIL_PATTERN.search(text).group())


def xlsx_text(content: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return "\n".join(archive.read(name).decode() for name in archive.namelist() if name.endswith(".xml"))


def test_public_pages_show_no_contact_data(client, competition, published):
    for url in (reverse("public-landing"), reverse("public-results", args=[competition.slug])):
        response = client.get(url)
        assert response.status_code == 200
        assert "울산광역시" in response.content.decode() or url == reverse("public-landing")
        assert_no_personal_data(response.content.decode(), url)


def test_official_pages_and_exports_show_no_contact_data(client, competition, stage, published):
    client.force_login(published["official"])
    proposal = published["proposals"][0]
    pages = [
        reverse("official:index"),
        reverse("official:ranking", args=[competition.slug]),
        reverse("official:progress", args=[competition.slug, stage.code]),
        reverse("official:proposal", args=[competition.slug, stage.code, proposal.pk]),
        reverse("official:proposal-scores", args=[competition.slug, stage.code, proposal.pk]),
        reverse("official:draw", args=[competition.slug]),
        reverse("publication:index"),
        reverse("publication:competition", args=[competition.slug]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_no_personal_data(response.content.decode(), url)
    csv = client.get(reverse("official:ranking-csv", args=[competition.slug]))
    assert "울산광역시" in csv.content.decode("utf-8-sig")
    assert_no_personal_data(csv.content.decode("utf-8-sig"), "ranking.csv")
    workbook = xlsx_text(client.get(reverse("official:ranking-xlsx", args=[competition.slug])).content)
    assert "울산광역시" in workbook
    assert_no_personal_data(workbook, "results.xlsx")


def test_the_export_command_writes_no_contact_data(competition, published, tmp_path):
    out = tmp_path / "results.xlsx"
    call_command("export_results", competition=competition.slug, out=str(out), stdout=io.StringIO())
    assert_no_personal_data(xlsx_text(out.read_bytes()), "export_results")
