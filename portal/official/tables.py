"""Tables of the officials' pages (django-tables2, KRDS template): progress, assignments,
conflicts and the audit trail of one proposal; the ranking, and a proposal's scores by reviewer
code (A, B, C…), criterion averages and adjustments. No table here shows a score on the progress
page, and no score table names a reviewer."""

import datetime
from functools import cached_property

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableListData
from django_tables2.utils import OrderBy

from evaluation import rules
from evaluation.exporting import shown
from evaluation.ranking import (
    ELIMINATED,
    INELIGIBLE,
    OVER_CAP,
    PENDING,
    STATUS_ORDER,
    WITHDRAWN,
    status_label,
    tie_break_label,
)
from evaluation.reviewer_codes import STATE_LABELS
from portal.tables import PlainRows
from portal.templatetags.korean import datetime_seconds
from proposals.audit_display import action_label, audit_model, display_action

# A sheet's state as officials see it ("Submitted" alone is a proposal's status, 접수).
SHEET_STATES = {
    "not_started": _("Not started"),
    "draft": _("Draft"),
    "reopened": _("Reopened: awaiting submission"),
    "submitted": _("Sheet submitted"),
    "closed": _("Closed by the publication"),
    "conflict": _("Conflict of interest"),
}


# Column classes (portal/static/portal/official.css): numbers, titles, names, reference numbers.
NUM = {"th": {"class": "num"}, "td": {"class": "num"}}
TITLE = {"th": {"class": "col-title"}, "td": {"class": "col-title"}}
NAME = {"th": {"class": "col-name"}, "td": {"class": "col-name"}}
REF = {"th": {"class": "col-ref"}, "td": {"class": "col-ref"}}
TIME = {"th": {"class": "col-time"}, "td": {"class": "col-time"}}


def labelled(attrs: dict, label) -> dict:
    """Column ``attrs`` whose cells carry the column's name (``data-label``): a table with the
    class "cards" shows each row as a card of "name: value" lines on a narrow screen."""
    return {**attrs, "td": {**attrs.get("td", {}), "data-label": label}}


def _total(name):
    """A footer: the table's ``totals[name]`` (counted over all its rows, not only this page's)."""
    return lambda table: table.totals[name]


class CountColumn(tables.Column):
    def __init__(self, verbose_name, name):
        super().__init__(
            verbose_name=verbose_name,
            footer=_total(name),
            attrs={"th": {"class": "num"}, "td": {"class": "num"}, "tf": {"class": "num"}},
        )


class CaptionedTable(tables.Table):
    """A table with a caption (shown to screen readers; KRDS hides captions visually)."""

    def __init__(self, data, *, caption, **kwargs):
        super().__init__(data, **kwargs)
        self.caption = caption


class ProgressTable(PlainRows, tables.Table):
    """One track of a stage: per proposal, who reviews it and how far the sheets are."""

    reference = tables.Column(
        verbose_name=_("Reference number"),
        footer=_("Total"),
        attrs={"th": {"class": "col-ref"}, "td": {"class": "col-ref"}, "tf": {"class": "col-ref"}},
    )
    applicant = tables.Column(
        verbose_name=_("Applicant"),
        accessor="applicant__name",
        attrs={"th": {"class": "col-name"}, "td": {"class": "col-name"}},
    )
    title = tables.Column(
        verbose_name=_("Project title"), attrs={"th": {"class": "col-title"}, "td": {"class": "col-title"}}
    )
    reviewer_names = tables.Column(
        verbose_name=_("Assigned reviewers"),
        orderable=False,
        attrs={"th": {"class": "col-names"}, "td": {"class": "col-names"}},
    )
    assigned = CountColumn(_("Assigned"), "assigned")
    not_started = CountColumn(_("Not started"), "not_started")
    drafts = CountColumn(_("Drafts"), "drafts")
    submitted = CountColumn(_("Submitted sheets"), "submitted")
    conflict_count = CountColumn(_("Conflicts"), "conflict_count")

    class Meta:
        orderable = False
        empty_text = _("No proposal of this track is in this stage.")
        attrs = {"class": "compact"}

    def __init__(self, data, *, stage, caption, totals, **kwargs):
        super().__init__(data, **kwargs)
        self.stage = stage
        self.caption = caption
        self.totals = totals  # each count over every row of the track (the footers)

    def render_title(self, record, value):
        url = reverse("official:proposal", args=[self.stage.competition.slug, self.stage.code, record.pk])
        if record.status != record.Status.SUBMITTED:
            return format_html(
                '<a href="{}">{}</a> <span class="krds-badge">{}</span>',
                url,
                value,
                record.get_status_display(),
            )
        return format_html('<a href="{}">{}</a>', url, value)

    def render_reviewer_names(self, value):
        return ", ".join(sorted(value.splitlines()))


