"""What turns scores into a published result: bonus/penalty points, recorded draws and the
frozen publications (SPEC §4.4–§4.6, §6)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from proposals.models import AuditedModel, AuditedQuerySet


class Adjustment(AuditedModel):
    """가점/감점: added to the final score after aggregation, capped per competition."""

    proposal = models.ForeignKey(
        "proposals.Proposal", on_delete=models.CASCADE, related_name="adjustments", verbose_name=_("proposal")
    )
    points = models.DecimalField(_("points (+ bonus, − penalty)"), max_digits=5, decimal_places=2)
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    audit_competition_path = "proposal__competition_id"

    class Meta:
        verbose_name = _("bonus or penalty")
        verbose_name_plural = _("bonuses and penalties")
        ordering = ["proposal", "created_at"]

    def __str__(self):
        return f"{self.points:+} {self.proposal}"


class Draw(AuditedModel):
    """An official's recorded draw (추첨) among proposals no other rule separates: lower ``order``
    ranks first. Who, when and how are kept."""

    proposal = models.OneToOneField(
        "proposals.Proposal", on_delete=models.CASCADE, related_name="draw", verbose_name=_("proposal")
    )
    order = models.PositiveSmallIntegerField(_("order drawn"))
    method = models.CharField(_("how the draw was made"), max_length=300)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    audit_competition_path = "proposal__competition_id"

    class Meta:
        verbose_name = _("draw")
        verbose_name_plural = _("draws")
        ordering = ["proposal"]

    def __str__(self):
        return f"{self.proposal}: {self.order}"


class FrozenQuerySet(AuditedQuerySet):
    """Publications are created (audited, with their digest: the chain holds it) and never
    changed or deleted; a PostgreSQL deployment also revokes UPDATE and DELETE (README)."""

    def update(self, **kwargs):
        raise ValidationError(_("A publication is never changed; publish a correction instead."))

    def delete(self):
        raise ValidationError(_("A publication is never deleted; publish a correction instead."))

    def bulk_update(self, objs, fields, batch_size=None):
        raise ValidationError(_("A publication is never changed; publish a correction instead."))

    def upsert(self, objs, *, unique_fields, update_fields):
        raise ValidationError(_("A publication is never changed; publish a correction instead."))

    delete.alters_data = True
    delete.queryset_only = True


class Publication(AuditedModel):
    """A frozen, verifiable result: the inputs and outcome of the ranking with their SHA-256.

    Never edited or deleted; a correction is a new publication that supersedes the old one.
    """

    competition = models.ForeignKey(
        "proposals.Competition",
        on_delete=models.PROTECT,
        related_name="publications",
        verbose_name=_("competition"),
    )
    number = models.PositiveSmallIntegerField(_("number"))
    snapshot = models.JSONField(_("snapshot"))
    digest = models.CharField(_("SHA-256"), max_length=64)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("published by")
    )
    published_at = models.DateTimeField(_("published"), auto_now_add=True)
    supersedes = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_by",
        verbose_name=_("supersedes"),
    )
    override_reason = models.TextField(
        _("reason for publishing with sheets outstanding"),
        blank=True,
    )

    objects = FrozenQuerySet.as_manager()  # no update() or delete() of a queryset either
    audit_competition_path = "competition_id"
    audit_exclude = ("snapshot",)  # its digest is in the entry; the snapshot is in the row

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["competition", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "number"], name="publication_number_unique"),
        ]

    def __str__(self):
        return f"{self.competition} #{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(_("A publication is never changed; publish a correction instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("A publication is never deleted; publish a correction instead."))
