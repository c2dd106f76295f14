"""Open an uploaded .xlsx safely and stream its first sheet (SPEC §5).

Every file-level problem raises ``SpreadsheetError`` with one clear message: not an .xlsx,
corrupt, password-protected, empty, too large, formulas without a saved value. Rows stream from
openpyxl in read-only, values-only mode, so memory stays flat however long the sheet is.
"""

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARKER = "EncryptedPackage".encode("utf-16-le")
# A formula cell whose cached value is missing: <c r="D7" …><f>…</f></c> or <f …/></c>.
_FORMULA_WITHOUT_VALUE = re.compile(
    rb'<c r="([A-Z]{1,3})(\d+)"[^>]*>\s*<f(?:\s[^>]*)?(?:/>|>[^<]*</f>)\s*(?:<v\s*/>|<v></v>)?\s*</c>'
)


_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3}\d+(?::[A-Z]{1,3}\d+)?)"')


def _size_from_sheet_start(self) -> None:
    """openpyxl parses a whole sheet XML at load time to learn it has no ``<dimension>`` (seconds
    for 200,000 rows, before any row limit applies); the element comes first, so read the start only."""
    with self._get_source() as source:
        match = _DIMENSION.search(source.read(1 << 16))
    if match:
        self._min_column, self._min_row, self._max_column, self._max_row = range_boundaries(
            match.group(1).decode()
        )


ReadOnlyWorksheet._get_size = _size_from_sheet_start


class SpreadsheetError(Exception):
    """The file as a whole cannot be read; the message is ready to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Sheet:
    """The first sheet: its header cells (with their row number) and a stream of data rows."""

    title: str
    header_row: int
    header: tuple
    rows: Iterator[tuple[int, tuple]]  # (Excel row number, values) for non-empty rows


def column_letter(index: int) -> str:
    return get_column_letter(index + 1)


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
            raise SpreadsheetError(_("The file is damaged and cannot be read."))
        raise SpreadsheetError(_("Not an Excel .xlsx file. Save the file as .xlsx and try again."))
    _check_archive(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise SpreadsheetError(
            _("The file is damaged and cannot be read (%(detail)s).") % {"detail": type(exc).__name__}
        ) from None
    except Exception:  # openpyxl raises many types on malformed XML
        raise SpreadsheetError(_("The file is damaged and cannot be read.")) from None
    if not workbook.worksheets:
        raise SpreadsheetError(_("The workbook has no worksheet."))
    sheet = workbook.worksheets[0]
    if getattr(sheet, "sheet_state", "visible") != "visible":
        raise SpreadsheetError(
            _("The first sheet '%(title)s' is hidden. Put the data on the first, visible sheet.")
            % {"title": sheet.title}
        )
    missing_values = _formulas_without_values(content, getattr(sheet, "_worksheet_path", None))
    if missing_values:
        shown = ", ".join(missing_values[:5]) + (" …" if len(missing_values) > 5 else "")
        raise SpreadsheetError(
            _(
                "%(count)s formula cell(s) have no calculated value (%(cells)s). Open the file in "
                "Excel, save it, and upload it again, or replace the formulas with values."
            )
            % {"count": len(missing_values), "cells": shown}
        )
    try:
        rows = sheet.iter_rows(values_only=True)
        header_row, header = _find_header(rows)
    except SpreadsheetError:
        raise
    except Exception:
        raise SpreadsheetError(_("The file is damaged and cannot be read.")) from None
    if len(header) > settings.IMPORT_MAX_COLUMNS:
        raise SpreadsheetError(
            _("Too many columns (%(count)s). The limit is %(limit)s.")
            % {"count": f"{len(header):,}", "limit": f"{settings.IMPORT_MAX_COLUMNS:,}"}
        )
    return Sheet(sheet.title, header_row, header, _data_rows(rows, header_row, len(header)))


def _check_archive(content: bytes) -> None:
    """Refuse archives that would expand far beyond the upload limit (zip bombs)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise SpreadsheetError(_("The file is damaged and cannot be read.")) from None
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


def _formulas_without_values(content: bytes, sheet_path: str | None) -> list[str]:
    """Cells holding a formula but no saved value, scanned from the sheet XML in chunks.

    openpyxl reads such cells as empty in values-only mode; an import must not take them so.
    """
    if not sheet_path:
        return []
    found: list[str] = []
    overlap = b""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        try:
            stream = archive.open(sheet_path.lstrip("/"))
        except KeyError:
            return []
        with stream:
            while chunk := stream.read(1 << 20):
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
                f"{m.group(1).decode()}{m.group(2).decode()}"
                for m in _FORMULA_WITHOUT_VALUE.finditer(overlap)
            )
    return found


def _is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _find_header(rows) -> tuple[int, tuple]:
    for number, values in enumerate(rows, start=1):
        if values and not all(_is_blank(v) for v in values):
            values = tuple(values)
            while values and _is_blank(values[-1]):
                values = values[:-1]
            return number, values
    raise SpreadsheetError(_("The first sheet is empty: no header row was found."))


def _data_rows(rows, header_row: int, width: int) -> Iterator[tuple[int, tuple]]:
    """Non-empty rows after the header, cut to the header's width; stops past the row limit."""
    limit = settings.IMPORT_MAX_ROWS
    seen = 0
    try:
        for number, values in enumerate(rows, start=header_row + 1):
            values = values[:width]
            if all(v is None or (type(v) is str and not v.strip()) for v in values):
                continue
            seen += 1
            if seen > limit:
                raise SpreadsheetError(
                    _("Too many rows: at most %(limit)s data rows can be imported at once.")
                    % {"limit": f"{limit:,}"}
                )
            if len(values) < width:
                values = tuple(values) + (None,) * (width - len(values))
            yield number, values
    except SpreadsheetError:
        raise
    except Exception:
        raise SpreadsheetError(_("The file is damaged and cannot be read.")) from None
