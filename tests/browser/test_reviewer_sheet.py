"""The reviewer's journey through the scoresheet in a real browser, at 1280×900 and 390×844
(issue 10 items 2–6):

- typed points are saved in the background a few seconds after the last change (저장됨 and the
  time in the status line; no reload, no scroll jump) and are there after a reload;
- leaving a changed sheet asks first: the site's own links open a dialog (stay, save and leave),
  closing the tab or reloading gets the browser's own question;
- submitting without ticking the final confirmation lists exactly that at the top, linked to the
  box, and the focus lands on it; an invalid point is named, marked and focused the same way;
- "저장 후 다음 사업" saves and opens the next sheet not yet submitted, in the list's order;
- after submitting: the message once, the progress "n/5 제출", a way back to the list, the next
  proposal, and a print view to sign;
- a reopened sheet shows the official's reason and when, on the list and on the sheet;
- at 390 px the list is a column of cards: state and action in view, nothing scrolls sideways.

And, at 1280 only: another tab's save stops this tab's autosave with the reason, every value
kept. Every page is checked as it is shown (tests/browser/accessibility.py); the screenshots are
in test-artifacts/browser/reviewer-sheet-<width>/.
"""

import re

import pytest
from playwright.sync_api import expect

from accounts.roles import Role
from evaluation import sheets
from evaluation.models import Score, Scoresheet
from tests.browser.accessibility import Journey

PASSWORD = "pw-test-1234"
REOPEN_REASON = "C2 배점 기준을 다시 확인해 주십시오."
WIDTHS = {1280: {"width": 1280, "height": 900}, 390: {"width": 390, "height": 844}}


@pytest.fixture
def world(make_criteria, make_reviewer, make_proposal, make_assignment, pledged, submit_sheet, user_factory):
    """김 위원: five proposals in 서면평가 (C1–C3, 20 points each, step 0.5). 평택시 and 목포시
    submitted; 비공개 지자체 01 submitted, then reopened by an official with a reason."""
    criteria = make_criteria(3)
    reviewer = make_reviewer("kim")
    reviewer.name = "김서연"
    reviewer.save()
    pledged(reviewer)
    assignments = {
        name: make_assignment(
            make_proposal(applicant=name, title=f"{name} 스마트도시 사업"), reviewer, confirmed=True
        )
        for name in ("울산광역시", "고양시", "비공개 지자체 01", "평택시", "목포시")
    }
    for name in ("평택시", "목포시", "비공개 지자체 01"):
        submit_sheet(assignments[name], [15, 16, 17])
    official = user_factory(Role.OFFICIAL, "official-han")
    sheets.reopen(assignments["비공개 지자체 01"], REOPEN_REASON, official)
    return {"criteria": criteria, "assignments": assignments}


def sign_in(page, journey, label):
    page.goto("/accounts/login/")
    journey.check(page, f"{label}-login", once="login")
    page.get_by_label("이메일 또는 아이디").fill("kim")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page).to_have_url(re.compile(r"/review/$"))


def points_of(assignment):
    return list(
        Score.objects.filter(sheet__assignment=assignment)
        .order_by("criterion__order")
        .values_list("points", flat=True)
    )


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def within_screen(page, locator):
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


def glance(page, journey, name):
    """What the reviewer sees on the screen at this moment (the checked pages are full-page
    shots, in which the sticky header and total are drawn where the screen was)."""
    page.screenshot(path=journey.artifacts / f"{journey.count:02d}-{name}-screen.png")


def status_line(page):
    return page.locator("#autosave-status")


