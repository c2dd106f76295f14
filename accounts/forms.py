from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from . import throttle


class ThrottledLoginMixin:
    """Sign-in throttling (accounts/throttle.py) for any account name, existing or not: the
    attempt's slot is reserved before the password is checked, or the attempt is refused with
    how long to wait."""

    def clean(self):
        username = self.cleaned_data.get("username")
        if username is None or not self.cleaned_data.get("password"):
            return super().clean()
        attempt = throttle.reserve(username, throttle.client_ip(self.request))
        if attempt.refused:
            raise ValidationError(throttle.refusal_message(attempt.wait), code="throttled")
        cleaned = super().clean()  # a wrong password raises: the reserved slot stays a failure
        throttle.signed_in(attempt)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