class OwedTable(CaptionedTable):
    """Who still owes sheets in a stage (rows: ``portal.official.views.owed_by_reviewer``): the
    reviewer, how many, which proposals (to the officials' proposal page), the last reminder and a
    button that sends one. No score."""

    reviewer = tables.Column(verbose_name=_("Reviewer"), empty_values=(), attrs=labelled(NAME, _("Reviewer")))
    owed = tables.Column(
        verbose_name=_("Sheets owed"), empty_values=(), attrs=labelled(NUM, _("Sheets owed"))
    )
    proposals = tables.Column(
        verbose_name=_("Proposals"), empty_values=(), attrs=labelled(TITLE, _("Proposals"))
    )
    reminded = tables.Column(
        verbose_name=_("Last reminder"), empty_values=(), attrs=labelled({}, _("Last reminder"))
    )
    action = tables.Column(verbose_name=_("Reminder"), empty_values=(), attrs=labelled({}, _("Reminder")))

    class Meta:
        orderable = False
        attrs = {"class": "compact owed cards"}
        empty_text = _("Every assigned reviewer has submitted every sheet of this stage.")

    def __init__(self, data, *, stage, remind_url, csrf_token, **kwargs):
        super().__init__(data, **kwargs)
        self.stage = stage
        self.remind_url = remind_url
        self.csrf_token = csrf_token

    def render_reviewer(self, record):
        reviewer = record["reviewer"]
        return format_html('{} <span class="subtle">({})</span>', reviewer.name, reviewer.affiliation)

    def render_owed(self, record):
        return len(record["assignments"])

    def render_proposals(self, record):
        slug, code = self.stage.competition.slug, self.stage.code
        items = (
            (
                reverse("official:proposal", args=[slug, code, assignment.proposal_id]),
                " ".join(
                    part
                    for part in (assignment.proposal.reference, assignment.proposal.applicant.name)
                    if part
                ),
                state,
            )
            for assignment, state in record["assignments"]
        )
        return format_html(
            '<ul class="owed-list">{}</ul>',
            format_html_join("", '<li><a href="{}">{}</a> <span class="subtle">({})</span></li>', items),
        )

    def render_reminded(self, record):
        when = record["reminded"]
        if when is None:
            return "—"
        return format_html('<time datetime="{}">{}</time>', when.isoformat(), _localtime(when))

    def render_action(self, record):
        reviewer = record["reviewer"]
        return format_html(
            '<form method="post" action="{}" class="inline-form">'
            '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
            '<input type="hidden" name="reviewer" value="{}">'
            '<button type="submit" class="krds-btn secondary small">{}<span class="sr-only"> — {}</span></button>'
            "</form>",
            self.remind_url,
            self.csrf_token,
            reviewer.pk,
            _("Send a reminder"),
            reviewer.name,
        )


