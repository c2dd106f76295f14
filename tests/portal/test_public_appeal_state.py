"""The public results page shows the appeal window (이의신청 기간) and where the publication stands
(issue 13: open for appeals, under review, final) — never an appeal's details — within its query
budget: the state is computed in the query that loads the publication
(``evaluation.appeals.with_open_appeals``). The open data keep their documented shape."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import translation

from evaluation.appeals import (
    add_committee_member,
    deadline_text,
    decide_appeal,
    file_appeal,
    publication_state,
)
from evaluation.models import Appeal
from tests.letters import lettered, letters_official, token_of  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

TEXT = "평가위원 3의 합계가 잘못 옮겨졌습니다."
FILED_BY = "이의제기인홍길동"


def page(client, competition) -> str:
    response = client.get(reverse("public-results", args=[competition.slug]))
    assert response.status_code == 200
    return response.content.decode()


def file(lettered, number=1) -> Appeal:
    return file_appeal(
        token_of(lettered["letters"][number]),
        ground=Appeal.Ground.EVALUATOR_ERROR,
        text=TEXT,
        filed_by=FILED_BY,
    )


def at(monkeypatch, moment):
    monkeypatch.setattr("evaluation.appeals.timezone.now", lambda: moment)


def assert_twin_agrees(publication, superseded=False):
    """The publication's state (``publication_state``), superseded as expected."""
    state = publication_state(publication)
    assert (state.code == "superseded") == superseded
    return state


def label(state) -> str:
    with translation.override("ko-kr"):
        return state.label


def test_the_window_and_the_state_while_appeals_are_received(client, competition, lettered):
    publication = lettered["publication"]
    state = assert_twin_agrees(publication)
    assert state.code == "appeal_window"
    text = page(client, competition)
    assert deadline_text(state.deadline) in text and "24:00" in text
    assert label(state) in text


def test_no_appeal_detail_is_shown(client, competition, lettered):
    before = page(client, competition)
    appeal = file(lettered)
    assert_twin_agrees(lettered["publication"])
    text = page(client, competition)
    for detail in (TEXT, FILED_BY, appeal.get_ground_display(), "evaluator_error"):
        assert detail not in text
    # Nothing on the page tells that an appeal was filed: the same state, the same words.
    assert label(publication_state(lettered["publication"])) in text
    assert text.count("appeal") == before.count("appeal")


def test_after_the_window_under_review_then_final(client, competition, lettered, monkeypatch):
    publication = lettered["publication"]
    appeal = file(lettered)
    later = publication_state(publication).deadline + timedelta(minutes=1)
    at(monkeypatch, later)
    state = assert_twin_agrees(publication)
    assert state.code == "under_review" and state.open_appeals == 1
    assert label(state) in page(client, competition)
    add_committee_member(appeal, lettered["spare"][0], lettered["official"])
    decide_appeal(appeal, lettered["official"], accept=False, reasons="착오 없음")
    state = assert_twin_agrees(publication)
    assert state.code == "final"
    text = page(client, competition)
    assert label(state) in text and "착오 없음" not in text


def test_final_without_appeals_once_the_window_closed(client, competition, lettered, monkeypatch):
    publication = lettered["publication"]
    deadline = publication_state(publication).deadline
    at(monkeypatch, deadline - timedelta(seconds=1))
    assert assert_twin_agrees(publication).code == "appeal_window"
    at(monkeypatch, deadline)
    state = assert_twin_agrees(publication)
    assert state.code == "final"
    assert label(state) in page(client, competition)


def test_an_accepted_appeal_stays_open_until_the_correction(client, competition, lettered, monkeypatch):
    from evaluation.models import Adjustment
    from evaluation.publication import publish

    publication = lettered["publication"]
    appeal = file(lettered)
    add_committee_member(appeal, lettered["spare"][0], lettered["official"])
    decide_appeal(appeal, lettered["official"], accept=True, reasons="합계 오기")
    later = publication_state(publication).deadline + timedelta(days=1)
    at(monkeypatch, later)
    assert assert_twin_agrees(publication).code == "under_review"
    Adjustment.objects.create(
        proposal=lettered["proposals"][3], points=1, reason="이의신청 인용", recorded_by=lettered["official"]
    )
    correction = publish(competition, lettered["official"], correction_reason="이의신청 인용")
    # The first publication is superseded; the correction has its own window from its publication.
    assert assert_twin_agrees(publication, superseded=True).code == "superseded"
    state = assert_twin_agrees(correction)
    assert state.code == "appeal_window" and state.open_appeals == 0
    text = page(client, competition)
    assert label(state) in text and deadline_text(state.deadline) in text
    assert "합계 오기" not in text


def test_the_page_keeps_its_query_budget(client, competition, lettered, django_assert_max_num_queries):
    file(lettered)
    file(lettered, 2)
    with django_assert_max_num_queries(1):
        page(client, competition)


def test_the_open_data_keep_their_shape(client, competition, lettered):
    """The JSON's schema (format 1) has no place for the state: it stays on the page."""
    file(lettered)
    response = client.get(reverse("public-results-json", args=[competition.slug]))
    document = json.loads(response.content)
    assert set(document["publication"]) == {"number", "published_at", "digest", "page"}
    assert "appeal" not in response.content.decode()
