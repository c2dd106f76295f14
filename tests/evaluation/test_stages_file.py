"""[[stages]] in the competition file (SPEC §6): validated with key paths, applied idempotently."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from evaluation.domain.competition_file import load_competition_file, read_stages
from evaluation.models import Criterion, Rubric, Stage
from proposals.domain.competition_file import CompetitionFileError, parse_competition_file
from proposals.models import AuditEntry
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

HEAD = """
slug = "c-2024"
name = "2024 공모"
year = 2024
{final}

[[categories]]
code = "hub"
name = "거점형"

[[categories.tracks]]
code = "hub"
name = "거점형"
slots = 1
subsidy = 200

[[categories.tracks]]
code = "extra"
name = "추가형"
slots = 1
subsidy = 100
"""

STAGES = """
[[stages]]
code = "document"
name = "서면평가"
advance_top_multiple = 3

[[stages.criteria]]
code = "C1"
name = "적정성"
description = "사업 내용이 적정한지 평가합니다."
max = 60
tie_break = 1

[[stages.criteria]]
code = "C2"
name = "효과"
max = 40
step = 1
tie_break = 2

[[stages]]
code = "presentation"
name = "발표평가"

[[stages.criteria]]
code = "P1"
name = "발표"
max = 100
"""


def text(stages=STAGES, final=""):
    return HEAD.format(final=final) + stages


def parse(source):
    return parse_competition_file(source, {"stages": read_stages})


def errors_of(source):
    with pytest.raises(CompetitionFileError) as raised:
        parse(source)
    return raised.value.messages


def load_text(tmp_path, source):
    path = tmp_path / "c.toml"
    path.write_text(source, encoding="utf-8")
    out = StringIO()
    call_command("load_competition", str(path), stdout=out)
    return out.getvalue()


def test_2023_fixture_has_two_stages_with_the_five_decree_factors():
    competition = load_competition_file(FIXTURES / "competition.toml").competition
    stages = list(competition.stages.order_by("order"))
    assert [(s.code, s.name, s.order) for s in stages] == [
        ("document", "서면평가", 0),
        ("presentation", "발표평가", 1),
    ]
    assert stages[0].advance_top_multiple == 3 and stages[0].advance_cutoff is None
    assert stages[1].advance_top_multiple is None and stages[1].advance_cutoff is None
    for stage in stages:
        rubric = Rubric.objects.get(stage=stage)
        assert not rubric.tracks.exists()
        criteria = list(rubric.criteria.order_by("order"))
        assert [(c.code, c.name, c.tie_break_priority) for c in criteria] == [
            ("C1", "사업내용의 적정성", 1),
            ("C2", "시민참여 방안의 구체성", 2),
            ("C3", "참여주체별 역할 및 재원조달방안", 3),
            ("C4", "실현가능성·지속가능성", 4),
            ("C5", "기대효과", 5),
        ]
        assert sum(c.max_points for c in criteria) == 100
        assert all(c.step == Decimal("0.5") and c.description.endswith("평가합니다.") for c in criteria)


def test_loading_the_same_file_twice_changes_nothing_and_says_so(tmp_path):
    load_text(tmp_path, text())
    entries = AuditEntry.objects.count()
    before = (
        list(Stage.objects.values_list()),
        list(Rubric.objects.values_list()),
        list(Criterion.objects.order_by("pk").values_list()),
    )
    output = load_text(tmp_path, text())
    assert "이미 최신입니다" in output
    after = (
        list(Stage.objects.values_list()),
        list(Rubric.objects.values_list()),
        list(Criterion.objects.order_by("pk").values_list()),
    )
    assert after == before and AuditEntry.objects.count() == entries


def test_defaults_and_order_come_from_the_file():
    spec = parse(text())
    document, presentation = spec["stages"]
    assert document["criteria"][0]["step"] == Decimal("0.5") and document["criteria"][1]["step"] == 1
    assert presentation["criteria"][0]["tie_break"] is None and presentation["criteria"][0]["tracks"] == ()
    assert presentation["criteria"][0]["description"] == ""


def test_changed_criterion_is_updated_in_place(tmp_path):
    load_text(tmp_path, text())
    criterion = Criterion.objects.get(code="C1", rubric__stage__code="document")
    output = load_text(tmp_path, text(STAGES.replace("max = 60", "max = 50").replace("max = 40", "max = 50")))
    assert "stages.document.criteria.C1.max_points: 60.00 → 50" in output
    assert Criterion.objects.get(pk=criterion.pk).max_points == 50
    assert Criterion.objects.count() == 3


def test_criteria_with_tracks_get_their_own_rubric(tmp_path):
    stages = STAGES.replace(
        "max = 100\n",
        'max = 100\n\n[[stages.criteria]]\ncode = "P2"\nname = "현장"\nmax = 10\ntracks = ["extra"]\n',
    )
    load_text(tmp_path, text(stages))
    presentation = Stage.objects.get(code="presentation")
    rubrics = {
        tuple(r.tracks.values_list("code", flat=True)): list(r.criteria.values_list("code", flat=True))
        for r in presentation.rubrics.all()
    }
    assert rubrics == {(): ["P1"], ("extra",): ["P2"]}
    assert "이미 최신입니다" in load_text(tmp_path, text(stages))
    load_text(tmp_path, text())  # P2 dropped from the file: it has no scores, so it goes
    assert list(Criterion.objects.filter(rubric__stage=presentation).values_list("code", flat=True)) == ["P1"]
    assert presentation.rubrics.count() == 1


def test_file_without_stages_keeps_existing_stages(tmp_path):
    load_text(tmp_path, text())
    assert "이미 최신입니다" in load_text(tmp_path, text(stages=""))
    assert Stage.objects.count() == 2


def test_weighted_final_needs_weights_summing_to_100():
    weighted = STAGES.replace("advance_top_multiple = 3", "advance_top_multiple = 3\nweight = 30").replace(
        'name = "발표평가"', 'name = "발표평가"\nweight = 60'
    )
    assert errors_of(text(weighted, final='final = "weighted"')) == [
        "stages: 단계 가중치의 합은 100이어야 합니다(값: 90)"
    ]
    spec = parse(text(weighted.replace("weight = 60", "weight = 70"), final='final = "weighted"'))
    assert [stage["weight"] for stage in spec["stages"]] == [30, 70]
    assert "stages[1].weight: 필수 항목입니다" in errors_of(
        text(weighted.replace("weight = 60\n", ""), final='final = "weighted"')
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "advance_top_multiple = 3",
            "weight = 50\nadvance_top_multiple = 3",
            'stages[0].weight: final = "weighted"일 때만 쓸 수 있습니다',
        ),
        (
            "advance_top_multiple = 3",
            "",
            "stages[0].advance_top_multiple: 마지막 단계가 아니면 필수입니다(또는 advance_cutoff)",
        ),
        (
            "advance_top_multiple = 3",
            "advance_top_multiple = 3\nadvance_cutoff = 70",
            "stages[0].advance_cutoff: advance_top_multiple과 함께 쓸 수 없습니다. 하나만 지정하세요",
        ),
        (
            'name = "발표평가"',
            'name = "발표평가"\nadvance_cutoff = 70',
            "stages[1].advance_cutoff: 마지막 단계에는 쓸 수 없습니다. 다음 단계로 진출하는 제안이 없기 때문입니다",
        ),
        (
            "advance_top_multiple = 3",
            "advance_top_multiple = 0",
            "stages[0].advance_top_multiple: 0보다 커야 합니다(값: 0)",
        ),
        ('code = "presentation"', 'code = "document"', "stages[1].code: 단계 코드가 중복됩니다: 'document'"),
        ("max = 40", "max = 0", "stages[0].criteria[1].max: 0보다 커야 합니다(값: 0)"),
        ("max = 40", 'max = "40"', "stages[0].criteria[1].max: 숫자여야 합니다(값: '40')"),
        ("max = 60", "max = 60.25", "stages[0].criteria[0].max: 단계(step) 0.5의 배수여야 합니다(값: 60.25)"),
        ("step = 1", "step = -1", "stages[0].criteria[1].step: 0보다 커야 합니다(값: -1)"),
        (
            "tie_break = 2",
            "tie_break = 1",
            "stages[0].criteria[1].tie_break: 이 단계의 다른 평가항목(criteria[0])과 동점 처리 순위가 같습니다(값: 1)",
        ),
        ("tie_break = 2", "tie_break = 0", "stages[0].criteria[1].tie_break: 1 이상이어야 합니다(값: 0)"),
        (
            'code = "C2"',
            'code = "C1"',
            "stages[0].criteria[1].code: 이 단계에 평가항목 코드가 중복됩니다: 'C1'",
        ),
        (
            'code = "C2"',
            'code = "C 2"',
            "stages[0].criteria[1].code: 공백 없이 20자 이내여야 합니다(값: 'C 2')",
        ),
        (
            'name = "효과"',
            'name = "효과"\ntracks = ["nowhere"]',
            "stages[0].criteria[1].tracks: 알 수 없는 트랙 코드입니다: 'nowhere' (hub, extra 중 하나)",
        ),
        (
            'name = "효과"',
            'name = "효과"\ntracks = []',
            "stages[0].criteria[1].tracks: 트랙 코드 목록이어야 합니다(값: [])",
        ),
        (
            'name = "효과"',
            'name = "효과"\ncolour = "blue"',
            "stages[0].criteria[1].colour: 알 수 없는 항목입니다",
        ),
        ('name = "발표"\n', "", "stages[1].criteria[0].name: 필수 항목입니다"),
    ],
)
def test_invalid_stage_key_is_named(old, new, message):
    source = text(STAGES.replace(old, new, 1))
    assert message in errors_of(source)


def test_stage_without_criteria_is_refused():
    source = text('[[stages]]\ncode = "only"\nname = "단일"\n')
    assert errors_of(source) == [
        "stages[0].criteria: 필수 항목입니다: [[stages[0].criteria]] 테이블이 하나 이상 있어야 합니다"
    ]


def test_proposals_layer_alone_refuses_stages():
    with pytest.raises(CompetitionFileError) as raised:
        parse_competition_file(text())
    assert raised.value.messages == ["stages: 알 수 없는 항목입니다"]


def test_errors_in_stages_write_nothing(tmp_path):
    with pytest.raises(CommandError) as raised:
        load_text(tmp_path, text(STAGES.replace("max = 40", "max = -1")))
    assert "stages[0].criteria[1].max:" in str(raised.value)
    assert Stage.objects.count() == 0