class NoticeTable(CaptionedTable):
    """E-mails sent to reviewers (``evaluation.models.Notice``), newest first."""

    created_at = tables.Column(verbose_name=_("When"), attrs=labelled(TIME, _("When")))
    kind = tables.Column(verbose_name=_("Kind"), attrs=labelled(NAME, _("Kind")))
    reviewer = tables.Column(verbose_name=_("Recipient"), empty_values=(), attrs=labelled({}, _("Recipient")))
    subject = tables.Column(verbose_name=_("Subject"), attrs=labelled(TITLE, _("Subject")))
    sent_by = tables.Column(verbose_name=_("Sent by"), empty_values=(), attrs=labelled({}, _("Sent by")))
    status = tables.Column(verbose_name=_("Delivery"), attrs=labelled({}, _("Delivery")))

    class Meta:
        orderable = False
        attrs = {"class": "compact cards"}
        empty_text = _("No notice has been sent for this stage yet.")

    def render_created_at(self, value):
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), _localtime(value))

    def render_kind(self, record):
        return record.get_kind_display()

    def render_reviewer(self, record):
        # The address is personal data: admins see it in the Django admin (SPEC §7).
        return record.reviewer.name

    def render_sent_by(self, record):
        return _person(record.sent_by)

    def render_status(self, record):
        css = {"sent": "bg-light-success", "failed": "bg-light-danger"}.get(record.status, "bg-light-gray")
        label = format_html('<span class="krds-badge {}">{}</span>', css, record.get_status_display())
        if record.status == record.Status.FAILED and record.error:
            return format_html('{} <span class="subtle">{}</span>', label, record.error)
        return label


class AssignmentTable(CaptionedTable):
    """The reviewers of one proposal in a stage and the state of each sheet (no scores)."""

    reviewer = tables.Column(verbose_name=_("Reviewer"), empty_values=())
    state = tables.Column(verbose_name=_("Sheet"), empty_values=())
    submitted_at = tables.Column(verbose_name=_("Submitted at"), empty_values=())
    action = tables.Column(verbose_name=_("Action"), empty_values=())

    class Meta:
        orderable = False
        empty_text = _("No reviewer is assigned to this proposal in this stage.")

    def render_reviewer(self, record):
        reviewer = record["assignment"].reviewer
        return format_html("{} ({})", reviewer.name, reviewer.affiliation)

    def render_state(self, record):
        return format_html('<span class="krds-badge">{}</span>', record["state_label"])

    def render_submitted_at(self, record):
        sheet = record["sheet"]
        if sheet is None or sheet.submitted_at is None:
            return "—"
        return format_html(
            '<time datetime="{}">{}</time>', sheet.submitted_at.isoformat(), _localtime(sheet.submitted_at)
        )

    def render_action(self, record):
        if not record["reopenable"]:
            return "—"
        return format_html(
            '<a href="?reopen={}#reopen">{}</a>', record["assignment"].pk, _("Reopen this sheet")
        )


class ConflictTable(CaptionedTable):
    reviewer = tables.Column(verbose_name=_("Reviewer"), accessor="reviewer__name")
    kind = tables.Column(verbose_name=_("Kind"))
    reason = tables.Column(verbose_name=_("Reason"))
    recorded_by = tables.Column(verbose_name=_("Recorded by"), empty_values=())
    created_at = tables.Column(verbose_name=_("Recorded at"))

    class Meta:
        orderable = False
        empty_text = _("No conflict of interest is recorded for this proposal.")

    def render_kind(self, record):
        return record.get_kind_display()

    def render_recorded_by(self, record):
        return _person(record.recorded_by)

    def render_created_at(self, value):
        return _localtime(value)


