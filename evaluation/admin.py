"""Django admin for evaluation setup (SPEC §2: admins set up stages, rubrics, reviewers, panels).

Every model here is audited and uses ``proposals.admin.AuditedAdmin``: a change or deletion asks
for a written reason and is attributed to the signed-in user. Scoresheets, scores, bonuses and
penalties, draws, publications and pledges are read-only here: they change only through the
services that keep their rules (the reviewer's form, the import, an official's reopen, the
officials' pages, publishing).
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from proposals.admin import (
    AuditedAdmin,
    AuditedInline,
    AuditedModelForm,
    ReadOnlyAuditedAdmin,
    unconfirmed,
    with_reason,
)

from . import notices
from .appeals import AppealRefused, remove_committee_member
from .assignments import (
    assignments_conflicted_by,
    check_withdrawal,
    conflicted_assignments,
    form_panel,
    withdraw_conflict,
)
from .models import (
    Adjustment,
    AdjustmentItem,
    Appeal,
    AppealCommitteeMember,
    Assignment,
    Conflict,
    Criterion,
    Draw,
    LetterOpening,
    Notice,
    Panel,
    PastAffiliation,
    Publication,
    ResultLetter,
    Reviewer,
    ReviewerDraw,
    Rubric,
    Score,
    Scoresheet,
    SecurityPledge,
    Stage,
)


class RubricInline(AuditedInline):
    model = Rubric
    fields = ("tracks", "criteria_list")
    readonly_fields = ("criteria_list",)
    filter_horizontal = ("tracks",)
    show_change_link = True

    @admin.display(description=_("criteria"))
    def criteria_list(self, rubric):
        if rubric.pk is None:
            return "—"
        return format_html_join(
            ", ",
            "{} {} ({})",
            ((c.code, c.name, c.max_points) for c in rubric.criteria.all()),
        )


@admin.register(Stage)
class StageAdmin(AuditedAdmin):
    list_display = (
        "name",
        "code",
        "competition",
        "order",
        "weight",
        "advance_top_multiple",
        "advance_cutoff",
    )
    list_filter = ("competition",)
    search_fields = ("name", "code")
    list_select_related = ("competition",)
    inlines = [RubricInline]


class CriterionInline(AuditedInline):
    model = Criterion
    fields = ("order", "code", "name", "description", "max_points", "step", "tie_break_priority")


@admin.register(Rubric)
class RubricAdmin(AuditedAdmin):
    list_display = ("__str__", "stage")
    list_filter = ("stage__competition", "stage")
    filter_horizontal = ("tracks",)
    inlines = [CriterionInline]


class PastAffiliationInline(AuditedInline):
    model = PastAffiliation


@admin.register(Reviewer)
class ReviewerAdmin(AuditedAdmin):
    list_display = ("name", "affiliation", "email", "field", "external")
    list_filter = ("external",)
    search_fields = ("name", "affiliation", "email", "field", "past_affiliations__organisation")
    autocomplete_fields = ("user",)
    inlines = [PastAffiliationInline]


@admin.action(description=_("Assign reviewers (form the panel)"), permissions=["change"])
def form_panels(modeladmin, request, queryset):
    with notices.batched():  # one e-mail per reviewer and stage, however many panels
        for panel in queryset.select_related("stage"):
            _form_one_panel(modeladmin, request, panel)


def _form_one_panel(modeladmin, request, panel):
    report = form_panel(panel, actor=request.user)
    modeladmin.message_user(request, report.formed_summary(panel), messages.SUCCESS)
    for conflicted in report.conflicted:  # never silent: a sheet that stops counting is named
        modeladmin.message_user(request, conflicted.message(), messages.WARNING)


@admin.register(Panel)
class PanelAdmin(AuditedAdmin):
    list_display = ("name", "stage", "track_list", "member_count")
    list_filter = ("stage__competition", "stage")
    search_fields = ("name",)
    filter_horizontal = ("members", "tracks")
    actions = [form_panels]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("stage").prefetch_related("tracks", "members")

    @admin.display(description=_("tracks"))
    def track_list(self, panel):
        return ", ".join(track.name for track in panel.tracks.all()) or "—"

    @admin.display(description=_("members"))
    def member_count(self, panel):
        return len(panel.members.all())


@admin.register(ReviewerDraw)
class ReviewerDrawAdmin(ReadOnlyAuditedAdmin):
    """Recorded by the draw (``assign``, the administrators' panels page); never changed."""

    list_display = ("created_at", "stage", "proposal", "seed", "seats", "chosen_names", "actor")
    list_filter = ("stage__competition", "stage")
    search_fields = ("proposal__reference", "proposal__applicant__name")
    list_select_related = ("stage", "proposal__applicant", "actor")

    fields = readonly_fields = (
        "stage",
        "proposal",
        "panel_names",
        "seed",
        "seats",
        "candidate_list",
        "exclusion_list",
        "chosen_names",
        "actor",
        "created_at",
    )

    @admin.display(description=_("panels drawn from"))
    def panel_names(self, draw):
        return ", ".join(panel["name"] for panel in draw.panels)

    @admin.display(description=_("candidates in order"))
    def candidate_list(self, draw):
        return (
            format_html_join(
                "",
                "<div>{}. {} — {}</div>",
                (
                    (
                        number,
                        c["name"],
                        gettext("load %(load)s, lot %(lot)s") % {"load": c["load"], "lot": c["lot"]},
                    )
                    for number, c in enumerate(draw.candidates, 1)
                ),
            )
            or "—"
        )

    @admin.display(description=_("members left out"))
    def exclusion_list(self, draw):
        return (
            format_html_join(
                "",
                "<div>{} — {} {}</div>",
                (
                    (e["name"], ReviewerDraw.Exclusion(e["reason"]).label, e["detail"])
                    for e in draw.exclusions
                ),
            )
            or "—"
        )

    @admin.display(description=_("reviewers chosen"))
    def chosen_names(self, draw):
        names = {c["reviewer"]: c["name"] for c in draw.candidates}
        return ", ".join(names.get(pk, str(pk)) for pk in draw.chosen)


class WithdrawalForm(forms.Form):
    """The written reason a recorded conflict is withdrawn with (SPEC §3: audited with it)."""

    reason = forms.CharField(
        label=_("Reason for withdrawing the conflict of interest"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
    )

    def __init__(self, conflict, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict = conflict

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        check_withdrawal([self.conflict], reason)
        return reason


@admin.register(Conflict)
class ConflictAdmin(AuditedAdmin):
    list_display = ("reviewer", "proposal", "kind", "reason", "recorded_by", "created_at")
    list_filter = ("kind", "proposal__competition")
    search_fields = ("reviewer__name", "proposal__reference", "proposal__applicant__name", "reason")
    list_select_related = ("reviewer", "proposal__applicant", "recorded_by")
    autocomplete_fields = ("reviewer",)
    raw_id_fields = ("proposal",)
    readonly_fields = ("recorded_by", "created_at")
    delete_confirmation_template = "admin/evaluation/conflict/delete_confirmation.html"

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # a recorded conflict keeps its pair and kind; only the reason is edited
            return ("proposal", "reviewer", "kind", *self.readonly_fields)
        return self.readonly_fields

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # each withdrawal has its own written reason
        return actions

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            for conflicted in assignments_conflicted_by(obj):
                self.message_user(request, conflicted.message(), messages.WARNING)

    def delete_view(self, request, object_id, extra_context=None):
        """Django's confirmation page with the withdrawal's reason, which must also pass
        ``check_withdrawal`` (a 제척 that still holds cannot be withdrawn); without it nothing is
        deleted. The reason is handed on as the audited admin's reason for deleting."""
        conflict = self.get_object(request, unquote(object_id))
        form = None
        if conflict is not None:
            form = WithdrawalForm(conflict, request.POST if request.method == "POST" else None)
            if form.is_bound:
                if form.is_valid():
                    request = with_reason(request, form.cleaned_data["reason"])
                else:
                    request = unconfirmed(request)  # the page again, with the message
        return super().delete_view(request, object_id, {**(extra_context or {}), "withdrawal_form": form})

    def delete_model(self, request, obj):
        withdraw_conflict(obj, self._reason(request), request.user)


@admin.register(Assignment)
class AssignmentAdmin(AuditedAdmin):
    """Adding an assignment runs the conflict check (the model's clean() and save()): a conflicted
    pair is a form error naming the conflict, and nothing is written."""

    list_display = (
        "reviewer",
        "proposal",
        "stage",
        "source",
        "panel",
        "no_conflict_confirmed_at",
        "created_at",
    )
    list_filter = ("stage__competition", "stage", "source")
    search_fields = ("reviewer__name", "proposal__reference", "proposal__applicant__name")
    list_select_related = ("reviewer", "proposal__applicant", "stage", "panel")
    autocomplete_fields = ("reviewer",)
    raw_id_fields = ("proposal",)
    readonly_fields = ("no_conflict_confirmed_at", "created_at", "conflicts")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("stage", "proposal", "reviewer", "panel", "source", *self.readonly_fields)
        return ("no_conflict_confirmed_at", "created_at")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:  # the reviewer is told once the admin's transaction commits
            notices.notify_assignments([obj], request.user)

    @admin.display(description=_("conflicts of interest"))
    def conflicts(self, assignment):
        found = conflicted_assignments(Assignment.objects.filter(pk=assignment.pk))
        return found[0].message() if found else gettext("None recorded")


class ScoreInline(AuditedInline):
    model = Score
    extra = 0
    fields = ("criterion", "points", "comment")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Scoresheet)
class ScoresheetAdmin(ReadOnlyAuditedAdmin):
    """Read-only: scores change only through the reviewer's form, the import or a reopen."""

    list_display = ("assignment", "status", "total", "version", "submitted_at", "updated_at")
    list_filter = ("status", "assignment__stage__competition", "assignment__stage")
    search_fields = ("assignment__reviewer__name", "assignment__proposal__reference")
    list_select_related = ("assignment__reviewer", "assignment__proposal", "assignment__stage")
    inlines = [ScoreInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(SecurityPledge)
class SecurityPledgeAdmin(ReadOnlyAuditedAdmin):
    list_display = ("reviewer", "competition", "accepted_at", "text_version")
    list_filter = ("competition",)
    readonly_fields = ("reviewer", "competition", "accepted_at", "text_version")


@admin.register(Criterion)
class CriterionAdmin(AuditedAdmin):
    list_display = ("code", "name", "rubric", "max_points", "step", "tie_break_priority", "order")
    list_filter = ("rubric__stage__competition", "rubric__stage")
    search_fields = ("code", "name")
    list_select_related = ("rubric__stage",)


@admin.register(PastAffiliation)
class PastAffiliationAdmin(AuditedAdmin):
    list_display = ("reviewer", "organisation", "until")
    search_fields = ("reviewer__name", "organisation")
    autocomplete_fields = ("reviewer",)


@admin.register(Score)
class ScoreAdmin(ReadOnlyAuditedAdmin):
    list_display = ("sheet", "criterion", "points")
    list_filter = ("sheet__assignment__stage__competition", "sheet__status")
    list_select_related = ("sheet__assignment__reviewer", "sheet__assignment__proposal", "criterion")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(AdjustmentItem)
class AdjustmentItemAdmin(AuditedAdmin):
    """A competition's typed bonus and penalty items (SPEC §8.4; usually from the competition file).
    The model refuses a max of 0 and, on every path, a recorded value outside a changed range."""

    list_display = ("name", "code", "competition", "max_points", "order")
    list_filter = ("competition",)
    search_fields = ("code", "name")


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAuditedAdmin):
    """Recorded on the officials' ranking page, where the cap and the reason are checked, or by
    ``import_adjustments``; a mistaken entry is deleted there, with a reason."""

    list_display = ("proposal", "item", "points", "reason", "recorded_by", "created_at")
    list_filter = ("proposal__competition",)
    list_select_related = ("proposal__applicant", "recorded_by", "item")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(Draw)
class DrawAdmin(ReadOnlyAuditedAdmin):
    """Recorded on the officials' ranking page."""

    list_display = ("proposal", "order", "method", "recorded_by", "created_at")
    list_filter = ("proposal__competition",)
    list_select_related = ("proposal__applicant", "recorded_by")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAuditedAdmin):
    """Frozen: a correction is a new publication (``publish``)."""

    list_display = ("competition", "number", "digest", "published_by", "published_at", "supersedes")
    list_filter = ("competition",)
    exclude = ("snapshot",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name != "snapshot"]


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAuditedAdmin):
    """E-mails sent to reviewers (``evaluation.notices``): a log, never edited."""

    list_display = ("created_at", "kind", "reviewer", "recipient", "subject", "status", "sent_by")
    list_filter = ("competition", "kind", "status")
    search_fields = ("reviewer__name", "recipient", "subject")
    list_select_related = ("reviewer", "sent_by")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields] + ["assignments"]


