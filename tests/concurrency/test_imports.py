"""Imports at the same time (issue 5 item 2): two imports of one applicant file make no duplicate
proposals and the second says "no change"; a double-clicked confirmation applies the upload
once; a score import and a reviewer's submission of the same sheet neither deadlock nor submit
twice.

Each race stops the first import right before it writes (after it has read what decides create
or update) and lets the other run. The importers lock the competition's row FOR UPDATE before
those reads (``ProposalImporter.lock``, ``ScoreImporter.lock``), and the confirmation locks the
upload's row; without those locks the second import overtakes the first.
"""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.roles import Role
from evaluation import sheets
from evaluation.importing.scores import ScoreImporter
from evaluation.models import Scoresheet
from evaluation.sheets import SheetInput, criteria_for
from proposals.importing.applicants import ProposalImporter
from proposals.importing.uploads import UploadRefused, confirm_upload, stage_upload
from proposals.models import AuditEntry, ImportUpload, Proposal
from tests.conftest import APPLICANTS_XLSX

from .conftest import waiting_for_lock

pytestmark = pytest.mark.django_db(transaction=True)

NO_CHANGE = "모든 행이 이미 최신입니다"
APPLICANTS = 24  # rows of fixtures/smartcity-2023/applicants.xlsx


def race(gate, workers, owner, name, *named_targets):
    """Start the targets together; the first to reach ``owner.name`` stops there until the
    other waits for a lock (or has finished). Returns the threads, the gate, whether it waited."""
    stop = gate(owner, name)
    threads = workers(*named_targets)
    stop.wait_entered()
    others = [thread for thread in threads if thread.name != stop.first_thread]
    waited = waiting_for_lock(*others)
    stop.release()
    for thread in threads:
        thread.join(10)
    return threads, stop, waited


def applied_imports():
    return AuditEntry.objects.filter(action="import.applied").count()


def assert_imported_once(competition):
    references = list(Proposal.objects.filter(competition=competition).values_list("reference", flat=True))
    assert len(references) == APPLICANTS == len(set(references))
    assert applied_imports() == 1


def test_two_imports_of_one_file_at_once_import_it_once(competition, gate, workers):
    """``import_proposals`` twice at once: one imports the 24 proposals, the other waits for it
    and then finds every row unchanged — no duplicate, no IntegrityError, no error message."""

    def command():
        out = StringIO()
        call_command("import_proposals", str(APPLICANTS_XLSX), competition=competition.slug, stdout=out)
        return out.getvalue()

    threads, stop, waited = race(gate, workers, ProposalImporter, "write", ("a", command), ("b", command))

    assert waited and stop.overtaken == 0, "the second import did not wait for the first"
    outputs = {thread.name: thread.outcome() for thread in threads}
    first = outputs.pop(stop.first_thread)
    (second,) = outputs.values()
    assert "신규 24건" in first
    assert NO_CHANGE in second and "신규 0건, 변경 0건, 변경 없음 24건" in second
    assert_imported_once(competition)


def test_two_uploads_of_one_file_confirmed_at_once_import_it_once(competition, user_factory, gate, workers):
    """Two admins upload the same file and confirm at the same moment (the web path): one
    applies it, the other's confirmation finds every row unchanged."""
    admin = user_factory(Role.ADMIN, "admin-race")
    content = APPLICANTS_XLSX.read_bytes()
    uploads = [
        stage_upload(
            ImportUpload.Kind.PROPOSALS,
            competition,
            SimpleUploadedFile("applicants.xlsx", content),
            admin,
        )
        for _ in range(2)
    ]

    def confirm(upload):
        return lambda: confirm_upload(upload.pk, upload.sha256, admin)[1]

    threads, stop, waited = race(
        gate, workers, ProposalImporter, "write", ("a", confirm(uploads[0])), ("b", confirm(uploads[1]))
    )

    assert waited and stop.overtaken == 0
    reports = {thread.name: thread.outcome() for thread in threads}
    first = reports.pop(stop.first_thread)
    (second,) = reports.values()
    assert first.ok and first.applied and first.counts["new"] == APPLICANTS
    assert second.ok and not second.applied and second.file_error == ""
    assert second.counts["unchanged"] == APPLICANTS and second.counts["new"] == 0
    assert_imported_once(competition)
    assert set(ImportUpload.objects.values_list("state", flat=True)) == {ImportUpload.State.APPLIED}


