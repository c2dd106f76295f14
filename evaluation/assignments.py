"""Who reviews what: proposals that reached a stage, automatic conflicts, panels, the draw."""

import hashlib
import random
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, require_role
from proposals.models import Proposal, Track, audit_context, audit_transaction

from . import notices
from .advancement import proposals_in_stage
from .models import Assignment, Conflict, Panel, Reviewer, ReviewerDraw, Stage
from .models.conflict import (  # the conflict check lives with the models; services use it from here
    ConflictOfInterest,
    FoundConflict,
    automatic_conflicts,
    check_withdrawal,
    proposal_label,
    recorded_conflicts,
)


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
    pairs = [(p, r) for r in reviewers for p in proposals if (p.pk, r.pk) not in existing]
    found = automatic_conflicts(pairs)
    created = []
    with audit_context(actor, _("automatic conflict check")):
        for proposal, reviewer in pairs:
            reason = found.get((proposal.pk, reviewer.pk))
            if reason:
                created.append(
                    Conflict.objects.create(
                        proposal=proposal, reviewer=reviewer, kind=Conflict.Kind.AUTOMATIC, reason=reason
                    )
                )
    return created


@dataclass
class ConflictedAssignment:
    """An existing assignment whose pair is conflicted: its sheet never counts (SPEC §3)."""

    assignment: Assignment
    conflict: FoundConflict
    submitted: bool  # a submitted sheet that does not count
    found_now: bool  # the conflict was recorded by the check that reports it

    @property
    def proposal_label(self) -> str:
        return proposal_label(self.assignment.proposal)

    def message(self) -> str:
        values = {
            "reviewer": self.assignment.reviewer.name,
            "proposal": self.proposal_label,
            "stage": self.assignment.stage.name,
            "conflict": self.conflict.describe(),
        }
        if self.submitted:
            return (
                _(
                    "Existing assignment with a conflict of interest: %(reviewer)s → %(proposal)s "
                    "(%(stage)s). Its submitted sheet does not count. Conflict: %(conflict)s"
                )
                % values
            )
        return (
            _(
                "Existing assignment with a conflict of interest: %(reviewer)s → %(proposal)s "
                "(%(stage)s). No sheet was submitted; the reviewer can no longer open the proposal. "
                "Conflict: %(conflict)s"
            )
            % values
        )


def conflicted_assignments(assignments, found_now=()) -> list[ConflictedAssignment]:
    """Of ``assignments`` (a queryset), those whose pair has a recorded conflict."""
    assignments = list(assignments.select_related("stage", "reviewer", "proposal__applicant", "sheet"))
    recorded = recorded_conflicts({(a.proposal_id, a.reviewer_id) for a in assignments})
    new = {(c.proposal_id, c.reviewer_id) for c in found_now}
    result = []
    for assignment in assignments:
        pair = (assignment.proposal_id, assignment.reviewer_id)
        if pair in recorded:
            sheet = getattr(assignment, "sheet", None)
            result.append(
                ConflictedAssignment(
                    assignment,
                    recorded[pair],
                    submitted=sheet is not None and sheet.is_submitted,
                    found_now=pair in new,
                )
            )
    return result


def unrecorded_conflicts(competition, today=None) -> list[ConflictedAssignment]:
    """Assignments of ``competition`` that the affiliations disqualify today (제척) although no
    conflict records it — an affiliation or a partner organisation changed after the assignment —
    so that their sheets would still count. Writes nothing."""
    recorded = Conflict.objects.filter(
        proposal_id=OuterRef("proposal_id"), reviewer_id=OuterRef("reviewer_id")
    )
    assignments = list(
        Assignment.objects.filter(stage__competition=competition)
        .exclude(Exists(recorded))
        .select_related("stage", "reviewer", "proposal__applicant", "sheet")
        .prefetch_related("reviewer__past_affiliations")
        .order_by("stage__order", "proposal_id", "pk")
    )
    found = automatic_conflicts([(a.proposal, a.reviewer) for a in assignments], today)
    result = []
    for assignment in assignments:
        reason = found.get((assignment.proposal_id, assignment.reviewer_id))
        if reason:
            sheet = getattr(assignment, "sheet", None)
            result.append(
                ConflictedAssignment(
                    assignment,
                    FoundConflict(Conflict.Kind.AUTOMATIC, reason, recorded=False),
                    submitted=sheet is not None and sheet.is_submitted,
                    found_now=True,
                )
            )
    return result