class AuditTable(tables.Table):
    """The proposal's audit trail: what changed, who changed it, when, from what to what, why."""

    created_at = tables.Column(verbose_name=_("When"), attrs=TIME)
    actor = tables.Column(verbose_name=_("By"), empty_values=(), attrs=NAME)
    action = tables.Column(verbose_name=_("Action"), attrs=NAME)
    item = tables.Column(verbose_name=_("Item"), empty_values=(), attrs=NAME)
    change = tables.Column(
        verbose_name=_("Before → after"),
        empty_values=(),
        attrs={"th": {"class": "col-change"}, "td": {"class": "col-change"}},
    )
    reason = tables.Column(verbose_name=_("Reason"))

    class Meta:
        orderable = False
        empty_text = _("Nothing has been recorded for this proposal yet.")

    def __init__(self, data, *, caption, names, values, **kwargs):
        """``names``: how reviewers are named for this viewer (``evaluation.queries.TrailNames``:
        codes for officials, names for admins); ``values``: (field attname, value) → readable
        value of other fields (statuses, criteria)."""
        super().__init__(data, **kwargs)
        self.caption = caption
        self.names = names
        self.values = values

    def render_created_at(self, value):
        return _localtime(value)

    def render_actor(self, record):
        return self.names.actor(record) or _person(record.actor)

    def render_action(self, record):
        return action_label(display_action(record))

    def render_item(self, record):
        known = self.names.item(record)
        if known:
            return known
        model = audit_model(record.object_type)
        name = model._meta.verbose_name if model else record.object_type
        return f"{name} #{record.object_id}"

    def render_change(self, record):
        """Changed fields as "label: before → after"; a creation or removal lists its values."""
        before, after = record.before, record.after
        model = audit_model(record.object_type)
        if before is not None and after is not None:
            lines = [
                (
                    _field_label(model, key),
                    f"{self._value(record, key, before.get(key))} → {self._value(record, key, after.get(key))}",
                )
                for key in dict.fromkeys([*before, *after])
            ]
        else:
            snapshot = before if before is not None else after or {}
            lines = [
                (_field_label(model, key), self._value(record, key, value))
                for key, value in snapshot.items()
                if value not in (None, "")
            ]
        if not lines:
            return "—"
        return format_html('<ul class="audit-change">{}</ul>', format_html_join("", "<li>{}: {}</li>", lines))

    def render_reason(self, value):
        return value or "—"

    def _value(self, record, key, value):
        if value is None or value == "":
            return "—"
        reviewer = self.names.value(record, key, value)
        if reviewer is not None:
            return reviewer
        if key.endswith("_at") and isinstance(value, str):
            try:
                return _localtime(datetime.datetime.fromisoformat(value))
            except ValueError:
                return value
        if isinstance(value, list | dict):  # a JSON field (a proposal's solutions, a panel's members)
            return ", ".join(str(item) for item in value) if isinstance(value, list) else str(value)
        return self.values.get((key, value), value)


def _field_label(model, attname):
    if model is not None:
        for field in model._meta.concrete_fields:
            if field.attname == attname:
                return str(field.verbose_name)
    return attname


def _person(user):
    if user is None:
        return _("System")
    return user.get_full_name() or user.get_username()


def _localtime(value):
    """A time as officials read it, to the second (Asia/Seoul): 2026. 12. 1. 14:05:09."""
    return datetime_seconds(value)


# --- The ranking (SPEC §4.5–§4.7) and a proposal's scores ----------------------------------------


def _score(value) -> str:
    return rules.score_text(value) or "—"


def _signed(value) -> str:
    return "—" if value is None else f"{value:+.2f}"


class RankingRows(TableListData):
    """A ranking's rows sorted by the columns asked for; rows the sort key ties on stay in order of
    reference number (then id), ascending in either direction, and rows without a value (no rank,
    no score) come last. Without a sort the rows keep the ranking's own order."""

    def order_by(self, aliases):
        rows = sorted(self.data, key=lambda row: (row.reference, row.id))
        for alias in reversed(list(aliases)):
            order = OrderBy(alias)
            key = self.table.sort_keys.get(order.bare)
            if key is None:
                continue
            present = [row for row in rows if key(row) is not None]
            missing = [row for row in rows if key(row) is None]
            present.sort(key=key, reverse=order.is_descending)  # stable in both directions
            rows = present + missing
        self.data[:] = rows


