"""The applicant's result letter and appeal in a real browser (issue 13): the letter page, a
refused appeal (the error summary), and an appeal filed with its attachment — through Django's
CSRF check as a browser meets it (the referrer policy of the form's page must let the browser send
its origin), with every page checked for script errors, policy violations and accessibility."""

import pytest
from playwright.sync_api import expect

from evaluation.models import Appeal
from tests.browser.accessibility import Journey
from tests.documents import pdf_bytes
from tests.letters import lettered, letters_official, token_of  # noqa: F401  (fixtures)


@pytest.mark.django_db(transaction=True)
def test_the_applicant_reads_the_letter_and_files_an_appeal(
    new_context, live_server, artifacts_dir, lettered, tmp_path
):
    journey = Journey(artifacts_dir / "letters", live_server.url)
    journey.artifacts.mkdir(exist_ok=True)
    token = token_of(lettered["letters"][3])
    page = journey.open(new_context()).new_page()

    page.goto(f"{live_server.url}/letters/{token}/")
    expect(page.locator(".result-letter")).to_contain_text("평가결과 통보서")
    journey.check(page, "letter")

    page.goto(f"{live_server.url}/letters/{token}/appeal/")
    journey.check(page, "appeal-form")
    page.locator("#appeal-text").fill("평가위원 E의 C1 점수가 제출 자료와 다릅니다.")
    page.locator("#appeal-filed_by").fill("홍길동")
    page.locator("label[for=appeal-confirm]").click()
    page.locator("form.appeal-form button[type=submit]").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#appeal-ground-error")).to_contain_text("이의신청 사유 중 하나를 고르십시오.")
    journey.check(page, "appeal-refused", status=422)
    assert not Appeal.objects.exists()

    page.locator("label[for=appeal-ground-1]").click()
    attachment = tmp_path / "소명자료.pdf"
    attachment.write_bytes(pdf_bytes())
    page.locator("#appeal-attachment").set_input_files(attachment)
    page.locator("label[for=appeal-confirm]").click()
    page.locator("form.appeal-form button[type=submit]").click()
    expect(page.locator("#appeal-received")).to_be_visible()
    journey.check(page, "appeal-filed")
    appeal = Appeal.objects.get()
    assert appeal.attachment_name == "소명자료.pdf" and appeal.filed_by == "홍길동"
