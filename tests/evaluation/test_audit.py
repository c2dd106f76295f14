"""Audited models write an AuditEntry on every path that changes them (issue 3 §8): save(),
delete(), and the queryset's update(), bulk_update(), bulk_create() and delete() — with the
actor and reason of the surrounding audit_context."""

import pytest

from accounts.roles import Role
from evaluation.models import Assignment, Conflict, Scoresheet
from proposals.models import AuditEntry, audit_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def official(user_factory):
    return user_factory(Role.OFFICIAL, "audit-official")


@pytest.fixture
def pairs(stage, make_proposal, make_reviewer):
    """Two proposals × two reviewers, nothing assigned yet."""
    proposals = [make_proposal(applicant="울산광역시"), make_proposal(applicant="부산광역시")]
    reviewers = [make_reviewer("kim"), make_reviewer("lee")]
    return stage, proposals, reviewers


def entries(object_type, action=None):
    found = AuditEntry.objects.filter(object_type=object_type).order_by("pk")
    return list(found.filter(action=action) if action else found)


def test_save_records_creation_and_each_change_with_actor_and_reason(pairs, official):
    _stage, proposals, reviewers = pairs
    with audit_context(official, "신청기관 자문 이력"):
        conflict = Conflict.objects.create(
            proposal=proposals[0], reviewer=reviewers[0], kind=Conflict.Kind.CHALLENGED, reason="자문"
        )
    [created] = entries("conflict")
    assert created.action == "conflict.created" and created.object_id == str(conflict.pk)
    assert created.actor == official and created.reason == "신청기관 자문 이력"
    assert created.before is None and created.after["reason"] == "자문"
    assert created.competition_id == proposals[0].competition_id

    conflict = Conflict.objects.get(pk=conflict.pk)
    with audit_context(official, "사유 보완"):
        conflict.reason = "자문위원 활동"
        conflict.save()
        conflict.save()  # nothing changed: no second entry
    [updated] = entries("conflict", "conflict.updated")
    assert updated.before == {"reason": "자문"} and updated.after == {"reason": "자문위원 활동"}
    assert updated.actor == official and updated.reason == "사유 보완"


def test_changes_outside_an_audit_context_are_recorded_as_the_system(pairs):
    stage, proposals, reviewers = pairs
    Assignment.objects.create(stage=stage, proposal=proposals[0], reviewer=reviewers[0])
    [entry] = entries("assignment")
    assert entry.actor is None and entry.reason == ""


def test_queryset_update_records_before_and_after_per_row(pairs, official):
    stage, proposals, reviewers = pairs
    sheets = [
        Scoresheet.objects.create(
            assignment=Assignment.objects.create(stage=stage, proposal=proposal, reviewer=reviewers[0]),
            status=Scoresheet.Status.SUBMITTED,
            total=80 + number,
        )
        for number, proposal in enumerate(proposals)
    ]
    with audit_context(official, "일괄 재개"):
        changed = Scoresheet.objects.filter(pk__in=[s.pk for s in sheets]).update(
            status=Scoresheet.Status.DRAFT, total=None
        )
    assert changed == 2
    updates = {entry.object_id: entry for entry in entries("scoresheet", "scoresheet.updated")}
    assert set(updates) == {str(sheet.pk) for sheet in sheets}
    first = updates[str(sheets[0].pk)]
    assert first.before == {"status": "submitted", "total": "80.00"}
    assert first.after == {"status": "draft", "total": None}
    assert updates[str(sheets[1].pk)].before["total"] == "81.00"
    assert all(entry.actor == official and entry.reason == "일괄 재개" for entry in updates.values())


def test_bulk_update_records_before_and_after_per_object(pairs, official):
    _stage, proposals, reviewers = pairs
    conflicts = [
        Conflict.objects.create(
            proposal=proposal, reviewer=reviewers[1], kind=Conflict.Kind.DECLARED, reason="전"
        )
        for proposal in proposals
    ]
    for conflict in conflicts:
        conflict.reason = "후"
    with audit_context(official, "사유 정정"):
        Conflict.objects.bulk_update(conflicts, ["reason"])
    updates = entries("conflict", "conflict.updated")
    assert {entry.object_id for entry in updates} == {str(c.pk) for c in conflicts}
    assert all(entry.before == {"reason": "전"} and entry.after == {"reason": "후"} for entry in updates)
    assert all(entry.actor == official and entry.reason == "사유 정정" for entry in updates)


