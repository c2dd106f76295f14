"""Django admin of the evaluation models: setup pages work; scores are read-only there."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from evaluation.models import Assignment, Conflict, Panel, PastAffiliation, Scoresheet, Stage
from proposals.models import AuditEntry, Track

pytestmark = pytest.mark.django_db

MODELS = ("stage", "rubric", "reviewer", "panel", "conflict", "assignment", "scoresheet", "securitypledge")


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.kr", "pw-test-1234")
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def panel_world(staged, make_reviewer):
    stage = Stage.objects.get(competition=staged, code="document")
    panel = Panel.objects.create(stage=stage, name="거점형 서면평가")
    panel.tracks.set(Track.objects.filter(code="hub"))
    members = [
        make_reviewer("kim", affiliation="한국대학교"),
        make_reviewer("choi", affiliation="울산대학교"),
    ]
    PastAffiliation.objects.create(reviewer=members[0], organisation="국토연구원", until="2022-01-01")
    panel.members.set(members)
    return panel, members


@pytest.mark.parametrize("model", MODELS)
def test_changelists_render(admin_client, panel_world, model):
    response = admin_client.get(reverse(f"admin:evaluation_{model}_changelist"))
    assert response.status_code == 200


def test_stage_page_shows_its_rubric_and_criteria(admin_client, panel_world):
    panel, _members = panel_world
    response = admin_client.get(reverse("admin:evaluation_stage_change", args=[panel.stage.pk]))
    assert response.status_code == 200
    assert "C1 사업내용의 적정성" in response.content.decode()


def test_reviewer_search_and_past_affiliations(admin_client, panel_world):
    _panel, (kim, _ulsan) = panel_world
    response = admin_client.get(reverse("admin:evaluation_reviewer_changelist"), {"q": "국토연구원"})
    assert list(response.context["cl"].result_list) == [kim]
    response = admin_client.get(reverse("admin:evaluation_reviewer_change", args=[kim.pk]))
    assert "국토연구원" in response.content.decode()


def test_form_panel_action_assigns_and_reports(admin_client, panel_world):
    panel, (kim, ulsan) = panel_world
    url = reverse("admin:evaluation_panel_changelist")
    response = admin_client.post(url, {"action": "form_panels", "_selected_action": [panel.pk]}, follow=True)
    text = [str(message) for message in response.context["messages"]]
    assert text == ["평가위원회 거점형 서면평가: 배정 19건 생성, 0건 유지, 이해충돌로 1건 제외"]
    assert Assignment.objects.filter(reviewer=kim).count() == 10
    assert Assignment.objects.filter(reviewer=ulsan).count() == 9
    assert Conflict.objects.filter(reviewer=ulsan, kind="automatic").count() == 1
    response = admin_client.post(url, {"action": "form_panels", "_selected_action": [panel.pk]}, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "평가위원회 거점형 서면평가: 배정 0건 생성, 19건 유지, 이해충돌로 1건 제외"
    ]


def test_scoresheets_cannot_be_changed_in_the_admin(admin_client, panel_world, submit_sheet):
    panel, (kim, _ulsan) = panel_world
    assignment = Assignment.objects.create(
        stage=panel.stage, proposal=panel.stage.competition.proposals.get(reference="2023-H-01"), reviewer=kim
    )
    sheet = submit_sheet(assignment, [25, 15, 12, 16, 12])
    url = reverse("admin:evaluation_scoresheet_change", args=[sheet.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    entries = AuditEntry.objects.count()
    admin_client.post(url, {"status": "draft", "total": "0"})
    assert Scoresheet.objects.get(pk=sheet.pk).total == 80 and AuditEntry.objects.count() == entries
    assert admin_client.get(reverse("admin:evaluation_scoresheet_add")).status_code == 403
    assert (
        admin_client.post(reverse("admin:evaluation_scoresheet_delete", args=[sheet.pk])).status_code == 403
    )


def test_conflict_added_in_admin_names_who_recorded_it(admin_client, panel_world):
    panel, (kim, _ulsan) = panel_world
    proposal = panel.stage.competition.proposals.get(reference="2023-H-01")
    data = {"proposal": proposal.pk, "reviewer": kim.pk, "kind": "challenged", "reason": "신청기관 자문 이력"}
    entries = AuditEntry.objects.count()
    response = admin_client.post(reverse("admin:evaluation_conflict_add"), data)
    assert response.status_code == 200  # no reason for the change: nothing written
    assert "변경 사유를 적어 주세요. 감사 기록에 남습니다." in response.content.decode()
    assert not Conflict.objects.exists() and AuditEntry.objects.count() == entries
    response = admin_client.post(
        reverse("admin:evaluation_conflict_add"), {**data, "audit_reason": "기피 신청 접수(공문 제12호)"}
    )
    assert response.status_code == 302
    conflict = Conflict.objects.get(kind="challenged")
    assert conflict.recorded_by == admin_client.user
    entry = AuditEntry.objects.get(action="conflict.created")
    assert entry.actor == admin_client.user and entry.reason == "기피 신청 접수(공문 제12호)"
