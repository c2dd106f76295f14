"""The applicant import (SPEC §5) through its command-line door: every rule, every bad input."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from openpyxl import Workbook

from proposals.importing.applicants import ProposalImporter
from proposals.importing.engine import run_import
from proposals.models import AuditEntry, Proposal
from tests.conftest import APPLICANTS_XLSX, HEADER, database_state, valid_row

pytestmark = pytest.mark.django_db


def run(path, competition, dry_run=False):
    return run_import(ProposalImporter(competition), path.read_bytes(), filename=path.name, dry_run=dry_run)


def command(path, *extra, slug="smartcity-2023"):
    """Run import_proposals; return (output, error or None)."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("import_proposals", str(path), "--competition", slug, *extra, stdout=out)
    except CommandError as error:
        return out.getvalue(), error
    return out.getvalue(), None


# --- the 2023 case --------------------------------------------------------------------------


def test_import_2023_applicants_creates_24_proposals_with_press_release_data(competition):
    output, error = command(APPLICANTS_XLSX)
    assert error is None
    assert "신규 24건, 변경 0건, 변경 없음 0건, 파일에 없음 0건" in output
    counts = {
        code: Proposal.objects.filter(track__code=code).count() for code in ("hub", "climate", "depopulation")
    }
    assert counts == {"hub": 10, "climate": 7, "depopulation": 7}
    ulsan = Proposal.objects.get(applicant__name="울산광역시")
    assert ulsan.track.code == "hub"
    assert ulsan.national_subsidy == Decimal("200") and ulsan.local_matching == Decimal("200")
    assert "울산대학교" in ulsan.partners
    assert ulsan.submitted_on == datetime.date(2023, 3, 31)
    assert Proposal.objects.get(applicant__name="목포시").title == "Sea You Again 목포"


def test_reimport_of_same_file_reports_all_unchanged_and_writes_nothing(competition):
    command(APPLICANTS_XLSX)
    before = database_state()
    output, error = command(APPLICANTS_XLSX)
    assert error is None
    assert "모든 행이 이미 최신입니다. 바뀐 것이 없습니다." in output
    assert "신규 0건, 변경 0건, 변경 없음 24건, 파일에 없음 0건" in output
    assert database_state() == before


def test_dry_run_validates_and_writes_nothing(competition):
    before = database_state()
    output, error = command(APPLICANTS_XLSX, "--dry-run")
    assert error is None
    assert "점검만 했습니다" in output and "신규 24건" in output
    assert database_state() == before


def test_changed_row_is_an_update_with_an_audit_record(competition, make_xlsx):
    command(make_xlsx([valid_row("T-01"), valid_row("T-02", applicant="고양시")]))
    output, error = command(make_xlsx([valid_row("T-01", 국비="250"), valid_row("T-02", applicant="고양시")]))
    assert error is None
    assert "신규 0건, 변경 1건, 변경 없음 1건" in output
    assert Proposal.objects.get(reference="T-01").national_subsidy == Decimal("250")
    entry = AuditEntry.objects.get(action="proposal.updated")
    assert entry.before == {"national_subsidy": "200.00"} and entry.after == {"national_subsidy": "250.00"}


