"""What turns scores into a published result: bonus/penalty points, recorded draws and the
frozen publications (SPEC §4.4–§4.6, §6)."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from proposals.models import AuditedModel, AuditedQuerySet

from ..rules import plain_number

# The largest absolute value of an adjustment's points or an item's max (max_digits=5, decimal_places=2).
POINTS_LIMIT = Decimal("999.99")


class AdjustmentItemQuerySet(AuditedQuerySet):
    def update(self, **kwargs):
        if "max_points" not in kwargs:
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            for item in self.model._base_manager.using(self.db).filter(pk__in=pks):
                item.check_recorded()  # refused: the update above is rolled back
        return count

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        if "max_points" in fields:
            for obj in objs:
                obj.check_recorded()
        return super().bulk_update(objs, fields, batch_size=batch_size)


class AdjustmentItem(AuditedModel):
    """A typed 가점·감점 항목 of a competition (SPEC §8.4): a bonus of 0..max, or with a negative
    max a penalty of max..0. A proposal holds at most one value per item."""

    competition = models.ForeignKey(
        "proposals.Competition",
        on_delete=models.CASCADE,
        related_name="adjustment_items",
        verbose_name=_("competition"),
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    max_points = models.DecimalField(
        _("most points (negative: a penalty)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(-POINTS_LIMIT), MaxValueValidator(POINTS_LIMIT)],
        help_text=_("2 allows a bonus of 0 to 2; -1.5 allows a penalty of -1.5 to 0."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = AdjustmentItemQuerySet.as_manager()
    audit_competition_path = "competition_id"

    class Meta:
        verbose_name = _("bonus or penalty item")
        verbose_name_plural = _("bonus and penalty items")
        ordering = ["competition", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "code"], name="adjustment_item_code_unique"),
            models.CheckConstraint(condition=~models.Q(max_points=0), name="adjustment_item_max_not_zero"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.max_points == 0:
            raise ValidationError({"max_points": _("Enter a bonus above 0 or a penalty below 0.")})
        self.check_recorded()

    def save(self, *args, **kwargs):
        self.check_recorded()
        super().save(*args, **kwargs)

    def values_outside(self, max_points: Decimal):
        """The recorded values of this item a range up to ``max_points`` would not hold."""
        if self.pk is None:
            return Adjustment.objects.none()
        return self.adjustments.exclude(points__gte=min(max_points, 0), points__lte=max(max_points, 0))

    def check_recorded(self) -> None:
        """Refuse a range that leaves out a value already recorded (change or delete it first)."""
        if self.max_points is None or self.max_points == 0:
            return
        outside = self.values_outside(self.max_points).order_by("pk").values_list("points", flat=True)
        if outside:
            raise ValidationError(
                {
                    "max_points": _(
                        "%(count)s recorded value(s) lie outside this range (e.g. %(points)s); "
                        "change or delete them first."
                    )
                    % {"count": len(outside), "points": plain_number(outside[0])}
                },
                code="recorded_outside",
            )

    @property
    def is_penalty(self) -> bool:
        return self.max_points < 0

    @property
    def low(self) -> Decimal:
        return min(self.max_points, Decimal(0))

    @property
    def high(self) -> Decimal:
        return max(self.max_points, Decimal(0))

    def range_text(self) -> str:
        return f"{plain_number(self.low)}~{plain_number(self.high)}"

    def problem(self, points: Decimal) -> str | None:
        """Why ``points`` cannot be this item's value (outside its range), or None."""
        if self.low <= points <= self.high:
            return None
        return _("%(item)s allows %(range)s points (got %(points)s).") % {
            "item": self.name,
            "range": self.range_text(),
            "points": plain_number(points),
        }


class AdjustmentQuerySet(AuditedQuerySet):
    """Every path that writes points checks them against their item's range (SPEC §8.4): save(),
    create(), bulk_create(), update() and bulk_update() refuse with ValidationError before (or,
    for update(), instead of) writing."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.check_item()
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        if not {"points", "item", "item_id", "proposal", "proposal_id"} & kwargs.keys():
            return super().update(**kwargs)
        with transaction.atomic(using=self.db):
            pks = list(self.values_list("pk", flat=True))
            count = super().update(**kwargs)
            for adjustment in (
                self.model._base_manager.using(self.db).filter(pk__in=pks).select_related("item", "proposal")
            ):
                adjustment.check_item()  # refused: the update above is rolled back
        return count

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        for obj in objs:
            obj.check_item()
        return super().bulk_update(objs, fields, batch_size=batch_size)


class Adjustment(AuditedModel):
    """가점/감점: added to the final score after aggregation, capped per competition. With an item
    (SPEC §8.4) the points lie in the item's range and the proposal holds one value per item;
    without one it is an official's free entry (non-zero)."""

    proposal = models.ForeignKey(
        "proposals.Proposal", on_delete=models.CASCADE, related_name="adjustments", verbose_name=_("proposal")
    )
    item = models.ForeignKey(
        AdjustmentItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustments",
        verbose_name=_("item"),
    )
    points = models.DecimalField(_("points (+ bonus, − penalty)"), max_digits=5, decimal_places=2)
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(  # empty: written by import_adjustments (the command line)
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    objects = AdjustmentQuerySet.as_manager()
    audit_competition_path = "proposal__competition_id"

    class Meta:
        verbose_name = _("bonus or penalty")
        verbose_name_plural = _("bonuses and penalties")
        ordering = ["proposal", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "item"],
                condition=models.Q(item__isnull=False),
                name="adjustment_one_per_item",
            ),
            models.CheckConstraint(
                condition=models.Q(item__isnull=False) | ~models.Q(points=0), name="adjustment_free_not_zero"
            ),
        ]

    def __str__(self):
        return f"{self.points:+} {self.proposal}"

    def check_item(self) -> None:
        """Refuse points outside the item's range, or an item of another competition."""
        if self.item_id is None or self.points is None:
            return
        item = self.item
        if self.proposal_id is not None and item.competition_id != self.proposal.competition_id:
            raise ValidationError(
                {"item": _("This item belongs to another competition.")}, code="item_competition"
            )
        problem = item.problem(self.points)
        if problem:
            raise ValidationError({"points": problem}, code="item_range")

    def clean(self):
        super().clean()
        self.check_item()

    def save(self, *args, **kwargs):
        self.check_item()
        super().save(*args, **kwargs)


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
