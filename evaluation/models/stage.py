"""Stages of evaluation (서면평가, 발표평가 …) and their rubrics of criteria."""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from proposals.models import AuditedModel


class Stage(AuditedModel):
    competition = models.ForeignKey(
        "proposals.Competition",
        on_delete=models.CASCADE,
        related_name="stages",
        verbose_name=_("competition"),
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    weight = models.DecimalField(
        _("weight (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Only when the final score is a weighted sum of stage scores."),
    )
    advance_top_multiple = models.DecimalField(
        _("advance the top k × slots"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    advance_cutoff = models.DecimalField(
        _("advance at or above this score"), max_digits=6, decimal_places=2, null=True, blank=True
    )

    audit_competition_path = "competition_id"

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["competition", "order"]
        constraints = [models.UniqueConstraint(fields=["competition", "code"], name="stage_code_unique")]

    def __str__(self):
        return self.name

    @property
    def is_first(self) -> bool:
        return not self.competition.stages.filter(order__lt=self.order).exists()

    def previous(self):
        return self.competition.stages.filter(order__lt=self.order).order_by("-order").first()


class Rubric(AuditedModel):
    """The criteria of a stage; a rubric with no tracks applies to every track."""

    stage = models.ForeignKey(
        Stage, on_delete=models.CASCADE, related_name="rubrics", verbose_name=_("stage")
    )
    tracks = models.ManyToManyField(
        "proposals.Track", blank=True, related_name="rubrics", verbose_name=_("tracks")
    )

    audit_competition_path = "stage__competition_id"

    class Meta:
        verbose_name = _("rubric")
        verbose_name_plural = _("rubrics")

    def __str__(self):
        return f"{self.stage} ({self.pk})"


class Criterion(AuditedModel):
    rubric = models.ForeignKey(
        Rubric, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("rubric")
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    max_points = models.DecimalField(
        _("max points"), max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    step = models.DecimalField(_("step"), max_digits=4, decimal_places=2, default=Decimal("0.5"))
    tie_break_priority = models.PositiveSmallIntegerField(
        _("tie-break priority"),
        null=True,
        blank=True,
        help_text=_("1 is asked first; empty: not a tie-break."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    audit_competition_path = "rubric__stage__competition_id"

    class Meta:
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        ordering = ["rubric", "order"]
        constraints = [models.UniqueConstraint(fields=["rubric", "code"], name="criterion_code_unique")]

    def __str__(self):
        return f"{self.code} {self.name}"