def test_an_update_writes_every_kind_of_changed_field_and_audits_each_proposal(competition, make_xlsx):
    """Track, local government (a new applicant), decimal, date and list fields changed at once,
    and a second proposal changing only its title: each stored as the ORM would store it."""
    header = [*HEADER, "접수일", "참여기관"]
    command(
        make_xlsx(
            [
                [*valid_row("T-01"), "2023-03-31", "울산대학교"],
                [*valid_row("T-02", applicant="고양시"), "2023-03-31", ""],
            ],
            header=header,
        )
    )
    output, error = command(
        make_xlsx(
            [
                [
                    *valid_row("T-01", track="climate", applicant="울주군", 국비="150.5"),
                    "2023-04-01",
                    "가, 나",
                ],
                [*valid_row("T-02", applicant="고양시", 사업명="새 사업명"), "2023-03-31", ""],
            ],
            header=header,
        )
    )
    assert error is None and "신규 0건, 변경 2건, 변경 없음 0건" in output, output
    first = Proposal.objects.select_related("track", "applicant").get(reference="T-01")
    assert (first.track.code, first.applicant.name, first.applicant.province) == ("climate", "울주군", "울산")
    assert first.national_subsidy == Decimal("150.5") and first.submitted_on == datetime.date(2023, 4, 1)
    assert first.partners == ["가", "나"] and first.title == "사업"
    second = Proposal.objects.get(reference="T-02")
    assert second.title == "새 사업명" and second.updated_at > second.created_at
    entries = {e.object_id: e for e in AuditEntry.objects.filter(action="proposal.updated")}
    assert entries[str(second.pk)].before == {"title": "사업"} and entries[str(second.pk)].after == {
        "title": "새 사업명"
    }
    # Recorded as save() records a change: by attribute name, decimals at the field's places.
    assert entries[str(first.pk)].after == {
        "track_id": first.track_id,
        "applicant_id": first.applicant_id,
        "national_subsidy": "150.50",
        "submitted_on": "2023-04-01",
        "partners": ["가", "나"],
    }
    assert entries[str(first.pk)].before["national_subsidy"] == "200.00"
    assert entries[str(first.pk)].before["applicant_id"] != first.applicant_id


def test_rows_absent_from_file_are_reported_never_deleted(competition, make_xlsx):
    command(make_xlsx([valid_row("T-01"), valid_row("T-02", applicant="고양시")]))
    output, error = command(make_xlsx([valid_row("T-01")]))
    assert error is None
    assert "파일에 없음 1건" in output and "T-02" in output
    assert Proposal.objects.filter(reference="T-02").exists()


def test_natural_key_without_reference_is_track_and_applicant(competition, make_xlsx):
    rows = [valid_row("", 사업명="첫 제목")]
    command(make_xlsx(rows))
    output, error = command(make_xlsx([valid_row("", 사업명="고친 제목")]))
    assert error is None and "변경 1건" in output
    assert Proposal.objects.get().title == "고친 제목"


def test_amount_spellings_korean_or_english_headers_and_track_names(competition, make_xlsx):
    header = [
        "Track",
        "PROVINCE",
        "applicant",
        "Title",
        "national_subsidy",
        "Local Matching",
        "reference",
    ]
    rows = [
        ["거점형", "울산", "울산광역시", "a", "1,200", "200억", "R1"],
        ["기후위기 대응형", "경기", "평택시", "b", "１２０", "120.5", "R2"],
        ["depopulation", "충남", "태안군", "c", 120.25, " 12 억원 ", "R3"],
    ]
    result = run(make_xlsx(rows, header=header), competition)
    assert result.ok and result.applied, result.errors
    stored = {
        p.reference: (p.track.code, p.national_subsidy, p.local_matching) for p in Proposal.objects.all()
    }
    assert stored == {
        "R1": ("hub", Decimal("1200"), Decimal("200")),
        "R2": ("climate", Decimal("120"), Decimal("120.5")),
        "R3": ("depopulation", Decimal("120.25"), Decimal("12")),
    }


def test_header_may_follow_blank_rows_and_blank_rows_are_skipped(competition, make_xlsx):
    path = make_xlsx(
        [[None], HEADER, valid_row("T-01"), [None, None], valid_row("T-02", applicant="고양시")],
        header=None,
    )
    result = run(path, competition)
    assert result.ok and result.applied
    assert Proposal.objects.count() == 2


def test_columns_absent_from_file_keep_their_values(competition, make_xlsx):
    command(make_xlsx([[*valid_row("T-01"), "부적격"]], header=[*HEADER, "상태"]))
    assert Proposal.objects.get().status == Proposal.Status.INELIGIBLE
    output, error = command(make_xlsx([valid_row("T-01")]))
    assert error is None and "변경 없음 1건" in output
    assert Proposal.objects.get().status == Proposal.Status.INELIGIBLE


