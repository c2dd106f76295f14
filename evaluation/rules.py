"""The rules of Korean public evaluation (SPEC §4) as pure functions: plain values in, plain
values out, no ORM. Find a rule here by its name in SPEC."""

from decimal import ROUND_HALF_UP, Decimal


def round_half_up(value: Decimal, places: int = 2) -> Decimal:
    """Round as published: half-up, to `places` decimals (SPEC §4.5)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def competition_ratio(applicants: int, slots: int | None) -> str | None:
    """Competition ratio (경쟁률, SPEC §4.7): applicants ÷ slots as ``5:1``, ``3.5:1``, ``2.3:1``.

    One decimal, rounded half-up, a trailing ``.0`` dropped. None when there are no slots.
    """
    if not slots:
        return None
    ratio = round_half_up(Decimal(applicants) / Decimal(slots), 1)
    text = format(ratio, "f")
    if text.endswith(".0"):
        text = text[:-2]
    return f"{text}:1"
