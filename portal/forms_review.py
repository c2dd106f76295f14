"""Forms and the assignment table of the reviewer pages (평가위원).

The forms only read what the reviewer typed; every rule about points (range, step, all required
before submission), versions and states lives in evaluation.sheets.
"""

from decimal import Decimal

import django_tables2 as tables
from django import forms
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from evaluation.sheets import SheetInput, is_closed
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
    """Points and a comment per criterion, an overall comment, the sheet version, the action."""

    DRAFT = "draft"
    SUBMIT = "submit"

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    action = forms.ChoiceField(choices=[(DRAFT, DRAFT), (SUBMIT, SUBMIT)], required=False)
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

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == self.SUBMIT and not cleaned.get("confirm_final"):
            self.add_error(
                "confirm_final",
                forms.ValidationError(
                    _("Check the box to confirm that a submitted sheet cannot be changed."), code="confirm"
                ),
            )
        return cleaned

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


class AssignmentTable(tables.Table):
    """The reviewer's own assignments: no other reviewer's data, no score, no aggregate."""

    stage = tables.Column(verbose_name=_("Stage"), accessor="stage__name")
    track = tables.Column(verbose_name=_("Track"), accessor="proposal__track__name")
    applicant = tables.Column(verbose_name=_("Applicant"), accessor="proposal__applicant__name")
    state = tables.Column(verbose_name=_("Sheet"), empty_values=())
    action = tables.Column(verbose_name=_("Action"), empty_values=())

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
        return format_html('<span class="sheet-state {}">{}</span>', state, SheetState.LABELS[state])

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
        return format_html(
            '<a class="krds-btn small secondary" href="{}">{}<span class="sr-only"> — {}</span></a>',
            url,
            label,
            record.proposal.applicant.name,
        )
