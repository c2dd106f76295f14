from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

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


# Accounts sign in with their e-mail address or a username (README); Django's own label is the
# model field's ("사용자 이름") and its message pairs it with a particle fallback.
USERNAME_LABEL = _("E-mail or username")
INVALID_LOGIN = _(
    "The e-mail or username, or the password, is not correct. Check both (capital and small "
    "letters differ) and try again."
)


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    error_messages = {**AuthenticationForm.error_messages, "invalid_login": INVALID_LOGIN}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = USERNAME_LABEL


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": _(
            "The e-mail or username, or the password, is not correct, or the account may not use "
            "the data administration. Check both (capital and small letters differ) and try again."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = USERNAME_LABEL
