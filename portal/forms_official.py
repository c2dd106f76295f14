"""Forms of the officials' pages: reopen a submitted sheet, record a challenge (기피).

Neither holds a rule: reopening goes through ``evaluation.sheets.reopen`` (which asks for the
reason), and the challenge is written through the audited ``Conflict`` model with the official
and the reason as actor and reason of the audit record. Officials never edit scores.
"""

from django import forms
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evaluation.assignments import record_challenge
from evaluation.models import Conflict, Reviewer, Scoresheet
from evaluation.sheets import SheetError, reopen


class ReopenSheetForm(forms.Form):
    sheet = forms.ModelChoiceField(
        queryset=Scoresheet.objects.none(),
        label=gettext_lazy("Submitted sheet"),
        empty_label=None,
        widget=forms.Select(attrs={"class": "krds-form-select"}),
        error_messages={"invalid_choice": gettext_lazy("Choose a sheet of this proposal.")},
    )
    # Required by evaluation.sheets.reopen, whose message is shown next to the field.
    reason = forms.CharField(
        label=gettext_lazy("Reason for reopening"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "krds-input", "aria-required": "true"}),
    )

    def __init__(self, *args, sheets, **kwargs):
        """``sheets``: every sheet of the proposal in the stage; only submitted ones are offered."""
        kwargs.setdefault("auto_id", "reopen-%s")
        super().__init__(*args, **kwargs)
        field = self.fields["sheet"]
        field.queryset = sheets
        field.choices = [(sheet.pk, _sheet_label(sheet)) for sheet in sheets if sheet.is_submitted]

    def reopen(self, actor) -> Scoresheet | None:
        """Reopen the chosen sheet; on refusal the reason's message goes next to its field."""
        try:
            return reopen(self.cleaned_data["sheet"], self.cleaned_data["reason"], actor)
        except SheetError as error:
            self.add_error("reason" if error.code == "reason" else "sheet", error.message)
            return None


class ChallengeForm(forms.Form):
    """기피: an official records that a reviewer must not score this proposal."""

    reviewer = forms.ModelChoiceField(
        queryset=Reviewer.objects.none(),
        label=gettext_lazy("Reviewer"),
        empty_label=gettext_lazy("Choose a reviewer"),
        widget=forms.Select(attrs={"class": "krds-form-select"}),
        error_messages={
            "required": gettext_lazy("Choose the reviewer challenged."),
            "invalid_choice": gettext_lazy("Choose a reviewer assigned to this proposal."),
        },
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason for the challenge"),
        widget=forms.Textarea(attrs={"rows": 3, "class": "krds-input", "aria-required": "true"}),
        error_messages={"required": gettext_lazy("Write the reason for the challenge.")},
    )

    def __init__(self, *args, proposal, reviewers, **kwargs):
        kwargs.setdefault("auto_id", "challenge-%s")
        super().__init__(*args, **kwargs)
        self.proposal = proposal
        field = self.fields["reviewer"]
        field.queryset = reviewers
        field.label_from_instance = lambda reviewer: f"{reviewer.name} ({reviewer.affiliation})"

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(self.fields["reason"].error_messages["required"], code="required")
        return reason

    def clean(self):
        cleaned = super().clean()
        reviewer = cleaned.get("reviewer")
        if (
            reviewer is not None
            and Conflict.objects.filter(
                proposal=self.proposal, reviewer=reviewer, kind=Conflict.Kind.CHALLENGED
            ).exists()
        ):
            self.add_error("reviewer", _("A challenge is already recorded for this reviewer."))
        return cleaned

    @transaction.atomic
    def save(self, actor) -> Conflict:
        return record_challenge(
            self.proposal, self.cleaned_data["reviewer"], self.cleaned_data["reason"], actor
        )


def _sheet_label(sheet: Scoresheet) -> str:
    reviewer = sheet.assignment.reviewer
    return f"{reviewer.name} ({reviewer.affiliation})"
