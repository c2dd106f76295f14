"""import_adjustments (SPEC §8.4): typed items' points from a spreadsheet — one value per
(proposal, item), the item's range, all or nothing, idempotent, audited."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from evaluation.models import Adjustment
from evaluation.publication import publish
from evaluation.ranking import rank_competition
from proposals.models import AuditEntry
from tests.evaluation.test_adjustment_items import items  # noqa: F401  (fixture)
from tests.evaluation.test_publication import official, scored  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

HEADER = ["접수번호", "항목", "점수", "사유"]


def run(path, *extra):
    out = StringIO()
    call_command("import_adjustments", str(path), *extra, competition="smartcity-2023", stdout=out)
    return out.getvalue()


def failing(path, *extra):
    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_adjustments", str(path), *extra, competition="smartcity-2023", stdout=out)
    assert raised.value.returncode == 1
    return out.getvalue()


def state():
    return list(Adjustment.objects.order_by("pk").values_list()), AuditEntry.objects.count()


@pytest.fixture
def proposals(items, make_proposal):
    return [make_proposal(reference=f"A-{number}", applicant=f"신안군{number}") for number in (1, 2, 3)]


def test_rows_become_item_values_and_the_same_file_again_changes_nothing(proposals, make_xlsx):
    path = make_xlsx(
        [
            ["A-1", "investment", 1, "지방재정투자심사 완료"],
            ["A-2", "지방재정투자심사 완료", "0.5", "일부 완료"],  # the item's name works too
            ["A-2", "sanction", "-1.5", "부적정 집행"],
        ],
        header=HEADER,
    )
    output = run(path)
    assert "신규 3건, 변경 0건, 변경 없음 0건, 파일에 없음 0건" in output
    assert sorted(
        Adjustment.objects.values_list("proposal__reference", "item__code", "points", "reason")
    ) == [
        ("A-1", "investment", Decimal("1.00"), "지방재정투자심사 완료"),
        ("A-2", "investment", Decimal("0.50"), "일부 완료"),
        ("A-2", "sanction", Decimal("-1.50"), "부적정 집행"),
    ]
    assert set(Adjustment.objects.values_list("recorded_by", flat=True)) == {None}
    entries = AuditEntry.objects.filter(action="adjustment.created")
    assert {entry.reason for entry in entries} == {f"가점·감점 가져오기 {path.name}"}
    before = state()
    output = run(path)
    assert "변경 없음 3건" in output
    assert state() == before


def test_another_value_replaces_the_one_held_and_is_audited(proposals, make_xlsx):
    run(make_xlsx([["A-1", "investment", 1, "완료"], ["A-2", "investment", 1, "완료"]], header=HEADER))
    held = Adjustment.objects.get(proposal__reference="A-1")
    output = run(make_xlsx([["A-1", "investment", "0.5", "일부 완료"]], header=HEADER))
    assert "신규 0건, 변경 1건, 변경 없음 0건, 파일에 없음 1건" in output
    assert "점수: 1 → 0.5" in output and "사유: 완료 → 일부 완료" in output
    assert "A-2 · 지방재정투자심사 완료" in output  # not in the file: kept, listed
    held.refresh_from_db()
    assert (held.points, held.reason) == (Decimal("0.50"), "일부 완료")
    entry = AuditEntry.objects.filter(action="adjustment.updated").get()
    assert (entry.before["points"], entry.after["points"]) == ("1.00", "0.50")
    assert Adjustment.objects.count() == 2


def test_track_and_applicant_identify_the_proposal(proposals, make_xlsx):
    run(
        make_xlsx(
            [["hub", "신안군2", "investment", 1, "완료"]], header=["트랙", "지자체", "항목", "점수", "사유"]
        )
    )
    assert Adjustment.objects.get().proposal == proposals[1]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ["A-1", "bonus", 1, "사유"],
            "2행 '항목': 알 수 없는 항목입니다: 'bonus' (investment(지방재정투자심사 완료), sanction(부적정 집행 감점) 중 하나)",
        ),
        (
            ["A-1", "investment", 2, "사유"],
            "2행 '점수': 지방재정투자심사 완료 항목은 0~1점만 입력할 수 있습니다(입력: 2).",
        ),
        (
            ["A-1", "sanction", "0.5", "사유"],
            "2행 '점수': 부적정 집행 감점 항목은 -1.5~0점만 입력할 수 있습니다(입력: 0.5).",
        ),
        (
            ["A-1", "investment", "0.125", "사유"],
            "2행 '점수': 점수는 숫자로 소수점 둘째 자리까지 적어 주세요(예: 1.5, -2).",
        ),
        (
            ["A-9", "investment", 1, "사유"],
            "2행 '접수번호': 이 공모에 해당 접수번호의 제안이 없습니다: 'A-9'",
        ),
        (["A-1", "investment", "한 점", "사유"], "2행 '점수': 숫자가 아닙니다: '한 점'"),
        (["A-1", "investment", 1, None], "2행 '사유': 필수 값이 비어 있습니다."),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_written(proposals, make_xlsx, row, message):
    run(make_xlsx([["A-3", "investment", 1, "완료"]], header=HEADER))
    before = state()
    output = failing(make_xlsx([row, ["A-2", "investment", 1, "완료"]], header=HEADER))
    assert f"  {message}" in output.splitlines()
    assert state() == before


def test_the_same_pair_twice_is_refused(proposals, make_xlsx):
    before = state()
    output = failing(
        make_xlsx([["A-1", "investment", 1, "a"], ["A-1", "지방재정투자심사 완료", 1, "b"]], header=HEADER)
    )
    assert "  3행 '항목': 파일 안에 두 번 나옵니다(2행과 같음)." in output.splitlines()
    assert state() == before


def test_a_file_without_a_proposal_column_or_an_item_is_refused(proposals, make_xlsx):
    before = state()
    output = failing(make_xlsx([["investment", 1, "a"]], header=["항목", "점수", "사유"]))
    assert output.strip() == "필수 열이 없습니다: '접수번호'(또는 '트랙'과 '지자체'). 머리글은 1행입니다."
    output = failing(make_xlsx([["A-1", 1, "a"]], header=["접수번호", "점수", "사유"]))
    assert output.strip() == "필수 열이 없습니다: '항목'. 머리글은 1행입니다."
    assert state() == before


def test_dry_run_writes_nothing(proposals, make_xlsx):
    before = state()
    output = run(make_xlsx([["A-1", "investment", 1, "완료"]], header=HEADER), "--dry-run")
    assert (
        output.splitlines()[0]
        == "점검만 했습니다(--dry-run): 파일에 문제가 없으며 아무것도 기록하지 않았습니다."
    )
    assert state() == before


def test_after_publication_it_needs_the_confirmation_and_the_ranking_applies_it(
    competition,
    scored,
    official,
    items,
    make_xlsx,
):
    built = scored()
    publish(competition, official)
    path = make_xlsx([[built[3].reference, "investment", 1, "투자심사 완료"]], header=HEADER)
    before = state()
    output = failing(path)
    assert "--confirm-after-publication" in output
    assert state() == before
    run(path, "--confirm-after-publication")
    row = next(row for row in rank_competition(competition).proposals() if row.id == built[3].pk)
    assert row.adjustment == Decimal(1)


def test_the_cap_still_holds_the_sum(competition, scored, official, items, make_xlsx):
    from evaluation.adjustments import record_adjustment

    competition.adjustment_cap = Decimal("1.5")
    competition.save()
    built = scored()
    record_adjustment(built[4], Decimal(1), "자유 입력 가점", official)
    run(make_xlsx([[built[4].reference, "investment", 1, "투자심사 완료"]], header=HEADER))
    row = next(row for row in rank_competition(competition).proposals() if row.id == built[4].pk)
    assert row.adjustment == Decimal("1.5")
