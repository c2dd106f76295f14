"""The import engine shared by every spreadsheet (SPEC §5).

An ``Importer`` declares its columns and how a row becomes a record; ``run_import`` reads the
file, checks every row, compares with the database and — unless it is a dry run or any row has
an error — writes everything in one transaction. Nothing is ever deleted: records missing from
the file are reported.

Reading and checking take no write transaction: on SQLite every transaction takes the database's
write lock at once (``transaction_mode: IMMEDIATE``), and a preview of a large file must not make
reviewers' saves wait for its parse. A real import then opens one short transaction, takes the
importer's lock and checks the already-parsed rows again against the database as it is now
(``prepare`` + ``build``/``compare``: whatever another import or a reviewer changed meanwhile
decides create, update or unchanged, as it would have had the import run alone) before it writes.

The report names every row: new, updated (each changed field with its old and new value), unchanged
or error; a row with an error is a row of the file, so the record it names is not reported as
missing from the file (``Importer.claim``). Into a competition whose result is published, an
import that changes anything is written only when the caller confirms that the result will need a
correction (``confirmed_after_publication``). While it works the engine reports its phase and the rows
read so far to a ``progress.Progress`` (the web pages show it; the caller reports the end).
"""

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.db import IntegrityError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models.audit import audit_transaction
from .cells import CellError, fold
from .progress import NO_PROGRESS, Phase, Progress
from .workbook import Sheet, SpreadsheetError, column_letter, read_first_sheet


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


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field an update changes: its label and its old and new value as shown to a person."""

    field: str
    old: str
    new: str

    @classmethod
    def of(cls, field: str, old, new) -> "FieldChange":
        return cls(field, shown_value(old), shown_value(new))

    def as_dict(self) -> dict:
        return {"field": self.field, "old": self.old, "new": self.new}


SHOWN_LENGTH = 60


def shown_value(value) -> str:
    """A stored or planned value as a person reads it in a preview: amounts with thousands
    separators and no trailing zeros, lists joined, dates in ISO form, long text shortened."""
    if value is None or value == "" or value == [] or value == ():
        return _("(empty)")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        number = Decimal(value).normalize()
        return format(number.quantize(Decimal(1)) if number == number.to_integral() else number, ",f")
    if isinstance(value, list | tuple):
        text = ", ".join(str(item) for item in value)
    elif isinstance(value, datetime.date):
        text = value.isoformat()
    else:
        text = str(value)
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_LENGTH else text[:SHOWN_LENGTH] + "…"


@dataclass(slots=True)
class RowResult:
    number: int
    status: str
    label: str = ""
    messages: list[str] = ()  # type: ignore[assignment]  # filled for rows with errors
    changes: list[FieldChange] = ()  # type: ignore[assignment]  # what an update changes
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
    missing: list[str] = field(default_factory=list)  # records no row of the file names (kept)
    notes: list[str] = field(default_factory=list)
    publication: int | None = None  # the number of the target competition's latest publication
    unconfirmed: bool = False  # refused: it needs the confirmation after a publication

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

    @property
    def needs_confirmation(self) -> bool:
        """A valid file that would change a competition whose result is published: writing it
        needs the confirmation that the result will need a correction (정정 공개)."""
        return self.publication is not None and self.ok and self.changes_anything

    def publication_warning(self) -> str:
        return _(
            "The result of this competition has already been published (publication %(number)s). "
            "Importing this file changes what the result was computed from, so the result will "
            "need a correction after the import."
        ) % {"number": self.publication}

    def correction_reminder(self) -> str:
        return _(
            "The result of this competition had already been published (publication %(number)s): "
            "publish a correction so that the result reflects this import."
        ) % {"number": self.publication}

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
            "publication": self.publication,
        }


class RowError(Exception):
    """A problem with one cell of a row, raised from ``Importer.build``."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key
        self.message = message


