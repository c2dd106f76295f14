"""Officials' ranking page (issue 4 §4): a table per track with ratios, statuses and tie-break
labels in Korean, a stable sort, CSV and XLSX downloads, bonus/penalty points and draws."""

import csv
import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.roles import Role
from evaluation.models import Adjustment, Criterion, Draw
from evaluation.ranking import rank_competition, status_label, tie_break_label
from proposals.models import AuditEntry, Proposal

pytestmark = pytest.mark.django_db

REASON_MISSING = "가점·감점 사유를 적어 주세요."
POINTS_INVALID = "점수는 0이 아닌 숫자로 소수점 둘째 자리까지 적어 주세요(예: 1.5, -2)."
METHOD_MISSING = "추첨 방법을 적어 주세요."

# Titles a spreadsheet could read as formulas: every download must escape them (SPEC §7).
TITLES = {
    "H1": '=HYPERLINK("http://example.com","열기")',
    "H2": "+고양 스마트시티",
    "H3": "-부천 스마트시티",
    "H4": "@의정부 스마트시티",
}


def build_world(make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet, user_factory):
    """Hub (2 slots): 울산 90; 고양 and 부천 both 82, 고양 ahead on C2 (the tie-break criterion);
    의정부 55 (below the minimum of 60); a withdrawn proposal. Climate (2 slots): 평택 70, 목포
    64 + 1.5 bonus, 순천 62. Depopulation: one ineligible proposal. One reviewer: no trimming."""
    _c1, c2 = make_criteria(2, max_points=Decimal(50))
    Criterion.objects.filter(pk=c2.pk).update(tie_break_priority=1)
    reviewer = make_reviewer("solo")
    plan = [
        ("H1", "hub", "울산광역시", (45, 45)),
        ("H2", "hub", "고양시", (40, 42)),
        ("H3", "hub", "부천시", (42, 40)),
        ("H4", "hub", "의정부시", (30, 25)),
        ("C1", "climate", "평택시", (35, 35)),
        ("C2", "climate", "목포시", (34, 30)),
        ("C3", "climate", "순천시", (31, 31)),
    ]
    proposals = {}
    for reference, track, applicant, points in plan:
        subsidy = 200 if track == "hub" else 120
        proposal = make_proposal(
            track=track,
            applicant=applicant,
            reference=reference,
            title=TITLES.get(reference, f"{applicant} 스마트시티"),
            national_subsidy=subsidy,
            local_matching=subsidy,
        )
        submit_sheet(make_assignment(proposal, reviewer), list(points))
        proposals[reference] = proposal
    proposals["H5"] = make_proposal(
        applicant="김포시", reference="H5", title="김포 스마트시티", status=Proposal.Status.WITHDRAWN
    )
    proposals["D1"] = make_proposal(
        track="depopulation",
        applicant="태안군",
        reference="D1",
        title="태안 스마트시티",
        status=Proposal.Status.INELIGIBLE,
    )
    Adjustment.objects.create(
        proposal=proposals["C2"],
        points=Decimal("1.5"),
        reason="지역 균형 가점",
        recorded_by=user_factory(None, "x"),
    )
    return proposals


@pytest.fixture
def world(stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet, user_factory):
    return build_world(
        make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet, user_factory
    )


@pytest.fixture
def official(user_factory):
    user = user_factory(Role.OFFICIAL, "official-kim")
    user.first_name = "김담당"
    user.save()
    return user


@pytest.fixture
def official_client(client, official):
    client.force_login(official)
    return client


HEADER = [
    "순위",
    "접수번호",
    "신청 지자체",
    "사업명",
    "서면평가",
    "가점·감점",
    "최종 점수",
    "상태",
    "동점 처리",
]
HUB = [
    ["1", "H1", "울산광역시", TITLES["H1"], "90.00", "—", "90.00", "선정", "—"],
    ["2", "H2", "고양시", TITLES["H2"], "82.00", "—", "82.00", "선정", "—"],
    ["3", "H3", "부천시", TITLES["H3"], "82.00", "—", "82.00", "예비", "항목 C2 평균"],
    ["4", "H4", "의정부시", TITLES["H4"], "55.00", "—", "55.00", "최저점 미달", "—"],
    ["—", "H5", "김포시", "김포 스마트시티", "—", "—", "—", "철회", "—"],
]
CLIMATE = [
    ["1", "C1", "평택시", "평택시 스마트시티", "70.00", "—", "70.00", "선정", "—"],
    ["2", "C2", "목포시", "목포시 스마트시티", "64.00", "+1.50", "65.50", "선정", "—"],
    ["3", "C3", "순천시", "순천시 스마트시티", "62.00", "—", "62.00", "예비", "—"],
]
DEPOPULATION = [["—", "D1", "태안군", "태안 스마트시티", "—", "—", "—", "부적격", "—"]]


