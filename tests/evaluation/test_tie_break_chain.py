"""SPEC §8.3 ``tie_break``: a configurable chain of what separates proposals equal at two
decimals (어촌뉴딜 2022: 서면 점수 → 현장 점수 → 서면 항목), a recorded draw always last — as a
pure rule, through the ranking, its labels and page, its publication, the competition file, the
model's validation and the database."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from evaluation.models import Assignment, Criterion, Stage
from evaluation.publication import publish, verify
from evaluation.ranking import rank_competition, ranking_inputs, tie_break_label
from evaluation.rules import HIGHER_FIRST, LOWER_FIRST, Contender, rank_contenders
from proposals.domain.competition_file import CompetitionFileError
from proposals.models import Competition
from tests.evaluation.test_publication import official  # noqa: F401  (fixture)

D = Decimal


def test_a_chain_orders_by_its_elements_in_turn():
    first = Contender(
        "a", D("80"), chain=(("stage:doc", D("70"), HIGHER_FIRST), ("subsidy", D("100"), LOWER_FIRST))
    )
    second = Contender(
        "b", D("80"), chain=(("stage:doc", D("70"), HIGHER_FIRST), ("subsidy", D("90"), LOWER_FIRST))
    )
    third = Contender(
        "c", D("80"), chain=(("stage:doc", D("75"), HIGHER_FIRST), ("subsidy", D("200"), LOWER_FIRST))
    )
    placed = rank_contenders([first, second, third])
    assert [(p.contender.key, p.rank, p.tie_break) for p in placed] == [
        ("c", 1, None),
        ("b", 2, "stage:doc"),
        ("a", 3, "subsidy"),
    ]


def test_a_missing_value_comes_last_and_equal_ones_stay_unresolved():
    a = Contender("a", D("80"), chain=(("criterion:doc:C1", None, HIGHER_FIRST),))
    b = Contender("b", D("80"), chain=(("criterion:doc:C1", D("5"), HIGHER_FIRST),))
    c = Contender("c", D("80"), chain=(("criterion:doc:C1", None, HIGHER_FIRST),))
    placed = rank_contenders([a, b, c])
    assert [(p.contender.key, p.rank, p.tie_break) for p in placed] == [
        ("b", 1, None),
        ("a", 2, "criterion:doc:C1"),
        ("c", 2, "unresolved"),
    ]


@pytest.fixture
def two_stages(
    competition, stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet
):
    """서면평가 (everyone advances): R-0001 80, R-0002 70; 발표평가: both 90 — equal at the end."""
    criteria = make_criteria(2, max_points=Decimal(50))
    Criterion.objects.filter(pk=criteria[0].pk).update(tie_break_priority=1)
    Stage.objects.filter(pk=stage.pk).update(advance_cutoff=Decimal(0))
    final = Stage.objects.create(competition=competition, code="pt", name="발표평가", order=stage.order + 1)
    Criterion.objects.create(rubric=final.rubrics.create(), code="P1", name="발표", max_points=100, order=1)
    reviewers = [make_reviewer(name) for name in ("kim", "lee")]
    for points in ([40, 40], [40, 30]):
        proposal = make_proposal(track="hub")
        for reviewer in reviewers:
            submit_sheet(make_assignment(proposal, reviewer, confirmed=True), points)
            final_assignment = Assignment.objects.create(
                stage=final, proposal=proposal, reviewer=reviewer, no_conflict_confirmed_at=timezone.now()
            )
            submit_sheet(final_assignment, [90])
    return competition


def hub(competition):
    ranking = rank_competition(competition)
    rows = ranking.categories[0].tracks[0].ranking
    return [(row.reference, row.rank, row.tie_break) for row in rows], ranking


@pytest.mark.django_db
def test_the_earlier_stages_score_separates_where_the_chain_says(two_stages, official, client):
    competition = two_stages
    rows, _ranking = hub(competition)
    assert rows == [("R-0001", 1, None), ("R-0002", 1, "unresolved")]  # the default chain cannot
    assert "tie_break" not in ranking_inputs(competition)["rules"]
    competition.tie_break = "stage:test-written,criteria:test-written,subsidy"
    competition.full_clean()
    competition.save()
    rows, ranking = hub(competition)
    assert rows == [("R-0001", 1, None), ("R-0002", 2, "stage:test-written")]
    assert tie_break_label("stage:test-written", ranking.stages) == "서면평가 점수"
    assert tie_break_label("criterion:test-written:C1", ranking.stages) == "서면평가 C1 항목 평균"
    inputs = ranking_inputs(competition)
    assert inputs["rules"]["tie_break"] == ["stage:test-written", "criteria:test-written", "subsidy"]
    assert {a["stage"] for a in inputs["criterion_averages"]} == {"test-written"}  # the chain's stage
    client.force_login(official)
    page = client.get(reverse("official:ranking", args=[competition.slug])).content.decode()
    assert (
        "서면평가 점수가 높은 쪽 → 서면평가의 동점 처리 평가항목(평균이 높은 쪽) → 국비 신청액이 적은 쪽 → 기록된 추첨 순서"
        in page
    )
    assert 'data-label="동점 처리">서면평가 점수</td>' in page  # the tie-break cell, not the column head
    publication = publish(competition, official)
    ok, messages = verify(publication)
    assert ok, messages


@pytest.mark.django_db
def test_a_stage_the_competition_lacks_is_refused_by_its_validation_and_the_database_refuses_nonsense(
    two_stages,
):
    competition = two_stages
    competition.tie_break = "stage:nowhere"
    with pytest.raises(ValidationError) as raised:
        competition.full_clean()
    assert raised.value.message_dict["tie_break"] == [
        "동점 처리 순서에 적힌 단계 'nowhere': 이 공모에 없는 단계입니다."
    ]
    competition.tie_break = "criteria,criteria"
    with pytest.raises(ValidationError) as raised:
        competition.full_clean()
    assert raised.value.message_dict["tie_break"] == ["동점 처리 순서에 같은 항목이 두 번 있습니다."]
    with pytest.raises(IntegrityError), transaction.atomic():
        Competition.objects.filter(pk=competition.pk).update(tie_break="highest first")
    # A stage removed after the chain was set gives nothing to compare: the ranking still ranks.
    Competition.objects.filter(pk=competition.pk).update(tie_break="stage:gone,subsidy")
    competition.refresh_from_db()
    assert hub(competition)[0] == [("R-0001", 1, None), ("R-0002", 1, "unresolved")]


FILE = """
slug = "c-2024"
name = "2024 공모"
year = 2024
{tie_break}

