"""Publishing: the frozen snapshot of a competition's ranking inputs and outcome, its digest in
the audit chain, and corrections that supersede an earlier publication (SPEC §2, §6)."""

from django.utils.translation import gettext as _

from accounts.roles import Role, require_role
from proposals.models import Competition, audit_context, audit_transaction

from .. import integrity
from ..assignments import record_unrecorded_conflicts
from ..corrections import accepted_uncited, cited_in_snapshot, snapshot_changes
from ..models import Publication
from ..ranking import rank_competition
from .checks import failed_messages, publication_checks
from .digest import SNAPSHOT_FORMAT, canonical_json, plain, snapshot_digest


class PublicationRefused(Exception):
    """Publishing was refused; ``messages`` lists every failed check."""

    def __init__(self, messages: list[str], codes=()):
        super().__init__("\n".join(messages))
        self.messages = list(messages)
        self.codes = set(codes)  # the failed checks' codes (e.g. "sheets", "draws")


def correction_reason_missing(previous: Publication) -> str:
    """What publishing a correction without its reason is told (the page, the command, a shell)."""
    return _(
        "This publication would correct publication no. %(number)s: write the reason for the "
        "correction (정정 사유). It is published with the result and kept under its SHA-256. "
        "Nothing was published."
    ) % {"number": previous.number}


def _correction_refusal(competition, previous: Publication) -> PublicationRefused:
    """Why a correction without a reason is refused: nothing to correct (a double click, the same
    state published again) or the missing reason; records that do not verify come first, as in
    ``publish``. Reads only (the competition as stored, as ``publish`` reads it)."""
    competition = Competition.objects.get(pk=competition.pk)
    _refuse_unless_verified(competition, previous)
    ranking = rank_competition(competition, closing=True)
    if _unchanged_since(previous, ranking.inputs, ranking.published_outcome()):
        return _unchanged_refusal(previous)
    return PublicationRefused([correction_reason_missing(previous)], ["correction_reason"])


def _unchanged_refusal(previous: Publication) -> PublicationRefused:
    # A double click, or a second official publishing the same state: a correction must correct
    # something.
    return PublicationRefused(
        [
            _(
                "Nothing has changed since publication no. %(number)s (the same scores, "
                "adjustments, draws and result); no correction was published."
            )
            % {"number": previous.number}
        ],
        ["unchanged"],
    )