class StageScoreColumn(tables.Column):
    def __init__(self, stage):
        super().__init__(verbose_name=stage.name, empty_values=(), attrs=NUM, initial_sort_descending=True)
        self.stage = stage

    def render(self, record):
        return _score(shown(record.stage_scores.get(self.stage.code)))


# Each status of SPEC §6 as a KRDS badge: its own colour and fill, and always its label (a status
# is never told by colour alone).
STATUS_BADGES = {
    rules.SELECTED: "bg-success",
    rules.DRAW_REQUIRED: "bg-warning",
    rules.RESERVE: "bg-light-information",
    rules.NOT_SELECTED: "bg-light-gray",
    OVER_CAP: "outline-warning",
    rules.BELOW_MINIMUM: "outline-danger",
    PENDING: "outline-information",
    ELIMINATED: "bg-light-danger",
    INELIGIBLE: "bg-light-point",
    WITHDRAWN: "outline-gray",
}


def status_badge(status: str):
    """A ranking status as a KRDS badge (``STATUS_BADGES``) with its label."""
    return format_html(
        '<span class="krds-badge status-badge {}">{}</span>',
        STATUS_BADGES.get(status, "outline-gray"),
        status_label(status),
    )


# Statuses that take or contest one of the slots of a selection group (SPEC §4.6).
IN_SLOTS = (rules.SELECTED, rules.DRAW_REQUIRED)


