"""Deleting a competition that was never published (a trial run), from the managers' page.

Refused once the competition has a publication: a published result stays, with everything it was
computed from (the database refuses too: a publication protects its competition). Refused also
after a reviewer draw (``assign``): its record is append-only like the audit trail.

Everything else of the competition goes in one transaction, each row recorded in the audit trail
with who deleted it and why (``AuditedModel``'s deletion signals): sheets first (they protect
their assignments), then stages (panels, assignments, rubrics, criteria), proposals (documents,
conflicts, adjustments, draws) and the competition (categories, tracks, uploads, notices).
Applicants (지자체) and reviewers are shared by competitions and stay.
"""

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role, require_role
from proposals.models import (
    Category,
    Competition,
    Proposal,
    ProposalDocument,
    Track,
    audit_context,
    audit_transaction,
)

from .models import (
    Adjustment,
    Assignment,
    Conflict,
    Criterion,
    Panel,
    Publication,
    ReviewerDraw,
    Scoresheet,
    Stage,
)


class DeletionRefused(Exception):
    """``field``: the input at fault ("slug", "reason"), or "" when the competition cannot go."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.message = message
        self.field = field


# What the confirmation names: (label, how to count it for a competition).
COUNTED = (
    (gettext_lazy("Categories"), lambda c: Category.objects.filter(competition=c)),
    (gettext_lazy("Tracks"), lambda c: Track.objects.filter(category__competition=c)),
    (gettext_lazy("Stages"), lambda c: Stage.objects.filter(competition=c)),
    (gettext_lazy("Criteria"), lambda c: Criterion.objects.filter(rubric__stage__competition=c)),
    (gettext_lazy("Proposals"), lambda c: Proposal.objects.filter(competition=c)),
    (gettext_lazy("Proposal documents"), lambda c: ProposalDocument.objects.filter(proposal__competition=c)),
    (gettext_lazy("Panels"), lambda c: Panel.objects.filter(stage__competition=c)),
    (gettext_lazy("Assignments"), lambda c: Assignment.objects.filter(stage__competition=c)),
    (gettext_lazy("Scoresheets"), lambda c: Scoresheet.objects.filter(assignment__stage__competition=c)),
    (gettext_lazy("Conflicts of interest"), lambda c: Conflict.objects.filter(proposal__competition=c)),
    (gettext_lazy("Bonus and penalty points"), lambda c: Adjustment.objects.filter(proposal__competition=c)),
)


def deletion_counts(competition: Competition) -> list[tuple[str, int]]:
    """What deleting the competition would delete: (label, count) for each kind of record."""
    return [(str(label), rows(competition).count()) for label, rows in COUNTED]


def deletion_problem(competition: Competition) -> str:
    """Why the competition cannot be deleted ("" when it can)."""
    if Publication.objects.filter(competition=competition).exists():
        return _(
            "The result of %(name)s has been published; a published competition cannot be deleted. "
            "Publish a correction instead."
        ) % {"name": competition.name}
    if ReviewerDraw.objects.filter(
        Q(stage__competition=competition) | Q(proposal__competition=competition)
    ).exists():
        return _(
            "Reviewers of %(name)s were assigned by a recorded draw, and draw records are never "
            "deleted; this competition cannot be deleted."
        ) % {"name": competition.name}
    return ""


def delete_unpublished(
    competition: Competition, actor, *, typed_slug: str, reason: str
) -> list[tuple[str, int]]:
    """Delete a competition that was never published, after the person typed its slug; return
    what was deleted (``deletion_counts``). DeletionRefused (nothing deleted) when the slug
    differs, the reason is empty, or ``deletion_problem`` says why not."""
    require_role(actor, Role.ADMIN, action=_("deleting a competition"))
    if typed_slug.strip() != competition.slug:
        raise DeletionRefused(
            _("Type the competition's code '%(slug)s' exactly to confirm. Nothing was deleted.")
            % {"slug": competition.slug},
            "slug",
        )
    if not reason.strip():
        raise DeletionRefused(
            _("Give the reason for deleting the competition. Nothing was deleted."), "reason"
        )
    with audit_transaction():
        # Under the competition's row lock: a publication made meanwhile is seen (it locks it too).
        competition = Competition.objects.select_for_update().get(pk=competition.pk)
        problem = deletion_problem(competition)
        if problem:
            raise DeletionRefused(problem)
        counts = deletion_counts(competition)
        with audit_context(actor, reason.strip()):
            Scoresheet.objects.filter(assignment__stage__competition=competition).delete()
            Stage.objects.filter(competition=competition).delete()
            Proposal.objects.filter(competition=competition).delete()
            competition.delete()
    return counts