def publish(competition, user, override_reason: str = "", correction_reason: str = "") -> Publication:
    """Freeze and publish the competition's current result; a later call publishes a correction
    that supersedes the previous publication, and only with a written ``correction_reason``
    (정정 사유), which the snapshot keeps under its digest and the public page shows. Raises
    ``PublicationRefused`` with every failed check; nothing is written then.

    Nothing is published over records that do not verify (``evaluation.integrity``): a broken
    audit chain, a submitted sheet changed in the database after its submission, or an earlier
    publication of the competition — above all the one a correction supersedes — whose snapshot
    no longer hashes to its digest or whose digest is not the one in the chain.

    Concurrency: the competition's row is locked ``FOR UPDATE`` before anything is read, and every
    query below runs after it (READ COMMITTED: each sees all that committed before the lock).
    Saving, submitting and reopening a sheet hold the same row ``FOR SHARE``
    (``evaluation.sheets``), and imports hold it ``FOR UPDATE``, so none of them commits while a
    publication reads: the publication waits for those under way and includes them, and those
    arriving later wait for it. ``FOR UPDATE`` (not ``NO KEY UPDATE``) also holds back every other
    transaction that inserted a row referring to the competition (a stage, a proposal, a pledge):
    its foreign key is checked with ``FOR KEY SHARE`` on this row before it appends to the audit
    chain. The audit entries (the publication's, with its digest, and the competition's status)
    are appended last (``audit_transaction``; lock order in ``evaluation.sheets``)."""
    override_reason = (override_reason or "").strip()
    correction_reason = (correction_reason or "").strip()
    require_role(user, Role.OFFICIAL, Role.ADMIN, action=_("publishing the result"))
    # Before anything is written (the conflicts below): a correction needs its reason.
    previous = current_publication(competition)
    if previous is not None and not correction_reason:
        raise _correction_refusal(competition, previous)
    # An affiliation or a partner changed after an assignment: record the 제척 first (its sheet
    # stops counting, SPEC §3) and stop, so that nobody publishes a ranking they have not seen.
    newly_conflicted = record_unrecorded_conflicts(competition, user)
    if newly_conflicted:
        raise PublicationRefused(
            [
                _(
                    "Conflicts of interest found since the assignments were made have been recorded; "
                    "their sheets no longer count. Check the ranking, then publish again. Nothing was "
                    "published."
                ),
                *(found.message() for found in newly_conflicted),
            ],
            ["conflicts"],
        )
    with audit_transaction():
        competition = Competition.objects.select_for_update().get(pk=competition.pk)
        previous = current_publication(competition)
        _refuse_unless_verified(competition, previous)
        # With a written reason, unsubmitted sheets are published as closed: nothing is pending.
        ranking = rank_competition(competition, closing=bool(override_reason))
        checks = publication_checks(competition, ranking, override_reason)
        failures = failed_messages(checks)
        if failures:
            raise PublicationRefused(failures, [c.code for c in checks if not c.passed and not c.overridden])
        inputs = ranking.inputs
        outcome = ranking.published_outcome()
        if previous is not None and _unchanged_since(previous, inputs, outcome):
            raise _unchanged_refusal(previous)
        if previous is not None and not correction_reason:  # published meanwhile by another
            raise PublicationRefused([correction_reason_missing(previous)], ["correction_reason"])
        # Accepted appeals (이의신청 인용) still waiting for their correction: this one cites them.
        cited = (
            list(accepted_uncited(competition).select_related("publication", "letter")) if previous else []
        )
        snapshot = plain(
            {
                "format": SNAPSHOT_FORMAT,
                "competition": {"slug": competition.slug, "name": competition.name, "year": competition.year},
                "number": previous.number + 1 if previous else 1,
                "supersedes": {"number": previous.number, "digest": previous.digest} if previous else None,
                "override_reason": override_reason,
                # 정정 사유: why this publication corrects the previous one (None for a first).
                "correction_reason": correction_reason if previous else None,
                "inputs": inputs,
                "outcome": outcome,
                # 정정 사항: what changed since the publication this one supersedes (None for a first).
                "changes": snapshot_changes(previous.snapshot, plain(inputs), plain(outcome))
                if previous
                else None,
                # Only where a correction follows accepted appeals: other snapshots keep their shape.
                **({"appeals": cited_in_snapshot(cited)} if cited else {}),
            }
        )
        publication = Publication(
            competition=competition,
            number=snapshot["number"],
            snapshot=snapshot,
            digest=snapshot_digest(snapshot),
            published_by=user,
            supersedes=previous,
            override_reason=override_reason,
        )
        # The "publication.created" entry records the digest in the chain, with the reasons.
        reason = "\n".join(text for text in (snapshot["correction_reason"], override_reason) if text)
        with audit_context(user, reason):
            publication.save()
            for appeal in cited:  # audited one by one: each appeal's record names its correction
                appeal.corrected_by = publication
                appeal.save(update_fields=["corrected_by"])
            Competition.objects.filter(pk=competition.pk).update(status=Competition.Status.PUBLISHED)
        competition.status = Competition.Status.PUBLISHED
    return publication


def _refuse_unless_verified(competition, previous) -> None:
    """Raise ``PublicationRefused`` when the competition's records do not verify."""
    report = integrity.check_integrity(competition)
    if report.ok:
        return
    if previous is not None and any(
        problem.kind == "publication" and problem.record_id == previous.pk for problem in report.problems
    ):
        head = _(
            "Publication no. %(number)s (id %(id)s), which a new publication would supersede, does not "
            "verify; nothing was published."
        ) % {"number": previous.number, "id": previous.pk}
    else:
        head = _(
            "The records of this competition do not verify; nothing was published. Find out what was "
            "changed (python manage.py verify_integrity) before publishing."
        )
    raise PublicationRefused([head, *(problem.message for problem in report.problems[:5])], ["integrity"])


def _unchanged_since(previous: Publication, inputs: dict, outcome: dict) -> bool:
    """True when ``previous`` froze these very inputs and outcome."""
    return canonical_json(previous.snapshot.get("inputs")) == canonical_json(inputs) and canonical_json(
        previous.snapshot.get("outcome")
    ) == canonical_json(outcome)


def current_publication(competition) -> Publication | None:
    """The publication in force: the latest, which no other supersedes."""
    return Publication.objects.filter(competition=competition).order_by("-number").first()
