from django.contrib import admin

from .models import LoginFailure


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    """Deleting a username's rows lifts its sign-in lockout early."""

    list_display = ("key", "at")
    search_fields = ("key",)
    readonly_fields = ("key", "at")

    def has_add_permission(self, request):
        return False
