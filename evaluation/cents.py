"""Sheet totals and points (two decimal places in the database) read as text and made Decimals
once per distinct text: a ranking or an export reads hundreds of thousands of them with a few
hundred distinct values, and Django's per-value decimal converter was half the time of reading
140,000 sheets on SQLite. Decimals are immutable, so one object serves every sheet."""

import functools
from decimal import Decimal

from django.db.models import CharField
from django.db.models.functions import Cast

CENT = Decimal("0.01")


def as_text(field: str) -> Cast:
    """The column ``field`` as text, for ``cents``."""
    return Cast(field, CharField())


@functools.lru_cache(maxsize=65536)
def cents(text: str | None) -> Decimal | None:
    """A total or points from its text, with its two decimal places; None stays None."""
    return None if text is None else Decimal(text).quantize(CENT)
