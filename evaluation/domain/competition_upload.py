"""The competition file on the web (``/manage/``): upload → preview of the changes → confirm.

The one loader (``evaluation.domain.competition_file``, the command ``load_competition``'s) reads
the uploaded text, so the checks, the path-precise messages
(``stages[0].criteria[2].max: …``) and the list of changes are the command's own. The preview runs
the whole load in a transaction that is rolled back: it shows exactly what confirming would change.
The bytes wait in an ``ImportUpload`` (no app-server disk between requests) and the confirmation
applies the file previewed, once, with its SHA-256 checked under the upload's row lock.
"""

from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from proposals.domain.competition_file import CompetitionFileError, LoadResult
from proposals.importing.uploads import check_confirmable
from proposals.models import Competition, ImportUpload, audit_transaction

from .competition_file import load_competition_text

MAX_BYTES = 1024 * 1024  # a competition file is a few kilobytes


class _RolledBack(Exception):
    def __init__(self, result: LoadResult):
        super().__init__()
        self.result = result


@dataclass
class CompetitionPreview:
    """What loading the file would do: created or updated, and each change (the loader's words)."""

    slug: str
    name: str
    created: bool
    changes: list[str]

    def as_dict(self) -> dict:
        return {"slug": self.slug, "name": self.name, "created": self.created, "changes": self.changes}


def load_competition_bytes(content: bytes, filename: str, actor=None, *, dry_run: bool = False) -> LoadResult:
    """Load an uploaded competition file with the command's loader (all or nothing); with
    ``dry_run`` everything is rolled back. Raises CompetitionFileError with the loader's
    messages, or one message for bytes that are not UTF-8 text."""
    if len(content) > MAX_BYTES:
        raise CompetitionFileError(
            [
                _("The file is too large (%(size)s KB). The limit is %(limit)s KB.")
                % {"size": f"{len(content) / 1024:,.0f}", "limit": f"{MAX_BYTES // 1024:,}"}
            ]
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CompetitionFileError(
            [_("The file is not UTF-8 text; save the competition file as UTF-8.")]
        ) from None
    name = Path(filename.replace("\\", "/")).name.strip() or "competition.toml"
    if not dry_run:
        return load_competition_text(text, name, actor)
    try:
        with transaction.atomic():
            raise _RolledBack(load_competition_text(text, name, actor))
    except _RolledBack as rolled_back:
        return rolled_back.result


def preview_competition_file(content: bytes, filename: str, actor=None) -> CompetitionPreview:
    result = load_competition_bytes(content, filename, actor, dry_run=True)
    competition = result.competition
    return CompetitionPreview(competition.slug, competition.name, result.created, list(result.changes))


def stage_competition_upload(uploaded_file, user) -> tuple[ImportUpload | None, list[str]]:
    """Check the file (a rolled-back load) and keep it for confirmation: (the upload, []) or, when
    the file is refused, (None, the loader's messages) and nothing is kept."""
    return stage_competition_file(uploaded_file.read(), uploaded_file.name, user)


def stage_competition_file(content: bytes, filename: str, user) -> tuple[ImportUpload | None, list[str]]:
    """``stage_competition_upload`` for bytes: an uploaded file's, or a document the settings
    forms wrote (``competition_export.to_toml``)."""
    filename = filename[:255]
    try:
        preview = preview_competition_file(content, filename, user)
    except CompetitionFileError as error:
        return None, error.messages
    upload = ImportUpload.objects.create(
        kind=ImportUpload.Kind.COMPETITION,
        competition=Competition.objects.filter(slug=preview.slug).first(),
        filename=filename,
        content=content,
        sha256=ImportUpload.digest(content),
        uploaded_by=user,
        summary={**preview.as_dict(), "errors": []},
    )
    return upload, []


def confirm_competition_upload(upload_id, sha256: str, user) -> tuple[ImportUpload, list[str]]:
    """Apply the previewed file: (the upload, []) once applied, or (the upload, the loader's
    messages) when the file no longer loads (the database changed since the preview; nothing is
    written). UploadRefused when it was already applied or is not the file previewed."""
    try:
        with audit_transaction():
            upload = ImportUpload.objects.select_for_update().get(
                pk=upload_id, kind=ImportUpload.Kind.COMPETITION
            )
            check_confirmable(upload, sha256)
            result = load_competition_bytes(bytes(upload.content), upload.filename, user)
            upload.state = ImportUpload.State.APPLIED
            upload.applied_at = timezone.now()
            upload.competition = result.competition
            upload.summary = {
                "slug": result.competition.slug,
                "name": result.competition.name,
                "created": result.created,
                "changes": list(result.changes),
                "errors": [],
            }
            upload.save(update_fields=["state", "applied_at", "competition", "summary"])
    except CompetitionFileError as error:
        upload = ImportUpload.objects.get(pk=upload_id)
        upload.summary = {**upload.summary, "errors": error.messages}
        upload.save(update_fields=["summary"])
        return upload, error.messages
    return upload, []
