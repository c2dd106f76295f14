from django.contrib import admin, messages
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .models import LoginThrottle


class RestrictedFilter(admin.SimpleListFilter):
    title = _("restriction")
    parameter_name = "restricted"

    def lookups(self, request, model_admin):
        return [("now", _("Restricted now")), ("no", _("Not restricted"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "now":
            return queryset.restricted(now)
        if self.value() == "no":
            return queryset.exclude(pk__in=queryset.restricted(now).values("pk"))
        return queryset


@admin.action(description=_("Reset the selected sign-in limits"), permissions=["delete"])
def reset_limits(modeladmin, request, queryset):
    """Clears the selected counters: a delayed account and address may sign in at once."""
    count = len(queryset)
    modeladmin.log_deletions(request, queryset)
    queryset.delete()
    modeladmin.message_user(
        request,
        ngettext("Reset %(count)d sign-in limit.", "Reset %(count)d sign-in limits.", count)
        % {"count": count},
        messages.SUCCESS,
    )


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    """Who is delayed until when (accounts/throttle.py), with a reset. Read-only otherwise."""

    list_display = ("scope", "username", "address", "failures", "restriction", "last_failure_at")
    list_filter = (RestrictedFilter, "scope")
    search_fields = ("username", "address")
    ordering = (F("restricted_until").desc(nulls_last=True), "-last_failure_at")
    actions = [reset_limits]

    @admin.display(description=_("restriction"), ordering="restricted_until")
    def restriction(self, row):
        if not row.is_restricting(timezone.now()):
            return "—"
        until = date_format(timezone.localtime(row.restricted_until), "DATETIME_FORMAT")
        if row.scope == LoginThrottle.Scope.ACCOUNT:
            return gettext("Slowed until %(time)s") % {"time": until}
        return gettext("Refused until %(time)s") % {"time": until}

    def get_actions(self, request, action_location=admin.ActionLocation.CHANGE_LIST):
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # "reset" says what deleting a counter means
        return actions

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
