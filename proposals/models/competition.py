"""A competition (공모), its categories (사업 유형) and tracks, with the rules' settings."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import connection, models
from django.db.transaction import TransactionManagementError
from django.utils.translation import gettext_lazy as _

from .audited import AuditedModel

MAX_RATIO_DECIMALS = 2  # SPEC §8.5
# SPEC §8.3: the tie-break chain, its elements joined by commas (the file writes a list).
DEFAULT_TIE_BREAK = "criteria,subsidy"
_TIE_BREAK_ELEMENT = r"(criteria|subsidy|criteria:[-a-zA-Z0-9_]+|stage:[-a-zA-Z0-9_]+)"
TIE_BREAK_PATTERN = rf"^{_TIE_BREAK_ELEMENT}(,{_TIE_BREAK_ELEMENT})*$"
# Issue 13: the appeal window (이의신청 기간) and the advisory analysis's bootstrap settings.
DEFAULT_APPEAL_DAYS, MAX_APPEAL_DAYS = 7, 90
DEFAULT_ANALYSIS_ROUNDS, MAX_ANALYSIS_ROUNDS = 1000, 100_000
# evaluation.analysis.DEFAULT_SEED (this app imports nothing of evaluation; a test keeps them equal).
DEFAULT_ANALYSIS_SEED, MAX_ANALYSIS_SEED = 20231, 2**31 - 1


def tie_break_problem(elements: list[str], stage_codes: set[str]) -> str | None:
    """Why a tie-break chain (SPEC §8.3) cannot be used with these stages, or None: an element
    named twice, or a stage the competition does not have."""
    if len(set(elements)) < len(elements):
        return _("An element of the tie-break chain is named twice.")
    for element in elements:
        _kind, _sep, stage = element.partition(":")
        if stage and stage not in stage_codes:
            return _("The tie-break chain names stage '%(stage)s', which this competition does not have.") % {
                "stage": stage
            }
    return None


class Competition(AuditedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Preparing")
        OPEN = "open", _("Accepting applications")
        REVIEWING = "reviewing", _("Under review")
        PUBLISHED = "published", _("Results published")

    class FinalScore(models.TextChoices):
        LAST = "last", _("Last stage's score")
        WEIGHTED = "weighted", _("Weighted sum of stage scores")

    slug = models.SlugField(_("identifier"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    # SPEC §8.5: the ministry running the competition, named on every page of it, the
    # announcement and the exports; blank: the site's ORGANIZATION_NAME setting.
    organization = models.CharField(
        _("organization"),
        max_length=100,
        blank=True,
        help_text=_("The ministry or agency running the competition. Empty: the site's organization."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Scoring rules (SPEC §4); defaults are those of SPEC §6.
    minimum_score = models.DecimalField(
        _("minimum score"),
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Proposals below this final score are not selected. Empty: no minimum."),
    )
    trim_min_reviewers = models.PositiveSmallIntegerField(
        _("reviewers needed to drop highest/lowest"), default=5
    )
    trim_count = models.PositiveSmallIntegerField(_("highest/lowest totals dropped"), default=1)
    adjustment_cap = models.DecimalField(
        _("cap on bonus/penalty points"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("5"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    reserve = models.PositiveSmallIntegerField(_("reserves per quota"), default=1)
    final_score = models.CharField(
        _("final score"), max_length=16, choices=FinalScore.choices, default=FinalScore.LAST
    )
    # SPEC §8.5: decimals of the announced competition ratio (0–2; trailing zeros dropped).
    ratio_decimals = models.PositiveSmallIntegerField(
        _("decimals of the competition ratio"),
        default=1,
        validators=[MaxValueValidator(MAX_RATIO_DECIMALS)],
        help_text=_("0 to 2: 187 applicants for 50 slots are 3.7:1 with 1 and 3.74:1 with 2."),
    )
    # SPEC §8.2: at most this many selected per 광역 in one selection group (a category's own wins).
    max_per_province = models.PositiveSmallIntegerField(
        _("most selected per province"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("In one track (or a category pooling its slots). Empty: no limit."),
    )
    # Issue 13: the analysis flags a reviewer or sheet that differs from the others by more than
    # this share (in %) of the stage's maximum total (조달청 practice: 10 %). Advisory only.
    deviation_threshold = models.DecimalField(
        _("deviation threshold (percent of the stage's maximum total)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
        help_text=_(
            "The evaluation analysis flags a reviewer or a sheet that differs from the others by more "
            "than this share of the stage's maximum total. It changes no score."
        ),
    )
    # Issue 13: applicants may file an appeal (이의신청) within this many days of a publication.
    appeal_days = models.PositiveSmallIntegerField(
        _("days for appeals after publication"),
        default=DEFAULT_APPEAL_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_APPEAL_DAYS)],
        help_text=_("1 to 90: applicants may file an appeal within this many days of a publication."),
    )
    # Issue 13: the advisory analysis resamples each proposal's sheets this many times, from this
    # seed, so a run is reproducible (``analyze`` and the officials' analysis page).
    analysis_rounds = models.PositiveIntegerField(
        _("bootstrap rounds of the evaluation analysis"),
        default=DEFAULT_ANALYSIS_ROUNDS,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_ANALYSIS_ROUNDS)],
        help_text=_("1 to 100000: how many times the analysis resamples each proposal's sheets."),
    )
    analysis_seed = models.PositiveIntegerField(
        _("seed of the evaluation analysis"),
        default=DEFAULT_ANALYSIS_SEED,
        validators=[MaxValueValidator(MAX_ANALYSIS_SEED)],
        help_text=_("0 to 2147483647: the same seed and rounds give the same analysis."),
    )
    tie_break = models.CharField(
        _("tie-break chain"),
        max_length=200,
        default=DEFAULT_TIE_BREAK,
        validators=[
            RegexValidator(
                TIE_BREAK_PATTERN,
                _(
                    "Write the chain as criteria, subsidy, criteria:STAGE or stage:STAGE, separated by commas."
                ),
            )
        ],
        help_text=_(
            "What separates proposals equal at two decimals, in order; a recorded draw always comes last. "
            "Elements: criteria (the last stage's tie-break criteria), criteria:STAGE, stage:STAGE (that "
            "stage's score), subsidy (the lower requested national subsidy first)."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    audit_competition_path = "id"

    class Meta:
        verbose_name = _("competition")
        verbose_name_plural = _("competitions")
        ordering = ["-year", "slug"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ratio_decimals__lte=MAX_RATIO_DECIMALS),
                name="competition_ratio_decimals_at_most_2",
            ),
            models.CheckConstraint(
                condition=models.Q(max_per_province__gte=1), name="competition_max_per_province_at_least_1"
            ),
            models.CheckConstraint(
                condition=models.Q(tie_break__regex=TIE_BREAK_PATTERN), name="competition_tie_break_chain"
            ),
            models.CheckConstraint(
                condition=models.Q(deviation_threshold__gt=0, deviation_threshold__lte=100),
                name="competition_deviation_threshold_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(appeal_days__gte=1, appeal_days__lte=MAX_APPEAL_DAYS),
                name="competition_appeal_days_1_to_90",
            ),
            models.CheckConstraint(
                condition=models.Q(analysis_rounds__gte=1, analysis_rounds__lte=MAX_ANALYSIS_ROUNDS),
                name="competition_analysis_rounds_1_to_100000",
            ),
            models.CheckConstraint(
                condition=models.Q(analysis_seed__gte=0, analysis_seed__lte=MAX_ANALYSIS_SEED),
                name="competition_analysis_seed_31_bits",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.pk is not None and self.tie_break:
            # The stages of ``evaluation`` (related name "stages"), read through the reverse
            # relation: this app imports nothing of the evaluation app.
            problem = tie_break_problem(
                self.tie_break.split(","), set(self.stages.values_list("code", flat=True))
            )
            if problem:
                raise ValidationError({"tie_break": problem})

    @property
    def organization_name(self) -> str:
        """The organization shown for this competition (SPEC §8.5)."""
        return self.organization or settings.ORGANIZATION_NAME


def lock_competition_shared(competition_id) -> None:
    """Hold a share lock on the competition's row until the transaction ends.

    Changes that feed a publication (saving, submitting or reopening a scoresheet) take it, so
    they run side by side with each other but never interleave with ``publish`` (or an import),
    which take the row ``FOR UPDATE``: a publication waits for the submissions in progress and
    then reads a state no submission can change before it commits; a submission that arrives
    during a publication waits for it. PostgreSQL: ``SELECT … FOR SHARE`` (Django has no
    queryset for it). Other databases with row locks get an exclusive lock (correct, but one
    change at a time); SQLite serialises every write transaction already.
    """
    if not connection.in_atomic_block:
        raise TransactionManagementError("lock_competition_shared() outside a transaction locks nothing.")
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        table, column = quote(Competition._meta.db_table), quote(Competition._meta.pk.column)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE {column} = %s FOR SHARE", [competition_id])
    elif connection.features.has_select_for_update:
        Competition.objects.select_for_update().filter(pk=competition_id).exists()


class Category(AuditedModel):
    """사업 유형: the unit a competition ratio is announced for."""

    competition = models.ForeignKey(
        Competition,
        on_delete=models.CASCADE,
        related_name="categories",
        verbose_name=_("competition"),
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    slots = models.PositiveSmallIntegerField(
        _("pooled slots"),
        null=True,
        blank=True,
        help_text=_("A quota shared by all tracks of the category (then tracks have none)."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    max_per_province = models.PositiveSmallIntegerField(
        _("most selected per province"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("For this category's rankings, instead of the competition's. Empty: the competition's."),
    )

    audit_competition_path = "competition_id"

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["competition", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "code"], name="category_code_unique"),
            models.CheckConstraint(
                condition=models.Q(max_per_province__gte=1), name="category_max_per_province_at_least_1"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def pools_slots(self) -> bool:
        return self.slots is not None


def track_display_name(category_name: str, track_name: str) -> str:
    """How a track is named where its category matters: "강소형 · 기후위기 대응형", or the track's
    own name where the category is named the same (거점형)."""
    return track_name if track_name == category_name else f"{category_name} · {track_name}"


class Track(AuditedModel):
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="tracks", verbose_name=_("category")
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    slots = models.PositiveSmallIntegerField(_("slots"), null=True, blank=True)
    subsidy = models.DecimalField(
        _("national subsidy per project (100M KRW)"), max_digits=10, decimal_places=2
    )
    matching_ratio = models.DecimalField(
        _("local matching ratio"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.0"),
        help_text=_("Local matching per unit of national subsidy (1.0 = 1:1)."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    audit_competition_path = "category__competition_id"

    class Meta:
        verbose_name = _("track")
        verbose_name_plural = _("tracks")
        ordering = ["category__competition", "category__order", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="track_code_unique"),
        ]

    @property
    def display_name(self) -> str:
        return track_display_name(self.category.name, self.name)

    def __str__(self):
        return self.name
