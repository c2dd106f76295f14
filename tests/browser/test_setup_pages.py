"""Setting up in the browser (issue 9), at 1280×900 and 390×844: the admin loads a competition file
(an error shown with the loader's path, then the preview and the confirmation), imports the
reviewer list, creates an official's account, and opens the deletion of the trial run (refused
once published). Every page is checked (tests/browser/accessibility.py) and none scrolls sideways;
screenshots in test-artifacts/browser/setup-<width>/. The settings forms too."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.roles import Role
from proposals.models import Competition
from tests.browser.accessibility import Journey
from tests.conftest import FIXTURES

PASSWORD = "pw-test-1234"
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
def test_the_admin_sets_up_a_competition_in_the_browser(
    new_context, live_server, artifacts_dir, user_factory, tmp_path, width, height
):
    journey = Journey(artifacts_dir / f"setup-{width}", live_server.url)
    journey.artifacts.mkdir(exist_ok=True)
    admin = user_factory(Role.ADMIN, "admin-jung")
    admin.is_staff = True
    admin.save()
    page = journey.open(new_context()).new_page()
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/accounts/login/")
    page.get_by_label("이메일 또는 아이디").fill("admin-jung")
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()
    expect(page).to_have_url(re.compile(r"/manage/$"))

    def check(name, status=None):
        journey.check(page, name, status=status)
        assert page.evaluate(NO_SIDEWAYS_SCROLL), f"{name} scrolls sideways at {width} px"

    # 1. A competition file with an error: the loader's message, next to the file input.
    text = (FIXTURES / "competition.toml").read_text(encoding="utf-8")
    bad = tmp_path / "competition.toml"
    bad.write_text(text.replace("slots = 2\nsubsidy = 200", "slots = 0\nsubsidy = 200"), encoding="utf-8")
    page.goto("/manage/competitions/load/")
    check("competition-load")
    page.locator("input[type=file]").set_input_files(bad)
    page.locator("form.import-form button[type=submit]").click()
    expect(page.locator(".load-problems")).to_contain_text(
        "categories[0].tracks[0].slots: 1 이상이어야 합니다(값: 0)"
    )
    check("competition-load-error", status=400)
    assert Competition.objects.count() == 0

    # The corrected file: the preview lists the changes, the confirmation loads it.
    page.locator("input[type=file]").set_input_files(FIXTURES / "competition.toml")
    page.locator("form.import-form button[type=submit]").click()
    expect(page.locator(".load-changes")).to_contain_text("트랙 depopulation 생성")
    check("competition-load-preview")
    page.locator("form.confirm-form button[type=submit]").click()
    expect(page.locator(".load-changes")).to_contain_text("트랙 hub 생성")
    check("competition-load-result")
    competition = Competition.objects.get(slug="smartcity-2023")

    page.goto("/manage/")
    check("index")

    # Its settings in forms: the loader's message at the input it names, then the preview.
    page.goto(f"/manage/competitions/{competition.slug}/settings/")
    check("settings")
    page.goto(f"/manage/competitions/{competition.slug}/settings/tracks/hub/")
    page.locator("#id_slots").fill("0")
    page.locator("form.form-narrow button[type=submit]").click()
    expect(page.locator("#id_slots_error")).to_contain_text(
        "categories[0].tracks[0].slots: 1 이상이어야 합니다(값: 0)"
    )
    check("settings-track-error", status=400)
    page.locator("#id_slots").fill("3")
    page.locator("form.form-narrow button[type=submit]").click()
    expect(page.locator(".load-changes")).to_contain_text("tracks.hub.slots: 2 → 3")
    page.locator("form.confirm-form button[type=submit]").click()
    expect(page.locator(".load-changes")).to_contain_text("tracks.hub.slots: 2 → 3")

    # Adding a category with its first track: the loader's message at the input it names.
    settings = f"/manage/competitions/{competition.slug}/settings"
    page.goto(f"{settings}/add/category/")
    check("settings-add-category")
    for selector, value in (
        ("#id_category-code", "hub"),
        ("#id_category-name", "도서형"),
        ("#id_track-code", "island"),
        ("#id_track-name", "섬 지역형"),
        ("#id_track-slots", "1"),
        ("#id_track-subsidy", "80"),
    ):
        page.locator(selector).fill(value)
    page.locator("form.form-narrow button[type=submit]").click()
    expect(page.locator("#id_category-code_error")).to_contain_text(
        "categories[2].code: 사업 유형 코드가 중복됩니다: 'hub'"
    )
    check("settings-add-category-error", status=400)
    page.locator("#id_category-code").fill("island")
    page.locator("form.form-narrow button[type=submit]").click()
    expect(page.locator(".load-changes")).to_contain_text("사업 유형 island 생성")
    check("settings-add-category-preview")
    page.locator("form.confirm-form button[type=submit]").click()
    expect(page.locator(".load-changes")).to_contain_text("트랙 island 생성")

    # A stage, a criterion and an item; removing the last stage names what goes, then previews.
    page.goto(f"{settings}/add/stage/")
    check("settings-add-stage")
    page.goto(f"{settings}/stages/document/add-criterion/")
    check("settings-add-criterion")
    page.goto(f"{settings}/add/adjustment-item/")
    page.locator("#id_code").fill("sanction")
    page.locator("#id_name").fill("부진 감점")
    page.locator("#id_max").fill("0")
    page.locator("form.form-narrow button[type=submit]").click()
    expect(page.locator("#id_max_error")).to_contain_text(
        "adjustment_items[0].max: 0보다 큰 가점이나 0보다 작은 감점이어야 합니다(값: 0)"
    )
    check("settings-add-item-error", status=400)
    page.goto(f"{settings}/stages/presentation/remove/")
    expect(page.locator(".settings-removed")).to_contain_text("사업내용의 적정성")
    check("settings-remove-stage")
    page.locator("form.form-narrow button[type=submit]").click()
    expect(page.locator(".load-changes")).to_contain_text("단계 presentation 삭제")
    check("settings-remove-stage-preview")

    # A new competition through a form (not confirmed: the journey goes on with the first one).
    page.goto("/manage/competitions/new/")
    check("competition-new")
    for selector, value in (
        ("#id_competition-slug", "Fishing 2024"),
        ("#id_competition-name", "2024년 어촌신활력 증진사업"),
        ("#id_competition-year", "2024"),
        ("#id_category-code", "village"),
        ("#id_category-name", "어촌형"),
        ("#id_track-code", "village"),
        ("#id_track-name", "어촌형"),
        ("#id_track-slots", "3"),
        ("#id_track-subsidy", "100"),
    ):
        page.locator(selector).fill(value)
    page.locator("form.form-narrow button[type=submit]").click()
    expect(page.locator("#id_competition-slug_error")).to_contain_text("slug: 영문 소문자")
    check("competition-new-error", status=400)
    page.locator("#id_competition-slug").fill("fishing-2024")
    page.locator("form.form-narrow button[type=submit]").click()
    expect(page.locator(".load-changes")).to_contain_text("공모 fishing-2024 생성")
    check("competition-new-preview")

    # 2. The reviewer list: the applicant import's preview, then the summary.
    page.goto(f"/manage/competitions/{competition.slug}/import/reviewers/")
    check("reviewers-upload")
    page.locator("input[type=file]").set_input_files(FIXTURES / "reviewers.xlsx")
    page.locator("form.import-form button[type=submit]").click()
    expect(page.locator(".import-summary")).to_contain_text("신규 15건")
    check("reviewers-preview")
    page.locator("form.confirm-form button[type=submit]").click()
    expect(page.locator(".import-summary")).to_contain_text("신규 15건")
    check("reviewers-result")

    page.goto(f"/manage/competitions/{competition.slug}/import/scores/")
    check("scores-upload")

    # 3. An official's account: a bad e-mail is shown next to its field, then the link is sent.
    page.goto("/manage/accounts/")
    check("accounts")
    page.locator("label[for=id_role_0]").click()
    page.locator("#id_name").fill("박담당")
    page.locator("#id_email").fill("park-at-example")
    page.locator("#id_username").fill("park")
    page.locator("section[aria-labelledby=new-account] button[type=submit]").click()
    expect(page.locator("#id_email_error")).to_be_visible()
    expect(page.locator("#id_name")).to_have_value("박담당")
    check("accounts-error", status=400)
    page.locator("#id_email").fill("park@example.go.kr")
    page.locator("section[aria-labelledby=new-account] button[type=submit]").click()
    expect(page.locator("table.accounts")).to_contain_text("park@example.go.kr")
    check("accounts-created")
    assert [message.to for message in mail.outbox] == [["park@example.go.kr"]]

    # 4. Deleting the trial run: what goes, the code typed.
    page.goto(f"/manage/competitions/{competition.slug}/delete/")
    expect(page.locator("table.deletion-counts")).to_be_visible()
    check("competition-delete")
    page.locator("#id_slug").fill("smartcity-2024")
    page.locator("#id_reason").fill("시험 운영 정리")
    page.locator("form.form-narrow button[type=submit]").click()
    expect(page.locator("#id_slug_error")).to_be_visible()
    expect(page.locator("#id_reason")).to_have_value("시험 운영 정리")
    check("competition-delete-error", status=400)
    page.locator("#id_slug").fill("smartcity-2023")
    page.locator("form.form-narrow button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/manage/$"))
    check("competition-deleted")
    assert not Competition.objects.filter(slug="smartcity-2023").exists()
