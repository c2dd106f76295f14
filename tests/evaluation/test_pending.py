"""SPEC §8.6: a proposal that reached a stage in which it still lacks a submitted sheet from an
assigned, unconflicted reviewer is ``pending`` (평가 중): no rank, no score, never ``eliminated``;
it enters no later stage, and publication is refused while any proposal is pending — on every
path (the ranking, ``rank --json``, the publish service and command, a sheet reopened after a
publication, an assignment made from a shell)."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.roles import Role
from evaluation import sheets
from evaluation.advancement import stage_entrants
from evaluation.models import Assignment, Conflict, Criterion, Publication, Stage
from evaluation.publication import PublicationRefused, check_publishable, publish
from evaluation.ranking import PENDING, rank_competition
from proposals.models import AuditEntry

pytestmark = pytest.mark.django_db

PENDING_MESSAGE = (
    "평가 중인 사업이 1건 있습니다. 배정된 평가위원의 평가표가 제출되지 않아 아직 점수와 순위가 없습니다."
)


@pytest.fixture
def official(user_factory):
    return user_factory(Role.OFFICIAL, "official-pending")


@pytest.fixture
def hub(competition, stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet):
    """Four hub proposals, three reviewers each; the third reviewer has not scored the fourth."""
    make_criteria(3, max_points=Decimal(40))
    reviewers = [make_reviewer(name) for name in ("kim", "lee", "park")]
    proposals = []
    for number, points in enumerate(([35, 35, 30], [30, 30, 30], [25, 25, 25], [35, 35, 35]), start=1):
        proposal = make_proposal(track="hub")
        proposals.append(proposal)
        for index, reviewer in enumerate(reviewers):
            assignment = make_assignment(proposal, reviewer, confirmed=True)
            if (number, index) != (4, 2):
                submit_sheet(assignment, points)
    return proposals, reviewers


def rows_by_id(ranking):
    return {row.id: row for row in ranking.proposals()}


def test_a_proposal_owed_a_sheet_is_pending_not_ranked_and_not_eliminated(hub):
    proposals, _reviewers = hub
    rows = rows_by_id(rank_competition(proposals[0].competition))
    waiting = rows[proposals[3].pk]
    assert (waiting.status, waiting.rank, waiting.score) == (PENDING, None, None)
    # The others rank among themselves: 100, 90, 75 of 120.
    assert [rows[p.pk].rank for p in proposals[:3]] == [1, 2, 3]
    assert [rows[p.pk].status for p in proposals[:2]] == ["selected", "selected"]


def test_rank_json_lists_pending_after_the_ranked_with_null_rank_and_score(hub):
    proposals, _reviewers = hub
    out = StringIO()
    call_command("rank", competition=proposals[0].competition.slug, json=True, stdout=out)
    hub_ranking = json.loads(out.getvalue())["categories"][0]["tracks"][0]["ranking"]
    assert [row["status"] for row in hub_ranking] == ["selected", "selected", "reserve", "pending"]
    assert hub_ranking[-1]["rank"] is None and hub_ranking[-1]["score"] is None


def test_a_conflicted_reviewers_missing_sheet_leaves_nothing_pending(hub):
    proposals, reviewers = hub
    Conflict.objects.create(
        proposal=proposals[3], reviewer=reviewers[2], kind=Conflict.Kind.DECLARED, reason="회피"
    )
    row = rows_by_id(rank_competition(proposals[0].competition))[proposals[3].pk]
    assert row.status != PENDING and row.rank == 1  # 105 of 120 from the two counted sheets


def test_publishing_is_refused_while_pending_and_nothing_is_written(hub, official):
    proposals, _reviewers = hub
    competition = proposals[0].competition
    entries = AuditEntry.objects.count()
    assert check_publishable(competition)[0] == PENDING_MESSAGE
    with pytest.raises(PublicationRefused) as refused:
        publish(competition, official)
    assert refused.value.messages[0] == PENDING_MESSAGE and "sheets" in refused.value.codes
    with pytest.raises(CommandError, match="평가 중인 사업이 1건 있습니다"):
        call_command("publish", competition=competition.slug, by=official.username, stdout=StringIO())
    assert (Publication.objects.count(), AuditEntry.objects.count()) == (0, entries)


def test_a_written_reason_publishes_the_unsubmitted_sheet_as_closed_and_nothing_pending(hub, official):
    proposals, _reviewers = hub
    competition = proposals[0].competition
    publication = publish(competition, official, override_reason="위원 사정으로 미제출, 위원회 의결")
    statuses = [
        row["status"]
        for row in publication.snapshot["outcome"]["ranking"]["categories"][0]["tracks"][0]["ranking"]
    ]
    assert PENDING not in statuses and "missing" not in publication.snapshot["inputs"]
    # Published: the sheet is closed, so the live ranking is no longer waiting for it either.
    assert PENDING not in {row.status for row in rank_competition(competition).proposals()}


def test_a_sheet_reopened_after_publication_makes_its_proposal_pending_again(
    competition, stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet, official
):
    make_criteria(3, max_points=Decimal(40))
    reviewers = [make_reviewer(name) for name in ("kim", "lee", "park")]
    proposal = make_proposal(track="hub")
    assignments = [make_assignment(proposal, reviewer, confirmed=True) for reviewer in reviewers]
    for assignment in assignments:
        submit_sheet(assignment, [30, 30, 30])
    publish(competition, official)
    sheets.reopen(assignments[0].sheet, "점수 확인 필요", official)
    row = rows_by_id(rank_competition(competition))[proposal.pk]
    assert (row.status, row.rank, row.score) == (PENDING, None, None)


def test_an_assignment_made_from_a_shell_makes_a_scored_proposal_pending(hub, make_reviewer):
    """Not only the assign command: a row created through the ORM owes a sheet as well."""
    proposals, _reviewers = hub
    Assignment.objects.create(
        stage=Stage.objects.get(), proposal=proposals[0], reviewer=make_reviewer("choi")
    )
    row = rows_by_id(rank_competition(proposals[0].competition))[proposals[0].pk]
    assert (row.status, row.rank) == (PENDING, None)


def test_pending_in_the_first_stage_enters_no_later_stage_and_is_not_eliminated(
    competition, stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet
):
    """Two stages: the first advances everyone scored (cut-off 0); the one still owed a sheet
    waits in the first stage."""
    make_criteria(3, max_points=Decimal(40))
    Stage.objects.filter(pk=stage.pk).update(advance_cutoff=Decimal(0))
    final = Stage.objects.create(competition=competition, code="pt", name="발표평가", order=stage.order + 1)
    rubric = final.rubrics.create()
    Criterion.objects.create(rubric=rubric, code="P1", name="발표", max_points=100, order=1)
    reviewers = [make_reviewer(name) for name in ("kim", "lee", "park")]
    scored_one, waiting = make_proposal(track="hub"), make_proposal(track="hub")
    for proposal in (scored_one, waiting):
        for index, reviewer in enumerate(reviewers):
            assignment = make_assignment(proposal, reviewer, confirmed=True)
            if (proposal, index) != (waiting, 0):
                submit_sheet(assignment, [30, 30, 30])
    assert stage_entrants(final) == {scored_one.pk}
    rows = rows_by_id(rank_competition(competition))
    assert (rows[waiting.pk].status, rows[waiting.pk].stage_scores) == (PENDING, {stage.code: None})


def test_the_officials_ranking_page_says_what_pending_means(hub, official, client):
    proposals, _reviewers = hub
    client.force_login(official)
    html = client.get(f"/official/{proposals[0].competition.slug}/ranking/").content.decode()
    assert (
        "평가 중인 사업이 1건 있습니다. 배정된 평가위원의 평가표가 모두 제출될 때까지 점수와 순위가 없으며, "
        "그전에는 결과를 공개할 수 없습니다." in html
    )
    assert html.count(">평가 중</span>") == 1  # the badge of the waiting proposal
