"""SPEC §8.2 ``max_per_province``: the selection walk with a cap per 광역 and the status
``over_cap`` — as a pure rule, through the ranking and its publication, from the competition file,
and refused below 1 on every path."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse

from evaluation.publication import publish, verify
from evaluation.ranking import rank_competition, ranking_inputs
from evaluation.rules import (
    BELOW_MINIMUM,
    DRAW_REQUIRED,
    NOT_SELECTED,
    OVER_CAP,
    RESERVE,
    SELECTED,
    Contender,
    rank_contenders,
    select,
)
from proposals.domain.competition_file import CompetitionFileError, parse_competition_file
from proposals.models import Applicant, Category, Competition
from tests.evaluation.test_publication import official, scored  # noqa: F401  (fixtures)
from tests.proposals.test_competition_file import MINIMAL


def walk(entries, slots, cap, reserve=1, minimum=None):
    """``entries``: (key, score, province); the statuses of ``select`` with the cap."""
    placed = rank_contenders([Contender(key=key, score=Decimal(score)) for key, score, _province in entries])
    provinces = {key: province for key, _score, province in entries}
    return select(placed, slots, reserve, minimum, province_of=provinces, cap=cap)


def test_a_province_holding_the_cap_is_over_it_before_and_after_the_slots_fill():
    entries = [("a", 90, "전남"), ("b", 85, "전남"), ("c", 80, "경남"), ("d", 75, "충남"), ("e", 70, "전남")]
    assert walk(entries, slots=3, cap=1) == {
        "a": SELECTED,
        "b": OVER_CAP,
        "c": SELECTED,
        "d": SELECTED,
        "e": OVER_CAP,
    }


def test_reserves_are_the_next_not_over_the_cap():
    entries = [("a", 90, "전남"), ("b", 85, "전남"), ("c", 80, "경남"), ("d", 75, "충남"), ("f", 70, "부산")]
    assert walk(entries, slots=2, cap=1) == {
        "a": SELECTED,
        "b": OVER_CAP,
        "c": SELECTED,
        "d": RESERVE,
        "f": NOT_SELECTED,
    }


def test_a_tied_group_that_would_pass_the_cap_needs_a_draw_and_then_no_slot_remains():
    entries = [("a", 90, "전남"), ("b", 85, "경남"), ("c", 85, "경남"), ("d", 80, "충남")]
    assert walk(entries, slots=3, cap=1) == {
        "a": SELECTED,
        "b": DRAW_REQUIRED,
        "c": DRAW_REQUIRED,
        "d": RESERVE,
    }


def test_a_tied_member_over_the_cap_leaves_the_rest_of_its_group_to_fit():
    entries = [("a", 90, "전남"), ("b", 85, "전남"), ("c", 85, "경남"), ("d", 80, "충남")]
    assert walk(entries, slots=3, cap=1) == {"a": SELECTED, "b": OVER_CAP, "c": SELECTED, "d": SELECTED}


def test_below_the_minimum_is_never_over_the_cap():
    entries = [("a", 90, "전남"), ("b", 50, "전남")]
    assert walk(entries, slots=2, cap=1, minimum=Decimal(60)) == {"a": SELECTED, "b": BELOW_MINIMUM}


@pytest.fixture
def capped(competition, scored):
    """Hub (two slots): R-0001 and R-0002 of 전남, R-0003 of 경남; at most one per 광역."""
    scored()
    for reference, province in (("R-0001", "전남"), ("R-0002", "전남"), ("R-0003", "경남")):
        Applicant.objects.filter(proposals__reference=reference).update(province=province)
    competition.max_per_province = 1
    competition.save()
    return competition


def hub_rows(competition):
    out = StringIO()
    call_command("rank", competition=competition.slug, json=True, stdout=out)
    hub = json.loads(out.getvalue())["categories"][0]["tracks"][0]["ranking"]
    return [(row["reference"], row["rank"], row["status"], row["score"] is not None) for row in hub]


@pytest.mark.django_db
def test_the_ranking_and_its_publication_walk_the_cap(capped, official, client):
    client.force_login(official)
    page = client.get(reverse("official:ranking", args=[capped.slug])).content.decode()
    assert page.count(">지역 한도 초과<") == 1
    assert hub_rows(capped) == [
        ("R-0001", 1, SELECTED, True),
        ("R-0002", 2, OVER_CAP, True),  # ranked and scored, never selected
        ("R-0003", 3, SELECTED, True),
        ("R-0004", 4, BELOW_MINIMUM, True),
    ]
    assert ranking_inputs(capped)["rules"]["max_per_province"] == 1
    publication = publish(capped, official)
    ok, messages = verify(publication)
    assert ok, messages
    selected = publication.snapshot["outcome"]["totals"]["tracks"][0]["selected"]
    assert [row["reference"] for row in selected] == ["R-0001", "R-0003"]


@pytest.mark.django_db
def test_a_categorys_own_cap_wins_and_without_one_nothing_changes(capped):
    Category.objects.filter(competition=capped, code="hub").update(max_per_province=2)
    assert [status for _ref, _rank, status, _score in hub_rows(capped)][:3] == [SELECTED, SELECTED, RESERVE]
    Category.objects.filter(competition=capped, code="hub").update(max_per_province=None)
    Competition.objects.filter(pk=capped.pk).update(max_per_province=None)
    capped.refresh_from_db()
    inputs = ranking_inputs(capped)
    assert "max_per_province" not in inputs["rules"]
    assert all("max_per_province" not in category for category in inputs["categories"])
    statuses = {row.reference: row.status for row in rank_competition(capped).proposals()}
    assert (statuses["R-0001"], statuses["R-0002"], statuses["R-0003"]) == (SELECTED, SELECTED, RESERVE)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("year = 2024", "year = 2024\nmax_per_province = 0", "max_per_province: 1 이상이어야 합니다(값: 0)"),
        (
            "slots = 3",
            "slots = 3\nmax_per_province = -2",
            "categories[0].max_per_province: 1 이상이어야 합니다(값: -2)",
        ),
    ],
)
def test_the_file_refuses_a_cap_below_one(old, new, message):
    with pytest.raises(CompetitionFileError) as raised:
        parse_competition_file(MINIMAL.replace(old, new, 1))
    assert message in raised.value.messages


@pytest.mark.django_db
def test_the_file_sets_it_and_the_database_refuses_zero(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        MINIMAL.replace("year = 2024", "year = 2024\nmax_per_province = 3").replace(
            "slots = 3", "slots = 3\nmax_per_province = 2"
        ),
        encoding="utf-8",
    )
    call_command("load_competition", str(path), stdout=StringIO())
    competition = Competition.objects.get(slug="c-2024")
    assert (competition.max_per_province, competition.categories.get().max_per_province) == (3, 2)
    competition.max_per_province = 0  # a form or the Django admin: the field's own message
    with pytest.raises(ValidationError) as raised:
        competition.full_clean()
    assert raised.value.message_dict["max_per_province"] == ["값이 1 이상이어야 합니다."]
    with pytest.raises(IntegrityError), transaction.atomic():
        Competition.objects.filter(pk=competition.pk).update(max_per_province=0)
    with pytest.raises(IntegrityError), transaction.atomic():
        Category.objects.filter(competition=competition).update(max_per_province=0)