def test_a_double_clicked_confirmation_applies_the_upload_once(competition, user_factory, gate, workers):
    """The same upload confirmed twice at once: the second waits on the upload's row and is then
    told the file has already been imported."""
    admin = user_factory(Role.ADMIN, "admin-race")
    upload = stage_upload(
        ImportUpload.Kind.PROPOSALS,
        competition,
        SimpleUploadedFile("applicants.xlsx", APPLICANTS_XLSX.read_bytes()),
        admin,
    )

    def confirm():
        return confirm_upload(upload.pk, upload.sha256, admin)[1]

    threads, stop, waited = race(gate, workers, ProposalImporter, "write", ("a", confirm), ("b", confirm))

    assert waited and stop.overtaken == 0
    first = next(thread for thread in threads if thread.name == stop.first_thread)
    second = next(thread for thread in threads if thread.name != stop.first_thread)
    assert first.outcome().applied
    assert isinstance(second.error, UploadRefused), second.error
    assert second.error.message == "이미 가져온 파일입니다."
    assert_imported_once(competition)


# --- scores ----------------------------------------------------------------------------------


@pytest.fixture
def scoring(make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet):
    """kim's draft sheet (version 2) of one proposal, and a score file with kim's row for it."""
    make_criteria(3)
    kim = make_reviewer("kim")
    assignment = make_assignment(make_proposal(), kim, confirmed=True)
    submit_sheet(assignment, [5, 5, 5], draft_only=True)
    return assignment


def score_file(make_xlsx, assignment, points):
    return make_xlsx(
        [[assignment.reviewer.email, assignment.proposal.reference, *points, "의견"]],
        header=["평가위원", "접수번호", "C1", "C2", "C3", "의견"],
        title="평가표",
    )


def import_scores(path, assignment):
    def run():
        out = StringIO()
        call_command(
            "import_scores",
            str(path),
            competition=assignment.stage.competition.slug,
            stage=assignment.stage.code,
            stdout=out,
        )
        return out.getvalue()

    return run


def test_a_score_import_and_a_submission_of_the_same_sheet_take_turns(scoring, make_xlsx, gate, workers):
    """The reviewer submits the sheet while an admin imports a file with the same sheet. The
    submission is stopped inside its transaction, holding the sheet's row; the import must not
    lock the competition first and then wait for the sheet (the submission's commit needs the
    competition's row too: a deadlock, one of them aborted). With the submission's share lock
    on the competition, the import waits for it, then finds the sheet submitted with the same
    values: unchanged."""
    assignment = scoring
    criteria = criteria_for(assignment.stage, assignment.proposal.track)
    data = SheetInput(points={c.pk: Decimal(10) for c in criteria}, comment="의견")
    path = score_file(make_xlsx, assignment, [10, 10, 10])

    stop = gate(sheets, "_write_scores")
    (submission,) = workers(
        ("submit", lambda: sheets.submit(assignment, 2, data, assignment.reviewer.user)), together=False
    )
    stop.wait_entered()
    (importer,) = workers(("import", import_scores(path, assignment)))
    waited = waiting_for_lock(importer)
    stop.release()

    assert waited
    assert submission.outcome().is_submitted  # no deadlock: neither was aborted
    output = importer.outcome()
    assert NO_CHANGE in output and "변경 없음 1건" in output
    sheet = Scoresheet.objects.get(assignment=assignment)
    assert sheet.version == 3 and sheet.total == Decimal(30)
    submissions = AuditEntry.objects.filter(object_type="scoresheet", after__status="submitted")
    assert submissions.count() == 1


def test_two_score_imports_at_once_submit_each_sheet_once(scoring, make_xlsx, gate, workers):
    """The same score file imported twice at once: one submits the sheet, the other waits and
    reports it unchanged."""
    assignment = scoring
    path = score_file(make_xlsx, assignment, [10, 10, 10])
    run = import_scores(path, assignment)

    threads, stop, waited = race(gate, workers, ScoreImporter, "write", ("a", run), ("b", run))

    assert waited and stop.overtaken == 0
    outputs = {thread.name: thread.outcome() for thread in threads}
    assert "변경 1건" in outputs.pop(stop.first_thread)
    (second,) = outputs.values()
    assert NO_CHANGE in second
    assert AuditEntry.objects.filter(object_type="scoresheet", after__status="submitted").count() == 1
    assert applied_imports() == 1
