"""Cell parsers: each takes the raw value openpyxl read and returns a clean value or raises
``CellError`` with a Korean-first message (SPEC §5). Nothing else escapes from them."""

import datetime
import functools
import re
import sys
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

_SPACES = re.compile(r"\s+")  # every kind of space: str.isspace(), NBSP, U+202F, U+2007, U+3000 …
# Numbers are written in ASCII or full-width digits (SPEC §5); full-width ones become ASCII by NFKC.
_PLAIN_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_GROUPED_NUMBER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_POINTS = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_AMOUNT_UNIT = re.compile(r"(?:억\s*원|억)$")
_DATE_TEXT = re.compile(r"(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})\s*[.일]?")
_LIST_SPLIT = {
    "semicolon": re.compile(r"[;\n\r]+"),
    "comma": re.compile(r"[,\n\r]+"),
}


class CellError(Exception):
    """A cell's value cannot be used; the message is ready to show (translated)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def shown(value) -> str:
    """The value as the user typed it, shortened for a message."""
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def track_options(tracks) -> str:
    """The tracks a cell may name, each by its name and code: ``거점형(hub), 기후위기 대응형(climate)``
    (a track cell accepts either, SPEC §5)."""
    return ", ".join(f"{name}({code})" for code, name in tracks)


# --- Invisible characters ------------------------------------------------------------------
# What a user cannot see must not tell two names apart. Folded by Unicode category and property,
# not by a list of the characters someone happened to paste: every format character (category
# Cf: zero-width spaces and joiners, U+2060–U+2064, the soft hyphen, BOM, bidirectional
# controls, tags …) and every other default-ignorable code point (Unicode PropList.txt,
# Other_Default_Ignorable_Code_Point and Variation_Selector, which ``unicodedata`` does not
# expose): the combining grapheme joiner, the Hangul fillers, variation selectors.
_OTHER_DEFAULT_IGNORABLE = (
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x2065, 0x2065),
    (0x3164, 0x3164),  # Hangul filler
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),
    (0xE0000, 0xE0FFF),  # tags and the rest of their block
)
_VARIATION_SELECTORS = ((0x180B, 0x180D), (0x180F, 0x180F), (0xFE00, 0xFE0F), (0xE0100, 0xE01EF))


@functools.cache
def _invisible() -> re.Pattern:
    """One character class of every invisible character (built once, on first use)."""
    ranges = [*_OTHER_DEFAULT_IGNORABLE, *_VARIATION_SELECTORS]
    ranges += [(code, code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"]
    merged: list[list[int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    return re.compile("[" + "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in merged) + "]+")


def strip_invisible(text: str) -> str:
    """``text`` without format characters and other default-ignorable code points (see above).
    Spaces are kept: they are visible, and callers fold them as they need."""
    return text if text.isascii() else _invisible().sub("", text)


def clean_text(value) -> str:
    """Invisible characters removed, NFC, surrounding space stripped; '' for empty cells."""
    if value is None:
        return ""
    if type(value) is not str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        value = str(value)
    if not value.isascii():
        value = strip_invisible(value)
        if not unicodedata.is_normalized("NFC", value):
            value = unicodedata.normalize("NFC", value)
    return value.strip()


def fold(text: str) -> str:
    """Header and name comparison key: NFKC, casefold, without invisible characters or any space."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", strip_invisible(text)).casefold())


def text(max_length: int):
    def parse(value) -> str:
        result = clean_text(value)
        if len(result) > max_length:
            raise CellError(
                _("Longer than %(max)s characters (%(length)s).")
                % {"max": f"{max_length:,}", "length": f"{len(result):,}"}
            )
        return result

    return parse


def name(max_length: int):
    """A short name: like text, with inner runs of space collapsed to one."""
    parse_text = text(max_length)

    def parse(value) -> str:
        return _SPACES.sub(" ", parse_text(value))

    return parse


def text_list(separator: str, max_items: int = 100, max_length: int = 200):
    """A list written one per line or separated by ';' (or ',')."""
    splitter = _LIST_SPLIT[separator]

    def parse(value) -> list[str]:
        items = [item.strip() for item in splitter.split(clean_text(value))]
        items = [_SPACES.sub(" ", item) for item in items if item]
        if len(items) > max_items:
            raise CellError(_("More than %(max)s items.") % {"max": max_items})
        for item in items:
            if len(item) > max_length:
                raise CellError(
                    _("An item is longer than %(max)s characters: '%(value)s'")
                    % {"max": max_length, "value": shown(item)}
                )
        return items

    return parse


def _foreign_digits(text: str) -> bool:
    """True when ``text`` holds a digit other than ASCII or full-width ones (٣, ३, 𝟓, ²…), which
    NFKC would otherwise turn into ASCII digits or ``Decimal`` would read."""
    return any(ch.isdigit() and not ("0" <= ch <= "9" or "０" <= ch <= "９") for ch in text)


