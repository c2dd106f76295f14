"""The whole competition in a real browser, one person after another (issue 5 item 1):

1. an admin imports an applicant file with an error, downloads the error sheet, fixes the file
   and imports it;
2. a reviewer accepts the security pledge, declares a conflict on one proposal, saves a draft on
   another, reloads the page and submits;
3. an official reviews the progress, records the draw that a tie at the last slot needs, and
   publishes the result after the confirmation step;
4. an anonymous visitor reads the published result.

Every page is checked as it is shown (tests/browser/accessibility.py): what it says, a full-page
screenshot under test-artifacts/browser/, no script error, and no serious or critical axe-core
violation. Each person signs in through the login page in a browser context of their own.
"""

import re

import pytest
from django.contrib.auth.models import Group
from openpyxl import load_workbook
from playwright.sync_api import expect

from accounts.roles import Role
from evaluation.assignments import confirm_no_conflict, form_panel
from evaluation.domain.competition_file import load_competition_file
from evaluation.models import Assignment, Panel, Reviewer, Stage
from proposals.models import Proposal
from tests.browser.accessibility import Journey
from tests.browser.chromium import chromium_executable
from tests.conftest import HEADER

PASSWORD = "pw-test-1234"
COMPETITION_FILE = """\
slug = "smartcity-2025"
name = "2025년 스마트시티 조성사업"
year = 2025
minimum_score = 60
trim_min_reviewers = 5
trim_count = 1
adjustment_cap = 5
reserve = 1
final = "last"

[[categories]]
code = "hub"
name = "거점형"

[[categories.tracks]]
code = "hub"
name = "거점형"
slots = 2
subsidy = 200
matching_ratio = 1.0

[[stages]]
code = "document"
name = "서면평가"

[[stages.criteria]]
code = "C1"
name = "사업내용의 적정성"
description = "사업 목표와 내용이 지역 여건과 공모 취지에 맞고 구체적인지 평가합니다."
max = 60
step = 0.5
tie_break = 1

[[stages.criteria]]
code = "C2"
name = "실현가능성·지속가능성"
description = "추진 체계가 실현 가능하고 사업 종료 후에도 운영을 이어갈 방안이 있는지 평가합니다."
max = 40
step = 0.5
tie_break = 2
"""
# 5 applicants for 2 slots: a competition ratio of 2.5:1.
APPLICANTS = [
    ("울산광역시", "울산", "AI 기반 울산형 스마트 모빌리티 도시", "H-01"),
    ("고양시", "경기", "고양 스마트 안전·돌봄 도시", "H-02"),
    ("평택시", "경기", "평택 탄소중립 스마트 항만도시", "H-03"),
    ("비공개 지자체 01", "충북", "스마트 농촌 생활권 조성", "H-04"),
    ("비공개 지자체 02", "전북", "디지털 트윈 도시 관리", "H-05"),
]
# Sheets of the panel's three members (C1 of 60, C2 of 40). 고양시 and 평택시 tie exactly: the
# same totals and the same criterion averages and subsidy, so only a draw can separate them at
# the last slot. 비공개 지자체 02 stays under the minimum score of 60.
PANEL_SHEETS = {
    "울산광역시": [(54, 36), (55, 35), (53, 37)],
    "고양시": [(45, 30), (46, 29), (44, 31)],
    "평택시": [(44, 31), (45, 30), (46, 29)],
    "비공개 지자체 01": [(40, 25), (41, 24), (39, 26)],
    "비공개 지자체 02": [(35, 20), (36, 19), (34, 21)],
}
PANEL = [("이준호", "한국교통연구원"), ("박민지", "서울대학교"), ("최유진", "국토연구원")]
CONFLICT_REASON = "최근 3년 이내 이 지자체의 스마트도시계획 수립 용역에 자문위원으로 참여했습니다."


def applicant_rows(bad_subsidy=None):
    """The applicant sheet's rows; ``bad_subsidy`` puts that text in 고양시's 국비 (Excel row 3)."""
    rows = []
    for name, province, title, reference in APPLICANTS:
        subsidy = bad_subsidy if bad_subsidy is not None and name == "고양시" else 200
        row = {"트랙": "hub", "광역": province, "지자체": name, "사업명": title}
        row.update({"국비": subsidy, "지방비": 200, "접수번호": reference})
        rows.append([row[column] for column in HEADER])
    return rows


def sign_in(page, journey, username, name):
    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("로그인")
    journey.check(page, f"{name}-login", once="login")
    page.get_by_label("이메일 또는 아이디").fill(username)
    page.get_by_label("비밀번호").fill(PASSWORD)
    page.get_by_role("button", name="로그인").click()


