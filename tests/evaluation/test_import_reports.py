"""What the reviewer and score imports report on the command line: a row with an error is a row of
the file (its reviewer or assignment is not "not in the file"), and a change shows each field's
old and new value (SPEC §5)."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from evaluation.models import Assignment, Criterion, Reviewer, Stage
from evaluation.sheets import SheetInput, save_draft
from proposals.models import Proposal

pytestmark = pytest.mark.django_db


def command(name, path, *extra, **options):
    """Run an import command; return (output lines, the CommandError or None)."""
    out = StringIO()
    try:
        call_command(name, str(path), *extra, stdout=out, **options)
    except CommandError as error:
        return out.getvalue().splitlines(), error
    return out.getvalue().splitlines(), None


# --- import_reviewers ---------------------------------------------------------------------------

REVIEWER_HEADER = ["성명", "소속", "이메일", "분야", "외부위원"]
REVIEWERS = [
    ["김도시", "울산대학교", "kim@example.kr", "도시계획", "Y"],
    ["이교통", "한국교통연구원", "lee@example.kr", "교통", "N"],
    ["박환경", "국토연구원", "park@example.kr", "환경", "Y"],
]


def test_a_reviewer_whose_row_has_an_error_is_not_missing(make_xlsx):
    command("import_reviewers", make_xlsx(REVIEWERS, header=REVIEWER_HEADER))
    rows = [REVIEWERS[0], [*REVIEWERS[1][:4], "아마"], ["박환경", "", "park@example.kr", "", ""]]

    lines, error = command("import_reviewers", make_xlsx(rows, header=REVIEWER_HEADER))

    assert error is not None and error.returncode == 1
    assert "  3행 '외부위원': Y 또는 N으로 입력해 주세요: '아마'" in lines
    assert "  4행 '소속': 필수 값이 비어 있습니다." in lines
    assert "신규 0건, 변경 0건, 변경 없음 1건, 파일에 없음 0건" in lines
    assert "파일에 없음(삭제하지 않고 그대로 둠):" not in lines


def test_a_reviewer_change_shows_old_and_new_values(make_xlsx):
    command("import_reviewers", make_xlsx(REVIEWERS, header=REVIEWER_HEADER))
    rows = [["김도시", "부산대학교", "kim@example.kr", "", "N"], *REVIEWERS[1:]]

    lines, error = command("import_reviewers", make_xlsx(rows, header=REVIEWER_HEADER), "--dry-run")

    assert error is None
    start = lines.index("  2행 김도시 <kim@example.kr> 변경:")
    assert lines[start + 1 : start + 4] == [
        "    소속: 울산대학교 → 부산대학교",
        "    분야: 도시계획 → (빈 값)",
        "    외부위원: 예 → 아니요",
    ]
    assert Reviewer.objects.get(email="kim@example.kr").affiliation == "울산대학교"


# --- import_scores ------------------------------------------------------------------------------

SCORE_HEADER = ["평가위원", "접수번호", "C1", "C2", "C3", "C4", "C5", "의견"]
GOOD = [25, 15, 12, 16, 12]


def score_row(reviewer, reference, points=GOOD, comment="우수"):
    return [reviewer.email, reference, *points, comment]


def import_scores(path, *extra):
    return command("import_scores", path, *extra, competition="smartcity-2023", stage="document")


def test_an_assignment_whose_row_has_an_error_is_not_missing(staged, make_reviewer, make_xlsx):
    kim, lee = make_reviewer("kim", "한국대학교"), make_reviewer("lee", "서울연구원")
    stage = Stage.objects.get(code="document")
    for reviewer in (kim, lee):
        Assignment.objects.create(
            stage=stage, proposal=Proposal.objects.get(reference="2023-H-04"), reviewer=reviewer
        )
    rows = [score_row(kim, "2023-H-04"), score_row(lee, "2023-H-04", [31, 15, 12, 16, 12])]

    lines, error = import_scores(make_xlsx(rows, header=SCORE_HEADER))

    assert error is not None
    assert "  3행 'C1': 0점부터 30점 사이로 입력해 주세요." in lines
    assert "신규 1건, 변경 0건, 변경 없음 0건, 파일에 없음 0건" in lines


def test_a_submitted_draft_shows_its_status_and_each_changed_point(staged, make_reviewer, make_xlsx):
    kim = make_reviewer("kim", "한국대학교")
    stage = Stage.objects.get(code="document")
    assignment = Assignment.objects.create(
        stage=stage, proposal=Proposal.objects.get(reference="2023-H-04"), reviewer=kim
    )
    criteria = {c.code: c for c in Criterion.objects.filter(rubric__stage=stage)}
    draft = {criteria["C1"].pk: Decimal("10"), criteria["C2"].pk: Decimal("15")}
    save_draft(assignment, 1, SheetInput(points=draft, comment="검토 중"), kim.user)

    lines, error = import_scores(make_xlsx([score_row(kim, "2023-H-04")], header=SCORE_HEADER), "--dry-run")

    assert error is None
    start = lines.index("  2행 위원 kim → 2023-H-04 변경:")
    assert lines[start + 1 : start + 7] == [
        "    상태: 임시 저장 → 제출",
        "    C1: 10 → 25",
        "    C3: (빈 값) → 12",
        "    C4: (빈 값) → 16",
        "    C5: (빈 값) → 12",
        "    의견: 검토 중 → 우수",
    ]
