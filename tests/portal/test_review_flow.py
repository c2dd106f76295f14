"""The reviewer's flow through the pages (issue 10 items 3–6), without a browser: the error
summary of a refused submission, "save, then the next proposal", the way on after submitting,
the progress "n/m 제출", the print view's signature line, a reopened sheet's reason and when, and
the markup the narrow-screen cards and Korean line breaking rely on. The browser journey is
tests/browser/test_reviewer_sheet.py."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from evaluation import sheets
from evaluation.models import Assignment, Conflict, Scoresheet, Stage
from proposals.models import AuditEntry

pytestmark = pytest.mark.django_db

TICK = "제출하면 수정할 수 없음을 확인하는 확인란을 선택해 주세요."


@pytest.fixture
def criteria(make_criteria):
    return make_criteria(3)


@pytest.fixture
def reviewer(make_reviewer, pledged):
    reviewer = make_reviewer("kim")
    reviewer.name = "김서연"
    reviewer.save()
    pledged(reviewer)
    return reviewer


@pytest.fixture
def listed(criteria, reviewer, make_proposal, make_assignment):
    """Five assignments; the list orders them by applicant name: 고양시, 목포시, 비공개 지자체 01,
    울산광역시, 평택시."""
    return {
        name: make_assignment(make_proposal(applicant=name), reviewer, confirmed=True)
        for name in ("울산광역시", "고양시", "비공개 지자체 01", "평택시", "목포시")
    }


@pytest.fixture
def as_reviewer(client, reviewer):
    client.force_login(reviewer.user)
    return client


def sheet_url(assignment):
    return reverse("review:sheet", args=[assignment.stage.competition.slug, assignment.pk])


def list_url(assignment):
    return reverse("review:competition", args=[assignment.stage.competition.slug])


def sheet_post(criteria, points, *, version=1, action="draft", confirm=False):
    data = {"version": version, "action": action, "comment": ""}
    for criterion, value in zip(criteria, points, strict=True):
        data[f"points_{criterion.pk}"] = value
        data[f"comment_{criterion.pk}"] = ""
    if confirm:
        data["confirm_final"] = "on"
    return data


def summary_of(page):
    """The error summary's title and items (text, link target)."""
    block = page.split('id="error-summary"', 1)[1].split("</div>", 1)[0]
    title = re.search(r'<h2 class="error-summary-title" id="error-summary-title">(.*?)</h2>', block).group(1)
    items = re.findall(r'<li data-error-for="([^"]+)"><a href="#([^"]+)">(.*?)</a></li>', block)
    assert all(field == target for field, target, _text in items)
    return title, [(target, text) for _field, target, text in items]


# --- errors where the eye is ------------------------------------------------------------------