class Importer:
    """Base class: one spreadsheet kind. Subclasses fill in the hooks below.

    ``prepare``, ``build``, ``compare``, ``missing_labels`` run once for the check and once more
    inside the write transaction (a real import): ``prepare`` starts each pass afresh.
    """

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
        """Load what rows are checked against (lookups, the existing records) and reset what
        ``build`` and ``compare`` remember, for a new pass over the rows."""

    def build(self, values: dict, number: int) -> Any:
        """Turn row ``number``'s parsed values into a planned record; raise RowError."""
        raise NotImplementedError

    def key_of(self, planned) -> tuple[tuple, str]:
        """The natural key of a planned record and the column key to blame for a duplicate."""
        raise NotImplementedError

    def label_of(self, planned) -> str:
        raise NotImplementedError

    def compare(self, planned) -> tuple[str, list[FieldChange]]:
        """RowStatus.NEW / UPDATED / UNCHANGED and, for an update, each changed field."""
        raise NotImplementedError

    def claim(self, values: dict, planned) -> None:
        """A row with an error: remember the existing record it names, if it names one (by
        whatever of its values could be read: ``values`` holds the cells that parsed, ``planned``
        the record if the row was built), so that record is not "missing from the file"."""

    def missing_labels(self) -> list[str]:
        """Labels of existing records that no row of the file named (reported, never deleted)."""
        return []

    def publication(self) -> int | None:
        """The number of the latest publication of the competition this import writes into
        (None: none yet, or the import does not belong to a competition)."""
        return None

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


@dataclass
class CheckedImport:
    """A file read and checked without a write transaction: the report, and for a real import
    the parsed values of every row (a tuple per row: 90,000 rows must stay small in memory)."""

    report: ImportReport
    mapping: dict = field(default_factory=dict)
    keys: tuple = ()
    parsed: list[tuple[int, tuple]] = field(default_factory=list)

    def rows(self) -> Iterator[tuple[int, tuple, dict, list]]:
        """The kept rows, in file order, each released as it is handed out (once: a second
        pass finds none)."""
        parsed = self.parsed
        parsed.reverse()
        while parsed:
            number, values = parsed.pop()
            yield number, None, dict(zip(self.keys, values, strict=True)), []


def run_import(
    importer: Importer,
    content: bytes | None,
    *,
    filename: str = "",
    dry_run: bool,
    confirmed_after_publication: bool = False,
    progress: Progress = NO_PROGRESS,
    sheet: Sheet | None = None,
) -> ImportReport:
    """Check every row; unless ``dry_run`` or any error, write all rows in one transaction.
    Into a competition with a publication, a file that changes anything is written only with
    ``confirmed_after_publication`` (else the report says ``unconfirmed``, nothing written).
    ``sheet``: rows already read (a preliminary round's proposals) instead of a file's ``content``."""
    checked = check_import(
        importer, content, filename=filename, dry_run=dry_run, progress=progress, sheet=sheet
    )
    if dry_run:
        return checked.report
    return apply_import(
        importer, checked, confirmed_after_publication=confirmed_after_publication, progress=progress
    )


def check_import(
    importer: Importer,
    content: bytes | None,
    *,
    filename: str = "",
    dry_run: bool,
    progress: Progress = NO_PROGRESS,
    sheet: Sheet | None = None,
) -> CheckedImport:
    """Read the file (or take ``sheet``) and check every row against the database, outside any
    transaction."""
    report = ImportReport(filename=filename, dry_run=dry_run)
    checked = CheckedImport(report)
    progress.phase(Phase.OPENING)
    try:
        if sheet is None:
            sheet = read_first_sheet(content)
        checked.mapping = importer.map_header(sheet.header, sheet.header_row)
    except SpreadsheetError as error:
        report.file_error = error.message
        return checked
    report.header = sheet.header
    importer.prepare()
    progress.phase(Phase.READING, total=sheet.tally.total)
    rows = _parse_rows(importer, sheet, checked, keep=not dry_run, progress=progress)
    # No write plans kept: apply_import makes them again, under its lock.
    _check_rows(importer, rows, checked.mapping, report, plans=False)
    if not report.ok:
        checked.parsed = []
    report.publication = importer.publication()
    return checked


