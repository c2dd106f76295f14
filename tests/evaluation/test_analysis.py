"""Issue 13, first part: ``evaluation.analysis`` (pure: reviewer leniency, agreement, outlier
sheets, decision stability) on synthetic competitions with planted reviewer offsets, and the
``analyze`` command on the 2023 demo, its JSON validated against a schema."""

import json
import random
import statistics
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from jsonschema import Draft202012Validator

from evaluation import analysis, engine, rules

TWO = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$"}
THREE = {"type": "string", "pattern": r"^[01]\.[0-9]{3}$"}
NULL = {"type": "null"}


def _object(properties: dict) -> dict:
    return {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }


SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "analyze --json (issue 13)",
    **_object(
        {
            "competition": {"type": "string", "minLength": 1},
            "stages": {
                "type": "array",
                "items": _object(
                    {
                        "code": {"type": "string", "minLength": 1},
                        "reviewers": {
                            "type": "array",
                            "items": _object(
                                {
                                    "email": {"type": "string", "minLength": 1},
                                    "sheets": {"type": "integer", "minimum": 1},
                                    "mean_deviation": {"oneOf": [TWO, NULL]},
                                    "bias": TWO,
                                    "flagged": {"type": "boolean"},
                                }
                            ),
                        },
                        "agreement": _object(
                            {
                                "measure": {"const": "icc1"},
                                "value": {"oneOf": [TWO, NULL]},
                                "sheets": {"type": "integer", "minimum": 0},
                            }
                        ),
                        "outlier_sheets": {
                            "type": "array",
                            "items": _object(
                                {
                                    "reference": {"type": "string", "minLength": 1},
                                    "reviewer_code": {"type": "string", "pattern": "^[A-Z]+$"},
                                    "total": TWO,
                                    "others_mean": TWO,
                                }
                            ),
                        },
                    }
                ),
            },
            "stability": {
                "type": "array",
                "items": _object(
                    {
                        "reference": {"type": "string", "minLength": 1},
                        "selected_share": THREE,
                        "loo_changes_selection": {"type": "boolean"},
                    }
                ),
            },
            "margins": {
                "type": "array",
                "items": _object(
                    {"group": {"type": "string", "minLength": 1}, "points": {"oneOf": [TWO, NULL]}}
                ),
            },
        }
    ),
}


def check(document: dict) -> None:
    Draft202012Validator.check_schema(SCHEMA)
    errors = [f"{list(e.path)}: {e.message}" for e in Draft202012Validator(SCHEMA).iter_errors(document)]
    assert not errors, errors


# --- Inputs built directly (the shape of engine.RankingInputs) -----------------------------------


def make_inputs(proposals, slots: dict, *, minimum=None) -> dict:
    """``proposals``: (key, track, [(reviewer id, total)]); one stage ``final``, one category
    ``c`` whose tracks have ``slots``."""
    sheets = []
    for key, _track, totals in proposals:
        for place, (reviewer, total) in enumerate(totals):
            sheets.append(
                {
                    "stage": "final",
                    "proposal": key,
                    "reviewer": chr(ord("A") + place),
                    "reviewer_id": reviewer,
                    "total": str(Decimal(total).quantize(Decimal("0.01"))),
                }
            )
    return {
        "rules": {
            "trim_min_reviewers": 5,
            "trim_count": 1,
            "adjustment_cap": "5",
            "reserve": 1,
            "minimum_score": minimum,
            "final": "last",
        },
        "stages": [
            {
                "code": "final",
                "name": "발표평가",
                "order": 1,
                "weight": None,
                "advance_top_multiple": None,
                "advance_cutoff": None,
                "tie_break_criteria": [],
            }
        ],
        "categories": [
            {
                "code": "c",
                "name": "유형",
                "slots": None,
                "tracks": [
                    {"code": code, "name": code, "slots": n, "subsidy": "100", "matching_ratio": "1"}
                    for code, n in slots.items()
                ],
            }
        ],
        "proposals": [
            {
                "key": key,
                "id": n,
                "reference": key,
                "applicant": f"지자체 {n}",
                "province": "광역",
                "title": key,
                "category": "c",
                "track": track,
                "status": "submitted",
                "national_subsidy": "100",
                "local_matching": "100",
            }
            for n, (key, track, _totals) in enumerate(proposals, start=1)
        ],
        "sheets": sheets,
        "criterion_averages": [],
        "adjustments": [],
        "draws": [],
    }


