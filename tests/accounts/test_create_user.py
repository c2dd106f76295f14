"""Accounts with a role from the command line (``create_user``), the set-password link, and
services that act as a user refusing a user of the wrong role, whichever door called them."""

import re
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from accounts.roles import Role, RoleRequired, role_of
from evaluation.adjustments import record_adjustment, record_draw
from evaluation.models import Adjustment, Draw, Publication
from evaluation.publication import publish
from proposals.models import AuditEntry, Competition

pytestmark = pytest.mark.django_db
User = get_user_model()


def create(*args):
    out = StringIO()
    call_command("create_user", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def accounts():
    return list(User.objects.order_by("pk").values_list("username", "is_staff"))


def link_in(output: str) -> str:
    return re.search(r"http://testserver(/accounts/set-password/\S+)", output).group(1)


def test_an_official_gets_a_set_password_link_that_works_once(client):
    output = create(
        "kim.official",
        "--role",
        "official",
        "--email",
        "Kim@Example.go.kr",
        "--base-url",
        "http://testserver",
    )
    user = User.objects.get(username="kim.official")
    assert role_of(user) == Role.OFFICIAL and not user.is_staff and not user.has_usable_password()
    assert user.email == "kim@example.go.kr"
    assert "담당 공무원 계정을 만들었습니다(아이디: 'kim.official')." in output
    link = link_in(output)

    form = client.get(link, follow=True)
    assert "kim.official" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "Seoul-2026-평가!", "new_password2": "Seoul-2026-평가!"}
    )
    assert done.status_code == 302 and done.url.endswith("/accounts/set-password/done/")
    assert client.login(username="kim.official", password="Seoul-2026-평가!")
    client.logout()

    again = client.get(link, follow=True)
    assert "이 링크는 더 이상 쓸 수 없습니다" in again.content.decode()


def test_an_admin_is_staff_and_a_reviewer_is_told_how_to_be_assigned():
    create("root2", "--role", "admin", "--password-link")
    assert User.objects.get(username="root2").is_staff
    output = create("lee@example.kr", "--role", "reviewer", "--password-link")
    assert role_of(User.objects.get(username="lee@example.kr")) == Role.REVIEWER
    assert "import_reviewers" in output


def test_the_password_is_asked_at_a_terminal(monkeypatch):
    answers = iter(["short", "short", "Busan-2026-pw!", "Busan-2026-pw!"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    err = StringIO()
    call_command("create_user", "park", "--role", "official", stdout=StringIO(), stderr=err)
    assert "이 비밀번호는 너무 짧습니다. 최소 8자 이상이어야 합니다." in err.getvalue()
    assert User.objects.get(username="park").check_password("Busan-2026-pw!")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["taken", "--role", "official"], "아이디 'taken'인 계정이 이미 있습니다."),
        (["TAKEN", "--role", "official"], "아이디 'TAKEN'인 계정이 이미 있습니다."),
        (["new", "--role", "official", "--email", "not-mail"], "이메일 주소가 아닙니다: 'not-mail'"),
        (
            ["has space", "--role", "official"],
            "아이디 'has space'에는 글자, 숫자와 @ . + - _만 쓸 수 있습니다.",
        ),
    ],
)
def test_bad_requests_are_refused_and_nothing_is_created(user_factory, args, message):
    user_factory(Role.REVIEWER, "taken")
    before = accounts(), AuditEntry.objects.count()
    with pytest.raises(CommandError) as refused:
        create(*args, "--password-link")
    assert str(refused.value) == message
    assert (accounts(), AuditEntry.objects.count()) == before


# --- services that act as a user check the user's role (SPEC §2) ----------------------------


REVIEWER_REFUSED = (
    "'kim' 계정(역할: 평가위원)은 {action}에 쓸 수 없습니다. 담당 공무원 / 시스템 관리자만 할 수 있습니다."
)


def test_publish_by_a_reviewer_is_refused_by_the_command(competition, user_factory):
    user_factory(Role.REVIEWER, "kim")
    before = Publication.objects.count(), Competition.objects.get().status, AuditEntry.objects.count()
    with pytest.raises(CommandError) as refused:
        call_command("publish", competition=competition.slug, by="kim", stdout=StringIO())
    assert str(refused.value) == REVIEWER_REFUSED.format(action="결과 공개")
    assert (
        Publication.objects.count(),
        Competition.objects.get().status,
        AuditEntry.objects.count(),
    ) == before


def test_publish_from_a_shell_checks_the_role_too(competition, user_factory):
    reviewer = user_factory(Role.REVIEWER, "kim")
    official = user_factory(Role.OFFICIAL, "lee")
    official.is_active = False
    official.save()
    with pytest.raises(RoleRequired) as refused:
        publish(competition, reviewer)
    assert refused.value.message == REVIEWER_REFUSED.format(action="결과 공개")
    with pytest.raises(RoleRequired) as refused:
        publish(competition, official)
    assert refused.value.message == "'lee' 계정은 사용이 중지되어 결과 공개에 쓸 수 없습니다."
    with pytest.raises(RoleRequired):
        publish(competition, None)
    assert Publication.objects.count() == 0


def test_bonus_points_and_draws_need_an_official(competition, user_factory, make_proposal):
    reviewer = user_factory(Role.REVIEWER, "kim")
    first, second = make_proposal(), make_proposal()
    with pytest.raises(RoleRequired) as refused:
        record_adjustment(first, Decimal(1), "가점", reviewer)
    assert refused.value.message == REVIEWER_REFUSED.format(action="가점·감점 기록")
    with pytest.raises(RoleRequired) as refused:
        record_draw({first: 1, second: 2}, "제비뽑기", reviewer)
    assert refused.value.message == REVIEWER_REFUSED.format(action="추첨 결과 기록")
    assert not Adjustment.objects.exists() and not Draw.objects.exists()


def test_reopening_a_sheet_and_recording_a_challenge_need_an_official(
    user_factory, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet
):
    from evaluation import sheets
    from evaluation.assignments import record_challenge
    from evaluation.models import Conflict, Scoresheet

    make_criteria(1)
    reviewer = make_reviewer("kim")
    assignment = make_assignment(make_proposal(), reviewer, confirmed=True)
    sheet = submit_sheet(assignment, [10])
    before = AuditEntry.objects.count()
    with pytest.raises(RoleRequired) as refused:
        sheets.reopen(sheet, "오기 정정", reviewer.user)
    assert refused.value.message == REVIEWER_REFUSED.format(action="평가표 재개")
    with pytest.raises(RoleRequired) as refused:
        record_challenge(assignment.proposal, reviewer, "이해관계", reviewer.user)
    assert refused.value.message == REVIEWER_REFUSED.format(action="기피 기록")
    assert Scoresheet.objects.get().status == Scoresheet.Status.SUBMITTED
    assert not Conflict.objects.exists() and AuditEntry.objects.count() == before


def test_send_link_emails_the_korean_link_as_the_accounts_page_does():
    output = create(
        "kang", "--role", "official", "--email", "kang@example.go.kr", "--name", "강담당", "--send-link"
    )
    [message] = mail.outbox
    assert message.to == ["kang@example.go.kr"] and "강담당" in message.body
    assert "/accounts/set-password/" in message.body
    assert "kang@example.go.kr" in output.splitlines()[-1]
    assert not User.objects.get(username="kang").has_usable_password()


def test_send_link_without_an_email_is_refused_and_nothing_is_created():
    with pytest.raises(CommandError) as raised:
        create("kang", "--role", "official", "--send-link")
    assert str(raised.value) == _("--send-link needs --email: the address the link is sent to.")
    assert not User.objects.filter(username="kang").exists()