@audit_transaction()
def record_unrecorded_conflicts(competition, actor=None) -> list[ConflictedAssignment]:
    """Record the 제척 of ``unrecorded_conflicts``: from then on their sheets do not count."""
    found = unrecorded_conflicts(competition)
    with audit_context(actor, _("conflicts of interest checked again before publishing")):
        for item in found:
            Conflict.objects.get_or_create(
                proposal_id=item.assignment.proposal_id,
                reviewer_id=item.assignment.reviewer_id,
                kind=Conflict.Kind.AUTOMATIC,
                defaults={"reason": item.conflict.reason},
            )
    return found


@dataclass
class AssignmentReport:
    created: int = 0
    kept: int = 0
    skipped_conflicts: list[tuple[Reviewer, Proposal]] = field(default_factory=list)
    unfilled: list[tuple[Proposal, int]] = field(default_factory=list)  # proposal, reviewers missing
    uncovered: list["UncoveredTrack"] = field(default_factory=list)  # the draw: tracks without a panel
    draws: list[ReviewerDraw] = field(default_factory=list)  # the draw: one record per proposal drawn
    # Existing assignments whose pair is conflicted (recorded before, or found now): never silent.
    conflicted: list[ConflictedAssignment] = field(default_factory=list)

    def formed_summary(self, panel: Panel) -> str:
        """What forming ``panel`` did, in one sentence (the command, the admin and the page say it)."""
        return _(
            "Panel %(name)s: %(created)s assignments created, %(kept)s kept, "
            "%(skipped)s skipped for a conflict of interest."
        ) % {
            "name": panel.name,
            "created": self.created,
            "kept": self.kept,
            "skipped": len(self.skipped_conflicts),
        }


@audit_transaction()  # audit entries appended last (lock order: evaluation/sheets.py)
def form_panel(panel: Panel, actor=None) -> AssignmentReport:
    """Assign every member every proposal of the panel's tracks that reached its stage, except
    where a conflict exists (SPEC §2); existing assignments that are conflicted are reported."""
    report = AssignmentReport()
    proposals = list(proposals_in_stage(panel.stage, panel.tracks.all()).select_related("applicant"))
    members = list(panel.members.prefetch_related("past_affiliations"))
    found_now = record_automatic_conflicts(members, proposals, actor)
    existing = Assignment.objects.filter(stage=panel.stage, proposal__in=proposals, reviewer__in=members)
    report.conflicted = conflicted_assignments(existing, found_now)
    assigned = set(existing.values_list("proposal_id", "reviewer_id"))
    conflicted = recorded_conflicts({(p.pk, r.pk) for p in proposals for r in members})
    created = []
    with audit_context(actor, _("panel %(name)s formed") % {"name": panel.name}):
        for proposal in proposals:
            for reviewer in members:
                pair = (proposal.pk, reviewer.pk)
                if pair in conflicted:
                    if pair not in assigned:
                        report.skipped_conflicts.append((reviewer, proposal))
                elif pair in assigned:
                    report.kept += 1
                else:
                    created.append(
                        Assignment.objects.create(  # the model runs the conflict check again
                            stage=panel.stage,
                            proposal=proposal,
                            reviewer=reviewer,
                            panel=panel,
                            source=Assignment.Source.PANEL,
                        )
                    )
                    report.created += 1
    notices.notify_assignments(created, actor)  # sent once the transaction commits
    return report


# --- The draw (SPEC §3; 조달청·IRIS practice) ---------------------------------------------------
# Each proposal's reviewers are drawn only from the members of the stage's panel(s) whose tracks
# include the proposal's track — never from the whole reviewer pool. For each proposal:
#   1. the eligible members: every member of those panels, less the conflicted ones and those
#      already assigned to the proposal (each left out is recorded with the reason);
#   2. the lot: the eligible members in a seeded random order (random.Random(seed), drawn
#      proposal by proposal in id order, so the same seed on the same data draws the same);
#   3. the candidates: the eligible members ordered by load (fewest assignments in the stage
#      first, so loads stay balanced within one), then by the lot; the first 3 × the seats to
#      fill (or all, if fewer) — the candidate list of the practice, in the order seats are
#      filled; those not chosen are the reserves, in order, if a chosen reviewer declines;
#   4. the chosen: the first candidates, one per seat.
# Each draw is recorded (``ReviewerDraw``: seed, seats, panels, exclusions, candidates, chosen,
# who and when) and never changed. A proposal whose track no panel of the stage covers is not
# assigned: it is reported (``UncoveredTrack``), never drawn from outside a panel.

CANDIDATE_MULTIPLE = 3  # candidates per seat (조달청 평가위원 후보자 3배수)


def default_seed(competition_slug: str, stage_code: str) -> int:
    """A fixed seed derived from the competition and stage, so a rerun draws the same reviewers."""
    digest = hashlib.sha256(f"{competition_slug}/{stage_code}".encode()).hexdigest()
    return int(digest[:8], 16)


