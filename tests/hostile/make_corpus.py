"""A corpus of hostile spreadsheets for the import engine (issue 5 §3).

``generate(directory)`` writes every file of ``ENTRIES`` into ``directory`` and returns their paths;
run as a script: ``python tests/hostile/make_corpus.py OUTDIR``. Nothing is committed: the tests
generate the corpus at test time. Each entry declares, per importer ("applicants", "reviewers",
"scores"), ``"ok"`` or the exact Korean message (or its prefix) the import ends with.

The 200,000-row file is written as raw sheet XML (openpyxl would take too long); the tests lower
``IMPORT_MAX_ROWS`` to 1,000 so the reader stops early (see test_corpus.py).
"""

import datetime
import io
import os
import re
import sys
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook

IMPORTERS = ("applicants", "reviewers", "scores")
DEFAULT_MAX_UNCOMPRESSED = 400 * 1024 * 1024
OK = "ok"

APPLICANT_HEADER = ["트랙", "광역", "지자체", "사업명", "국비", "지방비", "접수번호"]
REVIEWER_HEADER = ["성명", "소속", "이메일", "분야", "외부위원"]
SCORE_HEADER = ["평가위원", "접수번호", "C1", "C2", "C3", "C4", "C5", "의견"]
SCORER = "kim@example.kr"  # the reviewer the tests create
SCORED = "2023-H-04"  # a proposal of the fixture competition (document stage)
GOOD_POINTS = [25, 15, 12, 16, 12]

NOT_XLSX = "엑셀(.xlsx) 파일이 아닙니다. .xlsx 형식으로 저장한 뒤 다시 올려 주세요."
DAMAGED = "파일이 손상되어 읽을 수 없습니다"
NO_DATA = "머리글만 있고 자료 행이 없습니다."
TOO_MUCH = (
    "파일의 내용이 너무 많아 한 번에 가져올 수 없습니다. 셀은 2,000,000개, 글자는 30,000,000자까지 읽을 수 "
    "있습니다. 파일을 나누거나 서식만 있고 비어 있는 행과 열을 지운 뒤 다시 올려 주세요."
)


def missing(columns, row=1) -> str:
    return f"필수 열이 없습니다: {', '.join(repr(c) for c in columns)}. 머리글은 {row}행입니다."


def everywhere(message: str) -> dict:
    return dict.fromkeys(IMPORTERS, message)


def applicant_file(message: str, row=1, **others) -> dict:
    """Outcomes of a file with the applicant header: the other importers miss their columns."""
    return {
        "applicants": message,
        "reviewers": others.get("reviewers", missing(["성명", "소속", "이메일"], row)),
        "scores": others.get("scores", missing(["평가위원"], row)),
    }


def reviewer_file(message: str, row=1) -> dict:
    return {
        "applicants": missing(["트랙", "광역", "지자체", "사업명", "국비", "지방비"], row),
        "reviewers": message,
        "scores": missing(["평가위원"], row),
    }


def score_file(message: str, row=1) -> dict:
    return {
        "applicants": missing(["트랙", "광역", "지자체", "사업명", "국비", "지방비"], row),
        "reviewers": missing(["성명", "소속", "이메일"], row),
        "scores": message,
    }


def arow(reference="X-01", applicant="가나시", **overrides) -> list:
    row = dict(zip(APPLICANT_HEADER, ["hub", "시험", applicant, "사업", 200, 200, reference], strict=True))
    row.update(overrides)
    return [row[column] for column in APPLICANT_HEADER]


