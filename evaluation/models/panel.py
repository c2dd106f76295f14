"""Panels, assignments of reviewers to proposals, conflicts of interest and security pledges."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from proposals.models import AuditedModel, AuditedQuerySet, Proposal

from .appeal import refuse_committee_members
from .conflict import Conflict, refuse_conflicted
from .result import Publication


class Panel(AuditedModel):
    stage = models.ForeignKey(
        "evaluation.Stage", on_delete=models.CASCADE, related_name="panels", verbose_name=_("stage")
    )
    name = models.CharField(_("name"), max_length=100)
    tracks = models.ManyToManyField("proposals.Track", related_name="panels", verbose_name=_("tracks"))
    members = models.ManyToManyField(
        "evaluation.Reviewer", related_name="panels", verbose_name=_("members"), blank=True
    )

    audit_competition_path = "stage__competition_id"

    class Meta:
        verbose_name = _("panel")
        verbose_name_plural = _("panels")
        ordering = ["stage", "name"]
        constraints = [
            # A panel is named on the command line and the pages by its stage and name.
            models.UniqueConstraint(fields=["stage", "name"], name="panel_name_unique_in_stage"),
        ]

    def __str__(self):
        return self.name

    def audit_competition_id(self):
        return self.stage.competition_id


# --- The conflict guard (SPEC §3) --------------------------------------------------------------
# No path creates or confirms a conflicted assignment: save(), create(), get_or_create(),
# bulk_create(), update() and bulk_update() all run the one conflict check
# (evaluation.assignments.conflicts_between) when they create an assignment, change its pair or
# confirm "no conflict", and refuse with ``ConflictOfInterest`` before anything is written.
# The admin's form gets the same check through clean(). Other changes to an existing assignment
# (a conflict that appeared later leaves it in place, reported) are not refused.

_PAIR_FIELDS = ("stage_id", "proposal_id", "reviewer_id")
_GUARDED_FIELDS = {"stage", "stage_id", "proposal", "proposal_id", "reviewer", "reviewer_id"}


def conflicts_of_pair(prefix: str = ""):
    """Conflicts recorded between the reviewer and the proposal of the outer row (an assignment, or
    with ``prefix="assignment__"`` a sheet)."""
    return Conflict.objects.filter(
        proposal_id=models.OuterRef(f"{prefix}proposal_id"),
        reviewer_id=models.OuterRef(f"{prefix}reviewer_id"),
    )


def _refuse_conflicted(pairs) -> None:
    pairs = list(pairs)
    refuse_conflicted(pairs)
    refuse_committee_members(pairs)


class AssignmentQuerySet(AuditedQuerySet):
    def with_conflict_flag(self):
        """Each assignment annotated with ``conflicted``: a conflict is recorded between its reviewer
        and its proposal (SPEC §3; such a reviewer's sheet never counts)."""
        return self.annotate(conflicted=models.Exists(conflicts_of_pair()))

    def unconflicted(self):
        """Assignments whose reviewer has no recorded conflict on the proposal (SPEC §3)."""
        return self.exclude(models.Exists(conflicts_of_pair()))

    def owed(self, competition):
        """The sheets a reviewer still owes (SPEC §8.6): assigned, unconflicted, the proposal
        eligible (submitted), the sheet not submitted — and once the result is published, only a
        sheet reopened after the latest publication (a publication closes the others,
        ``evaluation.sheets``)."""
        publications = Publication.objects.filter(competition=competition)
        latest = publications.order_by("-number").values("pk")[:1]
        return (
            self.filter(stage__competition=competition, proposal__status=Proposal.Status.SUBMITTED)
            .unconflicted()
            .exclude(sheet__status="submitted")  # Scoresheet.Status.SUBMITTED (its module imports this one)
            .filter(~models.Exists(publications) | models.Q(sheet__reopened_after_id=models.Subquery(latest)))
        )

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        _refuse_conflicted([obj.conflict_pair() for obj in objs])
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        confirming = kwargs.get("no_conflict_confirmed_at") is not None
        if not (_GUARDED_FIELDS & kwargs.keys() or confirming):
            return super().update(**kwargs)
        fields = ("pk", *_PAIR_FIELDS, "no_conflict_confirmed_at")
        with transaction.atomic(using=self.db):
            before = {row[0]: row for row in self.values_list(*fields)}
            count = super().update(**kwargs)
            after = self.model._base_manager.using(self.db).filter(pk__in=list(before)).values_list(*fields)
            _refuse_conflicted(
                [
                    (row[2], row[3])
                    for row in after
                    if row[1:4] != before[row[0]][1:4] or (row[4] is not None and before[row[0]][4] is None)
                ]
            )  # refused: the update above is rolled back
        return count

    def bulk_update(self, objs, fields, batch_size=None):
        objs = list(objs)
        if _GUARDED_FIELDS & set(fields) or "no_conflict_confirmed_at" in fields:
            stored = {
                row[0]: row[1:]
                for row in self.model._base_manager.using(self.db)
                .filter(pk__in=[obj.pk for obj in objs])
                .values_list("pk", *_PAIR_FIELDS, "no_conflict_confirmed_at")
            }
            _refuse_conflicted(
                [obj.conflict_pair() for obj in objs if obj.conflict_check_due(stored.get(obj.pk), fields)]
            )
        return super().bulk_update(objs, fields, batch_size=batch_size)


class Assignment(AuditedModel):
    class Source(models.TextChoices):
        PANEL = "panel", _("Panel")
        DRAW = "draw", _("Drawn by the assign command")
        IMPORT = "import", _("Score import")

    stage = models.ForeignKey(
        "evaluation.Stage", on_delete=models.CASCADE, related_name="assignments", verbose_name=_("stage")
    )
    proposal = models.ForeignKey(
        "proposals.Proposal", on_delete=models.CASCADE, related_name="assignments", verbose_name=_("proposal")
    )
    reviewer = models.ForeignKey(
        "evaluation.Reviewer",
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("reviewer"),
    )
    panel = models.ForeignKey(
        Panel,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("panel"),
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.PANEL)
    no_conflict_confirmed_at = models.DateTimeField(_("no conflict confirmed"), null=True, blank=True)
    created_at = models.DateTimeField(_("assigned"), auto_now_add=True)

    objects = AssignmentQuerySet.as_manager()
    audit_competition_path = "stage__competition_id"

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["stage", "proposal", "reviewer"]
        constraints = [
            models.UniqueConstraint(fields=["stage", "proposal", "reviewer"], name="assignment_unique"),
        ]

    def __str__(self):
        return f"{self.reviewer} → {self.proposal}"

    def audit_competition_id(self):
        return self.stage.competition_id

    # --- the conflict guard (see above) ---------------------------------------------------
    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._stored_pair = instance._pair_state()
        return instance

    def _pair_state(self):
        """(stage id, proposal id, reviewer id, confirmed at) as loaded; None if any was deferred."""
        names = (*_PAIR_FIELDS, "no_conflict_confirmed_at")
        if any(name not in self.__dict__ for name in names):
            return None
        return tuple(self.__dict__[name] for name in names)

    def conflict_pair(self) -> tuple:
        """(proposal, reviewer) for the conflict check: the instances when loaded, else their ids."""
        proposal = self.proposal if Assignment.proposal.is_cached(self) else self.proposal_id
        reviewer = self.reviewer if Assignment.reviewer.is_cached(self) else self.reviewer_id
        return proposal, reviewer

    def conflict_check_due(self, stored, fields=None) -> bool:
        """Whether saving ``fields`` (None: all) creates the assignment, changes its pair or confirms
        "no conflict", compared with ``stored`` (the row as in the database, None: new)."""
        if self._state.adding or stored is None:
            return True
        names = {self._meta.get_field(name).attname for name in fields} if fields is not None else None
        current = (self.stage_id, self.proposal_id, self.reviewer_id, self.no_conflict_confirmed_at)
        for index, name in enumerate(_PAIR_FIELDS):
            if (names is None or name in names) and current[index] != stored[index]:
                return True
        confirming = names is None or "no_conflict_confirmed_at" in names
        return confirming and current[3] is not None and stored[3] is None

    def clean(self):
        super().clean()
        complete = self.proposal_id and self.reviewer_id and self.stage_id
        if complete and self.conflict_check_due(getattr(self, "_stored_pair", None)):
            _refuse_conflicted([self.conflict_pair()])

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if self.conflict_check_due(getattr(self, "_stored_pair", None), update_fields):
            _refuse_conflicted([self.conflict_pair()])
        super().save(*args, **kwargs)
        self._stored_pair = self._pair_state()


# --- The record of a draw (조달청·IRIS practice) ----------------------------------------------
# Every draw of reviewers for a proposal is recorded once and never changed: the seed, the seats
# to fill, the panel(s) drawn from, the members left out and why, the candidate list (3 × the
# seats, in the order the seats are filled from) and who was chosen (evaluation.assignments).

REVIEWER_DRAW_FROZEN = _("A record of a reviewer draw is never changed or deleted.")


class ReviewerDrawQuerySet(AuditedQuerySet):
    def update(self, **kwargs):
        raise ValidationError(REVIEWER_DRAW_FROZEN)

    def delete(self):
        raise ValidationError(REVIEWER_DRAW_FROZEN)

    def bulk_update(self, objs, fields, batch_size=None):
        raise ValidationError(REVIEWER_DRAW_FROZEN)

    def upsert(self, objs, *, unique_fields, update_fields):
        raise ValidationError(REVIEWER_DRAW_FROZEN)

    delete.alters_data = True
    delete.queryset_only = True


class ReviewerDraw(AuditedModel):
    """One proposal's draw: ``candidates`` and ``exclusions`` are lists of
    ``{"reviewer": id, "name": …}`` (candidates with ``load`` and ``lot``: the assignments the
    member held and the member's place in the seeded random order; exclusions with ``reason`` —
    "conflict" or "assigned" — and ``detail``), ``chosen`` the reviewer ids assigned, ``panels``
    ``{"id": …, "name": …}`` of the panel(s) drawn from. Append-only, like the audit trail."""

    class Exclusion(models.TextChoices):
        CONFLICT = "conflict", _("Conflict of interest")
        ASSIGNED = "assigned", _("Already assigned to this proposal")

    stage = models.ForeignKey(
        "evaluation.Stage", on_delete=models.PROTECT, related_name="reviewer_draws", verbose_name=_("stage")
    )
    proposal = models.ForeignKey(
        "proposals.Proposal",
        on_delete=models.PROTECT,
        related_name="reviewer_draws",
        verbose_name=_("proposal"),
    )
    panels = models.JSONField(_("panels drawn from"), default=list)
    seed = models.BigIntegerField(_("seed"))
    seats = models.PositiveSmallIntegerField(_("seats to fill"))
    candidates = models.JSONField(_("candidates in order"), default=list)
    exclusions = models.JSONField(_("members left out"), default=list)
    chosen = models.JSONField(_("reviewers chosen"), default=list)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drawn by"),
    )
    created_at = models.DateTimeField(_("drawn"), auto_now_add=True)

    objects = ReviewerDrawQuerySet.as_manager()
    audit_competition_path = "stage__competition_id"

    class Meta:
        verbose_name = _("reviewer draw")
        verbose_name_plural = _("reviewer draws")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.proposal} / {self.stage}: {self.seed}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(REVIEWER_DRAW_FROZEN)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(REVIEWER_DRAW_FROZEN)


class SecurityPledge(AuditedModel):
    """보안서약: accepted by a reviewer once per competition before any proposal is shown."""

    reviewer = models.ForeignKey(
        "evaluation.Reviewer", on_delete=models.CASCADE, related_name="pledges", verbose_name=_("reviewer")
    )
    competition = models.ForeignKey(
        "proposals.Competition",
        on_delete=models.CASCADE,
        related_name="pledges",
        verbose_name=_("competition"),
    )
    accepted_at = models.DateTimeField(_("accepted"), auto_now_add=True)
    text_version = models.CharField(_("pledge text version"), max_length=20, default="2023-1")

    audit_competition_path = "competition_id"

    class Meta:
        verbose_name = _("security pledge")
        verbose_name_plural = _("security pledges")
        constraints = [models.UniqueConstraint(fields=["reviewer", "competition"], name="pledge_unique")]

    def __str__(self):
        return f"{self.reviewer} / {self.competition}"
