"""Officials' page per proposal (issue 3 §7–§8): reviewers and sheet states, conflicts, the
audit trail, reopening a submitted sheet with a reason, recording a challenge (기피)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from evaluation.models import Conflict, Score, Scoresheet
from proposals.models import AuditEntry

pytestmark = pytest.mark.django_db

REOPEN_REASON_MISSING = "재개 사유를 적어 주세요."


@pytest.fixture
def official(user_factory):
    user = user_factory(Role.OFFICIAL, "official-kim")
    user.first_name = "김담당"
    user.save()
    return user


@pytest.fixture
def official_client(client, official):
    client.force_login(official)
    return client


@pytest.fixture
def sheet_world(stage, make_criteria, make_proposal, make_reviewer, make_assignment, submit_sheet):
    """One proposal, a rubric of two criteria (50 + 50 points), a submitted sheet (kim), a draft
    (lee) and a sheet not started (park)."""
    make_criteria(2, max_points=Decimal(50))
    proposal = make_proposal(applicant="울산광역시", title="울산 스마트시티 챌린지")
    reviewers = [make_reviewer(username) for username in ("kim", "lee", "park")]
    assignments = [make_assignment(proposal, reviewer) for reviewer in reviewers]
    sheet = submit_sheet(assignments[0], [40, 45.5])
    submit_sheet(assignments[1], [30, None], draft_only=True)
    return proposal, assignments, sheet


def page_url(stage, proposal, name="official:proposal"):
    return reverse(name, args=[stage.competition.slug, stage.code, proposal.pk])


def stored(sheet):
    sheet = Scoresheet.objects.get(pk=sheet.pk)
    scores = list(Score.objects.filter(sheet=sheet).order_by("pk").values_list("points", "comment"))
    return sheet.status, sheet.total, sheet.version, sheet.submitted_at, scores


def test_proposal_page_shows_the_proposal_reviewers_and_sheet_states(official_client, stage, sheet_world):
    proposal, _assignments, _sheet = sheet_world
    page = official_client.get(page_url(stage, proposal)).content.decode()
    for text in ("울산 스마트시티 챌린지", "울산광역시", "거점형", "위원 kim", "위원 lee", "위원 park"):
        assert text in page
    for state in ("제출", "임시저장", "시작 전"):
        assert state in page
    # The audit trail lists the submission, by the reviewer who made it.
    assert "평가표 제출" in page
    assert "<caption>" in page and 'scope="col"' in page


def test_reopen_without_reason_shows_the_message_and_changes_nothing(official_client, stage, sheet_world):
    proposal, _assignments, sheet = sheet_world
    before, entries = stored(sheet), AuditEntry.objects.count()
    for reason in ("", "   "):
        response = official_client.post(
            page_url(stage, proposal, "official:reopen-sheet"),
            {"assignment": sheet.assignment_id, "reason": reason, "confirm": "on"},
        )
        assert response.status_code == 200
        assert REOPEN_REASON_MISSING in response.content.decode()
    assert stored(sheet) == before
    assert AuditEntry.objects.count() == entries


def test_reopen_with_reason_reopens_and_is_in_the_audit_trail(official_client, official, stage, sheet_world):
    proposal, _assignments, sheet = sheet_world
    version, scores = sheet.version, stored(sheet)[4]
    reason = "평가위원 요청: 항목 C2 점수 입력 오류"
    response = official_client.post(
        page_url(stage, proposal, "official:reopen-sheet"),
        {"assignment": sheet.assignment_id, "reason": reason, "confirm": "on"},
        follow=True,
    )
    sheet.refresh_from_db()
    assert sheet.status == Scoresheet.Status.DRAFT
    assert sheet.total is None and sheet.submitted_at is None
    assert sheet.version == version + 1
    assert stored(sheet)[4] == scores  # the reviewer's points stay; only they may change them
    entry = AuditEntry.objects.get(object_type="scoresheet", object_id=str(sheet.pk), reason=reason)
    assert entry.actor == official
    assert entry.before["status"] == "submitted" and entry.after["status"] == "draft"
    page = response.content.decode()
    assert "위원 kim 평가위원의 평가표를 재개했습니다" in page  # success message
    assert "평가표 재개" in page and reason in page and "김담당" in page  # the trail


def test_reopen_of_a_sheet_not_submitted_is_refused(official_client, stage, sheet_world):
    proposal, assignments, _sheet = sheet_world
    draft = Scoresheet.objects.get(assignment=assignments[1])
    before = stored(draft)
    response = official_client.post(
        page_url(stage, proposal, "official:reopen-sheet"),
        {"assignment": draft.assignment_id, "reason": "사유", "confirm": "on"},
    )
    assert "제출된 평가표만 재개할 수 있습니다" in response.content.decode()
    assert stored(draft) == before


def test_reopen_of_a_sheet_of_another_proposal_is_refused(official_client, stage, sheet_world, make_proposal):
    _proposal, _assignments, sheet = sheet_world
    other = make_proposal(applicant="부산광역시")
    before = stored(sheet)
    response = official_client.post(
        page_url(stage, other, "official:reopen-sheet"),
        {"assignment": sheet.assignment_id, "reason": "사유", "confirm": "on"},
    )
    assert response.status_code == 200
    assert stored(sheet) == before


def test_challenge_is_recorded_with_reason_and_shown(official_client, official, stage, sheet_world):
    proposal, assignments, _sheet = sheet_world
    reviewer = assignments[0].reviewer
    reason = "신청 지자체의 자문위원으로 활동 중"
    response = official_client.post(
        page_url(stage, proposal, "official:record-challenge"),
        {"reviewer": reviewer.pk, "reason": reason, "confirm": "on"},
        follow=True,
    )
    conflict = Conflict.objects.get(proposal=proposal, reviewer=reviewer)
    assert conflict.kind == Conflict.Kind.CHALLENGED
    assert conflict.reason == reason and conflict.recorded_by == official
    entry = AuditEntry.objects.get(object_type="conflict", object_id=str(conflict.pk))
    assert entry.action == "conflict.created" and entry.actor == official and entry.reason == reason
    page = response.content.decode()
    assert "위원 kim 평가위원의 기피를 기록했습니다" in page  # success message
    assert "기피" in page and reason in page and "김담당" in page
    assert "이해충돌" in page  # the sheet's state is now a conflict


def test_challenge_without_reason_records_nothing(official_client, stage, sheet_world):
    proposal, assignments, _sheet = sheet_world
    entries = AuditEntry.objects.count()
    response = official_client.post(
        page_url(stage, proposal, "official:record-challenge"),
        {"reviewer": assignments[0].reviewer.pk, "reason": "  ", "confirm": "on"},
    )
    assert "기피 사유를 적어 주세요." in response.content.decode()
    assert not Conflict.objects.exists()
    assert AuditEntry.objects.count() == entries


def test_challenge_of_a_reviewer_not_assigned_is_refused(official_client, stage, sheet_world, make_reviewer):
    proposal, _assignments, _sheet = sheet_world
    stranger = make_reviewer("jung")
    official_client.post(
        page_url(stage, proposal, "official:record-challenge"),
        {"reviewer": stranger.pk, "reason": "사유", "confirm": "on"},
    )
    assert not Conflict.objects.exists()


def test_audit_trail_lists_submission_then_reopen(official_client, stage, sheet_world):
    proposal, _assignments, sheet = sheet_world
    official_client.post(
        page_url(stage, proposal, "official:reopen-sheet"),
        {"assignment": sheet.assignment_id, "reason": "입력 오류", "confirm": "on"},
    )
    page = official_client.get(page_url(stage, proposal)).content.decode()
    reopened, submitted = page.index("평가표 재개"), page.index("평가표 제출")
    assert reopened < submitted  # newest first


@pytest.mark.parametrize("role", [Role.REVIEWER, None])
def test_proposal_pages_are_for_officials_only(client, user_factory, stage, sheet_world, role):
    proposal, _assignments, sheet = sheet_world
    client.force_login(user_factory(role))
    assert client.get(page_url(stage, proposal)).status_code == 403
    response = client.post(
        page_url(stage, proposal, "official:reopen-sheet"),
        {"assignment": sheet.assignment_id, "reason": "x", "confirm": "on"},
    )
    assert response.status_code == 403
    assert Scoresheet.objects.get(pk=sheet.pk).is_submitted


def test_admin_may_use_the_officials_pages(admin_client, stage, sheet_world):
    proposal, _assignments, _sheet = sheet_world
    assert admin_client.get(page_url(stage, proposal)).status_code == 200


def test_audit_trail_is_the_proposals_own_and_keeps_removed_conflicts(
    stage, sheet_world, make_proposal, make_assignment, submit_sheet
):
    from evaluation.assignments import withdraw_conflict
    from evaluation.queries import proposal_audit_trail

    proposal, assignments, sheet = sheet_world
    other = make_proposal(applicant="부산광역시")
    other_sheet = submit_sheet(make_assignment(other, assignments[0].reviewer), [1, 1])
    removed = Conflict.objects.create(
        proposal=proposal, reviewer=assignments[2].reviewer, kind=Conflict.Kind.DECLARED, reason="착오"
    )
    removed_pk = removed.pk
    withdraw_conflict(removed, "착오로 기록", None)
    trail = list(proposal_audit_trail(proposal, stage))
    keys = {(entry.object_type, entry.object_id) for entry in trail}
    assert ("scoresheet", str(sheet.pk)) in keys
    assert ("scoresheet", str(other_sheet.pk)) not in keys
    assert ("conflict", str(removed_pk)) in keys
    assert {entry.action for entry in trail if entry.object_type == "conflict"} == {
        "conflict.created",
        "conflict.deleted",
    }


def test_reopen_and_challenge_take_only_post(official_client, stage, sheet_world):
    proposal, _assignments, _sheet = sheet_world
    for name in ("official:reopen-sheet", "official:record-challenge"):
        assert official_client.get(page_url(stage, proposal, name)).status_code == 405


def test_reopen_link_preselects_the_sheet(official_client, stage, sheet_world):
    proposal, _assignments, sheet = sheet_world
    page = official_client.get(page_url(stage, proposal) + f"?reopen={sheet.assignment_id}").content.decode()
    assert f'<option value="{sheet.assignment_id}" selected>' in page