@dataclass
class UncoveredTrack:
    """A track of the stage that no panel covers: its proposals are not assigned."""

    stage: Stage
    track: Track
    proposals: list[Proposal]

    def message(self) -> str:
        return _(
            "No panel of %(stage)s covers track %(track)s: its %(count)s proposal(s) were not assigned. "
            "Form a panel for it and add its members, on the administration page (Panels) or with "
            "'python manage.py panels create --competition %(slug)s --stage %(code)s --name NAME "
            "--tracks %(track_code)s' and 'panels members', then draw again."
        ) % {
            "stage": self.stage.name,
            "track": self.track.name,
            "count": len(self.proposals),
            "slug": self.stage.competition.slug,
            "code": self.stage.code,
            "track_code": self.track.code,
        }


def panels_by_track(stage: Stage) -> dict[int, list[Panel]]:
    """Track id → the stage's panels covering it (members prefetched), panels by name."""
    covering = defaultdict(list)
    for panel in stage.panels.prefetch_related("tracks", "members__past_affiliations").order_by("name", "pk"):
        for track in panel.tracks.all():
            covering[track.pk].append(panel)
    return covering


def _members(panels: list[Panel]) -> list[tuple[Reviewer, Panel]]:
    """Each member of ``panels`` once, with the first panel (by name) that holds them; by id."""
    seen = {}
    for panel in panels:
        for reviewer in panel.members.all():
            seen.setdefault(reviewer.pk, (reviewer, panel))
    return [seen[pk] for pk in sorted(seen)]


@audit_transaction()
def draw_assignments(stage: Stage, per_proposal: int, seed: int, actor=None) -> AssignmentReport:
    """Draw ``per_proposal`` reviewers for every proposal of the stage from the members of the
    panel(s) covering its track (see above): never a conflicted pair, loads balanced (fewest
    assignments first), deterministic for ``seed``, each draw recorded. A conflicted existing
    assignment does not count towards ``per_proposal`` and is reported; proposals of a track no
    panel covers are reported in ``report.uncovered``."""
    report = AssignmentReport()
    rng = random.Random(seed)
    stage = Stage.objects.select_related("competition").get(pk=stage.pk)
    covering = panels_by_track(stage)
    proposals = list(proposals_in_stage(stage).select_related("applicant", "track").order_by("pk"))
    by_track = defaultdict(list)
    for proposal in proposals:
        by_track[proposal.track_id].append(proposal)
    members_of = {track_id: _members(covering[track_id]) for track_id in by_track if covering.get(track_id)}
    existing = Assignment.objects.filter(stage=stage)
    found_now = []
    for track_id, members in members_of.items():
        found_now += record_automatic_conflicts([r for r, _panel in members], by_track[track_id], actor)
    in_pool = {r.pk for members in members_of.values() for r, _panel in members}
    assigned_elsewhere = Reviewer.objects.filter(
        pk__in=existing.filter(proposal__in=proposals).values("reviewer_id")
    ).exclude(pk__in=in_pool)
    found_now += record_automatic_conflicts(assigned_elsewhere, proposals, actor)
    report.conflicted = conflicted_assignments(existing.filter(proposal__in=proposals), found_now)
    conflicts = recorded_conflicts(
        {(p.pk, r.pk) for p in proposals for r, _panel in members_of.get(p.track_id, ())}
    )
    conflicted = set(
        Conflict.objects.filter(proposal__in=proposals).values_list("proposal_id", "reviewer_id")
    )
    assigned = defaultdict(set)
    counting = defaultdict(int)  # unconflicted assignments per proposal
    load = defaultdict(int)
    for proposal_id, reviewer_id in existing.values_list("proposal_id", "reviewer_id"):
        assigned[proposal_id].add(reviewer_id)
        load[reviewer_id] += 1
        if (proposal_id, reviewer_id) not in conflicted:
            counting[proposal_id] += 1
    for track_id, track_proposals in by_track.items():
        if track_id not in members_of:
            report.uncovered.append(UncoveredTrack(stage, track_proposals[0].track, track_proposals))
    created = []
    with audit_context(actor, _("reviewers drawn with seed %(seed)s") % {"seed": seed}):
        for proposal in proposals:
            members = members_of.get(proposal.track_id)
            if members is None:
                continue
            need = per_proposal - counting[proposal.pk]
            report.kept += counting[proposal.pk]
            if need > 0:
                chosen = _draw_one(
                    stage, proposal, members, need, seed, rng, conflicts, assigned, load, actor
                )
                report.draws.append(chosen.record)
                for reviewer, panel in chosen.members:
                    created.append(
                        Assignment.objects.create(  # the model runs the conflict check again
                            stage=stage,
                            proposal=proposal,
                            reviewer=reviewer,
                            panel=panel,
                            source=Assignment.Source.DRAW,
                        )
                    )
                    assigned[proposal.pk].add(reviewer.pk)
                    load[reviewer.pk] += 1
                    counting[proposal.pk] += 1
                    report.created += 1
            missing = per_proposal - counting[proposal.pk]
            if missing > 0:
                report.unfilled.append((proposal, missing))
    notices.notify_assignments(created, actor)  # sent once the transaction commits
    return report


