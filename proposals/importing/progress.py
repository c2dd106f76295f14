"""How far a running import is: the phase, and the rows read of the sheet's total (SPEC §5).

The engine reports to a ``Progress``. The command line and services use ``NO_PROGRESS``; the web
pages use ``RecordedProgress``, which writes an ``ImportProgress`` row that the waiting page polls
(``portal.manage.views.import_progress``) through any app server.

Its writes are tiny autocommit UPDATEs, made only while no transaction is open in the importing
connection: the rows are read and checked outside any transaction (``engine.check_import``), and
the "writing" phase is reported before the write transaction begins (a write inside it would stay
invisible to the page until the commit and, on SQLite, be made under the database's write lock);
tests/proposals/test_import_progress.py checks both. They happen when the phase changes, and while
rows are read at most every ``IMPORT_PROGRESS_ROWS`` rows or ``IMPORT_PROGRESS_SECONDS`` seconds.
A write waits for a lock only briefly (``_PROGRESS_BUSY_MS``; on SQLite the database's write lock,
which another import's write transaction may hold): when it cannot have it, the write is skipped
and the next one tries again — progress never holds up or fails an import.
"""

import contextlib
import time
import uuid
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ImportProgress

Phase = ImportProgress.Phase

# Sent after each progress write reached the database (arguments: ``progress_id``, ``phase``,
# ``rows_read``, ``rows_total``). For observers of running imports (the tests use it to look at
# the progress page while an import is under way).
progress_saved = Signal()

_PROGRESS_BUSY_MS = 100  # SQLite: how long a progress write waits for the write lock
KEPT_FOR = timedelta(days=1)


class Progress:
    """Progress that goes nowhere (the command line, services from a shell)."""

    def phase(self, phase: str, *, total: int | None = None) -> None:
        """A new phase begins; ``total``: the rows the sheet holds (reading)."""

    def rows(self, read: int) -> None:
        """``read`` rows of the sheet have been read and checked."""


NO_PROGRESS = Progress()


class RecordedProgress(Progress):
    def __init__(self, progress_id: uuid.UUID):
        self.id = progress_id
        self.every_rows = max(1, settings.IMPORT_PROGRESS_ROWS)
        self.every_seconds = settings.IMPORT_PROGRESS_SECONDS
        self._phase = Phase.OPENING
        self._total = None
        self._written_read = 0
        self._written_at = time.monotonic()

    def phase(self, phase: str, *, total: int | None = None) -> None:
        self._phase = phase
        if total is not None:
            self._total = total
        read = self._total if phase in (Phase.CHECKING, Phase.WRITING, Phase.DONE) else 0
        self._save(read if read is not None else 0)

    def rows(self, read: int) -> None:
        if read - self._written_read >= self.every_rows or (
            time.monotonic() - self._written_at >= self.every_seconds
        ):
            self._save(read)

    def _save(self, read: int) -> None:
        self._written_read = read
        self._written_at = time.monotonic()
        total = self._total if self._total is None else max(self._total, read)
        try:
            with _brief_lock_wait(), _savepoint_if_in_transaction():
                ImportProgress.objects.filter(pk=self.id).update(
                    phase=self._phase, rows_read=read, rows_total=total, updated_at=timezone.now()
                )
        except DatabaseError:
            return  # the database is busy with another import's write: the next write tries again
        progress_saved.send(
            sender=ImportProgress, progress_id=self.id, phase=self._phase, rows_read=read, rows_total=total
        )


@contextlib.contextmanager
def _brief_lock_wait():
    """Wait for a lock only briefly: on SQLite the database's write lock (the connection waits
    seconds), on PostgreSQL the progress row's lock (it would wait for ever)."""
    if connection.vendor == "sqlite":
        timeout_ms = int(float(connection.settings_dict.get("OPTIONS", {}).get("timeout", 5)) * 1000)
        start, end = f"PRAGMA busy_timeout = {_PROGRESS_BUSY_MS}", f"PRAGMA busy_timeout = {timeout_ms}"
    elif connection.vendor == "postgresql":
        start, end = f"SET lock_timeout = '{_PROGRESS_BUSY_MS}ms'", "RESET lock_timeout"
    else:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(start)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(end)


def _savepoint_if_in_transaction():
    """A failed write must not break a caller's transaction (never the case of an import, whose
    progress is written outside any: a caller that wraps one, such as a test)."""
    return transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()


def start_progress(progress_id, user) -> Progress:
    """The progress of an import a page is about to wait for: its ``ImportProgress`` row (id from
    the form the page was rendered with), or ``NO_PROGRESS`` without one. An id already used by
    another user is not taken over. Rows older than a day are deleted on the way."""
    if not progress_id:
        return NO_PROGRESS
    ImportProgress.objects.filter(updated_at__lt=timezone.now() - KEPT_FOR).delete()
    if ImportProgress.objects.filter(pk=progress_id).exclude(user=user).exists():
        return NO_PROGRESS
    ImportProgress.objects.update_or_create(
        pk=progress_id,
        defaults={"user": user, "phase": Phase.OPENING, "rows_read": 0, "rows_total": None},
    )
    return RecordedProgress(progress_id)


def describe_progress(progress: ImportProgress | None) -> dict:
    """What the waiting page shows: the phase, the rows read of the total, and one sentence."""
    if progress is None:
        return {"phase": "pending", "read": 0, "total": None, "text": _("Waiting for the server…")}
    read, total = progress.rows_read, progress.rows_total
    if progress.phase == Phase.READING and total:
        text = _("Reading and checking rows: %(read)s of %(total)s") % {
            "read": f"{read:,}",
            "total": f"{max(total, read):,}",
        }
    else:
        text = {
            Phase.OPENING: _("Opening the file…"),
            Phase.READING: _("Reading and checking rows…"),
            Phase.CHECKING: _("Every row is read; summing up the check…"),
            Phase.WRITING: _("Writing every row in one step…"),
            Phase.DONE: _("Done. The next page opens in a moment."),
        }[progress.phase]
    return {"phase": progress.phase, "read": read, "total": total, "text": str(text)}
