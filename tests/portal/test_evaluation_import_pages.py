"""Reviewer and score spreadsheets on the web: the applicant import's upload → preview → confirm →
summary, with the commands' importers (``import_reviewers``, ``import_scores``)."""

import uuid
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from evaluation.domain.competition_file import load_competition_file
from evaluation.models import Assignment, Criterion, Reviewer, Rubric, Score, Scoresheet, Stage
from proposals.models import AuditEntry, Competition, ImportProgress, ImportUpload
from tests.conftest import APPLICANTS_XLSX, FIXTURES

pytestmark = pytest.mark.django_db

REVIEWERS = ["성명", "소속", "이메일", "분야", "외부위원"]
SCORES = ["평가위원", "접수번호", "C1", "C2", "C3", "C4", "C5", "의견"]


@pytest.fixture
def staged(db):
    """The 2023 competition with its two stages and its 24 applicants."""
    competition = load_competition_file(FIXTURES / "competition.toml").competition
    call_command("import_proposals", str(APPLICANTS_XLSX), competition=competition.slug, stdout=StringIO())
    return competition


def state():
    return (
        list(Reviewer.objects.order_by("pk").values_list()),
        list(get_user_model().objects.order_by("pk").values_list("username", "password")),
        list(Assignment.objects.order_by("pk").values_list()),
        list(Scoresheet.objects.order_by("pk").values_list()),
        list(Score.objects.order_by("pk").values_list()),
        AuditEntry.objects.count(),
    )


def post_file(client, url, path, **data):
    with open(path, "rb") as handle:
        return client.post(url, {"file": handle, **data})


# --- Reviewers -------------------------------------------------------------------------------


def test_reviewer_list_upload_preview_confirm(admin_client, staged):
    url = reverse("manage:import-reviewers", args=[staged.slug])
    assert admin_client.get(url).status_code == 200
    before = state()
    response = post_file(admin_client, url, FIXTURES / "reviewers.xlsx")
    stored = ImportUpload.objects.get()
    assert stored.kind == ImportUpload.Kind.REVIEWERS
    assert response.url == reverse("manage:import-preview", args=[stored.pk])
    assert state() == before  # nothing written before the confirmation

    preview = admin_client.get(response.url).content.decode()
    assert "신규 15건, 변경 0건, 변경 없음 0건, 파일에 없음 0건" in preview
    assert escape(_("Import reviewers")) in preview  # the way back names this page
    assert url in preview

    confirmed = admin_client.post(
        reverse("manage:import-confirm", args=[stored.pk]), {"sha256": stored.sha256}
    )
    assert confirmed.url == reverse("manage:import-result", args=[stored.pk])
    assert Reviewer.objects.count() == 15
    first = Reviewer.objects.get(email="reviewer01@example.com")
    assert first.user.username == "reviewer01@example.com"
    assert not first.user.has_usable_password()
    assert AuditEntry.objects.filter(action="reviewer.created").count() == 15
    assert "신규 15건" in admin_client.get(confirmed.url).content.decode()

    # The same file again: nothing to confirm.
    again = post_file(admin_client, url, FIXTURES / "reviewers.xlsx")
    page = admin_client.get(again.url).content.decode()
    assert "신규 0건, 변경 0건, 변경 없음 15건, 파일에 없음 0건" in page
    assert reverse("manage:import-confirm", args=[ImportUpload.objects.latest("uploaded_at").pk]) not in page


def test_a_bad_reviewer_row_is_shown_and_nothing_written(admin_client, staged, make_xlsx):
    path = make_xlsx(
        [
            ["김도시", "울산대학교", "kim@example.kr", "도시계획", "Y"],
            ["이교통", "한국교통연구원", "x", "", "N"],
        ],
        header=REVIEWERS,
    )
    before = state()
    response = post_file(admin_client, reverse("manage:import-reviewers", args=[staged.slug]), path)
    page = admin_client.get(response.url).content.decode()
    assert escape("3행 '이메일': 이메일 주소가 아닙니다: 'x'") in page
    stored = ImportUpload.objects.get()
    assert reverse("manage:import-confirm", args=[stored.pk]) not in page
    refused = admin_client.post(
        reverse("manage:import-confirm", args=[stored.pk]), {"sha256": stored.sha256}, follow=True
    )
    assert escape(_("The file could not be imported; nothing was written.")) in refused.content.decode()
    assert state() == before


def test_reviewer_template_has_the_importers_headers(admin_client, tmp_path):
    response = admin_client.get(reverse("manage:reviewers-template"))
    path = tmp_path / "t.xlsx"
    path.write_bytes(response.content)
    assert [cell.value for cell in load_workbook(path).active[1]] == REVIEWERS