def synthetic(reviewers=15, proposals=40, per=7, offsets=None, seed=7, noise=1.5, slots=None):
    """A competition with planted reviewer offsets: each proposal scored by ``per`` reviewers
    drawn at random; total = quality + offset + noise, in 0.5 steps. Returns (inputs, offsets)."""
    rng = random.Random(seed)
    if offsets is None:
        offsets = [rng.uniform(-3, 3) for _ in range(reviewers)]
    rows = []
    for n in range(proposals):
        quality = rng.uniform(55, 85)
        chosen = rng.sample(range(reviewers), per)
        totals = [
            (f"r{i:02d}@example.com", round(2 * (quality + offsets[i] + rng.gauss(0, noise))) / 2)
            for i in chosen
        ]
        rows.append((f"P-{n:04d}", "t", totals))
    return make_inputs(rows, slots or {"t": 5}), offsets


def stage_of(document, code="final") -> dict:
    return next(stage for stage in document["stages"] if stage["code"] == code)


# --- Leniency --------------------------------------------------------------------------------


def test_estimated_biases_follow_the_planted_offsets():
    inputs, offsets = synthetic()
    result = analysis.analyze(inputs, slug="synthetic", max_totals={"final": Decimal(100)}, rounds=20)
    reviewers = {r["email"]: r for r in stage_of(result)["reviewers"]}
    planted = [offsets[i] - statistics.fmean(offsets) for i in range(15)]
    estimated = [float(reviewers[f"r{i:02d}@example.com"]["bias"]) for i in range(15)]
    assert statistics.correlation(planted, estimated) >= 0.9
    assert abs(sum(estimated)) < 0.1  # offsets sum to 0 on the (connected) panel
    assert stage_of(result)["panels"] == 1
    assert sum(r["sheets"] for r in reviewers.values()) == 40 * 7


def test_the_reviewer_eight_points_up_is_the_flagged_one():
    rng = random.Random(3)
    offsets = [rng.uniform(-1.5, 1.5) for _ in range(15)]
    offsets[4] = 8.0
    inputs, _ = synthetic(offsets=offsets, seed=11, noise=1.0)
    # A stage of 60 points: the threshold is 6.
    result = analysis.analyze(inputs, slug="synthetic", max_totals={"final": Decimal(60)}, rounds=10)
    flagged = [r["email"] for r in stage_of(result)["reviewers"] if r["flagged"]]
    assert flagged == ["r04@example.com"]
    top = max(stage_of(result)["reviewers"], key=lambda r: Decimal(r["bias"]))
    assert top["email"] == "r04@example.com" and Decimal(top["bias"]) > 6
    # Their sheets are the outliers, named by the sheet's code on its proposal.
    outliers = stage_of(result)["outlier_sheets"]
    assert outliers
    for sheet in outliers:
        proposal = [s for s in inputs["sheets"] if s["proposal"] == sheet["reference"]]
        mine = next(s for s in proposal if s["reviewer"] == sheet["reviewer_code"])
        assert mine["reviewer_id"] == "r04@example.com"
        others = [Decimal(s["total"]) for s in proposal if s is not mine]
        assert sheet["others_mean"] == analysis.two(sum(others) / len(others))
        assert abs(Decimal(sheet["total"]) - Decimal(sheet["others_mean"])) > 6


def test_a_stage_of_two_panels_centres_each_panel():
    rows = [(f"A-{n}", "t", [("a1", 70 + n), ("a2", 74 + n), ("a3", 72 + n)]) for n in range(4)]
    rows += [(f"B-{n}", "t", [("b1", 60 + n), ("b2", 61 + n)]) for n in range(4)]
    inputs = make_inputs(rows, {"t": 2})
    stage = analysis.analyze(inputs, slug="x", rounds=5)["stages"][0]
    assert stage["panels"] == 2
    bias = {r["email"]: Decimal(r["bias"]) for r in stage["reviewers"]}
    assert (bias["a1"], bias["a2"], bias["a3"]) == (Decimal("-2.00"), Decimal("2.00"), Decimal("0.00"))
    assert (bias["b1"], bias["b2"]) == (Decimal("-0.50"), Decimal("0.50"))
    # Leave-self-out: a1 is 3 below the mean of a2 and a3 on each proposal.
    deviation = {r["email"]: r["mean_deviation"] for r in stage["reviewers"]}
    assert deviation["a1"] == "-3.00" and deviation["b2"] == "1.00"