class TableParser(HTMLParser):
    """Tables of a page as {caption: [header, *rows]} of cell texts; the line where a ranking's
    slots end (a separator row) is kept apart, in ``lines``: {caption: (rows above it, its text)}."""

    def __init__(self):
        super().__init__()
        self.tables, self.caption, self.rows, self.cell, self.in_caption = {}, None, None, None, False
        self.lines, self.in_line = {}, False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.caption, self.rows = "", []
        elif tag == "caption":
            self.in_caption = True
        elif tag == "tr" and self.rows is not None:
            self.in_line = "slot-line" in (dict(attrs).get("class") or "")
            self.rows.append([])
        elif tag in ("td", "th") and self.rows is not None:
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table" and self.rows is not None:
            self.tables[self.caption.strip()] = self.rows
            self.rows = None
        elif tag == "caption":
            self.in_caption = False
        elif tag == "tr" and self.in_line:
            text = " ".join(self.rows.pop())
            self.lines[self.caption.strip()] = (len(self.rows) - 1, text)
            self.in_line = False
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join(self.cell.split()))
            self.cell = None

    def handle_data(self, data):
        if self.in_caption:
            self.caption += data
        elif self.cell is not None:
            self.cell += data


def tables_of(response):
    parser = TableParser()
    parser.feed(response.content.decode())
    return parser.tables


def slot_lines(response):
    """{caption: (how many ranked rows are above the line, what it says)}."""
    parser = TableParser()
    parser.feed(response.content.decode())
    return parser.lines


def ranking_url(competition, name="official:ranking"):
    return reverse(name, args=[competition.slug])


def test_ranking_page_shows_each_track_with_ratio_statuses_and_tie_breaks(
    official_client, competition, world
):
    response = official_client.get(ranking_url(competition))
    assert response.status_code == 200
    tables = tables_of(response)
    assert tables["거점형 순위"] == [HEADER, *HUB]
    assert tables["강소형 · 기후위기 대응형 순위"] == [HEADER, *CLIMATE]
    assert tables["강소형 · 지역소멸 대응형 순위"] == [HEADER, *DEPOPULATION]
    page = response.content.decode()
    # Ratios: per track (applicants not withdrawn ÷ slots) and per category.
    assert "신청 4곳, 선정 2곳: 경쟁률 2:1" in page
    assert "신청 3곳, 선정 2곳: 경쟁률 1.5:1" in page
    assert "신청 1곳, 선정 2곳: 경쟁률 0.5:1" in page
    assert "신청 4곳, 선정 4곳: 경쟁률 1:1" in page  # 강소형 as a whole
    assert "추첨이 필요합니다" not in page
    assert reverse("official:ranking-csv", args=[competition.slug]) in page
    assert reverse("official:ranking-xlsx", args=[competition.slug]) in page
    # Titles link to the proposal's scores in the last stage it reached.
    scores = reverse("official:proposal-scores", args=[competition.slug, "test-written", world["H1"].pk])
    assert scores in page


def test_index_links_to_the_ranking(official_client, competition):
    page = official_client.get(reverse("official:index")).content.decode()
    assert ranking_url(competition) in page


