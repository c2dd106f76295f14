"""The web door of the applicant import: upload → preview → confirm → summary."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from proposals.models import ImportUpload, Proposal
from tests.conftest import APPLICANTS_XLSX, database_state, valid_row

pytestmark = pytest.mark.django_db


def upload(client, competition, path):
    with open(path, "rb") as handle:
        return client.post(reverse("manage:import-proposals", args=[competition.slug]), {"file": handle})


def test_upload_preview_confirm_imports_the_2023_file(admin_client, competition):
    response = upload(admin_client, competition, APPLICANTS_XLSX)
    stored = ImportUpload.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("manage:import-preview", args=[stored.pk])
    assert Proposal.objects.count() == 0  # nothing written before confirmation

    preview = admin_client.get(response.url)
    assert preview.status_code == 200
    page = preview.content.decode()
    assert "신규 24건, 변경 0건, 변경 없음 0건, 파일에 없음 0건" in page
    assert stored.sha256 in page

    confirmed = admin_client.post(
        reverse("manage:import-confirm", args=[stored.pk]), {"sha256": stored.sha256}
    )
    assert confirmed.status_code == 302
    assert confirmed.url == reverse("manage:import-result", args=[stored.pk])
    assert Proposal.objects.count() == 24
    stored.refresh_from_db()
    assert stored.state == ImportUpload.State.APPLIED
    result = admin_client.get(confirmed.url).content.decode()
    assert "신규 24건" in result


def test_confirm_twice_imports_once(admin_client, competition):
    upload(admin_client, competition, APPLICANTS_XLSX)
    stored = ImportUpload.objects.get()
    url = reverse("manage:import-confirm", args=[stored.pk])
    admin_client.post(url, {"sha256": stored.sha256})
    before = database_state()
    response = admin_client.post(url, {"sha256": stored.sha256}, follow=True)
    assert "이미 가져온 파일입니다." in response.content.decode()
    assert database_state() == before


def test_file_swapped_between_preview_and_confirm_is_refused(admin_client, competition, make_xlsx):
    upload(admin_client, competition, APPLICANTS_XLSX)
    stored = ImportUpload.objects.get()
    previewed_digest = stored.sha256
    # Another file takes the place of the previewed one (a second upload in another tab reuses
    # the page, or the stored bytes are altered): the digest no longer matches.
    stored.content = make_xlsx([valid_row("X-1")]).read_bytes()
    stored.save()
    before = database_state()
    response = admin_client.post(
        reverse("manage:import-confirm", args=[stored.pk]),
        {"sha256": previewed_digest},
        follow=True,
    )
    assert "미리 본 파일이 아닙니다" in response.content.decode()
    assert database_state() == before


def test_confirm_with_the_digest_of_another_preview_is_refused(admin_client, competition, make_xlsx):
    upload(admin_client, competition, APPLICANTS_XLSX)
    upload(admin_client, competition, make_xlsx([valid_row("X-1")]))
    first, second = ImportUpload.objects.order_by("uploaded_at")
    before = database_state()
    response = admin_client.post(
        reverse("manage:import-confirm", args=[first.pk]), {"sha256": second.sha256}, follow=True
    )
    assert "미리 본 파일이 아닙니다" in response.content.decode()
    assert database_state() == before


def test_preview_of_bad_file_offers_error_rows_and_no_confirm(admin_client, competition, make_xlsx):
    path = make_xlsx([valid_row("T-01"), valid_row("T-02", applicant="고양시", 국비="이백")])
    response = upload(admin_client, competition, path)
    page = admin_client.get(response.url).content.decode()
    assert "3행 &#x27;국비&#x27;: 숫자가 아닙니다: &#x27;이백&#x27;" in page
    stored = ImportUpload.objects.get()
    assert reverse("manage:import-confirm", args=[stored.pk]) not in page

    errors = admin_client.get(reverse("manage:import-errors", args=[stored.pk]))
    assert errors.status_code == 200
    sheet = load_workbook(
        io.BytesIO(b"".join(errors.streaming_content if errors.streaming else [errors.content]))
    ).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "오류"
    assert rows[1][:3] == ("hub", "울산", "고양시")
    assert rows[1][-1] == "3행 '국비': 숫자가 아닙니다: '이백'"
    assert len(rows) == 2
    assert Proposal.objects.count() == 0


def test_bad_file_gets_one_message(admin_client, competition, tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("hello", encoding="utf-8")
    response = upload(admin_client, competition, path)
    page = admin_client.get(response.url).content.decode()
    assert "엑셀(.xlsx) 파일이 아닙니다." in page
    assert Proposal.objects.count() == 0


def test_blank_template_has_the_headers_the_importer_reads(admin_client, competition, tmp_path):
    response = admin_client.get(reverse("manage:proposals-template"))
    assert response.status_code == 200
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    header = next(load_workbook(path).worksheets[0].iter_rows(values_only=True))
    assert header[:4] == ("트랙", "광역", "지자체", "사업명")
    assert "국비" in header and "지방비" in header


def test_upload_without_a_file_shows_the_field_error(admin_client, competition):
    response = admin_client.post(reverse("manage:import-proposals", args=[competition.slug]), {})
    assert response.status_code == 200
    assert "올릴 파일을 선택해 주세요." in response.content.decode()
    assert ImportUpload.objects.count() == 0


@pytest.mark.parametrize("name", ["manage:import-proposals", "manage:proposals-template"])
def test_import_pages_are_for_admins_only(client, competition, user_factory, name):
    url = reverse(name, args=[competition.slug]) if name == "manage:import-proposals" else reverse(name)
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("login"))
    for role in (Role.REVIEWER, Role.OFFICIAL):
        client.force_login(user_factory(role, f"{role}-x"))
        assert client.get(url).status_code == 403
    client.force_login(user_factory(Role.ADMIN, "admin-x"))
    assert client.get(url).status_code == 200


def test_upload_pages_for_a_stored_upload_are_for_admins_only(
    admin_client, client, competition, user_factory
):
    upload(admin_client, competition, APPLICANTS_XLSX)
    stored = ImportUpload.objects.get()
    for name in ("manage:import-preview", "manage:import-result", "manage:import-errors"):
        url = reverse(name, args=[stored.pk])
        client.logout()
        assert client.get(url).status_code == 302
        client.force_login(user_factory(Role.OFFICIAL, f"official-{name}"))
        assert client.get(url).status_code == 403
    client.force_login(user_factory(Role.REVIEWER, "reviewer-post"))
    response = client.post(reverse("manage:import-confirm", args=[stored.pk]), {"sha256": stored.sha256})
    assert response.status_code == 403
    assert Proposal.objects.count() == 0


def test_preview_filters_rows_by_status(admin_client, competition, make_xlsx):
    path = make_xlsx([valid_row("T-01"), valid_row("T-02", applicant="고양시", 국비="이백")])
    response = upload(admin_client, competition, path)
    only_errors = admin_client.get(response.url, {"status": "error"}).content.decode()
    assert "고양시" in only_errors and "T-01" not in only_errors
    everything = admin_client.get(response.url).content.decode()
    assert "T-01" in everything and "고양시" in everything
