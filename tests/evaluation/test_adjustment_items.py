"""Typed bonus and penalty items (SPEC §8.4): the competition file, the one value per (proposal,
item), the item's range on every path, ``import_adjustments``, and the audited deletion of a
mistaken entry — through the file, the command, the service, the model, the admin and the page."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.roles import Role
from evaluation.adjustments import delete_adjustment, record_adjustment
from evaluation.corrections import describe_changes
from evaluation.models import Adjustment, AdjustmentItem
from evaluation.publication import publish, verify
from evaluation.ranking import rank_competition, ranking_inputs
from proposals.domain.competition_file import CompetitionFileError
from proposals.models import AuditEntry, Competition
from tests.evaluation.test_publication import official, scored  # noqa: F401  (fixtures)
from tests.proposals.test_admin_audit import form_data
from tests.proposals.test_competition_file import MINIMAL

pytestmark = pytest.mark.django_db

ITEMS = """
[[adjustment_items]]
code = "investment"
name = "지방재정투자심사 완료"
max = 1

[[adjustment_items]]
code = "sanction"
name = "부적정 집행 감점"
max = -1.5
"""


def load(tmp_path, text):
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("load_competition", str(path), stdout=out)
    return out.getvalue()


def load_errors(tmp_path, text) -> list[str]:
    path = tmp_path / "c.toml"
    path.write_text(text, encoding="utf-8")
    from evaluation.domain.competition_file import load_competition_file

    with pytest.raises(CompetitionFileError) as refused:
        load_competition_file(path)
    return refused.value.messages


def items_state():
    return list(AdjustmentItem.objects.order_by("pk").values_list()), AuditEntry.objects.count()


@pytest.fixture
def items(competition):
    investment = AdjustmentItem.objects.create(
        competition=competition, code="investment", name="지방재정투자심사 완료", max_points=Decimal(1)
    )
    sanction = AdjustmentItem.objects.create(
        competition=competition, code="sanction", name="부적정 집행 감점", max_points=Decimal("-1.5"), order=1
    )
    return investment, sanction


# --- the competition file ----------------------------------------------------------------------


def test_the_file_creates_the_items_and_a_second_load_changes_nothing(tmp_path):
    out = load(tmp_path, MINIMAL + ITEMS)
    assert "adjustment item investment created" in out or "가점·감점 항목 investment 생성" in out
    competition = Competition.objects.get(slug="c-2024")
    assert list(competition.adjustment_items.values_list("code", "name", "max_points", "order")) == [
        ("investment", "지방재정투자심사 완료", Decimal("1.00"), 0),
        ("sanction", "부적정 집행 감점", Decimal("-1.50"), 1),
    ]
    before = AuditEntry.objects.count()
    load(tmp_path, MINIMAL + ITEMS)
    assert AuditEntry.objects.count() == before
    # Left out of the file, the items are kept (as stages are).
    load(tmp_path, MINIMAL)
    assert competition.adjustment_items.count() == 2


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            'code = "x"\nname = "영점"\nmax = 0',
            "adjustment_items[0].max: 0보다 큰 가점이나 0보다 작은 감점이어야 합니다(값: 0)",
        ),
        (
            'code = "x"\nname = "세 자리"\nmax = 1.255',
            "adjustment_items[0].max: 소수점 이하 둘째 자리까지만 쓸 수 있습니다(값: 1.255)",
        ),
        (
            'code = "x"\nname = "큰 값"\nmax = -1000',
            "adjustment_items[0].max: -999.99에서 999.99 사이여야 합니다(값: -1000)",
        ),
        (
            'code = "X Y"\nname = "코드"\nmax = 1',
            "adjustment_items[0].code: 영문 소문자, 숫자, '-', '_'만 쓸 수 있습니다(값: 'X Y')",
        ),
        ('code = "x"\nmax = 1', "adjustment_items[0].name: 필수 항목입니다"),
        ('code = "x"\nname = "가"\nmax = 1\nmin = 0', "adjustment_items[0].min: 알 수 없는 항목입니다"),
    ],
)
def test_a_bad_item_is_refused_with_its_path_and_nothing_is_written(tmp_path, entry, message):
    before = (Competition.objects.count(), AuditEntry.objects.count())
    errors = load_errors(tmp_path, MINIMAL + "\n[[adjustment_items]]\n" + entry + "\n")
    assert errors == [message]
    assert (Competition.objects.count(), AuditEntry.objects.count()) == before


def test_a_duplicate_item_code_is_refused(tmp_path):
    text = MINIMAL + ITEMS + '\n[[adjustment_items]]\ncode = "investment"\nname = "다시"\nmax = 2\n'
    assert load_errors(tmp_path, text) == ["adjustment_items[2].code: 항목 코드가 중복됩니다: 'investment'"]


def test_an_item_holding_values_is_neither_removed_nor_narrowed_below_them(tmp_path, official, make_proposal):
    load(tmp_path, MINIMAL + ITEMS)
    competition = Competition.objects.get(slug="c-2024")
    proposal = make_proposal(track="climate")
    proposal.competition = competition
    proposal.save()
    investment = competition.adjustment_items.get(code="investment")
    record_adjustment(proposal, Decimal(1), "심사 완료", official, item=investment)
    before = items_state()
    only_sanction = MINIMAL + ITEMS.split("[[adjustment_items]]")[2].join(["[[adjustment_items]]", ""])
    assert load_errors(tmp_path, only_sanction) == [
        "adjustment_items: 'investment' 항목에 기록된 점수가 있어 파일에서 뺄 수 없습니다"
    ]
    assert load_errors(tmp_path, MINIMAL + ITEMS.replace("max = 1\n", "max = 0.5\n")) == [
        "adjustment_items[0].max: 새 범위를 벗어나는 기록된 점수가 1건 있습니다(예: 1.00). 먼저 고치거나 삭제하세요"
    ]
    assert items_state() == before


# --- the service, the model and the database: every path ------------------------------------


def test_an_item_value_lies_in_its_range_and_replaces_the_one_before(
    competition,
    items,
    make_proposal,
    official,
):
    investment, sanction = items
    proposal = make_proposal()
    first = record_adjustment(proposal, Decimal(1), "투자심사 완료", official, item=investment)
    again = record_adjustment(proposal, Decimal("0.5"), "일부만 완료", official, item=investment)
    assert again.pk == first.pk
    assert list(Adjustment.objects.values_list("item__code", "points", "reason")) == [
        ("investment", Decimal("0.50"), "일부만 완료")
    ]
    entry = AuditEntry.objects.filter(object_type="adjustment", action="adjustment.updated").latest(
        "sequence"
    )
    assert entry.reason == "일부만 완료"
    assert entry.before["points"] == "1.00" and entry.after["points"] == "0.50"
    # 0 lies in an item's range (a free entry still needs a value).
    assert record_adjustment(proposal, Decimal(0), "해당 없음", official, item=sanction).points == 0


@pytest.mark.parametrize(
    ("item_index", "points", "message"),
    [
        (0, "1.5", "지방재정투자심사 완료 항목은 0~1점만 입력할 수 있습니다(입력: 1.5)."),
        (0, "-0.5", "지방재정투자심사 완료 항목은 0~1점만 입력할 수 있습니다(입력: -0.5)."),
        (1, "0.5", "부적정 집행 감점 항목은 -1.5~0점만 입력할 수 있습니다(입력: 0.5)."),
        (1, "-2", "부적정 집행 감점 항목은 -1.5~0점만 입력할 수 있습니다(입력: -2)."),
    ],
)
def test_a_value_outside_the_item_range_is_refused_on_every_path(
    competition,
    items,
    make_proposal,
    official,
    item_index,
    points,
    message,
):
    item = items[item_index]
    proposal = make_proposal()
    before = (Adjustment.objects.count(), AuditEntry.objects.count())
    # The service (the page and the import use it).
    with pytest.raises(ValidationError) as refused:
        record_adjustment(proposal, Decimal(points), "사유", official, item=item)
    assert refused.value.messages == [message]
    # The model's save(), create() and bulk_create() from a shell.
    with pytest.raises(ValidationError) as refused:
        Adjustment.objects.create(proposal=proposal, item=item, points=Decimal(points), reason="r")
    assert refused.value.message_dict == {"points": [message]}
    with pytest.raises(ValidationError):
        Adjustment.objects.bulk_create(
            [Adjustment(proposal=proposal, item=item, points=Decimal(points), reason="r")]
        )
    assert (Adjustment.objects.count(), AuditEntry.objects.count()) == before
    # update() from a shell: rolled back.
    inside = Decimal(0)
    held = Adjustment.objects.create(proposal=proposal, item=item, points=inside, reason="r")
    with pytest.raises(ValidationError):
        Adjustment.objects.filter(pk=held.pk).update(points=Decimal(points))
    assert Adjustment.objects.get(pk=held.pk).points == inside
    with pytest.raises(ValidationError):
        held.points = Decimal(points)
        Adjustment.objects.bulk_update([held], ["points"])
    assert Adjustment.objects.get(pk=held.pk).points == inside


def test_the_database_holds_one_value_per_item_and_no_zero_free_entry(competition, items, make_proposal):
    investment, _sanction = items
    proposal = make_proposal()
    Adjustment.objects.create(proposal=proposal, item=investment, points=Decimal(1), reason="a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Adjustment.objects.create(proposal=proposal, item=investment, points=Decimal(1), reason="b")
    free = Adjustment.objects.create(proposal=proposal, points=Decimal(1), reason="자유 입력")
    with pytest.raises(IntegrityError), transaction.atomic():
        Adjustment.objects.filter(pk=free.pk).update(points=0)
    # Free entries are not one per proposal.
    Adjustment.objects.create(proposal=proposal, points=Decimal(1), reason="자유 입력 둘")


def test_an_item_of_another_competition_is_refused(competition, items, make_proposal, official, tmp_path):
    load(tmp_path, MINIMAL + ITEMS)
    other = Competition.objects.get(slug="c-2024").adjustment_items.get(code="investment")
    proposal = make_proposal()
    with pytest.raises(ValidationError) as refused:
        record_adjustment(proposal, Decimal(1), "사유", official, item=other)
    assert refused.value.messages == ["다른 공모의 항목입니다."]
    with pytest.raises(ValidationError):
        Adjustment.objects.create(proposal=proposal, item=other, points=Decimal(1), reason="r")
    assert not Adjustment.objects.exists()


def test_an_item_range_cannot_leave_out_a_recorded_value_on_any_path(
    competition,
    items,
    make_proposal,
    official,
    client,
):
    investment, _sanction = items
    record_adjustment(make_proposal(), Decimal(1), "심사 완료", official, item=investment)
    message = "이 범위를 벗어나는 기록된 점수가 1건 있습니다(예: 1). 먼저 고치거나 삭제하세요."
    before = items_state()
    investment.max_points = Decimal("0.5")
    with pytest.raises(ValidationError) as refused:
        investment.save()
    assert refused.value.message_dict == {"max_points": [message]}
    with pytest.raises(ValidationError):
        AdjustmentItem.objects.filter(pk=investment.pk).update(max_points=Decimal("0.5"))
    assert items_state() == before
    # The Django admin: the form says why, nothing is written.
    admin = get_user_model().objects.create_superuser("root", "root@example.kr", "pw-test-1234")
    client.force_login(admin)
    url = reverse("admin:evaluation_adjustmentitem_change", args=[investment.pk])
    data = {**form_data(client.get(url)), "max_points": "0.5", "audit_reason": "시험"}
    page = client.post(url, data)
    assert page.status_code == 200 and message in page.content.decode()
    data = {**form_data(client.get(url)), "max_points": "0", "audit_reason": "시험"}
    page = client.post(url, data)
    assert (
        page.status_code == 200
        and "가점은 0보다 크게, 감점은 0보다 작게 입력하세요." in page.content.decode()
    )
    assert items_state() == before


# --- the ranking, the publication and its correction ---------------------------------------


def test_items_reach_the_ranking_and_a_deletion_reaches_the_correction(competition, scored, official, items):
    investment, sanction = items
    proposals = scored()
    record_adjustment(proposals[2], Decimal(1), "투자심사 완료", official, item=investment)
    mistaken = record_adjustment(proposals[1], Decimal("-1.5"), "잘못 입력", official, item=sanction)
    inputs = ranking_inputs(competition, list(competition.stages.all()))
    assert inputs["adjustment_items"] == [
        {"code": "investment", "name": "지방재정투자심사 완료", "max": "1.00"},
        {"code": "sanction", "name": "부적정 집행 감점", "max": "-1.50"},
    ]
    assert {(a["points"], a.get("item")) for a in inputs["adjustments"]} == {
        ("1.00", "investment"),
        ("-1.50", "sanction"),
    }
    rows = {row.id: row for row in rank_competition(competition).proposals()}
    assert rows[proposals[2].pk].adjustment == Decimal(1)
    assert rows[proposals[1].pk].adjustment == Decimal("-1.5")
    first = publish(competition, official)
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        delete_adjustment(mistaken, "  ", official)
    assert refused.value.messages == ["가점·감점을 삭제하는 사유를 적어 주세요."]
    assert Adjustment.objects.filter(pk=mistaken.pk).exists() and AuditEntry.objects.count() == before
    mistaken_pk = mistaken.pk
    delete_adjustment(mistaken, "다른 지자체에 입력할 것을 잘못 입력", official)
    assert not Adjustment.objects.filter(pk=mistaken_pk).exists()
    entry = AuditEntry.objects.get(
        object_type="adjustment", object_id=str(mistaken_pk), action="adjustment.deleted"
    )
    assert entry.reason == "다른 지자체에 입력할 것을 잘못 입력" and entry.before["points"] == "-1.50"
    correction = publish(competition, official, correction_reason="감점 오입력 삭제")
    assert correction.supersedes_id == first.pk
    lines = describe_changes(correction.snapshot)
    key = proposals[1].reference
    assert any(
        line.startswith(f"가점·감점 삭제 — {key}") and "부적정 집행 감점: 잘못 입력" in line for line in lines
    ), lines
    assert verify(correction)[0]


def test_the_inputs_of_a_competition_without_items_are_unchanged(competition, scored, official):
    proposals = scored()
    record_adjustment(proposals[1], Decimal(1), "자유 입력", official)
    inputs = ranking_inputs(competition, list(competition.stages.all()))
    assert inputs["adjustments"] == [
        {"proposal": proposals[1].reference, "points": "1.00", "reason": "자유 입력"}
    ]
    assert "adjustment_items" not in inputs


def test_deleting_needs_an_official(competition, items, make_proposal, official, user_factory):
    adjustment = record_adjustment(make_proposal(), Decimal(1), "사유", official, item=items[0])
    from accounts.roles import RoleRequired

    with pytest.raises(RoleRequired):
        delete_adjustment(adjustment, "사유", user_factory(Role.REVIEWER, "rev-del"))
    assert Adjustment.objects.filter(pk=adjustment.pk).exists()
