"""Publishing a competition's result (SPEC §2, §6): the checks (``checks``), the frozen snapshot
with its SHA-256 (``publishing``, ``digest``), and verification of a stored publication from its own
inputs (``verify``).

The snapshot holds ``inputs`` — exactly what ``evaluation.ranking.ranking_inputs`` loads for the
ranking engine: the rules and settings, stages, categories and tracks, proposals (no contact data),
every counted sheet total by reviewer code (A, B, C… per proposal and stage, as
``evaluation.reviewer_codes`` letters them; never a name), the tie-break criterion averages,
adjustments and draws — ``outcome`` — what ``evaluation.engine.rank`` makes of those inputs: the
ranking document of SPEC §6 and the totals of the selected — and ``changes``: for a correction,
what changed since the publication it supersedes (``evaluation.corrections``; None for a first
publication). ``verify`` ranks the stored inputs again with the same engine and compares the
outcome and the digest with what is stored. Nothing here reads the live tables once a publication
exists. Publishing also closes the evaluation: see ``evaluation.sheets``."""

from .checks import Check, Tie, check_publishable, outstanding_sheets, publication_checks, unresolved_ties
from .digest import SNAPSHOT_FORMAT, canonical_json, plain, snapshot_digest
from .publishing import PublicationRefused, correction_reason_missing, current_publication, publish
from .verify import verify

__all__ = [
    "SNAPSHOT_FORMAT",
    "Check",
    "PublicationRefused",
    "Tie",
    "canonical_json",
    "check_publishable",
    "correction_reason_missing",
    "current_publication",
    "outstanding_sheets",
    "plain",
    "publication_checks",
    "publish",
    "snapshot_digest",
    "unresolved_ties",
    "verify",
]
