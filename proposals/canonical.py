"""The canonical JSON form that every SHA-256 of the product is computed over: the audit chain's
entries, a submitted scoresheet's content and a publication's snapshot.

Canonical: keys sorted, no spaces, UTF-8 (no ``\\u`` escapes), Decimals as exact strings. A
digest computed here can be recomputed by anyone from the stored JSON with any language's JSON
library: ``sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")))``.

``plain`` turns a value into exactly what a JSON column gives back on SQLite and on PostgreSQL
(``jsonb`` reorders keys, which the sorting makes irrelevant, and rewrites numbers such as
``1e+20`` as ``100000000000000000000``): floats never enter a digested value, so every number
in it is an integer, and integers round-trip unchanged through both databases.
"""

import datetime
import functools
import hashlib
import json
from decimal import Decimal


def _default(value):
    """Values JSON has no type for: Decimals and dates as text, sets as sorted lists, model
    objects as their pk (``json.dumps`` asks only for these: the C encoder does the rest)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(plain(list(value)), key=canonical_json)
    pk = getattr(value, "pk", None)  # a model object
    if pk is not None:
        return pk
    raise TypeError(f"not serialisable: {type(value).__name__}")


# What json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)
# builds on every call, built once (an import serialises 100,000 audit values).
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)


def canonical_json(value) -> str:
    """The canonical serialisation (sorted keys, no spaces, UTF-8 text, Decimals as strings)."""
    return _CANONICAL.encode(value)


def digest(value) -> str:
    """SHA-256 (hex) of the canonical serialisation's UTF-8 bytes."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def _text(literal: str) -> str:
    return literal


def plain(value):
    """``value`` as JSON-plain data, exactly as a JSON column stores and returns it on SQLite and
    on PostgreSQL: Decimals, dates and floats as text (``1e+20`` stays ``"1e+20"``, which jsonb
    would have rewritten), tuples as lists, keys as strings, model objects as their pk."""
    if value is None:
        return None
    return json.loads(canonical_json(value), parse_float=_text, parse_constant=_text)


jsonable = plain  # the name the audit code uses for "model values as JSON data"


@functools.lru_cache(maxsize=256)  # the entries of one append share their time
def utc_text(moment: datetime.datetime) -> str:
    """A timestamp in the canonical form: UTC, microseconds, ``Z`` (``2023-05-04T01:02:03.000004Z``)."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
