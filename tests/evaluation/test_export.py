"""``export_results`` (issue 4 §7): the results workbook opened back and checked cell by cell —
summary, a ranking sheet per track, criterion averages; no formula, no personal data."""

import re
from decimal import Decimal
from io import BytesIO, StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from evaluation.exporting import results_workbook
from evaluation.ranking import rank_competition
from tests.portal.test_official_ranking import TITLES, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet, user_factory):
    return build_world(
        make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet, user_factory
    )


def cells(sheet):
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def numbers(rows):
    """Numbers as Decimal rounded to two places, so 65.5 read back compares with Decimal("65.50")."""
    return [
        [
            Decimal(str(v)).quantize(Decimal("0.01"))
            if isinstance(v, int | float) and not isinstance(v, bool)
            else v
            for v in row
        ]
        for row in rows
    ]


def D(text):
    return Decimal(text)


SUMMARY = [
    ["사업 유형", "트랙", "신청 수", "선정 수", "경쟁률", "선정 건수", "선정 지자체",
     "선정 국비 합계(억원)", "선정 지방비 합계(억원)"],
    ["거점형", "거점형", D("4.00"), D("2.00"), "2:1", D("2.00"), "울산광역시, 고양시", D("400.00"), D("400.00")],
    ["거점형", "거점형 소계", D("4.00"), D("2.00"), "2:1", D("2.00"), "울산광역시, 고양시", D("400.00"), D("400.00")],
    ["강소형", "기후위기 대응형", D("3.00"), D("2.00"), "1.5:1", D("2.00"), "평택시, 목포시", D("240.00"), D("240.00")],
    ["강소형", "지역소멸 대응형", D("1.00"), D("2.00"), "0.5:1", D("0.00"), None, D("0.00"), D("0.00")],
    ["강소형", "강소형 소계", D("4.00"), D("4.00"), "1:1", D("2.00"), "평택시, 목포시", D("240.00"), D("240.00")],
    ["전체", None, D("8.00"), D("6.00"), None, D("4.00"), "울산광역시, 고양시, 평택시, 목포시", D("640.00"), D("640.00")],
]  # fmt: skip
RANKING_HEADER = [
    "사업 유형", "트랙", "순위", "접수번호", "신청 지자체", "사업명",
    "서면평가 점수", "가점·감점", "최종 점수", "상태", "동점 처리",
]  # fmt: skip
HUB = [
    ["거점형", "거점형", D("1.00"), "H1", "울산광역시", "'" + TITLES["H1"], D("90.00"), D("0.00"), D("90.00"), "선정", None],
    ["거점형", "거점형", D("2.00"), "H2", "고양시", "'+고양 스마트시티", D("82.00"), D("0.00"), D("82.00"), "선정", None],
    ["거점형", "거점형", D("3.00"), "H3", "부천시", "'-부천 스마트시티", D("82.00"), D("0.00"), D("82.00"), "예비", "항목 C2 평균"],
    ["거점형", "거점형", D("4.00"), "H4", "의정부시", "'@의정부 스마트시티", D("55.00"), D("0.00"), D("55.00"), "최저점 미달", None],
    ["거점형", "거점형", None, "H5", "김포시", "김포 스마트시티", None, None, None, "철회", None],
]  # fmt: skip
CLIMATE = [
    ["강소형", "기후위기 대응형", D("1.00"), "C1", "평택시", "평택시 스마트시티", D("70.00"), D("0.00"), D("70.00"), "선정", None],
    ["강소형", "기후위기 대응형", D("2.00"), "C2", "목포시", "목포시 스마트시티", D("64.00"), D("1.50"), D("65.50"), "선정", None],
    ["강소형", "기후위기 대응형", D("3.00"), "C3", "순천시", "순천시 스마트시티", D("62.00"), D("0.00"), D("62.00"), "예비", None],
]  # fmt: skip
DEPOPULATION = [
    ["강소형", "지역소멸 대응형", None, "D1", "태안군", "태안 스마트시티", None, None, None, "부적격", None]
]
AVERAGES = [
    ["사업 유형", "트랙", "접수번호", "신청 지자체", "사업명", "반영 평가표 수", "C1 평가항목 1", "C2 평가항목 2", "서면평가 점수"],
    ["거점형", "거점형", "H1", "울산광역시", "'" + TITLES["H1"], D("1.00"), D("45.00"), D("45.00"), D("90.00")],
    ["거점형", "거점형", "H2", "고양시", "'+고양 스마트시티", D("1.00"), D("40.00"), D("42.00"), D("82.00")],
    ["거점형", "거점형", "H3", "부천시", "'-부천 스마트시티", D("1.00"), D("42.00"), D("40.00"), D("82.00")],
    ["거점형", "거점형", "H4", "의정부시", "'@의정부 스마트시티", D("1.00"), D("30.00"), D("25.00"), D("55.00")],
    ["강소형", "기후위기 대응형", "C1", "평택시", "평택시 스마트시티", D("1.00"), D("35.00"), D("35.00"), D("70.00")],
    ["강소형", "기후위기 대응형", "C2", "목포시", "목포시 스마트시티", D("1.00"), D("34.00"), D("30.00"), D("64.00")],
    ["강소형", "기후위기 대응형", "C3", "순천시", "순천시 스마트시티", D("1.00"), D("31.00"), D("31.00"), D("62.00")],
]  # fmt: skip