def test_pooled_category_has_one_table_across_its_tracks(
    official_client,
    competition,
    stage,
    make_criteria,
    make_reviewer,
    make_proposal,
    make_assignment,
    submit_sheet,
):
    small = competition.categories.get(code="small")
    small.slots = 1
    small.save()
    small.tracks.update(slots=None)
    make_criteria(1, max_points=Decimal(100))
    reviewer = make_reviewer("solo")
    for reference, track, points in (("c1", "climate", 70), ("d1", "depopulation", 80)):
        proposal = make_proposal(
            track=track, reference=reference, applicant=f"{reference}시", title=reference
        )
        submit_sheet(make_assignment(proposal, reviewer), [points])
    tables = tables_of(official_client.get(ranking_url(competition)))
    assert tables["강소형 순위"][0] == [
        "순위", "접수번호", "신청 지자체", "사업명", "트랙", "서면평가", "가점·감점", "최종 점수", "상태", "동점 처리"
    ]  # fmt: skip
    assert [row[:5] + row[-2:] for row in tables["강소형 순위"][1:]] == [
        ["1", "d1", "d1시", "d1", "지역소멸 대응형", "선정", "—"],
        ["2", "c1", "c1시", "c1", "기후위기 대응형", "예비", "—"],
    ]


def test_status_and_tie_break_labels_are_korean():
    labels = {
        status: status_label(status)
        for status in (
            "selected",
            "reserve",
            "not_selected",
            "below_minimum",
            "draw_required",
            "eliminated",
            "ineligible",
            "withdrawn",
        )
    }
    assert list(labels.values()) == [
        "선정",
        "예비",
        "미선정",
        "최저점 미달",
        "추첨 필요",
        "단계 탈락",
        "부적격",
        "철회",
    ]
    assert [tie_break_label(rule) for rule in ("criterion:C2", "subsidy", "draw", "unresolved", None)] == [
        "항목 C2 평균",
        "국비 신청액",
        "추첨",
        "동순위",
        "",
    ]


def references(response, caption="거점형 순위"):
    return [row[1] for row in tables_of(response)[caption][1:]]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        # Equal scores (H2, H3) stay in reference order in both directions; no score comes last.
        ("-test_score", ["H1", "H2", "H3", "H4", "H5"]),
        ("test_score", ["H4", "H2", "H3", "H1", "H5"]),
        ("score", ["H4", "H2", "H3", "H1", "H5"]),
        ("-rank", ["H4", "H3", "H2", "H1", "H5"]),
        ("status", ["H1", "H2", "H3", "H4", "H5"]),
        ("-status", ["H5", "H4", "H3", "H1", "H2"]),
        ("adjustment", ["H1", "H2", "H3", "H4", "H5"]),
        ("-applicant", ["H4", "H1", "H3", "H5", "H2"]),  # 의 울 부 김 고
    ],
)
def test_sorting_is_stable_with_reference_as_secondary_key(
    official_client, competition, world, sort, expected
):
    sort = sort.replace("test_score", "stage_0")
    url = ranking_url(competition) + f"?track-hub-sort={sort}"
    first = official_client.get(url)
    assert references(first) == expected
    assert references(official_client.get(url)) == expected  # the same request, the same order
    # Sorting one table leaves the others in ranking order.
    assert references(first, "강소형 · 기후위기 대응형 순위") == ["C1", "C2", "C3"]


