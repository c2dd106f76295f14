"""``rank --competition SLUG [--json]``: the JSON document of SPEC §6, validated against a JSON
Schema written from that section, and the readable table."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from jsonschema import Draft202012Validator

from evaluation.demo import run_demo
from evaluation.models import Assignment, Criterion, Rubric, Stage
from proposals.models import Proposal

pytestmark = pytest.mark.django_db

STATUSES = [
    "selected",
    "reserve",
    "not_selected",
    "below_minimum",
    "draw_required",
    "eliminated",
    "ineligible",
    "withdrawn",
]
UNRANKED = ["eliminated", "ineligible", "withdrawn"]
SCORE = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$"}  # two decimals, as published
RATIO = {"type": "string", "pattern": r"^[0-9]+(\.[0-9]?[1-9])?:1$"}  # 5:1, 3.5:1, 3.74:1 (no trailing 0)
NULL = {"type": "null"}

PROPOSAL = {
    "type": "object",
    "required": ["rank", "reference", "applicant", "title", "score", "status", "tie_break"],
    "additionalProperties": False,
    "properties": {
        "rank": {"oneOf": [{"type": "integer", "minimum": 1}, NULL]},
        "reference": {"type": "string"},
        "applicant": {"type": "string", "minLength": 1},
        "title": {"type": "string"},
        "score": {"oneOf": [SCORE, NULL]},
        "status": {"enum": STATUSES},
        "tie_break": {
            "oneOf": [
                NULL,
                {"enum": ["subsidy", "draw", "unresolved"]},
                {"type": "string", "pattern": r"^criterion:\S+$"},
            ]
        },
    },
    # Eliminated, ineligible and withdrawn proposals carry no rank and no score; the others both.
    "if": {"properties": {"status": {"enum": UNRANKED}}},
    "then": {"properties": {"rank": NULL, "score": NULL, "tie_break": NULL}},
    "else": {"properties": {"rank": {"type": "integer"}, "score": SCORE}},
}
TRACK = {
    "type": "object",
    "required": ["code", "name", "applicants", "slots", "ratio", "ranking"],
    "additionalProperties": False,
    "properties": {
        "code": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1},
        "applicants": {"type": "integer", "minimum": 0},
        "slots": {"oneOf": [{"type": "integer", "minimum": 1}, NULL]},
        "ratio": {"oneOf": [RATIO, NULL]},
        "ranking": {"type": "array", "items": PROPOSAL},
    },
    # A track of a pooled category has neither slots nor a ratio of its own.
    "if": {"properties": {"slots": NULL}},
    "then": {"properties": {"ratio": NULL}},
    "else": {"properties": {"ratio": RATIO}},
}
CATEGORY = {
    "type": "object",
    "required": ["code", "name", "applicants", "slots", "ratio", "tracks"],
    "additionalProperties": False,
    "properties": {
        "code": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1},
        "applicants": {"type": "integer", "minimum": 0},
        "slots": {"type": "integer", "minimum": 0},
        "ratio": {"oneOf": [RATIO, NULL]},
        # Either every track has its own slots, or the category pools them (all null).
        "tracks": {
            "anyOf": [
                {"type": "array", "items": {"properties": {"slots": {"type": "integer"}}}},
                {"type": "array", "items": {"properties": {"slots": NULL}}},
            ],
            "items": TRACK,
        },
    },
}
PROVINCE = {  # SPEC §8.7
    "type": "object",
    "required": ["province", "applicants", "selected"],
    "additionalProperties": False,
    "properties": {
        "province": {"type": "string"},
        "applicants": {"type": "integer", "minimum": 0},
        "selected": {"type": "integer", "minimum": 0},
    },
}
SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "rank --json (SPEC §6, §8.7)",
    "type": "object",
    "required": ["competition", "categories"],
    "additionalProperties": False,
    "properties": {
        "competition": {"type": "string", "minLength": 1},
        "categories": {"type": "array", "items": CATEGORY},
        "provinces": {"type": "array", "items": PROVINCE},
    },
}


def rank_json(slug="smartcity-2023") -> dict:
    out = StringIO()
    call_command("rank", competition=slug, json=True, stdout=out)
    return json.loads(out.getvalue())  # the document alone: anything else would not parse


def check_document(document: dict) -> None:
    """The schema, and what a schema cannot say: order, ranks, counts."""
    Draft202012Validator.check_schema(SCHEMA)
    errors = sorted(Draft202012Validator(SCHEMA).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    for category in document["categories"]:
        pooled = category["tracks"] and category["tracks"][0]["slots"] is None
        assert category["applicants"] == sum(t["applicants"] for t in category["tracks"])
        if not pooled:
            assert category["slots"] == sum(t["slots"] for t in category["tracks"])
        for track in category["tracks"]:
            rows = track["ranking"]
            ranked = [row for row in rows if row["rank"] is not None]
            # Ranked proposals first, in rank order; then eliminated, ineligible, withdrawn.
            assert rows[: len(ranked)] == ranked
            assert [row["rank"] for row in ranked] == sorted(row["rank"] for row in ranked)
            tail = [UNRANKED.index(row["status"]) for row in rows[len(ranked) :]]
            assert tail == sorted(tail)
            assert track["applicants"] == sum(1 for row in rows if row["status"] != "withdrawn")
            scores = [Decimal(row["score"]) for row in ranked]
            assert scores == sorted(scores, reverse=True)
            if not pooled:
                assert [row["rank"] for row in ranked][:1] in ([], [1])


def test_rank_of_the_demo_json_and_readable():
    run_demo(StringIO())
    document = rank_json()
    check_document(document)
    assert document["competition"] == "smartcity-2023"
    categories = {c["code"]: c for c in document["categories"]}
    assert (categories["hub"]["applicants"], categories["hub"]["slots"], categories["hub"]["ratio"]) == (
        10,
        2,
        "5:1",
    )
    assert (categories["small"]["applicants"], categories["small"]["ratio"]) == (14, "3.5:1")
    climate = next(t for t in categories["small"]["tracks"] if t["code"] == "climate")
    assert (climate["applicants"], climate["slots"], climate["ratio"]) == (7, 2, "3.5:1")
    first = climate["ranking"][0]
    assert (first["rank"], first["applicant"], first["status"], first["tie_break"]) == (
        1,
        "평택시",
        "selected",
        None,
    )
    assert climate["ranking"][-1]["status"] == "eliminated"

    # The readable form of the same ranking.
    out = StringIO()
    call_command("rank", competition="smartcity-2023", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "2023년 스마트시티 조성사업 (smartcity-2023)"
    text = "\n".join(lines)
    assert "거점형" in text and "기후위기 대응형" in text and "5:1" in text and "3.5:1" in text
    hub = lines.index(next(line for line in lines if line.startswith("  [거점형]")))
    first, second = lines[hub + 1].split(), lines[hub + 2].split()
    assert first[:3] == ["1", first[1], "선정"] and "울산광역시" in first
    assert second[:3] == ["2", second[1], "선정"] and "고양시" in second
    assert any("최저점 미달" in line for line in lines)
    assert sum("단계 탈락" in line for line in lines) == 4 + 1 + 1


def test_an_unknown_competition_is_an_error():
    with pytest.raises(CommandError):
        call_command("rank", competition="no-such", json=True, stdout=StringIO())


# --- A pooled category with every status: 강소형 shares 3 slots across its two tracks -----------


@pytest.fixture
def pooled(competition, stage, make_criteria, make_reviewer, make_proposal, make_assignment, submit_sheet):
    """Two stages: 서면평가 advances those at or above 60; 발표평가 decides. One reviewer."""
    small = competition.categories.get(code="small")
    small.slots = 3
    small.save()
    small.tracks.update(slots=None)
    stage.advance_cutoff = Decimal(60)
    stage.save()
    make_criteria(2, max_points=Decimal(50))
    final = Stage.objects.create(competition=competition, code="test-final", name="발표평가", order=91)
    rubric = Rubric.objects.create(stage=final)
    for number in (1, 2):
        Criterion.objects.create(
            rubric=rubric, code=f"C{number}", name=f"항목 {number}", max_points=Decimal(50), order=number
        )
    reviewer = make_reviewer("pool")
    plan = {  # reference: (track, 서면평가 points per criterion, 발표평가 points, status)
        "c1": ("climate", 45, 44, Proposal.Status.SUBMITTED),
        "d1": ("depopulation", 48, 47, Proposal.Status.SUBMITTED),
        "d2": ("depopulation", 44, 40, Proposal.Status.SUBMITTED),
        "c5": ("climate", 40, 35, Proposal.Status.SUBMITTED),
        "c3": ("climate", 40, 20, Proposal.Status.SUBMITTED),  # 40 < 60: below the minimum
        "c2": ("climate", 25, None, Proposal.Status.SUBMITTED),  # 50 < 60: does not advance
        "c4": ("climate", None, None, Proposal.Status.INELIGIBLE),
        "d3": ("depopulation", None, None, Proposal.Status.WITHDRAWN),
    }
    for reference, (track, first, second, status) in plan.items():
        proposal = make_proposal(track=track, reference=reference, applicant=f"{reference}군", status=status)
        if first is not None:
            submit_sheet(make_assignment(proposal, reviewer), [first, first])
        if second is not None:
            assignment = Assignment.objects.create(stage=final, proposal=proposal, reviewer=reviewer)
            submit_sheet(assignment, [second, second])
    return competition


def test_rank_json_of_a_pooled_category(pooled):
    document = rank_json(pooled.slug)
    check_document(document)
    small = next(c for c in document["categories"] if c["code"] == "small")
    # 7 applicants (the withdrawn one does not count) for 3 pooled slots
    assert (small["applicants"], small["slots"], small["ratio"]) == (7, 3, "2.3:1")
    tracks = {t["code"]: t for t in small["tracks"]}
    assert all((t["slots"], t["ratio"]) == (None, None) for t in tracks.values())
    assert (tracks["climate"]["applicants"], tracks["depopulation"]["applicants"]) == (5, 2)
    rows = {row["reference"]: row for t in tracks.values() for row in t["ranking"]}
    assert {ref: (row["rank"], row["score"], row["status"]) for ref, row in rows.items()} == {
        "d1": (1, "94.00", "selected"),
        "c1": (2, "88.00", "selected"),
        "d2": (3, "80.00", "selected"),
        "c5": (4, "70.00", "reserve"),
        "c3": (5, "40.00", "below_minimum"),
        "c2": (None, None, "eliminated"),
        "c4": (None, None, "ineligible"),
        "d3": (None, None, "withdrawn"),
    }
    # Ranks count across the category: the climate track shows 2, 4, 5 and then the unranked.
    assert [row["reference"] for row in tracks["climate"]["ranking"]] == ["c1", "c5", "c3", "c2", "c4"]
    assert [row["reference"] for row in tracks["depopulation"]["ranking"]] == ["d1", "d2", "d3"]


def test_the_schema_rejects_what_spec_forbids():
    """The schema is strict enough to matter."""
    validator = Draft202012Validator(SCHEMA)
    row = {
        "rank": 1,
        "reference": "R",
        "applicant": "가",
        "title": "t",
        "score": "88.40",
        "status": "selected",
        "tie_break": None,
    }
    track = {"code": "t", "name": "트랙", "applicants": 1, "slots": 1, "ratio": "1:1", "ranking": [row]}
    document = {
        "competition": "x",
        "categories": [
            {"code": "c", "name": "유형", "applicants": 1, "slots": 1, "ratio": "1:1", "tracks": [track]}
        ],
    }
    assert validator.is_valid(document)
    for change in (
        {"score": 88.4},  # a number, not a string
        {"score": "88.4"},  # one decimal
        {"status": "winner"},
        {"status": "eliminated"},  # rank and score must then be null
        {"tie_break": "criterion"},
    ):
        bad = json.loads(json.dumps(document))
        bad["categories"][0]["tracks"][0]["ranking"][0].update(change)
        assert not validator.is_valid(bad), change
    bad = json.loads(json.dumps(document))
    bad["categories"][0]["tracks"][0]["ratio"] = "1.0:1"
    assert not validator.is_valid(bad)
    bad["categories"][0]["tracks"][0].update(slots=None, ratio="1:1")  # pooled: no ratio of its own
    assert not validator.is_valid(bad)