# --- bad rows: every error names its row and column; nothing is written --------------------

BAD_ROWS = [
    (valid_row(국비="이백"), "2행 '국비': 숫자가 아닙니다: '이백'"),
    (valid_row(지방비="-5"), "2행 '지방비': 0 이상이어야 합니다: '-5'"),
    (valid_row(국비="1.234"), "2행 '국비': 소수점 이하 두 자리까지만 입력할 수 있습니다: '1.234'"),
    (
        valid_row(국비=datetime.datetime(2023, 3, 1)),
        "2행 '국비': 숫자가 아닙니다: '2023-03-01 00:00:00'",
    ),
    (valid_row(국비=True), "2행 '국비': 숫자가 아닙니다: 'True'"),
    (
        valid_row(track="smart"),
        "2행 '트랙': 알 수 없는 트랙입니다: 'smart' (거점형(hub), 기후위기 대응형(climate), 지역소멸 대응형(depopulation) 중 하나)",
    ),
    (valid_row(사업명=None), "2행 '사업명': 필수 값이 비어 있습니다."),
    (valid_row(사업명="가" * 301), "2행 '사업명': 300자를 넘습니다(301자)."),
]


@pytest.mark.parametrize(("row", "message"), BAD_ROWS)
def test_bad_cell_names_row_and_column_and_writes_nothing(competition, make_xlsx, row, message):
    before = database_state()
    output, error = command(make_xlsx([row]))
    assert error is not None and error.returncode == 1
    assert message in output
    assert database_state() == before


def test_optional_columns_are_validated_too(competition, make_xlsx):
    header = [*HEADER, "접수일", "이메일", "상태"]
    row = [*valid_row(), "3월 말", "not-mail", "보류"]
    result = run(make_xlsx([row], header=header), competition, dry_run=True)
    assert result.errors == [
        "2행 '접수일': 날짜가 아닙니다: '3월 말'",
        "2행 '이메일': 이메일 주소가 아닙니다: 'not-mail'",
        "2행 '상태': 알 수 없는 값입니다: '보류' (접수, 부적격, 철회 중 하나)",
    ]


def test_one_bad_row_among_good_ones_writes_nothing(competition, make_xlsx):
    before = database_state()
    rows = [
        valid_row("T-01"),
        valid_row("T-02", applicant="고양시"),
        valid_row("T-03", applicant="성남시", 국비="많이"),
    ]
    output, error = command(make_xlsx(rows))
    assert error is not None
    assert "4행 '국비': 숫자가 아닙니다: '많이'" in output
    assert database_state() == before


def test_duplicate_reference_in_file_is_an_error(competition, make_xlsx):
    before = database_state()
    rows = [valid_row("T-01"), valid_row("T-01", applicant="고양시")]
    output, error = command(make_xlsx(rows))
    assert error is not None
    assert "3행 '접수번호': 파일 안에 두 번 나옵니다(2행과 같음)." in output
    assert database_state() == before


def test_same_applicant_twice_in_a_track_without_references_is_an_error(competition, make_xlsx):
    """Without 접수번호, (track, local government) is the key (SPEC §5)."""
    before = database_state()
    output, error = command(make_xlsx([valid_row(None), valid_row(None)]))
    assert error is not None
    assert "3행 '지자체': 같은 지자체가 이 트랙에 두 번 나옵니다(2행)." in output
    assert database_state() == before