def test_submitting_without_the_tick_says_exactly_that(as_reviewer, criteria, listed):
    """Before: "일부 입력이 올바르지 않아 저장하지 않았습니다" — as if the scores were wrong."""
    assignment = listed["울산광역시"]
    response = as_reviewer.post(
        sheet_url(assignment), sheet_post(criteria, ["10", "12.5", "20"], action="submit")
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert summary_of(page) == (
        "평가표를 제출하지 않았습니다. 다음 1가지를 확인해 주세요.",
        [("id_confirm_final", TICK)],
    )
    assert '<div class="krds-alert error error-summary" role="alert" id="error-summary" tabindex="-1"' in page
    assert "일부 입력이 올바르지 않" not in page and "점수가 올바르지" not in page
    assert '<div class="form-group confirm-final is-error">' in page
    assert (
        'id="id_confirm_final" value="on"\n          aria-invalid="true" aria-describedby="confirm-final-error"'
        in page
    )
    assert f'<p class="form-hint-invalid" id="confirm-final-error">{TICK}</p>' in page
    assert page.count('aria-invalid="true"') == 1  # the scores are fine
    assert 'value="12.5" min="0"' in page and "data-unsaved" in page  # kept, and marked unsaved
    assert not Scoresheet.objects.exists()


def test_the_summary_names_every_problem_at_once_in_page_order(as_reviewer, criteria, listed):
    assignment = listed["울산광역시"]
    response = as_reviewer.post(
        sheet_url(assignment), sheet_post(criteria, ["", "25", "열"], action="submit")
    )
    page = response.content.decode()
    first, second, third = (criterion.pk for criterion in criteria)
    assert summary_of(page) == (
        "평가표를 제출하지 않았습니다. 다음 4가지를 확인해 주세요.",
        [
            (f"id_points_{first}", "C1 평가항목 1: 제출하려면 이 항목의 점수를 입력해 주세요."),
            (f"id_points_{second}", "C2 평가항목 2: 0점부터 20점 사이로 입력해 주세요."),
            (f"id_points_{third}", "C3 평가항목 3: 숫자를 입력해 주세요."),
            ("id_confirm_final", TICK),
        ],
    )
    assert page.count('<div class="form-conts points-input is-error">') == 3
    assert page.count('aria-invalid="true"') == 4
    assert not Scoresheet.objects.exists()


def test_invalid_points_with_the_tick_are_listed_and_marked(as_reviewer, criteria, listed):
    assignment = listed["울산광역시"]
    response = as_reviewer.post(
        sheet_url(assignment), sheet_post(criteria, ["10", "10.3", ""], action="submit", confirm=True)
    )
    page = response.content.decode()
    second, third = criteria[1].pk, criteria[2].pk
    assert summary_of(page) == (
        "평가표를 제출하지 않았습니다. 다음 2가지를 확인해 주세요.",
        [
            (f"id_points_{second}", "C2 평가항목 2: 점수는 0.5점 단위로 입력해 주세요."),
            (f"id_points_{third}", "C3 평가항목 3: 제출하려면 이 항목의 점수를 입력해 주세요."),
        ],
    )
    assert f'aria-describedby="points-{second}-hint points-{second}-error"' in page
    assert not Scoresheet.objects.exists()


def test_the_sheet_page_loads_its_script_and_works_without_it(as_reviewer, criteria, listed):
    page = as_reviewer.get(sheet_url(listed["울산광역시"])).content.decode()
    assert '<form method="post" class="score-form"' in page  # the form posts as before
    assert "portal/review-sheet.js" in page and "portal/score-total.js" in page
    assert '<p class="autosave-status" id="autosave-status" role="status" aria-live="polite"></p>' in page
    assert "data-unsaved" not in page and "data-autosave-stopped" not in page
    assert '<dialog class="leave-dialog" id="leave-dialog"' in page


# --- save, then the next proposal ----------------------------------------------------------------


def test_save_and_next_opens_the_next_unsubmitted_proposal_in_list_order(
    as_reviewer, criteria, listed, submit_sheet
):
    submit_sheet(listed["평택시"], [1, 1, 1])
    Conflict.objects.create(
        proposal=listed["고양시"].proposal,
        reviewer=listed["고양시"].reviewer,
        kind=Conflict.Kind.CHALLENGED,
        reason="기피",
    )
    ulsan = listed["울산광역시"]
    page = as_reviewer.get(sheet_url(ulsan)).content.decode()
    assert 'name="action" value="next"' in page
    assert (
        "제출하지 않은 다음 사업: 목포시(서면평가)" in page
    )  # 평택시 submitted, 고양시 conflicted: from the top

    response = as_reviewer.post(sheet_url(ulsan), sheet_post(criteria, ["10", "", ""], action="next"))
    assert response.status_code == 302 and response.url == sheet_url(listed["목포시"])
    assert Scoresheet.objects.get(assignment=ulsan).version == 2  # saved first
    following = as_reviewer.get(response.url).content.decode()
    assert "울산광역시 평가표를 임시 저장했습니다. 다음 사업: 목포시" in following
    assert "제출하지 않은 다음 사업: 비공개 지자체 01(서면평가)" in following


def test_save_and_next_with_nothing_left_goes_to_the_list(as_reviewer, criteria, listed, submit_sheet):
    for name in ("고양시", "비공개 지자체 01", "평택시", "목포시"):
        submit_sheet(listed[name], [1, 1, 1])
    ulsan = listed["울산광역시"]
    page = as_reviewer.get(sheet_url(ulsan)).content.decode()
    assert 'value="next"' not in page  # no button without a next proposal

    response = as_reviewer.post(sheet_url(ulsan), sheet_post(criteria, ["10", "", ""], action="next"))
    assert response.status_code == 302 and response.url == list_url(ulsan)
    listing = as_reviewer.get(response.url).content.decode()
    assert "임시 저장했습니다. 배정된 다른 사업의 평가표는 모두 제출되었습니다." in listing


def test_save_and_next_refused_keeps_the_page(as_reviewer, criteria, listed):
    """A refused save does not move on: the same sheet, every value, the message."""
    ulsan = listed["울산광역시"]
    response = as_reviewer.post(sheet_url(ulsan), sheet_post(criteria, ["25", "", ""], action="next"))
    assert response.status_code == 200
    page = response.content.decode()
    assert summary_of(page)[0] == "평가표를 저장하지 않았습니다. 다음 1가지를 확인해 주세요."
    assert 'value="25" min="0"' in page
    assert not Scoresheet.objects.exists()


# --- after submitting ------------------------------------------------------------------------


def test_after_submitting_the_message_once_and_a_way_on(as_reviewer, criteria, listed, submit_sheet):
    """Before: the success message and the notice said the same sentence, and no link led on."""
    submit_sheet(listed["평택시"], [1, 1, 1])
    ulsan = listed["울산광역시"]
    response = as_reviewer.post(
        sheet_url(ulsan),
        sheet_post(criteria, ["10", "12.5", "20"], action="submit", confirm=True),
        follow=True,
    )
    page = response.content.decode()
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert "평가표를 제출하였습니다. 더 이상 수정할 수 없습니다." in main
    assert main.count("수정할 수 없") == 1
    assert "2/5 제출" in main
    assert (
        f'<a class="krds-btn primary medium" href="{list_url(ulsan)}">배정된 사업 목록으로 돌아가기</a>'
        in main
    )
    assert f'href="{sheet_url(listed["고양시"])}">다음 사업 평가하기: 고양시</a>' in main
    assert (
        '<button type="button" class="krds-btn tertiary medium" data-print hidden>서명용으로 인쇄</button>'
        in main
    )
    assert "portal/print.js" in page and "portal/review-sheet.js" in page
    # The print view: a signature line with the reviewer's name and a date line (print CSS).
    signature = main.split('class="signature-block print-only"', 1)[1]
    assert "김서연" in signature and "(서명)" in signature and "년" in signature and "월" in signature
    submitted = Scoresheet.objects.get(assignment=ulsan).submitted_at
    local = timezone.localtime(submitted)
    assert f"{local.year}. {local.month}. {local.day}. {local:%H:%M}" in signature
    assert '<th scope="row">합계</th><td class="num" data-label="점수">42.5</td>' in main


def test_the_total_row_uses_the_columns_of_the_rows_above(as_reviewer, criteria, listed, submit_sheet):
    """The 합계 row's cells are the same cells as the rows above (number cells right-aligned by
    review.css in the body, the head and the foot alike)."""
    submit_sheet(listed["울산광역시"], [10, 12.5, 20])
    page = as_reviewer.get(sheet_url(listed["울산광역시"])).content.decode()
    table = page.split('<table class="tbl data submitted-scores">', 1)[1].split("</table>", 1)[0]
    head = re.findall(r'<th scope="col"( class="num")?>', table)
    body_row = table.split("<tbody>", 1)[1].split("</tr>", 1)[0]
    foot = table.split("<tfoot>", 1)[1]
    assert head == ["", ' class="num"', ' class="num"', ""]

    def cells(html):
        return [(tag, bool(number)) for tag, number in re.findall(r'<(t[hd])[^>]*?( class="num")?[ >]', html)]

    assert cells(body_row) == cells(foot) == [("th", False), ("td", True), ("td", True), ("td", False)]


# --- progress ----------------------------------------------------------------------------------


def test_progress_counts_submitted_of_assigned_without_conflicts(
    as_reviewer, criteria, listed, submit_sheet, stage, reviewer
):
    submit_sheet(listed["평택시"], [1, 1, 1])
    submit_sheet(listed["목포시"], [1, 1, 1], draft_only=True)  # a draft does not count
    Conflict.objects.create(
        proposal=listed["고양시"].proposal, reviewer=reviewer, kind=Conflict.Kind.CHALLENGED, reason="기피"
    )
    later = Stage.objects.create(competition=stage.competition, code="test-oral", name="발표평가", order=91)
    Assignment.objects.create(stage=later, proposal=listed["울산광역시"].proposal, reviewer=reviewer)
    listing = as_reviewer.get(list_url(listed["울산광역시"])).content.decode()
    assert re.search(r'review-progress-stage">서면평가</span>\s*<strong>1/4 제출</strong>', listing)
    assert '<progress class="review-progress-bar" max="4" value="1"' in listing
    assert re.search(r'review-progress-stage">발표평가</span>\s*<strong>0/1 제출</strong>', listing)
    sheet = as_reviewer.get(sheet_url(listed["울산광역시"])).content.decode()
    assert "<strong>1/4 제출</strong>" in sheet and "0/1 제출" not in sheet  # its own stage only


# --- reopened sheets ------------------------------------------------------------------------------


def test_a_reopened_sheet_shows_the_officials_reason_and_when(
    as_reviewer, criteria, listed, submit_sheet, user_factory
):
    reopened = listed["비공개 지자체 01"]
    submit_sheet(reopened, [15, 16, 17])
    sheets.reopen(reopened, "C2 배점 기준을 다시 확인해 주십시오.", user_factory(Role.OFFICIAL, "official-1"))
    at = timezone.localtime(Scoresheet.objects.get(assignment=reopened).reopened_at)
    when = f"{at.year}. {at.month}. {at.day}. {at:%H:%M}"

    listing = as_reviewer.get(list_url(reopened)).content.decode()
    row = listing.split("비공개 지자체 01", 1)[1].split("</tr>", 1)[0]
    assert "재개됨(다시 제출 필요)" in row
    assert (
        f'<span class="reopen-note">재개 사유: C2 배점 기준을 다시 확인해 주십시오. <span class="reopen-when">({when})</span></span>'
        in row
    )

    page = as_reviewer.get(sheet_url(reopened)).content.decode()
    notice = page.split('id="sheet-reopened"', 1)[1].split("</div>", 1)[0]
    assert f"담당 공무원이 {when}에 이 평가표를 재개했습니다." in notice
    assert "<strong>재개 사유:</strong> C2 배점 기준을 다시 확인해 주십시오." in notice


# --- narrow screens and Korean line breaking -----------------------------------------------------


def test_the_list_cells_carry_their_column_names_for_the_narrow_cards(as_reviewer, criteria, listed):
    listing = as_reviewer.get(list_url(listed["울산광역시"])).content.decode()
    row = listing.split("<tbody", 1)[1].split("</tr>", 1)[0]
    for label in ("평가 단계", "트랙", "평가표"):
        assert f'data-label="{label}"' in row
    assert re.search(
        r'<td (class="applicant" data-label="신청 지자체"|data-label="신청 지자체" class="applicant")>', row
    )
    assert re.search(r'<td (class="action" data-label="작업"|data-label="작업" class="action")>', row)


@pytest.mark.parametrize("page", ["index", "competition", "pledge", "sheet", "conflict"])
def test_every_reviewer_page_breaks_korean_between_words(as_reviewer, criteria, listed, page):
    assignment = listed["울산광역시"]
    slug = assignment.stage.competition.slug
    url = {
        "index": reverse("review:index"),
        "competition": list_url(assignment),
        "pledge": reverse("review:pledge", args=[slug]),
        "sheet": sheet_url(assignment),
        "conflict": reverse("review:conflict", args=[slug, assignment.pk]),
    }[page]
    html = as_reviewer.get(url).content.decode()
    assert "portal/review.css" in html and '<div class="review-page">' in html


def test_review_css_breaks_korean_between_words():
    from pathlib import Path

    from django.contrib.staticfiles import finders

    css = Path(finders.find("portal/review.css")).read_text(encoding="utf-8")
    assert re.search(r"\.review-page \{ word-break: keep-all;", css)


def test_nothing_here_is_written_by_reading(as_reviewer, criteria, listed):
    before = AuditEntry.objects.count()
    for assignment in listed.values():
        as_reviewer.get(sheet_url(assignment))
    as_reviewer.get(list_url(listed["울산광역시"]))
    assert AuditEntry.objects.count() == before and not Scoresheet.objects.exists()
