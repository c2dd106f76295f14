"""The progress of a running import (proposals/importing/progress.py) as a second app server sees
it: each progress write is a committed autocommit write made while the import holds no transaction
(and on SQLite no write lock: another connection could write at that very moment), readable at once
by another connection; and a busy database never holds up an import for its progress.

The importer is driven by the progress signal (no sleeps). Transactional tests, on SQLite with the
database as a file that another connection can lock (``can_write`` of test_import_write_lock).
"""

import threading
import uuid
from contextlib import contextmanager

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from accounts.roles import Role
from proposals.importing.applicants import ProposalImporter
from proposals.importing.engine import run_import
from proposals.importing.progress import progress_saved, start_progress
from proposals.importing.uploads import confirm_upload, stage_upload
from proposals.models import ImportProgress, ImportUpload, Proposal
from tests.conftest import valid_row

from .sqlite_locking import Blocker
from .test_import_write_lock import can_write  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 6


@pytest.fixture
def applicants(make_xlsx):
    return make_xlsx([valid_row(f"T-{n:02d}", applicant=f"시험시 {n}") for n in range(1, ROWS + 1)])


@pytest.fixture
def admin(user_factory, settings):
    settings.IMPORT_PROGRESS_ROWS = 2
    settings.IMPORT_PROGRESS_SECONDS = 3600  # by rows only: the same writes on any machine
    return user_factory(Role.ADMIN, "admin-progress")


def from_another_connection(progress_id):
    """The progress row as another connection (another app server) reads it now."""
    found = {}

    def read():
        try:
            found["row"] = (
                ImportProgress.objects.filter(pk=progress_id).values_list("phase", "rows_read").first()
            )
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()
    return found["row"]


@pytest.fixture
def seen(can_write):
    """Each progress write: (phase, rows read, a transaction open in the importing connection,
    another connection could write now, what another connection reads now)."""
    seen = []

    def look(sender, progress_id, phase, rows_read, **_values):
        seen.append(
            (phase, rows_read, connection.in_atomic_block, can_write(), from_another_connection(progress_id))
        )

    progress_saved.connect(look)
    yield seen
    progress_saved.disconnect(look)


def written_freely(*states):
    return [(phase, read, False, True, (phase, read)) for phase, read in states]


def test_preview_and_confirmation_write_progress_outside_any_transaction(
    competition, applicants, admin, seen
):
    upload = stage_upload(
        ImportUpload.Kind.PROPOSALS,
        competition,
        SimpleUploadedFile("a.xlsx", applicants.read_bytes()),
        admin,
        progress=start_progress(uuid.uuid4(), admin),
    )
    assert seen == written_freely(
        ("opening", 0),
        ("reading", 0),
        ("reading", 2),
        ("reading", 4),
        ("reading", 6),
        ("checking", 6),
        ("done", 6),
    )
    seen.clear()

    _upload, report = confirm_upload(
        upload.pk, upload.sha256, admin, progress=start_progress(uuid.uuid4(), admin)
    )

    assert report.applied and Proposal.objects.count() == ROWS
    # "writing" is told before the write transaction begins, "done" after it committed.
    assert seen == written_freely(
        ("opening", 0),
        ("reading", 0),
        ("reading", 2),
        ("reading", 4),
        ("reading", 6),
        ("checking", 6),
        ("writing", 6),
        ("done", 6),
    )


@contextmanager
def progress_row_locked(request, progress_id):
    """Another connection holds what a progress write needs: on SQLite the database's write lock
    (another import writing), on PostgreSQL the progress row itself."""
    if connection.vendor == "sqlite":
        blocker = Blocker(request.getfixturevalue("sqlite_file_db"))
        blocker.hold()
        try:
            yield
        finally:
            blocker.release()
        return
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
    ) as other:
        other.execute("SELECT 1 FROM proposals_importprogress WHERE id = %s FOR UPDATE", [progress_id])
        yield
        other.rollback()


def test_a_busy_database_skips_progress_and_never_holds_up_the_check(
    request,
    competition,
    applicants,
    admin,
    seen,
    can_write,
):
    progress_id = uuid.uuid4()
    progress = start_progress(progress_id, admin)

    with progress_row_locked(request, progress_id):
        report = run_import(
            ProposalImporter(competition), applicants.read_bytes(), dry_run=True, progress=progress
        )

    assert report.ok and report.counts["new"] == ROWS
    assert seen == []  # every write gave way
    assert ImportProgress.objects.get(pk=progress_id).phase == "opening"
    progress.phase("done")  # the lock is gone: the next write goes through
    assert ImportProgress.objects.get(pk=progress_id).phase == "done"
