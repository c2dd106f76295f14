"""Appeals (이의신청, issue 13) through the services: filing, the committee, the decision, the
correction that cites it, and the state of the publication (확정)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.roles import RoleRequired
from evaluation import appeals
from evaluation.appeals import (
    AppealRefused,
    add_committee_member,
    decide_appeal,
    publication_state,
    remove_committee_member,
)
from evaluation.letters import issue_letters
from evaluation.models import (
    Appeal,
    AppealCommitteeMember,
    Assignment,
    LetterOpening,
    Publication,
    appeal_deadline,
)
from evaluation.publication import publish, verify
from evaluation.sheets import reopen
from proposals.models import AuditEntry, StoredFile
from tests.documents import pdf_bytes
from tests.letters import filed, lettered, letters_official, token_of  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def at(moment, monkeypatch):
    monkeypatch.setattr(appeals.timezone, "now", lambda: moment)


def nothing_written():
    return (Appeal.objects.count(), StoredFile.objects.filter(name__startswith="appeals/").count())


def test_an_appeal_is_filed_with_its_attachment_and_acknowledged(
    lettered, mailoutbox, django_capture_on_commit_callbacks
):
    content = pdf_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        appeal = filed(lettered, attachment_name="소명자료.pdf", attachment=content)
    assert appeal.publication == lettered["publication"]
    assert appeal.proposal == lettered["proposals"][3]
    assert appeal.status == Appeal.Status.RECEIVED and appeal.is_open
    assert appeal.attachment_name == "소명자료.pdf"
    with appeal.attachment.open("rb") as stored:
        assert stored.read() == content
    assert len(appeal.attachment_sha256) == 64
    assert not LetterOpening.objects.exists()  # filing is not an opening of the letter
    (mail,) = mailoutbox
    assert mail.to == [lettered["proposals"][3].contact_email]
    assert mail.subject == "[2023년 스마트시티 조성사업] 이의신청이 접수되었습니다"
    assert "홍길동 님께" in mail.body and "평가위원의 명백한 착오" in mail.body
    assert AuditEntry.objects.filter(
        object_type="appeal", object_id=str(appeal.pk), action="appeal.created"
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"ground": "method"},
            "이의신청 사유 중 하나를 고르십시오. 평가위원 선정과 평가 방법은 이의신청 대상이 아닙니다.",
        ),
        (
            {"ground": ""},
            "이의신청 사유 중 하나를 고르십시오. 평가위원 선정과 평가 방법은 이의신청 대상이 아닙니다.",
        ),
        ({"text": "  "}, "이의신청 내용과 이유를 적으십시오."),
        ({"text": "가" * 5001}, "내용은 5,000자까지 쓸 수 있습니다(지금 5,001자)."),
        ({"filed_by": ""}, "이의신청인의 이름을 적으십시오."),
        ({"filed_by": "가" * 61}, "이름은 60자까지 쓸 수 있습니다."),
        (
            {"attachment_name": "run.exe", "attachment": b"MZ\x90\x00"},
            "'run.exe': 이 형식의 파일은 저장할 수 없습니다. 저장할 수 있는 형식: PDF, HWP, HWPX, DOCX, XLSX, PPTX, JPG, JPEG, PNG.",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(lettered, mailoutbox, overrides, message):
    before = nothing_written()
    with pytest.raises(AppealRefused) as refused:
        filed(lettered, **overrides)
    assert refused.value.message == message
    assert nothing_written() == before
    assert not mailoutbox


def test_no_appeal_after_the_window(lettered, monkeypatch):
    deadline = appeal_deadline(lettered["publication"].published_at, 7)
    at(deadline, monkeypatch)
    with pytest.raises(AppealRefused) as refused:
        filed(lettered)
    local = timezone.localtime(deadline) - timedelta(days=1)
    assert refused.value.message == (
        f"이 결과에 대한 이의신청은 {local:%Y-%m-%d} 24:00까지 받았습니다. 신청 기간이 끝났습니다."
    )
    assert not Appeal.objects.exists()
    at(deadline - timedelta(seconds=1), monkeypatch)
    assert filed(lettered).pk


def test_the_window_is_the_competitions_setting(lettered, competition, monkeypatch):
    type(competition).objects.filter(pk=competition.pk).update(appeal_days=3)
    deadline = appeal_deadline(lettered["publication"].published_at, 3)
    at(deadline, monkeypatch)
    with pytest.raises(AppealRefused) as refused:
        filed(lettered)
    assert refused.value.code == "closed"


def test_a_reviewer_of_the_proposal_cannot_sit_on_its_committee_on_any_path(lettered):
    appeal = filed(lettered)
    official, own, spare = lettered["official"], lettered["reviewers"][0], lettered["spare"][0]
    message = "이 사업을 평가한 위원은 그 이의신청을 심의하는 위원회에 참여할 수 없습니다."
    with pytest.raises(AppealRefused) as refused:
        add_committee_member(appeal, own, official)
    assert refused.value.message == message
    with pytest.raises(ValidationError) as invalid:
        AppealCommitteeMember.objects.create(appeal=appeal, reviewer=own, added_by=official)
    assert invalid.value.messages == [message]
    with pytest.raises(ValidationError):
        AppealCommitteeMember.objects.bulk_create(
            [AppealCommitteeMember(appeal=appeal, reviewer=own, added_by=official)]
        )
    member = add_committee_member(appeal, spare, official)
    with pytest.raises(ValidationError):
        AppealCommitteeMember.objects.filter(pk=member.pk).update(reviewer=own)
    assert list(AppealCommitteeMember.objects.values_list("reviewer", flat=True)) == [spare.pk]


def test_a_reviewer_assigned_in_another_stage_is_refused_too(lettered, competition):
    from evaluation.models import Stage

    appeal = filed(lettered)
    spare = lettered["spare"][1]
    later = Stage.objects.create(competition=competition, code="test-oral", name="발표평가", order=95)
    Assignment.objects.create(stage=later, proposal=appeal.proposal, reviewer=spare)
    with pytest.raises(AppealRefused) as refused:
        add_committee_member(appeal, spare, lettered["official"])
    assert refused.value.field == "reviewer"
    assert not AppealCommitteeMember.objects.exists()


def test_the_decision_needs_a_committee_and_reasons(lettered, mailoutbox, django_capture_on_commit_callbacks):
    appeal = filed(lettered)
    mailoutbox.clear()
    official = lettered["official"]
    with pytest.raises(AppealRefused) as refused:
        decide_appeal(appeal, official, accept=False, reasons="사유")
    assert refused.value.message == "결정하기 전에 심의위원회를 기록하십시오(1명 이상)."
    add_committee_member(appeal, lettered["spare"][0], official)
    with pytest.raises(AppealRefused) as refused:
        decide_appeal(appeal, official, accept=False, reasons=" ")
    assert refused.value.message == "결정 이유를 적으십시오."
    assert Appeal.objects.get(pk=appeal.pk).status == Appeal.Status.RECEIVED
    with django_capture_on_commit_callbacks(execute=True):
        decided = decide_appeal(appeal, official, accept=False, reasons="채점 착오가 확인되지 않음")
    assert decided.status == Appeal.Status.REJECTED and not decided.is_open
    (mail,) = mailoutbox
    assert mail.subject == "[2023년 스마트시티 조성사업] 이의신청 결정 안내"
    assert "기각" in mail.body and "채점 착오가 확인되지 않음" in mail.body
    with pytest.raises(AppealRefused) as refused:
        decide_appeal(appeal, official, accept=True, reasons="다시")
    assert refused.value.message == "이미 결정된 이의신청입니다."
    with pytest.raises(AppealRefused):
        add_committee_member(appeal, lettered["spare"][1], official)


def test_committee_members_are_removed_with_a_reason(lettered):
    appeal = filed(lettered)
    member = add_committee_member(appeal, lettered["spare"][0], lettered["official"])
    with pytest.raises(AppealRefused) as refused:
        remove_committee_member(member, lettered["official"], "")
    assert refused.value.message == "위원을 위원회에서 제외하는 이유를 적으십시오."
    remove_committee_member(member, lettered["official"], "일정 불가")
    assert not AppealCommitteeMember.objects.exists()


def test_only_officials_record_committees_and_decisions(lettered):
    appeal = filed(lettered)
    reviewer_user = lettered["reviewers"][0].user
    with pytest.raises(RoleRequired):
        add_committee_member(appeal, lettered["spare"][0], reviewer_user)
    with pytest.raises(RoleRequired):
        decide_appeal(appeal, reviewer_user, accept=True, reasons="x")


def test_the_database_refuses_a_decision_without_reasons(lettered):
    appeal = filed(lettered)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.filter(pk=appeal.pk).update(status=Appeal.Status.ACCEPTED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appeal.objects.filter(pk=appeal.pk).update(corrected_by=lettered["publication"])


def test_an_accepted_appeal_leads_to_a_correction_that_cites_it(lettered, competition, monkeypatch):
    """Proposal 3 (not selected) appeals; reviewer E's sheet is reopened and scored higher; the
    correction cites the appeal; once its own window closes the result is final (확정)."""
    official = lettered["official"]
    appeal = filed(lettered)
    add_committee_member(appeal, lettered["spare"][0], official)
    decide_appeal(appeal, official, accept=True, reasons="평가위원 E의 C1 점수 입력 착오 확인")
    first = lettered["publication"]
    deadline = appeal_deadline(first.published_at, competition.appeal_days)
    at(deadline + timedelta(days=1), monkeypatch)
    state = publication_state(first)
    assert (state.code, state.open_appeals) == ("under_review", 1)  # accepted, not yet corrected
    assert state.label == "이의신청 심사 중"

    from evaluation.sheets import SheetInput, criteria_for, submit

    assignment = Assignment.objects.get(proposal=appeal.proposal, reviewer=lettered["reviewers"][4])
    reopen(assignment.sheet, f"이의신청 제{appeal.pk}호 인용", official)
    criteria = criteria_for(assignment.stage, assignment.proposal.track)
    sheet = assignment.sheet
    sheet.refresh_from_db()
    submit(
        assignment,
        sheet.version,
        SheetInput(points={criteria[0].pk: Decimal(40), criteria[1].pk: Decimal(40)}),
        assignment.reviewer.user,
    )
    correction = publish(
        competition, official, correction_reason=f"이의신청 제{appeal.pk}호 인용에 따른 정정"
    )
    appeal.refresh_from_db()
    assert appeal.corrected_by == correction and not appeal.is_open
    (cited,) = correction.snapshot["appeals"]
    assert cited == {
        "id": appeal.pk,
        "publication": 1,
        "proposal": lettered["proposals"][3].reference,
        "ground": "evaluator_error",
        "decision": "평가위원 E의 C1 점수 입력 착오 확인",
    }
    assert "appeals" not in first.snapshot  # other snapshots keep their shape
    assert verify(correction)[0] and verify(first)[0]
    assert publication_state(first).code == "superseded"
    # The correction opens its own window (the corrected result may be appealed), then is final.
    assert publication_state(correction, now=correction.published_at).code == "appeal_window"
    later = appeal_deadline(correction.published_at, competition.appeal_days)
    assert publication_state(correction, now=later).code == "final"
    assert publication_state(correction, now=later).label == "확정"
    # The old letter cannot appeal the corrected result; a new letter can.
    at(correction.published_at, monkeypatch)
    with pytest.raises(AppealRefused) as refused:
        filed(lettered, number=3)
    assert refused.value.code == "superseded"
    (issued,) = issue_letters(competition, official, [appeal.proposal_id])
    assert issued.letter.publication == correction
    assert issued.letter.content["result"]["rank"] is not None


def test_a_rejected_appeal_lets_the_result_become_final(lettered, competition):
    appeal = filed(lettered)
    publication = lettered["publication"]
    deadline = appeal_deadline(publication.published_at, competition.appeal_days)
    assert publication_state(publication, now=deadline - timedelta(seconds=1)).code == "appeal_window"
    assert publication_state(publication, now=deadline).code == "under_review"
    add_committee_member(appeal, lettered["spare"][0], lettered["official"])
    decide_appeal(appeal, lettered["official"], accept=False, reasons="사유 없음")
    assert publication_state(publication, now=deadline).code == "final"
    assert Publication.objects.count() == 1


def test_a_committee_member_is_not_assigned_to_the_proposal_under_appeal(lettered, stage, make_assignment):
    appeal = filed(lettered)
    spare = lettered["spare"][0]
    add_committee_member(appeal, spare, lettered["official"])
    message = (
        "위원 spare1 위원은 이 사업의 이의신청을 심의하는 위원회에 있으므로 심사가 끝날 때까지 이 사업에 "
        "배정할 수 없습니다."
    )
    with pytest.raises(ValidationError) as refused:
        make_assignment(appeal.proposal, spare)
    assert refused.value.messages == [message]
    with pytest.raises(ValidationError):
        Assignment.objects.bulk_create([Assignment(stage=stage, proposal=appeal.proposal, reviewer=spare)])
    other = Assignment.objects.filter(reviewer=lettered["reviewers"][0], proposal=appeal.proposal).get()
    with pytest.raises(ValidationError):
        Assignment.objects.filter(pk=other.pk).update(reviewer=spare)
    assert not Assignment.objects.filter(reviewer=spare).exists()
    make_assignment(lettered["proposals"][1], spare)  # another proposal: allowed


def test_a_decided_appeals_committee_is_closed_on_every_path(lettered):
    appeal = filed(lettered)
    add_committee_member(appeal, lettered["spare"][0], lettered["official"])
    decide_appeal(appeal, lettered["official"], accept=False, reasons="사유 없음")
    message = "결정이 끝난 이의신청이므로 심의위원회를 바꿀 수 없습니다."
    with pytest.raises(ValidationError) as refused:
        AppealCommitteeMember.objects.create(
            appeal=appeal, reviewer=lettered["spare"][1], added_by=lettered["official"]
        )
    assert refused.value.messages == [message]
    assert AppealCommitteeMember.objects.count() == 1


def test_an_appeal_undecided_at_a_correction_keeps_the_corrected_result_from_becoming_final(
    lettered, competition
):
    """Proposal 3 appeals; meanwhile a correction is published for another reason. The corrected
    result is not 확정 while that appeal is undecided, whatever its own window."""
    from evaluation.models import Adjustment

    appeal = filed(lettered)
    Adjustment.objects.create(proposal=lettered["proposals"][2], points=Decimal(1), reason="가점 누락")
    correction = publish(competition, lettered["official"], correction_reason="가점 누락 정정")
    later = appeal_deadline(correction.published_at, competition.appeal_days)
    state = publication_state(correction, now=later)
    assert (state.code, state.open_appeals) == ("under_review", 1)
    add_committee_member(appeal, lettered["spare"][0], lettered["official"])
    decide_appeal(appeal, lettered["official"], accept=False, reasons="착오 없음")
    assert publication_state(correction, now=later).code == "final"