[[categories]]
code = "small"
name = "강소형"
slots = 3

[[categories.tracks]]
code = "climate"
name = "기후위기 대응형"
subsidy = 120

[[stages]]
code = "written"
name = "서면평가"
advance_cutoff = 60

[[stages.criteria]]
code = "C1"
name = "적정성"
max = 100
tie_break = 1

[[stages]]
code = "site"
name = "현장평가"

[[stages.criteria]]
code = "S1"
name = "현장"
max = 100
"""


@pytest.mark.django_db
def test_the_file_sets_the_chain(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        FILE.format(tie_break='tie_break = ["stage:written", "stage:site", "criteria:written"]'),
        encoding="utf-8",
    )
    call_command("load_competition", str(path), stdout=StringIO())
    assert Competition.objects.get(slug="c-2024").tie_break == "stage:written,stage:site,criteria:written"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            'tie_break = ["stage:nowhere"]',
            "tie_break: 동점 처리 순서에 적힌 단계 'nowhere': 이 공모에 없는 단계입니다.",
        ),
        (
            'tie_break = ["higher"]',
            "tie_break: 각 항목은 criteria, subsidy, criteria:단계코드, stage:단계코드 중 하나여야 합니다(값: ['higher'])",
        ),
        (
            'tie_break = "criteria"',
            'tie_break: 텍스트의 목록이어야 합니다. 예: ["criteria", "subsidy"] (값: \'criteria\')',
        ),
        ('tie_break = ["subsidy", "subsidy"]', "tie_break: 동점 처리 순서에 같은 항목이 두 번 있습니다."),
    ],
)
def test_the_file_refuses_a_bad_chain_and_writes_nothing(tmp_path, line, message):
    from evaluation.domain.competition_file import load_competition_file

    path = tmp_path / "c.toml"
    path.write_text(FILE.format(tie_break=line), encoding="utf-8")
    with pytest.raises(CompetitionFileError) as raised:
        load_competition_file(path)
    assert message in raised.value.messages
    assert not Competition.objects.exists()
