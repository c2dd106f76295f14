"""The ranking as files for officials (SPEC §6, §7): the rows of the ranking page as CSV, the
reviewers' totals by code as CSV, and the results workbook (summary, a ranking sheet per ranking
group, criterion averages, reviewers' totals) as .xlsx.

All read ``rank_competition``; the page, the download and ``export_results`` show the same rows.
No cell can be read as a formula (SPEC §7: ``proposals.xlsx.safe_value``); no personal data
(contact phone, e-mail) and no reviewer's name: a reviewer is a code of the proposal and stage
(``evaluation.reviewer_codes``, the letters of the officials' score page and the publication).
"""

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from proposals.models import track_display_name
from proposals.xlsx import SheetWriter, safe_value

from . import rules
from .models import Criterion
from .ranking import (
    CategoryRanking,
    CompetitionRanking,
    RankedProposal,
    status_label,
    tie_break_label,
)
from .reviewer_codes import STATE_LABELS, stage_reviewer_sheets
from .stage_scores import criterion_averages, stage_results

# Proposals written per batch of queries (bounded IN lists on any backend, bounded memory).
PROPOSALS_BATCH = 2000


def shown(value: Decimal | None) -> Decimal | None:
    """A score as published: rounded half-up to two decimals (SPEC §4.5)."""
    return None if value is None else rules.round_half_up(value)


@dataclass
class RankingGroup:
    """One ranking: a track, or a category that pools its slots across its tracks."""

    key: str  # "track-<code>" or "category-<code>", unique within the competition
    category: CategoryRanking
    name: str
    applicants: int
    slots: int | None
    ratio: str | None
    pooled: bool
    rows: list[RankedProposal] = field(default_factory=list)
    track_names: dict = field(default_factory=dict)  # track code → name


def ranking_groups(ranking: CompetitionRanking) -> list[RankingGroup]:
    """The rankings of a competition in the order of its categories and tracks."""
    groups = []
    for category in ranking.categories:
        names = {track.code: track.name for track in category.tracks}
        if category.pooled:
            groups.append(
                RankingGroup(
                    key=f"category-{category.code}",
                    category=category,
                    name=category.name,
                    applicants=category.applicants,
                    slots=category.slots,
                    ratio=category.ratio,
                    pooled=True,
                    rows=category.ranking,
                    track_names=names,
                )
            )
            continue
        for track in category.tracks:
            name = track_display_name(category.name, track.name)
            groups.append(
                RankingGroup(
                    key=f"track-{track.code}",
                    category=category,
                    name=name,
                    applicants=track.applicants,
                    slots=track.slots,
                    ratio=track.ratio,
                    pooled=False,
                    rows=track.ranking,
                    track_names=names,
                )
            )
    return groups


# --- The rows of the ranking page, as plain values (numbers stay numbers) ------------------------


def ranking_header(stages) -> list[str]:
    return [
        _("Category"),
        _("Track"),
        _("Rank"),
        _("Reference number"),
        _("Applicant"),
        _("Project title"),
        *[_("%(stage)s score") % {"stage": stage.name} for stage in stages],
        _("Bonus/penalty"),
        _("Final score"),
        _("Status"),
        _("Tie-break"),
    ]


def ranking_values(group: RankingGroup, row: RankedProposal, stages) -> list:
    ranked = row.score is not None
    return [
        group.category.name,
        group.track_names.get(row.track, row.track),
        row.rank,
        row.reference,
        row.applicant_shown,
        row.title,
        *[shown(row.stage_scores.get(stage.code)) for stage in stages],
        shown(row.adjustment) if ranked else None,
        shown(row.score),
        status_label(row.status),
        tie_break_label(row.tie_break, stages) or None,
    ]


