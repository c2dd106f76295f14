"""The competition file of a competition as it stands: loading it again changes nothing (the
round trip that keeps the export and ``load_competition`` the same mapping)."""

from io import StringIO

import pytest
from django.core.management import call_command

from evaluation.domain.competition_export import competition_document, to_toml
from evaluation.domain.competition_upload import load_competition_bytes
from proposals.models import AuditEntry, Competition
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

OTHER_MINISTRY = """\
slug = "fishing-2024"
name = "2024년 어촌뉴딜 \\"300\\""
year = 2024
organization = "해양수산부"
minimum_score = 62.5
trim_min_reviewers = 7
trim_count = 2
adjustment_cap = 3.5
reserve = 2
final = "weighted"
ratio_decimals = 2
max_per_province = 3
tie_break = ["stage:site", "criteria:written", "subsidy"]

[[categories]]
code = "sea"
name = "어촌"
slots = 5
max_per_province = 2

[[categories.tracks]]
code = "port"
name = "어항"
subsidy = 100.5
matching_ratio = 0.43

[[categories.tracks]]
code = "village"
name = "마을"
subsidy = 80
matching_ratio = 1.5

[[categories]]
code = "city"
name = "도시"

[[categories.tracks]]
code = "urban"
name = "도시재생"
slots = 1
subsidy = 150
matching_ratio = 1.0

[[stages]]
code = "written"
name = "서면평가"
weight = 40
advance_cutoff = 70.25

[[stages.criteria]]
code = "W1"
name = "계획의 적정성"
description = "줄이 바뀌는\\n설명과 \\"따옴표\\""
max = 60
step = 0.25
tie_break = 1

[[stages.criteria]]
code = "W2"
name = "어항 특화"
max = 40
step = 1
tracks = ["village", "port"]

[[stages.criteria]]
code = "W2"
name = "도시 특화"
max = 40
tracks = ["urban"]

[[stages]]
code = "site"
name = "현장평가"
weight = 60

[[stages.criteria]]
code = "S1"
name = "현장 여건"
max = 100
tie_break = 1

[[adjustment_items]]
code = "depopulation"
name = "인구감소지역 가점"
max = 2

[[adjustment_items]]
code = "late"
name = "제출 지연 감점"
max = -1.5
"""


def round_trip(text: str, name: str):
    first = load_competition_bytes(text.encode(), f"{name}.toml")
    competition = first.competition
    before = competition_document(competition)
    entries = AuditEntry.objects.count()
    exported = to_toml(before)
    again = load_competition_bytes(exported.encode(), "exported.toml")
    assert (again.created, again.changes) == (False, [])
    assert AuditEntry.objects.count() == entries
    assert competition_document(Competition.objects.get(pk=competition.pk)) == before
    return exported


def test_the_2023_file_round_trips():
    exported = round_trip((FIXTURES / "competition.toml").read_text(encoding="utf-8"), "competition")
    assert 'slug = "smartcity-2023"' in exported
    assert "[[stages.criteria]]" in exported


def test_another_ministrys_file_with_every_key_round_trips():
    exported = round_trip(OTHER_MINISTRY, "fishing")
    assert 'tie_break = ["stage:site", "criteria:written", "subsidy"]' in exported
    assert 'tracks = ["port", "village"]' in exported
    assert "max = -1.5" in exported


def test_the_command_loads_the_export_without_a_change(tmp_path):
    call_command("load_competition", str(FIXTURES / "competition.toml"), stdout=StringIO())
    path = tmp_path / "exported.toml"
    path.write_text(to_toml(competition_document(Competition.objects.get())), encoding="utf-8")
    out = StringIO()
    call_command("load_competition", str(path), stdout=out)
    assert out.getvalue() == "공모 smartcity-2023: 이미 최신입니다. 바뀐 것이 없습니다.\n"
