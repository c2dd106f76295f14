"""Automatic disqualification (제척) by affiliation: name normalisation and the look-back period."""

import datetime
import unicodedata

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from evaluation.conflicts import Affiliation, affiliation_conflict, normalise_organisation

TODAY = datetime.date(2023, 4, 15)


@pytest.mark.parametrize(
    ("written", "other"),
    [
        ("(주)케빈랩", "케빈랩"),
        ("주식회사 케빈랩", "케빈랩"),
        ("케빈랩 주식회사", "케빈랩"),
        ("㈜케빈랩", "케빈랩"),
        ("（주）케빈랩", "케빈랩"),
        ("(재)울산테크노파크", "울산테크노파크"),
        ("재단법인 울산테크노파크", "울산 테크노파크"),
        ("SK 플래닛", "sk플래닛"),
        ("KT Engineering Co., Ltd.", "kt engineering"),
        ("울산\u200b대학교", "울산대학교"),
        (unicodedata.normalize("NFD", "울산대학교"), "울산대학교"),
    ],
)
def test_names_compare_without_legal_suffix_case_space_or_normal_form(written, other):
    assert normalise_organisation(written) == normalise_organisation(other)


def test_different_organisations_stay_different():
    assert normalise_organisation("울산대학교") != normalise_organisation("울산과학대학교")
    assert normalise_organisation("KT") != normalise_organisation("KT엔지니어링")


def test_current_affiliation_matching_a_partner_conflicts():
    partners = ["현대자동차", "SK 플래닛", "울산대학교"]
    assert affiliation_conflict([Affiliation("울산대학교")], partners, TODAY) == "울산대학교"


def test_current_affiliation_matching_the_applicant_conflicts():
    assert affiliation_conflict([Affiliation("고양시")], ["고양시", "카카오엔터프라이즈"], TODAY) == "고양시"


@pytest.mark.parametrize(
    ("until", "conflicted"),
    [
        (datetime.date(2023, 4, 1), True),  # left two weeks ago
        (datetime.date(2020, 4, 15), True),  # exactly three years ago: still inside
        (datetime.date(2020, 4, 14), False),  # one day outside the look-back period
        (datetime.date(2015, 1, 1), False),
    ],
)
def test_past_affiliation_counts_only_within_the_look_back_period(until, conflicted):
    affiliations = [Affiliation("국토연구원"), Affiliation("(주)케빈랩", until)]
    result = affiliation_conflict(affiliations, ["평택시", "케빈랩"], TODAY)
    assert (result == "케빈랩") is conflicted


def test_look_back_period_is_a_setting():
    affiliations = [Affiliation("케빈랩", datetime.date(2021, 1, 1))]
    assert affiliation_conflict(affiliations, ["케빈랩"], TODAY, lookback_years=3) == "케빈랩"
    assert affiliation_conflict(affiliations, ["케빈랩"], TODAY, lookback_years=1) is None


def test_no_affiliation_no_conflict():
    assert affiliation_conflict([Affiliation("")], ["", "평택시"], TODAY) is None


# --- Invisible characters never tell two organisations apart (SPEC §3) --------------------------
# Characters nobody sees, chosen by Unicode category (Hypothesis's own tables: format characters
# Cf and every space separator) and the default-ignorable code points Unicode lists besides
# (Hangul fillers, variation selectors, the combining grapheme joiner, tags), and control spaces.
DEFAULT_IGNORABLE = [
    0x034F,
    0x115F,
    0x1160,
    0x17B4,
    0x17B5,
    0x180B,
    0x180C,
    0x180D,
    0x180F,
    0x3164,
    0xFFA0,
    *range(0xFE00, 0xFE10),
    0xE0000,
    0xE0001,
    0xE0041,
    0xE007F,
    0xE0100,
    0xE01EF,
]
INVISIBLE = st.one_of(
    st.characters(categories=["Cf"]),
    st.sampled_from([chr(code) for code in DEFAULT_IGNORABLE]),
)
SPACE = st.one_of(st.characters(categories=["Zs", "Zl", "Zp"]), st.sampled_from("\t\n\r\x0b\x0c\x1c\x85"))
NAME = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3), st.sampled_from("0123456789")
    ),
    min_size=1,
    max_size=12,
)
PROPERTY = settings(max_examples=300, deadline=None)


@st.composite
def inserted(draw, name: str, junk):
    """``name`` with one to eight of ``junk`` inserted at any positions (runs included)."""
    chars = list(name)
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        chars.insert(draw(st.integers(min_value=0, max_value=len(chars))), draw(junk))
    return "".join(chars)


@PROPERTY
@given(data=st.data(), name=NAME)
def test_a_name_with_invisible_characters_or_spaces_inserted_anywhere_still_matches(data, name):
    assume(normalise_organisation(name))  # not a bare legal form such as 합자회사
    noisy = data.draw(inserted(name, st.one_of(INVISIBLE, SPACE)))
    assert normalise_organisation(noisy) == normalise_organisation(name)
    assert affiliation_conflict([Affiliation(noisy)], ["평택시", name], TODAY) == name


@PROPERTY
@given(data=st.data(), name=NAME, other=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3))
def test_a_different_name_with_invisible_characters_inserted_still_differs(data, name, other):
    position = data.draw(st.integers(min_value=0, max_value=len(name) - 1))
    assume(other != name[position])
    assume(normalise_organisation(name))
    different = name[:position] + other + name[position + 1 :]
    noisy = data.draw(inserted(different, st.one_of(INVISIBLE, SPACE)))
    assert normalise_organisation(noisy) != normalise_organisation(name)
    assert affiliation_conflict([Affiliation(noisy)], [name], TODAY) is None


@PROPERTY
@given(
    data=st.data(),
    written=st.sampled_from(
        [
            "(주)케빈랩",
            "주식회사 케빈랩",
            "㈜케빈랩",
            "재단법인 울산테크노파크",
            "KT Engineering Co., Ltd.",
            "SK 플래닛",
        ]
    ),
)
def test_legal_forms_are_found_through_invisible_characters(data, written):
    noisy = data.draw(inserted(written, INVISIBLE))
    assert normalise_organisation(noisy) == normalise_organisation(written)


@pytest.mark.parametrize(
    "junk",
    [
        "\u3164",
        "\u115f",
        "\u1160",
        "\u00ad",
        "\u034f",
        "\u200b",
        "\u200c",
        "\u200d",
        "\u2060",
        "\u2061",
        "\u2062",
        "\u2063",
        "\u2064",
        "\ufeff",
        "\ufe0f",
        "\u00a0",
        "\u202f",
        "\u2007",
        "\u3000",
    ],
)
def test_each_character_that_defeated_disqualification_is_folded(junk):
    assert normalise_organisation(f"{junk}울산{junk}대학교{junk}") == normalise_organisation("울산대학교")
