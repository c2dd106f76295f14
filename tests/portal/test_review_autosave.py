"""The sheet's background save (issue 10 item 2): ``review:autosave`` takes the sheet page's form,
saves it through ``evaluation.sheets.save_draft`` — the same version check, closing check and
busy retry as the page's "save draft" — and answers in JSON. The page's version moves on with
each autosave (a later save of the same page is not stale), a save from another tab is still
detected, and nothing is written on any refusal. The busy and closed answers are in
tests/security/test_busy_database.py and tests/portal/test_closing_pages.py; two identical
requests at once in tests/concurrency/test_sheets.py."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from evaluation import sheets
from evaluation.models import Conflict, Score, Scoresheet
from evaluation.sheets import SheetError, SheetInput
from proposals.models import AuditEntry

pytestmark = pytest.mark.django_db

STALE = (
    "자동 저장하지 못했습니다: 이 평가표를 연 뒤 다른 곳(다른 탭이나 기기)에서 저장되어 자동 저장을 멈췄습니다. "
    "입력한 값은 화면에 그대로 있습니다. ‘임시 저장’을 누르면 저장된 내용과 비교해 볼 수 있습니다."
)
INVALID = (
    "자동 저장하지 못했습니다: 올바르지 않은 입력이 있습니다. 각 항목 옆의 안내를 확인해 주세요. "
    "입력한 값은 화면에 그대로 있습니다."
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
    return make_assignment(make_proposal(applicant="울산광역시"), reviewer, confirmed=True)


@pytest.fixture
def as_reviewer(client, reviewer):
    client.force_login(reviewer.user)
    return client


def autosave_url(assignment):
    return reverse("review:autosave", args=[assignment.stage.competition.slug, assignment.pk])


def sheet_url(assignment):
    return reverse("review:sheet", args=[assignment.stage.competition.slug, assignment.pk])


def typed(criteria, points, *, version=1, comment="", **extra):
    data = {"version": version, "comment": comment, **extra}
    for criterion, value in zip(criteria, points, strict=True):
        data[f"points_{criterion.pk}"] = value
        data[f"comment_{criterion.pk}"] = f"{criterion.code} 의견"
    return data


def written(assignment):
    """Everything a save writes, to assert that nothing was."""
    return (
        list(Scoresheet.objects.filter(assignment=assignment).values_list()),
        list(Score.objects.filter(sheet__assignment=assignment).order_by("pk").values_list()),
        AuditEntry.objects.count(),
    )


def points(assignment):
    return list(
        Score.objects.filter(sheet__assignment=assignment)
        .order_by("criterion__order")
        .values_list("points", flat=True)
    )


def test_a_change_is_saved_and_the_page_takes_the_new_version(as_reviewer, criteria, assignment):
    response = as_reviewer.post(autosave_url(assignment), typed(criteria, ["12.5", "", ""], comment="의견"))

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    answer = response.json()
    assert answer["status"] == "saved" and answer["version"] == 2
    assert re.fullmatch(r"저장됨 \d{2}:\d{2}:\d{2}", answer["message"])
    sheet = Scoresheet.objects.get(assignment=assignment)
    assert (sheet.version, sheet.status, sheet.comment) == (2, Scoresheet.Status.DRAFT, "의견")
    assert points(assignment) == [Decimal("12.5"), None, None]
    assert answer["saved_at"].startswith(sheet.updated_at.astimezone().isoformat()[:16])
    entry = AuditEntry.objects.filter(object_type="scoresheet").latest("sequence")
    assert entry.actor == assignment.reviewer.user and entry.reason == "임시 저장"

    # The page holds version 2 now: the next autosave and then the form's own save go through.
    again = as_reviewer.post(autosave_url(assignment), typed(criteria, ["12.5", "14", ""], version=2))
    assert again.json()["version"] == 3
    saved = as_reviewer.post(
        sheet_url(assignment), typed(criteria, ["12.5", "14", "3"], version=3, action="draft")
    )
    assert saved.status_code == 302 and saved.url == sheet_url(assignment)
    assert points(assignment) == [Decimal("12.5"), Decimal(14), Decimal(3)]
    assert Scoresheet.objects.get(assignment=assignment).version == 4


def test_an_autosave_is_always_a_draft(as_reviewer, criteria, assignment):
    """A submission needs the page's own submit button: the background save drops the action
    and the final confirmation it finds in the form."""
    response = as_reviewer.post(
        autosave_url(assignment), typed(criteria, ["10", "10", "10"], action="submit", confirm_final="on")
    )
    assert response.json()["status"] == "saved"
    sheet = Scoresheet.objects.get(assignment=assignment)
    assert sheet.status == Scoresheet.Status.DRAFT and sheet.total is None and sheet.submitted_at is None


def test_another_tabs_save_is_detected_and_nothing_is_written(as_reviewer, criteria, assignment):
    as_reviewer.post(autosave_url(assignment), typed(criteria, ["10", "10", "10"]))  # the other tab
    before = written(assignment)

    response = as_reviewer.post(
        autosave_url(assignment), typed(criteria, ["15", "16.5", ""], comment="이 탭")
    )

    assert response.status_code == 409
    assert response.json() == {"status": "stale", "message": STALE, "errors": []}
    assert written(assignment) == before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("25", "0점부터 20점 사이로 입력해 주세요."),
        ("10.3", "점수는 0.5점 단위로 입력해 주세요."),
        ("열", "숫자를 입력해 주세요."),
    ],
)
def test_an_invalid_entry_is_named_next_to_its_field_and_nothing_is_written(
    as_reviewer, criteria, assignment, value, message
):
    as_reviewer.post(autosave_url(assignment), typed(criteria, ["1", "", ""]))
    before = written(assignment)

    response = as_reviewer.post(autosave_url(assignment), typed(criteria, ["2", value, "3"], version=2))

    assert response.status_code == 400
    field = criteria[1].pk
    assert response.json() == {
        "status": "invalid",
        "message": INVALID,
        "errors": [
            {
                "field": f"id_points_{field}",
                "error_id": f"points-{field}-error",
                "message": message,
                "summary": f"C2 평가항목 2: {message}",
            }
        ],
    }
    assert written(assignment) == before


def test_a_double_request_writes_once(as_reviewer, criteria, assignment):
    """The same autosave twice (a resent request): the second is the first save, not a save from
    elsewhere — one write, one version, the same answer."""
    data = typed(criteria, ["10", "12", ""], comment="한 번")
    first = as_reviewer.post(autosave_url(assignment), data)
    entries = AuditEntry.objects.count()
    second = as_reviewer.post(autosave_url(assignment), data)

    assert first.status_code == second.status_code == 200
    assert first.json()["version"] == second.json()["version"] == 2
    assert AuditEntry.objects.count() == entries
    assert Scoresheet.objects.get(assignment=assignment).version == 2
    # A different input with that old version is still a save from elsewhere.
    third = as_reviewer.post(autosave_url(assignment), typed(criteria, ["11", "12", ""], comment="한 번"))
    assert third.status_code == 409 and third.json()["status"] == "stale"


def test_a_repeated_save_from_a_shell_is_the_same_save(criteria, assignment):
    """The rule is evaluation.sheets', for every caller: the same input with the version it was
    saved from returns that save and writes nothing; any other input with that version is stale."""
    user = assignment.reviewer.user
    data = SheetInput(points={criteria[0].pk: Decimal(7)}, comment="셸")
    saved = sheets.save_draft(assignment, 1, data, user)
    entries = AuditEntry.objects.count()
    assert sheets.save_draft(assignment, 1, data, user).version == saved.version == 2
    assert AuditEntry.objects.count() == entries
    with pytest.raises(SheetError) as refused:
        sheets.save_draft(assignment, 1, SheetInput(points={criteria[0].pk: Decimal(8)}), user)
    assert refused.value.code == "stale"
    # The repeat still meets every other rule: after a conflict is recorded it is refused.
    Conflict.objects.create(
        proposal=assignment.proposal,
        reviewer=assignment.reviewer,
        kind=Conflict.Kind.CHALLENGED,
        reason="기피",
    )
    with pytest.raises(SheetError) as refused:
        sheets.save_draft(assignment, 1, data, user)
    assert refused.value.code == "conflict"


def test_a_submitted_sheet_is_not_changed(as_reviewer, criteria, assignment, submit_sheet):
    submit_sheet(assignment, [10, 10, 10])
    before = written(assignment)
    response = as_reviewer.post(autosave_url(assignment), typed(criteria, ["1", "1", "1"], version=2))
    assert response.status_code == 403
    assert response.json()["status"] == "submitted"
    assert response.json()["message"] == (
        "이 평가표는 제출되어 더 이상 수정할 수 없습니다. 화면을 새로 고치면 제출한 평가표를 볼 수 있습니다."
    )
    assert written(assignment) == before


def test_before_the_no_conflict_confirmation_nothing_is_saved(
    as_reviewer, criteria, reviewer, make_proposal, make_assignment
):
    unconfirmed = make_assignment(make_proposal(), reviewer, confirmed=False)
    response = as_reviewer.post(autosave_url(unconfirmed), typed(criteria, ["1", "", ""]))
    assert response.status_code == 409
    assert response.json() == {
        "status": "unconfirmed",
        "message": "이 사업을 평가하기 전에 이해충돌이 없음을 먼저 확인해 주세요.",
        "errors": [],
    }
    assert not Scoresheet.objects.exists()


def test_a_conflicted_or_someone_elses_assignment_is_not_found(
    client, as_reviewer, criteria, assignment, make_reviewer, pledged, make_proposal, make_assignment
):
    other = make_reviewer("park")
    pledged(other)
    make_assignment(make_proposal(), other, confirmed=True)
    client.force_login(other.user)
    assert client.post(autosave_url(assignment), typed(criteria, ["1", "", ""])).status_code == 404
    Conflict.objects.create(
        proposal=assignment.proposal, reviewer=assignment.reviewer, kind=Conflict.Kind.DECLARED, reason="회피"
    )
    client.force_login(assignment.reviewer.user)
    assert client.post(autosave_url(assignment), typed(criteria, ["1", "", ""])).status_code == 404
    assert not Scoresheet.objects.exists()


def test_the_csrf_token_of_the_sheet_page_is_required(reviewer, criteria, assignment):
    """As the page's script sends it: the form's token (and the X-CSRFToken header). Without
    one the request is refused before the view (tests/portal/test_permission_matrix.py)."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reviewer.user)
    refused = browser.post(autosave_url(assignment), typed(criteria, ["4", "", ""]))
    assert refused.status_code == 403 and not Scoresheet.objects.exists()

    page = browser.get(sheet_url(assignment)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    assert f'data-autosave-url="{autosave_url(assignment)}"' in page
    response = browser.post(
        autosave_url(assignment),
        typed(criteria, ["4", "", ""], csrfmiddlewaretoken=token),
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200 and points(assignment) == [Decimal(4), None, None]
