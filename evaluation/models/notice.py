"""Notices sent to reviewers by e-mail: each one logged, with whom it went to, what
it was about, when and by whom; ``evaluation.notices`` writes and sends them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from proposals.models import AuditedModel


class Notice(AuditedModel):
    """One e-mail to one reviewer: an assignment notice, a reminder of sheets owed, or a reopened
    sheet with the official's reason. Created in the transaction of what it reports and sent after
    that commits (never for a change rolled back); ``key`` keeps a double click or a repeated
    command from sending it twice (``evaluation.notices``)."""

    class Kind(models.TextChoices):
        ASSIGNMENT = "assignment", _("Assignment notice")
        REMINDER = "reminder", _("Reminder of sheets owed")
        REOPENED = "reopened", _("Sheet reopened")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Not delivered")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    reviewer = models.ForeignKey(
        "evaluation.Reviewer", on_delete=models.PROTECT, related_name="notices", verbose_name=_("reviewer")
    )
    recipient = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    competition = models.ForeignKey(
        "proposals.Competition",
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name=_("competition"),
    )
    stage = models.ForeignKey(
        "evaluation.Stage",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notices",
        verbose_name=_("stage"),
    )
    # What the notice is about: the new assignments, the sheets owed, the sheet reopened.
    assignments = models.ManyToManyField(
        "evaluation.Assignment", related_name="notices", blank=True, verbose_name=_("assignments")
    )
    key = models.CharField(_("idempotency key"), max_length=200, db_index=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )
    created_at = models.DateTimeField(_("queued"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    error = models.TextField(_("delivery error"), blank=True)

    audit_competition_path = "competition_id"

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["competition", "stage", "-created_at"], name="notice_stage_recent")]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.reviewer.name} ({self.created_at:%Y-%m-%d %H:%M:%S})"