def test_csv_download_has_the_same_rows_escaped_and_a_bom(official_client, competition, world):
    response = official_client.get(ranking_url(competition, "official:ranking-csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == [
        "사업 유형", "트랙", "순위", "접수번호", "신청 지자체", "사업명",
        "서면평가 점수", "가점·감점", "최종 점수", "상태", "동점 처리",
    ]  # fmt: skip
    assert rows[1:] == [
        ["거점형", "거점형", "1", "H1", "울산광역시", "'" + TITLES["H1"], "90.00", "0.00", "90.00", "선정", ""],
        ["거점형", "거점형", "2", "H2", "고양시", "'+고양 스마트시티", "82.00", "0.00", "82.00", "선정", ""],
        ["거점형", "거점형", "3", "H3", "부천시", "'-부천 스마트시티", "82.00", "0.00", "82.00", "예비", "항목 C2 평균"],
        ["거점형", "거점형", "4", "H4", "의정부시", "'@의정부 스마트시티", "55.00", "0.00", "55.00", "최저점 미달", ""],
        ["거점형", "거점형", "", "H5", "김포시", "김포 스마트시티", "", "", "", "철회", ""],
        ["강소형", "기후위기 대응형", "1", "C1", "평택시", "평택시 스마트시티", "70.00", "0.00", "70.00", "선정", ""],
        ["강소형", "기후위기 대응형", "2", "C2", "목포시", "목포시 스마트시티", "64.00", "1.50", "65.50", "선정", ""],
        ["강소형", "기후위기 대응형", "3", "C3", "순천시", "순천시 스마트시티", "62.00", "0.00", "62.00", "예비", ""],
        ["강소형", "지역소멸 대응형", "", "D1", "태안군", "태안 스마트시티", "", "", "", "부적격", ""],
    ]  # fmt: skip


def test_xlsx_download_is_the_results_workbook(official_client, competition, world):
    response = official_client.get(ranking_url(competition, "official:ranking-xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == [
        "요약",
        "시·도별 결과",
        "순위 거점형",
        "순위 강소형 · 기후위기 대응형",
        "순위 강소형 · 지역소멸 대응형",
        "항목별 평균",
        "평가위원별 총점",
    ]
    hub = [[cell.value for cell in row] for row in workbook["순위 거점형"].iter_rows()]
    assert hub[1][:6] == ["거점형", "거점형", 1, "H1", "울산광역시", "'" + TITLES["H1"]]
    assert [row[5] for row in hub[1:5]] == ["'" + TITLES[ref] for ref in ("H1", "H2", "H3", "H4")]
    for row in workbook["순위 거점형"].iter_rows():
        for cell in row:
            assert cell.data_type != "f"


# --- Bonus and penalty points ----------------------------------------------------------------


def scores_url(competition, proposal, name="official:proposal-scores"):
    return reverse(name, args=[competition.slug, "test-written", proposal.pk])


def adjustment_state():
    return list(Adjustment.objects.order_by("pk").values_list()), AuditEntry.objects.count()


@pytest.mark.parametrize("reason", ["", "   "])
def test_adjustment_without_reason_shows_the_message_and_writes_nothing(
    official_client, competition, world, reason
):
    before = adjustment_state()
    response = official_client.post(
        scores_url(competition, world["H2"], "official:record-adjustment"), {"points": "2", "reason": reason}
    )
    assert response.status_code == 200
    assert REASON_MISSING in response.content.decode()
    assert adjustment_state() == before


@pytest.mark.parametrize("points", ["", "abc", "0", "0.00", "1.234", "1000", "NaN", "Infinity"])
def test_adjustment_with_invalid_points_shows_the_message_and_writes_nothing(
    official_client, competition, world, points
):
    before = adjustment_state()
    response = official_client.post(
        scores_url(competition, world["H2"], "official:record-adjustment"),
        {"points": points, "reason": "사유"},
    )
    assert response.status_code == 200
    assert POINTS_INVALID in response.content.decode()
    assert adjustment_state() == before


def test_adjustment_is_recorded_with_its_reason_in_the_audit_trail(
    official_client, official, competition, world
):
    reason = "스마트시티 인증 보유 가점"
    response = official_client.post(
        scores_url(competition, world["H3"], "official:record-adjustment"),
        {"points": "2.5", "reason": reason},
        follow=True,
    )
    adjustment = Adjustment.objects.get(proposal=world["H3"])
    assert (adjustment.points, adjustment.reason, adjustment.recorded_by) == (
        Decimal("2.5"),
        reason,
        official,
    )
    entry = AuditEntry.objects.get(object_type="adjustment", object_id=str(adjustment.pk))
    assert (entry.action, entry.actor, entry.reason) == ("adjustment.created", official, reason)
    assert entry.after["points"] == "2.50"
    page = response.content.decode()
    assert "가점 +2.50점을 기록했습니다" in page
    assert reason in page and "김담당" in page
    # 부천 82 + 2.5 = 84.50 now ranks above 고양.
    hub = tables_of(official_client.get(ranking_url(competition)))["거점형 순위"]
    assert hub[2] == ["2", "H3", "부천시", TITLES["H3"], "82.00", "+2.50", "84.50", "선정", "—"]
    assert hub[3] == ["3", "H2", "고양시", TITLES["H2"], "82.00", "—", "82.00", "예비", "—"]


def test_adjustments_are_capped_in_the_ranking(official_client, competition, world):
    url = scores_url(competition, world["H4"], "official:record-adjustment")
    for points, reason in (("4", "가점 1"), ("3", "가점 2")):
        official_client.post(url, {"points": points, "reason": reason})
    assert Adjustment.objects.filter(proposal=world["H4"]).count() == 2
    page = official_client.get(scores_url(competition, world["H4"])).content.decode()
    assert '<strong id="adjustment-applied">5.00</strong>' in page  # 4 + 3 held at the cap of 5
    assert "한도 적용" in page
    hub = tables_of(official_client.get(ranking_url(competition)))["거점형 순위"]
    assert hub[4] == ["4", "H4", "의정부시", TITLES["H4"], "55.00", "+5.00", "60.00", "미선정", "—"]


def test_a_penalty_lowers_the_final_score(official_client, competition, world):
    official_client.post(
        scores_url(competition, world["C1"], "official:record-adjustment"),
        {"points": "-10.5", "reason": "감점"},
    )
    climate = tables_of(official_client.get(ranking_url(competition)))["강소형 · 기후위기 대응형 순위"]
    assert [row[:2] + row[5:8] for row in climate[1:]] == [
        ["1", "C2", "+1.50", "65.50", "선정"],
        ["2", "C1", "-5.00", "65.00", "선정"],
        ["3", "C3", "—", "62.00", "예비"],
    ]


# --- A proposal's scores by reviewer code ----------------------------------------------------


def test_score_page_shows_totals_by_code_dropped_sheets_and_kept_averages(
    official_client,
    competition,
    stage,
    make_criteria,
    make_reviewer,
    make_proposal,
    make_assignment,
    submit_sheet,
):
    make_criteria(2, max_points=Decimal(50))
    proposal = make_proposal(applicant="울산광역시", title="울산 스마트시티")
    sheets = [(40, 45), (45, 45), (40, 40), (30, 30), (50, 50), (20, 20)]  # 85 90 80 60 100 40
    for number, points in enumerate(sheets):
        reviewer = make_reviewer(f"r{number}")
        assignment = make_assignment(proposal, reviewer)
        if number < 5:
            submit_sheet(assignment, list(points))
        else:
            submit_sheet(assignment, list(points), draft_only=True)
    response = official_client.get(scores_url(competition, proposal))
    assert response.status_code == 200
    tables = tables_of(response)
    assert tables["서면평가 평가위원별 합계(기호)"] == [
        ["평가위원", "합계", "반영 여부"],
        ["A", "85.00", "반영"],
        ["B", "90.00", "반영"],
        ["C", "80.00", "반영"],
        ["D", "60.00", "최저점 제외"],
        ["E", "100.00", "최고점 제외"],
        ["F", "—", "미제출"],
    ]
    # Kept: A, B, C → C1 (40 + 45 + 40) / 3 = 41.67, C2 (45 + 45 + 40) / 3 = 43.33
    assert tables["반영된 평가표의 항목별 평균"][1:] == [
        ["C1", "평가항목 1", "50", "—", "41.67"],
        ["C2", "평가항목 2", "50", "—", "43.33"],
    ]
    page = response.content.decode()
    assert "85.00" in page and "3장 반영" in page
    for number in range(6):
        assert f"위원 r{number}" not in page  # never names


# --- Draws -----------------------------------------------------------------------------------


@pytest.fixture
def tie(stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet):
    """Hub (2 slots): 울산 90, then 고양 and 부천 equal at 80 on every rule: a draw is required."""
    make_criteria(2, max_points=Decimal(50))
    reviewer = make_reviewer("solo")
    proposals = {}
    for reference, applicant, points in (
        ("H1", "울산광역시", (45, 45)),
        ("H2", "고양시", (40, 40)),
        ("H3", "부천시", (40, 40)),
    ):
        proposal = make_proposal(applicant=applicant, reference=reference, title=f"{applicant} 사업")
        submit_sheet(make_assignment(proposal, reviewer), list(points))
        proposals[reference] = proposal
    return proposals


def draw_post(tie, method="추첨함에서 제비뽑기(위원장 입회)", **orders):
    data = {"tie": "track-hub-2", "track-hub-2-method": method}
    data.update({f"track-hub-2-order_{tie[ref].pk}": value for ref, value in orders.items()})
    return data


def test_ranking_shows_the_draw_notice_and_the_draw_page_lists_the_tie(official_client, competition, tie):
    response = official_client.get(ranking_url(competition))
    hub = tables_of(response)["거점형 순위"]
    assert [row[0:2] + row[7:] for row in hub[1:]] == [
        ["1", "H1", "선정", "—"],
        ["2", "H2", "추첨 필요", "—"],
        ["2", "H3", "추첨 필요", "동순위"],
    ]
    page = response.content.decode()
    assert "추첨이 필요합니다" in page
    assert reverse("official:draw", args=[competition.slug]) in page
    draw_page = official_client.get(reverse("official:draw", args=[competition.slug])).content.decode()
    assert "거점형: 2위 동점" in draw_page and "고양시" in draw_page and "부천시" in draw_page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"method": "", "H2": "2", "H3": "1"}, METHOD_MISSING),
        ({"method": "제비뽑기", "H2": "1", "H3": "1"}, "제안마다 1부터 2까지 서로 다른 순서를 적어 주세요."),
        ({"method": "제비뽑기", "H2": "3", "H3": "1"}, "1부터 2까지의 순서를 적어 주세요."),
        ({"method": "제비뽑기", "H2": "", "H3": "1"}, "1부터 2까지의 순서를 적어 주세요."),
    ],
)
def test_draw_form_refuses_and_writes_nothing(official_client, competition, tie, data, message):
    entries = AuditEntry.objects.count()
    method = data.pop("method")
    response = official_client.post(
        reverse("official:draw", args=[competition.slug]), draw_post(tie, method, **data)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Draw.objects.exists() and AuditEntry.objects.count() == entries


def test_recorded_draw_resolves_the_tie(official_client, official, competition, tie):
    method = "추첨함에서 제비뽑기(위원장 입회)"
    response = official_client.post(
        reverse("official:draw", args=[competition.slug]), draw_post(tie, method, H2="2", H3="1"), follow=True
    )
    assert response.redirect_chain[-1][0] == ranking_url(competition)
    draws = {draw.proposal_id: draw for draw in Draw.objects.all()}
    assert {pk: d.order for pk, d in draws.items()} == {tie["H3"].pk: 1, tie["H2"].pk: 2}
    assert all(d.method == method and d.recorded_by == official and d.created_at for d in draws.values())
    entries = AuditEntry.objects.filter(object_type="draw")
    assert entries.count() == 2 and all(e.actor == official and method in e.reason for e in entries)
    hub = tables_of(response)["거점형 순위"]
    assert [row[0:2] + row[7:] for row in hub[1:]] == [
        ["1", "H1", "선정", "—"],
        ["2", "H3", "선정", "—"],
        ["3", "H2", "예비", "추첨"],
    ]
    assert "추첨이 필요합니다" not in response.content.decode()
    ranking = rank_competition(competition)
    assert not ranking.draws_required
    assert {row.reference: row.tie_break for row in ranking.proposals()}["H2"] == "draw"


def test_draw_of_a_tie_already_resolved_is_refused(official_client, competition, tie):
    url = reverse("official:draw", args=[competition.slug])
    official_client.post(url, draw_post(tie, H2="1", H3="2"))
    response = official_client.post(url, draw_post(tie, H2="2", H3="1"), follow=True)
    assert "이 동점은 더 이상 추첨이 필요하지 않습니다" in response.content.decode()
    assert {d.proposal_id: d.order for d in Draw.objects.all()} == {tie["H2"].pk: 1, tie["H3"].pk: 2}


# --- Who may see these pages -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("official:ranking", "get"),
        ("official:ranking-csv", "get"),
        ("official:ranking-xlsx", "get"),
        ("official:reviewer-totals-csv", "get"),
        ("official:draw", "get"),
        ("official:draw", "post"),
        ("official:proposal-scores", "get"),
        ("official:record-adjustment", "post"),
    ],
)
def test_reviewers_get_403(client, competition, world, make_reviewer, name, method):
    reviewer = make_reviewer("reviewer-x")
    client.force_login(reviewer.user)
    args = [competition.slug]
    if name in ("official:proposal-scores", "official:record-adjustment"):
        args += ["test-written", world["H1"].pk]
    before = adjustment_state()
    response = getattr(client, method)(
        reverse(name, args=args), {"points": "5", "reason": "x"} if method == "post" else None
    )
    assert response.status_code == 403
    assert adjustment_state() == before


