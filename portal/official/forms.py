"""Forms of the officials' pages: reopen a sheet (a submitted one; after publication any), record
a challenge (기피), record a bonus or penalty (가점/감점) and the order of a draw (추첨).

None holds a rule: reopening goes through ``evaluation.sheets.reopen`` (which asks for the
reason), adjustments and draws through ``evaluation.adjustments``, and the challenge is written
through the audited ``Conflict`` model with the official and the reason as actor and reason of the
audit record. Officials never edit scores.
"""

import datetime

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evaluation.adjustments import delete_adjustment, record_adjustment, record_draw
from evaluation.assignments import record_challenge
from evaluation.models import Adjustment, AdjustmentItem, Assignment, Conflict, Draw, Reviewer, Scoresheet
from evaluation.notices import Outcome, owed_assignments, remind
from evaluation.queries import reviewer_entries
from evaluation.reviewer_codes import reviewer_codes
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

    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I confirm the reopening: the sheet's total stops counting until the reviewer submits it "
            "again, and the reviewer is e-mailed the reason."
        ),
        error_messages={
            "required": gettext_lazy("Tick the box to confirm the reopening; nothing was changed.")
        },
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

    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I confirm the challenge: this reviewer no longer scores this proposal and a sheet already "
            "made does not count; only an administrator can withdraw it, with a written reason."
        ),
        error_messages={
            "required": gettext_lazy("Tick the box to confirm the challenge; nothing was recorded.")
        },
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


class AdjustmentItemField(forms.ModelChoiceField):
    def label_from_instance(self, item):
        return _("%(name)s (%(range)s points)") % {"name": item.name, "range": item.range_text()}


class AdjustmentForm(forms.Form):
    """가점 (positive points) or 감점 (negative points) with its reason: the value of one of the
    competition's typed items (SPEC §8.4), or a free entry."""

    item = AdjustmentItemField(
        label=gettext_lazy("Item"),
        queryset=AdjustmentItem.objects.none(),
        required=False,
        empty_label=gettext_lazy("No item (free entry)"),
        widget=forms.Select(attrs={"class": "krds-form-select"}),
        error_messages={"invalid_choice": gettext_lazy("Choose one of the items listed.")},
    )
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
        items = AdjustmentItem.objects.filter(competition_id=proposal.competition_id).order_by(
            "order", "code"
        )
        self.fields["item"].queryset = items
        if not items.exists():
            del self.fields["item"]

    def save(self, actor) -> Adjustment | None:
        """Record it; on refusal the message goes next to its field and nothing is written."""
        try:
            return record_adjustment(
                self.proposal,
                self.cleaned_data["points"],
                self.cleaned_data["reason"],
                actor,
                item=self.cleaned_data.get("item"),
            )
        except ValidationError as error:
            self.add_error("reason" if error.code == "reason" else "points", error.messages[0])
            return None


class AdjustmentDeleteForm(forms.Form):
    """Why a mistaken bonus or penalty is deleted (kept in the audit trail)."""

    reason = forms.CharField(
        label=gettext_lazy("Why is this entry deleted?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "krds-input", "aria-required": "true"}),
    )

    def __init__(self, *args, adjustment, **kwargs):
        kwargs.setdefault("auto_id", "delete-%s")
        super().__init__(*args, **kwargs)
        self.adjustment = adjustment

    def save(self, actor) -> bool:
        try:
            delete_adjustment(self.adjustment, self.cleaned_data["reason"], actor)
        except ValidationError as error:
            self.add_error("reason", error.messages[0])
            return False
        return True


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
                label=_("Order drawn for %(applicant)s") % {"applicant": row.applicant_shown},
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


class AuditFilterForm(forms.Form):
    """Narrows a proposal's audit trail (a GET form): by kind of record, by reviewer (code A, B, C…
    for officials, as the trail names them; their assignment, sheet and score entries), and by date
    (Asia/Seoul)."""

    KINDS = ("proposal", "assignment", "scoresheet", "score", "conflict", "adjustment", "draw")

    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of record"),
        required=False,
        widget=forms.Select(attrs={"class": "krds-form-select"}),
    )
    reviewer = forms.ChoiceField(
        label=gettext_lazy("Reviewer code"),
        required=False,
        widget=forms.Select(attrs={"class": "krds-form-select"}),
    )
    since = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "krds-input"}),
        error_messages={"invalid": gettext_lazy("Enter a date such as 2026-12-01.")},
    )
    until = forms.DateField(
        label=gettext_lazy("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date", "class": "krds-input"}),
        error_messages={"invalid": gettext_lazy("Enter a date such as 2026-12-01.")},
    )

    def __init__(self, *args, stage, proposal, names=None, **kwargs):
        """``names``: reviewer id → name, for an admin (officials see codes only)."""
        kwargs.setdefault("auto_id", "trail-%s")
        super().__init__(*args, **kwargs)
        self.stage, self.proposal = stage, proposal
        self.codes = reviewer_codes(stage, proposal)  # reviewer id → code
        self.fields["kind"].choices = [("", _("Every kind"))] + [
            (
                kind,
                str(
                    apps.get_model(
                        "evaluation" if kind != "proposal" else "proposals", kind
                    )._meta.verbose_name
                ),
            )
            for kind in self.KINDS
        ]
        reviewers = sorted(self.codes.items(), key=lambda item: item[1])
        self.fields["reviewer"].choices = [("", _("Every reviewer"))] + [
            (
                code,
                f"{names[pk]} ({code})" if names and pk in names else _("Reviewer %(code)s") % {"code": code},
            )
            for pk, code in reviewers
        ]

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned

    def filter(self, trail):
        """``trail`` (``evaluation.queries.proposal_audit_trail``) narrowed to what was asked."""
        if not self.is_bound or not self.is_valid():
            return trail
        data = self.cleaned_data
        if data.get("kind"):
            trail = trail.filter(object_type=data["kind"])
        if data.get("reviewer"):
            reviewer_id = next((pk for pk, code in self.codes.items() if code == data["reviewer"]), None)
            trail = trail.filter(reviewer_entries(self.stage, self.proposal, reviewer_id))
        zone = timezone.get_current_timezone()
        if data.get("since"):
            trail = trail.filter(
                created_at__gte=datetime.datetime.combine(data["since"], datetime.time(), zone)
            )
        if data.get("until"):
            end = data["until"] + datetime.timedelta(days=1)
            trail = trail.filter(created_at__lt=datetime.datetime.combine(end, datetime.time(), zone))
        return trail

    @property
    def active(self) -> bool:
        return self.is_bound and self.is_valid() and any(self.cleaned_data.values())


