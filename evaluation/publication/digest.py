"""A publication's canonical form and its SHA-256 (SPEC §2)."""

import json

from proposals import canonical

# 2: reviewer codes per proposal and stage (``evaluation.reviewer_codes``) and the correction's
# ``changes`` (``evaluation.corrections``). 3: a correction's ``correction_reason`` (정정 사유).
SNAPSHOT_FORMAT = 3


def canonical_json(snapshot) -> str:
    """The canonical serialisation the digest is computed over (sorted keys, no spaces, UTF-8)."""
    return canonical.canonical_json(snapshot)


def snapshot_digest(snapshot) -> str:
    return canonical.digest(snapshot)


def plain(value):
    """JSON-plain data (Decimals as strings), exactly as it is stored and read back."""
    return json.loads(canonical_json(value))