def test_pages_work_before_any_stage_or_proposal(official_client, competition):
    for name in (
        "official:ranking",
        "official:ranking-csv",
        "official:ranking-xlsx",
        "official:reviewer-totals-csv",
        "official:draw",
    ):
        assert official_client.get(ranking_url(competition, name)).status_code == 200, name
    workbook = load_workbook(
        io.BytesIO(official_client.get(ranking_url(competition, "official:ranking-xlsx")).content)
    )
    assert [row[0].value for row in workbook["항목별 평균"].iter_rows()] == ["사업 유형"]


# --- Statuses, the line where the slots end, the sort of scores (issue 10 §7) ----------------------


def test_every_status_has_its_own_badge_colour_and_its_label():
    from evaluation.ranking import STATUS_LABELS
    from portal.official.tables import STATUS_BADGES, status_badge

    spec_statuses = {
        "selected", "reserve", "not_selected", "below_minimum", "draw_required", "over_cap", "pending",
        "eliminated", "ineligible", "withdrawn",
    }  # fmt: skip
    assert set(STATUS_BADGES) == spec_statuses == set(STATUS_LABELS)
    assert len(set(STATUS_BADGES.values())) == len(STATUS_BADGES)  # distinct colours
    labels = {status: str(status_label(status)) for status in spec_statuses}
    assert len(set(labels.values())) == len(labels)  # and distinct words: never colour alone
    assert labels["over_cap"] == "지역 한도 초과" and labels["pending"] == "평가 중"
    assert str(status_badge("draw_required")) == (
        '<span class="krds-badge status-badge bg-warning">추첨 필요</span>'
    )


