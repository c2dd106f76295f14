"""The reviewer's list of assignments, and the state of each sheet as the list shows it."""

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from evaluation.sheets import is_closed
from portal.tables import PlainRows


class SheetState:
    NOT_STARTED = "not_started"
    DRAFT = "draft"
    REOPENED = "reopened"
    SUBMITTED = "submitted"
    CLOSED = "closed"
    CONFLICT = "conflict"

    LABELS = {
        NOT_STARTED: _("Not started"),
        DRAFT: _("Draft saved"),
        REOPENED: _("Reopened: submit again"),
        SUBMITTED: _("Sheet submitted"),
        CLOSED: _("Closed: result published"),
        CONFLICT: _("Conflict of interest"),
    }

    @classmethod
    def of(cls, assignment, closing_id=None) -> str:
        """``closing_id``: the publication closing the evaluation (``evaluation.sheets``), if any."""
        if assignment.conflicted:
            return cls.CONFLICT
        sheet = sheet_or_none(assignment)
        if sheet is not None and sheet.is_submitted:
            return cls.SUBMITTED
        if is_closed(sheet, closing_id):
            return cls.CLOSED
        if sheet is None:
            return cls.NOT_STARTED
        return cls.REOPENED if sheet.reopened_at else cls.DRAFT


def sheet_or_none(assignment):
    """The assignment's sheet, or None before the first save (a reverse one-to-one)."""
    return getattr(assignment, "sheet", None)


def _labelled(label):
    """Column attributes that name the column in each cell: on a narrow screen the table's rows
    become cards (review.css) and each value shows its column's name."""
    return {"td": {"data-label": label}, "th": {"data-label": label}}


class AssignmentTable(PlainRows, tables.Table):
    """The reviewer's own assignments: no other reviewer's data, no score, no aggregate."""

    stage = tables.Column(verbose_name=_("Stage"), accessor="stage__name", attrs=_labelled(_("Stage")))
    track = tables.Column(
        verbose_name=_("Track"), accessor="proposal__track__name", attrs=_labelled(_("Track"))
    )
    applicant = tables.Column(
        verbose_name=_("Applicant"),
        accessor="proposal__applicant__name",
        attrs={"td": {"data-label": _("Applicant"), "class": "applicant"}},
    )
    state = tables.Column(verbose_name=_("Sheet"), empty_values=(), attrs=_labelled(_("Sheet")))
    action = tables.Column(
        verbose_name=_("Action"),
        empty_values=(),
        attrs={"td": {"data-label": _("Action"), "class": "action"}},
    )

    class Meta:
        orderable = False
        attrs = {"class": "review-assignments"}
        empty_text = _("No proposal has been assigned to you in this competition.")

    def __init__(self, *args, competition=None, closing_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.competition = competition
        self.closing_id = closing_id
        self.caption = _("Proposals assigned to you")

    def render_state(self, record):
        state = SheetState.of(record, self.closing_id)
        badge = format_html('<span class="sheet-state {}">{}</span>', state, SheetState.LABELS[state])
        if state != SheetState.REOPENED:
            return badge
        sheet = sheet_or_none(record)
        return format_html(
            '{}<span class="reopen-note">{} <span class="reopen-when">({})</span></span>',
            badge,
            _("Reason: %(reason)s") % {"reason": sheet.reopen_reason},
            korean_datetime(sheet.reopened_at),
        )

    def render_action(self, record):
        state = SheetState.of(record, self.closing_id)
        if state == SheetState.CONFLICT:
            return format_html('<span class="sheet-no-action">{}</span>', _("Recused; not shown"))
        url = reverse("review:sheet", args=[self.competition.slug, record.pk])
        label = {
            SheetState.NOT_STARTED: _("Start scoring"),
            SheetState.DRAFT: _("Continue scoring"),
            SheetState.REOPENED: _("Continue scoring"),
            SheetState.SUBMITTED: _("View submitted sheet"),
            SheetState.CLOSED: _("View sheet"),
        }[state]
        style = (
            "primary"
            if state in (SheetState.NOT_STARTED, SheetState.DRAFT, SheetState.REOPENED)
            else "secondary"
        )
        return format_html(
            '<a class="krds-btn small {}" href="{}">{}<span class="sr-only"> — {}</span></a>',
            style,
            url,
            label,
            record.proposal.applicant.name,
        )


def korean_datetime(value) -> str:
    """A time as every page writes it: ``2026. 12. 1. 14:03`` in Asia/Seoul (config/formats)."""
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")