def test_agreement_is_high_for_a_consistent_panel_and_low_for_noise():
    rng = random.Random(5)
    consistent = [
        (f"P{n}", "t", [(f"r{i}", 50 + 4 * n + rng.choice((0, 0.5))) for i in range(5)]) for n in range(10)
    ]
    noise = [(f"P{n}", "t", [(f"r{i}", rng.uniform(50, 90)) for i in range(5)]) for n in range(10)]
    high = analysis.analyze(make_inputs(consistent, {"t": 1}), slug="x", rounds=1)["stages"][0]["agreement"]
    low = analysis.analyze(make_inputs(noise, {"t": 1}), slug="x", rounds=1)["stages"][0]["agreement"]
    assert high["measure"] == "icc1" and high["sheets"] == 50
    assert Decimal(high["value"]) > Decimal("0.95") and Decimal(low["value"]) < Decimal("0.5")


# --- Stability -------------------------------------------------------------------------------


def test_kept_places_give_the_trimmed_mean_of_the_rules():
    rng = random.Random(1)
    for _ in range(300):
        n = rng.randint(1, 9)
        totals = [Decimal(rng.choice((70, 75, 80, 85.5, 90))) for _ in range(n)]
        hundredths = [int(t * 100) for t in totals]
        for trim_min, trim_count in ((5, 1), (3, 1), (7, 2), (5, 0)):
            assert analysis.score_of(hundredths, trim_min, trim_count) == rules.trimmed_mean(
                totals, trim_min, trim_count
            )


def test_the_light_selection_is_the_engines():
    for seed in range(5):
        inputs, _ = synthetic(proposals=60, seed=seed, slots={"t": 4})
        outcome = engine.rank(inputs)
        assert analysis.light_selection(inputs) == {
            key for key, row in outcome.rows.items() if row.status == rules.SELECTED
        }


def near_tie_inputs():
    """Track ``t``: two clear winners far ahead for 2 slots. Track ``u``: one slot, two proposals
    a few hundredths apart with spread sheets."""
    rows = [
        ("W-1", "t", [(f"r{i}", 92 + i % 2) for i in range(7)]),
        ("W-2", "t", [(f"r{i}", 90 + i % 3) for i in range(7)]),
        *[(f"L-{n}", "t", [(f"r{i}", 60 + n + i % 4) for i in range(7)]) for n in range(5)],
        ("N-1", "u", [(f"r{i}", t) for i, t in enumerate((70, 74, 78, 80, 82, 85, 90))]),
        ("N-2", "u", [(f"r{i}", t) for i, t in enumerate((72, 75, 77, 79.5, 82, 84, 88))]),
    ]
    return make_inputs(rows, {"t": 2, "u": 1})


def test_clear_winners_are_stable_and_a_near_tie_is_not():
    inputs = near_tie_inputs()
    result = analysis.analyze(inputs, slug="x", rounds=400, seed=1)
    share = {row["reference"]: Decimal(row["selected_share"]) for row in result["stability"]}
    assert result["light_matches_engine"]
    assert share["W-1"] == share["W-2"] == Decimal("1.000")
    assert all(share[f"L-{n}"] == 0 for n in range(5))
    assert 0 < share["N-1"] < 1 and 0 < share["N-2"] < 1
    # One slot: a round selects one of them, or neither where they tie at two decimals (a draw).
    assert share["N-1"] + share["N-2"] <= 1
    margins = {m["group"]: m["points"] for m in result["margins"]}
    assert Decimal(margins["c/t"]) > 20 and Decimal(margins["c/u"]) < 1
    # The same seed, the same shares; the document validates.
    again = analysis.analyze(inputs, slug="x", rounds=400, seed=1)
    assert again["stability"] == result["stability"]
    check(analysis.document(result))


