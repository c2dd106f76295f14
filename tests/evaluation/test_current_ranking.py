"""The officials' pages read ``current_ranking``: the ranking computed once per change of the
database, kept under the audit chain's head. Every change a ranking depends on moves the head on
every path (a service, a model save, a queryset update, the Django admin, a command), so the kept
ranking is never one change behind; and a page that sorts its table never reorders the kept rows."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role
from evaluation.models import Adjustment, Conflict, Scoresheet
from evaluation.ranking import current_ranking, rank_competition
from proposals.models import Competition, Proposal, Track

pytestmark = pytest.mark.django_db


@pytest.fixture
def hub(competition, stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet):
    """Four hub proposals scored 100, 90, 75 and 60 of 120 by kim and lee, 30 by park: means
    76.67, 70.00, 60.00 and 50.00."""
    make_criteria(3, max_points=Decimal(40))
    reviewers = [make_reviewer(name) for name in ("kim", "lee", "park")]
    proposals = []
    for points in ([35, 35, 30], [30, 30, 30], [25, 25, 25], [20, 20, 20]):
        proposal = make_proposal(track="hub")
        proposals.append(proposal)
        for reviewer in reviewers:
            submit_sheet(
                make_assignment(proposal, reviewer, confirmed=True),
                [10, 10, 10] if reviewer.user.username == "park" else points,
            )
    return proposals, reviewers


def scores(ranking) -> dict:
    return {row.reference: (row.rank, row.score, row.status) for row in ranking.proposals()}


def test_the_same_ranking_is_given_while_nothing_changes(hub):
    proposals, _reviewers = hub
    competition = proposals[0].competition
    first = current_ranking(competition)
    again = current_ranking(Competition.objects.get(pk=competition.pk))
    assert again.outcome is first.outcome  # computed once
    assert again.competition is not first.competition  # each caller's own competition object
    assert scores(first) == scores(rank_competition(competition))


def _sheet_total_by_queryset_update(proposals, reviewers, stage):
    Scoresheet.objects.filter(assignment__proposal=proposals[3], assignment__reviewer=reviewers[2]).update(
        total=Decimal(120)
    )


def _withdraw_by_save(proposals, reviewers, stage):
    proposal = Proposal.objects.get(pk=proposals[0].pk)
    proposal.status = Proposal.Status.WITHDRAWN
    proposal.save()


def _adjustment(proposals, reviewers, stage):
    official = reviewers[0].user  # any user: who recorded it is not the point here
    Adjustment.objects.create(proposal=proposals[2], points=Decimal("2"), reason="가점", recorded_by=official)


def _conflict(proposals, reviewers, stage):
    Conflict.objects.create(
        proposal=proposals[1], reviewer=reviewers[2], kind=Conflict.Kind.DECLARED, reason="회피"
    )


def _slots(proposals, reviewers, stage):
    Track.objects.filter(pk=proposals[0].track_id).update(slots=3)


def _minimum_score(proposals, reviewers, stage):
    Competition.objects.filter(pk=proposals[0].competition_id).update(minimum_score=Decimal("80"))


def _moved_to_another_track(proposals, reviewers, stage):
    Proposal.objects.filter(pk=proposals[0].pk).update(
        track=Track.objects.get(category__competition=proposals[0].competition, code="climate")
    )


CHANGES = [
    _sheet_total_by_queryset_update,
    _withdraw_by_save,
    _adjustment,
    _conflict,
    _slots,
    _minimum_score,
    _moved_to_another_track,
]


@pytest.mark.parametrize("change", CHANGES, ids=[change.__name__.strip("_") for change in CHANGES])
def test_every_change_a_ranking_depends_on_gives_a_new_ranking(hub, stage, change):
    proposals, reviewers = hub
    competition = proposals[0].competition
    before = scores(current_ranking(competition))

    change(proposals, reviewers, stage)

    fresh = scores(rank_competition(Competition.objects.get(pk=competition.pk)))
    assert fresh != before  # the change matters to the ranking
    assert scores(current_ranking(Competition.objects.get(pk=competition.pk))) == fresh


def test_a_conflict_added_in_the_django_admin_shows_on_the_ranking_page(client, hub, user_factory):
    """park's sheet of the second proposal (30 of 120) stops counting: the page read before the
    change shows its mean with the sheet, the page read after it the mean without."""
    proposals, reviewers = hub
    competition = proposals[0].competition
    official = user_factory(Role.OFFICIAL, "official-current")
    client.force_login(official)
    page = reverse("official:ranking", args=[competition.slug])
    assert _score_on_page(client.get(page), proposals[1]) == "70.00"

    root = user_factory(Role.ADMIN, "root-current")
    root.is_staff = root.is_superuser = True
    root.save()
    client.force_login(root)
    data = {
        "proposal": proposals[1].pk,
        "reviewer": reviewers[2].pk,
        "kind": "challenged",
        "reason": "자문 이력",
    }
    response = client.post(
        reverse("admin:evaluation_conflict_add"), {**data, "audit_reason": "기피 신청(공문 제1호)"}
    )
    assert response.status_code == 302

    client.force_login(official)
    assert _score_on_page(client.get(page), proposals[1]) == "90.00"


def _score_on_page(response, proposal) -> str:
    import re

    rows = [row for row in response.content.decode().split("<tr") if f">{proposal.reference}<" in row]
    assert len(rows) == 1, rows
    return re.findall(r">\s*(\d+\.\d\d)\s*<", rows[0])[-1]  # the final score, the row's last number


def test_an_import_through_the_command_gives_a_new_ranking(hub, make_xlsx):
    proposals, _reviewers = hub
    competition = proposals[0].competition
    before = scores(current_ranking(competition))
    call_command(
        "import_proposals",
        str(make_xlsx([["hub", "시험", "새시", "새 사업", 200, 200, "N-01"]])),
        competition=competition.slug,
        stdout=StringIO(),
    )
    after = scores(current_ranking(Competition.objects.get(pk=competition.pk)))
    assert set(after) == set(before) | {"N-01"}


def test_sorting_the_page_never_reorders_the_kept_ranking(client, hub, user_factory):
    proposals, _reviewers = hub
    competition = proposals[0].competition
    client.force_login(user_factory(Role.OFFICIAL, "official-sort"))
    order = [row.reference for row in current_ranking(competition).proposals()]
    page = reverse("official:ranking", args=[competition.slug])
    client.get(page, {"sort": "final"})  # ascending: the lowest score first
    assert [row.reference for row in current_ranking(competition).proposals()] == order


def test_one_ranking_is_kept_per_competition_whatever_the_number_of_changes(hub):
    """A large competition's ranking weighs tens of MB: a change replaces the kept one."""
    from evaluation.ranking import recent_rankings

    proposals, reviewers = hub
    competition = proposals[0].competition
    recent_rankings.clear()
    for points in ("1", "2", "3"):
        Adjustment.objects.create(
            proposal=proposals[2], points=Decimal(points), reason="가점", recorded_by=reviewers[0].user
        )
        current_ranking(competition)
    assert len(recent_rankings._rankings) == 1
