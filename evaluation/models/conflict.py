"""Conflicts of interest (SPEC §3) and the one conflict check every path runs: the admin (the
assignment's clean()), panels, the draw, the score import, the reviewer's confirmation, and a
shell's ``Assignment.objects.create()/save()/bulk_create()/update()`` (the model and its queryset
call ``refuse_conflicted``). A conflicted pair is refused and nothing is written. The check lives
with the models so that they need no service module (``evaluation.assignments`` re-exports it)."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext as _

from proposals.korean import with_particle
from proposals.models import AuditedModel, AuditedQuerySet, Proposal
from proposals.models.audited import current_actor_and_reason

from ..conflicts import Affiliation, affiliation_conflict
from .reviewer import Reviewer

_CONFLICT_KEY = ("proposal_id", "reviewer_id", "kind")


def _moved_message() -> str:
    return gettext(
        "A recorded conflict of interest keeps its reviewer, proposal and kind. Withdraw it with a "
        "reason and record a new one. Nothing was changed."
    )


class ConflictQuerySet(AuditedQuerySet):
    """A recorded conflict is removed only with a written reason (``withdraw_conflict``) and keeps
    its pair and kind: moving it to another pair would remove it without one."""

    def delete(self):
        check_withdrawal(list(self), current_actor_and_reason()[1])
        return super().delete()

    def update(self, **kwargs):
        if {"proposal", "reviewer", *_CONFLICT_KEY} & kwargs.keys():
            raise ValidationError(_moved_message(), code="moved")
        return super().update(**kwargs)

    def bulk_update(self, objs, fields, batch_size=None):
        if {"proposal", "reviewer", *_CONFLICT_KEY} & set(fields):
            raise ValidationError(_moved_message(), code="moved")
        return super().bulk_update(objs, fields, batch_size=batch_size)


class Conflict(AuditedModel):
    """A conflict of interest: a conflicted pair never scores, and its sheet never counts."""

    class Kind(models.TextChoices):
        AUTOMATIC = "automatic", gettext_lazy("Disqualified (automatic, 제척)")
        DECLARED = "declared", gettext_lazy("Declared by the reviewer (회피)")
        CHALLENGED = "challenged", gettext_lazy("Challenged (기피)")

    proposal = models.ForeignKey(
        "proposals.Proposal",
        on_delete=models.CASCADE,
        related_name="conflicts",
        verbose_name=gettext_lazy("proposal"),
    )
    reviewer = models.ForeignKey(
        "evaluation.Reviewer",
        on_delete=models.CASCADE,
        related_name="conflicts",
        verbose_name=gettext_lazy("reviewer"),
    )
    kind = models.CharField(gettext_lazy("kind"), max_length=12, choices=Kind.choices)
    reason = models.TextField(gettext_lazy("reason"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("recorded by"),
    )
    created_at = models.DateTimeField(gettext_lazy("recorded"), auto_now_add=True)

    objects = ConflictQuerySet.as_manager()
    audit_competition_path = "proposal__competition_id"

    class Meta:
        verbose_name = gettext_lazy("conflict of interest")
        verbose_name_plural = gettext_lazy("conflicts of interest")
        ordering = ["proposal", "reviewer", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "reviewer", "kind"], name="conflict_unique")
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.reviewer} / {self.proposal}"

    def audit_competition_id(self):
        return self.proposal.competition_id

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._stored_key = instance._key()
        return instance

    def _key(self):
        return tuple(self.__dict__.get(name) for name in _CONFLICT_KEY)

    def save(self, *args, **kwargs):
        stored = getattr(self, "_stored_key", None)
        if not self._state.adding and stored is not None and stored != self._key():
            raise ValidationError(_moved_message(), code="moved")
        super().save(*args, **kwargs)
        self._stored_key = self._key()

    def delete(self, *args, **kwargs):
        check_withdrawal([self], current_actor_and_reason()[1])
        return super().delete(*args, **kwargs)


def reviewer_affiliations(reviewer: Reviewer) -> list[Affiliation]:
    return [Affiliation(reviewer.affiliation)] + [
        Affiliation(past.organisation, past.until) for past in reviewer.past_affiliations.all()
    ]


def automatic_conflict_reason(reviewer: Reviewer, proposal: Proposal, today=None) -> str | None:
    """Why the reviewer is disqualified (제척) from the proposal by affiliation today, or None."""
    organisations = [proposal.applicant.name, *proposal.partners]
    matched = affiliation_conflict(
        reviewer_affiliations(reviewer), organisations, today or timezone.localdate()
    )
    if matched is None:
        return None
    if matched == proposal.applicant.name:
        return _("The reviewer's affiliation is the applicant (%(organisation)s).") % {
            "organisation": matched
        }
    return _(
        "The reviewer's affiliation %(organisation_subject)s is a partner organisation of the proposal."
    ) % {"organisation_subject": with_particle(matched, "이/가")}


# --- The conflict check (SPEC §3) ------------------------------------------------------------
# Every path that creates or confirms an assignment runs ``conflicts_between``: the admin (the
# model's clean()), panels, the draw, the score import, the reviewer's confirmation, and a shell's
# ``Assignment.objects.create()/save()/bulk_create()/update()`` (the model and its queryset call
# ``refuse_conflicted``). A conflicted pair is refused and nothing is written.


@dataclass(frozen=True)
class FoundConflict:
    """Why a (proposal, reviewer) pair is conflicted: a recorded conflict, or a 제척 the
    affiliations show today that is not recorded yet (``recorded`` False)."""

    kind: str  # Conflict.Kind
    reason: str
    recorded: bool = True

    def describe(self) -> str:
        return _("%(kind)s — %(reason)s") % {"kind": Conflict.Kind(self.kind).label, "reason": self.reason}


class ConflictOfInterest(ValidationError):
    """A conflicted pair was to be assigned or confirmed; nothing was written."""

    def __init__(self, message: str, *, proposal_id: int, reviewer_id: int, conflict: FoundConflict):
        super().__init__(message, code="conflict")
        self.proposal_id = proposal_id
        self.reviewer_id = reviewer_id
        self.conflict = conflict

    def __str__(self) -> str:
        return self.message


def _pk(value) -> int:
    return value.pk if isinstance(value, Model) else value


def _load(pairs) -> tuple[dict, dict]:
    """Proposals (with applicant) and reviewers (with past affiliations) of ``pairs`` by id; the
    instances given are used as they are, the rest loaded in two queries."""
    proposals = {p.pk: p for p, _r in pairs if isinstance(p, Proposal)}
    reviewers = {r.pk: r for _p, r in pairs if isinstance(r, Reviewer)}
    missing = {_pk(p) for p, _r in pairs} - proposals.keys()
    if missing:
        proposals.update(Proposal.objects.select_related("applicant").in_bulk(missing))
    missing = {_pk(r) for _p, r in pairs} - reviewers.keys()
    if missing:
        reviewers.update(Reviewer.objects.prefetch_related("past_affiliations").in_bulk(missing))
    return proposals, reviewers


def recorded_conflicts(pairs: set[tuple[int, int]] | None = None, competition=None) -> dict:
    """The first recorded conflict of each pair (by id), in one query: of ``pairs``, or of every
    pair of ``competition``."""
    found: dict[tuple[int, int], FoundConflict] = {}
    if pairs is not None and not pairs:
        return found
    if pairs is None:
        recorded = Conflict.objects.filter(proposal__competition=competition).order_by("pk")
    else:
        recorded = Conflict.objects.filter(
            proposal_id__in={p for p, _r in pairs}, reviewer_id__in={r for _p, r in pairs}
        ).order_by("pk")
    for proposal_id, reviewer_id, kind, reason in recorded.values_list(
        "proposal_id", "reviewer_id", "kind", "reason"
    ):
        if pairs is None or (proposal_id, reviewer_id) in pairs:
            found.setdefault((proposal_id, reviewer_id), FoundConflict(kind, reason))
    return found


def automatic_conflicts(pairs, today=None) -> dict[tuple[int, int], str]:
    """(proposal id, reviewer id) → the 제척 reason, for the pairs the affiliations disqualify."""
    pairs = list(pairs)
    proposals, reviewers = _load(pairs)
    today = today or timezone.localdate()
    found = {}
    for proposal, reviewer in pairs:
        key = (_pk(proposal), _pk(reviewer))
        reason = automatic_conflict_reason(reviewers[key[1]], proposals[key[0]], today)
        if reason:
            found[key] = reason
    return found


def conflicts_between(pairs, today=None, recorded=None) -> dict[tuple[int, int], FoundConflict]:
    """The conflict check: of ``pairs`` of (proposal, reviewer) — model instances or ids — the
    conflicted ones, keyed (proposal id, reviewer id): a recorded conflict of any kind, else an
    automatic 제척 by affiliation found today (not recorded: this function writes nothing).
    ``recorded``: the competition's recorded conflicts (``recorded_conflicts``) when a caller
    checking many pairs one by one has loaded them already."""
    pairs = list(dict.fromkeys(pairs))
    keys = {(_pk(p), _pk(r)) for p, r in pairs}
    if recorded is None:
        found = recorded_conflicts(keys)
    else:
        found = {key: recorded[key] for key in keys if key in recorded}
    rest = [(p, r) for p, r in pairs if (_pk(p), _pk(r)) not in found]
    for key, reason in automatic_conflicts(rest, today).items():
        found[key] = FoundConflict(Conflict.Kind.AUTOMATIC, reason, recorded=False)
    return found


def proposal_label(proposal: Proposal) -> str:
    return (
        f"{proposal.reference} {proposal.applicant.name}" if proposal.reference else proposal.applicant.name
    )


def refuse_conflicted(pairs) -> None:
    """Raise ``ConflictOfInterest`` naming the first conflicted pair of ``pairs``, if any."""
    pairs = list(pairs)
    found = conflicts_between(pairs)
    if not found:
        return
    proposal, reviewer = next((p, r) for p, r in pairs if (_pk(p), _pk(r)) in found)
    proposals, reviewers = _load([(proposal, reviewer)])
    proposal, reviewer = proposals[_pk(proposal)], reviewers[_pk(reviewer)]
    conflict = found[(proposal.pk, reviewer.pk)]
    raise ConflictOfInterest(
        _(
            "Reviewer %(reviewer)s cannot be assigned to the proposal %(proposal)s because of a "
            "conflict of interest: %(conflict)s"
        )
        % {"reviewer": reviewer.name, "proposal": proposal_label(proposal), "conflict": conflict.describe()},
        proposal_id=proposal.pk,
        reviewer_id=reviewer.pk,
        conflict=conflict,
    )


def check_withdrawal(conflicts, reason: str) -> None:
    """Raise ``ValidationError`` unless ``conflicts`` may be removed with ``reason``: a written
    reason is required, and a 제척 stays while the affiliations still disqualify the reviewer
    (correct the reviewer's affiliation or the proposal's partners first). Called by
    ``Conflict.delete()`` and the queryset's ``delete()``, so every path runs it."""
    if not (reason or "").strip():
        raise ValidationError(
            _(
                "A recorded conflict of interest is only removed with a written reason "
                "(evaluation.assignments.withdraw_conflict). Nothing was deleted."
            ),
            code="reason",
        )
    automatic = [c for c in conflicts if c.kind == Conflict.Kind.AUTOMATIC]
    holding = automatic_conflicts([(c.proposal_id, c.reviewer_id) for c in automatic])
    for conflict in automatic:
        if (conflict.proposal_id, conflict.reviewer_id) in holding:
            raise ValidationError(
                _(
                    "This disqualification still holds: %(reason)s Correct the reviewer's affiliation "
                    "(or the proposal's partner organisations) first. Nothing was deleted."
                )
                % {"reason": holding[(conflict.proposal_id, conflict.reviewer_id)]},
                code="holds",
            )
