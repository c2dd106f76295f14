"""Open an uploaded .xlsx safely and stream its first sheet (SPEC §5).

Every file-level problem raises ``SpreadsheetError`` with one clear message: not an .xlsx,
corrupt, password-protected, empty, too large, formulas without a saved value. Rows stream from
the sheet's XML one at a time, so memory stays flat however long the sheet is.

Every row the sheet holds is read, or the file is refused: the sheet's ``<dimension>`` element
is not used at all (a file may claim ``A1:G3`` and hold ten rows, or fewer columns than it has),
rows come with their own numbers, and a row number that repeats or goes backwards, or a cell
position that repeats within a row, makes the file damaged rather than silently dropped.

Reading is bounded by ``IMPORT_MAX_CELLS`` and ``IMPORT_MAX_CHARACTERS``: the cells (each row
counts at least one) and the characters of text are counted while the rows stream, and before
any row is parsed a raw scan of the sheet's XML counts its cells and rows (C-speed, about a
second for 300 MB), so a file past the budget is refused before anything big is built.

openpyxl parts used (pinned to openpyxl 3.1.x in pyproject.toml; tests/proposals/
test_workbook_reader.py fails if they change): ``ExcelReader``'s steps up to the stylesheet (not
``read_worksheets``: in read-only mode it sizes every sheet at open, parsing the whole XML of
each sheet that has no ``<dimension>``) and ``WorkSheetParser.parse`` for the rows, with the
workbook's date formats. Nothing of openpyxl is patched.
"""

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.cell.text import Text
from openpyxl.reader.excel import ExcelReader
from openpyxl.styles.stylesheet import apply_stylesheet
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._reader import WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARKER = "EncryptedPackage".encode("utf-16-le")
# A formula cell whose cached value is missing: <c r="D7" …><f>…</f></c> or <f …/></c>.
_FORMULA_WITHOUT_VALUE = re.compile(
    rb'<c r="([A-Z]{1,3})(\d+)"[^>]*>\s*<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v></v>)?\s*</c>'
)
# The prefix the sheet's XML gives the main namespace (usually none): <x:worksheet …>.
_ROOT = re.compile(rb"<(?:(\w+):)?worksheet[\s>]")
# A cell that shows shared string number N: <c r="B7" t="s"><v>N</v></c> (any namespace prefix).
_SHARED_STRING_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\bt="s"[^>]*>\s*<(?:\w+:)?v>\s*(\d+)\s*</')
_SHARED_STRING_TAG = f"{{{SHEET_MAIN_NS}}}si"


class SpreadsheetError(Exception):
    """The file as a whole cannot be read; the message is ready to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Tally:
    """The sheet's rows after the header (row elements, blank ones too, as the raw scan counted
    them) and how many of them were read so far: an import's progress."""

    total: int = 0
    read: int = 0


@dataclass(frozen=True)
class Sheet:
    """The first sheet: its header cells (with their row number) and a stream of data rows."""

    title: str
    header_row: int
    header: tuple
    rows: Iterator[tuple[int, tuple]]  # (Excel row number, values) for non-empty rows
    tally: Tally = field(default_factory=Tally)


def column_letter(index: int) -> str:
    return get_column_letter(index + 1)


def damaged() -> SpreadsheetError:
    return SpreadsheetError(_("The file is damaged and cannot be read."))


def too_much() -> SpreadsheetError:
    """The one message of the reading budget (IMPORT_MAX_CELLS, IMPORT_MAX_CHARACTERS)."""
    return SpreadsheetError(
        _(
            "The file holds too much to import at once: at most %(cells)s cells and %(characters)s "
            "characters of text can be read. Split it into smaller files, or delete formatted but "
            "empty rows and columns, and upload it again."
        )
        % {"cells": f"{settings.IMPORT_MAX_CELLS:,}", "characters": f"{settings.IMPORT_MAX_CHARACTERS:,}"}
    )


class Budget:
    """Cells (each row at least one) and characters of text read so far, against the limits."""

    __slots__ = ("cells", "characters", "max_cells", "max_characters")

    def __init__(self):
        self.max_cells = settings.IMPORT_MAX_CELLS
        self.max_characters = settings.IMPORT_MAX_CHARACTERS
        self.cells = self.characters = 0

    def spend(self, cells: int, characters: int) -> None:
        self.cells += cells
        self.characters += characters
        if self.cells > self.max_cells or self.characters > self.max_characters:
            raise too_much()


