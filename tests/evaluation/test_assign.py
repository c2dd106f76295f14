"""assign (issue 3 §3, issue 8): R reviewers per proposal from the members of the stage's panel(s)
covering its track — deterministic for a seed, never a conflicted pair, loads balanced within one,
unfilled proposals reported. The panel-scoped draw itself: tests/evaluation/test_panels.py."""

from collections import Counter
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from evaluation.management.commands.assign import default_seed
from evaluation.models import Assignment, Conflict, Panel, Stage
from proposals.models import Proposal, Track, audit_context

pytestmark = pytest.mark.django_db


def assign(per_proposal=3, seed=None, stage="document"):
    out = StringIO()
    options = {"competition": "smartcity-2023", "stage": stage, "per_proposal": per_proposal}
    if seed is not None:
        options["seed"] = seed
    call_command("assign", stdout=out, **options)
    return out.getvalue()


def seat_on_panel(competition, reviewers, stage="document"):
    """One panel of the stage covering every track, with ``reviewers`` as its members."""
    panel = Panel.objects.create(stage=Stage.objects.get(competition=competition, code=stage), name="전체")
    panel.tracks.set(Track.objects.filter(category__competition=competition))
    panel.members.set(reviewers)
    return panel


@pytest.fixture
def pool(staged, make_reviewer):
    reviewers = [make_reviewer(f"reviewer{n}", affiliation=f"기관{n}") for n in range(6)]
    reviewers.append(make_reviewer("choi", affiliation="울산대학교"))  # a partner of 울산광역시
    seat_on_panel(staged, reviewers)
    return reviewers


def pairs():
    return sorted(Assignment.objects.values_list("proposal_id", "reviewer_id"))


def test_same_seed_draws_the_same_reviewers(staged, pool):
    output = assign(seed=7)
    assert "배정 72건 생성, 0건 유지. 시드: 7" in output
    first = pairs()
    with audit_context(None, "test reset"):
        Assignment.objects.all().delete()
    assign(seed=7)
    assert pairs() == first
    assert set(Assignment.objects.values_list("source", flat=True)) == {"draw"}


def test_default_seed_is_derived_from_slug_and_stage_and_printed(staged, pool):
    seed = default_seed("smartcity-2023", "document")
    assert (
        seed == default_seed("smartcity-2023", "document") != default_seed("smartcity-2023", "presentation")
    )
    assert f"시드: {seed}" in assign()
    first = pairs()
    with audit_context(None, "test reset"):
        Assignment.objects.all().delete()
    assign(seed=seed)
    assert pairs() == first


def test_never_a_conflicted_pair_and_loads_balanced_within_one(staged, pool):
    output = assign(per_proposal=3, seed=11)
    assert "모든 제안에 평가위원 3명이 배정되었습니다." in output
    ulsan_proposal = Proposal.objects.get(reference="2023-H-04")
    ulsan_reviewer = pool[-1]
    assert Conflict.objects.filter(
        proposal=ulsan_proposal, reviewer=ulsan_reviewer, kind="automatic"
    ).exists()
    conflicted = set(Conflict.objects.values_list("proposal_id", "reviewer_id"))
    assert not conflicted & set(pairs())
    per_proposal = Counter(proposal for proposal, _reviewer in pairs())
    assert set(per_proposal.values()) == {3} and len(per_proposal) == 24
    loads = Counter(reviewer for _proposal, reviewer in pairs())
    assert max(loads.values()) - min(loads.values()) <= 1


def test_rerun_keeps_existing_assignments(staged, pool):
    assign(seed=3)
    before = pairs()
    output = assign(seed=99)
    assert "배정 0건 생성, 72건 유지" in output
    assert pairs() == before


def test_unfilled_proposals_are_reported(staged, make_reviewer):
    seat_on_panel(
        staged, [make_reviewer("alone", affiliation="기관A"), make_reviewer("choi", affiliation="울산대학교")]
    )
    output = assign(per_proposal=3, seed=1)
    assert "평가위원 3명을 채우지 못한 제안:" in output
    assert "  - 2023-H-04 울산광역시: 2명 부족" in output.splitlines()  # the conflicted reviewer is kept off
    assert "  - 2023-H-07 고양시: 1명 부족" in output.splitlines()
    assert sum(1 for line in output.splitlines() if line.startswith("  - ")) == 24


def test_bad_arguments_are_one_message(staged):
    with pytest.raises(CommandError) as raised:
        assign(per_proposal=0)
    assert str(raised.value) == "--per-proposal은 1 이상이어야 합니다."
    with pytest.raises(CommandError) as raised:
        call_command("assign", competition="nope", stage="document", per_proposal=1, stdout=StringIO())
    assert str(raised.value) == "식별자가 'nope'인 공모가 없습니다."