def xlsx(rows, header=APPLICANT_HEADER, title="지원자", edit: Callable | None = None) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    if edit:
        edit(workbook)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def replace_member(content: bytes, name: str, write: Callable) -> bytes:
    """The same archive with member ``name`` rewritten by ``write(stream)``."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            if info.filename == name:
                with target.open(name, "w", force_zip64=True) as stream:
                    write(stream)
            else:
                target.writestr(info, source.read(info.filename))
    return out.getvalue()


SHEET_XML = "xl/worksheets/sheet1.xml"
SHEET_START = b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_END = b"</sheetData></worksheet>"


def _inline(ref: str, value) -> str:
    if isinstance(value, int):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def many_rows(count: int) -> bytes:
    def write(stream):
        stream.write(SHEET_START)
        header = "".join(_inline(f"{chr(65 + i)}1", v) for i, v in enumerate(APPLICANT_HEADER))
        stream.write(f'<row r="1">{header}</row>'.encode())
        batch = []
        for n in range(2, count + 2):
            cells = arow(f"R-{n}", f"시험시 {n}")
            batch.append(
                f'<row r="{n}">'
                + "".join(_inline(f"{chr(65 + i)}{n}", v) for i, v in enumerate(cells))
                + "</row>"
            )
            if len(batch) == 5000:
                stream.write("".join(batch).encode())
                batch = []
        stream.write("".join(batch).encode() + SHEET_END)

    return replace_member(xlsx([]), SHEET_XML, write)


def zip_bomb(limit: int) -> bytes:
    """A small valid workbook whose sheet XML expands past ``limit`` (whitespace padding)."""

    def write(stream):
        stream.write(SHEET_START)
        chunk = b" " * (1 << 20)
        for _ in range(limit // len(chunk) + 2):
            stream.write(chunk)
        stream.write(SHEET_END)

    return replace_member(xlsx([]), SHEET_XML, write)


def sheet_xml(content: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.read(SHEET_XML)


def with_dimension(content: bytes, ref: str | None) -> bytes:
    """The same workbook whose sheet's ``<dimension>`` says ``ref`` (None: has no dimension)."""
    replacement = f'<dimension ref="{ref}" />'.encode() if ref else b""
    xml, count = re.subn(rb"<dimension [^>]*/>", replacement, sheet_xml(content))
    assert count == 1
    return replace_member(content, SHEET_XML, lambda stream: stream.write(xml))


def with_sheet_xml(content: bytes, edit: Callable[[bytes], bytes]) -> bytes:
    xml = sheet_xml(content)
    changed = edit(xml)
    assert changed != xml
    return replace_member(content, SHEET_XML, lambda stream: stream.write(changed))


