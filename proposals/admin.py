"""Django admin of competitions and proposals, and the audited admin every rule, input and
result model uses (SPEC §3: who, when, before, after, why).

``AuditedAdmin`` asks for a written reason on every change form (inlines included) and on
every delete confirmation (one object, or the "delete selected" action), and attributes the
change to the signed-in user: the audit entries of the save, its inlines, its many-to-many
fields and every cascaded deletion carry both. Its views run in ``audit_transaction``: the
entries are appended to the chain when the change is written."""

import copy
import dataclasses

from django import forms
from django.contrib import admin
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import flatten_fieldsets
from django.db import router
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from .audit_display import action_label
from .models import (
    Applicant,
    AuditEntry,
    Category,
    Competition,
    ImportUpload,
    Proposal,
    ProposalDocument,
    Track,
    audit_context,
    audit_transaction,
)

REASON = "audit_reason"


def _reason_field(label, message):
    return forms.CharField(
        label=label,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Kept in the audit trail with your name."),
        error_messages={"required": message},
    )


class AuditedModelForm(forms.ModelForm):
    audit_reason = _reason_field(
        _("Reason for the change"), _("Write the reason for the change; it is kept in the audit trail.")
    )


class DeleteReasonForm(forms.Form):
    audit_reason = _reason_field(
        _("Reason for deleting"), _("Write the reason for deleting; it is kept in the audit trail.")
    )


def unconfirmed(request, *drop):
    """The request as if the confirmation had not been posted (the page is shown again)."""
    clone = copy.copy(request)
    post = request.POST.copy()
    for key in drop:
        post.pop(key, None)
    clone.POST = post if drop else QueryDict()
    if not drop:
        clone.method = "GET"
    return clone


def with_reason(request, reason: str):
    """The request as if ``reason`` had been typed in the reason field (an admin page that asks
    for its own reason, such as the withdrawal of a conflict, hands it on this way)."""
    clone = copy.copy(request)
    post = request.POST.copy()
    post[REASON] = reason
    clone.POST = post
    return clone


def delete_selected_with_reason(modeladmin, request, queryset):
    """Django's "delete selected" action, with a written reason on its confirmation page."""
    confirmed = bool(request.POST.get("post"))
    form = DeleteReasonForm(request.POST if confirmed else None)
    if confirmed and form.is_valid():
        request.audit_reason = form.cleaned_data[REASON]
        return delete_selected(modeladmin, request, queryset)
    response = delete_selected(modeladmin, unconfirmed(request, "post") if confirmed else request, queryset)
    if response is not None and getattr(response, "context_data", None) is not None:
        response.context_data["audit_reason_form"] = form
    return response


class AuditedAdmin(admin.ModelAdmin):
    """Changes and deletions name the signed-in user and the reason typed in the form."""

    form = AuditedModelForm
    delete_confirmation_template = "admin/audited/delete_confirmation.html"
    delete_selected_confirmation_template = "admin/audited/delete_selected_confirmation.html"

    def _writable(self, request, obj) -> bool:
        return (
            self.has_change_permission(request, obj) if obj is not None else self.has_add_permission(request)
        )

    def get_fields(self, request, obj=None):
        fields = [name for name in super().get_fields(request, obj) if name != REASON]
        return [*fields, REASON] if self._writable(request, obj) else fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self._writable(request, obj) and REASON not in flatten_fieldsets(fieldsets):
            fieldsets = [*fieldsets, (None, {"fields": [REASON]})]
        return fieldsets

    def _reason(self, request, form=None) -> str:
        if form is not None and REASON in getattr(form, "cleaned_data", {}):
            return form.cleaned_data[REASON]
        return getattr(request, "audit_reason", "")

    def save_model(self, request, obj, form, change):
        with audit_context(request.user, self._reason(request, form)):
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        # Many-to-many fields and inlines (their saves and deletions) take the form's reason.
        with audit_context(request.user, self._reason(request, form)):
            super().save_related(request, form, formsets, change)

    def delete_model(self, request, obj):
        with audit_context(request.user, self._reason(request)):
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with audit_context(request.user, self._reason(request)):
            super().delete_queryset(request, queryset)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with audit_transaction(using=router.db_for_write(self.model)):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        # Django deletes on any POST to this page: every POST must carry the reason.
        confirmed = request.method == "POST"
        form = DeleteReasonForm(request.POST if confirmed else None)
        if confirmed and form.is_valid():
            request.audit_reason = form.cleaned_data[REASON]
            with audit_transaction(using=router.db_for_write(self.model)):
                return super().delete_view(request, object_id, extra_context)
        if confirmed:
            request = unconfirmed(request)
        return super().delete_view(request, object_id, {**(extra_context or {}), "audit_reason_form": form})

    def response_action(self, request, queryset, action_location=ActionLocation.CHANGE_LIST):
        with audit_transaction(using=router.db_for_write(self.model)):
            return super().response_action(request, queryset, action_location=action_location)

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        action = actions.get("delete_selected")
        if action is not None and action.func is delete_selected:
            actions["delete_selected"] = dataclasses.replace(action, func=delete_selected_with_reason)
        return actions