def test_the_page_shows_each_status_as_its_badge(official_client, competition, world):
    page = official_client.get(ranking_url(competition)).content.decode()
    assert '<span class="krds-badge status-badge bg-success">선정</span>' in page
    assert '<span class="krds-badge status-badge bg-light-information">예비</span>' in page
    assert '<span class="krds-badge status-badge outline-danger">최저점 미달</span>' in page
    assert '<span class="krds-badge status-badge outline-gray">철회</span>' in page


def test_a_line_follows_the_last_slot_of_each_ranking(official_client, competition, world):
    lines = slot_lines(official_client.get(ranking_url(competition)))
    assert lines["거점형 순위"] == (2, "선정 2곳은 여기까지입니다: 위의 사업이 선정됩니다.")
    assert lines["강소형 · 기후위기 대응형 순위"] == (2, "선정 2곳은 여기까지입니다: 위의 사업이 선정됩니다.")
    assert "강소형 · 지역소멸 대응형 순위" not in lines  # nothing ranked there (ineligible only)


def test_the_line_is_only_shown_in_the_rankings_own_order(official_client, competition, world):
    url = ranking_url(competition)
    assert "거점형 순위" in slot_lines(official_client.get(url + "?track-hub-sort=rank"))
    assert "거점형 순위" not in slot_lines(official_client.get(url + "?track-hub-sort=-score"))
    assert "거점형 순위" not in slot_lines(official_client.get(url + "?track-hub-sort=applicant"))


