"""The progress page (issue 10 §7, §9): the stage switch shows the active stage, who still owes
which sheets per reviewer, one click sends a reminder (never twice by a double click), and the
notices sent are listed for officials."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.roles import Role
from evaluation import notices
from evaluation.models import Notice, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet, pledged):
    """Two proposals; kim submitted on the first and owes the second; lee owes both (a draft on the
    first); park submitted both."""
    make_criteria(2)
    first, second = make_proposal(applicant="울산광역시"), make_proposal(applicant="고양시")
    kim, lee, park = (make_reviewer(name) for name in ("kim", "lee", "park"))
    for reviewer in (kim, lee, park):
        pledged(reviewer)
    with notices.paused():
        assignments = {(p, r): make_assignment(p, r) for p in (first, second) for r in (kim, lee, park)}
    submit_sheet(assignments[first, kim], [10, 10])
    submit_sheet(assignments[first, lee], [10, None], draft_only=True)
    submit_sheet(assignments[first, park], [12, 12])
    submit_sheet(assignments[second, park], [15, 15])
    return {"first": first, "second": second, "kim": kim, "lee": lee, "park": park}


@pytest.fixture
def official(user_factory):
    return user_factory(Role.OFFICIAL, "official-han")


@pytest.fixture
def official_client(client, official):
    client.force_login(official)
    return client


def progress_url(stage):
    return reverse("official:progress", args=[stage.competition.slug, stage.code])


def remind_url(stage):
    return reverse("official:remind", args=[stage.competition.slug, stage.code])


def test_the_page_lists_who_owes_which_sheets(official_client, stage, world):
    response = official_client.get(progress_url(stage))
    owed = {row["reviewer"].name: row for row in response.context["owed"]}
    assert list(owed) == ["위원 kim", "위원 lee"]
    assert [a.proposal for a, _state in owed["위원 kim"]["assignments"]] == [world["second"]]
    assert [(a.proposal, state) for a, state in owed["위원 lee"]["assignments"]] == [
        (world["first"], "임시 저장"),
        (world["second"], "시작 전"),
    ]
    page = response.content.decode()
    assert "평가위원 2명이 평가표 3건을 아직 제출하지 않았습니다." in page
    assert "평가위원별 미제출 평가표" in page and "알림 보내기" in page
    assert ">20.00<" not in page and ">24.00<" not in page  # no score


def test_one_click_sends_one_reminder_and_a_double_click_does_not_send_twice(
    official_client, stage, world, official, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = official_client.post(remind_url(stage), {"reviewer": world["lee"].pk}, follow=True)
    assert response.redirect_chain[-1][0].endswith(progress_url(stage) + "#owed")
    (message,) = mail.outbox
    assert message.to == ["lee@example.kr"] and "평가표가 2건 있습니다" in message.body
    page = response.content.decode()
    assert "위원 lee 위원에게 미제출 평가표 2건 알림을 보냈습니다." in page
    notice = Notice.objects.get()
    assert notice.sent_by == official and notice.kind == "reminder"
    # The notices sent, with who sent them and whether the mail server took them.
    page = official_client.get(progress_url(stage)).content.decode()
    assert "미제출 평가표 알림" in page and "발송 완료" in page and "official-han" in page
    with django_capture_on_commit_callbacks(execute=True):
        again = official_client.post(remind_url(stage), {"reviewer": world["lee"].pk}, follow=True)
    assert len(mail.outbox) == 1 and Notice.objects.count() == 1
    assert "이미 알림을 보냈으므로 다시 보내지 않았습니다." in again.content.decode()


def test_remind_everyone_who_owes(official_client, stage, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        official_client.post(remind_url(stage))
    assert sorted(message.to[0] for message in mail.outbox) == ["kim@example.kr", "lee@example.kr"]
    page = official_client.get(progress_url(stage)).content.decode()
    assert page.count("<time datetime=") >= 4  # last reminder per reviewer, and each notice's time


def test_a_reviewer_who_owes_nothing_is_not_reminded(official_client, stage, world):
    response = official_client.post(remind_url(stage), {"reviewer": world["park"].pk}, follow=True)
    assert "이 평가위원은 이 평가 단계에서 더 이상 제출할 평가표가 없어 알림을 보내지 않았습니다." in (
        response.content.decode()
    )
    assert not mail.outbox and not Notice.objects.exists()


def test_the_stage_switch_marks_the_active_stage(official_client, stage, world):
    other = Stage.objects.create(competition=stage.competition, code="test-oral", name="발표평가", order=91)
    page = official_client.get(progress_url(stage)).content.decode()
    assert (
        f'<li class="active"><a class="btn-tab" href="{progress_url(stage)}" aria-current="page">서면평가'
        in page
    )
    assert f'<a class="btn-tab" href="{progress_url(other)}">발표평가</a>' in page
    assert "(현재 단계)" in page


def test_every_sheet_submitted_says_so(official_client, stage, make_criteria, make_proposal):
    make_criteria(1)
    make_proposal()
    page = official_client.get(progress_url(stage)).content.decode()
    assert "배정된 평가위원 모두가 이 평가 단계의 평가표를 모두 제출했습니다." in page
    assert remind_url(stage) not in page


def test_reviewers_cannot_send_reminders(client, stage, world):
    client.force_login(world["kim"].user)
    assert client.post(remind_url(stage)).status_code == 403
    assert not mail.outbox and not Notice.objects.exists()


def test_officials_never_see_a_reviewers_address(
    official_client, stage, world, django_capture_on_commit_callbacks
):
    """A reviewer's e-mail address is personal data (SPEC §7): the notices list names the reviewer."""
    with django_capture_on_commit_callbacks(execute=True):
        response = official_client.post(remind_url(stage), follow=True)
    assert "@example.kr" not in response.content.decode()
    assert "@example.kr" not in official_client.get(progress_url(stage)).content.decode()