# --- Result letters and appeals (issue 13) ------------------------------------------------------


@admin.register(ResultLetter)
class ResultLetterAdmin(ReadOnlyAuditedAdmin):
    """Issued and revoked through ``evaluation.letters`` (the officials' letters page, ``letters``);
    the link's token exists only in the e-mail, and its SHA-256 is not shown here either."""

    list_display = (
        "proposal",
        "publication",
        "issued_at",
        "expires_at",
        "revoked_at",
        "delivery",
        "issued_by",
    )
    list_filter = ("publication__competition", "delivery")
    search_fields = ("proposal__reference", "proposal__applicant__name")
    list_select_related = ("proposal__applicant", "publication__competition", "issued_by")
    exclude = ("token_sha256", "content")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]


@admin.register(LetterOpening)
class LetterOpeningAdmin(ReadOnlyAuditedAdmin):
    """Every opening of a letter's link (append-only, logged by ``evaluation.letters.open_letter``)."""

    list_display = ("letter", "opened_at", "address")
    list_filter = ("letter__publication__competition",)
    list_select_related = ("letter__proposal", "letter__publication")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


class CommitteeMemberInline(admin.TabularInline):
    model = AppealCommitteeMember
    fields = readonly_fields = ("reviewer", "added_by", "added_at")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAuditedAdmin):
    """Filed through the letter's link, decided on the officials' appeals page or with ``appeals``
    (``evaluation.appeals``); a committee member may be recorded here too (below)."""

    list_display = (
        "pk",
        "proposal",
        "publication",
        "ground",
        "status",
        "filed_at",
        "decided_at",
        "corrected_by",
    )
    list_filter = ("publication__competition", "status", "ground")
    search_fields = ("proposal__reference", "proposal__applicant__name")
    list_select_related = ("proposal__applicant", "publication__competition", "corrected_by")
    inlines = [CommitteeMemberInline]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


