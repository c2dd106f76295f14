"""Publishing a competition's result (issue 4 §5): the checks, the frozen snapshot with its
SHA-256, and verification of a stored publication from its own inputs.

The snapshot holds ``inputs`` — the rules and settings, stages, categories and tracks, proposals
(no contact data), every counted sheet total by reviewer code (A, B, C… per proposal and stage,
as ``evaluation.reviewer_codes`` letters them; never a name), the tie-break criterion averages,
adjustments and draws — ``outcome`` — the ranking document of SPEC §6 and the totals of the
selected — and ``changes``: for a correction, what changed since the publication it supersedes
(``evaluation.corrections``; None for a first publication). ``outcome_from_inputs`` recomputes
the outcome from the inputs alone with the pure rules of ``evaluation.rules``; ``verify`` compares
it and the digest with what is stored. Nothing here reads the live tables once a publication
exists. Publishing also closes the evaluation: see ``evaluation.sheets``."""

import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from accounts.roles import Role, require_role
from proposals import canonical
from proposals.models import Competition, audit_context, audit_transaction

from . import integrity, rules
from .assignments import record_unrecorded_conflicts, unrecorded_conflicts
from .corrections import snapshot_changes
from .engine import published_outcome
from .exporting import ranking_groups
from .models import Assignment, Publication
from .ranking import rank_competition

# 2: reviewer codes per proposal and stage (``evaluation.reviewer_codes``) and the correction's
# ``changes`` (``evaluation.corrections``). 3: a correction's ``correction_reason`` (정정 사유).
SNAPSHOT_FORMAT = 3


class PublicationRefused(Exception):
    """Publishing was refused; ``messages`` lists every failed check."""

    def __init__(self, messages: list[str], codes=()):
        super().__init__("\n".join(messages))
        self.messages = list(messages)
        self.codes = set(codes)  # the failed checks' codes (e.g. "sheets", "draws")


# --- Canonical form and digest -----------------------------------------------------------------


def _text(value) -> str | None:
    """A Decimal (or number) as the snapshot stores it: a string, exact; None stays None."""
    if value is None:
        return None
    return format(Decimal(value), "f")


def canonical_json(snapshot) -> str:
    """The canonical serialisation the digest is computed over (sorted keys, no spaces, UTF-8)."""
    return canonical.canonical_json(snapshot)


def snapshot_digest(snapshot) -> str:
    return canonical.digest(snapshot)


# --- Checks ------------------------------------------------------------------------------------


@dataclass
class Check:
    """One precondition of publishing, for the page and the command."""

    code: str
    label: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    overridden: bool = False  # failed, but an official gave a written reason


def outstanding_sheets(competition) -> list[tuple]:
    """(stage name, reference, applicant, proposal id) of every sheet still owed
    (``Assignment.objects.owed``, SPEC §8.6), in stage order (one query)."""
    return list(
        Assignment.objects.owed(competition)
        .order_by("stage__order", "stage__code", "proposal__reference", "proposal_id", "pk")
        .values_list("stage__name", "proposal__reference", "proposal__applicant__name", "proposal_id")
    )


def publication_checks(competition, ranking=None, override_reason: str = "") -> list[Check]:
    """Every check of publishing, passing or failing (SPEC §2, issue 4 §5)."""
    if ranking is None:
        ranking = rank_competition(competition)
    override_reason = (override_reason or "").strip()
    checks = []

    stages_problems = [] if ranking.stages else [_("No evaluation stage is set up for this competition.")]
    checks.append(
        Check("stages", _("The competition has evaluation stages"), not stages_problems, stages_problems)
    )

    by_stage = defaultdict(list)
    outstanding = outstanding_sheets(competition)
    for stage_name, reference, applicant, _pk in outstanding:
        by_stage[stage_name].append(f"{applicant} ({reference})" if reference else applicant)
    sheet_problems = []
    if outstanding:  # SPEC §8.6: these proposals are pending, without a score or a rank
        sheet_problems.append(
            _(
                "%(count)s proposals are still being evaluated: sheets of their assigned reviewers are "
                "not submitted, so they have no score or rank yet."
            )
            % {"count": len({row[3] for row in outstanding})}
        )
    for stage_name, names in by_stage.items():
        shown = ", ".join(dict.fromkeys(names[:5]))
        more = len(names) - 5
        sheet_problems.append(
            _(
                "%(count)s assigned scoresheets of %(stage)s are not submitted (%(proposals)s%(more)s). "
                "Publish when every sheet is submitted, or give a written reason to publish anyway."
            )
            % {
                "count": len(names),
                "stage": stage_name,
                "proposals": shown,
                "more": (_(" and %(count)s more") % {"count": more}) if more > 0 else "",
            }
        )
    checks.append(
        Check(
            "sheets",
            _("Every assigned scoresheet is submitted"),
            not sheet_problems,
            sheet_problems,
            overridden=bool(sheet_problems and override_reason),
        )
    )

    conflict_problems = [
        _(
            "%(reviewer)s → %(proposal)s (%(stage)s): %(reason)s No conflict records this 제척, so "
            "the reviewer's sheet would still count. Publishing records it (the sheet then leaves "
            "the scores) and stops, so that the changed ranking can be checked before publishing again."
        )
        % {
            "reviewer": found.assignment.reviewer.name,
            "proposal": found.proposal_label,
            "stage": found.assignment.stage.name,
            "reason": found.conflict.reason,
        }
        for found in unrecorded_conflicts(competition)
    ]
    checks.append(
        Check(
            "conflicts",
            _("No assignment is disqualified by an affiliation without a recorded conflict"),
            not conflict_problems,
            conflict_problems,
        )
    )

    draw_problems = [
        _(
            "%(group)s: %(applicants)s share a rank at the last slot and no rule separates them. "
            "Record a draw before publishing."
        )
        % {"group": tie.name, "applicants": ", ".join(row.applicant for row in tie.rows)}
        for tie in unresolved_ties(ranking)
    ]
    checks.append(Check("draws", _("No unresolved tie at the last slot"), not draw_problems, draw_problems))
    return checks


