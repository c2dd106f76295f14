"""Open an uploaded .xlsx safely and read its first sheet (SPEC §5).

Every file-level problem raises ``SpreadsheetError`` with one clear message: not an .xlsx,
corrupt, password-protected, empty, too large, formulas without a saved value. Nothing big is
built before the file has passed them.

Every row the sheet holds is read, or the file is refused: the sheet's ``<dimension>`` element
is not used at all (a file may claim ``A1:G3`` and hold ten rows, or fewer columns than it has),
rows come with their own numbers, and two cells that name the same place (a repeated row, a cell
written twice) make the file damaged rather than one of them silently dropped. Cells are read at
the places they name: rows or cells merely out of order lose nothing and are read, except where
the places are checked one by one (see ``_sheet_rows``), which refuses those too.

Reading is bounded by ``IMPORT_MAX_CELLS`` and ``IMPORT_MAX_CHARACTERS``. Before the values are
read, a raw scan of the sheet's XML (C-speed, about a second for 300 MB) counts its cells and rows
and the characters its cells show from the shared string table, checks that row numbers and cell
positions only go forward, and lists the formulas without a saved value and the error cells; so
a file past the budget is refused before anything big is built. The text of the cells read is
counted again as the rows are turned into values.

Two readers share the work. openpyxl (pinned to 3.1.x in pyproject.toml; tests/proposals/
test_workbook_reader.py fails if the parts used change) reads the workbook's manifest, its sheet
list (title, state, path) and the shared string table's lengths — not ``read_worksheets``, which
in read-only mode sizes every sheet at open. python-calamine (Rust) reads the values of the first
sheet only: ten times faster than openpyxl's worksheet parser, with the same date handling (a
number in a date format is a date, 1900 or 1904 epoch). Nothing of either is patched.
"""

import datetime
import io
import operator
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse
from python_calamine import CalamineWorkbook

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
_TEXT_TAG = f"{{{SHEET_MAIN_NS}}}t"
# Every row and cell start tag (any namespace prefix) with its position when it has one:
# (tag, column letters, row digits). A tag without ``r`` follows the one before it.
_POSITION = re.compile(rb'<(?:\w+:)?(row|c)(?=[\s/>])(?:[^>]*?\sr="([A-Z]*)(\d*)")?')
# An error cell (#N/A, #DIV/0!, …) with its text: <c r="B7" … t="e">[<f>…</f>]<v>#N/A</v></c>.
_ERROR_CELL = re.compile(
    rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})(\d+)"[^>]*?\bt="e"[^>]*>\s*'
    rb"(?:<(?:\w+:)?f(?:\s[^>]*)?(?:/>|>[^<]*</(?:\w+:)?f>)\s*)?<(?:\w+:)?v>([^<]*)<"
)
_ANY_ROW = re.compile(rb"<(?:\w+:)?row(?=[\s/>])")
_ANY_CELL = re.compile(rb"<(?:\w+:)?c(?=[\s/>])")
# A cell's place as a tuple that sorts as places do, built by the regex engine (C): the row's
# digits first, in one of 7 groups by their count (a longer number has an earlier group filled,
# so it sorts after a shorter one), then the column letters in one of 3 groups the same way.
_CELL_PLACE = (
    rb'c r="(?=[A-Z]{1,3}(?:(\d{7})|(\d{6})|(\d{5})|(\d{4})|(\d{3})|(\d{2})|(\d))")'
    rb"(?:([A-Z]{3})|([A-Z]{2})|([A-Z]))\d"
)
_BIGGEST_EXACT_FLOAT = 2**53


