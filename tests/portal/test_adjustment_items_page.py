"""The official's scores page with typed items (SPEC §8.4): a choice of item with its range, one
value per item, and the deletion of a mistaken entry with a reason (a page that asks first)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from accounts.roles import Role
from evaluation.models import Adjustment, AdjustmentItem
from proposals.models import AuditEntry
from tests.portal.test_official_ranking import (  # noqa: F401  (fixtures)
    adjustment_state,
    official,
    official_client,
    scores_url,
    world,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def investment(competition):
    return AdjustmentItem.objects.create(
        competition=competition, code="investment", name="지방재정투자심사 완료", max_points=Decimal(1)
    )


def delete_url(competition, adjustment):
    return reverse(
        "official:delete-adjustment",
        args=[competition.slug, "test-written", adjustment.proposal_id, adjustment.pk],
    )


def test_the_form_offers_the_items_with_their_range_and_records_one_value_per_item(
    official_client,
    competition,
    world,
    investment,
):
    page = official_client.get(scores_url(competition, world["H2"])).content.decode()
    assert '<option value="" selected>항목 없음(직접 입력)</option>' in page
    assert f'<option value="{investment.pk}">지방재정투자심사 완료 (0~1점)</option>' in page
    url = scores_url(competition, world["H2"], "official:record-adjustment")
    official_client.post(url, {"item": investment.pk, "points": "1", "reason": "심사 완료"})
    official_client.post(url, {"item": investment.pk, "points": "0.5", "reason": "일부만 완료"})
    assert list(Adjustment.objects.filter(proposal=world["H2"]).values_list("item", "points", "reason")) == [
        (investment.pk, Decimal("0.50"), "일부만 완료")
    ]
    page = official_client.get(scores_url(competition, world["H2"])).content.decode()
    assert "지방재정투자심사 완료" in page and "+0.50" in page


def test_a_value_outside_the_item_range_is_shown_next_to_the_points_and_nothing_is_written(
    official_client,
    competition,
    world,
    investment,
):
    before = adjustment_state()
    response = official_client.post(
        scores_url(competition, world["H2"], "official:record-adjustment"),
        {"item": investment.pk, "points": "2", "reason": "사유"},
    )
    page = response.content.decode()
    assert "지방재정투자심사 완료 항목은 0~1점만 입력할 수 있습니다(입력: 2)." in page
    assert 'value="2"' in page and "사유</textarea>" in page  # the input is kept
    assert adjustment_state() == before
    # An item of no competition's list (a tampered form): refused by the field.
    response = official_client.post(
        scores_url(competition, world["H2"], "official:record-adjustment"),
        {"item": "999999", "points": "1", "reason": "사유"},
    )
    assert "목록에 있는 항목 중 하나를 고르세요." in response.content.decode()
    assert adjustment_state() == before


def test_a_competition_without_items_shows_no_item_field(official_client, competition, world):
    page = official_client.get(scores_url(competition, world["H2"])).content.decode()
    assert 'name="item"' not in page


def test_a_mistaken_entry_is_deleted_after_a_page_that_asks_why(
    official_client,
    official,
    competition,
    world,
):
    adjustment = Adjustment.objects.get(proposal=world["C2"])  # 지역 균형 가점 +1.5
    page = official_client.get(scores_url(competition, world["C2"])).content.decode()
    assert delete_url(competition, adjustment) in page
    page = official_client.get(delete_url(competition, adjustment)).content.decode()
    assert "지역 균형 가점" in page and "+1.50" in page and "이 기록 삭제" in page
    before = adjustment_state()
    response = official_client.post(delete_url(competition, adjustment), {"reason": "  "})
    assert response.status_code == 400
    assert "가점·감점을 삭제하는 사유를 적어 주세요." in response.content.decode()
    assert adjustment_state() == before
    response = official_client.post(delete_url(competition, adjustment), {"reason": "중복 입력"}, follow=True)
    assert "+1.50점 기록을 삭제했습니다. 삭제 사유는 감사 기록에 남습니다." in response.content.decode()
    assert not Adjustment.objects.filter(pk=adjustment.pk).exists()
    entry = AuditEntry.objects.get(action="adjustment.deleted", object_id=str(adjustment.pk))
    assert (entry.actor, entry.reason, entry.before["reason"]) == (official, "중복 입력", "지역 균형 가점")


def test_only_officials_delete_and_only_the_proposals_own_entry(client, competition, world, user_factory):
    adjustment = Adjustment.objects.get(proposal=world["C2"])
    client.force_login(user_factory(Role.REVIEWER, "rev-page"))
    assert client.post(delete_url(competition, adjustment), {"reason": "x"}).status_code in (302, 403)
    client.force_login(user_factory(Role.OFFICIAL, "official-other"))
    # Another proposal's URL for this entry: not found, nothing deleted.
    url = reverse(
        "official:delete-adjustment", args=[competition.slug, "test-written", world["H1"].pk, adjustment.pk]
    )
    assert client.post(url, {"reason": "x"}).status_code == 404
    assert Adjustment.objects.filter(pk=adjustment.pk).exists()
