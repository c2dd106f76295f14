"""Panels in the browser (issue 8), at 1280×900 and 390×844: the admin creates a panel, adds its
members from a spreadsheet (preview, confirm), forms another, and draws reviewers with the
confirmation step; the recorded draws are listed. Every page is checked (tests/browser/
accessibility.py) and none scrolls sideways; screenshots in test-artifacts/browser/panels-<width>/."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.roles import Role
from evaluation.domain.competition_file import load_competition_file
from evaluation.models import Assignment, Panel, Stage
from proposals.models import Track
from tests.browser.accessibility import Journey
from tests.conftest import APPLICANTS_XLSX, FIXTURES

PASSWORD = "pw-test-1234"
NO_SIDEWAYS_SCROLL = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
def test_the_admin_forms_panels_and_draws_in_the_browser(
    new_context, live_server, artifacts_dir, user_factory, make_reviewer, make_xlsx, width, height
):
    competition = load_competition_file(FIXTURES / "competition.toml").competition
    call_command("import_proposals", str(APPLICANTS_XLSX), competition=competition.slug, stdout=StringIO())
    document = Stage.objects.get(competition=competition, code="document")
    hub_members = [make_reviewer(f"hub{n}", affiliation=f"거점기관{n}") for n in range(3)]
    small_members = [make_reviewer(f"small{n}", affiliation=f"강소기관{n}") for n in range(3)]
    outsider = make_reviewer("sido", affiliation="시도청")
    hub = Panel.objects.create(stage=document, name="거점형 서면평가")
    hub.tracks.set(Track.objects.filter(code="hub"))
    hub.members.set(hub_members)
    admin = user_factory(Role.ADMIN, "admin-jung")
    admin.is_staff = True
    admin.save()

    journey = Journey(artifacts_dir / f"panels-{width}", live_server.url)
    journey.artifacts.mkdir(exist_ok=True)
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

    page.goto(f"/manage/competitions/{competition.slug}/panels/")
    expect(page.locator("main")).to_contain_text("거점형 서면평가")
    check("panels")

    # Create the 강소형 panel, then its members from a spreadsheet.
    page.locator("#id_stage").select_option(str(document.pk))
    page.locator("#id_name").fill("강소형 서면평가")
    for track in Track.objects.filter(code__in=["climate", "depopulation"]):
        page.locator(
            "form.form-narrow .krds-form-check label", has_text=track.name
        ).click()  # KRDS: the label is the box
    page.locator("form.form-narrow button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/manage/panels/\d+/members/$"))
    check("members-upload")
    members = make_xlsx([[r.email] for r in small_members], header=["평가위원"], name="강소형.xlsx")
    page.locator("input[type=file]").set_input_files(members)
    page.locator("form.import-form button[type=submit]").click()
    expect(page.locator("form.confirm-form")).to_be_visible()
    check("members-preview")
    page.locator("form.confirm-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/panels/$"))
    small = Panel.objects.get(name="강소형 서면평가")
    assert set(small.members.all()) == set(small_members)
    check("panels-after")

    # Form the 거점형 panel: what will happen first.
    page.goto(f"/manage/panels/{hub.pk}/form/")
    check("panel-form")
    page.locator("form.confirm-form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/panels/$"))
    assert Assignment.objects.filter(source="panel").count() == 30

    # Draw for the document stage: the confirmation, then the draws.
    page.goto(f"/manage/competitions/{competition.slug}/stages/document/draw/")
    check("draw")
    page.locator("#id_per_proposal").fill("2")
    page.locator("form.form-narrow button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("강소형 서면평가")
    check("draw-confirm")
    page.locator("form.form-narrow button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/draws/$"))
    check("draws")
    assert not Assignment.objects.filter(reviewer=outsider).exists()
    drawn = set(Assignment.objects.filter(source="draw").values_list("reviewer_id", flat=True))
    assert drawn and drawn <= {r.pk for r in small_members}
