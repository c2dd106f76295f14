"""Writing .xlsx files for users: every cell is safe to open (SPEC §7).

A text cell that Excel could read as a formula (starting with =, +, -, @, tab or CR) is
prefixed with an apostrophe-like guard so it is shown, never evaluated.
"""

import datetime
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# Values written as they are; their exact types first (an export writes millions of cells).
_PLAIN_TYPES = frozenset({type(None), bool, int, float, Decimal, datetime.date, datetime.datetime})


def safe_value(value):
    """A value ready for a cell: text that could start a formula gets a leading ``'``."""
    if type(value) in _PLAIN_TYPES or isinstance(value, bool | int | float | Decimal | datetime.date):
        return value
    text = value if type(value) is str else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class SheetWriter:
    """A write-only workbook: add sheets, append rows, get the bytes."""

    def __init__(self):
        self.workbook = Workbook(write_only=True)

    def sheet(self, title: str, header: list[str], widths: list[int] | None = None):
        sheet = self.workbook.create_sheet(title=title[:31])
        for index, width in enumerate(widths or []):
            sheet.column_dimensions[_letter(index)].width = width
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        cells = []
        for label in header:
            cell = WriteOnlyCell(sheet, value=safe_value(label))
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        return sheet

    @staticmethod
    def append(sheet, values, wrap_last: bool = False):
        if not wrap_last:
            sheet.append([safe_value(v) for v in values])
            return
        cells = [safe_value(v) for v in values[:-1]]
        last = WriteOnlyCell(sheet, value=safe_value(values[-1]))
        last.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.append([*cells, last])

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
