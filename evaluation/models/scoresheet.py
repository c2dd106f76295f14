"""A reviewer's scoresheet for one assignment, and its scores per criterion."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from proposals.models import AuditedModel, AuditedQuerySet

from .panel import conflicts_of_pair


def counts(sheet: str = "", assignment: str = "assignment__") -> models.Q:
    """The rule of a sheet that counts (SPEC §4.2): submitted, and never a conflicted reviewer's
    (SPEC §3). ``sheet`` and ``assignment`` are the paths from the outer row to the sheet and to
    its assignment: from a sheet the defaults, from an assignment ``counts("sheet__", "")``."""
    return models.Q(**{f"{sheet}status": Scoresheet.Status.SUBMITTED}) & ~models.Exists(
        conflicts_of_pair(assignment)
    )


class ScoresheetQuerySet(AuditedQuerySet):
    def counted(self):
        """Sheets that count (``counts``)."""
        return self.filter(counts())


class Scoresheet(AuditedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", pgettext_lazy("scoresheet", "Submitted")  # 제출 (a proposal's is 접수)

    assignment = models.OneToOneField(
        "evaluation.Assignment", on_delete=models.PROTECT, related_name="sheet", verbose_name=_("assignment")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    total = models.DecimalField(
        _("total"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Stored when the sheet is submitted."),
    )
    comment = models.TextField(_("overall comment"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # An official's last reopening (SPEC §2): when, why, and the publication in force then. A
    # publication closes every sheet (``evaluation.sheets``) except one reopened after it.
    reopened_at = models.DateTimeField(_("reopened"), null=True, blank=True)
    reopen_reason = models.TextField(_("reason for reopening"), blank=True)
    reopened_after = models.ForeignKey(
        "evaluation.Publication",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reopened after publication"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ScoresheetQuerySet.as_manager()
    audit_competition_path = "assignment__stage__competition_id"

    class Meta:
        verbose_name = _("scoresheet")
        verbose_name_plural = _("scoresheets")
        ordering = ["assignment"]

    def __str__(self):
        return f"{self.assignment} ({self.get_status_display()})"

    def audit_competition_id(self):
        return self.assignment.stage.competition_id

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class Score(AuditedModel):
    sheet = models.ForeignKey(
        Scoresheet, on_delete=models.CASCADE, related_name="scores", verbose_name=_("scoresheet")
    )
    criterion = models.ForeignKey(
        "evaluation.Criterion", on_delete=models.PROTECT, related_name="scores", verbose_name=_("criterion")
    )
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2, null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    audit_competition_path = "sheet__assignment__stage__competition_id"

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["sheet", "criterion__order"]
        constraints = [models.UniqueConstraint(fields=["sheet", "criterion"], name="score_unique")]

    def __str__(self):
        return f"{self.criterion.code}: {self.points}"

    def audit_competition_id(self):
        # Without it a score's changes were left out of the proposal's audit trail, which lists
        # one competition's entries. ``evaluation.sheets`` hands the sheet its loaded assignment.
        return self.sheet.assignment.stage.competition_id
