"""Scoresheets changed from two places at once (issue 5 item 2): two submits of one sheet make one
submission; two tabs saving one draft — one wins, the other is told and nothing is lost or mixed;
sheets of different reviewers do not wait for each other.

Each race stops the first thread inside ``evaluation.sheets`` right before it writes (after it
has read and checked the sheet) and lets the second one run. The sheet's row lock
(``Scoresheet … select_for_update()`` in ``sheets._locked_sheet``) makes the second wait on the
database; without it the second overtakes, and the assertions below fail.
"""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from evaluation import sheets
from evaluation.models import Score, Scoresheet
from evaluation.sheets import SheetError, SheetInput, criteria_for
from proposals.models import AuditEntry

from .conftest import waiting_for_lock

pytestmark = pytest.mark.django_db(transaction=True)

STALE_MESSAGE = (
    "이 평가표를 연 뒤 다른 곳(다른 탭이나 기기)에서 저장되었습니다. 입력한 내용은 아래에 그대로 두었습니다. "
    "저장된 내용을 확인한 뒤 다시 저장해 주세요."
)


@pytest.fixture
def criteria(make_criteria):
    return make_criteria(3)


@pytest.fixture
def reviewer(make_reviewer, pledged):
    reviewer = make_reviewer("kim")
    pledged(reviewer)
    return reviewer


@pytest.fixture
def assignment(criteria, reviewer, make_proposal, make_assignment):
    return make_assignment(make_proposal(), reviewer, confirmed=True)


def sheet_input(assignment, points, comment=""):
    criteria = criteria_for(assignment.stage, assignment.proposal.track)
    return SheetInput(
        points={c.pk: Decimal(str(p)) for c, p in zip(criteria, points, strict=True)}, comment=comment
    )


def stored_points(assignment):
    return list(
        Score.objects.filter(sheet__assignment=assignment)
        .order_by("criterion__order")
        .values_list("points", flat=True)
    )


def sheet_entries(assignment, **after):
    """Audit entries of the sheet whose ``after`` has the given values."""
    sheet = Scoresheet.objects.get(assignment=assignment)
    lookups = {f"after__{key}": value for key, value in after.items()}
    return AuditEntry.objects.filter(object_type="scoresheet", object_id=str(sheet.pk), **lookups)


def race(gate, workers, *named_targets):
    """Start the targets together; the first to reach ``sheets._write_scores`` stops there until
    the other waits for a lock (or has finished). Returns the threads and whether it waited."""
    stop = gate(sheets, "_write_scores")
    threads = workers(*named_targets)
    stop.wait_entered()
    others = [thread for thread in threads if thread.name != stop.first_thread]
    waited = waiting_for_lock(*others)
    stop.release()
    for thread in threads:
        thread.join(10)
    return threads, stop, waited


@pytest.mark.parametrize("opened", ["new", "draft"])
def test_two_submits_of_one_sheet_make_one_submission(opened, assignment, gate, workers, submit_sheet):
    """A double click (or two tabs) submitting the same sheet with the same values: both callers
    get the submitted sheet (the second is the idempotent double click), the sheet is submitted
    once, its version moves once, one submission is audited. ``new``: no sheet yet (the
    one-sheet-per-assignment constraint and then the row lock); ``draft``: a saved draft (the
    row lock alone)."""
    if opened == "draft":
        submit_sheet(assignment, [5, 5, 5], draft_only=True)
    version = Scoresheet.objects.get(assignment=assignment).version if opened == "draft" else 1
    data = sheet_input(assignment, [12, 15.5, 20], comment="종합 의견")

    def click():
        return sheets.submit(assignment, version, data, assignment.reviewer.user)

    threads, stop, waited = race(gate, workers, ("click-1", click), ("click-2", click))

    assert waited and stop.overtaken == 0, "the second submit did not wait for the first"
    results = [thread.outcome() for thread in threads]  # neither raised
    sheet = Scoresheet.objects.get(assignment=assignment)
    assert [(r.pk, r.version, r.status) for r in results] == [(sheet.pk, version + 1, "submitted")] * 2
    assert sheet.status == Scoresheet.Status.SUBMITTED and sheet.version == version + 1
    assert sheet.total == Decimal("47.50") and sheet.comment == "종합 의견"
    assert stored_points(assignment) == [Decimal(12), Decimal("15.5"), Decimal(20)]
    assert sheet_entries(assignment, status="submitted").count() == 1
    assert Score.objects.filter(sheet=sheet).count() == 3


def test_two_tabs_saving_one_draft_one_wins_the_other_is_told(assignment, gate, workers, submit_sheet):
    """Both tabs were opened at version 2 and save different values: exactly one save is
    stored — all of its values, none of the other's — and the other is refused as stale with
    the Korean message (the page then keeps what was typed: see the next test)."""
    submit_sheet(assignment, [5, 5, 5], draft_only=True)
    opened_at = Scoresheet.objects.get(assignment=assignment).version
    typed = {
        "tab-1": sheet_input(assignment, [10, 11, 12], comment="첫째 탭"),
        "tab-2": sheet_input(assignment, [18, 19, 20], comment="둘째 탭"),
    }

    def save(name):
        return lambda: sheets.save_draft(assignment, opened_at, typed[name], assignment.reviewer.user)

    threads, stop, waited = race(gate, workers, ("tab-1", save("tab-1")), ("tab-2", save("tab-2")))

    assert waited and stop.overtaken == 0, "the second save did not wait for the first"
    winner = stop.first_thread
    (loser,) = [thread for thread in threads if thread.name != winner]
    assert next(t for t in threads if t.name == winner).error is None
    assert isinstance(loser.error, SheetError), loser.error
    assert loser.error.code == "stale" and loser.error.message == STALE_MESSAGE
    sheet = Scoresheet.objects.get(assignment=assignment)
    assert sheet.version == opened_at + 1 and sheet.status == Scoresheet.Status.DRAFT
    wanted = typed[winner]
    assert stored_points(assignment) == [wanted.points[pk] for pk in sorted(wanted.points)]
    assert sheet.comment == wanted.comment
    assert sheet_entries(assignment, version=opened_at + 1).count() == 1
    assert sheet_entries(assignment, version=opened_at + 2).count() == 0


