"""The sheet reader (proposals/importing/workbook.py): every row and cell of the sheet is read, or
the file is refused — whatever its ``<dimension>`` says — and the openpyxl parts it relies on.

The corpus in tests/hostile runs the ``<dimension>`` variants through every importer; here the
reported case goes through the command, and the values of columns a lying dimension leaves out
are checked one by one.
"""

import datetime
import importlib.metadata
import io
import zipfile
from io import StringIO

import openpyxl
import pytest
import python_calamine
from django.core.management import call_command

from evaluation.models import Reviewer, Scoresheet
from proposals.importing import workbook
from proposals.importing.applicants import ProposalImporter
from proposals.importing.engine import run_import
from proposals.importing.workbook import SpreadsheetError, read_first_sheet
from proposals.models import Proposal
from tests.hostile.make_corpus import (
    REVIEWER_HEADER,
    SCORE_HEADER,
    SCORER,
    TEN_REVIEWERS,
    TEN_SCORES,
    replace_member,
    with_dimension,
    with_sheet_xml,
    xlsx,
)

pytestmark = pytest.mark.django_db

HEADER = ["트랙", "광역", "지자체", "사업명", "국비", "지방비", "접수번호", "주요내용"]


def ten_rows():
    return [
        ["hub", "시험", f"가나시 {n}", f"사업 {n}", 200, 200, f"X-{n:02d}", f"주요내용 {n}"]
        for n in range(1, 11)
    ]


def command(path, slug):
    out = StringIO()
    call_command("import_proposals", str(path), competition=slug, stdout=out)
    return out.getvalue()


def test_a_dimension_of_three_rows_does_not_hide_the_other_eight(competition, tmp_path):
    """The reported file: <dimension ref="A1:G3"/> and ten data rows imported 2 and said that
    the file had no problem. All ten are imported now."""
    path = tmp_path / "dimension.xlsx"
    path.write_bytes(with_dimension(xlsx(ten_rows(), header=HEADER), "A1:G3"))

    output = command(path, competition.slug)

    assert "신규 10건, 변경 0건, 변경 없음 0건" in output
    assert sorted(Proposal.objects.values_list("reference", flat=True)) == [
        f"X-{n:02d}" for n in range(1, 11)
    ]


@pytest.mark.parametrize("dimension", ["A1:C11", "A1", "A1:XFD1048576", None])
def test_every_cell_is_read_whatever_the_dimension_says(competition, tmp_path, dimension):
    """Columns to the right of the dimension (here 주요내용 in column H) are read, not dropped."""
    path = tmp_path / "dimension.xlsx"
    path.write_bytes(with_dimension(xlsx(ten_rows(), header=HEADER), dimension))

    command(path, competition.slug)

    stored = dict(Proposal.objects.values_list("reference", "summary"))
    assert stored == {f"X-{n:02d}": f"주요내용 {n}" for n in range(1, 11)}


def test_reviewer_and_score_columns_beyond_the_dimension_are_read(staged, make_reviewer, tmp_path):
    reviewers = tmp_path / "reviewers.xlsx"
    reviewers.write_bytes(with_dimension(xlsx(TEN_REVIEWERS, header=REVIEWER_HEADER), "A1:C3"))
    call_command("import_reviewers", str(reviewers), stdout=StringIO())
    assert sorted(Reviewer.objects.values_list("email", "field", "external")) == sorted(
        (f"r{n}@example.kr", "도시계획", True) for n in range(1, 11)
    )

    make_reviewer("kim", affiliation="한국대학교")
    scores = tmp_path / "scores.xlsx"
    scores.write_bytes(with_dimension(xlsx(TEN_SCORES, header=SCORE_HEADER), "A1:C3"))
    call_command("import_scores", str(scores), competition=staged.slug, stage="document", stdout=StringIO())
    sheets = Scoresheet.objects.filter(assignment__reviewer__email=SCORER)
    assert sheets.count() == 10
    assert {sheet.comment for sheet in sheets} == {"의견"}
    assert {sheet.total for sheet in sheets} == {80}


def test_only_the_first_sheet_is_opened(tmp_path):
    """Other sheets are never parsed (openpyxl's read-only open sizes every sheet, parsing the
    whole XML of those without a <dimension>): a broken second sheet does not matter."""

    def two_sheets(book):
        book.create_sheet("참고")

    content = replace_member(
        xlsx(ten_rows(), header=HEADER, edit=two_sheets),
        "xl/worksheets/sheet2.xml",
        lambda stream: stream.write(b"<worksheet><sheetData><row><<<"),
    )
    sheet = read_first_sheet(content)
    assert sheet.title == "지원자" and len(list(sheet.rows)) == 10


def test_openpyxl_and_calamine_are_the_versions_whose_parts_are_used():
    """workbook.py builds on openpyxl 3.1's reader internals (ExcelReader's steps up to the sheet
    list) and on python-calamine 0.9's sheet reader, whose iter_rows gives every row from row 1,
    each from the sheet's first used column; pyproject.toml pins both. A new minor version must
    be checked against them before its pin moves."""
    assert openpyxl.__version__.startswith("3.1.")
    reader = openpyxl.reader.excel.ExcelReader(io.BytesIO(xlsx([[1]], header=["a"])), read_only=True)
    for step in ("read_manifest", "read_workbook"):
        assert callable(getattr(reader, step))
    reader.read_manifest()
    reader.read_workbook()
    sheet, rel = next(reader.parser.find_sheets())
    assert (sheet.name, rel.target.lstrip("/")) == ("지원자", "xl/worksheets/sheet1.xml")
    assert workbook.ExcelReader is openpyxl.reader.excel.ExcelReader

    assert importlib.metadata.version("python-calamine").startswith("0.9.")
    book = openpyxl.Workbook()
    book.active["C3"], book.active["D5"] = "가", 1
    out = io.BytesIO()
    book.save(out)
    values = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(out.getvalue())).get_sheet_by_index(0)
    assert values.start == (2, 2)
    assert list(values.iter_rows()) == [["", ""], ["", ""], ["가", ""], ["", ""], ["", 1.0]]


