"""The sheet reader (proposals/importing/workbook.py): every row and cell of the sheet is read, or
the file is refused — whatever its ``<dimension>`` says — and the openpyxl parts it relies on.

The corpus in tests/hostile runs the ``<dimension>`` variants through every importer; here the
reported case goes through the command, and the values of columns a lying dimension leaves out
are checked one by one.
"""

import io
import zipfile
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from openpyxl.worksheet._reader import WorkSheetParser

from evaluation.models import Reviewer, Scoresheet
from proposals.importing import workbook
from proposals.importing.workbook import read_first_sheet
from proposals.models import Proposal
from tests.hostile.make_corpus import (
    REVIEWER_HEADER,
    SCORE_HEADER,
    SCORER,
    TEN_REVIEWERS,
    TEN_SCORES,
    replace_member,
    with_dimension,
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


def test_the_reader_never_asks_openpyxl_for_a_dimension(monkeypatch):
    def refuse(self):
        raise AssertionError("the sheet's <dimension> was read")

    monkeypatch.setattr(WorkSheetParser, "parse_dimensions", refuse)
    sheet = read_first_sheet(with_dimension(xlsx(ten_rows(), header=HEADER), "A1:G3"))
    assert [number for number, _values in sheet.rows] == list(range(2, 12))


def test_openpyxl_is_the_minor_version_whose_reader_parts_are_used():
    """workbook.py builds on openpyxl 3.1's reader internals (ExcelReader's steps, the
    worksheet parser, the workbook's date formats); pyproject.toml pins openpyxl to 3.1.x. A
    new minor version must be checked against them before the pin moves."""
    assert openpyxl.__version__.startswith("3.1.")
    reader = openpyxl.reader.excel.ExcelReader(io.BytesIO(xlsx([[1]], header=["a"])), read_only=True)
    for step in ("read_manifest", "read_workbook"):
        assert callable(getattr(reader, step))
    reader.read_manifest()
    reader.read_workbook()
    assert isinstance(reader.wb._date_formats, dict | set) and isinstance(
        reader.wb._timedelta_formats, dict | set
    )
    _sheet, rel = next(reader.parser.find_sheets())
    with reader.archive.open(rel.target) as source:
        rows = list(WorkSheetParser(source, [], data_only=True).parse())
    assert [(number, [(cell["column"], cell["value"]) for cell in cells]) for number, cells in rows] == [
        (1, [(1, "a")]),
        (2, [(1, 1)]),
    ]
    assert workbook.ExcelReader is openpyxl.reader.excel.ExcelReader


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
