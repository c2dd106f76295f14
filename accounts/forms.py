from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import throttle


class ThrottledLoginMixin:
    """Refuses sign-ins after repeated failures (accounts/throttle.py), for any username."""

    throttled_message = _("Too many sign-in attempts. Please try again in 15 minutes.")

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return super().clean()
        keys = throttle.keys_for(username, self.request)
        if throttle.is_locked(keys):
            raise ValidationError(self.throttled_message, code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            throttle.record_failure(keys)
            raise
        throttle.clear(keys)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
