"""What every visitor meets, in a real browser at 1280×900 and 390×844 (issue 10 items 3, 6,
13–16): the official-site masthead, the organization and the main menu of each role, the footer
with the privacy policy, the public results as readable rows on a phone with their sums under
their columns, Korean error pages (404, 403), Korean dates, and a Hanja title (新울산4.0) drawn by
the site's own font, not as an empty box.

Every page is checked as it is shown (tests/browser/accessibility.py): a full-page screenshot
under test-artifacts/browser/everyone/, no script error, no serious or critical axe-core problem.
"""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.accessibility import Journey

MASTHEAD = "이 누리집은 대한민국 공식 전자정부 누리집입니다."
WIDTHS = {"wide": {"width": 1280, "height": 900}, "narrow": {"width": 390, "height": 844}}
KOREAN_DATE_TIME = re.compile(r"\d{4}\. \d{1,2}\. \d{1,2}\. \d{2}:\d{2}")
# The faces of the page's fonts that the browser has loaded (a face is fetched only when the page
# shows a character of its unicode-range).
LOADED_FACES = """() => [...document.fonts].filter((f) => f.status === "loaded").map((f) => f.family.replace(/"/g, ""))"""
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


def open_page(journey, new_context, viewport):
    page = journey.open(new_context()).new_page()
    page.set_viewport_size(viewport)
    return page


def sign_in(page, username, password):
    page.goto("/accounts/login/")
    page.get_by_label("이메일 또는 아이디").fill(username)
    page.get_by_label("비밀번호").fill(password)
    page.get_by_role("button", name="로그인").click()


def check_frame(page, menu: list[str], current: str):
    """The masthead first, the organization in the header, the role's menu, the footer."""
    expect(page.locator("#krds-masthead")).to_have_text(MASTHEAD)
    expect(page.locator("#krds-header .organization-name")).to_have_text("국토교통부")
    links = page.get_by_role("navigation", name="주 메뉴").get_by_role("link")
    expect(links).to_have_text(menu)
    expect(page.locator('#krds-main-menu a[aria-current="page"]')).to_have_text(current)
    footer = page.locator("#krds-footer")
    expect(footer.get_by_role("link", name="개인정보처리방침")).to_be_visible()
    expect(footer).to_contain_text("이 누리집은 국토교통부에서 운영합니다.")


# transaction=True: the live server's thread must see what the test writes (the role groups a
# flush removed come back through tests/conftest.py).
@pytest.mark.django_db(transaction=True)
def test_every_visitor_meets_the_same_korean_frame(new_context, live_server, artifacts_dir):
    call_command("demo", stdout=StringIO())
    journey = Journey(artifacts_dir / "everyone", live_server.url)
    journey.artifacts.mkdir(exist_ok=True)
    for width in WIDTHS:
        walk(journey, new_context, width)


def walk(journey, new_context, width):
    """Each person's pages at one width."""
    viewport = WIDTHS[width]

    # --- Anyone: the public results ------------------------------------------------------------
    page = open_page(journey, new_context, viewport)
    page.goto("/public/")
    check_frame(page, ["공개 결과"], "공개 결과")
    expect(page.locator(".lead")).to_have_text("국토교통부 공모사업의 평가 결과를 이곳에 공개합니다.")
    journey.check(page, f"{width}-public-landing")

    page.get_by_role("link", name="결과 보기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("2023년 스마트시티 조성사업 결과")
    expect(page.locator("main .lead")).to_have_text(
        "국토교통부는 2023년 스마트시티 조성사업의 평가 결과를 다음과 같이 공개합니다."
    )
    expect(page.locator("dt:text-is('공개 일시(한국 시간)') + dd")).to_have_text(KOREAN_DATE_TIME)
    expect(page.locator(".verification")).to_contain_text("SHA-256은 이 결과의 ‘디지털 지문’입니다.")
    hub = page.locator("section", has=page.get_by_role("heading", name="거점형", exact=True))
    title = hub.locator("table tbody tr", has_text="울산광역시").locator("td").nth(1)
    expect(title).to_have_text("4차 산업 도약을 위한 新울산4.0 Inno City 구축 사업계획")
    # 新 is drawn by the site's KS X 1001 supplement, which the browser fetches for it. The
    # browser starts that fetch only after laying the text out, so ``document.fonts.status`` can
    # still say "loaded" before it begins: wait for the face itself (a timeout fails the test).
    page.wait_for_function(f'() => ({LOADED_FACES})().includes("Gongmo KSX1001")')
    assert page.evaluate('() => document.fonts.check("16px \\"Gongmo KSX1001\\"", "新")')
    total = hub.locator("tfoot tr")
    expect(total).to_contain_text("합계")
    expect(total.locator("td").first).to_have_text("400억원")
    if width == "narrow":
        # Stacked rows: a card per selected applicant, each value with its column's name.
        assert title.evaluate("(cell) => getComputedStyle(cell.parentElement).display") == "block"
        assert title.evaluate("(cell) => getComputedStyle(cell, '::before').content") == '"사업명"'
    else:
        # The sums stand under their columns.
        heading = hub.locator("thead th", has_text="국비").bounding_box()
        cell = total.locator("td").first.bounding_box()
        assert abs((heading["x"] + heading["width"]) - (cell["x"] + cell["width"])) < 1
    assert page.evaluate(NO_SIDEWAYS_SCROLL)
    journey.check(page, f"{width}-public-results")
    page.get_by_role("link", name="개인정보처리방침").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("개인정보처리방침")
    journey.check(page, f"{width}-privacy")

    response = page.goto("/public/results/no-such-competition/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("페이지를 찾을 수 없습니다")
    expect(page.get_by_role("link", name="첫 화면으로 가기")).to_be_visible()
    journey.check(page, f"{width}-404", status=404)

    # --- The reviewer ----------------------------------------------------------------------------
    page = open_page(journey, new_context, viewport)
    sign_in(page, "reviewer01@example.com", "demo-reviewer-2023")
    expect(page).to_have_url(re.compile(r"/review/$"))
    check_frame(page, ["내 평가", "공개 결과"], "내 평가")
    journey.check(page, f"{width}-reviewer")
    response = page.goto("/official/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("이 화면에 접근할 권한이 없습니다")
    expect(page.locator(".error-page")).to_contain_text("지금 평가위원으로 로그인되어 있으며")
    journey.check(page, f"{width}-403", status=403)

    # --- The official: Korean dates on the publication page ----------------------------------
    page = open_page(journey, new_context, viewport)
    sign_in(page, "official", "demo-official-2023")
    expect(page).to_have_url(re.compile(r"/official/$"))
    check_frame(page, ["공모 목록", "공개 결과"], "공모 목록")
    journey.check(page, f"{width}-official")
    page.goto("/official/publications/smartcity-2023/")
    expect(page.locator("table", has_text="현재 유효").locator("tbody tr").first).to_contain_text(
        KOREAN_DATE_TIME
    )
    check_frame(page, ["공모 목록", "공개 결과"], "공모 목록")
    journey.check(page, f"{width}-official-publication")

    # --- The admin --------------------------------------------------------------------------------
    page = open_page(journey, new_context, viewport)
    sign_in(page, "admin", "demo-admin-2023")
    expect(page).to_have_url(re.compile(r"/manage/$"))
    check_frame(page, ["관리", "공모 목록", "공개 결과"], "관리")
    journey.check(page, f"{width}-admin")
