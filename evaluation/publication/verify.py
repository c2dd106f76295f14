"""Verifying a stored publication from its own inputs (SPEC §2): rank them again with the one
engine, hash the snapshot again, and check the digest against the audit chain."""

from django.utils.translation import gettext as _

from .. import integrity
from ..engine import published_outcome
from ..models import Publication
from .digest import plain, snapshot_digest


def verify(publication: Publication) -> tuple[bool, list[str]]:
    """Recompute the outcome from the snapshot's inputs and the digest of the stored snapshot,
    and check the digest against the audit chain (``evaluation.integrity``); say whether each
    matches what was published."""
    snapshot = publication.snapshot
    messages, ok = [], True
    try:
        stored = snapshot["outcome"]
        recomputed = plain(published_outcome(snapshot["inputs"], stored["ranking"].get("competition")))
        outcome_ok = recomputed == stored
    except (KeyError, TypeError, ValueError, ArithmeticError, IndexError) as error:
        outcome_ok = False
        messages.append(_("The snapshot cannot be read: %(error)s") % {"error": repr(error)})
    if outcome_ok:
        messages.append(
            _("Outcome: match — the result recomputed from the snapshot's inputs is the published one.")
        )
    else:
        ok = False
        messages.append(
            _(
                "Outcome: MISMATCH — the result recomputed from the snapshot's inputs differs from the published one."
            )
        )
    digest = snapshot_digest(snapshot)
    if digest == publication.digest:
        messages.append(_("Digest: match (SHA-256 %(digest)s).") % {"digest": digest})
    else:
        ok = False
        messages.append(
            _("Digest: MISMATCH — stored %(stored)s, computed %(computed)s.")
            % {"stored": publication.digest, "computed": digest}
        )
    # A snapshot rewritten with a recomputed digest still matches itself: the chain holds the
    # digest as published.
    chain_ok, chain_messages = integrity.verify_publication_chain(publication)
    return ok and chain_ok, messages + chain_messages