def test_a_sheet_that_starts_below_and_right_of_a1_keeps_its_row_numbers_and_columns():
    def move(book):
        sheet = book.active
        sheet.insert_rows(1, 3)
        sheet.insert_cols(1, 2)

    sheet = read_first_sheet(xlsx(ten_rows()[:2], header=HEADER, edit=move))
    assert (sheet.header_row, sheet.header) == (4, (None, None, *HEADER))
    assert [(number, values[2:5]) for number, values in sheet.rows] == [
        (5, ("hub", "시험", "가나시 1")),
        (6, ("hub", "시험", "가나시 2")),
    ]


def test_values_are_read_as_openpyxl_gives_them():
    """Whole numbers as int, others as float, dates as datetime (also a date without a time),
    booleans, error cells as their text, blank text as None."""
    rows = [[1, 2.5, datetime.date(2023, 3, 31), datetime.datetime(2023, 3, 31, 9, 30), True, "", "가"]]
    content = with_sheet_xml(
        xlsx(rows, header=list("ABCDEFG")),
        lambda xml: xml.replace(
            '<c r="G2" t="inlineStr"><is><t>가</t></is></c>'.encode(), b'<c r="G2" t="e"><v>#N/A</v></c>'
        ),
    )
    sheet = read_first_sheet(content)
    assert list(sheet.rows) == [
        (
            2,
            (
                1,
                2.5,
                datetime.datetime(2023, 3, 31),
                datetime.datetime(2023, 3, 31, 9, 30),
                True,
                None,
                "#N/A",
            ),
        )
    ]


def test_an_error_cell_is_reported_with_its_text(competition):
    content = with_sheet_xml(
        xlsx(ten_rows()[:1], header=HEADER),
        lambda xml: xml.replace(
            b'<c r="E2" t="n"><v>200</v></c>', b'<c r="E2" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        ),
    )
    report = run_import(ProposalImporter(competition), content, dry_run=True)
    assert report.errors == ["2행 '국비': 숫자가 아닙니다: '#DIV/0!'"]


@pytest.mark.parametrize(
    "edit",
    [
        # the same place in two rows: the value reader places a cell by its own r
        lambda xml: xml.replace(b'<c r="A3" ', b'<c r="A2" ', 1),
        # a cell written twice in its row, with another value
        lambda xml: xml.replace(b'<c r="B2" ', b'<c r="A2" t="inlineStr"><is><t>x</t></is></c><c r="B2" ', 1),
    ],
    ids=["in-two-rows", "twice-in-a-row"],
)
def test_two_cells_naming_the_same_place_make_the_file_damaged(edit):
    content = with_sheet_xml(xlsx(ten_rows(), header=HEADER), edit)
    with pytest.raises(SpreadsheetError) as refused:
        list(read_first_sheet(content).rows)
    assert refused.value.message == (
        "파일이 손상되었습니다: A2 셀이 두 번 나오거나 순서가 맞지 않습니다. 엑셀에서 열어 저장한 뒤 다시 올려 주세요."
    )


def test_blank_text_without_a_duplicate_place_is_read():
    """A cell of spaces written without xml:space="preserve" reads as blank: the scan counted a
    value the reader does not give, the places are checked one by one, and the file is read."""
    content = with_sheet_xml(
        xlsx(ten_rows(), header=HEADER), lambda xml: xml.replace("<t>주요내용 1</t>".encode(), b"<t>   </t>")
    )
    rows = list(read_first_sheet(content).rows)
    assert len(rows) == 10 and rows[0][1][7] is None and rows[1][1][7] == "주요내용 2"


def test_a_workbook_without_shared_strings_or_with_them_reads_alike():
    """openpyxl writes inline strings; Excel writes a shared string table. Both read the same."""
    inline = xlsx(ten_rows(), header=HEADER)
    with zipfile.ZipFile(io.BytesIO(inline)) as archive:
        assert "xl/sharedStrings.xml" not in archive.namelist()
    shared = _with_shared_strings(inline)
    assert _rows(read_first_sheet(shared)) == _rows(read_first_sheet(inline))


def _rows(sheet):
    return sheet.header, list(sheet.rows)


def _with_shared_strings(content: bytes) -> bytes:
    """The workbook with every inline string moved to a shared string table (as Excel saves)."""
    import re

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
        types = archive.read("[Content_Types].xml").decode()
    strings: list[str] = []

    def shared(match):
        strings.append(match.group(2))
        return f'<c r="{match.group(1)}" t="s"><v>{len(strings) - 1}</v></c>'

    xml = re.sub(r'<c r="([A-Z]+\d+)" t="inlineStr"><is><t>(.*?)</t></is></c>', shared, xml)
    table = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + "".join(f"<si><t>{text}</t></si>" for text in strings)
        + "</sst>"
    )
    types = types.replace(
        "</Types>",
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    content = replace_member(content, "xl/worksheets/sheet1.xml", lambda s: s.write(xml.encode()))
    content = replace_member(content, "[Content_Types].xml", lambda s: s.write(types.encode()))
    out = io.BytesIO(content)
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", table)
    return out.getvalue()
