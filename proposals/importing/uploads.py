"""The web door to the import engine: upload → preview → confirm (the same engine as the CLI).

The uploaded bytes are kept in the database with their SHA-256 until confirmed, so any app
server can serve the next step and the confirmation applies exactly the file previewed. Both steps
report their progress (``progress``) for the page that waits for them; into a competition whose
result is published, the confirmation must also confirm that the result will need a correction.
"""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Competition, ImportUpload
from .applicants import ProposalImporter
from .engine import Importer, ImportReport, apply_import, check_import, run_import
from .progress import NO_PROGRESS, Phase, Progress

# How to make the importer of each kind of uploaded spreadsheet: (upload, actor) → Importer.
# proposals knows only its own; the evaluation app adds reviewers and scores when it is ready
# (``register_importer`` in evaluation/apps.py), as proposals may not import evaluation.
ImporterFactory = Callable[[ImportUpload, object], Importer]
IMPORTERS: dict[str, ImporterFactory] = {
    ImportUpload.Kind.PROPOSALS: lambda upload, actor: ProposalImporter(upload.competition, actor=actor),
}


def register_importer(kind: str, factory: ImporterFactory) -> None:
    IMPORTERS[kind] = factory


class UploadRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def importer_for(upload: ImportUpload, actor=None) -> Importer:
    """The upload's importer; UploadRefused when it can no longer be made (e.g. the stage of a
    score spreadsheet was removed since the preview)."""
    return IMPORTERS[upload.kind](upload, actor)


def stage_upload(
    kind: str,
    competition: Competition | None,
    uploaded_file,
    user,
    progress: Progress = NO_PROGRESS,
    *,
    stage_code: str = "",
) -> ImportUpload:
    """Keep the file and its digest, check it (a dry run) and remember the preview.
    ``stage_code``: the stage of a score spreadsheet."""
    content = uploaded_file.read()
    upload = ImportUpload(
        kind=kind,
        competition=competition,
        stage_code=stage_code,
        filename=uploaded_file.name[:255],
        content=content,
        sha256=ImportUpload.digest(content),
        uploaded_by=user,
    )
    report = run_import(
        importer_for(upload, user), content, filename=upload.filename, dry_run=True, progress=progress
    )
    upload.summary = serialise(report)
    upload.save()
    progress.phase(Phase.DONE)
    return upload


def preview_report(upload: ImportUpload) -> ImportReport:
    """Re-check the stored file (used for the error sheet, which needs the raw rows)."""
    return run_import(importer_for(upload), bytes(upload.content), filename=upload.filename, dry_run=True)


def confirm_upload(
    upload_id,
    sha256: str,
    user,
    *,
    confirmed_after_publication: bool = False,
    progress: Progress = NO_PROGRESS,
) -> tuple[ImportUpload, ImportReport]:
    """Apply the previewed file. Refused if it was already applied or is not the file previewed;
    not written (``report.unconfirmed``) into a competition whose result is published unless
    ``confirmed_after_publication``.

    The file is read and checked before the write transaction (on SQLite that transaction holds
    the database's write lock); inside it the upload's row is locked and checked again, so a
    double click applies it once, and the import checks its rows again under its own lock."""
    upload = ImportUpload.objects.get(pk=upload_id)
    check_confirmable(upload, sha256)
    importer = importer_for(upload, user)
    checked = check_import(
        importer, bytes(upload.content), filename=upload.filename, dry_run=False, progress=progress
    )
    if checked.report.ok and checked.report.changes_anything:
        progress.phase(Phase.WRITING)  # the last write the page sees before the commit
    with transaction.atomic():
        upload = ImportUpload.objects.select_for_update().get(pk=upload_id)
        check_confirmable(upload, sha256)
        report = apply_import(importer, checked, confirmed_after_publication=confirmed_after_publication)
        if report.ok and not report.unconfirmed:
            upload.state = ImportUpload.State.APPLIED
            upload.applied_at = timezone.now()
        upload.summary = serialise(report)
        upload.save(update_fields=["state", "applied_at", "summary"])
    progress.phase(Phase.DONE)
    return upload, report


def check_confirmable(upload: ImportUpload, sha256: str) -> None:
    if upload.state == ImportUpload.State.APPLIED:
        raise UploadRefused(_("This file has already been imported."))
    if sha256 != upload.sha256 or not upload.content_matches_digest():
        raise UploadRefused(
            _(
                "The file is not the one you previewed (its SHA-256 differs). "
                "Nothing was imported; upload the file again and check the new preview."
            )
        )


def serialise(report: ImportReport) -> dict:
    return {
        "file_error": report.file_error,
        "applied": report.applied,
        "ok": report.ok,
        "changes_anything": report.changes_anything,
        "counts": report.counts,
        "summary": report.summary_lines(),
        "missing": report.missing,
        "publication": report.publication,
        "needs_confirmation": report.needs_confirmation,
        "publication_warning": report.publication_warning() if report.publication is not None else "",
        "correction_reminder": (
            report.correction_reminder() if report.applied and report.publication is not None else ""
        ),
        "rows": [
            {
                "number": row.number,
                "status": row.status,
                "status_label": row.status_label,
                "label": row.label,
                "messages": row.messages,
                "changes": [change.as_dict() for change in row.changes],
            }
            for row in report.rows
        ],
    }
