"""The import engine shared by every spreadsheet (SPEC §5).

An ``Importer`` declares its columns and how a row becomes a record; ``run_import`` reads the
file, checks every row, compares with the database and — unless it is a dry run or any row has
an error — writes everything in one transaction. Nothing is ever deleted: records missing from
the file are reported.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models.audit import audit_transaction
from .cells import CellError, fold
from .workbook import SpreadsheetError, column_letter, read_first_sheet


@dataclass(frozen=True)
class Column:
    key: str
    headers: tuple[str, ...]  # accepted spellings, Korean first; the first is the template's
    parse: Callable[[Any], Any]
    required: bool = False
    help: str = ""

    @property
    def label(self) -> str:
        return self.headers[0]


class RowStatus:
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ERROR = "error"

    LABELS: ClassVar = {
        NEW: gettext_lazy("New"),
        UPDATED: gettext_lazy("Updated"),
        UNCHANGED: gettext_lazy("Unchanged"),
        ERROR: gettext_lazy("Error"),
    }


@dataclass(slots=True)
class RowResult:
    number: int
    status: str
    label: str = ""
    messages: list[str] = ()  # type: ignore[assignment]  # filled for rows with errors
    changes: list[str] = ()  # type: ignore[assignment]  # labels of the fields an update changes
    raw: tuple | None = None  # the row as read, kept for rows with errors (the error sheet)

    @property
    def status_label(self) -> str:
        return str(RowStatus.LABELS[self.status])


@dataclass
class ImportReport:
    filename: str = ""
    dry_run: bool = True
    applied: bool = False
    file_error: str = ""
    header: tuple = ()
    rows: list[RowResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # records not in the file (kept)
    notes: list[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def counts(self) -> dict[str, int]:
        counts = {status: 0 for status in RowStatus.LABELS}
        for row in self.rows:
            counts[row.status] += 1
        return counts

    @property
    def errors(self) -> list[str]:
        if self.file_error:
            return [self.file_error]
        return [message for row in self.rows for message in row.messages if row.status == "error"]

    @property
    def ok(self) -> bool:
        return not self.file_error and not any(row.status == RowStatus.ERROR for row in self.rows)

    @property
    def changes_anything(self) -> bool:
        counts = self.counts
        return bool(counts[RowStatus.NEW] or counts[RowStatus.UPDATED])

    def summary_lines(self) -> list[str]:
        counts = self.counts
        lines = [
            _("New: %(new)s, updated: %(updated)s, unchanged: %(unchanged)s, not in file: %(missing)s")
            % {
                "new": f"{counts['new']:,}",
                "updated": f"{counts['updated']:,}",
                "unchanged": f"{counts['unchanged']:,}",
                "missing": f"{len(self.missing):,}",
            }
        ]
        if counts["error"]:
            lines.append(_("Rows with errors: %(count)s") % {"count": f"{counts['error']:,}"})
        return lines

    def as_dict(self) -> dict:
        return {
            "filename": self.filename,
            "applied": self.applied,
            "file_error": self.file_error,
            "counts": self.counts,
            "missing": len(self.missing),
        }


class RowError(Exception):
    """A problem with one cell of a row, raised from ``Importer.build``."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key
        self.message = message


class Importer:
    """Base class: one spreadsheet kind. Subclasses fill in the hooks below."""

    columns: ClassVar[tuple[Column, ...]] = ()
    kind: ClassVar[str] = ""  # what the audit trail calls this import

    def __init__(self, actor=None):
        self.actor = actor
        self.present: set[str] = set()  # column keys the file has; absent ones are left alone
        self._plan = None  # (key, index, header as written, parse, required) of present columns

    # --- hooks ---------------------------------------------------------------------------
    def lock(self) -> None:
        """Serialise concurrent imports of the same target (called inside the transaction)."""

    def prepare(self) -> None:
        """Load what rows are checked against: lookups and the existing records."""

    def build(self, values: dict, number: int) -> Any:
        """Turn row ``number``'s parsed values into a planned record; raise RowError."""
        raise NotImplementedError

    def key_of(self, planned) -> tuple[tuple, str]:
        """The natural key of a planned record and the column key to blame for a duplicate."""
        raise NotImplementedError

    def label_of(self, planned) -> str:
        raise NotImplementedError

    def compare(self, planned) -> tuple[str, list[str]]:
        """RowStatus.NEW / UPDATED / UNCHANGED and the labels of changed fields."""
        raise NotImplementedError

    def missing_labels(self) -> list[str]:
        """Labels of existing records that no row of the file matched (reported, never deleted)."""
        return []

    def write(self, plans: list, report: ImportReport) -> None:
        raise NotImplementedError

    def applied_entry(self, report: ImportReport, object_type: str, object_id, *, competition=None, **extra):
        """The audit entry of a whole import: which file, what it did (one per applied import)."""
        from .. import audit

        return audit.entry(
            "import.applied",
            object_type,
            object_id,
            actor=self.actor,
            competition=competition,
            after={
                "kind": self.kind,
                "file": report.filename,
                **report.counts,
                "not_in_file": len(report.missing),
                **extra,
            },
        )

    # --- engine --------------------------------------------------------------------------
    @classmethod
    def required_labels(cls) -> list[str]:
        return [column.label for column in cls.columns if column.required]

    def map_header(self, header: tuple, header_row: int) -> dict[str, tuple[int, str]]:
        """Column key → (index in row, header as written). Raises SpreadsheetError."""
        spellings = {fold_header(spelling): column for column in self.columns for spelling in column.headers}
        found: dict[str, tuple[int, str]] = {}
        for index, cell in enumerate(header):
            if cell is None:
                continue
            written = str(cell).strip()
            column = spellings.get(fold_header(written))
            if column is None:
                continue
            if column.key in found:
                first_index, first_written = found[column.key]
                raise SpreadsheetError(
                    _(
                        "Duplicate column header: '%(first)s' (column %(a)s) and '%(second)s' "
                        "(column %(b)s) mean the same column."
                    )
                    % {
                        "first": first_written,
                        "a": column_letter(first_index),
                        "second": written,
                        "b": column_letter(index),
                    }
                )
            found[column.key] = (index, written)
        self.present = set(found)
        missing = [column.label for column in self.columns if column.required and column.key not in found]
        if missing:
            raise SpreadsheetError(
                _("Required column(s) missing: %(columns)s. The header is row %(row)s.")
                % {"columns": ", ".join(f"'{label}'" for label in missing), "row": header_row}
            )
        return found

    def parse_row(self, number: int, values: tuple, mapping: dict) -> tuple[dict, list[str]]:
        if self._plan is None:
            self._plan = [
                (column.key, *mapping[column.key], column.parse, column.required)
                for column in self.columns
                if column.key in mapping
            ]
            self._absent = {
                column.key: column.parse(None) for column in self.columns if column.key not in mapping
            }
        parsed = dict(self._absent)
        messages: list[str] = []
        for key, index, written, parse, required in self._plan:
            raw = values[index]
            if required and (raw is None or (type(raw) is str and not raw.strip())):
                messages.append(cell_message(number, written, _("Required value is missing.")))
                continue
            try:
                parsed[key] = parse(raw)
            except CellError as error:
                messages.append(cell_message(number, written, error.message))
        return parsed, messages