def test_several_proposals_of_one_applicant_in_a_track_told_apart_by_reference(competition, make_xlsx):
    """SPEC §8.1 (어촌뉴딜: 신안군 won three sites): with 접수번호, a local government may hold
    several proposals in one track; a re-import changes nothing; a row without 접수번호 for that
    local government names which one it is for, or is refused."""
    rows = [
        valid_row(ref, applicant="신안군", 광역="전남", 사업명=f"{ref} 어항")
        for ref in ("F-01", "F-02", "F-03")
    ]
    output, error = command(make_xlsx(rows))
    assert error is None, output
    sites = Proposal.objects.filter(applicant__name="신안군").order_by("reference")
    assert [(p.reference, p.track.code, p.title) for p in sites] == [
        ("F-01", "hub", "F-01 어항"),
        ("F-02", "hub", "F-02 어항"),
        ("F-03", "hub", "F-03 어항"),
    ]
    assert len({p.applicant_id for p in sites}) == 1
    before = database_state()
    output, error = command(make_xlsx(rows))
    assert error is None and "바뀐 것이 없습니다" in output
    assert database_state() == before
    output, error = command(make_xlsx([valid_row(None, applicant="신안군", 광역="전남")]))
    assert error is not None
    assert (
        "2행 '접수번호': 이 지자체는 이 트랙에 사업이 3건 있습니다. 이 행이 어느 사업인지 접수번호를 적어 주세요."
        in output
    )
    assert database_state() == before


def test_a_proposal_imported_without_reference_is_given_one(competition, make_xlsx):
    command(make_xlsx([valid_row(None)]))
    (proposal,) = Proposal.objects.all()
    output, error = command(make_xlsx([valid_row("T-09")]))
    assert error is None, output
    assert list(Proposal.objects.values_list("pk", "reference")) == [(proposal.pk, "T-09")]


# --- bad files: one clear message, exit code 1, nothing written ------------------------------


def file_error(competition, path):
    before = database_state()
    output, error = command(path)
    assert error is not None and error.returncode == 1
    assert database_state() == before
    return output.strip().splitlines()[0]


def test_not_an_xlsx_file(competition, tmp_path):
    path = tmp_path / "applicants.xlsx"
    path.write_text("트랙,광역,지자체\nhub,울산,울산광역시\n", encoding="utf-8")
    assert (
        file_error(competition, path)
        == "엑셀(.xlsx) 파일이 아닙니다. .xlsx 형식으로 저장한 뒤 다시 올려 주세요."
    )


