from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import Applicant, AuditEntry, Category, Competition, ImportUpload, Proposal, Track


class CategoryInline(admin.TabularInline):
    model = Category
    extra = 0


@admin.register(Competition)
class CompetitionAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "year", "status", "minimum_score")
    list_filter = ("status", "year")
    search_fields = ("name", "slug")
    inlines = [CategoryInline]


class TrackInline(admin.TabularInline):
    model = Track
    extra = 0


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "competition", "slots", "order")
    list_filter = ("competition",)
    search_fields = ("name", "code")
    inlines = [TrackInline]


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "category", "slots", "subsidy", "matching_ratio")
    list_filter = ("category__competition", "category")
    search_fields = ("name", "code")
    list_select_related = ("category",)


@admin.register(Applicant)
class ApplicantAdmin(admin.ModelAdmin):
    list_display = ("name", "province")
    list_filter = ("province",)
    search_fields = ("name", "province")


@admin.register(Proposal)
class ProposalAdmin(admin.ModelAdmin):
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


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The audit trail is read-only, here as everywhere."""

    list_display = ("created_at", "actor", "action", "object_type", "object_id", "reason")
    list_filter = ("action", "object_type", "competition")
    search_fields = ("object_id", "reason")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.site_header = _("Competition evaluation administration")
admin.site.site_title = _("Competition evaluation")