class ReadOnlyAdminMixin:
    """Listed and shown in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAuditedAdmin(ReadOnlyAdminMixin, AuditedAdmin):
    """Shown, never changed here: the records a service writes with its own rules (a sheet, a
    bonus or penalty, a draw, a publication)."""


class AuditedInline(admin.TabularInline):
    """An inline of an ``AuditedAdmin``: saved with the parent form's reason."""

    extra = 0


class CategoryInline(AuditedInline):
    model = Category


@admin.register(Competition)
class CompetitionAdmin(AuditedAdmin):
    list_display = ("name", "slug", "year", "status", "minimum_score")
    list_filter = ("status", "year")
    search_fields = ("name", "slug")
    inlines = [CategoryInline]


class TrackInline(AuditedInline):
    model = Track


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ("name", "code", "competition", "slots", "order")
    list_filter = ("competition",)
    search_fields = ("name", "code")
    inlines = [TrackInline]


@admin.register(Track)
class TrackAdmin(AuditedAdmin):
    list_display = ("name", "code", "category", "slots", "subsidy", "matching_ratio")
    list_filter = ("category__competition", "category")
    search_fields = ("name", "code")
    list_select_related = ("category",)


@admin.register(Applicant)
class ApplicantAdmin(AuditedAdmin):
    list_display = ("name", "province")
    list_filter = ("province",)
    search_fields = ("name", "province")


class ProposalDocumentForm(forms.ModelForm):
    class Meta:
        model = ProposalDocument
        fields = ("kind", "file", "original_name")
        # No "currently: <link>" (documents have no URL: a reading goes through the pages that
        # check the reader and record it) and no "clear" box (a document without a file is none).
        widgets = {"file": forms.FileInput}


class ProposalDocumentInline(AuditedInline):
    """The proposal's documents (사업계획서, attachments), saved with the change form's reason:
    a new or replaced file is checked as on every path (``ProposalDocument.save()``)."""

    model = ProposalDocument
    form = ProposalDocumentForm
    fields = ("kind", "file", "original_name", "size", "sha256", "uploaded_by", "uploaded_at")
    readonly_fields = ("size", "sha256", "uploaded_by", "uploaded_at")


@admin.register(ProposalDocument)
class ProposalDocumentAdmin(ReadOnlyAuditedAdmin):
    """Listed here; added, replaced and removed on the proposal's page (the inline above)."""

    list_display = ("original_name", "kind", "proposal", "size", "uploaded_by", "uploaded_at")
    list_filter = ("kind", "proposal__competition")
    search_fields = ("original_name", "proposal__reference", "proposal__applicant__name", "sha256")
    list_select_related = ("proposal__applicant", "uploaded_by")
    fields = (
        "proposal",
        "kind",
        "original_name",
        "size",
        "sha256",
        "content_type",
        "uploaded_by",
        "uploaded_at",
    )


@admin.register(Proposal)
class ProposalAdmin(AuditedAdmin):
    list_display = (
        "reference",
        "applicant",
        "title",
        "track",
        "national_subsidy",
        "local_matching",
        "status",
    )
    list_filter = ("competition", "track", "status")
    search_fields = ("reference", "title", "applicant__name", "summary")
    list_select_related = ("applicant", "track")
    autocomplete_fields = ("applicant",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [ProposalDocumentInline]


@admin.register(ImportUpload)
class ImportUploadAdmin(admin.ModelAdmin):
    list_display = ("filename", "kind", "competition", "state", "uploaded_by", "uploaded_at")
    list_filter = ("kind", "state")
    exclude = ("content",)
    readonly_fields = (
        "kind",
        "competition",
        "filename",
        "sha256",
        "state",
        "summary",
        "uploaded_by",
        "uploaded_at",
        "applied_at",
    )

    def has_add_permission(self, request):
        return False


class ActionFilter(admin.SimpleListFilter):
    """Actions by their Korean label (``proposals.audit_display``), not their keys."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        actions = AuditEntry.objects.order_by().values_list("action", flat=True).distinct()
        return sorted(((action, action_label(action)) for action in actions), key=lambda item: item[1])

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail is read-only, here as everywhere."""

    list_display = ("sequence", "created_at", "actor", "action_text", "object_type", "object_id", "reason")
    list_filter = (ActionFilter, "object_type", "competition")
    search_fields = ("object_id", "reason", "digest")
    date_hierarchy = "created_at"
    readonly_fields = ("digest", "previous_digest")

    @admin.display(description=_("action"), ordering="action")
    def action_text(self, entry):
        return action_label(entry.action)


admin.site.site_header = _("Competition evaluation administration")
admin.site.site_title = _("Competition evaluation")
