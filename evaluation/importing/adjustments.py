"""Bonus and penalty points of typed items (SPEC §8.4, ``import_adjustments``).

One row per proposal and item: ``접수번호`` (or ``트랙`` + ``지자체``), ``항목`` (the item's code or
name), ``점수`` and ``사유``. A proposal holds one value per item: a row for a pair already held
with other points or another reason replaces it (audited as a change); the same file again changes
nothing. Points are checked as the official's page checks them (``evaluation.adjustments``); a
value outside the item's range is a row error. Values no row names are reported, never deleted
(deleting a mistaken entry is an official's step, with a reason). All rows or none are written.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from proposals.importing import cells
from proposals.importing.engine import Column, FieldChange, Importer, RowError, RowStatus
from proposals.importing.workbook import SpreadsheetError
from proposals.models import Competition, Proposal, audit_context

from ..adjustments import checked_points
from ..models import Adjustment, AdjustmentItem, Publication
from .lookup import ProposalLookup


@dataclass(slots=True)
class PlannedAdjustment:
    proposal: Proposal
    item: AdjustmentItem
    points: Decimal
    reason: str
    existing: Adjustment | None


class AdjustmentImporter(Importer):
    kind = "adjustments"
    columns = (
        Column("reference", ("접수번호", "reference"), cells.name(40)),
        Column("track", ("트랙", "track"), cells.name(60)),
        Column("applicant", ("지자체", "applicant"), cells.name(60)),
        Column("item", ("항목", "item"), cells.name(100), required=True, help="항목 코드 또는 이름"),
        Column("points", ("점수", "points"), cells.points, required=True),
        Column("reason", ("사유", "reason"), cells.text(2_000), required=True),
    )

    def __init__(self, competition: Competition, actor=None):
        super().__init__(actor=actor)
        self.competition = competition

    def map_header(self, header: tuple, header_row: int):
        found = super().map_header(header, header_row)
        if "reference" not in found and not ("track" in found and "applicant" in found):
            raise SpreadsheetError(
                _("Required column(s) missing: %(columns)s. The header is row %(row)s.")
                % {"columns": _("'접수번호' (or '트랙' and '지자체')"), "row": header_row}
            )
        return found

    def lock(self) -> None:
        Competition.objects.select_for_update().filter(pk=self.competition.pk).exists()

    def prepare(self) -> None:
        self.lookup = ProposalLookup(self.competition)
        self.items: dict[str, AdjustmentItem] = {}
        for item in AdjustmentItem.objects.filter(competition=self.competition).order_by("order", "code"):
            self.items.setdefault(cells.fold(item.code), item)
            self.items.setdefault(cells.fold(item.name), item)
        self.held = {
            (adjustment.proposal_id, adjustment.item_id): adjustment
            for adjustment in Adjustment.objects.filter(
                proposal__competition=self.competition, item__isnull=False
            ).select_related("proposal__applicant", "item")
        }
        self.matched: set[tuple[int, int]] = set()

    def _item(self, text: str) -> AdjustmentItem:
        item = self.items.get(cells.fold(text))
        if item is None:
            options = ", ".join(
                f"{item.code}({item.name})" for item in dict.fromkeys(self.items.values())
            ) or _("none: the competition file defines no [[adjustment_items]]")
            raise RowError(
                "item",
                _("Unknown item: '%(value)s' (one of %(options)s)")
                % {"value": cells.shown(text), "options": options},
            )
        return item

    def build(self, values: dict, number: int) -> PlannedAdjustment:
        proposal = self.lookup.find(values, self.present)
        item = self._item(values["item"])
        try:
            points = checked_points(values["points"], item=item)
        except ValidationError as error:
            raise RowError("points", error.messages[0]) from error
        existing = self.held.get((proposal.pk, item.pk))
        return PlannedAdjustment(proposal, item, points, values["reason"].strip(), existing)

    def key_of(self, planned: PlannedAdjustment):
        return ("adjustment", planned.proposal.pk, planned.item.pk), "item"

    def label_of(self, planned: PlannedAdjustment) -> str:
        return f"{planned.proposal.reference or planned.proposal.applicant.name} · {planned.item.name}"

    def compare(self, planned: PlannedAdjustment):
        self.matched.add((planned.proposal.pk, planned.item.pk))
        existing = planned.existing
        if existing is None:
            return RowStatus.NEW, []
        changes = []
        if existing.points != planned.points:
            changes.append(FieldChange.of(_("points"), existing.points, planned.points))
        if existing.reason != planned.reason:
            changes.append(FieldChange.of(_("reason"), existing.reason, planned.reason))
        return (RowStatus.UPDATED, changes) if changes else (RowStatus.UNCHANGED, [])

    def claim(self, values: dict, planned: PlannedAdjustment | None) -> None:
        if planned is not None:
            self.matched.add((planned.proposal.pk, planned.item.pk))
            return
        try:
            pair = (self.lookup.find(values, self.present).pk, self._item(values.get("item") or "").pk)
        except RowError:
            return
        self.matched.add(pair)

    def missing_labels(self) -> list[str]:
        return [
            f"{adjustment.proposal.reference or adjustment.proposal.applicant.name} · {adjustment.item.name}"
            for pair, adjustment in self.held.items()
            if pair not in self.matched
        ]

    def publication(self) -> int | None:
        return (
            Publication.objects.filter(competition=self.competition)
            .order_by("-number")
            .values_list("number", flat=True)
            .first()
        )

    def write(self, plans: list, report) -> None:
        """New values in one statement, changed ones each saved (audited with their old values),
        all attributed to the import with the file's name."""
        reason = _("adjustment import %(file)s") % {"file": report.filename}
        with audit_context(self.actor, reason):
            Adjustment.objects.bulk_create(
                [
                    Adjustment(
                        proposal=planned.proposal,
                        item=planned.item,
                        points=planned.points,
                        reason=planned.reason,
                        recorded_by=self.actor,
                    )
                    for status, planned in plans
                    if status == RowStatus.NEW
                ]
            )
            for status, planned in plans:
                if status == RowStatus.UPDATED:
                    adjustment = planned.existing
                    adjustment.points, adjustment.reason, adjustment.recorded_by = (
                        planned.points,
                        planned.reason,
                        self.actor,
                    )
                    adjustment.save(update_fields=["points", "reason", "recorded_by"])
        self.applied_entry(
            report, "competition", self.competition.pk, competition=self.competition, at=timezone.now()
        ).save()