def csv_bytes(header: list, rows) -> bytes:
    """A CSV file for users: UTF-8 with a BOM (Excel reads the Korean), numbers as Decimals with
    two decimals, text that could start a formula escaped (SPEC §7)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_cell(label) for label in header])
    for values in rows:
        writer.writerow([_csv_cell(value) for value in values])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def ranking_csv(ranking: CompetitionRanking) -> bytes:
    """Every ranking of the competition in one CSV (``csv_bytes``)."""
    rows = (
        ranking_values(group, row, ranking.stages) for group in ranking_groups(ranking) for row in group.rows
    )
    return csv_bytes(ranking_header(ranking.stages), rows)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(safe_value(value))


# --- The results workbook --------------------------------------------------------------------


def results_workbook(ranking: CompetitionRanking) -> bytes:
    """Summary per category and track, one ranking sheet per ranking group, and the kept-sheet
    criterion averages of every proposal in the last stage; write-only, formula-safe."""
    writer = SheetWriter()
    groups = ranking_groups(ranking)
    _summary_sheet(writer, ranking)
    titles = {_("Summary")}
    if ranking.outcome.provinces is not None:  # SPEC §8.7
        sheet = writer.sheet(
            _sheet_title(_("Results by province"), titles), province_header(), widths=[16, 10, 10]
        )
        for entry in ranking.outcome.provinces:
            writer.append(sheet, [entry["province"], entry["applicants"], entry["selected"]])
    for group in groups:
        title = _sheet_title(_("Ranking %(name)s") % {"name": group.name}, titles)
        sheet = writer.sheet(
            title,
            ranking_header(ranking.stages),
            widths=[12, 16, 6, 12, 16, 40, *[10] * len(ranking.stages), 10, 10, 12, 14],
        )
        for row in group.rows:
            writer.append(sheet, ranking_values(group, row, ranking.stages))
    criterion_sheet = CriterionSheet(writer, ranking, _sheet_title(_("Criterion averages"), titles))
    sheet = writer.sheet(
        _sheet_title(_("Reviewer totals"), titles),
        reviewer_totals_header(),
        widths=[12, 12, 16, 12, 16, 8, 10, 16],
    )
    # One pass over the proposals writes both sheets (write-only sheets take rows in any order):
    # each batch's stage results serve the reviewer totals and, in the last stage, the averages.
    for values in reviewer_totals_rows(ranking, batch_results=criterion_sheet.write):
        writer.append(sheet, values)
    return writer.to_bytes()


def summary_rows(ranking: CompetitionRanking) -> list[list]:
    """Per track, then its category's total, then the whole competition: applicants, slots,
    ratio, and the selected applicants with the national subsidy and local matching they asked."""
    rows = []
    everyone = {"applicants": 0, "slots": 0, "selected": [], "names": []}
    for category in ranking.categories:
        selected_in_category = []
        for track in category.tracks:
            selected = [row for row in track.ranking if row.status == rules.SELECTED]
            selected_in_category += selected
            rows.append(
                [
                    category.name,
                    track.name,
                    track.applicants,
                    track.slots,
                    track.ratio,
                    *_selected_values(selected),
                ]
            )
        if category.pooled:  # the pooled ranking lists the selected in rank order
            selected_in_category = [row for row in category.ranking if row.status == rules.SELECTED]
        rows.append(
            [
                category.name,
                _("%(name)s total") % {"name": category.name},
                category.applicants,
                category.slots,
                category.ratio,
                *_selected_values(selected_in_category),
            ]
        )
        everyone["applicants"] += category.applicants
        everyone["slots"] += category.slots
        everyone["selected"] += selected_in_category
    rows.append(
        [
            _("All"),
            None,
            everyone["applicants"],
            everyone["slots"],
            None,
            *_selected_values(everyone["selected"]),
        ]
    )
    return rows


def province_header() -> list[str]:
    return [_("Province"), _("Applicants"), _("Selected")]


def summary_header() -> list[str]:
    return [
        _("Category"),
        _("Track"),
        _("Applicants"),
        _("Slots"),
        _("Competition ratio"),
        _("Number selected"),
        _("Selected applicants"),
        _("National subsidy of the selected (100M KRW)"),
        _("Local matching of the selected (100M KRW)"),
    ]


def _selected_values(selected: list[RankedProposal]) -> list:
    return [
        len(selected),
        ", ".join(row.applicant_shown for row in selected) or None,
        sum((row.national_subsidy for row in selected), Decimal(0)),
        sum((row.local_matching for row in selected), Decimal(0)),
    ]


def _summary_sheet(writer, ranking):
    sheet = writer.sheet(_("Summary"), summary_header(), widths=[12, 20, 8, 8, 10, 8, 40, 16, 16])
    for values in summary_rows(ranking):
        writer.append(sheet, values)
    writer.append(sheet, [])
    writer.append(sheet, [_("Competition"), ranking.competition.name])
    writer.append(sheet, [_("Organization"), ranking.competition.organization_name])  # SPEC §8.5
    exported = date_format(timezone.localtime(), "DATETIME_FORMAT")  # config/formats
    writer.append(sheet, [_("Exported at"), exported])
    if ranking.draws_required:
        writer.append(sheet, [_("Note"), _("A draw is required: the selection is not final.")])


def criterion_columns(stage) -> list[tuple[str, str]]:
    """(code, name) of the stage's criteria across its rubrics, each code once, in rubric order."""
    columns = {}
    for code, name in (
        Criterion.objects.filter(rubric__stage=stage)
        .order_by("order", "code", "rubric_id")
        .values_list("code", "name")
    ):
        columns.setdefault(code, name)
    return list(columns.items())


