"""Forms of the officials' pages: reopen a sheet (a submitted one; after publication any), record
a challenge (기피), record a bonus or penalty (가점/감점) and the order of a draw (추첨).

None holds a rule: reopening goes through ``evaluation.sheets.reopen`` (which asks for the
reason), adjustments and draws through ``evaluation.adjustments``, and the challenge is written
through the audited ``Conflict`` model with the official and the reason as actor and reason of the
audit record. Officials never edit scores.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evaluation.adjustments import record_adjustment, record_draw
from evaluation.assignments import record_challenge
from evaluation.models import Adjustment, Assignment, Conflict, Draw, Reviewer, Scoresheet
from evaluation.notices import Outcome, owed_assignments, remind
from evaluation.sheets import SheetError, can_reopen, reopen


class ReopenSheetForm(forms.Form):
    assignment = forms.ModelChoiceField(
        queryset=Assignment.objects.none(),
        label=gettext_lazy("Sheet to reopen"),
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

    def __init__(self, *args, assignments, closing_id, conflicted=(), **kwargs):
        """``assignments``: the proposal's assignments in the stage (with their sheets); those an
        official may reopen (``evaluation.sheets.can_reopen``) are offered: submitted sheets, and
        after a publication (``closing_id``) every sheet it closed — none of a reviewer in
        ``conflicted`` (reviewer ids), whose sheet never counts."""
        kwargs.setdefault("auto_id", "reopen-%s")
        super().__init__(*args, **kwargs)
        field = self.fields["assignment"]
        field.queryset = assignments
        field.choices = [
            (assignment.pk, _assignment_label(assignment))
            for assignment in assignments
            if assignment.reviewer_id not in conflicted
            and can_reopen(getattr(assignment, "sheet", None), closing_id)
        ]

    def reopen(self, actor) -> Scoresheet | None:
        """Reopen the chosen sheet; on refusal the reason's message goes next to its field."""
        try:
            return reopen(self.cleaned_data["assignment"], self.cleaned_data["reason"], actor)
        except SheetError as error:
            self.add_error("reason" if error.code == "reason" else "assignment", error.message)
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


POINTS_MESSAGE = gettext_lazy(
    "Enter the points as a non-zero number with at most two decimals, e.g. 1.5 or -2."
)


class AdjustmentForm(forms.Form):
    """가점 (positive points) or 감점 (negative points) with its reason."""

    points = forms.DecimalField(
        label=gettext_lazy("Points (+ bonus, − penalty)"),
        max_digits=5,
        decimal_places=2,
        widget=forms.TextInput(
            attrs={"class": "krds-input", "inputmode": "decimal", "aria-required": "true"}
        ),
        error_messages={
            key: POINTS_MESSAGE
            for key in ("required", "invalid", "max_digits", "max_decimal_places", "max_whole_digits")
        },
    )
    # Required by evaluation.adjustments.record_adjustment, whose message is shown next to it.
    reason = forms.CharField(
        label=gettext_lazy("Reason for the bonus or penalty"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "krds-input", "aria-required": "true"}),
    )

    def __init__(self, *args, proposal, **kwargs):
        kwargs.setdefault("auto_id", "adjustment-%s")
        super().__init__(*args, **kwargs)
        self.proposal = proposal

    def save(self, actor) -> Adjustment | None:
        """Record it; on refusal the message goes next to its field and nothing is written."""
        try:
            return record_adjustment(
                self.proposal, self.cleaned_data["points"], self.cleaned_data["reason"], actor
            )
        except ValidationError as error:
            self.add_error("reason" if error.code == "reason" else "points", error.messages[0])
            return None


class DrawForm(forms.Form):
    """The drawn order (1 ranks first) of each proposal of one tie, and how the draw was made."""

    method = forms.CharField(
        label=gettext_lazy("How the draw was made"),
        required=False,
        max_length=Draw._meta.get_field("method").max_length,
        widget=forms.TextInput(attrs={"class": "krds-input", "aria-required": "true"}),
        help_text=gettext_lazy("e.g. lots drawn by the applicants' representatives before the committee"),
    )

    def __init__(self, *args, proposals, **kwargs):
        """``proposals``: the tied proposals (ranking rows with ``id``, ``applicant``, ``title``)."""
        super().__init__(*args, **kwargs)
        self.rows = list(proposals)
        count = len(self.rows)
        for row in self.rows:
            self.fields[f"order_{row.id}"] = forms.IntegerField(
                label=_("Order drawn for %(applicant)s") % {"applicant": row.applicant},
                min_value=1,
                max_value=count,
                widget=forms.NumberInput(attrs={"class": "krds-input", "aria-required": "true"}),
                error_messages={
                    key: _("Enter an order from 1 to %(count)s.") % {"count": count}
                    for key in ("required", "invalid", "min_value", "max_value")
                },
            )

    def ordered_rows(self):
        """(ranking row, its order field) per tied proposal, for the template."""
        return [(row, self[f"order_{row.id}"]) for row in self.rows]

    def save(self, proposals: dict, actor) -> list[Draw] | None:
        """``proposals``: id → Proposal of the tie. Nothing is written when a check fails."""
        orders = {proposals[row.id]: self.cleaned_data[f"order_{row.id}"] for row in self.rows}
        try:
            return record_draw(orders, self.cleaned_data["method"], actor)
        except ValidationError as error:
            if error.code == "method":
                self.add_error("method", error.messages[0])
            else:
                self.add_error(None, error.messages[0])
            return None


def _assignment_label(assignment: Assignment) -> str:
    reviewer = assignment.reviewer
    return f"{reviewer.name} ({reviewer.affiliation})"


class RemindForm(forms.Form):
    """A reminder to one reviewer who owes sheets in a stage, or (no reviewer) to every one."""

    reviewer = forms.ModelChoiceField(
        queryset=Reviewer.objects.none(),
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy(
                "This reviewer owes no scoresheet in this stage any more: no reminder was sent."
            )
        },
    )

    def __init__(self, *args, stage, **kwargs):
        super().__init__(*args, **kwargs)
        self.stage = stage
        self.fields["reviewer"].queryset = Reviewer.objects.filter(
            pk__in=owed_assignments(stage.competition, stage).values("reviewer_id")
        )

    def send(self, actor) -> Outcome:
        reviewer = self.cleaned_data.get("reviewer")
        return remind(self.stage.competition, self.stage, [reviewer] if reviewer else None, actor)