@dataclass
class Tie:
    """Proposals of one ranking (a track, or a category pooling its slots) that share a rank
    across its last slot and that no rule separates (``draw_required``, SPEC §4.6)."""

    key: str  # unique within the competition: the ranking's key and the rank
    name: str  # the ranking's name ("거점형", "강소형 · 기후위기 대응형")
    rank: int
    rows: list = field(default_factory=list)  # the ranking's rows (``RankedProposal``)


def unresolved_ties(ranking) -> list[Tie]:
    """Every tie that needs a draw, in the order of the rankings: what the draw page offers and
    what the publication check refuses, from this one function."""
    ties: dict[str, Tie] = {}
    for group in ranking_groups(ranking):
        for row in group.rows:
            if row.status == rules.DRAW_REQUIRED:
                key = f"{group.key}-{row.rank}"
                ties.setdefault(key, Tie(key, group.name, row.rank)).rows.append(row)
    return list(ties.values())


def _failures(checks: list[Check]) -> list[str]:
    return [
        problem for check in checks if not check.passed and not check.overridden for problem in check.problems
    ]


def check_publishable(competition, override_reason: str = "") -> list[str]:
    """The messages of every failed check; empty when the competition may be published. Missing
    sheets pass when an official gives a written ``override_reason``."""
    return _failures(publication_checks(competition, override_reason=override_reason))


# --- Publishing --------------------------------------------------------------------------------


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
        failures = _failures(checks)
        if failures:
            raise PublicationRefused(failures, [c.code for c in checks if not c.passed and not c.overridden])
        inputs = ranking.inputs
        outcome = ranking.published_outcome()
        if previous is not None and _unchanged_since(previous, inputs, outcome):
            raise _unchanged_refusal(previous)
        if previous is not None and not correction_reason:  # published meanwhile by another
            raise PublicationRefused([correction_reason_missing(previous)], ["correction_reason"])
        snapshot = _plain(
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
                "changes": snapshot_changes(previous.snapshot, _plain(inputs), _plain(outcome))
                if previous
                else None,
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


def _plain(value):
    """JSON-plain data (Decimals as strings), exactly as it is stored and read back."""
    return json.loads(canonical_json(value))


def verify(publication: Publication) -> tuple[bool, list[str]]:
    """Recompute the outcome from the snapshot's inputs and the digest of the stored snapshot,
    and check the digest against the audit chain (``evaluation.integrity``); say whether each
    matches what was published."""
    snapshot = publication.snapshot
    messages, ok = [], True
    try:
        stored = snapshot["outcome"]
        recomputed = _plain(published_outcome(snapshot["inputs"], stored["ranking"].get("competition")))
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


def current_publication(competition) -> Publication | None:
    """The publication in force: the latest, which no other supersedes."""
    return Publication.objects.filter(competition=competition).order_by("-number").first()


__all__ = [
    "Check",
    "PublicationRefused",
    "Tie",
    "canonical_json",
    "check_publishable",
    "correction_reason_missing",
    "current_publication",
    "publication_checks",
    "publish",
    "snapshot_digest",
    "unresolved_ties",
    "verify",
]
