"""A demo reviewer opens the sheets the demo imported (``import_scores``): each submitted sheet
opens read-only from the reviewer's list, whatever path created it — no redirect between the
sheet and the conflict page (SPEC §5: imported sheets are submitted)."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from evaluation.models import Assignment
from tests.browser.accessibility import Journey


@pytest.mark.django_db(transaction=True)
def test_a_demo_reviewer_reads_every_imported_sheet(new_context, live_server, artifacts_dir):
    call_command("demo", stdout=StringIO())
    own = Assignment.objects.filter(reviewer__user__username="reviewer02@example.com", sheet__isnull=False)
    assert own.exists() and not own.filter(no_conflict_confirmed_at__isnull=False).exists()

    journey = Journey(artifacts_dir / "demo-reviewer", live_server.url)
    journey.artifacts.mkdir(exist_ok=True)
    page = journey.open(new_context()).new_page()
    page.goto("/accounts/login/")
    page.get_by_label("이메일 또는 아이디").fill("reviewer02@example.com")
    page.get_by_label("비밀번호").fill("demo-reviewer-2023")
    page.get_by_role("button", name="로그인").click()
    expect(page).to_have_url(re.compile(r"/review/$"))

    page.get_by_role("link", name="보안서약 읽고 동의하기").click()
    page.locator("label", has_text="위 보안서약의 내용을 읽었으며 이에 동의합니다.").click()
    page.get_by_role("button", name="서약에 동의").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("배정된 사업 제안")
    rows = page.locator("table.review-assignments tbody tr")
    expect(rows).to_have_count(own.count())
    journey.check(page, "demo-reviewer-list")

    links = page.get_by_role("link", name=re.compile("^제출한 평가표 보기"))
    expect(links).to_have_count(own.count())
    sheets = [links.nth(index).get_attribute("href") for index in range(own.count())]
    for index, sheet in enumerate(sheets):
        response = page.goto(sheet)
        assert response.status == 200 and response.request.redirected_from is None, sheet
        expect(page.get_by_role("heading", level=1)).to_contain_text("제출한 평가표: ")
        expect(page.locator("table.submitted-scores tfoot")).to_contain_text("합계")
        if index == 0:
            journey.check(page, "demo-reviewer-imported-sheet")
    # The conflict step of a submitted sheet leads to the sheet, once.
    page.goto(sheets[0] + "conflict/")
    expect(page).to_have_url(re.compile(re.escape(sheets[0]) + "$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("제출한 평가표: ")
