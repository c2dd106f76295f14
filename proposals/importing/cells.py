"""Cell parsers: each takes the raw value openpyxl read and returns a clean value or raises
``CellError`` with a Korean-first message (SPEC §5). Nothing else escapes from them."""

import datetime
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_ZERO_WIDTH_CHARS = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")
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


def clean_text(value) -> str:
    """NFC, zero-width characters removed, surrounding space stripped; '' for empty cells."""
    if value is None:
        return ""
    if type(value) is not str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        value = str(value)
    if not value.isascii():
        if not unicodedata.is_normalized("NFC", value):
            value = unicodedata.normalize("NFC", value)
        if _ZERO_WIDTH_CHARS.search(value):
            value = value.translate(ZERO_WIDTH)
    return value.strip()


def fold(text: str) -> str:
    """Header and name comparison key: NFKC, casefold, without any whitespace."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text).translate(ZERO_WIDTH).casefold())


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