class SpreadsheetError(Exception):
    """The file as a whole cannot be read; the message is ready to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Tally:
    """The sheet's rows after the header up to its last used row (blank ones too) and how many
    of them were read so far: an import's progress."""

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
    reader, shared_lengths = _open_workbook(content, budget)
    title, state, sheet_path = _first_worksheet(reader)
    if state != "visible":
        raise SpreadsheetError(
            _("The first sheet '%(title)s' is hidden. Put the data on the first, visible sheet.")
            % {"title": title}
        )
    scan = _scan_sheet(reader.archive, sheet_path, budget, shared_lengths)
    if scan.missing_values:
        missing_values = scan.missing_values
        shown = ", ".join(missing_values[:5]) + (" …" if len(missing_values) > 5 else "")
        raise SpreadsheetError(
            _(
                "%(count)s formula cell(s) have no calculated value (%(cells)s). Open the file in "
                "Excel, save it, and upload it again, or replace the formulas with values."
            )
            % {"count": len(missing_values), "cells": shown}
        )
    rows, last_row = _sheet_rows(content, title, budget, scan, sheet_path)
    header_row, header = _find_header(rows)
    if len(header) > settings.IMPORT_MAX_COLUMNS:
        raise SpreadsheetError(
            _("Too many columns (%(count)s). The limit is %(limit)s.")
            % {"count": f"{len(header):,}", "limit": f"{settings.IMPORT_MAX_COLUMNS:,}"}
        )
    tally = Tally(total=max(last_row - header_row, 0))
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


def _open_workbook(content: bytes, budget: Budget) -> tuple[ExcelReader, list[int]]:
    """The workbook's parts that the scan needs: manifest, sheet list, and the length of every
    shared string. The worksheets themselves are not opened here."""
    try:
        reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=True)
        reader.read_manifest()
        shared_lengths = _shared_string_lengths(reader, budget)
        reader.read_workbook()
    except SpreadsheetError:
        raise
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SpreadsheetError(
            _("The file is damaged and cannot be read (%(detail)s).") % {"detail": type(exc).__name__}
        ) from None
    except Exception:  # openpyxl raises many types on malformed XML
        raise damaged() from None
    return reader, shared_lengths


def _shared_string_lengths(reader: ExcelReader, budget: Budget) -> list[int]:
    """The characters of each string of the shared string table, counted as they are read (its
    text runs, phonetic ones too: a count that can only be generous)."""
    part = reader.package.find(SHARED_STRINGS)
    if part is None:
        return []
    lengths = []
    with reader.archive.open(part.PartName[1:]) as source:
        for _event, node in iterparse(source):
            if node.tag == _SHARED_STRING_TAG:
                length = sum(len(text.text or "") for text in node.iter(_TEXT_TAG))
                node.clear()
                budget.spend(0, length)
                lengths.append(length)
    budget.characters = 0  # the table is within the budget; cells count their text where used
    return lengths


def _first_worksheet(reader: ExcelReader) -> tuple[str, str, str]:
    """Title, state and path in the archive of the workbook's first worksheet (not chart sheet)."""
    try:
        for sheet, rel in reader.parser.find_sheets():
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type:
                return sheet.name, sheet.state or "visible", rel.target.lstrip("/")
    except Exception:
        raise damaged() from None
    raise SpreadsheetError(_("The workbook has no worksheet."))


@dataclass
class Scan:
    """What the raw scan of the sheet's XML found: formula cells without a saved value, and the
    error cells' texts by row and column — the value reader shows them as blank."""

    missing_values: list[str] = field(default_factory=list)
    errors: dict[int, dict[int, str]] = field(default_factory=dict)
    values: int = 0  # cells holding a value (saved or inline, not an empty one)
    prefix: bytes = b""  # the sheet's namespace prefix


def repeated_row(number: int) -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "The file is damaged: row %(row)s appears more than once or out of order. "
            "Open it in Excel, save it, and upload it again."
        )
        % {"row": number}
    )


def repeated_cell(column: int, row: int) -> SpreadsheetError:
    return SpreadsheetError(
        _(
            "The file is damaged: cell %(cell)s appears more than once or out of order. "
            "Open it in Excel, save it, and upload it again."
        )
        % {"cell": f"{get_column_letter(column)}{row}"}
    )


