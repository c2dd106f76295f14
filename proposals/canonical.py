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
import hashlib
import json
from decimal import Decimal


def _default(value):
    if isinstance(value, Decimal):
        return format(value, "f")
    raise TypeError(f"not serialisable: {type(value).__name__}")


def canonical_json(value) -> str:
    """The canonical serialisation (sorted keys, no spaces, UTF-8 text, Decimals as strings)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_default)


def digest(value) -> str:
    """SHA-256 (hex) of the canonical serialisation's UTF-8 bytes."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def jsonable(value):
    """Model values as JSON-plain data: Decimals, dates and floats as text, models as their pk."""
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        # jsonb would give 1e+20 back as 100000000000000000000: keep floats out of digests.
        return repr(value)
    if isinstance(value, datetime.date | datetime.datetime | datetime.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(jsonable(item) for item in value)
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    pk = getattr(value, "pk", None)  # a model instance
    if pk is not None:
        return pk
    return str(value)


def plain(value):
    """``value`` exactly as a JSON column stores and returns it (on SQLite and PostgreSQL)."""
    if value is None:
        return None
    return json.loads(canonical_json(jsonable(value)))


def utc_text(moment: datetime.datetime) -> str:
    """A timestamp in the canonical form: UTC, microseconds, ``Z`` (``2023-05-04T01:02:03.000004Z``)."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
