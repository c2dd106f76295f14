"""import_reviewers (SPEC §5): the reviewer pool, each reviewer a login; all or nothing."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.roles import Role, role_of
from evaluation.models import Reviewer
from proposals.models import AuditEntry

pytestmark = pytest.mark.django_db

HEADER = ["성명", "소속", "이메일", "분야", "외부위원"]
ROWS = [
    ["김도시", "울산대학교", "Kim@Example.kr", "도시계획", "Y"],
    ["이교통", "한국교통연구원", "lee@example.kr", "교통", "N"],
]


def run(path, *extra):
    out = StringIO()
    call_command("import_reviewers", str(path), *extra, stdout=out)
    return out.getvalue()


def state():
    User = get_user_model()
    return (
        list(Reviewer.objects.order_by("pk").values_list()),
        list(User.objects.order_by("pk").values_list("username", "email", "password")),
        AuditEntry.objects.count(),
    )


def test_new_reviewers_get_a_reviewer_login(make_xlsx):
    output = run(make_xlsx(ROWS, header=HEADER))
    assert "신규 2건, 변경 0건, 변경 없음 0건, 파일에 없음 0건" in output
    kim = Reviewer.objects.get(email="kim@example.kr")
    assert (kim.name, kim.affiliation, kim.field, kim.external) == ("김도시", "울산대학교", "도시계획", True)
    assert Reviewer.objects.get(email="lee@example.kr").external is False
    assert kim.user.username == "kim@example.kr" and kim.user.email == "kim@example.kr"
    assert not kim.user.has_usable_password()
    assert role_of(kim.user) == Role.REVIEWER
    assert AuditEntry.objects.filter(action="reviewer.created").count() == 2
    assert AuditEntry.objects.filter(action="import.applied", after__kind="reviewers").exists()


def test_reimport_changes_nothing_and_says_so(make_xlsx):
    path = make_xlsx(ROWS, header=HEADER)
    run(path)
    before = state()
    output = run(path)
    assert "모든 행이 이미 최신입니다." in output
    assert "신규 0건, 변경 0건, 변경 없음 2건, 파일에 없음 0건" in output
    assert state() == before


def test_changed_row_is_updated_and_absent_reviewer_reported(make_xlsx):
    run(make_xlsx(ROWS, header=HEADER))
    output = run(make_xlsx([["김도시", "부산대학교", "kim@example.kr", "도시계획", "Y"]], header=HEADER))
    assert "신규 0건, 변경 1건, 변경 없음 0건, 파일에 없음 1건" in output
    assert "소속" in output and "이교통 <lee@example.kr>" in output
    assert Reviewer.objects.get(email="kim@example.kr").affiliation == "부산대학교"
    assert Reviewer.objects.filter(email="lee@example.kr").exists()  # reported, never deleted
    entry = AuditEntry.objects.get(action="reviewer.updated")
    assert entry.before == {"affiliation": "울산대학교"} and entry.after == {"affiliation": "부산대학교"}


def test_english_headers_and_absent_optional_columns(make_xlsx):
    run(
        make_xlsx([["박평가", "서울시립대학교", "park@example.kr"]], header=["Name", "Affiliation", "E-mail"])
    )
    park = Reviewer.objects.get()
    assert (park.field, park.external) == ("", True)


def test_dry_run_writes_nothing(make_xlsx):
    before = state()
    output = run(make_xlsx(ROWS, header=HEADER), "--dry-run")
    assert "점검만 했습니다" in output and "신규 2건" in output
    assert state() == before


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([ROWS[1], ["김도시", "울산대학교", "x", "", "Y"]], "3행 '이메일': 이메일 주소가 아닙니다: 'x'"),
        ([ROWS[1], ["", "울산대학교", "a@example.kr", "", ""]], "3행 '성명': 필수 값이 비어 있습니다."),
        ([ROWS[1], ["김도시", "", "a@example.kr", "", ""]], "3행 '소속': 필수 값이 비어 있습니다."),
        ([ROWS[1], ["김도시", "울산대학교", "", "", ""]], "3행 '이메일': 필수 값이 비어 있습니다."),
        (
            [ROWS[1], ["김도시", "울산대학교", "a@example.kr", "", "아마"]],
            "3행 '외부위원': Y 또는 N으로 입력해 주세요: '아마'",
        ),
        (
            [ROWS[0], ROWS[1], ["김다른", "다른대학교", "KIM@example.kr", "", ""]],
            "4행 '이메일': 파일 안에 두 번 나옵니다(2행과 같음).",
        ),
    ],
)
def test_bad_row_is_named_and_nothing_is_written(make_xlsx, rows, message):
    before = state()
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_reviewers", str(make_xlsx(rows, header=HEADER)), stdout=out)
    assert raised.value.returncode == 1
    assert "파일에 오류가 있어 아무것도 기록하지 않았습니다:" in out.getvalue()
    assert f"  {message}" in out.getvalue().splitlines()
    assert state() == before and Reviewer.objects.count() == 0


def test_one_bad_row_keeps_the_good_rows_out_too(make_xlsx):
    run(make_xlsx([ROWS[1]], header=HEADER))
    before = state()
    with pytest.raises(CommandError):
        run(
            make_xlsx(
                [
                    ["김도시", "부산대학교", "kim@example.kr", "", "Y"],
                    ["이교통", "변경", "lee@example.kr", "", "maybe"],
                ],
                header=HEADER,
            )
        )
    assert state() == before


def test_missing_required_column_is_one_message(make_xlsx):
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_reviewers",
            str(make_xlsx([["김도시", "울산대학교"]], header=["성명", "소속"])),
            stdout=out,
        )
    assert "필수 열이 없습니다: '이메일'. 머리글은 1행입니다." in out.getvalue()


def test_account_of_another_role_is_not_taken_over(make_xlsx, user_factory):
    user_factory(Role.OFFICIAL, username="kim@example.kr")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_reviewers", str(make_xlsx([ROWS[0]], header=HEADER)), stdout=out)
    assert (
        "2행 '이메일': 이 이메일을 아이디로 쓰는 계정이 이미 있으며 다른 역할이 부여되어 있습니다."
        in out.getvalue()
    )
    assert Reviewer.objects.count() == 0


def test_existing_plain_account_becomes_the_reviewer_login(make_xlsx, user_factory):
    user = user_factory(None, username="kim@example.kr")
    run(make_xlsx([ROWS[0]], header=HEADER))
    assert Reviewer.objects.get().user == user
    assert role_of(get_user_model().objects.get(pk=user.pk)) == Role.REVIEWER


def test_with_a_competition_only_its_reviewers_are_reported_missing(
    make_xlsx, competition, stage, make_reviewer, make_proposal, make_assignment
):
    """Issue 12 §8: the pool stays shared across competitions; ``--competition`` scopes the "not
    in the file" report to that competition's reviewers (its panels and assignments)."""
    run(make_xlsx(ROWS, header=HEADER))  # 김도시 and 이교통 in the pool
    elsewhere = make_reviewer("park")  # in the pool, in no competition
    make_assignment(make_proposal(), Reviewer.objects.get(email="kim@example.kr"))
    only_lee = make_xlsx([ROWS[1]], header=HEADER)
    scoped = run(only_lee, "--competition", competition.slug)
    assert "파일에 없음 1건" in scoped and "김도시 <kim@example.kr>" in scoped
    assert elsewhere.email not in scoped
    everyone = run(only_lee)
    assert "파일에 없음 2건" in everyone and elsewhere.email in everyone
    with pytest.raises(CommandError) as raised:
        run(only_lee, "--competition", "nowhere")
    assert str(raised.value) == "식별자가 'nowhere'인 공모가 없습니다."