def cells_bomb(megabytes: int) -> bytes:
    """A few hundred KB that expand to ``megabytes`` MB of cells: the applicant header, then rows
    of 16,384 one-digit cells without positions (the shape of the 604 KB → 312 MB file)."""
    cell = b"<c><v>1</v></c>"
    row = b"<row>" + cell * 16_384 + b"</row>"
    header = "".join(_inline(f"{chr(65 + i)}1", v) for i, v in enumerate(APPLICANT_HEADER))

    def write(stream):
        stream.write(SHEET_START + f'<row r="1">{header}</row>'.encode())
        for _ in range(megabytes * 1048576 // len(row)):
            stream.write(row)
        stream.write(SHEET_END)

    return replace_member(xlsx([]), SHEET_XML, write)


def empty_rows_bomb(rows: int) -> bytes:
    """Millions of empty row elements after the header: no cell, yet each must be parsed."""

    def write(stream):
        header = "".join(_inline(f"{chr(65 + i)}1", v) for i, v in enumerate(APPLICANT_HEADER))
        stream.write(SHEET_START + f'<row r="1">{header}</row>'.encode())
        for _ in range(rows // 100_000):
            stream.write(b"<row/>" * 100_000)
        stream.write(SHEET_END)

    return replace_member(xlsx([]), SHEET_XML, write)


def characters_bomb() -> bytes:
    """One shared 30,000-character string used by every cell of 2,000 rows: a small file whose
    cells hold 420 million characters of text."""
    strings = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>{"가" * 30_000}</t></si></sst>'
    ).encode()
    header = "".join(_inline(f"{chr(65 + i)}1", v) for i, v in enumerate(APPLICANT_HEADER))
    row = "".join(f'<c r="{chr(65 + i)}{{n}}" t="s"><v>0</v></c>' for i in range(7))
    rows = "".join(f'<row r="{n}">{row.format(n=n)}</row>' for n in range(2, 2002))
    xml = SHEET_START + f'<row r="1">{header}</row>{rows}'.encode() + SHEET_END
    content = replace_member(xlsx([]), SHEET_XML, lambda stream: stream.write(xml))
    content = add_member(content, "xl/sharedStrings.xml", strings)
    types = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        manifest = archive.read("[Content_Types].xml").replace(b"</Types>", types)
    return replace_member(content, "[Content_Types].xml", lambda stream: stream.write(manifest))


def add_member(content: bytes, name: str, data: bytes) -> bytes:
    out = io.BytesIO(content)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return out.getvalue()


# Ten good rows for each importer: the <dimension> variants must import all ten.
TEN_APPLICANTS = [arow(f"X-{n:02d}", f"가나시 {n}") for n in range(1, 11)]
TEN_REVIEWERS = [[f"위원 {n}", "한국대학교", f"r{n}@example.kr", "도시계획", "Y"] for n in range(1, 11)]
TEN_SCORES = [[SCORER, f"2023-H-{n:02d}", *GOOD_POINTS, "의견"] for n in range(1, 11)]
TEN_ROWS = {
    "applicants": (TEN_APPLICANTS, APPLICANT_HEADER, applicant_file),
    "reviewers": (TEN_REVIEWERS, REVIEWER_HEADER, reviewer_file),
    "scores": (TEN_SCORES, SCORE_HEADER, score_file),
}
# (name, <dimension> written: the sheet holds a header and ten rows, A1:G11 for applicants)
DIMENSIONS = (
    ("dimension_too_few_rows", "A1:{last}3"),  # the reported file: said A1:G3, imported 2 of 10
    ("dimension_too_few_columns", "A1:C11"),
    ("dimension_single_cell", "A1"),
    ("dimension_larger_than_data", "A1:XFD1048576"),
    ("no_dimension", None),
)


def dimension_entries() -> list:
    entries = []
    for kind, (rows, header, outcome) in TEN_ROWS.items():
        last = chr(64 + len(header))
        for name, ref in DIMENSIONS:
            entries.append(
                Entry(
                    f"{name}_{kind}.xlsx",
                    lambda _l, rows=rows, header=header, ref=ref, last=last: with_dimension(
                        xlsx(rows, header=header), ref and ref.format(last=last)
                    ),
                    outcome(OK),
                    {kind: 10},
                )
            )
    return entries


def _repeat_row_3(xml: bytes) -> bytes:
    """Row 3 written a second time after row 4 (openpyxl would skip it silently)."""
    row3 = re.search(rb'<row r="3".*?</row>', xml).group(0)
    return xml.replace(b"</sheetData>", row3 + b"</sheetData>")


def _repeat_cell_c2(xml: bytes) -> bytes:
    """Cell C2 written twice (openpyxl would keep the second value silently)."""
    second = '<c r="C2" t="inlineStr"><is><t>다라시</t></is></c>'.encode()
    return xml.replace(b'<c r="D2"', second + b'<c r="D2"', 1)


def encrypted() -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(xlsx([arow()]))).encrypt("비밀번호-1234", out)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return out.getvalue()


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def _hide_first(workbook):
    visible = workbook.create_sheet("자료")
    for row in workbook.active.iter_rows(values_only=True):
        visible.append(row)
    workbook.active.sheet_state = "hidden"
    workbook.active = 1


def _merge_banner(workbook):
    sheet = workbook.active
    sheet.insert_rows(1)
    sheet["A1"] = "2023 스마트시티 공모 신청 현황"
    sheet.merge_cells("A1:G1")


def _header_in_row_5(workbook):
    sheet = workbook.active
    sheet.insert_rows(1, 4)
    sheet["C2"] = "   "


def _whitespace_only(workbook):
    sheet = workbook.active
    sheet["A1"], sheet["B2"], sheet["C3"], sheet["D1"] = " ", "\u3000", "\t\n", "\u00a0"


@dataclass(frozen=True)
class Entry:
    name: str
    build: Callable[[dict], bytes]  # limits → file content
    expect: dict = field(default_factory=dict)  # importer → "ok" or message (prefix)
    imports: dict = field(default_factory=dict)  # importer → rows it must create when "ok"


