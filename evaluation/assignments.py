"""Who reviews what: proposals that reached a stage, automatic conflicts, panels, the draw."""

import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from proposals.models import Proposal, audit_context, audit_transaction

from .conflicts import Affiliation, affiliation_conflict
from .models import Assignment, Conflict, Panel, Reviewer, Stage


def proposals_in_stage(stage: Stage, tracks=None):
    """Eligible proposals that reached ``stage``: every submitted one for the first stage; for a
    later stage, those the previous stage advanced (SPEC §4.3)."""
    from .ranking import stage_entrants

    proposals = Proposal.objects.filter(competition_id=stage.competition_id, status=Proposal.Status.SUBMITTED)
    if tracks is not None:
        proposals = proposals.filter(track__in=tracks)
    if stage.previous() is None:
        return proposals
    return proposals.filter(pk__in=stage_entrants(stage))


def reviewer_affiliations(reviewer: Reviewer) -> list[Affiliation]:
    return [Affiliation(reviewer.affiliation)] + [
        Affiliation(past.organisation, past.until) for past in reviewer.past_affiliations.all()
    ]


def automatic_conflict_reason(reviewer: Reviewer, proposal: Proposal, today=None) -> str | None:
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
    return _("The reviewer's affiliation %(organisation)s is a partner organisation of the proposal.") % {
        "organisation": matched
    }


def record_automatic_conflicts(reviewers, proposals, actor=None) -> list[Conflict]:
    """Find and record 제척 for every (reviewer, proposal) pair; idempotent."""
    proposals = list(
        proposals.select_related("applicant") if hasattr(proposals, "select_related") else proposals
    )
    reviewers = list(
        reviewers.prefetch_related("past_affiliations")
        if hasattr(reviewers, "prefetch_related")
        else reviewers
    )
    existing = set(
        Conflict.objects.filter(
            kind=Conflict.Kind.AUTOMATIC, proposal__in=proposals, reviewer__in=reviewers
        ).values_list("proposal_id", "reviewer_id")
    )
    created = []
    today = timezone.localdate()
    with audit_context(actor, _("automatic conflict check")):
        for reviewer in reviewers:
            for proposal in proposals:
                if (proposal.pk, reviewer.pk) in existing:
                    continue
                reason = automatic_conflict_reason(reviewer, proposal, today)
                if reason:
                    created.append(
                        Conflict.objects.create(
                            proposal=proposal, reviewer=reviewer, kind=Conflict.Kind.AUTOMATIC, reason=reason
                        )
                    )
    return created


@dataclass
class AssignmentReport:
    created: int = 0
    kept: int = 0
    skipped_conflicts: list[tuple[Reviewer, Proposal]] = field(default_factory=list)
    unfilled: list[tuple[Proposal, int]] = field(default_factory=list)  # proposal, reviewers missing


@audit_transaction()  # audit entries appended last (lock order: evaluation/sheets.py)
def form_panel(panel: Panel, actor=None) -> AssignmentReport:
    """Assign every member every proposal of the panel's tracks that reached its stage, except
    where a conflict exists (SPEC §2, issue 3 §3)."""
    report = AssignmentReport()
    proposals = list(proposals_in_stage(panel.stage, panel.tracks.all()).select_related("applicant"))
    members = list(panel.members.all())
    record_automatic_conflicts(members, proposals, actor)
    conflicted = set(
        Conflict.objects.filter(proposal__in=proposals, reviewer__in=members).values_list(
            "proposal_id", "reviewer_id"
        )
    )
    existing = set(
        Assignment.objects.filter(
            stage=panel.stage, proposal__in=proposals, reviewer__in=members
        ).values_list("proposal_id", "reviewer_id")
    )
    with audit_context(actor, _("panel %(name)s formed") % {"name": panel.name}):
        for proposal in proposals:
            for reviewer in members:
                pair = (proposal.pk, reviewer.pk)
                if pair in conflicted:
                    report.skipped_conflicts.append((reviewer, proposal))
                elif pair in existing:
                    report.kept += 1
                else:
                    Assignment.objects.create(
                        stage=panel.stage,
                        proposal=proposal,
                        reviewer=reviewer,
                        panel=panel,
                        source=Assignment.Source.PANEL,
                    )
                    report.created += 1
    return report