class RankingTable(PlainRows, tables.Table):
    """One ranking (a track, or a category pooling its slots): the rows of ``rank_competition``.
    In the ranking's own order a line follows the last proposal that takes (or contests, until a
    draw) one of the group's slots: ``slot_line``."""

    rank = tables.Column(verbose_name=_("Rank"), empty_values=(), attrs=NUM)
    reference = tables.Column(verbose_name=_("Reference number"), attrs=REF)
    applicant = tables.Column(verbose_name=_("Applicant"), accessor="applicant_shown", attrs=NAME)
    title = tables.Column(verbose_name=_("Project title"), attrs=TITLE)
    track = tables.Column(verbose_name=_("Track"), attrs=NAME)
    adjustment = tables.Column(
        verbose_name=_("Bonus/penalty"), empty_values=(), attrs=NUM, initial_sort_descending=True
    )
    # The first click sorts the highest score first.
    score = tables.Column(
        verbose_name=_("Final score"), empty_values=(), attrs=NUM, initial_sort_descending=True
    )
    status = tables.Column(verbose_name=_("Status"))
    tie_break = tables.Column(verbose_name=_("Tie-break"), empty_values=())

    class Meta:
        empty_text = _("No proposal is in this ranking.")
        row_attrs = {"data-status": lambda record: record.status}
        template_name = "portal/official/_ranking_table.html"
        attrs = {"class": "ranking-table cards"}  # cards on a narrow screen (official.css)

    def __init__(self, rows, *, stages, slug, pooled, track_names, caption, slots=None, **kwargs):
        self.stage_names = {f"stage_{index}": stage for index, stage in enumerate(stages)}
        super().__init__(
            RankingRows(list(rows)),
            extra_columns=[(name, StageScoreColumn(stage)) for name, stage in self.stage_names.items()],
            exclude=() if pooled else ("track",),
            sequence=(
                *("rank", "reference", "applicant", "title", "track"),
                *self.stage_names,
                *("adjustment", "score", "status", "tie_break"),
            ),
            **kwargs,
        )
        self.caption = caption
        self.slug = slug
        self.slots = slots
        self.ranking_rows = list(rows)  # in the ranking's order, whatever the sort
        self.stages = list(stages)
        self.track_names = track_names
        self.sort_keys = {
            "rank": lambda row: row.rank,
            "reference": lambda row: row.reference,
            "applicant": lambda row: row.applicant_shown,
            "title": lambda row: row.title,
            "track": lambda row: track_names.get(row.track, row.track),
            "adjustment": lambda row: row.adjustment if row.score is not None else None,
            "score": lambda row: shown(row.score),
            "status": lambda row: STATUS_ORDER.index(row.status) if row.status in STATUS_ORDER else None,
            "tie_break": lambda row: tie_break_label(row.tie_break, self.stages) or None,
        }
        for name, stage in self.stage_names.items():
            self.sort_keys[name] = lambda row, code=stage.code: shown(row.stage_scores.get(code))

    cell_labels = True  # cards on a narrow screen: "name: value" lines

    @cached_property
    def slot_line(self) -> dict | None:
        """Where the group's slots end, in the ranking's own order (unsorted, or by rank upwards):
        ``{"after": row id or None (before the first row), "text": what the line says}``; None
        when the table is sorted otherwise or the group has no slots or no ranked proposal."""
        if tuple(self.order_by or ()) not in ((), ("rank",)) or not self.slots:
            return None
        if not any(row.rank is not None for row in self.ranking_rows):
            return None
        in_slots = [row for row in self.ranking_rows if row.status in IN_SLOTS]
        selected = sum(1 for row in in_slots if row.status == rules.SELECTED)
        values = {"slots": self.slots, "selected": selected}
        if not in_slots:
            text = _("None of the %(slots)s slots is filled: no proposal qualifies.") % values
        elif len(in_slots) > selected:
            text = (
                _("The %(slots)s slots end here: the tied proposals above need a draw to decide them.")
                % values
            )
        elif selected < self.slots:
            text = (
                _(
                    "The selection ends here: %(selected)s of the %(slots)s slots are filled; "
                    "no other proposal qualifies."
                )
                % values
            )
        else:
            text = _("The %(slots)s slots end here: the proposals above are selected.") % values
        return {"after": in_slots[-1].id if in_slots else None, "text": text}

    def _slot_line_html(self) -> str:
        return format_html(
            '<tr class="slot-line"><td colspan="{}"><span class="slot-line-text">{}</span></td></tr>',
            len(self.columns),
            self.slot_line["text"],
        )

    def slot_line_before(self) -> str:
        """The slot line when no proposal takes a slot: before the first row."""
        line = self.slot_line
        return self._slot_line_html() if line and line["after"] is None else ""

    def row_after(self, record) -> str:
        line = self.slot_line
        return self._slot_line_html() if line and line["after"] == record.id else ""

    def render_rank(self, record):
        return "—" if record.rank is None else record.rank

    def render_title(self, record, value):
        entered = [stage for stage in self.stages if stage.code in record.stage_scores]
        if not entered:
            return value
        url = reverse("official:proposal-scores", args=[self.slug, entered[-1].code, record.id])
        return format_html('<a href="{}">{}</a>', url, value)

    def render_track(self, record):
        return self.track_names.get(record.track, record.track)

    def render_adjustment(self, record):
        if record.score is None or not record.adjustment:
            return "—"
        return _signed(shown(record.adjustment))

    def render_score(self, record):
        return _score(shown(record.score))

    def render_status(self, record):
        return status_badge(record.status)

    def render_tie_break(self, record):
        return tie_break_label(record.tie_break, self.stages) or "—"


class ReviewerScoreTable(CaptionedTable):
    """Each reviewer's total on a proposal in a stage, by code, and whether the sheet counts
    (rows: ``evaluation.reviewer_codes.ReviewerSheet``)."""

    code = tables.Column(verbose_name=_("Reviewer"))
    total = tables.Column(verbose_name=_("Total"), empty_values=(), attrs=NUM)
    state = tables.Column(verbose_name=_("Counts in the stage score"))

    class Meta:
        orderable = False
        empty_text = _("No reviewer is assigned to this proposal in this stage.")

    def render_total(self, value):
        return _score(value)

    def render_state(self, record):
        return format_html('<span class="krds-badge">{}</span>', STATE_LABELS[record.state])


