"""An appeal (이의신청) from filing to the correction in a real browser (issue 13):

1. the applicant opens the result letter through the link of its e-mail and files an appeal with
   an attachment;
2. an official reads the advisory analysis, opens the appeal, records the review committee (the proposal's own reviewer is
   offered but cannot be chosen), accepts it with reasons after the confirmation, follows the
   next step to the proposal's page — the reopen form carries the suggested reason — and
   reopens reviewer E's sheet;
3. reviewer E submits the corrected sheet (through ``evaluation.sheets.submit``: the reviewer's
   pages have their own journey, tests/browser/test_journey.py);
4. the official publishes the correction, which lists and cites the appeal;
5. the applicant's old link says the result was corrected and shows the appeal's outcome; the
   public result shows the corrected publication's appeal window.

Every page is checked as it is shown (tests/browser/accessibility.py): a screenshot, no script
error, no serious or critical axe-core violation.
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from evaluation.models import Appeal, Assignment, Publication
from evaluation.sheets import SheetInput, criteria_for, submit
from tests.browser.accessibility import Journey
from tests.documents import pdf_bytes
from tests.letters import lettered, letters_official, token_of  # noqa: F401  (fixtures)

PASSWORD = "pw-test-1234"
REASONS = "평가위원 E의 C1 점수가 제출 자료의 수치를 잘못 읽은 것으로 확인됨"


def message(page):
    return page.locator(".site-messages")


@pytest.mark.django_db(transaction=True)
def test_an_appeal_from_filing_to_the_correction(new_context, live_server, artifacts_dir, lettered, tmp_path):
    journey = Journey(artifacts_dir / "appeal-journey", live_server.url)
    journey.artifacts.mkdir(exist_ok=True)
    competition = lettered["publication"].competition
    slug = competition.slug
    proposal = lettered["proposals"][3]
    link = lettered["letters"][3].link.replace("http://127.0.0.1:8000", live_server.url)

    # --- 1. The applicant files the appeal ----------------------------------------------------
    applicant = journey.open(new_context()).new_page()
    applicant.goto(link)
    expect(applicant.get_by_role("heading", level=1)).to_have_text("평가결과 통보서")
    expect(applicant.locator("#result-state")).to_contain_text("이의신청 기간 중")
    journey.check(applicant, "applicant-letter")
    applicant.locator("label[for=appeal-ground-1]").click()
    applicant.locator("#appeal-text").fill("평가위원 E의 C1 점수가 제출한 사업계획서 12쪽의 수치와 다릅니다.")
    applicant.locator("#appeal-filed_by").fill("홍길동(스마트도시과)")
    attachment = tmp_path / "소명자료.pdf"
    attachment.write_bytes(pdf_bytes())
    applicant.locator("#appeal-attachment").set_input_files(attachment)
    applicant.locator("label[for=appeal-confirm]").click()
    applicant.locator("form.appeal-form button[type=submit]").click()
    expect(applicant.locator("#appeal-received")).to_contain_text("접수되었습니다")
    journey.check(applicant, "applicant-appeal-received")
    appeal = Appeal.objects.get()
    assert (appeal.proposal, appeal.attachment_name) == (proposal, "소명자료.pdf")

    # --- 2. The official: committee, decision, reopening ---------------------------------------
    page = journey.open(new_context()).new_page()
    page.goto("/accounts/login/")
    page.get_by_label("이메일 또는 아이디").fill(lettered["official"].username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_label("비밀번호").press("Enter")
    page.goto(f"/official/{slug}/analysis/")  # the advisory analysis, read before the appeal
    expect(page.get_by_role("heading", level=1)).to_contain_text("평가 분석")
    expect(page.locator("svg[role=img]").first).to_be_visible()
    journey.check(page, "official-analysis")
    page.goto(f"/official/{slug}/appeals/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("이의신청")
    journey.check(page, "official-appeals")
    page.get_by_role("link", name=f"이의신청 제{appeal.pk}호").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"이의신청 제{appeal.pk}호")
    own = lettered["reviewers"][0]
    expect(page.locator(f"select[name=reviewer] option[value='{own.pk}']")).to_be_disabled()
    journey.check(page, "official-appeal")

    spare = lettered["spare"][0]
    page.locator("select[name=reviewer]").select_option(str(spare.pk))
    page.get_by_role("button", name="심의위원회에 추가").click()
    expect(message(page)).to_contain_text("심의위원회에 기록했습니다")
    expect(page.locator("#committee-heading + .krds-table-wrap")).to_contain_text(spare.name)

    page.get_by_text("인용", exact=True).click()
    page.get_by_label("결정 이유").fill(REASONS)
    page.get_by_role("button", name="결정 기록").click()  # not confirmed yet: refused
    expect(page.locator(".form-hint-invalid")).to_contain_text("확인란을 선택하십시오")
    assert Appeal.objects.get().status == Appeal.Status.RECEIVED
    journey.check(page, "official-decision-unconfirmed", status=400)
    page.locator("label", has_text="심의위원회의 결정임을 확인합니다").click()
    page.get_by_role("button", name="결정 기록").click()
    expect(message(page)).to_contain_text("이의신청을 인용했습니다")
    expect(page.locator("#next-steps")).to_be_visible()
    journey.check(page, "official-appeal-accepted")

    page.locator("#next-steps").get_by_role("link", name="평가표 재개").click()
    expect(page.locator("#reopen-reason")).to_have_value(f"이의신청 제{appeal.pk}호 인용")
    reviewer_e = lettered["reviewers"][4]
    assignment = Assignment.objects.get(proposal=proposal, reviewer=reviewer_e)
    page.get_by_label("재개할 평가표").select_option(str(assignment.pk))
    reopen_form = page.locator("form[action$='/reopen/']")
    reopen_form.locator(".confirm-box label").click()
    reopen_form.get_by_role("button", name="평가표 재개").click()
    expect(message(page)).to_contain_text("재개했습니다")
    journey.check(page, "official-sheet-reopened")

    # --- 3. Reviewer E corrects the sheet -------------------------------------------------------
    sheet = assignment.sheet
    sheet.refresh_from_db()
    criteria = criteria_for(assignment.stage, proposal.track)
    submit(
        assignment,
        sheet.version,
        SheetInput(points={criteria[0].pk: Decimal(40), criteria[1].pk: Decimal(40)}),
        reviewer_e.user,
    )

    # --- 4. The correction cites the appeal -----------------------------------------------------
    page.goto(f"/official/publications/{slug}/")
    expect(page.locator("body")).to_contain_text("이 정정 공개는 다음 이의신청을 반영합니다")
    journey.check(page, "official-correction-ready")
    page.locator("textarea[name=correction_reason]").fill(f"이의신청 제{appeal.pk}호 인용에 따른 평가표 정정")
    page.locator("label", has_text="공개는 되돌릴 수 없으며").click()
    page.get_by_role("button", name="되돌릴 수 없음을 확인하고 공개").click()
    expect(message(page)).to_contain_text("제2차 공개를 완료했습니다.")
    correction = Publication.objects.get(number=2)
    assert Appeal.objects.get().corrected_by == correction
    assert correction.snapshot["appeals"][0]["id"] == appeal.pk
    expect(page.locator("body")).to_contain_text("이 정정 공개가 반영한 이의신청")
    journey.check(page, "official-correction-published")

    # --- 5. The applicant's old link, and the public result --------------------------------------
    applicant.goto(link)
    expect(applicant.locator("#result-state")).to_contain_text("정정됨")
    expect(applicant.locator("body")).to_contain_text("제2차 공개로 정정")
    expect(applicant.locator("form.appeal-form")).to_have_count(0)
    journey.check(applicant, "applicant-letter-corrected")
    applicant.goto(f"/public/results/{slug}/")
    expect(applicant.locator("body")).to_contain_text(re.compile(r"이의신청 기간: \d{4}-\d\d-\d\d 24:00까지"))
    journey.check(applicant, "public-results-corrected")