@audit_transaction()
def draw_assignments(
    stage: Stage, per_proposal: int, seed: int, reviewers=None, actor=None
) -> AssignmentReport:
    """Draw ``per_proposal`` reviewers for every proposal of the stage from the pool: never a
    conflicted pair, loads balanced (fewest assignments first), deterministic for ``seed``."""
    report = AssignmentReport()
    rng = random.Random(seed)
    pool = list((reviewers if reviewers is not None else Reviewer.objects.all()).order_by("pk"))
    proposals = list(proposals_in_stage(stage).select_related("applicant").order_by("pk"))
    record_automatic_conflicts(pool, proposals, actor)
    conflicted = set(
        Conflict.objects.filter(proposal__in=proposals).values_list("proposal_id", "reviewer_id")
    )
    assigned = defaultdict(set)
    load = defaultdict(int)
    for proposal_id, reviewer_id in Assignment.objects.filter(stage=stage).values_list(
        "proposal_id", "reviewer_id"
    ):
        assigned[proposal_id].add(reviewer_id)
        load[reviewer_id] += 1
    tiebreak = {reviewer.pk: rng.random() for reviewer in pool}
    with audit_context(actor, _("reviewers drawn with seed %(seed)s") % {"seed": seed}):
        for proposal in proposals:
            need = per_proposal - len(assigned[proposal.pk])
            report.kept += len(assigned[proposal.pk])
            candidates = sorted(
                (
                    r
                    for r in pool
                    if r.pk not in assigned[proposal.pk] and (proposal.pk, r.pk) not in conflicted
                ),
                key=lambda r: (load[r.pk], tiebreak[r.pk]),
            )
            for reviewer in candidates[: max(need, 0)]:
                Assignment.objects.create(
                    stage=stage, proposal=proposal, reviewer=reviewer, source=Assignment.Source.DRAW
                )
                assigned[proposal.pk].add(reviewer.pk)
                load[reviewer.pk] += 1
                report.created += 1
            missing = per_proposal - len(assigned[proposal.pk])
            if missing > 0:
                report.unfilled.append((proposal, missing))
    return report


# --- Conflicts recorded by people (SPEC §3): 회피 by the reviewer, 기피 by an official -----------


@transaction.atomic
def declare_conflict(assignment: Assignment, reason: str, user) -> Conflict:
    """The reviewer recuses (회피) with a written reason; the proposal leaves their list."""
    with audit_context(user, reason):
        conflict, _created = Conflict.objects.get_or_create(
            proposal=assignment.proposal,
            reviewer=assignment.reviewer,
            kind=Conflict.Kind.DECLARED,
            defaults={"reason": reason, "recorded_by": user},
        )
    return conflict


def confirm_no_conflict(assignment: Assignment, user) -> None:
    """The reviewer states there is no conflict before the proposal's content is shown."""
    if assignment.no_conflict_confirmed_at is not None:
        return
    with audit_context(user, _("no conflict of interest confirmed by the reviewer")):
        assignment.no_conflict_confirmed_at = timezone.now()
        assignment.save(update_fields=["no_conflict_confirmed_at"])


def record_challenge(proposal: Proposal, reviewer: Reviewer, reason: str, user) -> Conflict:
    """An official records a challenge (기피); the reviewer's sheet no longer counts."""
    with audit_context(user, reason):
        return Conflict.objects.create(
            proposal=proposal,
            reviewer=reviewer,
            kind=Conflict.Kind.CHALLENGED,
            reason=reason,
            recorded_by=user,
        )
