"""An uploaded file awaiting confirmation, kept in the database (no app-server disk): a spreadsheet
(applicants, reviewers, scores of a stage), a competition file (TOML), or a zip of proposal
documents (``proposals.documents.bundles``)."""

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportUpload(models.Model):
    class Kind(models.TextChoices):
        PROPOSALS = "proposals", _("Applicants")
        DOCUMENTS = "documents", _("Proposal documents (zip)")
        REVIEWERS = "reviewers", _("Reviewers")
        SCORES = "scores", _("Scores")
        COMPETITION = "competition", _("Competition file (TOML)")

    class State(models.TextChoices):
        PREVIEWED = "previewed", _("Awaiting confirmation")
        APPLIED = "applied", _("Applied")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    competition = models.ForeignKey(
        "proposals.Competition",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="uploads",
        verbose_name=_("competition"),
    )
    # The stage whose sheets a score spreadsheet holds (its code: proposals knows no stages).
    stage_code = models.CharField(_("stage code"), max_length=40, blank=True)
    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PREVIEWED)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    class Meta:
        verbose_name = _("uploaded spreadsheet")
        verbose_name_plural = _("uploaded spreadsheets")
        ordering = ["-uploaded_at"]

    def __str__(self):
        return self.filename

    @staticmethod
    def digest(content: bytes) -> str:
        return hashlib.sha256(content).hexdigest()

    def content_matches_digest(self) -> bool:
        return self.digest(bytes(self.content)) == self.sha256


class ImportProgress(models.Model):
    """How far a running import is, for the page that waits for it (SPEC §5).

    The importing request writes it in tiny autocommit writes while it reads and checks the rows
    (no transaction is open then: ``proposals.importing.engine``), and the page polls it through
    any app server. Its id is the token the upload or confirm form was rendered with, so the page
    knows where to look before the request has answered. Not audited: it records nothing but the
    progress of a request, and is deleted a day later."""

    class Phase(models.TextChoices):
        OPENING = "opening", _("Opening the file")
        READING = "reading", _("Reading and checking rows")
        CHECKING = "checking", _("Summing up the check")
        WRITING = "writing", _("Writing")
        DONE = "done", _("Done")

    id = models.UUIDField(primary_key=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    phase = models.CharField(_("phase"), max_length=16, choices=Phase.choices, default=Phase.OPENING)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_total = models.PositiveIntegerField(_("rows in the file"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("import progress")
        verbose_name_plural = _("import progress")

    def __str__(self):
        return f"{self.phase} {self.rows_read}/{self.rows_total}"