class _Tags:
    """The sheet's tags under its root namespace prefix (usually none), counted in C."""

    __slots__ = ("cells", "empty_values", "prefix", "rows", "values")

    def __init__(self, prefix: bytes):
        self.prefix = prefix
        self.cells = tuple(b"<" + prefix + b"c" + end for end in (b" ", b">", b"/"))
        self.rows = tuple(b"<" + prefix + b"row" + end for end in (b" ", b">", b"/"))
        # A cell's value, saved (<v>) or inline (<is>), and those that hold nothing.
        self.values = (b"<" + prefix + b"v>", b"<" + prefix + b"is>")
        t, v = b"<" + prefix + b"t", b"<" + prefix + b"v>"
        self.empty_values = (v + b"</" + prefix + b"v>", t + b"/>", t + b"></" + prefix + b"t>")

    def count(self, text: bytes) -> tuple[int, int, int]:
        """Cells, rows and cells with a value in ``text`` (whole tags only). Tags with a prefix of
        their own (declared on the tag) escape a byte count: then every tag is looked at."""
        if b":c" in text or b":row" in text:
            cells, rows = len(_ANY_CELL.findall(text)), len(_ANY_ROW.findall(text))
        else:
            cells = sum(text.count(tag) for tag in self.cells)
            rows = sum(text.count(tag) for tag in self.rows)
        values = sum(text.count(tag) for tag in self.values) - sum(
            text.count(tag) for tag in self.empty_values
        )
        return cells, rows, values


class _Places:
    """Row numbers and cell places as they come, each of which must go forward, so that no two
    cells of the file name the same place (the value reader keeps only the last of them).

    Excel and openpyxl write every row and cell with its place first (``<c r="B7" …>``): such a
    stretch is checked by comparing the places as sortable keys, in C. Any other stretch (a tag
    without ``r``, which takes the place after the one before it, or ``r`` not first) is followed
    tag by tag."""

    __slots__ = ("cell_at", "column", "columns", "key", "row", "row_at", "tags")

    def __init__(self, tags: _Tags):
        self.tags = tags
        self.columns: dict[bytes, int] = {}
        self.row = self.column = 0
        self.key = ()  # the last cell's place as _CELL_PLACE gives it
        self.cell_at = re.compile(b"<" + re.escape(tags.prefix) + _CELL_PLACE)
        self.row_at = re.compile(b"<" + re.escape(tags.prefix) + rb'row r="(\d+)"')

    def follow(self, text: bytes) -> None:
        """Check the places of the tags in ``text`` (whole tags only)."""
        cells, rows, _values = self.tags.count(text)
        row_places, cell_places = self.row_at.findall(text), self.cell_at.findall(text)
        if len(row_places) == rows and len(cell_places) == cells:
            self._follow_places(row_places, cell_places)
        else:
            self._follow_tags(text)

    def _follow_places(self, row_places: list, cell_places: list) -> None:
        if row_places:
            numbers = list(map(int, row_places))
            if numbers[0] <= self.row or not all(map(operator.lt, numbers, numbers[1:])):
                previous = self.row
                for number in numbers:
                    if number <= previous:
                        raise repeated_row(number)
                    previous = number
            self.row, self.column = numbers[-1], 0
        if cell_places:
            if cell_places[0] <= self.key or not all(map(operator.lt, cell_places, cell_places[1:])):
                previous = self.key
                for place in cell_places:
                    if place <= previous:
                        raise repeated_cell(self._column(b"".join(place[7:])), int(b"".join(place[:7])))
                    previous = place
            self.key = last = cell_places[-1]
            if int(b"".join(last[:7])) == self.row:
                self.column = self._column(b"".join(last[7:]))

    def _column(self, letters: bytes) -> int:
        place = self.columns.get(letters)
        if place is None:
            place = self.columns[letters] = column_index_from_string(letters.decode())
        return place

    def _follow_tags(self, text: bytes) -> None:
        row, column = self.row, self.column
        for tag, letters, digits in _POSITION.findall(text):
            if tag == b"c":
                place = self._column(letters) if letters else column + 1
                if place <= column:
                    raise repeated_cell(place, row)
                column = place
                key = _place_key(row, column)
                if key <= self.key:
                    raise repeated_cell(place, row)
                self.key = key
            else:
                number = int(digits) if digits else row + 1
                if number <= row:
                    raise repeated_row(number)
                row, column = number, 0
        self.row, self.column = row, column