# One reviewer per proposal (code A of each proposal); the withdrawn and the ineligible proposal
# have no assignment. Totals only of counted sheets.
REVIEWER_TOTALS = [
    ["평가 단계", "사업 유형", "트랙", "접수번호", "신청 지자체", "평가위원", "합계", "반영 여부"],
    ["서면평가", "거점형", "거점형", "H1", "울산광역시", "A", D("90.00"), "반영"],
    ["서면평가", "거점형", "거점형", "H2", "고양시", "A", D("82.00"), "반영"],
    ["서면평가", "거점형", "거점형", "H3", "부천시", "A", D("82.00"), "반영"],
    ["서면평가", "거점형", "거점형", "H4", "의정부시", "A", D("55.00"), "반영"],
    ["서면평가", "강소형", "기후위기 대응형", "C1", "평택시", "A", D("70.00"), "반영"],
    ["서면평가", "강소형", "기후위기 대응형", "C2", "목포시", "A", D("64.00"), "반영"],
    ["서면평가", "강소형", "기후위기 대응형", "C3", "순천시", "A", D("62.00"), "반영"],
]  # fmt: skip


def check_workbook(workbook, competition):
    assert workbook.sheetnames == [
        "요약",
        "시·도별 결과",
        "순위 거점형",
        "순위 강소형 · 기후위기 대응형",
        "순위 강소형 · 지역소멸 대응형",
        "항목별 평균",
        "평가위원별 총점",
    ]
    summary = numbers(cells(workbook["요약"]))
    assert summary[: len(SUMMARY)] == SUMMARY
    assert not any(summary[len(SUMMARY)])  # a blank row, then where the file comes from
    assert summary[len(SUMMARY) + 1][:2] == ["공모", competition.name]
    assert summary[len(SUMMARY) + 2][:2] == ["주관 기관", competition.organization_name]  # SPEC §8.5
    assert summary[len(SUMMARY) + 3][0] == "내보낸 일시"
    assert re.fullmatch(r"\d{4}\. \d{1,2}\. \d{1,2}\. \d{2}:\d{2}", summary[len(SUMMARY) + 3][1])
    assert numbers(cells(workbook["순위 거점형"])) == [RANKING_HEADER, *HUB]
    assert numbers(cells(workbook["순위 강소형 · 기후위기 대응형"])) == [RANKING_HEADER, *CLIMATE]
    assert numbers(cells(workbook["순위 강소형 · 지역소멸 대응형"])) == [RANKING_HEADER, *DEPOPULATION]
    assert numbers(cells(workbook["항목별 평균"])) == AVERAGES
    assert numbers(cells(workbook["평가위원별 총점"])) == REVIEWER_TOTALS
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
                text = str(cell.value or "")
                # Personal data never leaves: contact phone and e-mail of make_proposal.
                assert "010-1234-5678" not in text and "@city.go.kr" not in text
                assert not text.startswith(("=", "+", "-", "@", "\t", "\r")) or isinstance(
                    cell.value, int | float
                )


def test_export_results_writes_the_workbook_checked_cell_by_cell(competition, world, tmp_path):
    out = tmp_path / "results.xlsx"
    stdout = StringIO()
    call_command("export_results", competition=competition.slug, out=str(out), stdout=stdout)
    assert "results.xlsx" in stdout.getvalue() and "9건" in stdout.getvalue()
    workbook = load_workbook(out)
    check_workbook(workbook, competition)


def test_the_workbook_is_written_in_write_only_mode(competition, world, monkeypatch):
    import proposals.xlsx

    modes = []
    original = proposals.xlsx.Workbook

    def spy(*args, **kwargs):
        modes.append(kwargs.get("write_only"))
        return original(*args, **kwargs)

    monkeypatch.setattr(proposals.xlsx, "Workbook", spy)
    results_workbook(rank_competition(competition))
    assert modes == [True]


@pytest.mark.parametrize("batch", [1, 2, 3])
def test_batches_of_proposals_write_the_same_workbook(competition, world, monkeypatch, batch):
    """The criterion and reviewer sheets are written a batch of proposals at a time (memory stays
    the size of a batch): any batch size gives the same cells — letters, kept sheets, averages."""
    import evaluation.exporting

    monkeypatch.setattr(evaluation.exporting, "PROPOSALS_BATCH", batch)
    workbook = load_workbook(BytesIO(results_workbook(rank_competition(competition))))
    check_workbook(workbook, competition)


