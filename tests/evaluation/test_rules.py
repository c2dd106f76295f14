"""Pure scoring rules (SPEC §4): points, sheet totals, trimmed mean, advancement."""

from decimal import Decimal as D

import pytest

from evaluation.rules import advancing, kept_sheets, points_error, round_half_up, sheet_total, trimmed_mean


@pytest.mark.parametrize(
    ("points", "expected"),
    [
        (None, "missing"),
        (D("-0.5"), "range"),
        (D("30.5"), "range"),
        (D("12.25"), "step"),
        (D("0"), None),
        (D("30"), None),
        (D("12.5"), None),
    ],
)
def test_points_error(points, expected):
    assert points_error(points, D("30"), D("0.5")) == expected


def test_sheet_total_is_exact():
    assert sheet_total([D("25.5"), D("17"), D("12.5"), None]) == D("55.0")


@pytest.mark.parametrize(
    ("totals", "expected"),
    [
        ([D(80), D(90)], D(85)),  # fewer sheets than trim_min_reviewers: plain mean
        ([D(70), D(80), D(90), D(100)], D(85)),
        ([D(60), D(70), D(80), D(90), D(100)], D(80)),  # (400 - 100 - 60) / 3
        ([D(80)] * 5, D(80)),  # all equal
        ([D(90), D(90), D(70), D(80), D(60)], D(80)),  # two share the top: only one dropped
        ([D("81.5"), D("77"), D("90"), D("65.5"), D("88"), D("70")], (D("81.5") + D(77) + D(88) + D(70)) / 4),
    ],
)
def test_trimmed_mean(totals, expected):
    assert trimmed_mean(totals) == expected


def test_trimmed_mean_without_sheets_is_none():
    assert trimmed_mean([]) is None


def test_dropped_sheet_among_equal_totals_is_the_lowest_id():
    kept, high, low = kept_sheets([(7, D(90)), (3, D(90)), (5, D(60)), (2, D(60)), (9, D(75))])
    assert high == [(3, D(90))] and low == [(2, D(60))]
    assert [sheet for sheet, _ in kept] == [5, 9, 7]


def test_trim_settings():
    assert trimmed_mean([D(60), D(70), D(80), D(90), D(100)], trim_min_reviewers=6) == D(80)
    assert trimmed_mean(
        [D(50), D(60), D(70), D(80), D(90), D(100), D(100)], trim_min_reviewers=5, trim_count=2
    ) == D(80)


def test_round_half_up():
    assert round_half_up(D("80.125")) == D("80.13")
    assert round_half_up(D("80.115")) == D("80.12")
    assert round_half_up(D("80.1249")) == D("80.12")


def test_advancing_top_multiple_with_ties_at_the_boundary():
    scores = {"a": D(90), "b": D(85), "c": D(80), "d": D("79.999"), "e": D(70)}
    assert advancing(scores, slots=1, top_multiple=D(3)) == {"a", "b", "c", "d"}  # 79.999 → 80.00


def test_advancing_cutoff():
    assert advancing({"a": D(70), "b": D("69.994"), "c": D("69.995")}, slots=2, cutoff=D(70)) == {"a", "c"}


def test_advancing_everyone_when_fewer_than_places():
    assert advancing({"a": D(50), "b": D(40)}, slots=2, top_multiple=D(3)) == {"a", "b"}
