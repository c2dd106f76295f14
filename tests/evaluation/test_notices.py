"""Notices to reviewers by e-mail (issue 10 §9): assignment notices (panels, the assign command,
the Django admin), reminders of sheets owed (the service, the command), the reopened sheet with
its reason; each logged and audited, sent only after its transaction commits, never twice within
the window, and saying nothing a reviewer may not read (no score, no other reviewer)."""

import re
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import transaction
from django.urls import reverse

from accounts.roles import Role
from evaluation import notices, sheets
from evaluation.assignments import form_panel
from evaluation.models import Assignment, Notice, Panel, SecurityPledge, Stage
from evaluation.publication import publish
from proposals.models import AuditEntry, Track

pytestmark = pytest.mark.django_db

SITE = settings.SITE_URL.rstrip("/")


@pytest.fixture
def official(user_factory):
    user = user_factory(Role.OFFICIAL, "official-han")
    user.first_name = "한담당"
    user.save()
    return user


@pytest.fixture
def panel_world(staged, make_reviewer):
    """The 2023 competition's 서면평가 panel for 거점형 (10 proposals) with two members; kim has
    accepted the security pledge, lee has not."""
    stage = Stage.objects.get(competition=staged, code="document")
    panel = Panel.objects.create(stage=stage, name="거점형 서면평가")
    panel.tracks.set(Track.objects.filter(category__competition=staged, code="hub"))
    kim, lee = make_reviewer("kim", affiliation="한국대학교"), make_reviewer("lee", affiliation="국토연구원")
    SecurityPledge.objects.create(reviewer=kim, competition=staged)
    panel.members.set([kim, lee])
    return {"competition": staged, "stage": stage, "panel": panel, "kim": kim, "lee": lee}


def mails_to(address):
    return [message for message in mail.outbox if message.to == [address]]


def test_tests_use_the_in_memory_outbox():
    assert settings.MAILERS["default"]["BACKEND"] == "django.core.mail.backends.locmem.EmailBackend"


# --- Assignment notices ------------------------------------------------------------------------


def test_forming_a_panel_sends_each_member_one_korean_notice_after_commit(
    panel_world, django_capture_on_commit_callbacks, user_factory
):
    admin = user_factory(Role.ADMIN, "admin-jung")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        report = form_panel(panel_world["panel"], actor=admin)
        assert not mail.outbox  # nothing leaves before the transaction commits
    assert report.created == 20 and len(callbacks) == 2
    kim_mail, lee_mail = mails_to("kim@example.kr"), mails_to("lee@example.kr")
    assert len(kim_mail) == 1 and len(lee_mail) == 1
    body = kim_mail[0].body
    assert kim_mail[0].subject == "[2023년 스마트시티 조성사업] 서면평가: 평가할 사업 제안이 배정되었습니다"
    assert body.startswith("위원 kim 위원님께\n")
    assert "2023년 스마트시티 조성사업 서면평가에서 평가하실 사업 제안 10건이 새로 배정되었습니다." in body
    assert "- 거점형: 10건" in body
    assert f"{SITE}/review/smartcity-2023/" in body
    # kim accepted the pledge: the list names the proposals; lee has not: counts only.
    assert "- 2023-H-01 " in body
    assert "2023-H-01" not in lee_mail[0].body and "- 거점형: 10건" in lee_mail[0].body
    assert "보안서약에 동의하고" in lee_mail[0].body
    for message in (kim_mail[0], lee_mail[0]):
        assert "위원 lee" not in message.body or message.to == ["lee@example.kr"]
        assert "위원 kim" not in message.body or message.to == ["kim@example.kr"]
        assert not re.search(r"\d+\.\d\d", message.body)  # no score
    notice = Notice.objects.get(reviewer=panel_world["kim"])
    assert notice.kind == Notice.Kind.ASSIGNMENT and notice.status == Notice.Status.SENT
    assert notice.sent_by == admin and notice.sent_at and notice.recipient == "kim@example.kr"
    assert notice.stage == panel_world["stage"] and notice.assignments.count() == 10
    assert notice.body == body and notice.subject == kim_mail[0].subject
    entry = AuditEntry.objects.get(action="notice.created", object_id=str(notice.pk))
    assert entry.actor == admin and entry.competition_id == panel_world["competition"].pk