def test_the_line_after_a_tie_says_a_draw_decides(official_client, competition, tie):
    lines = slot_lines(official_client.get(ranking_url(competition)))
    assert lines["거점형 순위"] == (3, "선정 2곳은 여기까지입니다: 위의 동점 사업은 추첨으로 정해야 합니다.")


def test_the_line_says_when_slots_stay_empty(
    official_client,
    competition,
    stage,
    make_criteria,
    make_reviewer,
    make_proposal,
    make_assignment,
    submit_sheet,
):
    """The minimum score is 60: one hub proposal reaches it, the other does not; none in climate."""
    make_criteria(1, max_points=Decimal(100))
    reviewer = make_reviewer("solo")
    for track, reference, points in (("hub", "H1", 70), ("hub", "H2", 50), ("climate", "C1", 40)):
        proposal = make_proposal(track=track, reference=reference)
        submit_sheet(make_assignment(proposal, reviewer), [points])
    lines = slot_lines(official_client.get(ranking_url(competition)))
    assert lines["거점형 순위"] == (
        1,
        "선정은 여기까지입니다: 2곳 중 1곳이 선정되었고, 기준을 충족하는 다른 사업이 없습니다.",
    )
    assert lines["강소형 · 기후위기 대응형 순위"] == (
        0,
        "선정 2곳 중 채워진 곳이 없습니다: 기준을 충족하는 사업이 없습니다.",
    )