def test_empty_file(competition, tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert file_error(competition, path) == "파일이 비어 있습니다."


def test_truncated_file_is_damaged(competition, tmp_path):
    path = tmp_path / "cut.xlsx"
    path.write_bytes(APPLICANTS_XLSX.read_bytes()[:3000])
    assert file_error(competition, path) == "파일이 손상되어 읽을 수 없습니다."


def test_password_protected_file(competition, tmp_path, make_xlsx):
    msoffcrypto = pytest.importorskip("msoffcrypto")
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = make_xlsx([valid_row()])
    encrypted = tmp_path / "locked.xlsx"
    with open(plain, "rb") as source, open(encrypted, "wb") as target:
        OOXMLFile(source).encrypt("secret", target)
    assert msoffcrypto
    assert (
        file_error(competition, encrypted)
        == "암호가 걸린 파일입니다. 엑셀에서 암호를 해제한 뒤 다시 올려 주세요."
    )


def test_empty_sheet(competition, make_xlsx):
    assert (
        file_error(competition, make_xlsx([], header=None))
        == "첫 번째 시트가 비어 있습니다. 머리글 행을 찾지 못했습니다."
    )


def test_header_only(competition, make_xlsx):
    assert file_error(competition, make_xlsx([])) == "머리글만 있고 자료 행이 없습니다."


def test_missing_required_columns(competition, make_xlsx):
    path = make_xlsx([["hub", "울산광역시"]], header=["트랙", "지자체"])
    assert file_error(competition, path) == (
        "필수 열이 없습니다: '광역', '사업명', '국비', '지방비'. 머리글은 1행입니다."
    )


def test_duplicate_header(competition, make_xlsx):
    path = make_xlsx([[*valid_row(), 100]], header=[*HEADER, "National Subsidy"])
    assert file_error(competition, path) == (
        "열 머리글이 중복됩니다: '국비'(E열)와 'National Subsidy'(H열)는 같은 열입니다."
    )


@override_settings(IMPORT_MAX_ROWS=3)
def test_too_many_rows(competition, make_xlsx):
    rows = [valid_row(f"T-{n}", applicant=f"시{n}") for n in range(4)]
    assert (
        file_error(competition, make_xlsx(rows)) == "행이 너무 많습니다. 한 번에 3행까지 가져올 수 있습니다."
    )


@override_settings(IMPORT_MAX_BYTES=1024)
def test_file_too_large(competition):
    size = APPLICANTS_XLSX.stat().st_size
    assert file_error(competition, APPLICANTS_XLSX) == (
        f"파일이 너무 큽니다({size / 1048576:,.1f}MB). 0MB까지 올릴 수 있습니다."
    )


def test_formula_without_cached_value(competition, make_xlsx):
    path = make_xlsx([valid_row(국비="=100+100")])
    assert file_error(competition, path) == (
        "수식 셀 1개에 계산된 값이 없습니다(E2). 엑셀에서 파일을 열어 저장한 뒤 다시 올리거나, 수식을 값으로 바꿔 주세요."
    )


def test_old_xls_file(competition, tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 1024)
    assert (
        file_error(competition, path)
        == "오래된 엑셀(.xls) 파일입니다. 엑셀에서 .xlsx로 저장한 뒤 다시 올려 주세요."
    )


def test_unknown_competition_is_refused(db, tmp_path):
    _output, error = command(APPLICANTS_XLSX, slug="nope")
    assert str(error) == "식별자가 'nope'인 공모가 없습니다."


def test_workbook_without_a_visible_first_sheet(competition, tmp_path):
    workbook = Workbook()
    workbook.active.title = "숨김"
    workbook.active.sheet_state = "hidden"
    visible = workbook.create_sheet("보이는 시트")
    visible.append(HEADER)
    path = tmp_path / "hidden.xlsx"
    workbook.save(path)
    assert file_error(competition, path) == (
        "첫 번째 시트('숨김')가 숨겨져 있습니다. 자료를 보이는 첫 번째 시트에 넣어 주세요."
    )


def test_the_conflict_rule_covers_every_proposal_of_the_applicant(
    competition, stage, make_xlsx, make_reviewer
):
    """SPEC §8.1: a reviewer from 신안군 is disqualified (제척) from each of its proposals."""
    from evaluation.models import Assignment
    from evaluation.models.conflict import ConflictOfInterest

    rows = [valid_row(ref, applicant="신안군", 광역="전남") for ref in ("F-01", "F-02")]
    command(make_xlsx(rows))
    reviewer = make_reviewer("kim", affiliation="신안군")
    for proposal in Proposal.objects.filter(applicant__name="신안군"):
        with pytest.raises(ConflictOfInterest):
            Assignment.objects.create(stage=stage, proposal=proposal, reviewer=reviewer)
    assert not Assignment.objects.exists()


def test_the_database_keeps_one_unnumbered_proposal_per_applicant_and_track(competition):
    """Every path (a shell, the admin) meets the same rule as the file: several proposals of one
    local government in a track only with 접수번호 (SPEC §8.1)."""
    from django.db import IntegrityError, transaction

    from proposals.models import Applicant, Track

    track = Track.objects.get(category__competition=competition, code="hub")
    applicant = Applicant.objects.create(province="전남", name="신안군")
    fields = {"competition": competition, "track": track, "applicant": applicant, "title": "어항"}
    fields |= {"national_subsidy": 1, "local_matching": 1}
    Proposal.objects.create(reference="F-01", **fields)
    Proposal.objects.create(reference="F-02", **fields)
    Proposal.objects.create(reference="", **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.create(reference="", **fields)
    assert Proposal.objects.filter(applicant=applicant).count() == 3