def tick(page, label):
    """Tick a KRDS checkbox as a user does, by its label (KRDS draws the box on the label)."""
    page.locator("label", has_text=label).click()
    expect(page.get_by_label(label)).to_be_checked()


def message(page):
    """The page's messages (KRDS alert banners)."""
    return page.locator(".site-messages")


@pytest.fixture
def people(user_factory):
    """The three people who sign in: an admin, a reviewer and an official (password PASSWORD)."""
    admin = user_factory(Role.ADMIN, "admin-jung")
    official = user_factory(Role.OFFICIAL, "official-han")
    reviewer_user = user_factory(Role.REVIEWER, "reviewer-kim")
    reviewer = Reviewer.objects.create(
        user=reviewer_user, name="김서연", affiliation="한국국토정보공사", email="reviewer-kim@example.kr"
    )
    return {"admin": admin, "official": official, "reviewer": reviewer}


def form_the_panel(admin, reviewer, submit_sheet):
    """What the admin and the panel did off screen after the import: the 서면평가 panel of three
    is formed and has submitted its sheets; 김서연 is assigned two proposals on top."""
    stage = Stage.objects.get(competition__slug="smartcity-2025", code="document")
    members = []
    for number, (name, affiliation) in enumerate(PANEL, start=1):
        user = type(admin).objects.create_user(f"panel-{number}", password=PASSWORD)
        user.groups.add(Group.objects.get(name=Role.REVIEWER.value))
        members.append(
            Reviewer.objects.create(
                user=user, name=name, affiliation=affiliation, email=f"panel-{number}@example.kr"
            )
        )
    panel = Panel.objects.create(stage=stage, name="거점형 서면평가위원회")
    panel.tracks.set(stage.competition.categories.get(code="hub").tracks.all())
    panel.members.set(members)
    report = form_panel(panel, actor=admin)
    assert report.created == 15 and not report.skipped_conflicts
    for assignment in Assignment.objects.filter(panel=panel).select_related(
        "proposal__applicant", "reviewer__user"
    ):
        confirm_no_conflict(assignment, assignment.reviewer.user)
        points = PANEL_SHEETS[assignment.proposal.applicant.name][members.index(assignment.reviewer)]
        submit_sheet(assignment, points)
    for applicant in ("울산광역시", "비공개 지자체 02"):
        Assignment.objects.create(
            stage=stage, proposal=Proposal.objects.get(applicant__name=applicant), reviewer=reviewer
        )


