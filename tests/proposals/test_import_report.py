"""What an applicant import reports (SPEC §5) through the command line: rows with errors are rows of
the file (never "not in the file"), a change shows each field's old and new value, and an import
into a competition whose result is published needs an explicit confirmation."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.roles import Role
from evaluation.publication import publish
from proposals.importing.applicants import ProposalImporter
from proposals.importing.engine import run_import
from proposals.models import Proposal
from tests.conftest import HEADER, database_state, valid_row

pytestmark = pytest.mark.django_db


def command(path, *extra, slug="smartcity-2023"):
    """Run import_proposals; return (output lines, the CommandError or None)."""
    out = StringIO()
    try:
        call_command("import_proposals", str(path), "--competition", slug, *extra, stdout=out)
    except CommandError as error:
        return out.getvalue().splitlines(), error
    return out.getvalue().splitlines(), None


@pytest.fixture
def five(competition, make_xlsx):
    """Five proposals T-01 … T-05 already imported."""
    rows = [valid_row(f"T-0{n}", applicant=f"시험시 {n}") for n in range(1, 6)]
    _lines, error = command(make_xlsx(rows))
    assert error is None
    return rows


# --- rows with errors are in the file -------------------------------------------------------


def test_rows_with_errors_are_not_counted_as_missing(five, make_xlsx):
    """Three rows with errors name existing proposals (by reference, one with an unknown track):
    they are error rows, not "not in the file"; only T-05, which no row names, is missing."""
    before = database_state()
    rows = [
        valid_row("T-01", applicant="시험시 1"),
        valid_row("T-02", applicant="시험시 2", 국비="이백"),  # a cell that does not parse
        valid_row("T-03", applicant="시험시 3", track="없는트랙"),  # the row cannot be built
        valid_row("T-04", applicant="시험시 4", 지방비=None),  # a required value missing
    ]
    lines, error = command(make_xlsx(rows))

    assert error is not None and error.returncode == 1
    assert "신규 0건, 변경 0건, 변경 없음 1건, 파일에 없음 1건" in lines
    assert "오류가 있는 행 3건" in lines
    listed = lines[lines.index("파일에 없음(삭제하지 않고 그대로 둠):") + 1 :]
    assert listed == ["  - T-05"]
    assert database_state() == before


def test_an_error_row_without_a_reference_is_matched_by_track_and_local_government(five, make_xlsx):
    header = [column for column in HEADER if column != "접수번호"]
    rows = [
        [*valid_row(applicant=f"시험시 {n}")[:-1]]
        if n != 3
        else [*valid_row(applicant="시험시 3", 국비="x")[:-1]]
        for n in range(1, 6)
    ]
    lines, error = command(make_xlsx(rows, header=header))

    assert error is not None
    assert "신규 0건, 변경 0건, 변경 없음 4건, 파일에 없음 0건" in lines
    assert "파일에 없음(삭제하지 않고 그대로 둠):" not in lines


def test_the_count_is_the_same_in_the_report_of_the_engine(five, competition, make_xlsx):
    """The engine's report (the one the web preview stores) counts the same way."""
    path = make_xlsx([valid_row("T-01", applicant="시험시 1", 국비="이백")])
    report = run_import(ProposalImporter(competition), path.read_bytes(), dry_run=True)

    assert report.counts["error"] == 1
    assert report.missing == ["T-02", "T-03", "T-04", "T-05"]


# --- a change shows old → new ---------------------------------------------------------------


def test_a_dry_run_shows_each_changed_field_with_its_old_and_new_value(five, make_xlsx):
    header = [*HEADER, "참여기관", "상태"]
    rows = [[*row, "", "접수"] for row in five]
    rows[0] = [*valid_row("T-01", applicant="시험시 1", 국비="1250.5", 사업명="새 사업명"), "가, 나", "철회"]
    rows[1] = [*valid_row("T-02", applicant="시험시 2", track="climate"), "", "접수"]
    before = database_state()

    lines, error = command(make_xlsx(rows, header=header), "--dry-run")

    assert error is None
    assert "점검만 했습니다(--dry-run): 파일에 문제가 없으며 아무것도 기록하지 않았습니다." in lines
    assert "신규 0건, 변경 2건, 변경 없음 3건, 파일에 없음 0건" in lines
    start = lines.index("  2행 T-01 시험시 1 · 거점형 변경:")
    assert lines[start : start + 5] == [
        "  2행 T-01 시험시 1 · 거점형 변경:",
        "    사업명: 사업 → 새 사업명",
        "    참여기관: (빈 값) → 가, 나",
        "    국비: 200 → 1,250.5",
        "    상태: 접수 → 철회",
    ]
    start = lines.index("  3행 T-02 시험시 2 · 기후위기 대응형 변경:")
    assert lines[start + 1] == "    트랙: 거점형 → 기후위기 대응형"
    assert database_state() == before