@dataclass
class _Drawn:
    record: ReviewerDraw
    members: list[tuple[Reviewer, Panel]]


def _draw_one(stage, proposal, members, need, seed, rng, conflicts, assigned, load, actor) -> _Drawn:
    """One proposal's draw (steps 1–4 above), recorded."""
    exclusions, eligible = [], []
    for reviewer, panel in members:
        conflict = conflicts.get((proposal.pk, reviewer.pk))
        if conflict is not None:
            reason, detail = ReviewerDraw.Exclusion.CONFLICT, conflict.describe()
        elif reviewer.pk in assigned[proposal.pk]:
            reason, detail = ReviewerDraw.Exclusion.ASSIGNED, ""
        else:
            eligible.append((reviewer, panel))
            continue
        exclusions.append(
            {"reviewer": reviewer.pk, "name": reviewer.name, "reason": reason, "detail": detail}
        )
    lots = rng.sample(range(1, len(eligible) + 1), len(eligible))  # the seeded random order
    lot_of = {reviewer.pk: lot for (reviewer, _panel), lot in zip(eligible, lots, strict=True)}
    ranked = sorted(eligible, key=lambda pair: (load[pair[0].pk], lot_of[pair[0].pk]))
    candidates = ranked[: CANDIDATE_MULTIPLE * need]
    chosen = candidates[:need]
    panels = {panel.pk: panel for _reviewer, panel in members}
    record = ReviewerDraw.objects.create(
        stage=stage,
        proposal=proposal,
        panels=[{"id": panel.pk, "name": panel.name} for panel in panels.values()],
        seed=seed,
        seats=need,
        candidates=[
            {"reviewer": r.pk, "name": r.name, "load": load[r.pk], "lot": lot_of[r.pk]}
            for r, _panel in candidates
        ],
        exclusions=exclusions,
        chosen=[r.pk for r, _panel in chosen],
        actor=actor,
    )
    return _Drawn(record, chosen)


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
    """The reviewer states there is no conflict before the proposal's content is shown.

    The conflict check runs first: a 제척 the affiliations show now is recorded (the proposal
    leaves the reviewer's list, officials see it) and ``ConflictOfInterest`` is raised; nothing
    is confirmed."""
    if assignment.no_conflict_confirmed_at is not None:
        return
    record_automatic_conflicts([assignment.reviewer], [assignment.proposal], actor=user)
    with audit_context(user, _("no conflict of interest confirmed by the reviewer")):
        assignment.no_conflict_confirmed_at = timezone.now()
        try:
            assignment.save(update_fields=["no_conflict_confirmed_at"])  # runs the conflict check
        except ConflictOfInterest as refused:
            assignment.no_conflict_confirmed_at = None
            raise ConflictOfInterest(
                _(
                    "You cannot review this proposal because of a conflict of interest (your list marks "
                    "it so): %(conflict)s"
                )
                % {"conflict": refused.conflict.describe()},
                proposal_id=refused.proposal_id,
                reviewer_id=refused.reviewer_id,
                conflict=refused.conflict,
            ) from None


def record_challenge(proposal: Proposal, reviewer: Reviewer, reason: str, user) -> Conflict:
    """An official records a challenge (기피); the reviewer's sheet no longer counts."""
    require_role(user, Role.OFFICIAL, Role.ADMIN, action=_("recording a challenge"))
    with audit_context(user, reason):
        return Conflict.objects.create(
            proposal=proposal,
            reviewer=reviewer,
            kind=Conflict.Kind.CHALLENGED,
            reason=reason,
            recorded_by=user,
        )


def assignments_conflicted_by(conflict: Conflict) -> list[ConflictedAssignment]:
    """The existing assignments a newly recorded conflict takes off their proposal (any stage)."""
    assignments = Assignment.objects.filter(
        proposal_id=conflict.proposal_id, reviewer_id=conflict.reviewer_id
    )
    return conflicted_assignments(assignments, [conflict])


# --- Withdrawing a recorded conflict (SPEC §3): a written reason, audited --------------------


@transaction.atomic
def withdraw_conflict(conflict: Conflict, reason: str, user) -> None:
    """Remove a recorded conflict with a written reason; the audit entry keeps it and the reason."""
    reason = (reason or "").strip()
    check_withdrawal([conflict], reason)
    with audit_context(user, reason):
        conflict.delete()
