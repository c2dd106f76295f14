"""Final score, adjustments, the tie-break chain and selection (SPEC §4.3–§4.6), table-driven."""

from decimal import Decimal as D

import pytest

from evaluation.rules import Contender, capped_adjustment, final_score, rank_contenders, select


@pytest.mark.parametrize(
    ("stages", "weighted", "expected"),
    [
        ([(D(70), None), (D("82.5"), None)], False, D("82.5")),  # the last stage's score
        ([(D(70), D(30)), (D(80), D(70))], True, D(77)),  # 21 + 56
        ([(None, D(30)), (D(80), D(70))], True, None),  # a missing stage score
        ([], False, None),
    ],
)
def test_final_score(stages, weighted, expected):
    assert final_score(stages, weighted) == expected


@pytest.mark.parametrize(
    ("points", "cap", "expected"),
    [
        ([D(2), D(1)], D(5), D(3)),
        ([D(4), D(3)], D(5), D(5)),
        ([D(-7)], D(5), D(-5)),
        ([D(3), D(-1)], D(1), D(1)),
        ([], D(5), D(0)),
    ],
)
def test_capped_adjustment(points, cap, expected):
    assert capped_adjustment(points, cap) == expected


def ranks(contenders):
    return [(p.contender.key, p.rank, p.tie_break) for p in rank_contenders(contenders)]


def test_scores_differ_no_tie_break():
    assert ranks([Contender("b", D(80)), Contender("a", D(90))]) == [("a", 1, None), ("b", 2, None)]


def test_equal_at_two_decimals_is_a_tie_even_if_exact_scores_differ():
    placed = ranks([Contender("a", D("80.004")), Contender("b", D("80.001"))])
    assert [rank for _key, rank, _rule in placed] == [1, 1]
    assert placed[1][2] == "unresolved"


def test_tie_broken_at_the_second_criterion():
    a = Contender("a", D(85), (("C1", D(25)), ("C2", D(17))), D(200))
    b = Contender("b", D(85), (("C1", D(25)), ("C2", D("17.5"))), D(200))
    assert ranks([a, b]) == [("b", 1, None), ("a", 2, "criterion:C2")]


def test_tie_broken_by_lower_requested_subsidy():
    a = Contender("a", D(85), (("C1", D(25)),), D(200))
    b = Contender("b", D(85), (("C1", D(25)),), D(150))
    assert ranks([a, b]) == [("b", 1, None), ("a", 2, "subsidy")]


def test_tie_broken_by_a_recorded_draw():
    a = Contender("a", D(85), (), D(200), draw=2)
    b = Contender("b", D(85), (), D(200), draw=1)
    assert ranks([a, b]) == [("b", 1, None), ("a", 2, "draw")]


def test_a_tie_no_rule_breaks_shares_the_rank():
    placed = ranks(
        [Contender("a", D(90)), Contender("b", D(85)), Contender("c", D(85)), Contender("d", D(80))]
    )
    assert [(rank, rule) for _key, rank, rule in placed] == [
        (1, None),
        (2, None),
        (2, "unresolved"),
        (4, None),
    ]


def statuses(contenders, slots, reserve=1, minimum=None):
    return select(rank_contenders(contenders), slots, reserve, minimum)


def test_selection_fills_slots_then_reserves():
    field = [Contender(k, D(s)) for k, s in (("a", 90), ("b", 85), ("c", 80), ("d", 75))]
    assert statuses(field, 2) == {"a": "selected", "b": "selected", "c": "reserve", "d": "not_selected"}


def test_fewer_qualifying_than_slots_leaves_a_slot_empty():
    field = [Contender("a", D(90)), Contender("b", D("59.99")), Contender("c", D(40))]
    assert statuses(field, 2, minimum=D(60)) == {"a": "selected", "b": "below_minimum", "c": "below_minimum"}


def test_minimum_compares_rounded_scores():
    assert statuses([Contender("a", D("59.995"))], 1, minimum=D(60)) == {"a": "selected"}


def test_tie_straddling_the_last_slot_requires_a_draw():
    field = [Contender("a", D(90)), Contender("b", D(85)), Contender("c", D(85)), Contender("d", D(80))]
    assert statuses(field, 2) == {"a": "selected", "b": "draw_required", "c": "draw_required", "d": "reserve"}


def test_tie_inside_the_slots_is_selected_together():
    field = [Contender("a", D(85)), Contender("b", D(85)), Contender("c", D(80))]
    assert statuses(field, 2) == {"a": "selected", "b": "selected", "c": "reserve"}


def test_no_reserve_when_the_competition_sets_none():
    field = [Contender("a", D(90)), Contender("b", D(85))]
    assert statuses(field, 1, reserve=0) == {"a": "selected", "b": "not_selected"}


def test_pooled_quota_ranks_across_tracks():
    # 2024: 강소형 "3곳 이내" shared by the climate and depopulation tracks
    field = [
        Contender(("climate", 1), D(88)),
        Contender(("depop", 1), D(91)),
        Contender(("depop", 2), D(86)),
        Contender(("climate", 2), D(84)),
    ]
    result = statuses(field, 3)
    assert [key for key, status in result.items() if status == "selected"] == [
        ("depop", 1),
        ("climate", 1),
        ("depop", 2),
    ]
    assert result[("climate", 2)] == "reserve"