def test_bulk_create_records_each_created_row(pairs, official):
    stage, proposals, reviewers = pairs
    with audit_context(official, "위원회 구성"):
        created = Assignment.objects.bulk_create(
            [Assignment(stage=stage, proposal=p, reviewer=r) for p in proposals for r in reviewers]
        )
    records = entries("assignment", "assignment.created")
    assert {entry.object_id for entry in records} == {str(a.pk) for a in created}
    assert len(records) == 4
    assert all(entry.actor == official and entry.reason == "위원회 구성" for entry in records)
    assert records[0].after["stage_id"] == stage.pk


def test_delete_of_an_object_and_of_a_queryset_records_the_last_values(pairs, official):
    _stage, proposals, reviewers = pairs
    conflicts = [
        Conflict.objects.create(proposal=p, reviewer=reviewers[0], kind=Conflict.Kind.DECLARED, reason="회피")
        for p in proposals
    ]
    with audit_context(official, "잘못 기록"):
        Conflict.objects.get(pk=conflicts[0].pk).delete()
        Conflict.objects.filter(pk=conflicts[1].pk).delete()
    deleted = entries("conflict", "conflict.deleted")
    assert [entry.object_id for entry in deleted] == [str(c.pk) for c in conflicts]
    assert all(entry.before["reason"] == "회피" and entry.after is None for entry in deleted)
    assert all(entry.actor == official and entry.reason == "잘못 기록" for entry in deleted)
    assert not Conflict.objects.exists()


def test_panel_membership_changes_are_audited(stage, make_reviewer, user_factory):
    from evaluation.models import Panel
    from proposals.models import AuditEntry, audit_context

    official = user_factory(Role.ADMIN, "panel-admin")
    kim, lee = make_reviewer("kim"), make_reviewer("lee")
    panel = Panel.objects.create(stage=stage, name="서면평가위원회")
    with audit_context(official, "위원 위촉"):
        panel.members.set([kim, lee])
        panel.members.remove(lee)
    added = AuditEntry.objects.get(action="panel.members_added")
    removed = AuditEntry.objects.get(action="panel.members_removed")
    assert (added.before, added.after) == ({"members": []}, {"members": sorted([kim.pk, lee.pk])})
    assert added.actor == official
    assert (removed.before, removed.after) == ({"members": sorted([kim.pk, lee.pk])}, {"members": [kim.pk]})
    assert removed.reason == "위원 위촉"
    assert added.competition_id == stage.competition_id


def test_adjustments_and_draws_are_in_the_proposals_audit_trail(stage, make_proposal, user_factory):
    from decimal import Decimal

    from evaluation.models import Adjustment, Draw
    from evaluation.queries import proposal_audit_trail

    official = user_factory(Role.OFFICIAL, "trail-official")
    proposal, other = make_proposal(), make_proposal()
    with audit_context(official, "지역 균형 가점"):
        Adjustment.objects.create(
            proposal=proposal, points=Decimal(2), reason="지역 균형 가점", recorded_by=official
        )
        Adjustment.objects.create(proposal=other, points=Decimal(1), reason="다른 사업", recorded_by=official)
    with audit_context(official, "추첨: 공개 추첨"):
        draw = Draw.objects.create(proposal=proposal, order=2, method="공개 추첨", recorded_by=official)
        draw.order = 1
        draw.save()
    actions = [entry.action for entry in proposal_audit_trail(proposal, stage)]
    assert sorted(actions) == ["adjustment.created", "draw.created", "draw.updated", "proposal.created"]


def test_score_changes_are_in_the_proposals_audit_trail(
    stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet
):
    """Each score a reviewer writes or changes is in the trail, with its before and after."""
    from decimal import Decimal

    from evaluation.queries import proposal_audit_trail

    make_criteria(2)
    proposal = make_proposal()
    assignment = make_assignment(proposal, make_reviewer("kim"), confirmed=True)
    submit_sheet(assignment, [10, 10], draft_only=True)
    submit_sheet(assignment, [12, 10])
    scores = [entry for entry in proposal_audit_trail(proposal, stage) if entry.object_type == "score"]
    assert sorted(entry.action for entry in scores) == ["score.created", "score.created", "score.updated"]
    (changed,) = [entry for entry in scores if entry.action == "score.updated"]
    assert changed.before.keys() == changed.after.keys() == {"points"}
    assert (Decimal(changed.before["points"]), Decimal(changed.after["points"])) == (10, 12)
    assert changed.actor == assignment.reviewer.user
    assert {entry.competition_id for entry in scores} == {stage.competition_id}