class CriterionAverageTable(CaptionedTable):
    code = tables.Column(verbose_name=_("Code"))
    name = tables.Column(verbose_name=_("Criterion"))
    max_points = tables.Column(verbose_name=_("Max points"), attrs=NUM)
    tie_break = tables.Column(verbose_name=_("Tie-break priority"), empty_values=(), attrs=NUM)
    average = tables.Column(verbose_name=_("Average of counted sheets"), empty_values=(), attrs=NUM)

    class Meta:
        orderable = False
        empty_text = _("This stage has no criteria for this proposal's track.")

    def render_max_points(self, value):
        return rules.plain_number(value)

    def render_tie_break(self, value):
        return "—" if value is None else value

    def render_average(self, value):
        return _score(value)


class AdjustmentTable(CaptionedTable):
    created_at = tables.Column(verbose_name=_("Recorded at"))
    item = tables.Column(verbose_name=_("Item"), empty_values=())
    points = tables.Column(verbose_name=_("Points"), attrs=NUM)
    reason = tables.Column(verbose_name=_("Reason"))
    recorded_by = tables.Column(verbose_name=_("Recorded by"), empty_values=())
    delete = tables.Column(verbose_name=_("Delete"), empty_values=(), accessor="pk")

    class Meta:
        orderable = False
        empty_text = _("No bonus or penalty is recorded for this proposal.")

    def __init__(self, data, *, stage_code: str, **kwargs):
        super().__init__(data, **kwargs)
        self.stage_code = stage_code  # the page the delete link comes back to

    def render_created_at(self, value):
        return _localtime(value)

    def render_points(self, value):
        return _signed(value)

    def render_recorded_by(self, record):
        return _person(record.recorded_by)

    def render_item(self, record):
        return record.item.name if record.item_id else _("Free entry")

    def render_delete(self, record):
        proposal = record.proposal
        url = reverse(
            "official:delete-adjustment",
            args=[proposal.competition.slug, self.stage_code, proposal.pk, record.pk],
        )
        label = _("Delete the entry of %(points)s recorded at %(at)s") % {
            "points": _signed(record.points),
            "at": _localtime(record.created_at),
        }
        return format_html(
            '<a class="krds-btn tertiary small" href="{}" aria-label="{}">{}</a>', url, label, _("Delete")
        )


# --- Result letters and appeals (issue 13) ------------------------------------------------------

LETTER_STATES = {
    "not_issued": _("Not issued"),
    "sent": _("Issued, e-mail sent"),
    "failed": _("Issued, e-mail not delivered"),
    "not_sent": _("Issued, e-mail not yet sent"),
    "no_email": _("Issued, not sent (no e-mail)"),
    "revoked": _("Revoked"),
    "expired": _("Link expired"),
}