TEN_THOUSAND = "가" * 10_000
MERGED_HEADER = ["트랙", "광역", "지자체", "사업명", None, "국비", "지방비", "접수번호"]

ENTRIES = [
    Entry(
        "csv_renamed.xlsx",
        lambda _l: "트랙,광역,지자체\nhub,울산,울산광역시\n".encode(),
        everywhere(NOT_XLSX),
    ),
    Entry("png_renamed.xlsx", lambda _l: b"\x89PNG\r\n\x1a\n" + bytes(200), everywhere(NOT_XLSX)),
    Entry(
        "pdf_renamed.xlsx",
        lambda _l: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n",
        everywhere(NOT_XLSX),
    ),
    Entry("empty.xlsx", lambda _l: b"", everywhere("파일이 비어 있습니다.")),
    Entry(
        "truncated.xlsx", lambda _l: xlsx([arow()])[:1500], everywhere("파일이 손상되어 읽을 수 없습니다.")
    ),
    Entry("plain_zip.xlsx", lambda _l: plain_zip(), everywhere(NOT_XLSX)),
    Entry(
        "garbage_workbook_xml.xlsx",
        lambda _l: replace_member(xlsx([arow()]), "xl/workbook.xml", lambda s: s.write(b"<workbook><<<")),
        everywhere(DAMAGED),
    ),
    Entry(
        "zip_bomb.xlsx",
        lambda limits: zip_bomb(limits["max_uncompressed"]),
        everywhere("파일의 압축을 풀면 "),
    ),
    Entry(
        "old_format.xls.xlsx",
        lambda _l: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000),
        everywhere("오래된 엑셀(.xls) 파일입니다. 엑셀에서 .xlsx로 저장한 뒤 다시 올려 주세요."),
    ),
    Entry(
        "password_protected.xlsx",
        lambda _l: encrypted(),
        everywhere("암호가 걸린 파일입니다. 엑셀에서 암호를 해제한 뒤 다시 올려 주세요."),
    ),
    Entry(
        "rows_200000.xlsx",
        lambda limits: many_rows(limits["rows"]),
        applicant_file("행이 너무 많습니다. 한 번에 1,000행까지 가져올 수 있습니다."),
    ),
    Entry(
        "columns_5000.xlsx",
        lambda _l: xlsx([arow()], header=APPLICANT_HEADER + [f"열{n}" for n in range(4993)]),
        everywhere("열이 너무 많습니다(5,000개). 200개까지 쓸 수 있습니다."),
    ),
    Entry(
        "merged_banner_above_header.xlsx",
        lambda _l: xlsx([arow()], edit=_merge_banner),
        applicant_file(missing(["트랙", "광역", "지자체", "사업명", "국비", "지방비"])),
    ),
    Entry(
        "merged_header_cells.xlsx",
        lambda _l: xlsx(
            [["hub", "시험", "가나시", "사업", "부제", 200, 200, "X-01"]],
            header=MERGED_HEADER,
            edit=lambda wb: wb.active.merge_cells("D1:E1"),
        ),
        applicant_file(OK),
        {"applicants": 1},
    ),
    Entry(
        "hidden_first_sheet.xlsx",
        lambda _l: xlsx([arow()], edit=_hide_first),
        everywhere("첫 번째 시트('지원자')가 숨겨져 있습니다. 자료를 보이는 첫 번째 시트에 넣어 주세요."),
    ),
    Entry(
        "formulas_without_values.xlsx",
        lambda _l: xlsx([arow(국비="=100+100")]),
        everywhere("수식 셀 1개에 계산된 값이 없습니다(E2)."),
    ),
    Entry(
        "dates_in_amounts.xlsx",
        lambda _l: xlsx([arow(국비=datetime.datetime(2023, 3, 31))]),
        applicant_file("2행 '국비': 숫자가 아닙니다: '2023-03-31 00:00:00'"),
    ),
    Entry(
        "nfd_names.xlsx",
        lambda _l: xlsx([arow(applicant=nfd("가나다시"), 광역=nfd("시험도"), 사업명=nfd("스마트 사업"))]),
        applicant_file(OK),
        {"applicants": 1},
    ),
    Entry(
        "zero_width_spaces.xlsx",
        lambda _l: xlsx(
            [arow(applicant="가나\u200b다시\u200d", 접수번호="\ufeffX-01")],
            header=["트\u200b랙", "\ufeff광역", "지자체\u2060", "사업명", "국비", "지방비", "접수\u200c번호"],
        ),
        applicant_file(OK),
        {"applicants": 1},
    ),
    Entry(
        "cell_10000_chars_in_title.xlsx",
        lambda _l: xlsx([arow(사업명=TEN_THOUSAND)]),
        applicant_file("2행 '사업명': 300자를 넘습니다(10,000자)."),
    ),
    Entry(
        "cell_10000_chars_in_summary.xlsx",
        lambda _l: xlsx([[*arow(), TEN_THOUSAND]], header=[*APPLICANT_HEADER, "주요내용"]),
        applicant_file(OK),
        {"applicants": 1},
    ),
    Entry("header_only.xlsx", lambda _l: xlsx([]), applicant_file(NO_DATA)),
    Entry(
        "duplicate_references.xlsx",
        lambda _l: xlsx([arow("X-01", "가나시"), arow("X-01", "다라시")]),
        applicant_file("3행 '접수번호': 파일 안에 두 번 나옵니다(2행과 같음)."),
    ),
    Entry(
        "header_in_row_5.xlsx",
        lambda _l: xlsx([arow("X-01", "가나시"), arow("X-02", "다라시")], edit=_header_in_row_5),
        applicant_file(OK, row=5),
        {"applicants": 2},
    ),
    Entry(
        "amount_spellings.xlsx",
        lambda _l: xlsx(
            [
                arow("X-01", "가나시", 국비="１２０", 지방비="1,200"),
                arow("X-02", "다라시", 국비="200억", 지방비=" 12 억원 "),
                arow("X-03", "마바시", 국비="２,５００", 지방비=120.25),
            ]
        ),
        applicant_file(OK),
        {"applicants": 3},
    ),
    Entry(
        "negative_amount.xlsx",
        lambda _l: xlsx([arow(국비=-5)]),
        applicant_file("2행 '국비': 0 이상이어야 합니다: '-5'"),
    ),
    Entry(
        "unknown_track.xlsx",
        lambda _l: xlsx([arow(트랙="스마트")]),
        applicant_file("2행 '트랙': 알 수 없는 트랙입니다: '스마트' ("),
    ),
    Entry(
        "duplicate_header.xlsx",
        lambda _l: xlsx([[*arow(), 300]], header=[*APPLICANT_HEADER, "national_subsidy"]),
        applicant_file("열 머리글이 중복됩니다: '국비'(E열)와 'national_subsidy'(H열)는 같은 열입니다."),
    ),
    Entry(
        "missing_required_column.xlsx",
        lambda _l: xlsx([arow()[:5] + arow()[6:]], header=APPLICANT_HEADER[:5] + APPLICANT_HEADER[6:]),
        applicant_file(missing(["지방비"])),
    ),
    Entry(
        "korean_sheet_whitespace_only.xlsx",
        lambda _l: xlsx([], header=None, title="신청 목록", edit=_whitespace_only),
        everywhere("첫 번째 시트가 비어 있습니다. 머리글 행을 찾지 못했습니다."),
    ),
    Entry(
        "bad_contact_email.xlsx",
        lambda _l: xlsx([[*arow(), "담당자@@example"]], header=[*APPLICANT_HEADER, "이메일"]),
        applicant_file(
            "2행 '이메일': 이메일 주소가 아닙니다: '담당자@@example'", reviewers=missing(["성명", "소속"])
        ),
    ),
    Entry(
        "reviewers_nfd_zero_width.xlsx",
        lambda _l: xlsx(
            [[nfd("홍길동"), nfd("한국\u200b대학교"), " Hong@Example.KR ", "도시계획", "Ｙ"]],
            header=["성\u200b명", nfd("소속"), "\ufeff이메일", "분야", "외부위원"],
        ),
        reviewer_file(OK),
        {"reviewers": 1},
    ),
    Entry(
        "reviewers_10000_char_name.xlsx",
        lambda _l: xlsx([[TEN_THOUSAND, "대학", "a@example.kr", "", "Y"]], header=REVIEWER_HEADER),
        reviewer_file("2행 '성명': 60자를 넘습니다(10,000자)."),
    ),
    Entry(
        "reviewers_bad_yes_no_and_duplicate.xlsx",
        lambda _l: xlsx(
            [["갑", "대학", "a@example.kr", "", "아마도"], ["을", "대학", "A@example.kr", "", "N"]],
            header=REVIEWER_HEADER,
        ),
        reviewer_file("2행 '외부위원': Y 또는 N으로 입력해 주세요: '아마도'"),
    ),
    Entry(
        "scores_full_width_and_zero_width.xlsx",
        lambda _l: xlsx(
            [[SCORER, SCORED, "２５", 15, 12.0, "16", 12, nfd("우수")]],
            header=["\u200b평가위원", "접수번호", "Ｃ1", "c2", " C3 ", "C4", "C5", "의견"],
        ),
        score_file(OK),
        {"scores": 1},
    ),
    Entry(
        "scores_dates_in_points.xlsx",
        lambda _l: xlsx(
            [[SCORER, SCORED, datetime.date(2023, 3, 31), 15, 12, 16, 12, ""]], header=SCORE_HEADER
        ),
        score_file("2행 'C1': 숫자가 아닙니다: '2023-03-31 00:00:00'"),
    ),
    Entry(
        "scores_nan_inf_points.xlsx",
        lambda _l: xlsx([[SCORER, SCORED, "NaN", 15, 12, "Infinity", 12, ""]], header=SCORE_HEADER),
        score_file("2행 'C1': 숫자가 아닙니다: 'NaN'"),
    ),
    *dimension_entries(),
    Entry(
        "row_number_repeated.xlsx",
        lambda _l: with_sheet_xml(
            xlsx([arow("X-01", "가나시"), arow("X-02", "다라시"), arow("X-03", "마바시")]), _repeat_row_3
        ),
        applicant_file(
            "파일이 손상되었습니다: 3행이 두 번 나오거나 순서가 맞지 않습니다. 엑셀에서 열어 저장한 뒤 다시 올려 주세요."
        ),
    ),
    Entry(
        "cell_position_repeated.xlsx",
        lambda _l: with_sheet_xml(xlsx([arow()]), _repeat_cell_c2),
        applicant_file(
            "파일이 손상되었습니다: C2 셀이 두 번 나오거나 순서가 맞지 않습니다. 엑셀에서 열어 저장한 뒤 다시 올려 주세요."
        ),
    ),
    Entry("cells_312mb_from_a_small_file.xlsx", lambda _l: cells_bomb(312), everywhere(TOO_MUCH)),
    Entry("empty_rows_3_million.xlsx", lambda _l: empty_rows_bomb(3_000_000), everywhere(TOO_MUCH)),
    # Refused by the raw scan of the sheet, before its header is read: the same for every importer.
    Entry("characters_420_million.xlsx", lambda _l: characters_bomb(), everywhere(TOO_MUCH)),
]


def limits_from_settings() -> dict:
    try:
        from django.conf import settings

        max_uncompressed = settings.IMPORT_MAX_UNCOMPRESSED_BYTES
    except Exception:  # run as a plain script, without Django settings
        max_uncompressed = int(os.environ.get("IMPORT_MAX_UNCOMPRESSED_BYTES", DEFAULT_MAX_UNCOMPRESSED))
    return {"max_uncompressed": max_uncompressed, "rows": 200_000}


def generate(directory, limits: dict | None = None) -> dict[str, Path]:
    """Write every entry's file into ``directory``; return name → path."""
    limits = limits or limits_from_settings()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = {}
    for entry in ENTRIES:
        path = directory / entry.name
        path.write_bytes(entry.build(limits))
        paths[entry.name] = path
    return paths


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_corpus.py OUTDIR")
    for name, path in generate(sys.argv[1]).items():
        print(f"{path.stat().st_size:>12,}  {name}")