def test_a_real_import_lists_the_same_changes_and_writes_them(five, make_xlsx):
    rows = [*five]
    rows[4] = valid_row("T-05", applicant="시험시 5", 지방비=180)
    lines, error = command(make_xlsx(rows))

    assert error is None
    assert lines[:3] == [
        "file1.xlsx 파일을 가져왔습니다.",
        "신규 0건, 변경 1건, 변경 없음 4건, 파일에 없음 0건",
        "  6행 T-05 시험시 5 · 거점형 변경:",
    ]
    assert lines[3] == "    지방비: 200 → 180"
    assert Proposal.objects.get(reference="T-05").local_matching == 180


def test_a_long_value_is_shortened_and_a_changed_local_government_named(five, make_xlsx):
    rows = [*five]
    rows[0] = valid_row("T-01", applicant="울주군", 사업명="가" * 100)
    lines, error = command(make_xlsx(rows), "--dry-run")

    assert error is None
    start = lines.index("  2행 T-01 울주군 · 거점형 변경:")
    assert lines[start + 1 : start + 3] == [
        "    지자체: 울산 시험시 1 → 울산 울주군",
        "    사업명: 사업 → " + "가" * 60 + "…",
    ]


# --- after a publication ----------------------------------------------------------------------

AFTER_PUBLICATION = (
    "이 공모는 결과가 이미 공개되었습니다(제1차 공개). 이 파일을 가져오면 공개된 결과의 바탕이 "
    "바뀌므로, 가져온 뒤 결과를 정정 공개해야 합니다."
)
NEEDS_FLAG = (
    "결과가 공개된 공모에 가져오려면, 가져온 뒤 정정 공개가 필요하다는 것을 확인하는 "
    "--confirm-after-publication 을 붙여 다시 실행해 주세요. 아무것도 기록하지 않았습니다."
)

CORRECTION_REMINDER = (
    "이 공모는 결과가 이미 공개되어 있었습니다(제1차 공개). 가져온 내용이 결과에 반영되도록 결과를 "
    "정정 공개해 주세요."
)


@pytest.fixture
def published(five, competition, make_criteria, user_factory):
    make_criteria(2)  # a stage with its rubric: the result is published with no sheet submitted
    publish(competition, user_factory(Role.OFFICIAL, "official-pub"), override_reason="시험 공개")
    return competition


def test_an_import_after_publication_is_refused_without_the_confirmation(published, five, make_xlsx):
    rows = [*five, valid_row("T-06", applicant="시험시 6")]
    before = database_state()

    lines, error = command(make_xlsx(rows))

    assert error is not None and error.returncode == 1
    assert AFTER_PUBLICATION in lines
    assert NEEDS_FLAG in lines
    assert "신규 1건, 변경 0건, 변경 없음 5건, 파일에 없음 0건" in lines
    assert database_state() == before


def test_a_dry_run_after_publication_warns(published, five, make_xlsx):
    before = database_state()
    lines, error = command(make_xlsx([*five, valid_row("T-06", applicant="시험시 6")]), "--dry-run")

    assert error is None
    assert AFTER_PUBLICATION in lines
    assert database_state() == before


def test_the_confirmation_lets_the_import_write(published, five, make_xlsx):
    lines, error = command(
        make_xlsx([*five, valid_row("T-06", applicant="시험시 6")]), "--confirm-after-publication"
    )

    assert error is None, lines
    assert lines[:2] == ["file1.xlsx 파일을 가져왔습니다.", CORRECTION_REMINDER]
    assert NEEDS_FLAG not in lines
    assert Proposal.objects.filter(reference="T-06").exists()


def test_an_unchanged_file_after_publication_needs_no_confirmation(published, five, make_xlsx):
    lines, error = command(make_xlsx(five))

    assert error is None
    assert "모든 행이 이미 최신입니다. 바뀐 것이 없습니다." in lines
    assert AFTER_PUBLICATION not in lines


def test_the_engine_refuses_a_service_call_without_the_confirmation(published, competition, make_xlsx):
    """The same rule for a caller of the engine from a shell: nothing written unless confirmed."""
    path = make_xlsx([valid_row("T-06", applicant="시험시 6")])
    before = database_state()

    report = run_import(ProposalImporter(competition), path.read_bytes(), dry_run=False)

    assert report.unconfirmed and not report.applied
    assert database_state() == before
    report = run_import(
        ProposalImporter(competition), path.read_bytes(), dry_run=False, confirmed_after_publication=True
    )
    assert report.applied
