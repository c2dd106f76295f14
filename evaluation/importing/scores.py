"""Submitted scoresheets of one stage (SPEC §5, ``import_scores``).

One row per reviewer × proposal: ``평가위원`` (username or e-mail), ``접수번호`` or ``트랙`` +
``지자체``, one column per criterion code of the stage (the header is the code, e.g. ``C1``) and
``의견``. The columns depend on the stage, so they are built when the importer is made.

Rows are checked as the score form checks them (``evaluation.sheets.point_messages``) and written
through ``evaluation.sheets.submit``, so each sheet is submitted with its stored total and audit
records. A reviewer not yet assigned is assigned (source: import) unless conflicted; a proposal
that did not reach the stage cannot be scored in it. After the competition's result is published,
a row that would change a sheet is refused as ``evaluation.sheets`` refuses it (the evaluation is
closed), unless an official reopened that sheet; a row equal to the submitted sheet stays
"unchanged". All rows or none are written.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from proposals.importing import cells
from proposals.importing.engine import Column, FieldChange, Importer, RowError, RowStatus
from proposals.importing.workbook import SpreadsheetError
from proposals.models import Competition, Proposal, audit_context

from ..advancement import proposals_in_stage
from ..models import Assignment, Criterion, Publication, Reviewer, Scoresheet, Stage
from ..models.conflict import ConflictOfInterest, conflicts_between, recorded_conflicts
from ..rules import plain_number
from ..sheets import (
    CheckedSheet,
    SheetInput,
    closed_error,
    closing_publication_id,
    criteria_for,
    is_closed,
    point_messages,
    submit_checked,
)
from .lookup import ProposalLookup

CRITERION = "criterion:"


@dataclass(slots=True)
class PlannedSheet:
    reviewer: Reviewer
    proposal: Proposal
    data: SheetInput
    assignment: Assignment | None
    sheet: Scoresheet | None
    criteria: list[Criterion] = field(default_factory=list)


class ScoreImporter(Importer):
    kind = "scores"

    def __init__(self, stage: Stage, actor=None):
        super().__init__(actor=actor)
        self.stage = stage
        self.competition: Competition = stage.competition
        self.codes = list(
            dict.fromkeys(
                Criterion.objects.filter(rubric__stage=stage)
                .order_by("rubric_id", "order", "code")
                .values_list("code", flat=True)
            )
        )
        self.columns = (
            Column(
                "reviewer",
                ("평가위원", "reviewer"),
                cells.name(254),
                required=True,
                help="아이디 또는 이메일",
            ),
            Column("reference", ("접수번호", "reference"), cells.name(40)),
            Column("track", ("트랙", "track"), cells.name(60)),
            Column("applicant", ("지자체", "applicant"), cells.name(60)),
            *(Column(CRITERION + code, (code,), cells.points, help=_("points")) for code in self.codes),
            Column("comment", ("의견", "comment"), cells.text(10_000)),
        )

    # --- header ---------------------------------------------------------------------------
    def map_header(self, header: tuple, header_row: int):
        found = super().map_header(header, header_row)
        missing = []
        if "reference" not in found and not ("track" in found and "applicant" in found):
            missing.append(_("'접수번호' (or '트랙' and '지자체')"))
        missing += [f"'{code}'" for code in self.codes if CRITERION + code not in found]
        if missing:
            raise SpreadsheetError(
                _("Required column(s) missing: %(columns)s. The header is row %(row)s.")
                % {"columns": ", ".join(missing), "row": header_row}
            )
        return found

    # --- hooks ----------------------------------------------------------------------------
    def lock(self) -> None:
        Competition.objects.select_for_update().filter(pk=self.competition.pk).exists()

    def prepare(self) -> None:
        self.matched: set[tuple[int, int]] = set()
        self.reviewers: dict[str, Reviewer] = {}
        for reviewer in Reviewer.objects.select_related("user").prefetch_related("past_affiliations"):
            self.reviewers[reviewer.email.lower()] = reviewer
            self.reviewers.setdefault(reviewer.user.username.lower(), reviewer)
        self.lookup = ProposalLookup(self.competition)
        self.in_stage = set(proposals_in_stage(self.stage).values_list("pk", flat=True))
        self.recorded = recorded_conflicts(competition=self.competition)
        self.conflicts = {pair: found.reason for pair, found in self.recorded.items()}
        self.assignments = {
            (a.proposal_id, a.reviewer_id): a
            for a in Assignment.objects.filter(stage=self.stage).select_related("reviewer", "proposal")
        }
        self.sheets = {
            sheet.assignment_id: sheet
            for sheet in Scoresheet.objects.filter(assignment__stage=self.stage).prefetch_related("scores")
        }
        self.criteria: dict[int, list[Criterion]] = {}
        self.closing_id = closing_publication_id(self.competition.pk)

    def _criteria(self, proposal: Proposal) -> list[Criterion]:
        if proposal.track_id not in self.criteria:
            self.criteria[proposal.track_id] = criteria_for(self.stage, proposal.track)
        return self.criteria[proposal.track_id]

    def _proposal(self, values: dict) -> Proposal:
        return self.lookup.find(values, self.present)

    def build(self, values: dict, number: int) -> PlannedSheet:
        reviewer = self.reviewers.get(values["reviewer"].lower())
        if reviewer is None:
            raise RowError(
                "reviewer",
                _("Unknown reviewer (no username or e-mail): '%(value)s'")
                % {"value": cells.shown(values["reviewer"])},
            )
        proposal = self._proposal(values)
        blame = "reference" if values.get("reference") else "applicant"
        if proposal.pk not in self.in_stage:
            raise RowError(
                blame,
                _("This proposal did not reach the stage %(stage)s; it cannot be scored in it.")
                % {"stage": self.stage.name},
            )
        pair = (proposal.pk, reviewer.pk)
        # The one check (SPEC §3), with the recorded conflicts loaded once for every row.
        conflict = conflicts_between([(proposal, reviewer)], recorded=self.recorded).get(pair)
        if conflict is not None:
            raise RowError(
                "reviewer",
                _("A conflict of interest keeps this reviewer off this proposal: %(reason)s")
                % {"reason": conflict.describe()},
            )
        criteria = self._criteria(proposal)
        applying = {criterion.code for criterion in criteria}
        for code in self.codes:
            if code not in applying and values[CRITERION + code] is not None:
                raise RowError(
                    CRITERION + code,
                    _("This criterion does not apply to track %(track)s; leave the cell empty.")
                    % {"track": proposal.track.name},
                )
        data = SheetInput(
            points={criterion.pk: values[CRITERION + criterion.code] for criterion in criteria},
            comment=values.get("comment") or "",
        )
        errors = point_messages(criteria, data, require_all=True)
        for criterion in criteria:
            if criterion.pk in errors:
                raise RowError(CRITERION + criterion.code, errors[criterion.pk])
        assignment = self.assignments.get(pair)
        sheet = self.sheets.get(assignment.pk) if assignment else None
        planned = PlannedSheet(reviewer, proposal, data, assignment, sheet, criteria)
        differing = self._differences(planned) if sheet is not None and sheet.is_submitted else None
        if differing == []:
            return planned  # the submitted sheet as it is: nothing to write
        if is_closed(sheet, self.closing_id):
            raise RowError("reviewer", closed_error().message)
        if differing:
            key, stored = differing[0]
            raise RowError(
                key,
                _(
                    "This reviewer already submitted this sheet with other values (stored: %(stored)s); "
                    "an official must reopen it first."
                )
                % {"stored": stored},
            )
        return planned

    def _differences(self, planned: PlannedSheet) -> list[tuple[str, str]]:
        stored = {score.criterion_id: score.points for score in planned.sheet.scores.all()}
        differing = [
            (CRITERION + c.code, _shown_points(stored.get(c.pk)))
            for c in planned.criteria
            if stored.get(c.pk) != planned.data.points.get(c.pk)
        ]
        if "comment" in self.present and planned.sheet.comment != planned.data.comment.strip():
            differing.append(("comment", cells.shown(planned.sheet.comment) or "—"))
        return differing

    def key_of(self, planned: PlannedSheet):
        return ("sheet", planned.proposal.pk, planned.reviewer.pk), "reviewer"

    def label_of(self, planned: PlannedSheet) -> str:
        return f"{planned.reviewer.name} → {planned.proposal.reference or planned.proposal.applicant.name}"

    def compare(self, planned: PlannedSheet):
        self.matched.add((planned.proposal.pk, planned.reviewer.pk))
        if planned.sheet is not None and planned.sheet.is_submitted:
            return RowStatus.UNCHANGED, []
        if planned.sheet is not None:
            return RowStatus.UPDATED, self._draft_changes(planned)
        return RowStatus.NEW, []

    def _draft_changes(self, planned: PlannedSheet) -> list[FieldChange]:
        """A draft the row submits: its status, then each point and the comment it changes."""
        sheet = planned.sheet
        stored = {score.criterion_id: score.points for score in sheet.scores.all()}
        changes = [
            FieldChange.of(
                _("Status"),
                pgettext("scoresheet status", "Draft"),
                pgettext("scoresheet status", "Submitted"),
            )
        ]
        for criterion in planned.criteria:
            old, new = stored.get(criterion.pk), planned.data.points.get(criterion.pk)
            if old != new:
                changes.append(FieldChange.of(criterion.code, old, new))
        if "comment" in self.present and sheet.comment != planned.data.comment.strip():
            changes.append(FieldChange.of(_("comment"), sheet.comment, planned.data.comment.strip()))
        return changes

    def claim(self, values: dict, planned: PlannedSheet | None) -> None:
        """The assignment a row with an error names: its reviewer's on its proposal."""
        if planned is not None:
            self.matched.add((planned.proposal.pk, planned.reviewer.pk))
            return
        reviewer = self.reviewers.get((values.get("reviewer") or "").lower())
        if reviewer is None:
            return
        try:
            proposal = self._proposal(values)
        except RowError:
            return
        self.matched.add((proposal.pk, reviewer.pk))

    def publication(self) -> int | None:
        return (
            Publication.objects.filter(competition=self.competition)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )

    def missing_labels(self) -> list[str]:
        return [
            f"{assignment.reviewer.name} → {assignment.proposal.reference or assignment.proposal_id}"
            for pair, assignment in self.assignments.items()
            if pair not in self.matched and pair not in self.conflicts
        ]

    def write(self, plans: list, report) -> None:
        """Under the competition's lock (``lock``), with every row checked again under it: the
        missing assignments in one statement (the conflict check runs once for all of them), then
        every sheet submitted at once (``evaluation.sheets.submit_checked``: the audit entries of
        ``submit``, a few statements in all)."""
        reason = _("score import %(file)s") % {"file": report.filename}
        writing = [planned for status, planned in plans if status != RowStatus.UNCHANGED]
        unassigned = [planned for planned in writing if planned.assignment is None]
        if unassigned:
            try:
                with audit_context(self.actor, reason):
                    created = Assignment.objects.bulk_create(  # runs the conflict check again
                        [
                            Assignment(
                                stage=self.stage,
                                proposal=planned.proposal,
                                reviewer=planned.reviewer,
                                source=Assignment.Source.IMPORT,
                            )
                            for planned in unassigned
                        ]
                    )
            except ConflictOfInterest as error:  # recorded by someone else since the check
                raise IntegrityError(error.message) from error
            for planned, assignment in zip(unassigned, created, strict=True):
                assignment.stage, assignment.proposal, assignment.reviewer = (
                    self.stage,
                    planned.proposal,
                    planned.reviewer,
                )
                planned.assignment = assignment
        for planned in writing:  # the audit trail names each row's competition through its stage
            planned.assignment.stage = self.stage
        submit_checked(
            [
                CheckedSheet(planned.assignment, planned.sheet, planned.criteria, planned.data)
                for planned in writing
            ],
            self.actor,
        )
        self.applied_entry(
            report,
            "stage",
            self.stage.pk,
            competition=self.competition,
            stage=self.stage.code,
            at=timezone.now(),
        ).save()


def _shown_points(value: Decimal | None) -> str:
    return "—" if value is None else plain_number(value)
