"""The reading budget of an import (issue 9 item 11): a 650 KB file that expands to 312 MB of
cells (the reported 604 KB → 312 MB file took 52 s of CPU in the web preview) is refused with
one Korean message within 5 s, on the command line and in the web preview, and nothing is
written. The budget is counted while the rows stream too, not only by the scan before them.
"""

import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils.html import escape

from accounts.roles import Role
from proposals.importing.applicants import ProposalImporter
from proposals.importing.engine import run_import
from proposals.models import ImportUpload
from tests.conftest import database_state
from tests.hostile.make_corpus import (
    APPLICANT_HEADER,
    SHEET_END,
    SHEET_START,
    SHEET_XML,
    TOO_MUCH,
    arow,
    cells_bomb,
    replace_member,
    xlsx,
)

pytestmark = pytest.mark.django_db

MAX_SECONDS = 5


@pytest.fixture(scope="module")
def expanding(tmp_path_factory):
    path = tmp_path_factory.mktemp("budget") / "expanding.xlsx"
    path.write_bytes(cells_bomb(312))
    return path


def test_the_expanding_file_is_small_and_expands_to_312_mb(expanding):
    import io
    import zipfile

    assert expanding.stat().st_size < 1024 * 1024
    with zipfile.ZipFile(io.BytesIO(expanding.read_bytes())) as archive:
        assert archive.getinfo(SHEET_XML).file_size > 300 * 1024 * 1024


@pytest.mark.parametrize("dry_run", [True, False])
def test_the_command_refuses_the_expanding_file_within_5_seconds(competition, expanding, dry_run):
    before = database_state()
    out = StringIO()
    started = time.perf_counter()
    with pytest.raises(CommandError):
        call_command(
            "import_proposals", str(expanding), competition=competition.slug, dry_run=dry_run, stdout=out
        )
    assert time.perf_counter() - started < MAX_SECONDS
    assert TOO_MUCH in out.getvalue()
    assert database_state() == before


def test_the_web_preview_refuses_the_expanding_file_within_5_seconds(
    client, user_factory, competition, expanding
):
    client.force_login(user_factory(Role.ADMIN, "admin-budget"))
    before = database_state()
    started = time.perf_counter()
    with open(expanding, "rb") as handle:
        response = client.post(reverse("manage:import-proposals", args=[competition.slug]), {"file": handle})
    assert time.perf_counter() - started < MAX_SECONDS
    assert response.status_code == 302
    preview = client.get(response.url)
    assert escape(TOO_MUCH) in preview.content.decode()
    assert ImportUpload.objects.get().summary["file_error"] == TOO_MUCH
    assert database_state() == before


def prefixed_cells(rows: int) -> bytes:
    """Data cells written with a namespace prefix declared on each cell: the same sheet to any XML
    reader, but not counted by the raw scan before parsing (which looks for ``<c``)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    header = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(APPLICANT_HEADER)
    )
    body = []
    for n in range(2, rows + 2):
        cells = "".join(
            f'<x:c xmlns:x="{main}" r="{chr(65 + i)}{n}" t="inlineStr"><x:is><x:t>{v}</x:t></x:is></x:c>'
            if isinstance(v, str)
            else f'<x:c xmlns:x="{main}" r="{chr(65 + i)}{n}"><x:v>{v}</x:v></x:c>'
            for i, v in enumerate(arow(f"P-{n}", f"시험시 {n}"))
        )
        body.append(f'<row r="{n}">{cells}</row>')
    xml = SHEET_START + f'<row r="1">{header}</row>{"".join(body)}'.encode() + SHEET_END
    return replace_member(xlsx([]), SHEET_XML, lambda stream: stream.write(xml))


def test_the_budget_is_also_counted_while_the_rows_stream(competition):
    content = prefixed_cells(10)  # 7 header cells + 70 data cells
    with override_settings(IMPORT_MAX_CELLS=77):
        report = run_import(ProposalImporter(competition), content, dry_run=True)
        assert report.ok and report.counts["new"] == 10, report.errors
    with override_settings(IMPORT_MAX_CELLS=76):
        report = run_import(ProposalImporter(competition), content, dry_run=True)
        message = TOO_MUCH.replace("2,000,000", "76")
        assert report.errors == [message]
        assert report.rows == []


def test_the_characters_of_text_are_counted(competition):
    content = xlsx([arow(f"X-{n}", f"가나시 {n}", 사업명="가" * 100) for n in range(1, 11)])
    with override_settings(IMPORT_MAX_CHARACTERS=1000):
        report = run_import(ProposalImporter(competition), content, dry_run=True)
    assert report.errors == [TOO_MUCH.replace("30,000,000", "1,000")]


def test_shared_text_is_counted_by_the_scan_across_its_chunks():
    """Text cells point into the shared string table; the scan before any row is parsed adds up
    the characters they show, also for cells cut by the end of its 1 MB chunks: at the budget the
    file is read, one character over it is refused before a row is parsed."""
    import io
    import zipfile

    from proposals.importing.workbook import SpreadsheetError, read_first_sheet
    from tests.hostile.make_corpus import add_member

    names = [f"지자체{number}" for number in range(7)]
    strings = "".join(f"<si><t>{name}</t></si>" for name in ["이름", *names])
    table = (
        '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        f'spreadsheetml/2006/main" count="8" uniqueCount="8">{strings}</sst>'
    ).encode()
    rows = "".join(f'<row r="{n}"><c r="A{n}" t="s"><v>{1 + n % 7}</v></c></row>' for n in range(2, 40_002))
    xml = SHEET_START + f'<row r="1"><c r="A1" t="s"><v>0</v></c></row>{rows}'.encode() + SHEET_END
    assert len(xml) > 1_500_000  # more than one chunk of the scan
    content = replace_member(xlsx([]), SHEET_XML, lambda stream: stream.write(xml))
    content = add_member(content, "xl/sharedStrings.xml", table)
    override = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        manifest = archive.read("[Content_Types].xml").replace(b"</Types>", override)
    content = replace_member(content, "[Content_Types].xml", lambda stream: stream.write(manifest))
    total = len("이름") + sum(len(names[n % 7]) for n in range(2, 40_002))

    with override_settings(IMPORT_MAX_CHARACTERS=total):
        assert sum(1 for _row in read_first_sheet(content).rows) == 40_000
    with override_settings(IMPORT_MAX_CHARACTERS=total - 1), pytest.raises(SpreadsheetError) as refused:
        read_first_sheet(content)  # refused by the scan: no row iterated
    assert refused.value.message == TOO_MUCH.replace("30,000,000", f"{total - 1:,}")