def test_the_first_click_on_a_score_sorts_the_highest_first(official_client, competition, world):
    page = official_client.get(ranking_url(competition)).content.decode()
    assert "?track-hub-sort=-score" in page and "?track-hub-sort=-stage_0" in page
    assert "?track-hub-sort=rank" in page  # ranks and names still start from the top
    assert "?track-hub-sort=-rank" not in page
    # Sorted high to low, the next click turns it round.
    sorted_page = official_client.get(ranking_url(competition) + "?track-hub-sort=-score").content.decode()
    assert "?track-hub-sort=score" in sorted_page


def test_the_title_column_is_readable(official_client, competition, world):
    page = official_client.get(ranking_url(competition)).content.decode()
    assert re.search(r'<th scope="col" class="[^"]*col-title', page)
    assert re.search(r'<td class="col-title" data-label="사업명">', page)


# --- The draw page and the publication check: one truth (issue 10 §8) ----------------------------

TIED_INTRO = "아래 사업 제안은 마지막 선정 순위에 걸쳐 동순위이며"
NO_TIE = "추첨이 필요한 동점이 없습니다. 모든 선정 순위가 정해졌습니다."


def test_without_a_tie_the_draw_page_says_only_that_no_draw_is_needed(official_client, competition, world):
    page = official_client.get(reverse("official:draw", args=[competition.slug])).content.decode()
    assert NO_TIE in page and TIED_INTRO not in page and "<form" not in page.split("<main")[1]


def test_with_a_tie_the_draw_page_never_says_no_draw_is_needed(official_client, competition, tie):
    page = official_client.get(reverse("official:draw", args=[competition.slug])).content.decode()
    assert TIED_INTRO in page and NO_TIE not in page


def test_the_draw_page_and_the_publication_check_read_the_same_ties(
    official_client,
    competition,
    stage,
    make_criteria,
    make_reviewer,
    make_proposal,
    make_assignment,
    submit_sheet,
):
    """A category pooling one slot: a tie across its two tracks is one tie of the category, on
    the draw page and in the publication check alike (they used to group ties in two places)."""
    from evaluation.publication import publication_checks, unresolved_ties

    small = competition.categories.get(code="small")
    small.slots = 1
    small.save()
    small.tracks.update(slots=None)
    make_criteria(1, max_points=Decimal(100))
    reviewer = make_reviewer("solo")
    for reference, track in (("c1", "climate"), ("d1", "depopulation")):
        proposal = make_proposal(track=track, reference=reference, applicant=f"{reference}시")
        submit_sheet(make_assignment(proposal, reviewer), [80])
    ranking = rank_competition(competition)
    (found,) = unresolved_ties(ranking)
    assert (found.name, found.rank, [row.applicant for row in found.rows]) == ("강소형", 1, ["c1시", "d1시"])
    draws = next(check for check in publication_checks(competition, ranking) if check.code == "draws")
    assert draws.problems == [
        "강소형: 마지막 선정 순위에서 c1시, d1시의 순위가 같고 어떤 규칙으로도 가려지지 않습니다. "
        "공개하기 전에 추첨 결과를 기록하십시오."
    ]
    page = official_client.get(reverse("official:draw", args=[competition.slug])).content.decode()
    assert "강소형: 1위 동점" in page and f'name="tie" value="{found.key}"' in page


@pytest.mark.parametrize(
    "query", ["track-hub-per_page=-5", "track-hub-per_page=0", "track-hub-per_page=x", "track-hub-page=-1"]
)
def test_a_hand_made_page_size_or_page_is_not_a_server_error(official_client, competition, world, query):
    """The page size is the page's own (``…per_page=`` is ignored; -5 and 0 were server errors);
    a page that is not one shows the last page."""
    response = official_client.get(ranking_url(competition) + "?" + query)
    assert response.status_code == 200
    assert references(response)[:2] == references(official_client.get(ranking_url(competition)))[:2]