def _batches(items: list):
    """``items`` in slices of ``PROPOSALS_BATCH``."""
    for start in range(0, len(items), PROPOSALS_BATCH):
        yield items[start : start + PROPOSALS_BATCH]


class CriterionSheet:
    """The kept-sheet criterion averages of every proposal in the last stage, written a batch of
    proposals at a time (``write``, from ``reviewer_totals_rows``): what is held stays the size of
    a batch, whatever the size of the competition."""

    def __init__(self, writer, ranking: CompetitionRanking, title: str):
        self.writer = writer
        self.stage = ranking.stages[-1] if ranking.stages else None
        self.columns = criterion_columns(self.stage) if self.stage else []
        header = [
            _("Category"),
            _("Track"),
            _("Reference number"),
            _("Applicant"),
            _("Project title"),
            _("Sheets counted"),
            *[f"{code} {name}" for code, name in self.columns],
            _("%(stage)s score") % {"stage": self.stage.name} if self.stage else _("Stage score"),
        ]
        widths = [12, 16, 12, 16, 40, 8, *[12] * len(self.columns), 10]
        self.sheet = writer.sheet(title, header, widths=widths)

    def write(self, stage, batch: list, results: dict) -> None:
        """The rows of ``batch`` ((group, row) in ranking order) that entered the last stage, from
        that stage's ``results`` for the batch."""
        if stage != self.stage:
            return
        code = stage.code
        batch = [(group, row) for group, row in batch if code in row.stage_scores]
        found = [results[row.id] for _group, row in batch if row.id in results]
        averages = criterion_averages(sheet for result in found for sheet, _total in result.kept)
        for group, row in batch:
            result = results.get(row.id)
            self.writer.append(
                self.sheet,
                [
                    group.category.name,
                    group.track_names.get(row.track, row.track),
                    row.reference,
                    row.applicant_shown,
                    row.title,
                    len(result.kept) if result else 0,
                    *[shown(averages.get((row.id, code))) for code, _name in self.columns],
                    shown(row.stage_scores.get(code)),
                ],
            )


# --- Each reviewer's total by code (the officials' score page, for every proposal) -------------


def reviewer_totals_header() -> list[str]:
    return [
        _("Stage"),
        _("Category"),
        _("Track"),
        _("Reference number"),
        _("Applicant"),
        _("Reviewer"),
        _("Total"),
        _("Counts in the stage score"),
    ]


def reviewer_totals_rows(ranking: CompetitionRanking, batch_results=None):
    """Per stage, per proposal (in ranking order) and per assignment: the reviewer's code, the
    total of a counted sheet and whether it counts. Yielded a batch of proposals at a time (two
    queries each), so that what is held stays the size of a batch; ``batch_results(stage, batch,
    results)``, if given, is handed each batch's stage results before its rows are yielded."""
    rows = [(group, row) for group in ranking_groups(ranking) for row in group.rows]
    labels = {state: str(label) for state, label in STATE_LABELS.items()}
    for stage in ranking.stages:
        for batch in _batches(rows):
            ids = [row.id for _group, row in batch]
            results = stage_results(stage, ids)
            if batch_results is not None:
                batch_results(stage, batch, results)
            sheets = stage_reviewer_sheets(stage, ids, results)
            for group, row in batch:
                for sheet in sheets.get(row.id, ()):
                    yield [
                        stage.name,
                        group.category.name,
                        group.track_names.get(row.track, row.track),
                        row.reference,
                        row.applicant_shown,
                        sheet.code,
                        sheet.total,
                        labels[sheet.state],
                    ]


def reviewer_totals_csv(ranking: CompetitionRanking) -> bytes:
    """``reviewer_totals_rows`` as CSV (``csv_bytes``)."""
    return csv_bytes(reviewer_totals_header(), reviewer_totals_rows(ranking))


def _sheet_title(text: str, taken: set) -> str:
    """A unique sheet title within Excel's limits (31 characters, none of []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", " ", text).strip()[:31] or "Sheet"
    title, number = base, 2
    while title in taken:
        suffix = f" ({number})"
        title, number = base[: 31 - len(suffix)] + suffix, number + 1
    taken.add(title)
    return title
