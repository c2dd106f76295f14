"""Forms and the assignment table of the reviewer pages (평가위원).

The forms only read what the reviewer typed; every rule about points (range, step, all required
before submission), versions and states lives in evaluation.sheets.
"""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from evaluation.rules import plain_number
from evaluation.sheets import SheetInput, point_messages
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
