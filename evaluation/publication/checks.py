"""What must hold before a result is published (SPEC §2, §3, §4.6, §8.6), for the page and the
command: every check, passing or failing, with its problems."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .. import rules
from ..assignments import unrecorded_conflicts
from ..exporting import ranking_groups
from ..models import Assignment
from ..ranking import rank_competition


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
    """Every check of publishing, passing or failing (SPEC §2, §8.6)."""
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


def failed_messages(checks: list[Check]) -> list[str]:
    return [
        problem for check in checks if not check.passed and not check.overridden for problem in check.problems
    ]


def check_publishable(competition, override_reason: str = "") -> list[str]:
    """The messages of every failed check; empty when the competition may be published. Missing
    sheets pass when an official gives a written ``override_reason``."""
    return failed_messages(publication_checks(competition, override_reason=override_reason))