# --- Scores ----------------------------------------------------------------------------------


@pytest.fixture
def kim(make_reviewer):
    return make_reviewer("kim", affiliation="한국대학교")


def test_scores_of_the_chosen_stage_upload_preview_confirm_with_progress(
    admin_client, staged, kim, make_xlsx
):
    path = make_xlsx([[kim.email, "2023-H-04", 25, 15, 12, 16, 12, "우수"]], header=SCORES)
    url = reverse("manage:import-scores", args=[staged.slug])
    page = admin_client.get(url).content.decode()
    assert "서면평가" in page and "발표평가" in page
    document = Stage.objects.get(code="document")
    progress = uuid.uuid4()
    before = state()
    response = post_file(admin_client, url, path, stage=document.pk, progress=progress)
    stored = ImportUpload.objects.get()
    assert (stored.kind, stored.stage_code) == (ImportUpload.Kind.SCORES, "document")
    assert state() == before
    assert ImportProgress.objects.get(pk=progress).phase == ImportProgress.Phase.DONE

    preview = admin_client.get(response.url).content.decode()
    assert "신규 1건" in preview
    confirm_progress = uuid.uuid4()
    confirmed = admin_client.post(
        reverse("manage:import-confirm", args=[stored.pk]),
        {"sha256": stored.sha256, "progress": confirm_progress},
    )
    assert confirmed.url == reverse("manage:import-result", args=[stored.pk])
    sheet = Scoresheet.objects.get()
    assert sheet.assignment.stage == document and sheet.status == Scoresheet.Status.SUBMITTED
    assert sheet.total == 80
    assert ImportProgress.objects.get(pk=confirm_progress).phase == ImportProgress.Phase.DONE


def test_a_score_row_error_is_the_commands_message_and_nothing_is_written(
    admin_client, staged, kim, make_xlsx
):
    path = make_xlsx([[kim.email, "2023-H-04", 31, 15, 12, 16, 12, ""]], header=SCORES)
    before = state()
    response = post_file(
        admin_client,
        reverse("manage:import-scores", args=[staged.slug]),
        path,
        stage=Stage.objects.get(code="document").pk,
    )
    page = admin_client.get(response.url).content.decode()
    assert escape("2행 'C1': 0점부터 30점 사이로 입력해 주세요.") in page
    assert state() == before


def test_no_stage_chosen_is_asked_again_and_nothing_kept(admin_client, staged, kim, make_xlsx):
    path = make_xlsx([[kim.email, "2023-H-04", 25, 15, 12, 16, 12, ""]], header=SCORES)
    url = reverse("manage:import-scores", args=[staged.slug])
    response = post_file(admin_client, url, path)
    assert response.status_code == 400
    page = response.content.decode()
    assert escape(_("Choose the stage the scores belong to.")) in page
    assert 'id="id_stage_error"' in page
    elsewhere = Competition.objects.create(slug="other-2024", name="다른 공모", year=2024)
    other = Stage.objects.create(competition=elsewhere, code="other", name="다른 평가", order=1)
    response = post_file(admin_client, url, path, stage=other.pk)
    assert response.status_code == 400
    assert escape(_("Choose one of the stages of this competition.")) in response.content.decode()
    assert ImportUpload.objects.count() == 0


def test_a_stage_removed_after_the_preview_is_refused(admin_client, staged, kim, make_xlsx):
    stage = Stage.objects.create(competition=staged, code="extra", name="추가평가", order=5)
    rubric = Rubric.objects.create(stage=stage)
    Criterion.objects.create(rubric=rubric, code="C1", name="항목", max_points=10, order=1)
    path = make_xlsx([[kim.email, "2023-H-04", 5, ""]], header=["평가위원", "접수번호", "C1", "의견"])
    post_file(admin_client, reverse("manage:import-scores", args=[staged.slug]), path, stage=stage.pk)
    stored = ImportUpload.objects.get()
    stage.delete()
    before = state()
    response = admin_client.post(
        reverse("manage:import-confirm", args=[stored.pk]), {"sha256": stored.sha256}, follow=True
    )
    assert (
        escape(
            _("The stage '%(code)s' no longer exists in this competition. Nothing was imported.")
            % {"code": "extra"}
        )
        in response.content.decode()
    )
    assert state() == before


def test_score_template_has_the_stages_criteria(admin_client, staged, tmp_path):
    response = admin_client.get(reverse("manage:scores-template", args=[staged.slug, "document"]))
    path = tmp_path / "t.xlsx"
    path.write_bytes(response.content)
    header = [cell.value for cell in load_workbook(path).active[1]]
    assert header == ["평가위원", "접수번호", "트랙", "지자체", "C1", "C2", "C3", "C4", "C5", "의견"]
