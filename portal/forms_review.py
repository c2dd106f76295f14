"""Forms and the assignment table of the reviewer pages (평가위원).

The forms only read what the reviewer typed; every rule about points (range, step, all required
before submission), versions and states lives in evaluation.sheets.
"""

from decimal import Decimal

import django_tables2 as tables
from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from evaluation.sheets import SheetInput, is_closed, point_messages
from portal.tables import PlainRows
from proposals.importing import cells


class PledgeForm(forms.Form):
    accept = forms.BooleanField(
        label=_("I have read the security pledge and accept it."),
        error_messages={"required": _("Check the box to accept the security pledge.")},
    )


class ConfirmNoConflictForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I have no conflict of interest with this applicant or its partner organisations."),
        error_messages={"required": _("Check the box to confirm that you have no conflict of interest.")},
    )


class DeclareConflictForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for recusal"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        error_messages={"required": _("Write the reason for declaring a conflict of interest.")},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(self.fields["reason"].error_messages["required"], code="required")
        return reason


class PointsField(forms.Field):
    """Points as SPEC §5 reads numbers (ASCII or full-width digits; ``-0`` is 0), the same parser
    as the score import; range and step are checked by evaluation.sheets."""

    default_error_messages = {"invalid": _("Enter a number.")}

    def to_python(self, value):
        try:
            return cells.points(value)
        except cells.CellError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class ScoresheetForm(forms.Form):
    """Points and a comment per criterion, an overall comment, the sheet version, the action:
    save a draft, save it and open the next sheet, or submit."""

    DRAFT = "draft"
    NEXT = "next"
    SUBMIT = "submit"

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    action = forms.ChoiceField(choices=[(DRAFT, DRAFT), (NEXT, NEXT), (SUBMIT, SUBMIT)], required=False)
    comment = forms.CharField(
        label=_("Overall comment"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    confirm_final = forms.BooleanField(
        label=_("I understand that a submitted sheet cannot be changed."), required=False
    )

    def __init__(self, criteria, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            self.fields[self.points_name(criterion)] = PointsField(label=criterion.name, required=False)
            self.fields[self.comment_name(criterion)] = forms.CharField(
                label=_("Comment on %(code)s") % {"code": criterion.code},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )

    @classmethod
    def for_autosave(cls, criteria, data):
        """The form of a background save: always a draft, whatever button the page last showed."""
        data = data.copy()
        data["action"] = cls.DRAFT
        data.pop("confirm_final", None)
        return cls(criteria, data=data)

    @staticmethod
    def points_name(criterion) -> str:
        return f"points_{criterion.pk}"

    @staticmethod
    def comment_name(criterion) -> str:
        return f"comment_{criterion.pk}"

    @classmethod
    def initial_for(cls, sheet, scores) -> dict:
        initial = {"version": sheet.version if sheet else 1, "comment": sheet.comment if sheet else ""}
        for score in scores:
            initial[f"points_{score.criterion_id}"] = (
                plain_number(score.points) if score.points is not None else ""
            )
            initial[f"comment_{score.criterion_id}"] = score.comment
        return initial

    @property
    def wants_submit(self) -> bool:
        return self.data.get("action") == self.SUBMIT

    @property
    def wants_next(self) -> bool:
        return self.data.get("action") == self.NEXT

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.SUBMIT and not cleaned.get("confirm_final"):
            self.add_error(
                "confirm_final",
                forms.ValidationError(
                    _("Check the box to confirm that a submitted sheet cannot be changed."), code="confirm"
                ),
            )
            # Name everything that stops the submission at once, not one thing per attempt: the
            # points evaluation.sheets would refuse (missing, out of range, off the step).
            typed = SheetInput(
                points={c.pk: cleaned.get(self.points_name(c)) for c in self.criteria if self._parsed(c)}
            )
            checked = [c for c in self.criteria if self._parsed(c)]
            for criterion_id, message in point_messages(checked, typed, require_all=True).items():
                self.add_error(f"points_{criterion_id}", message)
        return cleaned

    def _parsed(self, criterion) -> bool:
        """Whether the criterion's points were read (a number or blank), not refused as text."""
        return self.points_name(criterion) not in self.errors

    def add_point_errors(self, field_errors: dict) -> None:
        """evaluation.sheets' messages (criterion id → message) next to their fields."""
        for criterion_id, message in field_errors.items():
            self.add_error(f"points_{criterion_id}", message)

    def sheet_input(self) -> SheetInput:
        data = self.cleaned_data
        return SheetInput(
            points={c.pk: data.get(self.points_name(c)) for c in self.criteria},
            comments={c.pk: data.get(self.comment_name(c)) or "" for c in self.criteria},
            comment=data.get("comment") or "",
        )

    def typed_points(self) -> list[Decimal]:
        """The numbers typed so far (for the server-computed running total of a re-rendered page)."""
        values = []
        for criterion in self.criteria:
            try:
                value = cells.points(self.data.get(self.points_name(criterion)))
            except cells.CellError:
                continue
            if value is not None:
                values.append(value)
        return values

    def rows(self):
        """One row per criterion for the template: the criterion and its two bound fields."""
        return [
            (criterion, self[self.points_name(criterion)], self[self.comment_name(criterion)])
            for criterion in self.criteria
        ]

    def error_list(self) -> list[dict]:
        """Every message of a refused form in page order, each with the id of its field (for the
        error summary's links and the autosave's answer): the criteria's points, then the final
        confirmation; a message without a field (a tampered version) has no id."""
        items = []
        for criterion, points, _comment in self.rows():
            for message in points.errors:
                items.append(
                    {
                        "field": points.auto_id,
                        "error_id": f"points-{criterion.pk}-error",
                        "message": message,
                        "summary": _("%(code)s %(name)s: %(message)s")
                        % {"code": criterion.code, "name": criterion.name, "message": message},
                    }
                )
        for message in self["confirm_final"].errors:
            items.append(
                {
                    "field": self["confirm_final"].auto_id,
                    "error_id": "confirm-final-error",
                    "message": message,
                    "summary": message,
                }
            )
        for name in ("version", "action", "comment"):
            for message in self[name].errors:
                items.append({"field": None, "error_id": None, "message": message, "summary": message})
        for message in self.non_field_errors():
            items.append({"field": None, "error_id": None, "message": message, "summary": message})
        return items


def plain_number(value: Decimal) -> str:
    """``30.00`` → ``30``, ``0.50`` → ``0.5``: numbers as a reviewer writes them."""
    text = format(value.normalize(), "f")
    return text


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
