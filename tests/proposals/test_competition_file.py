"""load_competition (SPEC §6): idempotent, every key validated with its path named."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from proposals.domain.competition_file import CompetitionFileError, parse_competition_file
from proposals.models import Category, Competition, Track
from tests.conftest import FIXTURES

pytestmark = pytest.mark.django_db

MINIMAL = """
slug = "c-2024"
name = "2024 공모"
year = 2024

[[categories]]
code = "small"
name = "강소형"
slots = 3

[[categories.tracks]]
code = "climate"
name = "기후위기 대응형"
subsidy = 120

[[categories.tracks]]
code = "depopulation"
name = "지역소멸 대응형"
subsidy = 120
"""


def load(path):
    out = StringIO()
    call_command("load_competition", str(path), stdout=out)
    return out.getvalue()


def test_2023_file_creates_competition_categories_and_tracks():
    load(FIXTURES / "competition.toml")
    competition = Competition.objects.get(slug="smartcity-2023")
    assert competition.minimum_score == Decimal("60") and competition.reserve == 1
    tracks = {t.code: (t.category.code, t.slots, t.subsidy) for t in Track.objects.select_related("category")}
    assert tracks == {
        "hub": ("hub", 2, Decimal("200")),
        "climate": ("small", 2, Decimal("120")),
        "depopulation": ("small", 2, Decimal("120")),
    }


def test_loading_twice_changes_nothing():
    load(FIXTURES / "competition.toml")
    output = load(FIXTURES / "competition.toml")
    assert "이미 최신" in output
    assert Competition.objects.count() == 1 and Track.objects.count() == 3


def test_changed_value_is_updated(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    load(path)
    path.write_text(MINIMAL.replace("slots = 3", "slots = 4"), encoding="utf-8")
    output = load(path)
    assert "categories.small.slots: 3 → 4" in output
    assert Category.objects.get(code="small").slots == 4


def test_defaults_apply_when_keys_are_omitted(tmp_path):
    spec = parse_competition_file(MINIMAL)
    assert spec["minimum_score"] is None
    assert (spec["trim_min_reviewers"], spec["trim_count"], spec["reserve"]) == (5, 1, 1)
    assert spec["adjustment_cap"] == Decimal("5") and spec["final_score"] == "last"
    assert spec["categories"][0]["tracks"][0]["matching_ratio"] == Decimal("1.0")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("year = 2024", 'year = "2024"'), "year: 정수여야 합니다(값: '2024')"),
        (
            ('slug = "c-2024"', 'slug = "C 2024"'),
            "slug: 영문 소문자, 숫자, '-', '_'만 쓸 수 있습니다(값: 'C 2024')",
        ),
        (('name = "2024 공모"\n', ""), "name: 필수 항목입니다"),
        (
            ("subsidy = 120\n\n[[categories.tracks]]", "subsidy = -1\n\n[[categories.tracks]]"),
            "categories[0].tracks[0].subsidy: 0 이상이어야 합니다(값: -1)",
        ),
        (
            ('code = "depopulation"', 'code = "climate"'),
            "categories[0].tracks[1].code: 트랙 코드가 중복됩니다: 'climate'",
        ),
        (
            ("year = 2024", 'year = 2024\nfinal = "best"'),
            "final: last, weighted 중 하나여야 합니다(값: 'best')",
        ),
        (("year = 2024", 'year = 2024\ncolour = "blue"'), "colour: 알 수 없는 항목입니다"),
        (("year = 2024", "year = 2024\nratio_decimals = 3"), "ratio_decimals: 2 이하여야 합니다(값: 3)"),
        (("year = 2024", "year = 2024\nratio_decimals = -1"), "ratio_decimals: 0 이상이어야 합니다(값: -1)"),
        (("year = 2024", "year = 2024\nratio_decimals = 1.5"), "ratio_decimals: 정수여야 합니다(값: 1.5)"),
    ],
)
def test_invalid_key_is_named(change, message):
    old, new = change
    with pytest.raises(CompetitionFileError) as raised:
        parse_competition_file(MINIMAL.replace(old, new, 1))
    assert message in raised.value.messages


def test_track_slots_with_pooled_category_is_refused():
    text = MINIMAL.replace("subsidy = 120\n", "subsidy = 120\nslots = 1\n", 1)
    with pytest.raises(CompetitionFileError) as raised:
        parse_competition_file(text)
    assert raised.value.messages == [
        "categories[0].tracks[0].slots: 사업 유형이 선정 수를 공동으로 가지므로 지정할 수 없습니다"
    ]


def test_command_reports_all_errors_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(MINIMAL.replace("year = 2024", 'year = "x"\nreserve = -1'), encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        load(path)
    assert "year:" in str(raised.value) and "reserve:" in str(raised.value)
    assert Competition.objects.count() == 0


def test_invalid_toml_is_one_message(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("slug = ", encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        load(path)
    assert str(raised.value).startswith("TOML 형식이 아닙니다")


def test_a_file_saved_with_a_byte_order_mark_loads(tmp_path):
    """Windows Notepad writes UTF-8 with a BOM: the command and the upload page both read it."""
    path = tmp_path / "bom.toml"
    path.write_bytes("\ufeff".encode() + MINIMAL.encode())
    load(path)
    assert Competition.objects.filter(slug="c-2024").exists()