class CommitteeMemberForm(AuditedModelForm):
    """The rules of ``appeals.add_committee_member`` on the admin's form: a decided appeal's
    committee is closed; the model's ``clean`` (``check_eligible``) refuses the proposal's own
    reviewers and those with a conflict on it, as a message on the reviewer field."""

    class Meta:
        model = AppealCommitteeMember
        fields = ("appeal", "reviewer")

    def clean(self):
        cleaned = super().clean()
        appeal = cleaned.get("appeal")
        if appeal is not None and appeal.status != Appeal.Status.RECEIVED:
            self.add_error("appeal", gettext("This appeal has been decided; its committee is closed."))
        return cleaned


@admin.register(AppealCommitteeMember)
class AppealCommitteeMemberAdmin(AuditedAdmin):
    """Members are added here or through ``appeals.add_committee_member``; never changed (take one
    off and add another); taken off before the decision with a reason
    (``appeals.remove_committee_member``)."""

    form = CommitteeMemberForm
    list_display = ("reviewer", "appeal", "added_by", "added_at")
    list_filter = ("appeal__publication__competition",)
    list_select_related = ("reviewer", "appeal__proposal", "added_by")
    autocomplete_fields = ("reviewer",)
    raw_id_fields = ("appeal",)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("appeal", "reviewer", "added_by", "added_at")
        return ()

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.appeal.status != Appeal.Status.RECEIVED:
            return False
        return super().has_delete_permission(request, obj)

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # each member is taken off with its own reason
        return actions

    def save_model(self, request, obj, form, change):
        obj.added_by = request.user
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        try:
            remove_committee_member(obj, request.user, self._reason(request))
        except AppealRefused as refused:  # decided meanwhile
            self.message_user(request, refused.message, messages.ERROR)
