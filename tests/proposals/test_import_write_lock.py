"""Imports and the database's write lock (issue 9 item 3): reading and checking a file takes no
write transaction — a preview none at all — and a real import's transaction begins only after
every row was parsed, so reviewers can save while a large file is read.

While each row is parsed, a second connection tries to write: on SQLite it takes the database's
write lock (``BEGIN IMMEDIATE`` with no wait; every transaction of the app takes it when it
begins), on PostgreSQL the competition's row that the import locks (``FOR UPDATE NOWAIT``). The
SQLite test database is a file here (``sqlite_file_db``): an in-memory one cannot be locked from
another connection. Not timed.
"""

from io import StringIO

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from accounts.roles import Role
from proposals.importing.applicants import ProposalImporter
from proposals.importing.engine import Importer, run_import
from proposals.importing.uploads import confirm_upload, stage_upload
from proposals.models import ImportUpload, Proposal
from tests.conftest import valid_row

from .sqlite_locking import Blocker

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 6


@pytest.fixture
def can_write(request, competition):
    """``can_write()``: whether another connection could write what the import writes, now."""
    if connection.vendor == "sqlite":
        return Blocker(request.getfixturevalue("sqlite_file_db")).can_write
    settings = connection.settings_dict

    def competition_row_free() -> bool:
        with psycopg.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            password=settings["PASSWORD"] or None,
            host=settings["HOST"] or None,
            port=settings["PORT"] or None,
        ) as other:
            try:
                other.execute(
                    "SELECT 1 FROM proposals_competition WHERE id = %s FOR UPDATE NOWAIT", [competition.pk]
                )
            except psycopg.errors.LockNotAvailable:
                return False
            return True

    return competition_row_free


@pytest.fixture
def applicants(make_xlsx):
    return make_xlsx([valid_row(f"T-{n:02d}", applicant=f"시험시 {n}") for n in range(1, ROWS + 1)])


@pytest.fixture
def events(monkeypatch, can_write):
    """What happened, in order: each row parsed and the write, with whether a transaction was
    open in this connection and whether another connection could write at that moment."""
    seen = []
    parse_row, write = Importer.parse_row, ProposalImporter.write

    def parsing(self, number, values, mapping):
        seen.append(("parse", number, connection.in_atomic_block, can_write()))
        return parse_row(self, number, values, mapping)

    def writing(self, plans, report):
        seen.append(("write", len(plans), connection.in_atomic_block, can_write()))
        return write(self, plans, report)

    monkeypatch.setattr(Importer, "parse_row", parsing)
    monkeypatch.setattr(ProposalImporter, "write", writing)
    return seen


PARSED_FREELY = [("parse", number, False, True) for number in range(2, ROWS + 2)]


def test_a_dry_run_reads_every_row_without_a_transaction(competition, applicants, events):
    report = run_import(ProposalImporter(competition), applicants.read_bytes(), dry_run=True)

    assert report.ok and report.counts["new"] == ROWS
    assert events == PARSED_FREELY
    assert not Proposal.objects.exists()


def test_the_web_preview_takes_no_write_lock_while_it_parses(competition, applicants, events, user_factory):
    admin = user_factory(Role.ADMIN, "admin-lock")
    upload = stage_upload(
        ImportUpload.Kind.PROPOSALS, competition, SimpleUploadedFile("a.xlsx", applicants.read_bytes()), admin
    )

    assert upload.summary["counts"]["new"] == ROWS
    assert events == PARSED_FREELY


def test_the_command_dry_run_takes_no_write_lock(competition, applicants, events):
    out = StringIO()
    call_command("import_proposals", str(applicants), competition=competition.slug, dry_run=True, stdout=out)

    assert f"신규 {ROWS}건" in out.getvalue()
    assert events == PARSED_FREELY


def test_a_real_import_writes_in_a_transaction_begun_after_every_row_was_parsed(
    competition, applicants, events
):
    out = StringIO()
    call_command("import_proposals", str(applicants), competition=competition.slug, stdout=out)

    assert f"신규 {ROWS}건" in out.getvalue()
    assert events == [*PARSED_FREELY, ("write", ROWS, True, False)]
    assert Proposal.objects.count() == ROWS


def test_a_confirmed_upload_is_parsed_before_its_write_transaction(
    competition, applicants, events, user_factory
):
    admin = user_factory(Role.ADMIN, "admin-lock")
    upload = stage_upload(
        ImportUpload.Kind.PROPOSALS, competition, SimpleUploadedFile("a.xlsx", applicants.read_bytes()), admin
    )
    events.clear()

    _upload, report = confirm_upload(upload.pk, upload.sha256, admin)

    assert report.applied
    assert events == [*PARSED_FREELY, ("write", ROWS, True, False)]


def test_rows_are_checked_again_under_the_lock_before_the_write(competition, applicants, monkeypatch):
    """Between the check and the write someone imports one of the file's proposals: the write
    transaction sees it and updates it instead of creating it a second time."""
    parse_row = Importer.parse_row
    done = []

    def parsing(self, number, values, mapping):
        if number == ROWS + 1 and not done:  # the last row: the check is nearly over
            done.append(True)
            run_import(
                ProposalImporter(competition), _one_row_file(applicants.parent).read_bytes(), dry_run=False
            )
        return parse_row(self, number, values, mapping)

    monkeypatch.setattr(Importer, "parse_row", parsing)
    report = run_import(ProposalImporter(competition), applicants.read_bytes(), dry_run=False)

    assert report.applied
    assert report.counts == {"new": ROWS - 1, "updated": 1, "unchanged": 0, "error": 0}
    assert Proposal.objects.count() == ROWS
    assert Proposal.objects.get(reference="T-01").title == "사업"


def _one_row_file(folder):
    from openpyxl import Workbook

    from tests.conftest import HEADER

    workbook = Workbook()
    workbook.active.append(HEADER)
    workbook.active.append(valid_row("T-01", applicant="시험시 1", 사업명="먼저 가져온 사업"))
    path = folder / "one-row.xlsx"
    workbook.save(path)
    return path