def apply_import(
    importer: Importer,
    checked: CheckedImport,
    *,
    confirmed_after_publication: bool = False,
    progress: Progress = NO_PROGRESS,
) -> ImportReport:
    """Write a checked file in one transaction: the importer's lock, the rows checked again
    against the database under it, then every row or none. Returns the report of that check.

    A competition with a publication (found by the check, or under the lock: published
    meanwhile) is written only with ``confirmed_after_publication``."""
    report = checked.report
    if not report.ok or not report.changes_anything:
        return report  # nothing to write: no transaction at all
    if report.needs_confirmation and not confirmed_after_publication:
        report.unconfirmed = True
        return report
    fresh = ImportReport(filename=report.filename, dry_run=False, header=report.header)
    report.rows = []  # the fresh check below reports every row again: release these first
    progress.phase(Phase.WRITING)  # the last write the page sees before the commit
    try:
        # Every row first, then the audit entries (``audit_transaction`` appends them when the
        # work is done): the chain's lock is the last one the transaction takes.
        with audit_transaction():
            importer.lock()
            importer.prepare()
            plans = _check_rows(importer, checked.rows(), checked.mapping, fresh)
            fresh.publication = importer.publication()
            if fresh.needs_confirmation and not confirmed_after_publication:
                fresh.unconfirmed = True
            elif fresh.ok and fresh.changes_anything:
                importer.write(plans, fresh)
                fresh.applied = True
    except IntegrityError:
        fresh.applied = False
        fresh.file_error = _(
            "Someone else changed the same records while this file was being imported. "
            "Nothing was written; please try again."
        )
    return fresh


def _parse_rows(importer: Importer, sheet, checked: CheckedImport, *, keep: bool, progress: Progress):
    """(number, raw values, parsed values, messages) of every data row, parsed by the columns'
    parsers; the parsed values of rows without messages are kept in ``checked`` when ``keep``.
    Reports the rows read to ``progress``, and the check's last phase once every row is read."""
    tally = sheet.tally
    for number, values in sheet.rows:
        parsed, messages = importer.parse_row(number, values, checked.mapping)
        if keep and not messages:
            if not checked.keys:
                checked.keys = tuple(parsed)
            checked.parsed.append((number, tuple(parsed.values())))
        progress.rows(tally.read)
        yield number, values, parsed, messages
    progress.phase(Phase.CHECKING, total=tally.read)


def _check_rows(importer: Importer, rows, mapping: dict, report: ImportReport, *, plans: bool = True) -> list:
    """Build, deduplicate and compare every row; the report gets a RowResult per row and the
    records not in the file. Returns the plans (status, planned record) of rows without errors;
    with ``plans=False`` none are kept (the first check, whose plans would only be dropped)."""
    kept = []
    first_seen: dict[tuple, int] = {}
    key_headers = {key: written for key, (_index, written) in mapping.items()}
    try:
        for number, values, parsed, messages in rows:
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
                importer.claim(parsed, planned)
                label = _row_label(values, mapping) if values is not None else _parsed_label(parsed)
                report.rows.append(RowResult(number, RowStatus.ERROR, label, messages, raw=values))
                continue
            status, changes = importer.compare(planned)
            report.rows.append(RowResult(number, status, importer.label_of(planned), changes=changes))
            if plans:
                kept.append((status, planned))
    except SpreadsheetError as error:
        report.file_error = error.message
        report.rows.clear()
        return []
    if not report.rows:
        report.file_error = _("The sheet has a header but no data rows.")
        return []
    report.missing = importer.missing_labels()
    return kept


LABEL_KEYS = ("applicant", "name", "reference")


def _row_label(values: tuple, mapping: dict) -> str:
    parts: Iterable = (values[mapping[key][0]] for key in LABEL_KEYS if key in mapping)
    return " ".join(str(part) for part in parts if part not in (None, ""))[:80]


def _parsed_label(parsed: dict) -> str:
    return " ".join(str(parsed[key]) for key in LABEL_KEYS if parsed.get(key) not in (None, ""))[:80]
