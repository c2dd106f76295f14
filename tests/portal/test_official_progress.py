"""Officials' progress page per competition stage (issue 3 §7): counts computed in the database."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from evaluation.models import Conflict
from evaluation.queries import stage_progress
from proposals.models import audit_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def progress_world(stage, make_criteria, make_proposal, make_reviewer, make_assignment, submit_sheet):
    """Two proposals of the hub track, a rubric of two criteria (50 + 50 points). On the first: one
    submitted (kim), one draft (lee), one not started (park), one assigned reviewer who then declared
    a conflict after saving a draft (choi), and one reviewer kept off automatically (제척, jung).
    The reviewer conflicted on the first submits on the second."""
    make_criteria(2, max_points=Decimal(50))
    first = make_proposal(applicant="울산광역시")
    second = make_proposal(applicant="부산광역시")
    usernames = ["kim", "lee", "park", "choi", "jung"]
    submitter, drafter, idle, declared, excluded = (make_reviewer(username) for username in usernames)
    assign = {
        (proposal, reviewer): make_assignment(proposal, reviewer)
        for proposal, reviewer in [
            (first, submitter),
            (first, drafter),
            (first, idle),
            (first, declared),
            (second, submitter),
            (second, declared),
        ]
    }
    submit_sheet(assign[first, submitter], [40, 45])
    submit_sheet(assign[first, drafter], [30, None], draft_only=True)
    submit_sheet(assign[first, declared], [10, 10], draft_only=True)
    submit_sheet(assign[second, submitter], [20, 25])
    submit_sheet(assign[second, declared], [35, 35])
    with audit_context(declared.user, "공동연구 수행"):
        Conflict.objects.create(
            proposal=first, reviewer=declared, kind=Conflict.Kind.DECLARED, reason="공동연구 수행"
        )
    Conflict.objects.create(
        proposal=first, reviewer=excluded, kind=Conflict.Kind.AUTOMATIC, reason="소속 기관"
    )
    return first, second


def counts(row):
    return {
        name: getattr(row, name)
        for name in ("assigned", "not_started", "drafts", "submitted", "conflicted", "conflict_count")
    }


def test_stage_progress_counts_each_sheet_state_once(stage, progress_world):
    first, second = progress_world
    rows = {row.pk: row for row in stage_progress(stage)}
    assert counts(rows[first.pk]) == {
        "assigned": 4,
        "not_started": 1,
        "drafts": 1,
        "submitted": 1,
        "conflicted": 1,
        "conflict_count": 2,
    }
    # A conflict on another proposal does not touch this one: both sheets count.
    assert counts(rows[second.pk]) == {
        "assigned": 2,
        "not_started": 0,
        "drafts": 0,
        "submitted": 2,
        "conflicted": 0,
        "conflict_count": 0,
    }


def test_stage_progress_lists_assigned_reviewers_by_name(stage, progress_world):
    first, _second = progress_world
    row = stage_progress(stage).get(pk=first.pk)
    assert sorted(row.reviewer_names.splitlines()) == ["위원 choi", "위원 kim", "위원 lee", "위원 park"]


@pytest.fixture
def official_client(client, user_factory):
    client.force_login(user_factory(Role.OFFICIAL))
    return client


def progress_url(stage):
    return reverse("official:progress", args=[stage.competition.slug, stage.code])


def test_progress_page_shows_counts_names_and_links_but_no_scores(official_client, stage, progress_world):
    first, _second = progress_world
    page = official_client.get(progress_url(stage)).content.decode()
    assert "위원 choi, 위원 kim, 위원 lee, 위원 park" in page
    assert reverse("official:proposal", args=[stage.competition.slug, stage.code, first.pk]) in page
    assert "<caption>" in page and 'scope="col"' in page
    # The submitted totals (85, 45, 70) and points never appear on the progress page.
    for score in ("85", "45.5", "70.00", "40.00"):
        assert f">{score}<" not in page


def test_progress_page_shows_stage_totals(official_client, stage, progress_world):
    response = official_client.get(progress_url(stage))
    assert response.context["totals"] == {
        "proposals": 2,
        "assigned": 6,
        "not_started": 1,
        "drafts": 1,
        "submitted": 3,
        "conflict_count": 2,
    }


def test_start_page_links_each_stage_progress(official_client, stage):
    page = official_client.get(reverse("official:index")).content.decode()
    assert progress_url(stage) in page
    assert "<caption>" in page  # the overview table stays


def many_proposals(count, make_proposal, reviewers, make_assignment, submit_sheet):
    tracks = ["hub", "climate", "depopulation"]
    for number in range(count):
        proposal = make_proposal(track=tracks[number % len(tracks)])
        for index, reviewer in enumerate(reviewers):
            assignment = make_assignment(proposal, reviewer)
            if index == 0:
                submit_sheet(assignment, [30, 30])
            elif index == 1:
                submit_sheet(assignment, [20, None], draft_only=True)
        Conflict.objects.create(
            proposal=proposal, reviewer=reviewers[-1], kind=Conflict.Kind.DECLARED, reason="사유"
        )


@pytest.mark.parametrize("count", [5, 50])
def test_progress_page_runs_a_constant_number_of_queries(
    official_client,
    stage,
    make_criteria,
    make_proposal,
    make_reviewer,
    make_assignment,
    submit_sheet,
    django_assert_max_num_queries,
    count,
):
    make_criteria(2, max_points=Decimal(50))
    reviewers = [make_reviewer(f"reviewer{n}") for n in range(3)]
    many_proposals(count, make_proposal, reviewers, make_assignment, submit_sheet)
    # 10 for the counts; then who owes sheets (the publication in force, the sheets owed, the
    # last reminders) and the notices sent (a count and a page): constant, whatever the size.
    with django_assert_max_num_queries(15):
        response = official_client.get(progress_url(stage))
    assert response.context["totals"]["proposals"] == count
    assert response.context["totals"]["submitted"] == count


def test_a_track_of_many_proposals_is_paged_and_its_footer_totals_them_all(
    official_client, stage, make_criteria, make_proposal, make_reviewer, make_assignment, submit_sheet
):
    from portal.official.views import PROGRESS_PAGE

    make_criteria(2, max_points=Decimal(50))
    reviewers = [make_reviewer(f"reviewer{n}") for n in range(3)]
    count = 3 * (PROGRESS_PAGE + 2)  # each of the three tracks one page and two rows more
    many_proposals(count, make_proposal, reviewers, make_assignment, submit_sheet)
    response = official_client.get(progress_url(stage))
    hub = next(table for track, table in response.context["sections"] if track.code == "hub")
    html = response.content.decode()
    footers = 3  # each track's "합계" cell has the column's class too
    assert html.count('<td class="col-ref">') == 3 * PROGRESS_PAGE + footers
    assert hub.columns["assigned"].footer == 3 * (PROGRESS_PAGE + 2)  # every hub proposal, 3 each
    prefix = hub.prefix
    second = official_client.get(progress_url(stage) + f"?{prefix}page=2").content.decode()
    assert second.count('<td class="col-ref">') == 2 + 2 * PROGRESS_PAGE + footers


@pytest.mark.parametrize("requested, shown_rows", [("abc", "first"), ("0", "last"), ("999", "last")])
def test_a_page_number_that_is_not_a_page_shows_the_first_or_last_page_in_the_same_queries(
    official_client,
    stage,
    make_criteria,
    make_proposal,
    make_reviewer,
    make_assignment,
    submit_sheet,
    django_assert_max_num_queries,
    requested,
    shown_rows,
):
    """Each track's page is loaded with the others' in one query, for the page django-tables2
    shows: page 1 for a value that is not a number, the last page for one below 1 or past the end."""
    from portal.official.views import PROGRESS_PAGE

    make_criteria(2, max_points=Decimal(50))
    reviewers = [make_reviewer(f"reviewer{n}") for n in range(3)]
    many_proposals(3 * (PROGRESS_PAGE + 2), make_proposal, reviewers, make_assignment, submit_sheet)
    first = official_client.get(progress_url(stage))
    hub = next(table for track, table in first.context["sections"] if track.code == "hub")
    references = [proposal.reference for proposal in hub.data]
    with django_assert_max_num_queries(15):
        response = official_client.get(progress_url(stage) + f"?{hub.prefix}page={requested}")
    html = response.content.decode()
    expected = references[:PROGRESS_PAGE] if shown_rows == "first" else references[PROGRESS_PAGE:]
    assert all(f">{reference}<" in html for reference in expected)
    assert not any(f">{reference}<" in html for reference in references if reference not in expected)


def test_a_sort_asked_for_in_the_address_leaves_the_progress_order(official_client, stage, progress_world):
    """The progress tables are not orderable: ``?…-sort=`` from a hand-made address is ignored."""
    first = official_client.get(progress_url(stage))
    hub = next(table for track, table in first.context["sections"] if track.code == "hub")
    response = official_client.get(progress_url(stage) + f"?{hub.prefix}sort=-reference")
    assert response.status_code == 200
    assert [p.reference for p in response.context["sections"][0][1].data] == [
        p.reference for p in first.context["sections"][0][1].data
    ]


@pytest.mark.parametrize("value", ["-5", "0", "100000", "x"])
def test_a_page_size_in_the_address_is_ignored(official_client, stage, progress_world, value):
    """The page size is the page's own: ``…per_page=`` from a hand-made address changes nothing
    (-5 and 0 were server errors)."""
    first = official_client.get(progress_url(stage))
    hub = next(table for track, table in first.context["sections"] if track.code == "hub")
    response = official_client.get(progress_url(stage) + f"?{hub.prefix}per_page={value}")
    assert response.status_code == 200
    hub_after = next(table for track, table in response.context["sections"] if track.code == "hub")
    assert hub_after.paginator.per_page == hub.paginator.per_page
