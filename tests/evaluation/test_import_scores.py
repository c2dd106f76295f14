"""import_scores (SPEC §5, issue 3 §9): submitted sheets through the form's validation; all or nothing."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from evaluation.models import Assignment, Conflict, Criterion, Reviewer, Score, Scoresheet, Stage
from evaluation.sheets import SheetInput, save_draft
from proposals.models import AuditEntry, Proposal

pytestmark = pytest.mark.django_db

HEADER = ["평가위원", "접수번호", "C1", "C2", "C3", "C4", "C5", "의견"]
GOOD = [25, 15, 12, 16, 12]  # 80
CODES = ["C1", "C2", "C3", "C4", "C5"]


@pytest.fixture
def kim(make_reviewer):
    return make_reviewer("kim", affiliation="한국대학교")


@pytest.fixture
def lee(make_reviewer):
    return make_reviewer("lee", affiliation="서울연구원")


def row(reviewer, reference="2023-H-04", points=GOOD, comment="우수"):
    name = reviewer if isinstance(reviewer, str) else reviewer.email
    return [name, reference, *points, comment]


def run(path, stage="document", *extra):
    out = StringIO()
    call_command("import_scores", str(path), *extra, competition="smartcity-2023", stage=stage, stdout=out)
    return out.getvalue()


def failing(path, stage="document"):
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_scores", str(path), competition="smartcity-2023", stage=stage, stdout=out)
    assert raised.value.returncode == 1
    return out.getvalue()


def state():
    return (
        list(Assignment.objects.order_by("pk").values_list()),
        list(Scoresheet.objects.order_by("pk").values_list()),
        list(Score.objects.order_by("pk").values_list()),
        list(Conflict.objects.order_by("pk").values_list()),
        AuditEntry.objects.count(),
    )


def test_rows_become_submitted_sheets_with_totals_and_audit(staged, kim, lee, make_xlsx):
    output = run(make_xlsx([row(kim), row(lee, "2023-H-07", [30, 20, 15, 20, 15])], header=HEADER))
    assert "신규 2건, 변경 0건, 변경 없음 0건" in output
    sheets = {s.assignment.reviewer_id: s for s in Scoresheet.objects.select_related("assignment")}
    assert {r: (s.status, s.total) for r, s in sheets.items()} == {
        kim.pk: ("submitted", Decimal("80")),
        lee.pk: ("submitted", Decimal("100")),
    }
    assert sheets[kim.pk].comment == "우수" and sheets[kim.pk].submitted_at is not None
    assert set(Assignment.objects.values_list("source", flat=True)) == {"import"}
    points = dict(Score.objects.filter(sheet=sheets[kim.pk]).values_list("criterion__code", "points"))
    assert points == {"C1": 25, "C2": 15, "C3": 12, "C4": 16, "C5": 12}
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"assignment.created", "scoresheet.created", "score.created", "scoresheet.submitted"} <= actions
    assert AuditEntry.objects.filter(
        action="import.applied", after__kind="scores", after__stage="document"
    ).exists()


def test_reimport_is_unchanged(staged, kim, make_xlsx):
    path = make_xlsx([row(kim)], header=HEADER)
    run(path)
    before = state()
    output = run(path)
    assert "모든 행이 이미 최신입니다." in output and "변경 없음 1건" in output
    assert state() == before


def test_dry_run_writes_nothing(staged, kim, make_xlsx):
    before = state()
    output = run(make_xlsx([row(kim)], header=HEADER), "document", "--dry-run")
    assert "점검만 했습니다" in output
    assert state() == before


def test_track_and_applicant_identify_the_proposal_and_username_the_reviewer(staged, kim, make_xlsx):
    header = ["평가위원", "트랙", "지자체", "C1", "C2", "C3", "C4", "C5"]
    run(make_xlsx([[kim.user.username.upper(), "거점형", "고양시", *GOOD]], header=header))
    sheet = Scoresheet.objects.get()
    assert sheet.assignment.proposal.reference == "2023-H-07" and sheet.total == 80


def test_a_draft_is_submitted_with_the_imported_points(staged, kim, make_xlsx):
    stage = Stage.objects.get(code="document")
    proposal = Proposal.objects.get(reference="2023-H-04")
    assignment = Assignment.objects.create(stage=stage, proposal=proposal, reviewer=kim)
    first = Criterion.objects.get(rubric__stage=stage, code="C1")
    save_draft(assignment, 1, SheetInput(points={first.pk: Decimal("10")}), kim.user)
    output = run(make_xlsx([row(kim)], header=HEADER))
    assert "신규 0건, 변경 1건" in output
    sheet = Scoresheet.objects.get()
    assert (sheet.status, sheet.total) == ("submitted", 80)
    assert Assignment.objects.get().source == "panel"  # kept as it was


def test_assigned_reviewer_without_a_row_is_reported(staged, kim, lee, make_xlsx):
    stage = Stage.objects.get(code="document")
    Assignment.objects.create(stage=stage, proposal=Proposal.objects.get(reference="2023-H-01"), reviewer=lee)
    output = run(make_xlsx([row(kim)], header=HEADER))
    assert "파일에 없음 1건" in output and "위원 lee → 2023-H-01" in output


@pytest.mark.parametrize(
    ("make_row", "message"),
    [
        (
            lambda kim: row("nobody@example.kr"),
            "3행 '평가위원': 등록되지 않은 평가위원입니다(아이디 또는 이메일): 'nobody@example.kr'",
        ),
        (
            lambda kim: row(kim, "2023-X-99"),
            "3행 '접수번호': 이 공모에 해당 접수번호의 제안이 없습니다: '2023-X-99'",
        ),
        (
            lambda kim: row(kim, points=[25, 15, None, 16, 12]),
            "3행 'C3': 제출하려면 이 항목의 점수를 입력해 주세요.",
        ),
        (lambda kim: row(kim, points=[31, 15, 12, 16, 12]), "3행 'C1': 0점부터 30점 사이로 입력해 주세요."),
        (lambda kim: row(kim, points=[-1, 15, 12, 16, 12]), "3행 'C1': 0점부터 30점 사이로 입력해 주세요."),
        (lambda kim: row(kim, points=[25, 12.3, 12, 16, 12]), "3행 'C2': 점수는 0.5점 단위로 입력해 주세요."),
        (lambda kim: row(kim, points=["많음", 15, 12, 16, 12]), "3행 'C1': 숫자가 아닙니다: '많음'"),
        (lambda kim: row(kim, "2023-H-01"), "3행 '평가위원': 파일 안에 두 번 나옵니다(2행과 같음)."),
    ],
)
def test_bad_row_is_named_and_nothing_is_written(staged, kim, lee, make_xlsx, make_row, message):
    before = state()
    output = failing(make_xlsx([row(kim, "2023-H-01"), make_row(kim)], header=HEADER))
    assert "파일에 오류가 있어 아무것도 기록하지 않았습니다:" in output
    assert f"  {message}" in output.splitlines()
    assert state() == before


def test_text_points_with_full_width_digits_are_read(staged, kim, make_xlsx):
    run(make_xlsx([row(kim, points=["２５", "15.0", 12, 16, "12"])], header=HEADER))
    assert Scoresheet.objects.get().total == 80


def test_automatically_conflicted_pair_is_refused(staged, make_reviewer, kim, make_xlsx):
    ulsan = make_reviewer("choi", affiliation="울산대학교")  # a partner of 울산광역시 (H-04)
    before = state()
    output = failing(make_xlsx([row(kim), row(ulsan)], header=HEADER))
    line = next(line for line in output.splitlines() if line.startswith("  3행"))
    assert line.startswith("  3행 '평가위원': 이해충돌로 이 평가위원은 이 제안을 평가할 수 없습니다: ")
    assert "울산대학교" in line
    assert state() == before and not Assignment.objects.filter(reviewer=ulsan).exists()


def test_declared_conflict_is_refused(staged, kim, make_xlsx):
    proposal = Proposal.objects.get(reference="2023-H-04")
    Conflict.objects.create(
        proposal=proposal, reviewer=kim, kind=Conflict.Kind.DECLARED, reason="공동연구 수행"
    )
    output = failing(make_xlsx([row(kim)], header=HEADER))
    assert (
        "  2행 '평가위원': 이해충돌로 이 평가위원은 이 제안을 평가할 수 없습니다: "
        "회피(평가위원 신고) — 공동연구 수행" in output.splitlines()
    )
    assert not Scoresheet.objects.exists()


def test_proposal_that_did_not_reach_the_stage_is_refused(staged, kim, make_xlsx):
    output = failing(make_xlsx([row(kim)], header=HEADER), stage="presentation")
    assert (
        "  2행 '접수번호': 이 제안은 발표평가 단계에 진출하지 않았으므로 이 단계의 점수를 입력할 수 없습니다."
        in output.splitlines()
    )
    assert not Assignment.objects.exists()


def test_withdrawn_proposal_is_refused(staged, kim, make_xlsx):
    Proposal.objects.filter(reference="2023-H-04").update(status=Proposal.Status.WITHDRAWN)
    output = failing(make_xlsx([row(kim)], header=HEADER))
    assert "2행 '접수번호': 이 제안은 서면평가 단계에 진출하지 않았으므로" in output


def test_sheet_submitted_with_other_values_is_refused(staged, kim, make_xlsx):
    run(make_xlsx([row(kim)], header=HEADER))
    before = state()
    output = failing(make_xlsx([row(kim, points=[28, 15, 12, 16, 12])], header=HEADER))
    assert (
        "  2행 'C1': 이 평가위원이 이미 다른 값으로 제출한 평가표입니다(저장된 값: 25). "
        "담당 공무원이 먼저 제출을 취소(재개)해야 합니다."
    ) in output.splitlines()
    assert state() == before
    assert Scoresheet.objects.get().total == 80


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (["평가위원", "접수번호", "C1", "C2", "C3", "C4"], "필수 열이 없습니다: 'C5'. 머리글은 1행입니다."),
        (
            ["평가위원", "지자체", *CODES],
            "필수 열이 없습니다: '접수번호'(또는 '트랙'과 '지자체'). 머리글은 1행입니다.",
        ),
        (["접수번호", *CODES], "필수 열이 없습니다: '평가위원'. 머리글은 1행입니다."),
    ],
)
def test_missing_column_is_one_message(staged, kim, make_xlsx, header, message):
    output = failing(make_xlsx([[kim.email, "2023-H-04", 1, 1, 1, 1]], header=header))
    assert output.strip() == message


def test_unknown_stage_is_one_message(staged, make_xlsx):
    with pytest.raises(CommandError) as raised:
        run(make_xlsx([], header=HEADER), "final")
    assert str(raised.value) == "공모 smartcity-2023에 'final' 단계가 없습니다(단계: document, presentation)."


def test_reviewers_are_never_created_by_the_score_import(staged, make_xlsx):
    failing(make_xlsx([row("new@example.kr")], header=HEADER))
    assert not Reviewer.objects.exists()


@pytest.mark.parametrize("cell", ["٣", "३", "1e1", "+5"])
def test_points_in_other_digits_are_refused(staged, kim, make_xlsx, cell):
    before = state()
    output = failing(make_xlsx([row(kim, points=[cell, 15, 12, 16, 12])], header=HEADER))
    assert f"  2행 'C1': 숫자가 아닙니다: '{cell}'" in output.splitlines()
    assert state() == before


def test_minus_zero_points_are_stored_as_zero(staged, kim, make_xlsx):
    run(make_xlsx([row(kim, points=["-0", 15, 12, 16, -0.0])], header=HEADER))
    points = sorted(Score.objects.values_list("points", flat=True))
    assert points[0] == 0 and not any(p.is_signed() for p in points)


def _entries_of_sheet(sheet):
    """The audit entries of one sheet and its scores, as (action, reason, actor, before, after)
    with the ids, times and digest left out (they differ from sheet to sheet)."""
    varying = {"assignment_id", "sheet_id", "submitted_at", "digest", "criterion_id"}

    def plain(values):
        return None if values is None else {k: v for k, v in values.items() if k not in varying}

    score_ids = [str(pk) for pk in Score.objects.filter(sheet=sheet).values_list("pk", flat=True)]
    entries = AuditEntry.objects.filter(
        object_type="scoresheet", object_id=str(sheet.pk)
    ) | AuditEntry.objects.filter(object_type="score", object_id__in=score_ids)
    rows = [
        (
            e.action,
            e.reason,
            e.actor_id,
            e.competition_id,
            plain(e.before),
            plain(e.after),
            "digest" in (e.after or {}),
        )
        for e in entries
    ]
    return sorted(rows, key=str)


def test_an_imported_sheet_leaves_the_audit_trail_a_reviewers_submission_leaves(staged, kim, lee, make_xlsx):
    """The import submits its sheets in bulk (``evaluation.sheets.submit_checked``): for each the
    same entries as ``submit`` — sheet opened, each score, "submitted" with the content digest —
    and the digests verify. Kim's sheet is submitted through ``submit``, Lee's imported."""
    from evaluation import integrity
    from evaluation.sheets import submit

    stage = Stage.objects.get(competition__slug="smartcity-2023", code="document")
    proposal = Proposal.objects.get(reference="2023-H-04")
    assignment = Assignment.objects.create(stage=stage, proposal=proposal, reviewer=kim)
    criteria = list(
        Criterion.objects.filter(rubric__stage=stage, rubric__tracks=proposal.track).order_by("order")
    )
    if not criteria:
        criteria = list(Criterion.objects.filter(rubric__stage=stage).order_by("order"))[:5]
    submit(
        assignment,
        1,
        SheetInput(points={c.pk: Decimal(p) for c, p in zip(criteria, GOOD, strict=True)}, comment="우수"),
        None,
    )
    Assignment.objects.create(stage=stage, proposal=proposal, reviewer=lee)
    run(make_xlsx([row(lee)], header=HEADER))
    by_reviewer = {s.assignment.reviewer_id: s for s in Scoresheet.objects.select_related("assignment")}
    submitted, imported = _entries_of_sheet(by_reviewer[kim.pk]), _entries_of_sheet(by_reviewer[lee.pk])
    assert imported == submitted
    assert [entry[0] for entry in imported].count("scoresheet.submitted") == 1
    checked, problems = integrity.check_sheets()
    assert checked == 2 and problems == []