def test_a_rolled_back_panel_sends_nothing(panel_world, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        form_panel(panel_world["panel"])
        raise RuntimeError("the admin's request failed afterwards")
    assert not mail.outbox
    assert not Notice.objects.exists() and not Assignment.objects.exists()


def test_forming_the_panel_again_sends_nothing_new(panel_world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        form_panel(panel_world["panel"])
        form_panel(panel_world["panel"])  # every assignment kept: nothing new to tell
    assert len(mail.outbox) == 2 and Notice.objects.count() == 2


def test_the_assign_command_notifies_the_reviewers_drawn(panel_world, django_capture_on_commit_callbacks):
    panel_world["panel"].tracks.set(Track.objects.filter(category__competition=panel_world["competition"]))
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "assign",
            competition="smartcity-2023",
            stage="document",
            per_proposal=1,
            seed=7,
            stdout=StringIO(),
        )
    drawn = Assignment.objects.values_list("reviewer__email", flat=True).distinct()
    assert sorted(message.to[0] for message in mail.outbox) == sorted(set(drawn))
    assert all(notice.kind == "assignment" for notice in Notice.objects.all())
    counts = {notice.recipient: notice.assignments.count() for notice in Notice.objects.all()}
    assert sum(counts.values()) == Assignment.objects.count()


def test_an_assignment_added_in_the_admin_notifies_the_reviewer(
    panel_world, client, django_capture_on_commit_callbacks
):
    admin = get_user_model().objects.create_superuser("root", "root@example.kr", "pw-test-1234")
    client.force_login(admin)
    proposal = panel_world["competition"].proposals.get(reference="2023-H-02")
    data = {
        "stage": panel_world["stage"].pk,
        "proposal": proposal.pk,
        "reviewer": panel_world["kim"].pk,
        "source": "panel",
        "audit_reason": "위원 추가 배정(공문 제3호)",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:evaluation_assignment_add"), data)
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["kim@example.kr"] and "1건이 새로 배정되었습니다" in message.body
    assert "- 2023-H-02 " in message.body
    assert Notice.objects.get().sent_by == admin


def test_forming_two_panels_of_a_stage_in_the_admin_sends_one_notice_per_reviewer(
    panel_world, client, django_capture_on_commit_callbacks
):
    second = Panel.objects.create(stage=panel_world["stage"], name="강소형 서면평가")
    second.tracks.set(Track.objects.filter(code__in=["climate", "depopulation"]))
    second.members.set([panel_world["kim"]])
    admin = get_user_model().objects.create_superuser("root", "root@example.kr", "pw-test-1234")
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:evaluation_panel_changelist"),
            {"action": "form_panels", "_selected_action": [panel_world["panel"].pk, second.pk]},
        )
    (kim_mail,) = mails_to("kim@example.kr")
    assert "사업 제안 24건이 새로 배정되었습니다" in kim_mail.body
    assert "- 거점형: 10건" in kim_mail.body and "- 기후위기 대응형: 7건" in kim_mail.body
    assert len(mails_to("lee@example.kr")) == 1


# --- Reminders ---------------------------------------------------------------------------------


@pytest.fixture
def owing(panel_world, submit_sheet, django_capture_on_commit_callbacks):
    """The panel formed without notices; kim submitted one sheet and saved one draft."""
    with notices.paused():
        form_panel(panel_world["panel"])
    kim_assignments = list(
        Assignment.objects.filter(reviewer=panel_world["kim"]).order_by("proposal__reference")
    )
    points = [25, 15, 12, 16, 12]
    submit_sheet(kim_assignments[0], points)
    submit_sheet(kim_assignments[1], [25, None, None, None, None], draft_only=True)
    mail.outbox.clear()
    return panel_world


def test_a_reminder_lists_only_the_sheets_owed(owing, official, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = notices.remind(owing["competition"], owing["stage"], actor=official)
    assert len(outcome.queued) == 2 and not outcome.already
    (kim_mail,) = mails_to("kim@example.kr")
    assert kim_mail.subject == "[2023년 스마트시티 조성사업] 서면평가: 제출하지 않은 평가표 9건"
    assert "아직 제출하지 않은 평가표가 9건 있습니다." in kim_mail.body
    assert "2023-H-01" not in kim_mail.body  # submitted
    assert "(임시 저장)" in kim_mail.body and "(시작 전)" in kim_mail.body
    (lee_mail,) = mails_to("lee@example.kr")
    assert "10건" in lee_mail.body and "2023-H-" not in lee_mail.body  # no pledge: counts only
    notice = Notice.objects.get(reviewer=owing["kim"])
    assert notice.kind == "reminder" and notice.sent_by == official and notice.assignments.count() == 9


def test_a_repeated_reminder_within_the_window_is_not_sent(
    owing, official, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        notices.remind(owing["competition"], owing["stage"], actor=official)
        again = notices.remind(owing["competition"], owing["stage"], actor=official)
    assert not again.queued and len(again.already) == 2
    assert len(mail.outbox) == 2 and Notice.objects.count() == 2
    settings.NOTICE_REPEAT_SECONDS = 0  # the window has passed
    with django_capture_on_commit_callbacks(execute=True):
        later = notices.remind(owing["competition"], owing["stage"], actor=official)
    assert len(later.queued) == 2 and len(mail.outbox) == 4


def test_a_reviewer_may_not_send_reminders(owing, django_capture_on_commit_callbacks):
    from accounts.roles import RoleRequired

    with pytest.raises(RoleRequired):
        notices.remind(owing["competition"], owing["stage"], actor=owing["kim"].user)
    assert not mail.outbox and not Notice.objects.exists()


def test_remind_command(owing, official, django_capture_on_commit_callbacks):
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("remind", competition="smartcity-2023", stage="document", by="official-han", stdout=out)
    text = out.getvalue()
    assert "위원 kim 위원(kim@example.kr)에게 알림을 보냈습니다" in text
    assert "알림 2건을 보냈고, 0건은 다시 보내지 않았습니다." in text
    out = StringIO()
    call_command("remind", competition="smartcity-2023", stdout=out)  # every stage, again
    assert "이미 알림을 보냈으므로 다시 보내지 않았습니다." in out.getvalue()
    assert len(mail.outbox) == 2
    assert Notice.objects.filter(sent_by=official).count() == 2


def test_remind_command_refuses_an_unknown_stage_and_a_reviewer_sender(owing):
    with pytest.raises(CommandError, match=r"'x' 단계가 없습니다\(단계: document, presentation\)"):
        call_command("remind", competition="smartcity-2023", stage="x", stdout=StringIO())
    with pytest.raises(CommandError, match="평가위원"):
        call_command("remind", competition="smartcity-2023", by="kim", stdout=StringIO())
    assert not mail.outbox and not Notice.objects.exists()


def test_nobody_owing_sends_nothing(panel_world):
    out = StringIO()
    call_command("remind", competition="smartcity-2023", stdout=out)
    assert "제출하지 않은 평가표가 있는 평가위원이 없어 알림을 보내지 않았습니다." in out.getvalue()
    assert not mail.outbox


def test_a_mail_server_that_refuses_leaves_the_notice_not_delivered(
    owing, official, settings, django_capture_on_commit_callbacks
):
    settings.MAILERS = {"default": {"BACKEND": "tests.evaluation.failing_mail.EmailBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        outcome = notices.remind(owing["competition"], owing["stage"], [owing["kim"]], actor=official)
    notice = Notice.objects.get(pk=outcome.queued[0].pk)
    assert (
        notice.status == Notice.Status.FAILED and "서버 연결 거부" in notice.error and notice.sent_at is None
    )


# --- The reopened sheet --------------------------------------------------------------------------


def test_reopening_a_sheet_tells_the_reviewer_the_reason(owing, official, django_capture_on_commit_callbacks):
    sheet = Assignment.objects.filter(reviewer=owing["kim"], sheet__status="submitted").get().sheet
    reason = "C2 점수가 서면 의견과 맞지 않아 다시 확인을 요청합니다."
    with django_capture_on_commit_callbacks(execute=True):
        sheets.reopen(sheet, reason, official)
    (message,) = mail.outbox
    assert message.to == ["kim@example.kr"]
    assert message.subject == "[2023년 스마트시티 조성사업] 서면평가: 2023-H-01 평가표가 재개되었습니다"
    assert f"- 사유: {reason}" in message.body
    assert f"{SITE}/review/smartcity-2023/{sheet.assignment_id}/" in message.body
    assert not re.search(r"\b80\b|점수:|합계", message.body.replace(SITE, ""))  # no total, no score
    notice = Notice.objects.get()
    assert notice.kind == "reopened" and list(notice.assignments.all()) == [sheet.assignment]


def test_a_refused_reopening_sends_nothing(owing, official, django_capture_on_commit_callbacks):
    sheet = Assignment.objects.filter(reviewer=owing["kim"], sheet__status="submitted").get().sheet
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(sheets.SheetError):
        sheets.reopen(sheet, "  ", official)
    assert not mail.outbox and not Notice.objects.exists()


def test_notices_are_sent_in_korean_whatever_the_officials_language(
    owing, official, django_capture_on_commit_callbacks
):
    from django.utils import translation

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        notices.remind(owing["competition"], owing["stage"], [owing["kim"]], actor=official)
    assert "아직 제출하지 않은 평가표가" in mail.outbox[0].body


def test_after_publication_only_reopened_sheets_are_owed(
    owing, official, submit_sheet, django_capture_on_commit_callbacks
):
    publish(owing["competition"], official, override_reason="위원 연락 두절")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = notices.remind(owing["competition"], owing["stage"], actor=official)
    assert not outcome.queued and not mail.outbox  # every open sheet is closed by the publication
    sheet = Assignment.objects.filter(reviewer=owing["kim"], sheet__status="submitted").get().sheet
    with django_capture_on_commit_callbacks(execute=True):
        sheets.reopen(sheet, "오기 정정", official)
        outcome = notices.remind(owing["competition"], owing["stage"], actor=official)
    assert [notice.assignments.count() for notice in outcome.queued] == [1]