# --- Result letters and appeals (issue 13) ------------------------------------------------------
# The rules are the services' (evaluation.letters, evaluation.appeals): these forms collect the
# inputs and put the services' refusals next to the fields they concern.


class IssueLettersForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I confirm: a new link is made for each letter, a letter in force is revoked and replaced, "
            "and the letters are e-mailed to the applicants' contacts."
        ),
        error_messages={"required": gettext_lazy("Tick the box to confirm; no letter was issued.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "issue-%s")
        super().__init__(*args, **kwargs)


class RevokeLetterForm(forms.Form):
    # Required by evaluation.letters.revoke_letter, whose message is shown next to the field.
    reason = forms.CharField(
        label=gettext_lazy("Reason for revoking the link"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "krds-input", "aria-required": "true"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "revoke-%s")
        super().__init__(*args, **kwargs)


class CommitteeMemberForm(forms.Form):
    """A reviewer of the pool for an appeal's committee. Every reviewer is a valid choice here:
    the ones who may not sit on it are shown disabled, and the model refuses them on every path
    (``AppealCommitteeMember.check_eligible``), whose message goes next to the field."""

    reviewer = forms.ModelChoiceField(
        queryset=Reviewer.objects.none(),
        label=gettext_lazy("Member to add"),
        empty_label=gettext_lazy("Choose a reviewer"),
        widget=forms.Select(attrs={"class": "krds-form-select"}),
        error_messages={
            "required": gettext_lazy("Choose the reviewer to add."),
            "invalid_choice": gettext_lazy("Choose a reviewer of the pool."),
        },
    )

    def __init__(self, *args, reviewers, ineligible=None, **kwargs):
        """``reviewers``: the pool; ``ineligible``: {reviewer id: why not} (shown disabled)."""
        kwargs.setdefault("auto_id", "member-%s")
        super().__init__(*args, **kwargs)
        ineligible = ineligible or {}
        field = self.fields["reviewer"]
        field.queryset = reviewers
        field.widget = _SelectWithDisabled(attrs={"class": "krds-form-select"}, disabled=set(ineligible))
        field.choices = [("", field.empty_label)] + [
            (
                reviewer.pk,
                f"{reviewer.name} ({reviewer.affiliation})"
                + (f" — {ineligible[reviewer.pk]}" if reviewer.pk in ineligible else ""),
            )
            for reviewer in reviewers
        ]


class _SelectWithDisabled(forms.Select):
    def __init__(self, *args, disabled=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled = disabled

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        if getattr(value, "value", value) in self.disabled:
            option["attrs"]["disabled"] = True
        return option


class RemoveMemberForm(forms.Form):
    # Required by evaluation.appeals.remove_committee_member (its message next to the field).
    reason = forms.CharField(
        label=gettext_lazy("Reason for taking the member off the committee"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "krds-input", "aria-required": "true"}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "remove-%s")
        super().__init__(*args, **kwargs)


class AppealDecisionForm(forms.Form):
    ACCEPT, REJECT = "accept", "reject"

    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[(ACCEPT, gettext_lazy("Accept (인용)")), (REJECT, gettext_lazy("Reject (기각)"))],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose the decision: accept or reject.")},
    )
    # Required by evaluation.appeals.decide_appeal, whose message is shown next to the field.
    reasons = forms.CharField(
        label=gettext_lazy("Reasons for the decision"),
        required=False,
        help_text=gettext_lazy("Sent to the applicant by e-mail and kept in the audit trail."),
        widget=forms.Textarea(attrs={"rows": 5, "class": "krds-input", "aria-required": "true"}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I confirm the committee's decision: it cannot be changed afterwards, and the applicant is "
            "told by e-mail."
        ),
        error_messages={
            "required": gettext_lazy("Tick the box to confirm the decision; nothing was recorded.")
        },
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "decision-%s")
        super().__init__(*args, **kwargs)
