"""No lost input when the database is busy (issue 9 item 3): a reviewer's save that finds SQLite's
write lock held by another connection (a long import, say) is tried again a few times; if the
lock is still held, the sheet page comes back with a Korean message, every typed value and HTTP
503 — never a 500 — and nothing is written. Released in time, the save goes through.

Another connection holds ``BEGIN IMMEDIATE`` on a file copy of the test database
(``sqlite_file_db``: an in-memory database cannot be locked from another connection). The
busy timeout is lowered to 50 ms and the pauses between tries are recorded instead of slept,
so the tests wait for nothing. SQLite only: PostgreSQL has no database-wide write lock.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from evaluation import sheets
from evaluation.models import Score, Scoresheet
from evaluation.sheets import SheetError, SheetInput
from proposals.models import AuditEntry
from tests.proposals.sqlite_locking import Blocker, file_database

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "sqlite", reason="SQLite's write lock: PostgreSQL has no database-wide lock"
    ),
]

BUSY = (
    "다른 변경(예: 대용량 가져오기)을 처리하느라 평가표를 저장하지 못했습니다. 아무것도 저장되지 않았으며, "
    "입력한 내용은 아래에 그대로 있습니다. 잠시 뒤 다시 저장해 주세요."
)


@pytest.fixture
def criteria(make_criteria):
    return make_criteria(3)


@pytest.fixture
def assignment(criteria, make_reviewer, pledged, make_proposal, make_assignment):
    reviewer = make_reviewer("kim")
    pledged(reviewer)
    return make_assignment(make_proposal(applicant="울산광역시"), reviewer, confirmed=True)


@pytest.fixture
def blocker(transactional_db, tmp_path):
    with file_database(tmp_path) as path:
        held = Blocker(path)
        yield held
        held.release()


@pytest.fixture
def locked(blocker, monkeypatch):
    """The write lock held by another connection; the pauses between tries recorded, not slept.
    ``locked.release_after(n)`` lets the lock go during the n-th pause."""

    class Locked:
        pauses: list = []
        release_at = None

        def release_after(self, pause_number):
            self.release_at = pause_number

    state = Locked()
    state.pauses = []

    def pause(seconds):
        state.pauses.append(seconds)
        if state.release_at == len(state.pauses):
            blocker.release()

    monkeypatch.setattr(sheets, "_pause", pause, raising=False)  # raising: absent before the fix
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 50")
    blocker.hold()
    return state


@pytest.fixture
def as_reviewer(client, assignment):
    client.force_login(assignment.reviewer.user)  # before the lock: signing in writes the session
    return client


def sheet_url(assignment):
    return reverse("review:sheet", args=[assignment.stage.competition.slug, assignment.pk])


def typed(criteria, action="draft"):
    data = {"version": 1, "action": action, "comment": "종합 의견: 우수"}
    for criterion, points, comment in zip(criteria, ["15", "16.5", "9"], ["가", "나", "다"], strict=True):
        data[f"points_{criterion.pk}"] = points
        data[f"comment_{criterion.pk}"] = f"{comment} 항목 의견"
    if action == "submit":
        data["confirm_final"] = "on"
    return data


def nothing_written(assignment):
    return (
        not Scoresheet.objects.filter(assignment=assignment).exists()
        and not Score.objects.exists()
        and not AuditEntry.objects.filter(object_type__in=("scoresheet", "score")).exists()
    )


@pytest.mark.parametrize("action", ["draft", "submit"])
def test_a_save_that_stays_locked_keeps_every_typed_value_and_says_so(
    as_reviewer, assignment, criteria, locked, action
):
    response = as_reviewer.post(sheet_url(assignment), typed(criteria, action))

    assert response.status_code == 503
    page = response.content.decode()
    assert escape(BUSY) in page
    for points in ("15", "16.5", "9"):
        assert f'value="{points}" min="0"' in page
    for comment in ("가 항목 의견", "나 항목 의견", "다 항목 의견", "종합 의견: 우수"):
        assert f"{comment}</textarea>" in page
    assert 'name="version" value="1"' in page  # saving again is one click
    assert len(locked.pauses) == sheets.BUSY_ATTEMPTS - 1
    assert nothing_written(assignment)


def test_a_save_goes_through_when_the_lock_is_released_in_time(as_reviewer, assignment, criteria, locked):
    locked.release_after(1)

    response = as_reviewer.post(sheet_url(assignment), typed(criteria))

    assert response.status_code == 302 and response.url == sheet_url(assignment)
    assert len(locked.pauses) == 1
    sheet = Scoresheet.objects.get(assignment=assignment)
    assert sheet.version == 2 and sheet.comment == "종합 의견: 우수"
    assert sorted(sheet.scores.values_list("points", flat=True)) == [Decimal(9), Decimal(15), Decimal("16.5")]


def test_the_service_raises_busy_after_a_bounded_number_of_tries(assignment, criteria, locked):
    """The same guarantee for every caller of evaluation.sheets (pages, commands, a shell)."""
    data = SheetInput(points={c.pk: Decimal(5) for c in criteria}, comment="의견")

    for save in (sheets.save_draft, sheets.submit):
        with pytest.raises(SheetError) as refused:
            save(assignment, 1, data, assignment.reviewer.user, criteria)
        assert refused.value.code == "busy" and refused.value.message == BUSY
        assert not connection.in_atomic_block
    assert len(locked.pauses) == 2 * (sheets.BUSY_ATTEMPTS - 1)
    assert nothing_written(assignment)


def test_a_sign_in_that_meets_a_locked_database_gets_a_korean_page_not_a_500(client, blocker, user_factory):
    """Any other page that must write (a sign-in records its attempt and a session) answers 503
    with a short Korean page and Retry-After while the lock is held, and works once it is free."""
    user_factory(None, "kim")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 50")
    blocker.hold()
    response = client.post(reverse("login"), {"username": "kim", "password": "pw-test-1234"})
    assert response.status_code == 503 and response["Retry-After"] == "10"
    assert (
        "다른 변경(예: 대용량 가져오기)을 처리하느라 요청을 마치지 못했습니다." in response.content.decode()
    )
    blocker.release()
    response = client.post(reverse("login"), {"username": "kim", "password": "pw-test-1234"})
    assert response.status_code == 302


def test_an_autosave_that_stays_locked_answers_busy_and_writes_nothing(
    as_reviewer, assignment, criteria, locked
):
    """The sheet page's background save (review-sheet.js) goes through the same retries: still
    locked, it answers 503 in JSON with the reason; the page keeps every value and tries again."""
    response = as_reviewer.post(
        reverse("review:autosave", args=[assignment.stage.competition.slug, assignment.pk]), typed(criteria)
    )

    assert response.status_code == 503
    assert response.json() == {
        "status": "busy",
        "message": "자동 저장하지 못했습니다: 시스템이 다른 변경을 처리하고 있습니다. 입력한 값은 화면에 그대로 "
        "있습니다. 잠시 뒤 다시 시도합니다.",
        "errors": [],
    }
    assert len(locked.pauses) == sheets.BUSY_ATTEMPTS - 1
    assert nothing_written(assignment)
