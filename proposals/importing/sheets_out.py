"""Spreadsheets the import pages hand back: the blank template and the rows with errors."""

from django.utils.translation import gettext as _

from ..xlsx import SheetWriter
from .engine import Importer, ImportReport, RowStatus

ERROR_COLUMN = "오류"


def blank_template(importer_class: type[Importer]) -> bytes:
    """The header row the importer reads (Korean), and a guide sheet describing each column."""
    writer = SheetWriter()
    columns = importer_class.columns
    writer.sheet(
        _("Data"),
        [column.label for column in columns],
        [max(12, len(c.label) * 3) for c in columns],
    )
    guide = writer.sheet(
        _("Guide"),
        [_("Column"), _("Also accepted"), _("Required"), _("How to fill in")],
        [16, 22, 8, 50],
    )
    for column in columns:
        writer.append(
            guide,
            [
                column.label,
                ", ".join(column.headers[1:]),
                _("Yes") if column.required else "",
                column.help,
            ],
        )
    writer.append(guide, [])
    writer.append(guide, [_("The first sheet is read; its first non-empty row is the header.")])
    return writer.to_bytes()


def error_rows_workbook(report: ImportReport) -> bytes:
    """The rows with errors, as the user wrote them, with an added '오류' column."""
    writer = SheetWriter()
    header = [("" if cell is None else str(cell)) for cell in report.header]
    sheet = writer.sheet(_("Errors"), [*header, ERROR_COLUMN], [14] * len(header) + [60])
    for row in report.rows:
        if row.status != RowStatus.ERROR:
            continue
        values = list(row.raw or ())
        values += [None] * (len(header) - len(values))
        writer.append(sheet, [*values, "\n".join(row.messages)], wrap_last=True)
    return writer.to_bytes()
