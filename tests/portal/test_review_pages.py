"""The reviewer's pages (issue 3 §5–§6): pledge, own list, conflicts, the scoresheet."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from accounts.roles import Role
from evaluation.models import Assignment, Conflict, Score, Scoresheet, SecurityPledge
from portal.reviewer.views import REVIEW_LIST_PAGE
from proposals.models import AuditEntry

pytestmark = pytest.mark.django_db


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


def list_url(competition):
    return reverse("review:competition", args=[competition.slug])


def sheet_url(assignment):
    return reverse("review:sheet", args=[assignment.stage.competition.slug, assignment.pk])


def conflict_url(assignment):
    return reverse("review:conflict", args=[assignment.stage.competition.slug, assignment.pk])


def sheet_post(criteria, points, *, version=1, action="draft", confirm=False, comment="", comments=None):
    data = {"version": version, "action": action, "comment": comment}
    for criterion, value in zip(criteria, points, strict=True):
        data[f"points_{criterion.pk}"] = value
        data[f"comment_{criterion.pk}"] = (comments or {}).get(criterion.code, "")
    if confirm:
        data["confirm_final"] = "on"
    return data


def stored(assignment):
    """The stored sheet and scores, to assert that nothing changed."""
    sheet = Scoresheet.objects.filter(assignment=assignment).values_list().first()
    scores = list(Score.objects.filter(sheet__assignment=assignment).order_by("pk").values_list())
    return sheet, scores, AuditEntry.objects.count()


# --- the security pledge --------------------------------------------------------------------


def test_every_page_of_a_competition_waits_for_the_pledge(
    client, competition, criteria, make_reviewer, make_proposal, make_assignment
):
    reviewer = make_reviewer("lee")
    assignment = make_assignment(make_proposal(), reviewer)
    client.force_login(reviewer.user)
    pledge_url = reverse("review:pledge", args=[competition.slug])
    for url in (list_url(competition), sheet_url(assignment), conflict_url(assignment)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(pledge_url + "?next=")
    assert client.post(conflict_url(assignment), {"action": "confirm", "confirm": "on"}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.no_conflict_confirmed_at is None

    page = client.get(pledge_url).content.decode()
    assert "보안서약" in page and "비밀" in page

    refused = client.post(pledge_url, {"next": sheet_url(assignment)})
    assert "보안서약에 동의하려면 확인란을 선택해 주세요." in refused.content.decode()
    assert not SecurityPledge.objects.exists()

    accepted = client.post(pledge_url, {"accept": "on", "next": sheet_url(assignment)})
    assert accepted.status_code == 302 and accepted.url == sheet_url(assignment)
    pledge = SecurityPledge.objects.get()
    assert (pledge.reviewer, pledge.competition) == (reviewer, competition)
    assert pledge.accepted_at is not None
    assert client.get(list_url(competition)).status_code == 200


def test_pledge_ignores_a_next_url_off_the_site(
    client, competition, criteria, make_reviewer, make_proposal, make_assignment
):
    reviewer = make_reviewer("lee")
    make_assignment(make_proposal(), reviewer)
    client.force_login(reviewer.user)
    response = client.post(
        reverse("review:pledge", args=[competition.slug]), {"accept": "on", "next": "https://evil.example/"}
    )
    assert response.url == list_url(competition)


# --- the list of assigned proposals ---------------------------------------------------------


def test_list_shows_own_assignments_with_their_state_and_nobody_elses(
    as_reviewer, competition, criteria, reviewer, make_reviewer, make_proposal, make_assignment
):
    other = make_reviewer("park")
    not_started = make_assignment(make_proposal(applicant="고양시"), reviewer)
    draft = make_assignment(make_proposal(applicant="평택시"), reviewer, confirmed=True)
    submitted = make_assignment(make_proposal(applicant="목포시"), reviewer, confirmed=True)
    conflicted = make_assignment(make_proposal(applicant="태안군"), reviewer)
    make_assignment(make_proposal(applicant="아산시"), other, confirmed=True)
    shared = make_assignment(not_started.proposal, other, confirmed=True)

    as_reviewer.post(sheet_url(draft), sheet_post(criteria, ["10", "", ""]))
    as_reviewer.post(
        sheet_url(submitted), sheet_post(criteria, ["10", "11", "12"], action="submit", confirm=True)
    )
    Conflict.objects.create(
        proposal=conflicted.proposal, reviewer=reviewer, kind=Conflict.Kind.CHALLENGED, reason="기피 신청"
    )
    Scoresheet.objects.create(assignment=shared, total=Decimal("77.5"), comment="다른 위원의 의견")

    page = as_reviewer.get(list_url(competition)).content.decode()
    rows = {
        name: page.split(name, 1)[1].split("</tr>", 1)[0] for name in ("고양시", "평택시", "목포시", "태안군")
    }
    assert "시작 전" in rows["고양시"] and sheet_url(not_started) in rows["고양시"]
    assert "임시 저장" in rows["평택시"] and sheet_url(draft) in rows["평택시"]
    assert "제출 완료" in rows["목포시"] and sheet_url(submitted) in rows["목포시"]
    assert "이해충돌" in rows["태안군"] and "href" not in rows["태안군"]
    assert "아산시" not in page
    assert "77.5" not in page and "다른 위원의 의견" not in page
    assert "위원 park" not in page


def test_start_page_lists_the_competitions_with_an_assignment(as_reviewer, competition, assignment):
    page = as_reviewer.get(reverse("review:index")).content.decode()
    assert list_url(competition) in page and "배정된 제안 1건" in page


def test_a_competition_without_an_assignment_is_not_found(client, competition, make_reviewer, pledged):
    reviewer = make_reviewer("choi")
    pledged(reviewer)
    client.force_login(reviewer.user)
    assert client.get(list_url(competition)).status_code == 404
    assert client.get(reverse("review:pledge", args=[competition.slug])).status_code == 404


# --- conflicts of interest ------------------------------------------------------------------


def test_content_is_shown_only_after_no_conflict_is_confirmed(
    as_reviewer, criteria, reviewer, make_proposal, make_assignment
):
    assignment = make_assignment(make_proposal(applicant="고양시", summary="비밀 주요내용"), reviewer)
    response = as_reviewer.get(sheet_url(assignment))
    assert response.status_code == 302 and response.url == conflict_url(assignment)
    page = as_reviewer.get(conflict_url(assignment)).content.decode()
    assert "고양시" in page and "한국교통연구원" in page  # who is involved, to judge a conflict
    assert assignment.proposal.title not in page and "비밀 주요내용" not in page

    unchecked = as_reviewer.post(conflict_url(assignment), {"action": "confirm"})
    assert "이해충돌이 없음을 확인하려면 확인란을 선택해 주세요." in unchecked.content.decode()
    assignment.refresh_from_db()
    assert assignment.no_conflict_confirmed_at is None

    confirmed = as_reviewer.post(conflict_url(assignment), {"action": "confirm", "confirm": "on"})
    assert confirmed.url == sheet_url(assignment)
    assignment.refresh_from_db()
    assert assignment.no_conflict_confirmed_at is not None
    entry = AuditEntry.objects.get(action="assignment.updated", object_id=str(assignment.pk))
    assert entry.actor == reviewer.user and "no_conflict_confirmed_at" in entry.after

    page = as_reviewer.get(sheet_url(assignment)).content.decode()
    assert assignment.proposal.title in page and "비밀 주요내용" in page and "자율주행 셔틀" in page
    assert "010-1234-5678" not in page and "@city.go.kr" not in page


def test_declaring_a_conflict_needs_a_reason(as_reviewer, criteria, reviewer, make_proposal, make_assignment):
    assignment = make_assignment(make_proposal(), reviewer)
    for reason in ("", "   "):
        response = as_reviewer.post(conflict_url(assignment), {"action": "declare", "reason": reason})
        assert response.status_code == 200
        page = response.content.decode()
        assert "회피 사유를 입력해 주세요." in page
        assert 'aria-invalid="true" aria-describedby="reason-error"' in page
    assert not Conflict.objects.exists()


def test_declared_conflict_hides_the_proposal(
    as_reviewer, competition, criteria, reviewer, make_proposal, make_assignment
):
    assignment = make_assignment(make_proposal(applicant="고양시"), reviewer)
    response = as_reviewer.post(
        conflict_url(assignment), {"action": "declare", "reason": " 최근 3년 내 자문 수행 "}
    )
    assert response.status_code == 302 and response.url == list_url(competition)
    conflict = Conflict.objects.get()
    assert (conflict.kind, conflict.reason, conflict.recorded_by) == (
        Conflict.Kind.DECLARED,
        "최근 3년 내 자문 수행",
        reviewer.user,
    )
    assert AuditEntry.objects.filter(action="conflict.created", reason="최근 3년 내 자문 수행").exists()
    listing = as_reviewer.get(list_url(competition)).content.decode()
    assert sheet_url(assignment) not in listing and "이해충돌" in listing
    for url in (sheet_url(assignment), conflict_url(assignment)):
        assert as_reviewer.get(url).status_code == 404
        assert as_reviewer.post(url, {"action": "confirm", "confirm": "on"}).status_code == 404


# --- the scoresheet -------------------------------------------------------------------------


def test_form_shows_each_criterion_with_its_rules(as_reviewer, criteria, assignment):
    page = as_reviewer.get(sheet_url(assignment)).content.decode()
    for criterion in criteria:
        assert criterion.code in page and criterion.name in page and criterion.description in page
        assert f'name="points_{criterion.pk}"' in page and f'name="comment_{criterion.pk}"' in page
    assert 'step="0.5"' in page and 'max="20"' in page
    assert "0점부터 20점까지 0.5점 단위로 입력합니다." in page
    assert 'name="version" value="1"' in page
    assert "portal/score-total.js" in page
    assert "제출하면 수정할 수 없음을 확인합니다" in page


def test_draft_is_kept_after_a_reload(as_reviewer, criteria, assignment):
    response = as_reviewer.post(
        sheet_url(assignment),
        sheet_post(criteria, ["12.5", "", "7"], comment="전반적으로 우수", comments={"C1": "구체적"}),
    )
    assert response.status_code == 302 and response.url == sheet_url(assignment)
    sheet = Scoresheet.objects.get()
    assert (sheet.status, sheet.version, sheet.total) == (Scoresheet.Status.DRAFT, 2, None)
    page = as_reviewer.get(sheet_url(assignment)).content.decode()
    assert "임시 저장했습니다." in page
    assert f'name="points_{criteria[0].pk}" id="id_points_{criteria[0].pk}"\n            value="12.5"' in page
    assert 'value="7" min="0"' in page
    assert "구체적</textarea>" in page and "전반적으로 우수</textarea>" in page
    assert 'name="version" value="2"' in page
    assert '<output data-score-total aria-live="polite"' in page and ">19.5</output>" in page


def test_stale_save_is_refused_and_keeps_what_was_typed(as_reviewer, criteria, assignment):
    as_reviewer.post(sheet_url(assignment), sheet_post(criteria, ["10", "10", "10"]))  # another tab
    before = stored(assignment)
    response = as_reviewer.post(
        sheet_url(assignment), sheet_post(criteria, ["15", "16.5", ""], version=1, comment="내가 쓴 의견")
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert (
        escape(
            "이 평가표를 연 뒤 다른 곳(다른 탭이나 기기)에서 저장되었습니다. 입력한 내용은 아래에 그대로 두었습니다. "
            "저장된 내용을 확인한 뒤 다시 저장해 주세요."
        )
        in page
    )
    assert (
        'value="15" min="0"' in page and 'value="16.5" min="0"' in page and "내가 쓴 의견</textarea>" in page
    )
    assert "다른 곳에 저장된 값: 10" in page
    assert 'name="version" value="2"' in page  # a deliberate second save replaces the stored version
    assert stored(assignment) == before


def test_stale_save_then_deliberate_save_replaces(as_reviewer, criteria, assignment):
    as_reviewer.post(sheet_url(assignment), sheet_post(criteria, ["10", "10", "10"]))
    as_reviewer.post(sheet_url(assignment), sheet_post(criteria, ["15", "", ""], version=1))
    as_reviewer.post(sheet_url(assignment), sheet_post(criteria, ["15", "", ""], version=2))
    points = list(Score.objects.order_by("criterion__order").values_list("points", flat=True))
    assert points == [Decimal("15"), None, None]


@pytest.mark.parametrize(
    ("points", "message"),
    [
        (["10", "", "10"], "제출하려면 이 항목의 점수를 입력해 주세요."),
        (["10", "20.5", "10"], "0점부터 20점 사이로 입력해 주세요."),
        (["10", "-1", "10"], "0점부터 20점 사이로 입력해 주세요."),
        (["10", "10.3", "10"], "점수는 0.5점 단위로 입력해 주세요."),
        (["10", "열", "10"], "숫자를 입력해 주세요."),
    ],
)
def test_submit_with_a_bad_point_shows_the_message_next_to_the_field_and_changes_nothing(
    as_reviewer, criteria, assignment, points, message
):
    as_reviewer.post(sheet_url(assignment), sheet_post(criteria, ["1", "", ""]))
    before = stored(assignment)
    response = as_reviewer.post(
        sheet_url(assignment), sheet_post(criteria, points, version=2, action="submit", confirm=True)
    )
    assert response.status_code == 200
    page = response.content.decode()
    field = criteria[1].pk
    assert f'<p class="form-hint-invalid" id="points-{field}-error">{message}</p>' in page
    assert (
        f'aria-invalid="true"\n            aria-describedby="points-{field}-hint points-{field}-error"'
        in page
    )
    assert f'value="{points[1]}" min="0"' in page
    assert stored(assignment) == before
    assert Scoresheet.objects.get().status == Scoresheet.Status.DRAFT


def test_save_draft_refuses_a_point_out_of_range_but_allows_blanks(as_reviewer, criteria, assignment):
    response = as_reviewer.post(sheet_url(assignment), sheet_post(criteria, ["25", "", ""]))
    page = response.content.decode()
    assert "평가표를 저장하지 않았습니다. 다음 1가지를 확인해 주세요." in page
    assert (
        f'<a href="#id_points_{criteria[0].pk}">C1 평가항목 1: 0점부터 20점 사이로 입력해 주세요.</a>' in page
    )
    assert "0점부터 20점 사이로 입력해 주세요.</p>" in page
    assert not Scoresheet.objects.exists()


def test_submit_requires_confirming_that_it_is_final(as_reviewer, criteria, assignment):
    response = as_reviewer.post(
        sheet_url(assignment), sheet_post(criteria, ["10", "10", "10"], action="submit")
    )
    assert "제출하면 수정할 수 없음을 확인하는 확인란을 선택해 주세요." in response.content.decode()
    assert not Scoresheet.objects.exists()


def test_double_submit_makes_one_submission(as_reviewer, criteria, assignment):
    data = sheet_post(criteria, ["10", "12.5", "20"], action="submit", confirm=True, comment="의견")
    first = as_reviewer.post(sheet_url(assignment), data)
    second = as_reviewer.post(sheet_url(assignment), data)
    assert first.status_code == second.status_code == 302
    sheet = Scoresheet.objects.get()
    assert (sheet.status, sheet.total, sheet.version) == (Scoresheet.Status.SUBMITTED, Decimal("42.50"), 2)
    submissions = list(AuditEntry.objects.filter(action="scoresheet.submitted"))
    assert len(submissions) == 1 and submissions[0].actor == assignment.reviewer.user
    assert submissions[0].after["status"] == "submitted" and len(submissions[0].after["digest"]) == 64


def test_submitted_sheet_is_read_only(as_reviewer, criteria, assignment):
    as_reviewer.post(
        sheet_url(assignment), sheet_post(criteria, ["10", "12.5", "20"], action="submit", confirm=True)
    )
    page = as_reviewer.get(sheet_url(assignment)).content.decode()
    assert "제출한 평가표" in page and "42.5" in page
    assert 'name="points_' not in page and '<form method="post" class="score-form"' not in page

    before = stored(assignment)
    for data in (
        sheet_post(criteria, ["1", "1", "1"], version=2),
        sheet_post(criteria, ["1", "1", "1"], version=2, action="submit", confirm=True),
        sheet_post(criteria, ["1", "1", "1"], version=1, action="submit", confirm=True),
        {"version": "x"},
    ):
        response = as_reviewer.post(sheet_url(assignment), data)
        assert response.status_code == 403
        assert "이 평가표는 제출되어 더 이상 수정할 수 없습니다." in response.content.decode()
    assert stored(assignment) == before
    assert as_reviewer.get(conflict_url(assignment)).url == sheet_url(assignment)


# --- nobody else's pages --------------------------------------------------------------------


def test_another_reviewer_gets_404_on_this_assignment(
    client, competition, criteria, assignment, make_reviewer, make_proposal, make_assignment, pledged
):
    other = make_reviewer("park")
    pledged(other)
    make_assignment(make_proposal(), other, confirmed=True)  # a member of the same competition
    client.force_login(other.user)
    before = stored(assignment)
    for url in (sheet_url(assignment), conflict_url(assignment)):
        assert client.get(url).status_code == 404
        assert (
            client.post(url, sheet_post(criteria, ["1", "1", "1"], action="submit", confirm=True)).status_code
            == 404
        )
        assert client.post(url, {"action": "declare", "reason": "사유"}).status_code == 404
    assert stored(assignment) == before and not Conflict.objects.exists()


@pytest.mark.parametrize("role", [Role.OFFICIAL, Role.ADMIN])
def test_officials_and_admins_cannot_open_reviewer_pages(client, competition, assignment, user_factory, role):
    client.force_login(user_factory(role, f"{role}-1"))
    for url in (
        reverse("review:index"),
        list_url(competition),
        reverse("review:pledge", args=[competition.slug]),
        sheet_url(assignment),
        conflict_url(assignment),
    ):
        assert client.get(url).status_code == 403


def test_anonymous_visitors_go_to_the_login_page(client, competition, assignment):
    for url in (list_url(competition), sheet_url(assignment), conflict_url(assignment)):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- a constant number of queries -----------------------------------------------------------


@pytest.mark.parametrize("count", [5, 60])
def test_list_page_queries_do_not_grow_with_assignments(
    as_reviewer,
    competition,
    criteria,
    reviewer,
    make_proposal,
    make_assignment,
    django_assert_max_num_queries,
    count,
):
    for number in range(count):
        assignment = make_assignment(make_proposal(), reviewer, confirmed=True)
        if number % 3 == 1:
            Scoresheet.objects.create(assignment=assignment)
        if number % 5 == 2:
            Conflict.objects.create(
                proposal=assignment.proposal, reviewer=reviewer, kind=Conflict.Kind.CHALLENGED, reason="사유"
            )
    with django_assert_max_num_queries(10):  # + the progress bar's counts and the page's count
        response = as_reviewer.get(list_url(competition))
    html = response.content.decode()
    assert html.count("<tr") == min(count, REVIEW_LIST_PAGE) + 1  # a page of them, and the header
    if count > REVIEW_LIST_PAGE:
        assert 'class="krds-pagination"' in html
        rest = as_reviewer.get(list_url(competition) + "?page=2").content.decode()
        assert rest.count("<tr") == count - REVIEW_LIST_PAGE + 1


def test_list_page_loads_only_the_assignments_it_shows(
    as_reviewer, competition, criteria, reviewer, make_proposal, make_assignment, monkeypatch
):
    """A page of the list builds the assignments of that page, not every one (the paginator
    counts them: asked for the table's length first, it loaded all 2,000 in page_bench)."""
    for _number in range(REVIEW_LIST_PAGE + 7):
        make_assignment(make_proposal(), reviewer, confirmed=True)
    built = []
    original = Assignment.from_db.__func__

    def counting(cls, db, field_names, values, **kwargs):
        built.append(values)
        return original(cls, db, field_names, values, **kwargs)

    monkeypatch.setattr(Assignment, "from_db", classmethod(counting))
    for page, shown in (("", REVIEW_LIST_PAGE), ("?page=2", 7), ("?page=99", 7)):
        built.clear()
        html = as_reviewer.get(list_url(competition) + page).content.decode()
        assert html.count("<tr") == shown + 1
        assert len(built) == shown, page


@pytest.mark.parametrize("count", [5, 25])
def test_score_form_queries_do_not_grow_with_criteria(
    as_reviewer, make_criteria, reviewer, make_proposal, make_assignment, django_assert_max_num_queries, count
):
    criteria = make_criteria(count)
    assignment = make_assignment(make_proposal(), reviewer, confirmed=True)
    as_reviewer.post(sheet_url(assignment), sheet_post(criteria, ["1"] * count))
    with django_assert_max_num_queries(10):
        response = as_reviewer.get(sheet_url(assignment))
    assert response.content.decode().count('name="points_') == count


def test_a_sheet_submitted_by_the_score_import_opens_read_only(
    as_reviewer, criteria, reviewer, make_proposal, make_assignment, submit_sheet
):
    """A sheet that came in through ``import_scores`` (no "no conflict" confirmation by the
    reviewer) opens read-only from the sheet and the conflict URLs alike: no redirect loop."""
    imported = make_assignment(make_proposal(applicant="평택시"), reviewer, confirmed=False)
    submit_sheet(imported, [10, 12.5, 20])

    page = as_reviewer.get(sheet_url(imported))
    assert page.status_code == 200
    assert "제출한 평가표" in page.content.decode() and "42.5" in page.content.decode()
    assert as_reviewer.get(conflict_url(imported)).url == sheet_url(imported)

    before = stored(imported)
    refused = as_reviewer.post(sheet_url(imported), sheet_post(criteria, ["1", "1", "1"], version=2))
    assert refused.status_code == 403
    assert "이 평가표는 제출되어 더 이상 수정할 수 없습니다." in refused.content.decode()
    assert stored(imported) == before


@pytest.mark.parametrize(
    ("typed", "stored_points"),
    [("-0", Decimal("0")), ("-0.0", Decimal("0")), ("５", Decimal("5")), ("１２.５", Decimal("12.5"))],
)
def test_points_are_read_as_spec_5_reads_numbers(as_reviewer, criteria, assignment, typed, stored_points):
    """ASCII and full-width digits, as the spreadsheets (SPEC §5); ``-0`` is stored as 0."""
    response = as_reviewer.post(sheet_url(assignment), sheet_post(criteria, [typed, "", ""]))
    assert response.status_code == 302
    points = Score.objects.get(criterion=criteria[0]).points
    assert points == stored_points and not points.is_signed()
    recorded = AuditEntry.objects.filter(action="score.created").order_by("pk").first().after["points"]
    assert not recorded.startswith("-")  # the audit trail records what the reviewer's value means


@pytest.mark.parametrize("typed", ["٣", "३", "𝟓", "1e1", "+5", "5,0", "0x5", "Infinity", "NaN", "1_0"])
def test_other_digits_and_number_forms_are_refused(as_reviewer, criteria, assignment, typed):
    before = stored(assignment)
    response = as_reviewer.post(sheet_url(assignment), sheet_post(criteria, [typed, "", ""]))
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        f'<p class="form-hint-invalid" id="points-{criteria[0].pk}-error">숫자를 입력해 주세요.</p>' in page
    )
    assert stored(assignment) == before


def test_minus_zero_from_a_shell_is_stored_and_audited_as_zero(criteria, assignment):
    from evaluation.sheets import SheetInput, save_draft

    save_draft(assignment, 1, SheetInput(points={criteria[0].pk: Decimal("-0.0")}), assignment.reviewer.user)
    entry = AuditEntry.objects.filter(action="score.created").order_by("pk").first()
    assert entry.after["points"] == "0.00"