def read_first_sheet(content: bytes) -> Sheet:
    """Validate the file and return its first sheet, or raise SpreadsheetError."""
    max_bytes = settings.IMPORT_MAX_BYTES
    if not content:
        raise SpreadsheetError(_("The file is empty."))
    if len(content) > max_bytes:
        raise SpreadsheetError(
            _("The file is too large (%(size)s MB). The limit is %(limit)s MB.")
            % {"size": f"{len(content) / 1048576:,.1f}", "limit": f"{max_bytes / 1048576:,.0f}"}
        )
    if content.startswith(OLE2_SIGNATURE):
        if ENCRYPTED_MARKER in content:
            raise SpreadsheetError(
                _("The file is password-protected. Remove the password in Excel and upload it again.")
            )
        raise SpreadsheetError(
            _("This is an old Excel (.xls) file. Save it as .xlsx in Excel and upload it again.")
        )
    if not zipfile.is_zipfile(io.BytesIO(content)):
        if content.startswith(b"PK\x03\x04"):  # a zip whose end is missing: cut off in transfer
            raise damaged()
        raise SpreadsheetError(_("Not an Excel .xlsx file. Save the file as .xlsx and try again."))
    _check_archive(content)
    budget = Budget()
    reader = _open_workbook(content, budget)
    title, state, sheet_path = _first_worksheet(reader)
    if state != "visible":
        raise SpreadsheetError(
            _("The first sheet '%(title)s' is hidden. Put the data on the first, visible sheet.")
            % {"title": title}
        )
    shared_lengths = [len(text) for text in reader.shared_strings]
    missing_values, row_elements = _scan_sheet(reader.archive, sheet_path, budget, shared_lengths)
    if missing_values:
        shown = ", ".join(missing_values[:5]) + (" …" if len(missing_values) > 5 else "")
        raise SpreadsheetError(
            _(
                "%(count)s formula cell(s) have no calculated value (%(cells)s). Open the file in "
                "Excel, save it, and upload it again, or replace the formulas with values."
            )
            % {"count": len(missing_values), "cells": shown}
        )
    rows = _sheet_rows(reader, sheet_path, budget)
    header_row, header, consumed = _find_header(rows)
    if len(header) > settings.IMPORT_MAX_COLUMNS:
        raise SpreadsheetError(
            _("Too many columns (%(count)s). The limit is %(limit)s.")
            % {"count": f"{len(header):,}", "limit": f"{settings.IMPORT_MAX_COLUMNS:,}"}
        )
    tally = Tally(total=max(row_elements - consumed, 0))
    return Sheet(title, header_row, header, _data_rows(rows, len(header), tally), tally)


def _check_archive(content: bytes) -> None:
    """Refuse archives that would expand far beyond the upload limit (zip bombs)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise damaged() from None
    if "xl/workbook.xml" not in names:
        raise SpreadsheetError(_("Not an Excel .xlsx file. Save the file as .xlsx and try again."))
    if expanded > settings.IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise SpreadsheetError(
            _("The file expands to %(size)s MB, more than the %(limit)s MB allowed.")
            % {
                "size": f"{expanded / 1048576:,.0f}",
                "limit": f"{settings.IMPORT_MAX_UNCOMPRESSED_BYTES / 1048576:,.0f}",
            }
        )


def _open_workbook(content: bytes, budget: Budget) -> ExcelReader:
    """The workbook's parts that every sheet needs: manifest, shared strings, sheet list, styles
    (their date formats). The worksheets themselves are not opened here."""
    try:
        reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True)
        reader.read_manifest()
        reader.shared_strings = _shared_strings(reader, budget)
        reader.read_workbook()
        apply_stylesheet(reader.archive, reader.wb)
    except SpreadsheetError:
        raise
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SpreadsheetError(
            _("The file is damaged and cannot be read (%(detail)s).") % {"detail": type(exc).__name__}
        ) from None
    except Exception:  # openpyxl raises many types on malformed XML
        raise damaged() from None
    return reader


def _shared_strings(reader: ExcelReader, budget: Budget) -> list[str]:
    """The shared string table, as openpyxl reads it, its characters counted as they are read."""
    part = reader.package.find(SHARED_STRINGS)
    if part is None:
        return []
    strings = []
    with reader.archive.open(part.PartName[1:]) as source:
        for _event, node in iterparse(source):
            if node.tag == _SHARED_STRING_TAG:
                text = Text.from_tree(node).content.replace("x005F_", "")
                node.clear()
                budget.spend(0, len(text))
                strings.append(text)
    budget.characters = 0  # the table is within the budget; cells count their text where used
    return strings


def _first_worksheet(reader: ExcelReader) -> tuple[str, str, str]:
    """Title, state and path in the archive of the workbook's first worksheet (not chart sheet)."""
    try:
        for sheet, rel in reader.parser.find_sheets():
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
                return sheet.name, sheet.state or "visible", rel.target.lstrip("/")
    except Exception:
        raise damaged() from None
    raise SpreadsheetError(_("The workbook has no worksheet."))


