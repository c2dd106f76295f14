"""The import preview and confirmation pages (SPEC §5): rows with errors are not "not in the file",
each change shows its old and new value, an import into a published competition needs the box
ticked, and the progress of a running import can be read while it runs."""

import html
import re
import uuid

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from evaluation.publication import publish
from proposals.importing.progress import progress_saved
from proposals.models import ImportProgress, ImportUpload, Proposal
from tests.conftest import database_state, valid_row

pytestmark = pytest.mark.django_db

CONFIRM_BOX = "이 공모의 결과가 이미 공개되었으며, 가져온 뒤 결과를 정정 공개해야 한다는 것을 확인했습니다."
WARNING = (
    "이 공모는 결과가 이미 공개되었습니다(제1차 공개). 이 파일을 가져오면 공개된 결과의 바탕이 바뀌므로, "
    "가져온 뒤 결과를 정정 공개해야 합니다."
)
BOX_MISSING = (
    "이 공모는 결과가 이미 공개되었습니다. 가져온 뒤 정정 공개가 필요하다는 확인란에 표시해야 가져올 수 "
    "있습니다. 아무것도 가져오지 않았습니다."
)


def text(page: str) -> str:
    """The page's text as a person reads it: tags removed, entities decoded, spaces collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def upload(client, competition, path, **extra):
    with open(path, "rb") as handle:
        return client.post(
            reverse("manage:import-proposals", args=[competition.slug]), {"file": handle, **extra}
        )


def confirm(client, stored, follow=False, **extra):
    return client.post(
        reverse("manage:import-confirm", args=[stored.pk]), {"sha256": stored.sha256, **extra}, follow=follow
    )


@pytest.fixture
def five(admin_client, competition, make_xlsx):
    """Five proposals T-01 … T-05 imported through the pages."""
    rows = [valid_row(f"T-0{n}", applicant=f"시험시 {n}") for n in range(1, 6)]
    upload(admin_client, competition, make_xlsx(rows))
    confirm(admin_client, ImportUpload.objects.get())
    assert Proposal.objects.count() == 5
    return rows


def latest_upload():
    return ImportUpload.objects.order_by("-uploaded_at").first()


# --- rows with errors, old → new ------------------------------------------------------------------


def test_preview_counts_rows_with_errors_as_errors_not_as_missing(admin_client, competition, five, make_xlsx):
    rows = [
        valid_row("T-01", applicant="시험시 1"),
        valid_row("T-02", applicant="시험시 2", 국비="이백"),
        valid_row("T-03", applicant="시험시 3", track="없는트랙"),
        valid_row("T-04", applicant="시험시 4", 지방비=None),
        valid_row("T-05", applicant="시험시 5"),
    ]
    response = upload(admin_client, competition, make_xlsx(rows))
    page = text(admin_client.get(response.url).content.decode())

    assert "신규 0건, 변경 0건, 변경 없음 2건, 파일에 없음 0건" in page
    assert "오류가 있는 행 3건" in page
    assert "이 파일에 없습니다" not in page


def test_preview_lists_what_no_row_names(admin_client, competition, five, make_xlsx):
    rows = [valid_row("T-01", applicant="시험시 1", 국비="이백"), valid_row("T-02", applicant="시험시 2")]
    response = upload(admin_client, competition, make_xlsx(rows))
    page = text(admin_client.get(response.url).content.decode())

    assert "신규 0건, 변경 0건, 변경 없음 1건, 파일에 없음 3건" in page
    assert "기존 사업 제안 3건이 이 파일에 없습니다. 삭제하지 않고 그대로 둡니다. T-03 T-04 T-05" in page


def test_preview_shows_old_and_new_value_of_each_changed_field(admin_client, competition, five, make_xlsx):
    rows = [*five]
    rows[0] = valid_row("T-01", applicant="시험시 1", 국비=250, 사업명="새 사업명")
    response = upload(admin_client, competition, make_xlsx(rows))
    page = text(admin_client.get(response.url, {"status": "updated"}).content.decode())

    assert "신규 0건, 변경 1건, 변경 없음 4건, 파일에 없음 0건" in page
    assert (
        "2 변경 T-01 시험시 1 · 거점형 사업명 이전 값 사업 → 새 값 새 사업명 국비 이전 값 200 → 새 값 250"
        in page
    )


def test_the_old_and_new_values_are_what_the_confirmation_writes(admin_client, competition, five, make_xlsx):
    rows = [*five]
    rows[1] = valid_row("T-02", applicant="시험시 2", 지방비=150)
    upload(admin_client, competition, make_xlsx(rows))
    stored = latest_upload()
    assert stored.summary["rows"][1]["changes"] == [{"field": "지방비", "old": "200", "new": "150"}]

    response = confirm(admin_client, stored)

    assert response.url == reverse("manage:import-result", args=[stored.pk])
    assert Proposal.objects.get(reference="T-02").local_matching == 150


# --- after a publication ----------------------------------------------------------------------------


@pytest.fixture
def published(competition, five, make_criteria, user_factory):
    make_criteria(2)
    publish(competition, user_factory(Role.OFFICIAL, "official-pub"), override_reason="시험 공개")
    return competition


def test_preview_after_publication_warns_and_asks_for_the_box(admin_client, published, five, make_xlsx):
    upload(admin_client, published, make_xlsx([*five, valid_row("T-06", applicant="시험시 6")]))
    page = admin_client.get(reverse("manage:import-preview", args=[latest_upload().pk])).content.decode()

    assert WARNING in text(page)
    assert CONFIRM_BOX in text(page)
    assert 'name="after_publication"' in page and 'aria-required="true"' in page


def test_confirm_without_the_box_writes_nothing_and_says_why_beside_it(
    admin_client, published, five, make_xlsx
):
    upload(admin_client, published, make_xlsx([*five, valid_row("T-06", applicant="시험시 6")]))
    stored = latest_upload()
    before = database_state()

    response = confirm(admin_client, stored)

    assert response.status_code == 400
    page = response.content.decode()
    assert f'<p class="form-hint-invalid" id="after-publication-error" role="alert">{BOX_MISSING}</p>' in page
    assert 'aria-invalid="true"' in page
    assert database_state() == before
    stored.refresh_from_db()
    assert stored.state == ImportUpload.State.PREVIEWED


def test_confirm_with_the_box_imports_and_reminds_of_the_correction(admin_client, published, five, make_xlsx):
    upload(admin_client, published, make_xlsx([*five, valid_row("T-06", applicant="시험시 6")]))
    stored = latest_upload()

    response = confirm(admin_client, stored, after_publication="on")

    assert response.url == reverse("manage:import-result", args=[stored.pk])
    assert Proposal.objects.filter(reference="T-06").exists()
    result = text(admin_client.get(response.url).content.decode())
    assert (
        "이 공모는 결과가 이미 공개되어 있었습니다(제1차 공개). 가져온 내용이 결과에 반영되도록 결과를 "
        "정정 공개해 주세요. 결과 공개 화면으로 가기" in result
    )


def test_a_publication_between_preview_and_confirm_is_caught(
    admin_client, competition, five, make_xlsx, make_criteria, user_factory
):
    upload(admin_client, competition, make_xlsx([*five, valid_row("T-06", applicant="시험시 6")]))
    stored = latest_upload()
    assert CONFIRM_BOX not in text(
        admin_client.get(reverse("manage:import-preview", args=[stored.pk])).content.decode()
    )
    make_criteria(2)
    publish(competition, user_factory(Role.OFFICIAL, "official-pub"), override_reason="시험 공개")
    before = database_state()

    response = confirm(admin_client, stored, follow=True)

    page = text(response.content.decode())
    assert (
        "미리 본 뒤에 이 공모의 결과가 공개되었습니다. 미리보기를 다시 확인하고, 가져온 뒤 정정 공개가 "
        "필요하다는 확인란에 표시해 주세요. 아무것도 가져오지 않았습니다." in page
    )
    assert CONFIRM_BOX in page  # the preview now asks for it
    assert database_state() == before
    response = confirm(admin_client, stored, after_publication="on")
    assert Proposal.objects.filter(reference="T-06").exists()


def test_an_unchanged_file_after_publication_asks_nothing(admin_client, published, five, make_xlsx):
    upload(admin_client, published, make_xlsx(five))
    page = text(
        admin_client.get(reverse("manage:import-preview", args=[latest_upload().pk])).content.decode()
    )

    assert "모든 행이 이미 최신입니다. 가져올 것이 없습니다." in page
    assert WARNING not in page and CONFIRM_BOX not in page


# --- progress -------------------------------------------------------------------------------------


@pytest.fixture
def watched(settings, admin_user_for_progress):
    """Each progress write as the progress page answers it at that moment, asked by the admin's
    own second browser tab (another client) while the import request is still running."""
    settings.IMPORT_PROGRESS_ROWS = 2
    settings.IMPORT_PROGRESS_SECONDS = 3600  # by rows only: the same writes on any machine
    tab = Client()
    tab.force_login(admin_user_for_progress)
    seen = []

    def look(sender, progress_id, **_values):
        answer = tab.get(reverse("manage:import-progress", args=[progress_id]))
        assert answer.status_code == 200
        seen.append(answer.json())

    progress_saved.connect(look)
    yield seen
    progress_saved.disconnect(look)


@pytest.fixture
def admin_user_for_progress(user_factory):
    return user_factory(Role.ADMIN, "admin-progress")


def reading(read, total):
    return {
        "phase": "reading",
        "read": read,
        "total": total,
        "text": f"행을 읽고 검사하는 중입니다: {total}행 중 {read}행",
    }


def test_progress_of_an_upload_while_it_is_checked(
    client, competition, make_xlsx, watched, admin_user_for_progress
):
    client.force_login(admin_user_for_progress)
    progress_id = uuid.uuid4()
    rows = [valid_row(f"T-{n:02d}", applicant=f"시험시 {n}") for n in range(1, 8)]

    response = upload(client, competition, make_xlsx(rows), progress=str(progress_id))

    assert response.status_code == 302
    assert watched == [
        {"phase": "opening", "read": 0, "total": None, "text": "파일을 여는 중입니다…"},
        reading(0, 7),
        reading(2, 7),
        reading(4, 7),
        reading(6, 7),
        {
            "phase": "checking",
            "read": 7,
            "total": 7,
            "text": "모든 행을 읽었습니다. 검사 결과를 정리하는 중입니다…",
        },
        {"phase": "done", "read": 7, "total": 7, "text": "끝났습니다. 곧 다음 화면이 열립니다."},
    ]
    answer = client.get(reverse("manage:import-progress", args=[progress_id]))
    assert answer.json()["phase"] == "done"


def test_progress_of_a_confirmation_reads_then_writes(
    client, competition, make_xlsx, watched, admin_user_for_progress
):
    client.force_login(admin_user_for_progress)
    rows = [valid_row(f"T-{n:02d}", applicant=f"시험시 {n}") for n in range(1, 4)]
    upload(client, competition, make_xlsx(rows))
    watched.clear()
    progress_id = uuid.uuid4()

    confirm(client, latest_upload(), progress=str(progress_id))

    assert [(state["phase"], state["read"]) for state in watched] == [
        ("opening", 0),
        ("reading", 0),
        ("reading", 2),
        ("checking", 3),
        ("writing", 3),
        ("done", 3),
    ]
    assert watched[-2]["text"] == "모든 행을 한 번에 기록하는 중입니다…"
    assert Proposal.objects.count() == 3


def test_progress_before_the_import_begins_and_of_someone_else(client, competition, user_factory, make_xlsx):
    admin, other = user_factory(Role.ADMIN, "admin-a"), user_factory(Role.ADMIN, "admin-b")
    client.force_login(admin)
    progress_id = uuid.uuid4()
    url = reverse("manage:import-progress", args=[progress_id])

    assert client.get(url).json() == {
        "phase": "pending",
        "read": 0,
        "total": None,
        "text": "서버의 응답을 기다리는 중입니다…",
    }
    upload(client, competition, make_xlsx([valid_row()]), progress=str(progress_id))
    assert client.get(url).json()["phase"] == "done"

    client.force_login(other)  # another admin neither sees it nor can take its id over
    assert client.get(url).json()["phase"] == "pending"
    upload(client, competition, make_xlsx([valid_row()]), progress=str(progress_id))
    assert ImportProgress.objects.get(pk=progress_id).user == admin


def test_the_upload_and_preview_pages_carry_a_fresh_progress_id(admin_client, competition, make_xlsx):
    first = admin_client.get(reverse("manage:import-proposals", args=[competition.slug])).content.decode()
    second = admin_client.get(reverse("manage:import-proposals", args=[competition.slug])).content.decode()
    pattern = r'<input type="hidden" name="progress" value="([0-9a-f-]{36})"'
    assert re.search(pattern, first).group(1) != re.search(pattern, second).group(1)
    response = upload(admin_client, competition, make_xlsx([valid_row()]))
    preview = admin_client.get(response.url).content.decode()
    assert re.search(pattern, preview)
    assert 'data-progress-url="/manage/imports/progress/00000000-0000-0000-0000-000000000000/"' in preview


def test_a_bad_progress_id_is_ignored(admin_client, competition, make_xlsx):
    response = upload(admin_client, competition, make_xlsx([valid_row()]), progress="not-a-uuid")
    assert response.url == reverse("manage:import-preview", args=[latest_upload().pk])
    assert not ImportProgress.objects.exists()
