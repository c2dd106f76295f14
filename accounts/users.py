"""Creating sign-in accounts with a role (SPEC §2) and the link that lets a person set their own
password. The ``create_user`` command calls these; a page that creates accounts would too."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .roles import Role, role_of


@dataclass(frozen=True)
class AccountRequest:
    username: str
    role: Role
    email: str = ""
    name: str = ""


def check_account_request(request: AccountRequest) -> list[str]:
    """Every reason the account cannot be created, as messages (empty: it can)."""
    return [message for messages in account_request_problems(request).values() for message in messages]


def account_request_problems(request: AccountRequest) -> dict[str, list[str]]:
    """Every reason the account cannot be created, by the input at fault ("username",
    "email"), for a form to show each next to its field (empty: it can be created)."""
    problems: dict[str, list[str]] = {}
    User = get_user_model()
    username = request.username.strip()
    if not username:
        problems.setdefault("username", []).append(_("Give a username."))
    else:
        try:
            User.username_validator(username)
        except ValidationError:
            problems.setdefault("username", []).append(
                _("The username '%(username)s' may hold only letters, digits and @ . + - _.")
                % {"username": username}
            )
        if User.objects.filter(username__iexact=username).exists():
            problems.setdefault("username", []).append(
                _("An account with the username '%(username)s' already exists.") % {"username": username}
            )
    if request.email:
        try:
            validate_email(request.email)
        except ValidationError:
            problems.setdefault("email", []).append(
                _("Not an e-mail address: '%(value)s'") % {"value": request.email}
            )
    return problems


@transaction.atomic
def create_account(request: AccountRequest, password: str | None = None):
    """The account, in its role's group; without ``password`` it has none until the person sets
    one through ``set_password_link``. An admin may also use the Django admin (staff)."""
    problems = check_account_request(request)
    if problems:
        raise ValidationError(problems)
    User = get_user_model()
    user = User.objects.create_user(
        username=request.username.strip(),
        email=request.email.strip().lower(),
        password=password,
        first_name=request.name.strip()[:150],
    )
    if request.role == Role.ADMIN:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(Group.objects.get_or_create(name=request.role.value)[0])
    return user


def set_password_link(user, base_url: str) -> str:
    """An absolute link to the page where ``user`` chooses a password; it stops working once a
    password is set or after ``PASSWORD_RESET_TIMEOUT`` (Django's signed reset token)."""
    path = reverse(
        "set-password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return base_url.rstrip("/") + path


def send_set_password_link(user, base_url: str | None = None) -> None:
    """E-mail ``user`` the link to choose their password (``set_password_link``), in the site's
    language (Korean) whatever the sender's page language. Call it once the account is committed;
    it raises what the mail backend raises (the caller says the e-mail did not go), and ValueError
    for an account without an e-mail address."""
    if not user.email:
        raise ValueError("the account has no e-mail address")
    link = set_password_link(user, base_url or settings.SITE_URL)
    role = role_of(user)
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "name": user.first_name or user.get_username(),
            "username": user.get_username(),
            "role": role.label if role else "",
            "organization": settings.ORGANIZATION_NAME,
            "link": link,
            "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
        }
        subject = _("[%(organization)s] Set the password of your account") % context
        body = render_to_string("accounts/set_password_email.txt", context).strip() + "\n"
    EmailMessage(subject, body, to=[user.email]).send()
