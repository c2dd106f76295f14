"""The Django admin through ``AuditedAdmin``: every change and deletion asks for a written reason
and leaves an audit entry with the signed-in user, the reason, before and after — inlines,
many-to-many fields and the "delete selected" action included. Nothing is written without a
reason."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from evaluation.models import Panel, Stage
from evaluation.queries import proposal_audit_trail
from proposals.models import AuditEntry, Category, Competition, Proposal, Track

pytestmark = pytest.mark.django_db

REASON_MISSING = "변경 사유를 적어 주세요. 감사 기록에 남습니다."
DELETE_REASON_MISSING = "삭제 사유를 적어 주세요. 감사 기록에 남습니다."


@pytest.fixture
def admin_client(client, db):
    user = get_user_model().objects.create_superuser("root", "root@example.kr", "pw-test-1234")
    client.force_login(user)
    client.user = user
    return client


def form_data(response) -> dict:
    """The change form's current values (main form and inline formsets), as a browser posts them."""
    data = {}

    def add(form):
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            if value is True:
                data[field.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(item) for item in value]
            else:
                data[field.html_name] = str(value)

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def entries(**lookups):
    return list(AuditEntry.objects.filter(**lookups).order_by("sequence"))


def test_changing_a_proposals_status_and_subsidy_in_the_admin_is_audited(admin_client, staged):
    """The issue's case: the proposal became 철회 in /admin/ and no trace was left."""
    proposal = Proposal.objects.get(competition=staged, reference="2023-H-02")
    url = reverse("admin:proposals_proposal_change", args=[proposal.pk])
    page = admin_client.get(url)
    assert "변경 사유" in page.content.decode()
    data = {**form_data(page), "status": "withdrawn", "national_subsidy": "150"}
    count = AuditEntry.objects.count()

    refused = admin_client.post(url, data)
    assert refused.status_code == 200 and REASON_MISSING in refused.content.decode()
    assert Proposal.objects.get(pk=proposal.pk).status == "submitted" and AuditEntry.objects.count() == count

    done = admin_client.post(url, {**data, "audit_reason": "신청 기관 철회 공문(2023-05-01)"})
    assert done.status_code == 302
    assert Proposal.objects.get(pk=proposal.pk).status == "withdrawn"
    (entry,) = entries(action="proposal.updated", object_id=str(proposal.pk))
    assert entry.before == {"national_subsidy": "200.00", "status": "submitted"}
    assert entry.after == {"national_subsidy": "150.00", "status": "withdrawn"}
    assert (entry.actor, entry.reason) == (admin_client.user, "신청 기관 철회 공문(2023-05-01)")
    assert entry.competition_id == staged.pk
    # Officials see it in the proposal's trail.
    trail = proposal_audit_trail(proposal, Stage.objects.get(competition=staged, code="document"))
    assert entry in list(trail)


def test_inline_changes_take_the_forms_reason(admin_client, staged):
    """A track's slots changed in the category's page (an inline)."""
    category = Category.objects.get(competition=staged, code="hub")
    url = reverse("admin:proposals_category_change", args=[category.pk])
    data = form_data(admin_client.get(url))
    index = next(i for i in range(10) if data.get(f"tracks-{i}-code") == "hub")
    data[f"tracks-{index}-slots"] = "3"
    response = admin_client.post(url, {**data, "audit_reason": "2024년 공고: 거점형 3곳"})
    assert response.status_code == 302
    (entry,) = entries(action="track.updated")
    assert (entry.before, entry.after) == ({"slots": 2}, {"slots": 3})
    assert (entry.actor, entry.reason, entry.competition_id) == (
        admin_client.user,
        "2024년 공고: 거점형 3곳",
        staged.pk,
    )


def test_many_to_many_fields_changed_in_the_admin_are_audited(admin_client, staged, make_reviewer):
    stage = Stage.objects.get(competition=staged, code="document")
    panel = Panel.objects.create(stage=stage, name="거점형 서면평가")
    kim = make_reviewer("kim")
    url = reverse("admin:evaluation_panel_change", args=[panel.pk])
    data = form_data(admin_client.get(url))
    data["members"] = [str(kim.pk)]
    data["tracks"] = [str(Track.objects.get(category__competition=staged, code="hub").pk)]
    response = admin_client.post(url, {**data, "audit_reason": "위원 위촉"})
    assert response.status_code == 302
    added = entries(action="panel.members_added")
    assert [(e.after, e.actor, e.reason) for e in added] == [
        ({"members": [kim.pk]}, admin_client.user, "위원 위촉")
    ]


def test_deleting_in_the_admin_asks_for_a_reason(admin_client, staged):
    stage = Stage.objects.get(competition=staged, code="document")
    panel = Panel.objects.create(stage=stage, name="잘못 만든 위원회")
    url = reverse("admin:evaluation_panel_delete", args=[panel.pk])
    page = admin_client.get(url)
    assert "삭제 사유" in page.content.decode()
    count = AuditEntry.objects.count()
    refused = admin_client.post(url, {"post": "yes"})
    assert refused.status_code == 200 and DELETE_REASON_MISSING in refused.content.decode()
    assert Panel.objects.filter(pk=panel.pk).exists() and AuditEntry.objects.count() == count
    done = admin_client.post(url, {"post": "yes", "audit_reason": "중복 생성"})
    assert done.status_code == 302 and not Panel.objects.filter(pk=panel.pk).exists()
    (entry,) = entries(action="panel.deleted")
    assert (entry.before["name"], entry.after, entry.actor, entry.reason) == (
        "잘못 만든 위원회",
        None,
        admin_client.user,
        "중복 생성",
    )


def test_the_delete_selected_action_asks_for_a_reason(admin_client, competition):
    """A competition with no proposals: its categories and tracks go with it (a cascade)."""
    url = reverse("admin:proposals_competition_changelist")
    action = {"action": "delete_selected", "_selected_action": [competition.pk]}
    page = admin_client.post(url, action)
    assert page.status_code == 200 and "삭제 사유" in page.content.decode()
    count = AuditEntry.objects.count()
    refused = admin_client.post(url, {**action, "post": "yes"})
    assert refused.status_code == 200 and DELETE_REASON_MISSING in refused.content.decode()
    assert Competition.objects.exists() and AuditEntry.objects.count() == count
    done = admin_client.post(url, {**action, "post": "yes", "audit_reason": "시험 공모 정리"})
    assert done.status_code == 302 and not Competition.objects.exists()
    deleted = entries(action__endswith=".deleted")
    assert sorted({e.object_type for e in deleted}) == ["category", "competition", "track"]
    assert all(e.actor == admin_client.user and e.reason == "시험 공모 정리" for e in deleted)


def test_records_written_by_services_are_read_only_in_the_admin(admin_client, staged):
    for model in ("scoresheet", "score", "adjustment", "draw", "publication", "securitypledge"):
        assert admin_client.get(reverse(f"admin:evaluation_{model}_changelist")).status_code == 200
        assert admin_client.get(reverse(f"admin:evaluation_{model}_add")).status_code == 403


def test_the_audit_trail_in_the_admin_shows_korean_action_labels(admin_client, competition):
    page = admin_client.get(reverse("admin:proposals_auditentry_changelist")).content.decode()
    assert "공모 등록" in page and "트랙 등록" in page
    filtered = admin_client.get(reverse("admin:proposals_auditentry_changelist"), {"action": "track.created"})
    assert list(filtered.context["cl"].result_list) == list(
        AuditEntry.objects.filter(action="track.created").order_by("-created_at", "-id")
    )