class LetterTable(CaptionedTable):
    """Each proposal of the publication in force and its newest letter (the rows are dicts:
    ``id``, ``reference``, ``applicant``, ``title``, and ``letter``/``state`` for the page shown)."""

    reference = tables.Column(verbose_name=_("Reference number"), attrs=labelled(REF, _("Reference number")))
    applicant = tables.Column(verbose_name=_("Applicant"), attrs=labelled(NAME, _("Applicant")))
    title = tables.Column(verbose_name=_("Project title"), attrs=labelled(TITLE, _("Project title")))
    state = tables.Column(
        accessor="id", verbose_name=_("Letter"), empty_values=(), attrs=labelled({}, _("Letter"))
    )
    issued = tables.Column(
        accessor="id", verbose_name=_("Issued"), empty_values=(), attrs=labelled(TIME, _("Issued"))
    )
    opened = tables.Column(
        accessor="id", verbose_name=_("Opened"), empty_values=(), attrs=labelled(NUM, _("Opened"))
    )
    last_opened = tables.Column(
        accessor="id",  # computed from the record (render_*): a missing key would repr the row
        verbose_name=_("Last opened"),
        empty_values=(),
        attrs=labelled(TIME, _("Last opened")),
    )
    actions = tables.Column(
        accessor="id", verbose_name=_("Actions"), empty_values=(), attrs=labelled(NAME, _("Actions"))
    )

    class Meta:
        orderable = False
        attrs = {"class": "compact cards"}
        empty_text = _("The publication ranks no proposal.")

    def __init__(self, data, *, slug, **kwargs):
        super().__init__(data, **kwargs)
        self.slug = slug

    def render_reference(self, value):
        return value or "—"

    def render_state(self, record):
        state = record.get("state", "not_issued")
        letter = record.get("letter")
        label = format_html('<span class="krds-badge">{}</span>', LETTER_STATES[state])
        if state == "revoked" and letter is not None:
            return format_html("{}<br><small>{}</small>", label, letter.revoke_reason)
        if state == "failed" and letter is not None and letter.delivery_error:
            return format_html("{}<br><small>{}</small>", label, letter.delivery_error[:120])
        return label

    def render_issued(self, record):
        letter = record.get("letter")
        return _localtime(letter.issued_at) if letter is not None else "—"

    def render_opened(self, record):
        letter = record.get("letter")
        return letter.opened if letter is not None else "—"

    def render_last_opened(self, record):
        letter = record.get("letter")
        return _localtime(letter.last_opened) if letter is not None and letter.last_opened else "—"

    def render_actions(self, record):
        letter = record.get("letter")
        links = [
            (reverse("official:letter-print", args=[self.slug, record["id"]]), _("Print")),
            (
                reverse("official:letter-issue", args=[self.slug, record["id"]]),
                _("Issue") if letter is None else _("Issue again"),
            ),
        ]
        if letter is not None and letter.revoked_at is None:
            links.append((reverse("official:letter-revoke", args=[self.slug, record["id"]]), _("Revoke")))
        return format_html_join(mark_safe("<br>"), '<a href="{}">{}</a>', links)


class AppealTable(CaptionedTable):
    number = tables.Column(verbose_name=_("No."), accessor="pk", attrs=labelled(NUM, _("No.")))
    filed_at = tables.Column(verbose_name=_("Filed"), attrs=labelled(TIME, _("Filed")))
    proposal = tables.Column(
        verbose_name=_("Proposal"), empty_values=(), attrs=labelled(TITLE, _("Proposal"))
    )
    ground = tables.Column(verbose_name=_("Ground"), attrs=labelled({}, _("Ground")))
    status = tables.Column(verbose_name=_("State"), attrs=labelled({}, _("State")))
    decision = tables.Column(
        accessor="pk", verbose_name=_("Decision"), empty_values=(), attrs=labelled({}, _("Decision"))
    )

    class Meta:
        orderable = False
        attrs = {"class": "compact cards"}
        empty_text = _("No appeal has been filed.")

    def __init__(self, data, *, slug, **kwargs):
        super().__init__(data, **kwargs)
        self.slug = slug

    def render_number(self, record):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("official:appeal", args=[self.slug, record.pk]),
            _("Appeal no. %(number)s") % {"number": record.pk},
        )

    def render_filed_at(self, value):
        return _localtime(value)

    def render_proposal(self, record):
        proposal = record.proposal
        return format_html(
            "{} {}<br><small>{}</small>", proposal.reference or "—", proposal.applicant.name, proposal.title
        )

    def render_ground(self, record):
        return record.get_ground_display()

    def render_status(self, record):
        label = record.get_status_display()
        if record.corrected_by_id:
            return format_html(
                '<span class="krds-badge">{}</span><br><small>{}</small>',
                label,
                _("cited by publication no. %(number)s") % {"number": record.corrected_by.number},
            )
        return format_html('<span class="krds-badge">{}</span>', label)

    def render_decision(self, record):
        if record.decided_at is None:
            return "—"
        reason = record.decision_reason
        return format_html(
            "{}<br><small>{}</small>",
            _localtime(record.decided_at),
            reason if len(reason) <= 80 else reason[:80] + "…",
        )