def _scan_sheet(
    archive: zipfile.ZipFile, sheet_path: str, budget: Budget, shared_lengths=()
) -> tuple[list[str], int]:
    """One pass over the sheet's raw XML, in chunks, before any row is parsed: refuse it when it
    holds more cells or rows than the budget allows, or when its cells show more characters of
    shared text than it allows (one 30,000-character string shown by every cell: refused here in
    a fraction of a second, not after parsing rows); and list the cells holding a formula but no
    saved value (openpyxl reads such cells as empty in values-only mode; an import must not).
    Returns those cells and the number of row elements (the total of an import's progress)."""
    found: list[str] = []
    overlap = b""
    cells = rows = characters = 0
    cell_tags = row_tags = ()
    pending = b""  # the start of a cell cut by the chunk's end, for the shared text count

    def shared_characters(data: bytes) -> int:
        total = 0
        for match in _SHARED_STRING_CELL.finditer(data):
            index = int(match.group(1))
            if index < len(shared_lengths):
                total += shared_lengths[index]
        return total

    try:
        stream = archive.open(sheet_path)
    except KeyError:
        raise damaged() from None
    with stream:
        while chunk := stream.read(1 << 20):
            if not cell_tags:
                root = _ROOT.search(chunk)
                prefix = (root.group(1) + b":") if root and root.group(1) else b""
                cell_tags = tuple(b"<" + prefix + b"c" + end for end in (b" ", b">", b"/"))
                row_tags = tuple(b"<" + prefix + b"row" + end for end in (b" ", b">", b"/"))
            cells += sum(chunk.count(tag) for tag in cell_tags)
            rows += sum(chunk.count(tag) for tag in row_tags)
            if max(cells, rows) > budget.max_cells:
                raise too_much()
            if shared_lengths:
                text = pending + chunk
                cut = text.rfind(cell_tags[0])
                cut = cut if cut > 0 else len(text)
                characters += shared_characters(text[:cut])
                pending = text[cut:][-(1 << 16) :]  # a cell's start: never more than a few bytes
                if characters > budget.max_characters:
                    raise too_much()
            window = overlap + chunk
            if b"<f" in window:
                cut = window.rfind(b"<c ")
                head = window[:cut] if cut > 0 else window
                found.extend(
                    f"{m.group(1).decode()}{m.group(2).decode()}"
                    for m in _FORMULA_WITHOUT_VALUE.finditer(head)
                )
                overlap = window[cut:] if cut > 0 else b""
            else:
                overlap = window[-16384:]
                cut = overlap.rfind(b"<c ")
                overlap = overlap[cut:] if cut >= 0 else b""
        found.extend(
            f"{m.group(1).decode()}{m.group(2).decode()}" for m in _FORMULA_WITHOUT_VALUE.finditer(overlap)
        )
        if shared_lengths and characters + shared_characters(pending) > budget.max_characters:
            raise too_much()
    return found, rows


def _sheet_rows(reader: ExcelReader, sheet_path: str, budget: Budget) -> Iterator[tuple[int, list]]:
    """(row number, cells) for every row element of the sheet, in order; each cell a dict with
    its column number and value. Counts the budget; refuses repeated or backward row numbers."""
    workbook = reader.wb
    previous = 0
    try:
        with reader.archive.open(sheet_path) as source:
            parser = WorkSheetParser(
                source,
                reader.shared_strings,
                data_only=True,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            for number, cells in parser.parse():
                if number <= previous:
                    raise SpreadsheetError(
                        _(
                            "The file is damaged: row %(row)s appears more than once or out of order. "
                            "Open it in Excel, save it, and upload it again."
                        )
                        % {"row": number}
                    )
                previous = number
                characters = 0
                for cell in cells:
                    if type(cell["value"]) is str:
                        characters += len(cell["value"])
                budget.spend(len(cells) or 1, characters)
                yield number, cells
    except SpreadsheetError:
        raise
    except Exception:
        raise damaged() from None


def _values(number: int, cells: list, width: int | None) -> tuple:
    """The row's values by column, cut to ``width`` (None: up to its last cell)."""
    if not cells:
        return ()
    last = cells[-1]["column"]
    size = last if width is None else width
    values = [None] * size
    previous = 0
    for cell in cells:
        column = cell["column"]
        if column <= previous:
            raise SpreadsheetError(
                _(
                    "The file is damaged: cell %(cell)s appears more than once or out of order. "
                    "Open it in Excel, save it, and upload it again."
                )
                % {"cell": f"{get_column_letter(column)}{number}"}
            )
        previous = column
        if column <= size:
            values[column - 1] = cell["value"]
    return tuple(values)


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _find_header(rows) -> tuple[int, tuple, int]:
    """The header's row number and values, and how many row elements were read to find it."""
    for consumed, (number, cells) in enumerate(rows, start=1):
        values = _values(number, cells, None)
        if values and not all(_is_blank(v) for v in values):
            while values and _is_blank(values[-1]):
                values = values[:-1]
            return number, values, consumed
    raise SpreadsheetError(_("The first sheet is empty: no header row was found."))


def _data_rows(rows, width: int, tally: Tally) -> Iterator[tuple[int, tuple]]:
    """Non-empty rows after the header, cut to the header's width; stops past the row limit.
    Every row element read, blank or not, counts in ``tally.read``."""
    limit = settings.IMPORT_MAX_ROWS
    seen = 0
    for number, cells in rows:
        tally.read += 1
        values = _values(number, cells, width)
        if all(v is None or (type(v) is str and not v.strip()) for v in values):
            continue
        seen += 1
        if seen > limit:
            raise SpreadsheetError(
                _("Too many rows: at most %(limit)s data rows can be imported at once.")
                % {"limit": f"{limit:,}"}
            )
        yield number, values