def _place_key(row: int, column: int) -> tuple:
    """(row, column) as _CELL_PLACE gives a cell's place."""
    digits, letters = str(row).encode(), get_column_letter(column).encode()
    return (
        *(digits if len(digits) == size else b"" for size in range(7, 0, -1)),
        *(letters if len(letters) == size else b"" for size in range(3, 0, -1)),
    )


def _segments(archive: zipfile.ZipFile, sheet_path: str) -> Iterator[tuple[bytes, bytes]]:
    """The sheet's XML in chunks of about 1 MB, each with the text before its last ``<``
    joined to the previous chunk's rest (whole tags only): (chunk, whole tags)."""
    try:
        stream = archive.open(sheet_path)
    except KeyError:
        raise damaged() from None
    unfinished = b""  # the last tag's start, cut by the chunk's end
    with stream:
        while chunk := stream.read(1 << 20):
            text = unfinished + chunk
            cut = text.rfind(b"<")
            cut = cut if cut >= 0 else len(text)
            unfinished = text[cut:]
            if len(unfinished) > 1 << 16:  # text, not a tag: no start tag is that long
                unfinished = b""
            yield chunk, text[:cut]
    yield b"", unfinished


def _verify_places(content: bytes, sheet_path: str, prefix: bytes) -> None:
    """Refuse the file when two of its cells name the same place (see ``_Places``)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        places = _Places(_Tags(prefix))
        for _chunk, whole in _segments(archive, sheet_path):
            places.follow(whole)


def _scan_sheet(archive: zipfile.ZipFile, sheet_path: str, budget: Budget, shared_lengths=()) -> Scan:
    """One pass over the sheet's raw XML, in chunks, before any value is read: refuse it when it
    holds more cells or rows than the budget allows, or when its cells show more characters of
    shared text than it allows (one 30,000-character string shown by every cell: refused here in
    a fraction of a second, not after reading rows); count the cells holding a value (the value
    reader must give as many, see ``_sheet_rows``); list the cells holding a formula but no saved
    value (the value reader shows such cells as empty; an import must not) and the error cells."""
    scan = Scan()
    overlap = b""
    characters = cells = rows = 0
    tags = None
    pending = b""  # the start of a cell cut by the chunk's end, for the shared text count

    def shared_characters(data: bytes) -> int:
        total = 0
        for match in _SHARED_STRING_CELL.finditer(data):
            index = int(match.group(1))
            if index < len(shared_lengths):
                total += shared_lengths[index]
        return total

    for chunk, whole in _segments(archive, sheet_path):
        if tags is None:
            root = _ROOT.search(chunk)
            tags = _Tags((root.group(1) + b":") if root and root.group(1) else b"")
            scan.prefix = tags.prefix
        more_cells, more_rows, values = tags.count(whole)
        cells, rows, scan.values = cells + more_cells, rows + more_rows, scan.values + values
        if max(cells, rows) > budget.max_cells:
            raise too_much()
        if shared_lengths and chunk:
            text = pending + chunk
            cut = text.rfind(tags.cells[0])
            cut = cut if cut > 0 else len(text)
            characters += shared_characters(text[:cut])
            pending = text[cut:][-(1 << 16) :]  # a cell's start: never more than a few bytes
            if characters > budget.max_characters:
                raise too_much()
        window = overlap + chunk
        if b"<f" in window or b't="e"' in window:
            cut = window.rfind(b"<c ")
            head = window[:cut] if cut > 0 else window
            _whole_cells(head, scan)
            overlap = window[cut:] if cut > 0 else b""
        else:
            overlap = window[-16384:]
            cut = overlap.rfind(b"<c ")
            overlap = overlap[cut:] if cut >= 0 else b""
    _whole_cells(overlap, scan)
    if shared_lengths and characters + shared_characters(pending) > budget.max_characters:
        raise too_much()
    return scan


def _whole_cells(data: bytes, scan: Scan) -> None:
    """The formula cells without a saved value and the error cells among whole cell elements."""
    if b"<f" in data:
        scan.missing_values.extend(
            f"{m.group(1).decode()}{m.group(2).decode()}" for m in _FORMULA_WITHOUT_VALUE.finditer(data)
        )
    if b't="e"' in data:
        for m in _ERROR_CELL.finditer(data):
            row = scan.errors.setdefault(int(m.group(2)), {})
            row[column_index_from_string(m.group(1).decode())] = m.group(3).decode(errors="replace").strip()


def _sheet_rows(
    content: bytes, title: str, budget: Budget, scan: Scan, sheet_path: str
) -> tuple[Iterator, int]:
    """(row number, values) for every row from the sheet's first used row to its last, blank
    rows between them too, and the last row's number. Values are as openpyxl gives them: whole
    numbers as int, other numbers as float, dates as datetime, blank cells as None, error cells
    as their text. Counts the budget (each row at least one cell).

    Once every row is read, the values given are counted against the cells with a value the scan
    counted: fewer means that two cells named the same place (the reader keeps the last) or that
    a value was blank (``<t> </t>``); the places are then checked one by one (``_Places``)."""
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_name(title)
        start = sheet.start
        last_row = sheet.end[0] + 1 if start is not None else 0
    except Exception:
        raise damaged() from None
    errors = scan.errors

    def rows():
        given = 0
        if start is not None:
            # iter_rows gives every row from the sheet's first (row 1), each from the first used
            # column (python-calamine 0.9; tests/proposals/test_workbook_reader.py holds it).
            padding = (None,) * start[1]
            try:
                for number, cells in enumerate(sheet.iter_rows(), start=1):
                    values = padding + tuple(map(_value, cells))
                    if number in errors:
                        values = _with_errors(values, errors[number])
                    characters = 0
                    used = 0
                    for value in values:
                        if value is not None:
                            used += 1
                            if type(value) is str:
                                characters += len(value)
                    budget.spend(used or 1, characters)
                    given += used
                    yield number, values
            except SpreadsheetError:
                raise
            except Exception:
                raise damaged() from None
        if given != scan.values:
            _verify_places(content, sheet_path, scan.prefix)

    return rows(), last_row


def _value(value):
    kind = type(value)
    if kind is str:
        return value or None
    if kind is float:
        return int(value) if value.is_integer() and abs(value) < _BIGGEST_EXACT_FLOAT else value
    if kind is datetime.date:  # a date format: openpyxl reads every one as a datetime
        return datetime.datetime(value.year, value.month, value.day)
    return value


def _with_errors(values: tuple, errors: dict[int, str]) -> tuple:
    """The row's values with its error cells' texts (#N/A, …) in place of the reader's blanks."""
    values = list(values)
    for column, text in errors.items():
        if column > len(values):
            values.extend([None] * (column - len(values)))
        values[column - 1] = text
    return tuple(values)


def _values(values: tuple, width: int | None) -> tuple:
    """The row's values cut or padded to ``width`` (None: up to its last value)."""
    if width is None:
        return values
    if len(values) >= width:
        return values[:width]
    return values + (None,) * (width - len(values))


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _find_header(rows) -> tuple[int, tuple]:
    """The header's row number and values."""
    for number, values in rows:
        if values and not all(_is_blank(v) for v in values):
            values = list(values)
            while values and _is_blank(values[-1]):
                values.pop()
            return number, tuple(values)
    raise SpreadsheetError(_("The first sheet is empty: no header row was found."))


def _data_rows(rows, width: int, tally: Tally) -> Iterator[tuple[int, tuple]]:
    """Non-empty rows after the header, cut to the header's width; stops past the row limit.
    Every row read, blank or not, counts in ``tally.read``."""
    limit = settings.IMPORT_MAX_ROWS
    seen = 0
    for number, row in rows:
        tally.read += 1
        values = _values(row, width)
        if all(v is None or (type(v) is str and not v.strip()) for v in values):
            continue
        seen += 1
        if seen > limit:
            raise SpreadsheetError(
                _("Too many rows: at most %(limit)s data rows can be imported at once.")
                % {"limit": f"{limit:,}"}
            )
        yield number, values
