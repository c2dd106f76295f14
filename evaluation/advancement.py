"""Who reached a stage (SPEC §4.3, §8.6): every eligible proposal enters the first stage; a later
stage takes those the stage before advanced, as ``evaluation.engine`` walks the stages — a
proposal still owed a sheet in an earlier stage is pending there and enters no later one. Panels,
``assign``, ``import_scores`` and the officials' progress all ask here."""

from django.db.models import Q

from proposals.models import Proposal

from . import engine
from .models import Assignment, Stage
from .ranking import ranking_inputs


def stage_entrants(stage: Stage) -> set[int]:
    """Ids of the eligible proposals that reached ``stage``."""
    competition = stage.competition
    earlier = list(competition.stages.filter(order__lt=stage.order).order_by("order"))
    eligible = Proposal.objects.filter(competition=competition, status=Proposal.Status.SUBMITTED)
    if not earlier:
        return set(eligible.values_list("pk", flat=True))
    inputs = ranking_inputs(competition, earlier, averages=False)
    reached = engine.walk_stages(inputs, last_advances=True).finished
    return {p["id"] for p in inputs["proposals"] if p["key"] in reached}


def proposals_in_stage(stage: Stage, tracks=None):
    """The eligible proposals that reached ``stage`` (of ``tracks`` only, if given), a queryset."""
    proposals = Proposal.objects.filter(competition_id=stage.competition_id, status=Proposal.Status.SUBMITTED)
    if tracks is not None:
        proposals = proposals.filter(track__in=tracks)
    if stage.previous() is None:
        return proposals
    return proposals.filter(pk__in=stage_entrants(stage))


def proposals_of_stage(stage: Stage):
    """Proposals an official follows in ``stage``: those that reached it, and any that has an
    assignment in it (a proposal withdrawn after assignment stays visible)."""
    reached = proposals_in_stage(stage).values("pk")
    assigned = Assignment.objects.filter(stage=stage).values("proposal_id")
    return Proposal.objects.filter(competition_id=stage.competition_id).filter(
        Q(pk__in=reached) | Q(pk__in=assigned)
    )