def test_two_tabs_through_the_page_the_loser_keeps_what_was_typed(
    assignment, criteria, reviewer, gate, workers, submit_sheet
):
    """The same race through the reviewer's page: the refused tab gets 409, the stale message,
    its own typed values in the fields and the stored values next to them."""
    submit_sheet(assignment, [5, 5, 5], draft_only=True)
    url = reverse("review:sheet", args=[assignment.stage.competition.slug, assignment.pk])
    tabs = {}
    for name, points, comment in (
        ("tab-1", ["10", "11", "12"], "첫째 탭"),
        ("tab-2", ["18", "19", "20"], "둘째 탭"),
    ):
        client = Client()
        client.force_login(reviewer.user)
        data = {"version": 2, "action": "draft", "comment": comment}
        for criterion, value in zip(criteria, points, strict=True):
            data[f"points_{criterion.pk}"] = value
            data[f"comment_{criterion.pk}"] = ""
        tabs[name] = (client, data, points, comment)

    def post(name):
        client, data, _points, _comment = tabs[name]
        return lambda: client.post(url, data)

    threads, stop, waited = race(gate, workers, ("tab-1", post("tab-1")), ("tab-2", post("tab-2")))

    assert waited and stop.overtaken == 0
    responses = {thread.name: thread.outcome() for thread in threads}
    winner = stop.first_thread
    (loser,) = set(responses) - {winner}
    assert responses[winner].status_code == 302
    page = responses[loser]
    assert page.status_code == 409
    text = page.content.decode()
    assert escape(STALE_MESSAGE) in text
    _client, _data, typed, comment = tabs[loser]
    assert all(f'value="{value}" min="0"' in text for value in typed)
    assert f"{comment}</textarea>" in text
    assert 'name="version" value="3"' in text  # a deliberate second save replaces the winner's
    winning_points = [Decimal(value) for value in tabs[winner][2]]
    assert stored_points(assignment) == winning_points
    assert Scoresheet.objects.get(assignment=assignment).comment == tabs[winner][3]


def test_sheets_of_different_reviewers_do_not_wait_for_each_other(
    criteria, make_reviewer, make_proposal, make_assignment, gate, workers
):
    """Submitting takes the competition's row only FOR SHARE: while one reviewer's submission
    is stopped inside its transaction, another reviewer's submission of another sheet of the
    same competition goes through (an exclusive lock would make 32 reviewers queue)."""
    proposal = make_proposal()
    assignments = [make_assignment(proposal, make_reviewer(name), confirmed=True) for name in ("kim", "lee")]

    def submit(assignment):
        data = sheet_input(assignment, [10, 10, 10])
        return lambda: sheets.submit(assignment, 1, data, assignment.reviewer.user)

    stop = gate(sheets, "_write_scores")
    (first,) = workers(("kim", submit(assignments[0])))
    stop.wait_entered()
    (second,) = workers(("lee", submit(assignments[1])))
    second.join(5)
    assert not second.is_alive(), "the second reviewer's submission waited for the first"
    assert second.outcome().is_submitted
    assert stop.overtaken == 1
    stop.release()
    assert first.outcome().is_submitted
    assert Scoresheet.objects.filter(status="submitted").count() == 2


def test_two_identical_autosaves_at_once_write_once(
    assignment, criteria, reviewer, gate, workers, submit_sheet
):
    """The sheet page's background save sent twice at once (a resent request): the second waits
    for the sheet's row, finds its own input saved from its version, and answers with that save —
    one write, one version, no false "saved elsewhere"."""
    submit_sheet(assignment, [5, 5, 5], draft_only=True)
    url = reverse("review:autosave", args=[assignment.stage.competition.slug, assignment.pk])
    data = {"version": 2, "comment": "같은 요청"}
    for criterion, value in zip(criteria, ["10", "11", "12"], strict=True):
        data[f"points_{criterion.pk}"] = value
        data[f"comment_{criterion.pk}"] = ""

    def post():
        client = Client()
        client.force_login(reviewer.user)
        return lambda: client.post(url, data)

    threads, stop, waited = race(gate, workers, ("request-1", post()), ("request-2", post()))

    assert waited and stop.overtaken == 0, "the second request did not wait for the first"
    answers = [thread.outcome() for thread in threads]
    assert [(answer.status_code, answer.json()["version"]) for answer in answers] == [(200, 3)] * 2
    sheet = Scoresheet.objects.get(assignment=assignment)
    assert sheet.version == 3 and sheet.comment == "같은 요청"
    assert stored_points(assignment) == [Decimal(10), Decimal(11), Decimal(12)]
    assert sheet_entries(assignment, version=3).count() == 1
