"""Officials' progress page per competition stage (issue 3 §7): counts computed in the database."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from evaluation.models import Assignment, Conflict
from evaluation.queries import stage_progress
from proposals.models import audit_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def progress_world(eval_stage, make_eval_proposal, make_eval_reviewer, submit_eval_sheet):
    """Two proposals of the hub track. On the first: one submitted, one draft, one not started,
    one assigned reviewer who then declared a conflict (after saving a draft), and one reviewer
    kept off automatically (제척). The reviewer conflicted on the first submits on the second."""
    first = make_eval_proposal("울산광역시")
    second = make_eval_proposal("부산광역시")
    names = ["김제출", "이임시", "박미착수", "최회피", "정제척"]
    submitter, drafter, idle, declared, excluded = (make_eval_reviewer(name) for name in names)
    assign = {
        (proposal, reviewer): Assignment.objects.create(
            stage=eval_stage, proposal=proposal, reviewer=reviewer
        )
        for proposal, reviewer in [
            (first, submitter),
            (first, drafter),
            (first, idle),
            (first, declared),
            (second, submitter),
            (second, declared),
        ]
    }
    submit_eval_sheet(assign[first, submitter], [40, 45])
    submit_eval_sheet(assign[first, drafter], [30, None], draft_only=True)
    submit_eval_sheet(assign[first, declared], [10, 10], draft_only=True)
    submit_eval_sheet(assign[second, submitter], [20, 25])
    submit_eval_sheet(assign[second, declared], [35, 35])
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


def test_stage_progress_counts_each_sheet_state_once(eval_stage, progress_world):
    first, second = progress_world
    rows = {row.pk: row for row in stage_progress(eval_stage)}
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


def test_stage_progress_lists_assigned_reviewers_by_name(eval_stage, progress_world):
    first, _second = progress_world
    row = stage_progress(eval_stage).get(pk=first.pk)
    assert sorted(row.reviewer_names.splitlines()) == ["김제출", "박미착수", "이임시", "최회피"]


@pytest.fixture
def official_client(client, user_factory):
    client.force_login(user_factory(Role.OFFICIAL))
    return client


def progress_url(stage):
    return reverse("official:progress", args=[stage.competition.slug, stage.code])


def test_progress_page_shows_counts_names_and_links_but_no_scores(
    official_client, eval_stage, progress_world
):
    first, _second = progress_world
    page = official_client.get(progress_url(eval_stage)).content.decode()
    assert "김제출, 박미착수, 이임시, 최회피" in page
    assert reverse("official:proposal", args=[eval_stage.competition.slug, eval_stage.code, first.pk]) in page
    assert "<caption>" in page and 'scope="col"' in page
    # The submitted totals (85, 45, 70) and points never appear on the progress page.
    for score in ("85", "45.5", "70.00", "40.00"):
        assert f">{score}<" not in page


def test_progress_page_shows_stage_totals(official_client, eval_stage, progress_world):
    response = official_client.get(progress_url(eval_stage))
    assert response.context["totals"] == {
        "proposals": 2,
        "assigned": 6,
        "not_started": 1,
        "drafts": 1,
        "submitted": 3,
        "conflict_count": 2,
    }


def test_start_page_links_each_stage_progress(official_client, eval_stage):
    page = official_client.get(reverse("official:index")).content.decode()
    assert progress_url(eval_stage) in page
    assert "<caption>" in page  # the overview table stays


def many_proposals(count, stage, make_eval_proposal, reviewers, submit_eval_sheet):
    tracks = ["hub", "climate", "depopulation"]
    for number in range(count):
        proposal = make_eval_proposal(f"지자체{number}", track=tracks[number % len(tracks)])
        for index, reviewer in enumerate(reviewers):
            assignment = Assignment.objects.create(stage=stage, proposal=proposal, reviewer=reviewer)
            if index == 0:
                submit_eval_sheet(assignment, [30, 30])
            elif index == 1:
                submit_eval_sheet(assignment, [20, None], draft_only=True)
        Conflict.objects.create(
            proposal=proposal, reviewer=reviewers[-1], kind=Conflict.Kind.DECLARED, reason="사유"
        )


@pytest.mark.parametrize("count", [5, 50])
def test_progress_page_runs_a_constant_number_of_queries(
    official_client,
    eval_stage,
    make_eval_proposal,
    make_eval_reviewer,
    submit_eval_sheet,
    django_assert_max_num_queries,
    count,
):
    reviewers = [make_eval_reviewer(f"위원{n}") for n in range(3)]
    many_proposals(count, eval_stage, make_eval_proposal, reviewers, submit_eval_sheet)
    with django_assert_max_num_queries(10):
        response = official_client.get(progress_url(eval_stage))
    assert response.context["totals"]["proposals"] == count
    assert response.context["totals"]["submitted"] == count