def test_summary_notes_a_required_draw(
    competition, stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet, tmp_path
):
    make_criteria(1, max_points=Decimal(100))
    reviewer = make_reviewer("solo")
    for reference in ("H1", "H2", "H3"):
        proposal = make_proposal(reference=reference, applicant=f"{reference}시")
        submit_sheet(make_assignment(proposal, reviewer), [80])
    out = tmp_path / "draw.xlsx"
    call_command("export_results", competition=competition.slug, out=str(out), stdout=StringIO())
    summary = cells(load_workbook(out)["요약"])
    assert ["참고", "추첨이 필요합니다. 선정이 확정되지 않았습니다."] in [row[:2] for row in summary]
    hub = cells(load_workbook(out)["순위 거점형"])
    assert [row[9] for row in hub[1:]] == ["추첨 필요"] * 3


def test_export_results_with_an_unknown_competition_fails(db, tmp_path):
    with pytest.raises(CommandError, match="nope"):
        call_command("export_results", competition="nope", out=str(tmp_path / "x.xlsx"))


def test_export_results_refuses_another_extension(competition, tmp_path):
    with pytest.raises(CommandError, match=r"\.xlsx"):
        call_command("export_results", competition=competition.slug, out=str(tmp_path / "x.csv"))
    assert not (tmp_path / "x.csv").exists()


def test_the_ranking_page_download_is_the_same_workbook(client, user_factory, competition, world):
    from io import BytesIO

    from django.urls import reverse

    from accounts.roles import Role

    client.force_login(user_factory(Role.OFFICIAL, "official-kim"))
    response = client.get(reverse("official:ranking-xlsx", args=[competition.slug]))
    assert response["Content-Disposition"] == 'attachment; filename="smartcity-2023-results.xlsx"'
    check_workbook(load_workbook(BytesIO(response.content)), competition)


@pytest.mark.parametrize("batch", [1, 2000])
def test_two_stages_criterion_averages_of_the_last_and_reviewer_totals_of_both(
    competition,
    stage,
    make_criteria,
    make_reviewer,
    make_proposal,
    make_assignment,
    submit_sheet,
    monkeypatch,
    batch,
):
    """The criterion sheet and the reviewer totals are written in one pass over the proposals: the
    averages are the last stage's, for those that entered it; the totals list every stage in
    order, and a proposal eliminated in the first stage has no row in the last."""
    from django.utils import timezone

    import evaluation.exporting
    from evaluation.models import Assignment, Criterion, Stage

    monkeypatch.setattr(evaluation.exporting, "PROPOSALS_BATCH", batch)
    make_criteria(2, max_points=Decimal(50))
    Stage.objects.filter(pk=stage.pk).update(advance_cutoff=Decimal(60))
    final = Stage.objects.create(competition=competition, code="pt", name="발표평가", order=stage.order + 1)
    Criterion.objects.create(rubric=final.rubrics.create(), code="P1", name="발표", max_points=100, order=1)
    reviewers = [make_reviewer(name) for name in ("kim", "lee")]
    strong = make_proposal(track="hub", reference="2023-01")
    weak = make_proposal(track="hub", reference="2023-02")
    for proposal, points in ((strong, [40, 40]), (weak, [20, 20])):
        for reviewer in reviewers:
            submit_sheet(make_assignment(proposal, reviewer, confirmed=True), points)
    for reviewer, points in zip(reviewers, ([70], [90]), strict=True):
        assignment = Assignment.objects.create(
            stage=final, proposal=strong, reviewer=reviewer, no_conflict_confirmed_at=timezone.now()
        )
        submit_sheet(assignment, points)

    workbook = load_workbook(BytesIO(results_workbook(rank_competition(competition))))
    averages = numbers(cells(workbook["항목별 평균"]))
    assert averages[0][-2:] == ["P1 발표", "발표평가 점수"]
    assert [row[2] for row in averages[1:]] == ["2023-01"]
    assert averages[1][5:] == [D("2.00"), D("80.00"), D("80.00")]
    totals = numbers(cells(workbook["평가위원별 총점"]))
    assert [(row[0], row[3], row[5], row[6]) for row in totals[1:]] == [
        ("서면평가", "2023-01", "A", D("80.00")),
        ("서면평가", "2023-01", "B", D("80.00")),
        ("서면평가", "2023-02", "A", D("40.00")),
        ("서면평가", "2023-02", "B", D("40.00")),
        ("발표평가", "2023-01", "A", D("70.00")),
        ("발표평가", "2023-01", "B", D("90.00")),
    ]