# transaction=True: the live server's thread must see what the test writes, and the reverse.
# (No serialized_rollback: after another transactional test's flush, post_migrate has recreated
# content types, which a restore would then duplicate; user_factory recreates the role groups.)
@pytest.mark.django_db(transaction=True)
def test_competition_from_import_to_public_result(
    new_context, live_server, artifacts_dir, people, make_xlsx, tmp_path, submit_sheet
):
    journey = Journey(artifacts_dir, live_server.url)
    competition_file = tmp_path / "competition.toml"
    competition_file.write_text(COMPETITION_FILE, encoding="utf-8")
    competition = load_competition_file(competition_file).competition

    # --- 1. The admin imports the applicant sheet -------------------------------------------
    page = journey.open(new_context()).new_page()
    sign_in(page, journey, "admin-jung", "admin")
    expect(page).to_have_url(re.compile(r"/manage/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("관리")
    expect(page.get_by_role("heading", level=2)).to_contain_text("2025년 스마트시티 조성사업")
    journey.check(page, "admin-index")

    page.get_by_role("link", name="신청 목록 가져오기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("신청 목록 가져오기")
    journey.check(page, "admin-upload")
    page.get_by_label("엑셀 파일(.xlsx)").set_input_files(
        make_xlsx(applicant_rows(bad_subsidy="이백"), name="지원자-2025.xlsx")
    )
    page.get_by_role("button", name="올리고 미리보기").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("가져오기 미리보기")
    expect(page.get_by_role("alert")).to_contain_text("일부 행에 오류가 있습니다.")
    error_row = page.locator("tr.row-error")
    expect(error_row).to_have_count(1)
    expect(error_row).to_contain_text("고양시")
    expect(error_row).to_contain_text("3행 '국비': 숫자가 아닙니다: '이백'")
    expect(page.get_by_role("button", name="확정하고 가져오기")).to_have_count(0)
    journey.check(page, "admin-preview-with-error")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="오류가 있는 행 내려받기").click()
    download = download_info.value
    assert download.suggested_filename == "지원자-2025-오류.xlsx"
    error_sheet = tmp_path / "errors.xlsx"
    download.save_as(error_sheet)
    rows = list(load_workbook(error_sheet).worksheets[0].iter_rows(values_only=True))
    assert rows[0][-1] == "오류"
    assert [row[2] for row in rows[1:]] == ["고양시"]
    assert rows[1][-1] == "3행 '국비': 숫자가 아닙니다: '이백'"
    assert Proposal.objects.count() == 0

    page.get_by_role("link", name="수정한 파일 올리기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("신청 목록 가져오기")
    page.get_by_label("엑셀 파일(.xlsx)").set_input_files(
        make_xlsx(applicant_rows(), name="지원자-2025.xlsx")
    )
    page.get_by_role("button", name="올리고 미리보기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("가져오기 미리보기")
    expect(page.locator(".import-summary")).to_contain_text("신규 5건, 변경 0건, 변경 없음 0건")
    expect(page.locator("tr.row-error")).to_have_count(0)
    journey.check(page, "admin-preview-ready")

    page.get_by_role("button", name="확정하고 가져오기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("가져오기 완료")
    expect(message(page)).to_contain_text("파일을 가져왔습니다.")
    expect(page.locator(".import-summary")).to_contain_text("신규 5건")
    journey.check(page, "admin-import-complete")
    assert sorted(Proposal.objects.values_list("applicant__name", flat=True)) == sorted(
        name for name, *_rest in APPLICANTS
    )

    form_the_panel(people["admin"], people["reviewer"], submit_sheet)

    # --- 2. The reviewer: pledge, a recusal, a draft, a reload, the submission --------------
    page = journey.open(new_context()).new_page()
    sign_in(page, journey, "reviewer-kim", "reviewer")
    expect(page).to_have_url(re.compile(r"/review/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("내 평가")
    expect(page.locator(".competition-list")).to_contain_text("배정된 제안 2건")
    journey.check(page, "reviewer-index")

    page.get_by_role("link", name="보안서약 읽고 동의하기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("보안서약")
    journey.check(page, "reviewer-pledge")
    tick(page, "위 보안서약의 내용을 읽었으며 이에 동의합니다.")
    page.get_by_role("button", name="서약에 동의").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("배정된 사업 제안")
    expect(message(page)).to_contain_text("보안서약에 동의하였습니다.")
    assignments = page.locator("table.review-assignments tbody tr")
    expect(assignments).to_have_count(2)
    expect(assignments.nth(0)).to_contain_text("비공개 지자체 02")
    expect(assignments.nth(1)).to_contain_text("울산광역시")
    expect(assignments).to_contain_text(["시작 전", "시작 전"])
    journey.check(page, "reviewer-assignments")

    page.get_by_role("link", name="평가 시작 — 비공개 지자체 02").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("이해충돌")
    expect(page.locator(".review-facts")).to_contain_text("비공개 지자체 02")
    journey.check(page, "reviewer-conflict")
    page.get_by_label("회피 사유").fill(CONFLICT_REASON)
    page.get_by_role("button", name="회피 신청").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("배정된 사업 제안")
    expect(message(page)).to_contain_text(
        "회피 신청이 기록되었습니다. 비공개 지자체 02의 사업 제안은 더 이상 표시되지 않습니다."
    )
    expect(assignments.nth(0)).to_contain_text("이해충돌")
    expect(assignments.nth(0)).to_contain_text("회피함(표시하지 않음)")
    expect(assignments.nth(0).get_by_role("link")).to_have_count(0)
    journey.check(page, "reviewer-recused")

    page.get_by_role("link", name="평가 시작 — 울산광역시").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("이해충돌")
    tick(page, "이 신청 지자체 및 참여기관과 이해충돌이 없음을 확인합니다.")
    page.get_by_role("button", name="확인하고 사업 제안 보기").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("평가표: AI 기반 울산형 스마트 모빌리티 도시")
    expect(page.locator(".review-facts")).to_contain_text("울산광역시")
    journey.check(page, "reviewer-sheet")
    page.get_by_label("C1 점수").fill("52.5")
    page.get_by_label("종합 의견").fill("교통 데이터 연계 계획이 구체적입니다.")
    expect(page.locator("output[data-score-total]")).to_have_text("52.5")
    page.get_by_role("button", name="임시 저장").click()

    expect(message(page)).to_contain_text("임시 저장했습니다.")
    page.reload()
    expect(message(page)).to_have_count(0)
    expect(page.get_by_label("C1 점수")).to_have_value("52.5")
    expect(page.get_by_label("C2 점수")).to_have_value("")
    expect(page.get_by_label("종합 의견")).to_have_value("교통 데이터 연계 계획이 구체적입니다.")
    expect(page.locator(".score-total")).to_contain_text("52.5 / 100")
    journey.check(page, "reviewer-draft-reloaded")

    page.get_by_label("C2 점수").fill("36")
    expect(page.locator("output[data-score-total]")).to_have_text("88.5")
    tick(page, "제출하면 수정할 수 없음을 확인합니다.")
    page.get_by_role("button", name="제출", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "제출한 평가표: AI 기반 울산형 스마트 모빌리티 도시"
    )
    expect(message(page)).to_contain_text("평가표를 제출하였습니다. 더 이상 수정할 수 없습니다.")
    expect(page.locator("table.submitted-scores tfoot")).to_contain_text("88.5")
    journey.check(page, "reviewer-submitted")

    # --- 3. The official: progress, the draw, the publication -------------------------------
    page = journey.open(new_context()).new_page()
    sign_in(page, journey, "official-han", "official")
    expect(page).to_have_url(re.compile(r"/official/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("공모 목록")
    overview = page.locator("table", has_text="거점형 소계")
    expect(overview.locator("tbody tr").first).to_contain_text("5")
    expect(overview.locator("tr.subtotal")).to_contain_text("2.5:1")
    journey.check(page, "official-index")

    page.get_by_role("link", name="서면평가 진행 현황").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("서면평가 진행 현황")
    # Proposals 5; assignments 3 × 5 + 2; none not started, no draft; 16 submitted; 1 conflict.
    expect(page.locator("#stage-totals + .krds-table-wrap tbody td")).to_have_text(
        ["5", "17", "0", "0", "16", "1"]
    )
    journey.check(page, "official-progress")

    page.get_by_role("link", name="디지털 트윈 도시 관리").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("디지털 트윈 도시 관리")
    conflicts = page.locator("section", has=page.locator("#conflicts-heading")).locator("table tbody tr")
    expect(conflicts).to_have_count(1)
    expect(conflicts).to_contain_text("김서연")
    expect(conflicts).to_contain_text(CONFLICT_REASON)
    journey.check(page, "official-proposal")

    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="공모 목록").click()
    page.get_by_role("link", name="순위와 결과").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("순위")
    expect(page.locator("#draw-notice")).to_contain_text("추첨이 필요합니다.")
    expect(page.locator("tr[data-status=selected]")).to_contain_text(["울산광역시"])
    expect(page.locator("tr[data-status=draw_required]")).to_contain_text(["고양시", "평택시"])
    journey.check(page, "official-ranking-tie")

    page.get_by_role("link", name="고양 스마트 안전·돌봄 도시").click()  # why no rule separates them
    expect(page.get_by_role("heading", level=1)).to_have_text("고양 스마트 안전·돌봄 도시")
    expect(page.locator(".stage-score")).to_contain_text("75")
    averages = page.locator("section", has=page.locator("#criteria-heading")).locator("tbody tr")
    expect(averages).to_have_count(2)
    expect(averages.nth(0)).to_contain_text("45")
    expect(averages.nth(1)).to_contain_text("30")
    journey.check(page, "official-scores")
    page.go_back()

    page.get_by_role("link", name="추첨 결과 기록").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("추첨 결과 기록")
    expect(page.get_by_role("heading", level=2)).to_have_text("거점형: 2위 동점")
    journey.check(page, "official-draw")
    page.get_by_label("평택시 추첨 순서").fill("1")
    page.get_by_label("고양시 추첨 순서").fill("2")
    page.get_by_label("추첨 방법").fill("평가위원회 입회하에 두 지자체 대표가 제비뽑기")
    page.get_by_role("button", name="추첨 결과 기록").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("순위")
    expect(message(page)).to_contain_text("추첨 결과를 기록했습니다. 이제 순위는 추첨 순서를 따릅니다.")
    expect(page.locator("#draw-notice")).to_have_count(0)
    expect(page.locator("tr[data-status=selected]")).to_contain_text(["울산광역시", "평택시"])
    expect(page.locator("tr[data-status=reserve]")).to_contain_text(["고양시"])
    expect(page.locator("tr[data-status=below_minimum]")).to_contain_text(["비공개 지자체 02"])
    journey.check(page, "official-ranking-drawn")

    page.get_by_role("navigation", name="주 메뉴").get_by_role("link", name="공모 목록").click()
    page.get_by_role("link", name="결과 공개", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("결과 공개")
    expect(page.locator(".publication-checks > li")).to_have_count(4)
    expect(page.locator(".publication-checks .krds-badge")).to_have_text(["통과", "통과", "통과", "통과"])
    journey.check(page, "official-publication")

    with page.expect_response(re.compile(r"/publish/$")) as refused:
        page.get_by_role("button", name="되돌릴 수 없음을 확인하고 공개").click()  # not confirmed yet
    assert refused.value.status == 400
    expect(message(page)).to_contain_text("공개하지 않았습니다.")
    expect(page.locator("#confirm-error")).to_have_text("공개는 되돌릴 수 없다는 점을 확인해 주십시오.")
    journey.check(page, "official-publication-unconfirmed", status=400)
    assert not competition.publications.exists()

    tick(page, "공개는 되돌릴 수 없으며")
    page.get_by_role("button", name="되돌릴 수 없음을 확인하고 공개").click()
    expect(message(page)).to_contain_text("제1차 공개를 완료했습니다.")
    publication = competition.publications.get()
    expect(message(page)).to_contain_text(publication.digest)
    expect(page.locator("table", has_text=publication.digest)).to_contain_text("현재 유효")
    journey.check(page, "official-published")

    # --- 4. Anyone reads the result ----------------------------------------------------------
    page = journey.open(new_context()).new_page()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/public/$"))
    listed = page.locator(".competition-list > li", has_text="2025년 스마트시티 조성사업")
    expect(listed).to_contain_text("결과 발표")
    journey.check(page, "public-landing")

    listed.get_by_role("link", name="결과 보기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("2025년 스마트시티 조성사업 결과")
    hub = page.locator("section", has=page.get_by_role("heading", name="거점형", exact=True))
    expect(hub.locator(".announcement")).to_have_text(
        "거점형은 총 5곳의 지자체가 신청해 2.5:1의 경쟁률을 보였으며, 울산광역시, 평택시 2곳이 선정되었다."
    )
    expect(hub.locator("dt:text-is('경쟁률') + dd")).to_have_text("2.5:1")
    expect(hub.locator("table tbody tr")).to_have_count(2)
    expect(hub.locator("table tbody tr td:first-child")).to_have_text(["울산광역시", "평택시"])
    expect(page.get_by_text("고양시")).to_have_count(0)
    journey.check(page, "public-results")


def test_a_missing_chromium_fails_with_the_install_command(tmp_path):
    with pytest.raises(pytest.fail.Exception, match=r"apt-get install chromium"):
        chromium_executable(tmp_path / "chromium")
    assert chromium_executable() == "/usr/bin/chromium"


@pytest.mark.django_db(transaction=True)
def test_the_page_checks_catch_a_missing_label_low_contrast_and_a_policy_violation(
    new_context, live_server, artifacts_dir
):
    """The journey's checks are not vacuous: a field without a label (as a template mistake
    would leave it) fails the scan, so does low contrast that axe leaves undecided, and an inline
    style the policy refuses fails the page."""
    journey = Journey(artifacts_dir / "self-test", live_server.url)
    journey.artifacts.mkdir(exist_ok=True)
    page = journey.open(new_context()).new_page()
    page.goto("/public/")
    page.evaluate(
        """() => {
          const input = document.createElement("input");
          input.type = "text";
          document.querySelector("main").append(input);
        }"""
    )
    with pytest.raises(
        AssertionError,
        match=r"- label \(critical\): Form elements must have labels.*\n    input\[type=\"text\"\]",
    ):
        journey.check(page, "unlabelled-field")

    # Light grey text on KRDS's select, whose arrow is a background image: axe cannot decide the
    # contrast there, the check measures it (1.92:1; KRDS animates colour changes, so no transition).
    page.goto("/public/")
    page.evaluate(
        """() => {
          const select = document.querySelector("#language-select");
          select.style.transition = "none";
          select.style.color = "#bbbbbb";
        }"""
    )
    with pytest.raises(
        AssertionError,
        match=r"- color-contrast \(serious\).*'ratio': 1\.92, 'required': 4\.5.*\n    #language-select",
    ):
        journey.check(page, "undecided-contrast")

    page.goto("/public/")
    page.evaluate("""() => document.querySelector("h1").setAttribute("style", "color: #999")""")
    with pytest.raises(AssertionError, match=r"errors in the browser console:\n.*Content Security Policy"):
        journey.check(page, "inline-style")
