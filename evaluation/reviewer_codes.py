"""Reviewer codes (A, B, C…): the one way a reviewer is named beside a score outside the
reviewer's own pages and an admin's (SPEC §2: officials see scores, not who gave them; §7: exports
name reviewers by code). The officials' score page, the audit trail as officials see it, the
published snapshot, the exports and any later report all take their letters from here.

The basis, per proposal and stage: every assignment of the proposal in that stage — conflicted or
not, submitted, a draft or not started — in order of assignment id; the first is A, the next B,
…, Z, then AA, AB…. So:

- a reviewer keeps their letter while their sheet is a draft, after a conflict is recorded (their
  sheet then never counts, and the letter is shown as not counted) and across publications, so a
  correction names the same sheet with the same letter;
- the letters of one proposal and stage say nothing about another: the same person may be A on
  one proposal and C on the next, or in the next stage, so letters cannot be joined into a profile;
- only removing an assignment (Django admin) moves the letters of the later ones.
"""

import functools
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

from .cents import as_text, cents
from .models import Assignment, Scoresheet
from .stage_scores import stage_results


@functools.lru_cache(maxsize=1024)
def reviewer_code(index: int) -> str:
    """A, B, …, Z, AA, AB, … for the 0th, 1st, … assignment of a proposal in a stage."""
    code = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        code = chr(ord("A") + remainder) + code
    return code


def assignment_place():
    """An annotation of a stage's assignments: each one's place (1, 2, …) among its proposal's
    assignments, in order of id — ``reviewer_code(place - 1)`` is its reviewer's code. The one
    statement of the basis above, for every query that letters reviewers."""
    return Window(RowNumber(), partition_by=[F("proposal_id")], order_by=F("pk").asc())


def stage_reviewer_codes(stage, proposal_ids=None) -> dict[int, dict[int, str]]:
    """{proposal id: {reviewer id: code}} for every proposal assigned in ``stage`` (or those of
    ``proposal_ids``: whole proposals, so their places stand), in one query."""
    assignments = Assignment.objects.filter(stage=stage)
    if proposal_ids is not None:
        assignments = assignments.filter(proposal_id__in=list(proposal_ids))
    codes: dict[int, dict[int, str]] = defaultdict(dict)
    for proposal_id, reviewer_id, place in (
        assignments.annotate(place=assignment_place())
        .order_by()
        .values_list("proposal_id", "reviewer_id", "place")
    ):
        codes[proposal_id][reviewer_id] = reviewer_code(place - 1)
    return dict(codes)


def reviewer_codes(stage, proposal) -> dict[int, str]:
    """{reviewer id: code} of one proposal in one stage."""
    return stage_reviewer_codes(stage, [proposal.pk]).get(proposal.pk, {})


# --- Each reviewer's total by code, and whether it counts (SPEC §4.2) ---------------------------

KEPT, DROPPED_HIGH, DROPPED_LOW = "kept", "dropped_high", "dropped_low"
NOT_SUBMITTED, CONFLICT = "not_submitted", "conflict"
COUNTED = (KEPT, DROPPED_HIGH, DROPPED_LOW)  # submitted sheets that enter the trimmed mean
STATE_LABELS = {
    KEPT: _("Counted"),
    DROPPED_HIGH: _("Dropped as highest"),
    DROPPED_LOW: _("Dropped as lowest"),
    NOT_SUBMITTED: _("Not submitted"),
    CONFLICT: _("Conflict of interest: not counted"),
}


@dataclass(frozen=True)
class ReviewerSheet:
    """One assignment of a proposal in a stage as officials and exports see it: no name."""

    code: str
    total: Decimal | None  # the stored total of a counted sheet; None otherwise
    state: str  # one of COUNTED, NOT_SUBMITTED or CONFLICT


def stage_reviewer_sheets(stage, proposal_ids=None, results=None) -> dict[int, list[ReviewerSheet]]:
    """{proposal id: [ReviewerSheet in code order]} for ``stage`` (or the proposals of
    ``proposal_ids``: whole proposals, so their places stand) in two queries: the assignments with
    their places, sheets and conflict flags, and the stage results (unless ``results`` from
    ``stage_results`` are given)."""
    if proposal_ids is not None:
        proposal_ids = list(proposal_ids)
    if results is None:
        results = stage_results(stage, proposal_ids)
    states = {}
    for result in results.values():
        states.update({sheet_id: KEPT for sheet_id, _total in result.kept})
        states.update({sheet_id: DROPPED_HIGH for sheet_id, _total in result.dropped_high})
        states.update({sheet_id: DROPPED_LOW for sheet_id, _total in result.dropped_low})
    assignments = (
        Assignment.objects.filter(stage=stage).with_conflict_flag().annotate(place=assignment_place())
    )
    if proposal_ids is not None:
        assignments = assignments.filter(proposal_id__in=proposal_ids)
    rows: dict[int, list[ReviewerSheet]] = defaultdict(list)
    for proposal_id, place, is_conflicted, sheet_id, status, total in assignments.order_by(
        "proposal_id", "pk"
    ).values_list(
        "proposal_id", "place", "conflicted", "sheet__pk", "sheet__status", as_text("sheet__total")
    ):
        if is_conflicted:
            state = CONFLICT
        elif sheet_id is None or status != Scoresheet.Status.SUBMITTED:
            state = NOT_SUBMITTED
        else:
            state = states.get(sheet_id, CONFLICT)
        rows[proposal_id].append(
            ReviewerSheet(reviewer_code(place - 1), cents(total) if state in COUNTED else None, state)
        )
    return dict(rows)
