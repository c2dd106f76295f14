"""Property tests of the cell parsers (issue 5 §3): for any value openpyxl may hand them they
return a value of the right type or raise ``CellError`` — nothing else."""

import datetime
import unicodedata
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from proposals.importing import cells

ANY_CELL = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet="0123456789,.-억원 １２３\u200b\u3000"),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.booleans(),
)
FAST = settings(max_examples=150, deadline=None)
TRACKS = cells.choice({cells.fold("hub"): "hub", cells.fold("거점형"): "hub"}, None, "hub, 거점형")
PARSERS = {
    "amount": (cells.amount, Decimal),
    "track": (TRACKS, str),
    "yes_no": (cells.yes_no, (bool, type(None))),
    "date": (cells.date, (datetime.date, type(None))),
    "text": (cells.text(300), str),
    "name": (cells.name(60), str),
    "text_list": (cells.text_list("semicolon"), list),
    "email": (cells.email, str),
}


@pytest.mark.parametrize("kind", PARSERS)
@FAST
@given(value=ANY_CELL)
@example(value="123456789012345678901234567890.123")  # quantize fails past 28 digits
@example(value=Decimal("sNaN"))
@example(value=float("nan"))
def test_parsers_return_a_value_or_raise_cell_error(kind, value):
    parse, expected_type = PARSERS[kind]
    try:
        result = parse(value)
    except cells.CellError as error:
        assert isinstance(error.message, str) and error.message
        return
    assert isinstance(result, expected_type)


@FAST
@given(st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2))
def test_amount_written_with_thousands_separators_parses_back(number):
    assert cells.amount(f"{number:,}") == number
    assert cells.amount(f"{number:,}억") == number


@FAST
@given(st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2))
def test_amount_accepts_full_width_digits(number):
    full_width = str(number).translate({ord(d): 0xFF10 + int(d) for d in "0123456789"})
    assert cells.amount(full_width) == number


@FAST
@given(st.text())
def test_nfd_and_nfc_text_parse_to_the_same_value(text):
    for parse in (cells.text(10_000), cells.name(10_000), cells.text_list("comma", 10_000, 10_000)):
        try:
            nfc = parse(unicodedata.normalize("NFC", text))
        except cells.CellError:
            continue
        assert parse(unicodedata.normalize("NFD", text)) == nfc


@FAST
@given(st.dates(min_value=datetime.date(1000, 1, 1)))
def test_date_text_spellings_parse_back(day):
    for spelling in (
        f"{day:%Y-%m-%d}",
        f"{day.year}.{day.month}.{day.day}",
        f"{day.year}년 {day.month}월 {day.day}일",
    ):
        assert cells.date(spelling) == day


@FAST
@given(st.sampled_from(["Y", "y", " yes ", "예", "Ｙ", "N", "no", "아니오", "Ｎ"]))
def test_yes_no_spellings(value):
    assert cells.yes_no(value) is (cells.fold(value) in {"y", "yes", "예"})


@pytest.mark.parametrize("text", ["٣", "२००", "𝟐𝟎𝟎", "٢٠٠억"])
def test_amount_refuses_digits_other_than_ascii_and_full_width(text):
    with pytest.raises(cells.CellError) as refused:
        cells.amount(text)
    assert refused.value.message == f"숫자가 아닙니다: '{text}'"


# Characters nobody sees (format characters by category; Hangul fillers, variation selectors and
# the combining grapheme joiner, which Unicode lists as default-ignorable) never change a header,
# a track or a name as the importers compare them, and are dropped from the text they keep.
INVISIBLE = st.one_of(
    st.characters(categories=["Cf"]),
    st.sampled_from(["\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\ufe0f", "\U000e0100", "\u180b"]),
)


@FAST
@given(data=st.data(), text=st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=20))
def test_invisible_characters_inserted_anywhere_fold_away(data, text):
    chars = list(text)
    for _ in range(data.draw(st.integers(min_value=1, max_value=6))):
        chars.insert(data.draw(st.integers(min_value=0, max_value=len(chars))), data.draw(INVISIBLE))
    noisy = "".join(chars)
    assert cells.fold(noisy) == cells.fold(text)
    assert cells.clean_text(noisy) == cells.clean_text(text)