def fold_header(text: str) -> str:
    """Headers match case- and space-insensitively; ``_``/``-`` count as spaces, ``*`` marks required."""
    return fold(text).replace("_", "").replace("-", "").rstrip("*")


def cell_message(row: int, header: str, message: str) -> str:
    """The one shape of every row error: ``7행 '국비': 숫자가 아닙니다: '이백'``."""
    return _("Row %(row)s '%(column)s': %(message)s") % {
        "row": row,
        "column": header,
        "message": message,
    }


def run_import(importer: Importer, content: bytes, *, filename: str = "", dry_run: bool) -> ImportReport:
    """Check every row; unless ``dry_run`` or any error, write all rows in one transaction."""
    report = ImportReport(filename=filename, dry_run=dry_run)
    try:
        sheet = read_first_sheet(content)
        mapping = importer.map_header(sheet.header, sheet.header_row)
    except SpreadsheetError as error:
        report.file_error = error.message
        return report
    report.header = sheet.header
    try:
        with transaction.atomic():
            if not dry_run:
                importer.lock()
            importer.prepare()
            plans = _plan_rows(importer, sheet, mapping, report)
            if report.file_error:
                return report
            if dry_run or not report.ok:
                return report
            if report.changes_anything:
                # Every row first, then the audit entries: the chain's lock is the last one taken.
                with audit_transaction():
                    importer.write(plans, report)
                report.applied = True
    except IntegrityError:
        report.applied = False
        report.file_error = _(
            "Someone else changed the same records while this file was being imported. "
            "Nothing was written; please try again."
        )
    return report


def _plan_rows(importer: Importer, sheet, mapping: dict, report: ImportReport) -> list:
    plans = []
    first_seen: dict[tuple, int] = {}
    key_headers = {key: written for key, (_index, written) in mapping.items()}
    try:
        for number, values in sheet.rows:
            parsed, messages = importer.parse_row(number, values, mapping)
            planned = None
            if not messages:
                try:
                    planned = importer.build(parsed, number)
                except RowError as error:
                    header = key_headers.get(error.key, error.key)
                    messages.append(cell_message(number, header, error.message))
            if planned is not None:
                key, blame = importer.key_of(planned)
                if key in first_seen:
                    messages.append(
                        cell_message(
                            number,
                            key_headers.get(blame, blame),
                            _("Appears twice in the file (same as row %(row)s).") % {"row": first_seen[key]},
                        )
                    )
                else:
                    first_seen[key] = number
            if messages:
                report.rows.append(
                    RowResult(number, RowStatus.ERROR, _row_label(values, mapping), messages, raw=values)
                )
                continue
            status, changes = importer.compare(planned)
            report.rows.append(RowResult(number, status, importer.label_of(planned), changes=changes))
            plans.append((status, planned))
    except SpreadsheetError as error:
        report.file_error = error.message
        report.rows.clear()
        return []
    if not report.rows:
        report.file_error = _("The sheet has a header but no data rows.")
        return []
    report.missing = importer.missing_labels()
    return plans


def _row_label(values: tuple, mapping: dict) -> str:
    parts: Iterable = (
        values[mapping[key][0]] for key in ("applicant", "name", "reference") if key in mapping
    )
    return " ".join(str(part) for part in parts if part not in (None, ""))[:80]