def test_leaving_out_one_reviewer_changes_the_selection():
    rows = [
        # No trim under 5 sheets: Y leads by one point only through r4's 85.
        ("X", "t", [("r1", 80), ("r2", 80), ("r3", 80)]),
        ("Y", "t", [("r1", 79), ("r2", 79), ("r4", 85)]),
        ("Z", "u", [("r1", 90), ("r2", 91), ("r3", 89)]),
        ("Q", "u", [("r1", 60), ("r2", 61), ("r3", 59)]),
    ]
    result = analysis.analyze(make_inputs(rows, {"t": 1, "u": 1}), slug="x", rounds=50)
    loo = {row["reference"]: row["loo_changes_selection"] for row in result["stability"]}
    assert loo == {"X": True, "Y": True, "Z": False, "Q": False}


# --- The command on the 2023 demo ----------------------------------------------------------------


@pytest.mark.django_db
def test_analyze_on_the_2023_demo():
    from evaluation.demo import run_demo

    run_demo(StringIO())
    out = StringIO()
    call_command("analyze", competition="smartcity-2023", json=True, rounds=200, seed=5, stdout=out)
    document = json.loads(out.getvalue())
    check(document)
    assert document["competition"] == "smartcity-2023"
    assert [stage["code"] for stage in document["stages"]] == ["document", "presentation"]
    emails = {r["email"] for stage in document["stages"] for r in stage["reviewers"]}
    assert emails and all("@" in email for email in emails)
    assert {m["group"] for m in document["margins"]} == {"hub/hub", "small/climate", "small/depopulation"}
    from evaluation.ranking import rank_competition
    from proposals.models import Competition

    ranking = rank_competition(Competition.objects.get(slug="smartcity-2023"))
    selected = {row.reference for row in ranking.outcome.rows.values() if row.status == rules.SELECTED}
    assert analysis.light_selection(ranking.inputs) == {
        key for key, row in ranking.outcome.rows.items() if row.status == rules.SELECTED
    }
    # Each selected proposal is selected in most rounds.
    shares = {row["reference"]: Decimal(row["selected_share"]) for row in document["stability"]}
    assert all(shares[reference] > Decimal("0.5") for reference in selected)

    text = StringIO()
    call_command("analyze", competition="smartcity-2023", rounds=20, stdout=text)
    lines = text.getvalue().splitlines()
    assert lines[0] == "2023년 스마트시티 조성사업 (smartcity-2023)"
    assert lines[1] == "참고용 분석입니다. 공개되는 점수는 바뀌지 않습니다."
    assert "평가 단계 서면평가(document)" in lines
    assert "  평가 일치도(ICC(1)): 0.84 (평가표 181장 기준)" in lines


def test_agreement_is_given_per_panel_as_well():
    """Issue 13: agreement per stage and panel. Panel a agrees (the proposals differ far more than
    the reviewers), panel b does not; each panel is named by its proposals' tracks."""
    rng = random.Random(11)
    rows = [
        (f"A-{n}", "t", [(f"a{i}", 50 + 5 * n + rng.choice((0, 0.5))) for i in range(4)]) for n in range(6)
    ]
    rows += [(f"B-{n}", "u", [(f"b{i}", rng.uniform(50, 90)) for i in range(4)]) for n in range(6)]
    inputs = make_inputs(rows, {"t": 1})
    inputs["categories"][0]["tracks"].append(
        {**inputs["categories"][0]["tracks"][0], "code": "u", "name": "유형 U"}
    )
    for proposal in inputs["proposals"]:
        if proposal["key"].startswith("B-"):
            proposal["track"] = "u"
    result = analysis.analyze(inputs, slug="x", rounds=1)
    stage = result["stages"][0]
    assert stage["panels"] == 2
    by_tracks = {tuple(panel["tracks"]): panel for panel in stage["panel_agreement"]}
    consistent, noisy = by_tracks[(inputs["categories"][0]["tracks"][0]["name"],)], by_tracks[("유형 U",)]
    assert (consistent["reviewers"], consistent["sheets"]) == (4, 24)
    assert Decimal(consistent["value"]) > Decimal("0.95") > Decimal("0.5") > Decimal(noisy["value"])
    check(analysis.document(result))  # the JSON keeps the schema
    assert "panel_agreement" not in analysis.document(result)["stages"][0]