@pytest.mark.parametrize("width", sorted(WIDTHS, reverse=True))
@pytest.mark.django_db(transaction=True)
def test_the_reviewers_sheet_journey(new_context, live_server, artifacts_dir, world, width):
    journey = Journey(artifacts_dir / f"reviewer-sheet-{width}", live_server.url)
    journey.artifacts.mkdir(exist_ok=True)
    page = journey.open(new_context()).new_page()
    page.set_viewport_size(WIDTHS[width])
    assignments = world["assignments"]
    ulsan = assignments["울산광역시"]

    # --- the list: progress, the reopened sheet's reason, cards on a narrow screen -------------
    sign_in(page, journey, "reviewer")
    page.get_by_role("link", name="2023년 스마트시티 조성사업").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("배정된 사업 제안")
    expect(page.locator(".review-progress")).to_contain_text("서면평가 2/5 제출")
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "2")
    rows = page.locator("table.review-assignments tbody tr")
    expect(rows).to_have_count(5)
    expect(rows.locator("td.applicant")).to_have_text(
        ["고양시", "목포시", "비공개 지자체 01", "울산광역시", "평택시"]
    )
    reopened_row = rows.nth(2)
    expect(reopened_row).to_contain_text("재개됨(다시 제출 필요)")
    expect(reopened_row).to_contain_text(f"재개 사유: {REOPEN_REASON}")
    expect(reopened_row.locator(".reopen-when")).to_have_text(
        re.compile(r"^\(\d{4}\. \d{1,2}\. \d{1,2}\. \d{2}:\d{2}\)$")
    )
    assert no_sideways_scroll(page)
    for row in range(5):  # each card's state and action in view, not off to the side
        assert within_screen(page, rows.nth(row).locator(".sheet-state"))
        assert within_screen(page, rows.nth(row).locator("td.action a"))
    if width == 390:
        # Cards: the applicant on top, each value under its column's name.
        assert (
            rows.nth(0).locator("td.applicant").bounding_box()["y"]
            < rows.nth(0).locator(".sheet-state").bounding_box()["y"]
        )
        assert (
            page.evaluate(
                "getComputedStyle(document.querySelector('table.review-assignments thead')).position"
            )
            == "absolute"
        )
        name_box = rows.nth(2).locator("td.applicant")
        assert name_box.evaluate("el => getComputedStyle(el).wordBreak") == "keep-all"
        assert name_box.bounding_box()["height"] < 40  # "비공개 지자체 01" on one line
    journey.check(page, "list")

    # --- a reopened sheet shows the official's reason and when ---------------------------------
    rows.nth(2).get_by_role("link").click()
    notice = page.locator("#sheet-reopened")
    expect(notice).to_contain_text("담당 공무원이")
    expect(notice).to_contain_text("이 평가표를 재개했습니다")
    expect(notice).to_contain_text(f"재개 사유: {REOPEN_REASON}")
    expect(page.get_by_label("C2 점수")).to_have_value("16")
    journey.check(page, "reopened-sheet")
    page.go_back()

    # --- autosave: no reload, no scroll jump; reload and the points are there --------------------
    page.get_by_role("link", name="평가 시작 — 울산광역시").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("평가표: 울산광역시 스마트도시 사업")
    expect(page.locator(".review-progress")).to_contain_text("2/5 제출")
    expect(status_line(page)).to_have_text("")
    journey.check(page, "sheet")
    page.evaluate("window.sameDocument = true")
    field = page.get_by_label("C1 점수")
    field.scroll_into_view_if_needed()
    field.click()
    field.press_sequentially("15")
    scrolled = page.evaluate("window.scrollY")
    expect(page.locator("output[data-score-total]")).to_have_text("15")
    expect(status_line(page)).to_have_text(re.compile(r"^저장됨 \d{2}:\d{2}:\d{2}$"), timeout=10_000)
    assert page.evaluate("window.sameDocument") is True  # no reload
    assert page.evaluate("window.scrollY") == scrolled  # no scroll jump
    assert points_of(ulsan) == [15, None, None]
    assert Scoresheet.objects.get(assignment=ulsan).version == 2
    expect(page.locator("input[name=version]")).to_have_value("2")
    journey.check(page, "sheet-autosaved")
    field.scroll_into_view_if_needed()
    glance(page, journey, "sheet-autosaved")

    page.reload()
    expect(page.get_by_label("C1 점수")).to_have_value("15")
    expect(status_line(page)).to_contain_text("마지막 저장")

    # An invalid entry: the autosave says why, the field's message is next to it, values kept.
    c3 = page.get_by_label("C3 점수")
    c3.fill("25")
    expect(status_line(page)).to_have_text(
        "자동 저장하지 못했습니다: 올바르지 않은 입력이 있습니다. 각 항목 옆의 안내를 확인해 주세요. "
        "입력한 값은 화면에 그대로 있습니다.",
        timeout=10_000,
    )
    c3_error = page.locator(f"#points-{world['criteria'][2].pk}-error")
    expect(c3_error).to_have_text("0점부터 20점 사이로 입력해 주세요.")
    expect(c3).to_have_attribute("aria-invalid", "true")
    expect(c3).to_have_value("25")
    assert points_of(ulsan) == [15, None, None]
    journey.check(page, "autosave-invalid", status=400)
    c3.scroll_into_view_if_needed()
    glance(page, journey, "autosave-invalid")
    c3.fill("")  # undone: the page is what the server holds again, nothing to send
    expect(status_line(page)).to_have_text(re.compile(r"^마지막 저장 "), timeout=10_000)
    expect(c3_error).to_have_count(0)
    expect(c3).not_to_have_attribute("aria-invalid", "true")

    # --- leaving a changed sheet asks first ------------------------------------------------------
    page.get_by_label("C2 점수").click()
    page.get_by_label("C2 점수").press_sequentially("12")
    if width == 1280:
        page.locator("#breadcrumb").get_by_role("link", name="2023년 스마트시티 조성사업").click()
    else:  # KRDS folds the breadcrumb's middle on a narrow screen: the service name's link
        page.locator("#krds-header").get_by_role("link", name="공모평가").click()
    dialog = page.get_by_role("dialog", name="저장하지 않은 변경이 있습니다")
    expect(dialog).to_be_visible()
    journey.check(page, "leave-dialog")
    glance(page, journey, "leave-dialog")
    dialog.get_by_role("button", name="이 화면에 머무르기").click()
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"/{ulsan.pk}/$"))

    asked = []
    page.once("dialog", lambda question: (asked.append(question.type), question.dismiss()))
    page.close(run_before_unload=True)  # closing the tab: the browser's own question, answered "stay"
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"]
    assert not page.is_closed()

    page.get_by_role("link", name="이해충돌 회피 신청").click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="저장하고 이동").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("이해충돌")
    assert points_of(ulsan) == [15, 12, None]
    page.go_back()

    # --- errors where the eye is: the missing tick, then an invalid point -------------------------
    expect(page.get_by_label("C2 점수")).to_have_value("12")
    page.get_by_label("C3 점수").fill("10")
    page.get_by_role("button", name="제출", exact=True).click()
    summary = page.locator("#error-summary")
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.get_by_role("heading")).to_have_text(
        "평가표를 제출하지 않았습니다. 다음 1가지를 확인해 주세요."
    )
    expect(summary.get_by_role("link")).to_have_text(
        ["제출하면 수정할 수 없음을 확인하는 확인란을 선택해 주세요."]
    )
    expect(summary).not_to_contain_text("점수")  # nothing about the scores, which are valid
    confirm = page.get_by_label("제출하면 수정할 수 없음을 확인합니다.")
    expect(confirm).to_be_focused()
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#confirm-final-error")).to_have_text(
        "제출하면 수정할 수 없음을 확인하는 확인란을 선택해 주세요."
    )
    expect(page.get_by_label("C3 점수")).to_have_value("10")  # every value kept
    journey.check(page, "submit-without-tick")
    glance(page, journey, "submit-without-tick")

    page.get_by_label("C1 점수").fill("25")
    page.locator("label", has_text="제출하면 수정할 수 없음을 확인합니다.").click()
    page.get_by_role("button", name="제출", exact=True).click()
    expect(summary.get_by_role("link")).to_have_text(["C1 평가항목 1: 0점부터 20점 사이로 입력해 주세요."])
    c1 = page.get_by_label("C1 점수")
    expect(c1).to_be_focused()
    expect(c1).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".points-input.is-error")).to_have_count(1)
    expect(page.locator(f"#points-{world['criteria'][0].pk}-error")).to_have_text(
        "0점부터 20점 사이로 입력해 주세요."
    )
    journey.check(page, "submit-invalid-point")
    glance(page, journey, "submit-invalid-point")
    assert Scoresheet.objects.get(assignment=ulsan).status == Scoresheet.Status.DRAFT

    # --- save, then the next proposal not yet submitted (list order, from the top again) ---------
    c1.fill("15")
    page.get_by_role("button", name="저장 후 다음 사업").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("평가표: 고양시 스마트도시 사업")
    expect(page.locator(".site-messages")).to_contain_text(
        "울산광역시 평가표를 임시 저장했습니다. 다음 사업: 고양시"
    )
    assert points_of(ulsan) == [15, 12, 10]
    journey.check(page, "next-sheet")

    # --- submitted: one message, the progress, the way back, the next one, the print view -------
    for code, points in (("C1", "18"), ("C2", "17.5"), ("C3", "19")):
        page.get_by_label(f"{code} 점수").fill(points)
    expect(page.locator("output[data-score-total]")).to_have_text("54.5")
    page.locator("label", has_text="제출하면 수정할 수 없음을 확인합니다.").click()
    page.get_by_role("button", name="제출", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("제출한 평가표: 고양시 스마트도시 사업")
    expect(page.locator(".site-messages")).to_have_text(
        re.compile("평가표를 제출하였습니다. 더 이상 수정할 수 없습니다.")
    )
    assert page.locator("main").inner_text().count("수정할 수 없습니다") == 1  # said once
    expect(page.locator(".sheet-next .review-progress")).to_contain_text("3/5 제출")
    expect(page.locator("table.submitted-scores tfoot")).to_contain_text("54.5")
    journey.check(page, "submitted")

    # The 합계 row lines up with the columns above it.
    footer = page.locator("table.submitted-scores tfoot")
    last = page.locator("table.submitted-scores tbody tr").last
    for column in (1, 2):
        above = last.locator("td").nth(column - 1).bounding_box()
        below = footer.locator("td").nth(column - 1).bounding_box()
        if width == 1280:
            assert abs(above["x"] - below["x"]) < 1 and abs(above["width"] - below["width"]) < 1
    assert no_sideways_scroll(page)

    page.emulate_media(media="print")
    signature = page.locator(".signature-block")
    expect(signature).to_be_visible()
    expect(signature).to_contain_text("김서연")
    expect(signature).to_contain_text("(서명)")
    expect(page.locator(".sheet-next")).to_be_hidden()
    expect(page.locator("#breadcrumb")).to_be_hidden()
    page.screenshot(path=journey.artifacts / "print-view.png", full_page=True)
    page.emulate_media(media="screen")
    expect(signature).to_be_hidden()
    expect(page.get_by_role("button", name="서명용으로 인쇄")).to_be_visible()

    next_link = page.get_by_role("link", name="다음 사업 평가하기: 비공개 지자체 01")
    expect(next_link).to_be_visible()
    page.get_by_role("link", name="배정된 사업 목록으로 돌아가기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("배정된 사업 제안")
    expect(page.locator(".review-progress")).to_contain_text("3/5 제출")
    journey.check(page, "list-after-submit")


@pytest.mark.django_db(transaction=True)
def test_another_tabs_save_stops_the_autosave_and_keeps_the_values(
    new_context, live_server, artifacts_dir, world
):
    journey = Journey(artifacts_dir / "reviewer-sheet-stale", live_server.url)
    journey.artifacts.mkdir(exist_ok=True)
    context = journey.open(new_context())
    first = context.new_page()
    sign_in(first, journey, "reviewer")
    ulsan = world["assignments"]["울산광역시"]
    url = f"/review/{ulsan.stage.competition.slug}/{ulsan.pk}/"
    first.goto(url)
    second = context.new_page()
    second.goto(url)

    second.get_by_label("C1 점수").fill("11")
    expect(status_line(second)).to_have_text(re.compile("^저장됨"), timeout=10_000)
    first.get_by_label("C1 점수").fill("19")
    first.get_by_label("종합 의견").fill("첫 탭의 의견")
    expect(status_line(first)).to_contain_text(
        "자동 저장하지 못했습니다: 이 평가표를 연 뒤 다른 곳(다른 탭이나 기기)에서 저장되어 자동 저장을 멈췄습니다.",
        timeout=10_000,
    )
    expect(first.get_by_label("C1 점수")).to_have_value("19")
    expect(first.get_by_label("종합 의견")).to_have_value("첫 탭의 의견")
    assert points_of(ulsan) == [11, None, None]
    journey.check(first, "stale-autosave", status=409)  # the refused autosave, logged by the browser
    first.get_by_label("C1 점수").scroll_into_view_if_needed()
    glance(first, journey, "stale-autosave")

    # The deliberate save shows what the other tab saved, next to the typed value.
    with first.expect_response(re.compile(rf"/{ulsan.pk}/$")) as answer:
        first.get_by_role("button", name="임시 저장").click()
    assert answer.value.status == 409
    expect(first.locator(".saved-value").first).to_have_text("다른 곳에 저장된 값: 11")
    expect(first.get_by_label("C1 점수")).to_have_value("19")
    journey.check(first, "stale-compare", status=409)
    assert points_of(ulsan) == [11, None, None]


@pytest.mark.django_db(transaction=True)
def test_a_save_clicked_while_an_autosave_is_on_its_way_waits_for_it(
    new_context, live_server, artifacts_dir, world
):
    """The form's own button, clicked while the background save is still answering: the page
    waits for the answer and sends the version it returns, so the save is not refused as made
    elsewhere (it would be, sent with the version the page held before)."""
    journey = Journey(artifacts_dir / "reviewer-sheet-in-flight", live_server.url)
    journey.artifacts.mkdir(exist_ok=True)
    context = journey.open(new_context())
    held = []
    context.route(re.compile(r"/autosave/$"), lambda route: held.append(route))  # answered later
    page = context.new_page()
    sign_in(page, journey, "reviewer")
    ulsan = world["assignments"]["울산광역시"]
    page.goto(f"/review/{ulsan.stage.competition.slug}/{ulsan.pk}/")

    page.get_by_label("C1 점수").fill("13")
    expect(status_line(page)).to_have_text("저장 중…", timeout=10_000)
    assert len(held) == 1
    page.get_by_label("C2 점수").fill("14")
    page.get_by_role("button", name="임시 저장").click()  # held back until the answer is in
    page.wait_for_timeout(300)
    assert not Scoresheet.objects.filter(assignment=ulsan).exists()  # nothing sent yet
    held.pop().continue_()

    expect(page.locator(".site-messages")).to_contain_text("임시 저장했습니다.")
    expect(page.locator("#error-summary, #sheet-error")).to_have_count(0)
    assert points_of(ulsan) == [13, 14, None]
    assert Scoresheet.objects.get(assignment=ulsan).version == 3  # the autosave, then the button
    journey.check(page, "saved-after-autosave")