def points(value) -> Decimal | None:
    """A criterion's points (SPEC §4.1, §5): a number cell, or text of ASCII or full-width digits
    with an optional decimal point and minus sign; ``-0`` is 0; empty: None. Range and step are
    checked by the rules (``evaluation.rules.points_error``). The score form reads points with it too."""
    if value is None:
        return None
    if isinstance(value, bool | datetime.date | datetime.time):
        raise CellError(_("Not a number: '%(value)s'") % {"value": shown(value)})
    if isinstance(value, int | float | Decimal):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    else:
        raw = clean_text(value)
        if not raw:
            return None
        compact = _SPACES.sub("", unicodedata.normalize("NFKC", raw))
        if _foreign_digits(raw) or not _POINTS.fullmatch(compact):
            raise CellError(_("Not a number: '%(value)s'") % {"value": shown(raw)})
        number = Decimal(compact)
    if not number.is_finite():
        raise CellError(_("Not a number: '%(value)s'") % {"value": shown(value)})
    return abs(number) if number.is_zero() else number


def amount(value) -> Decimal:
    """An amount in 억원: ``200``, ``200.5``, ``1,200``, ``200억``, full-width digits (SPEC §5).

    At most two decimals, never negative. Anything else — dates, booleans, words — is an error.
    """
    if isinstance(value, (bool, datetime.date | datetime.time)):
        raise CellError(_("Not a number: '%(value)s'") % {"value": shown(value)})
    if isinstance(value, int | float | Decimal):
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            raise CellError(_("Not a number: '%(value)s'") % {"value": shown(value)}) from None
        if not number.is_finite():
            raise CellError(_("Not a number: '%(value)s'") % {"value": shown(value)})
    else:
        raw = clean_text(value)
        if _foreign_digits(raw):
            raise CellError(_("Not a number: '%(value)s'") % {"value": shown(raw)})
        compact = _SPACES.sub("", unicodedata.normalize("NFKC", raw))
        compact = _AMOUNT_UNIT.sub("", compact)
        if compact.startswith("-") and _PLAIN_NUMBER.fullmatch(compact[1:].replace(",", "")):
            raise CellError(_("Must be 0 or more: '%(value)s'") % {"value": shown(raw)})
        if _PLAIN_NUMBER.fullmatch(compact):
            number = Decimal(compact)
        elif _GROUPED_NUMBER.fullmatch(compact):
            number = Decimal(compact.replace(",", ""))
        else:
            raise CellError(_("Not a number: '%(value)s'") % {"value": shown(raw)})
    if number < 0:
        raise CellError(_("Must be 0 or more: '%(value)s'") % {"value": shown(value)})
    if number >= Decimal("10000000000"):  # before quantize, which fails past 28 digits
        raise CellError(_("Too large: '%(value)s'") % {"value": shown(value)})
    if number.as_tuple().exponent < -2 and number != number.quantize(Decimal("0.01")):
        raise CellError(_("At most two decimal places: '%(value)s'") % {"value": shown(value)})
    return number.quantize(Decimal("0.01"))


def date(value) -> datetime.date | None:
    """A date cell, or text like 2023-03-31, 2023.3.31, 2023/03/31, 2023년 3월 31일."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raw = clean_text(value)
    if not raw:
        return None
    match = _DATE_TEXT.fullmatch(unicodedata.normalize("NFKC", raw))
    if match:
        try:
            return datetime.date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise CellError(_("Not a date: '%(value)s'") % {"value": shown(raw)})


def email(value) -> str:
    raw = clean_text(value)
    if not raw:
        return ""
    try:
        validate_email(raw)
    except ValidationError:
        raise CellError(_("Not an e-mail address: '%(value)s'") % {"value": shown(raw)}) from None
    return raw.lower() if len(raw) <= 254 else raw


def choice(options: dict[str, str], default: str | None, describe: str):
    """One of a fixed set, matched after folding; ``options`` maps folded spellings to values.

    ``describe`` lists the accepted spellings for the message.
    """

    def parse(value) -> str:
        raw = clean_text(value)
        if not raw:
            if default is None:
                raise CellError(_("Required value is missing."))
            return default
        try:
            return options[fold(raw)]
        except KeyError:
            raise CellError(
                _("Unknown value: '%(value)s' (one of %(options)s)")
                % {"value": shown(raw), "options": describe}
            ) from None

    return parse


def yes_no(value) -> bool | None:
    raw = clean_text(value)
    if not raw:
        return None
    folded = fold(raw)
    if folded in {"y", "yes", "예", "네", "o", "true", "1", "외부"}:
        return True
    if folded in {"n", "no", "아니오", "아니요", "x", "false", "0", "내부"}:
        return False
    raise CellError(_("Enter Y or N: '%(value)s'") % {"value": shown(raw)})
