"""Creating sign-in accounts with a role (SPEC §2) and the link that lets a person set their own
password. The ``create_user`` command calls these; a page that creates accounts would too."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from .roles import Role


@dataclass(frozen=True)
class AccountRequest:
    username: str
    role: Role
    email: str = ""
    name: str = ""


def check_account_request(request: AccountRequest) -> list[str]:
    """Every reason the account cannot be created, as messages (empty: it can)."""
    problems = []
    User = get_user_model()
    username = request.username.strip()
    if not username:
        problems.append(_("Give a username."))
    else:
        try:
            User.username_validator(username)
        except ValidationError:
            problems.append(
                _("The username '%(username)s' may hold only letters, digits and @ . + - _.")
                % {"username": username}
            )
        if User.objects.filter(username__iexact=username).exists():
            problems.append(
                _("An account with the username '%(username)s' already exists.") % {"username": username}
            )
    if request.email:
        try:
            validate_email(request.email)
        except ValidationError:
            problems.append(_("Not an e-mail address: '%(value)s'") % {"value": request.email})
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
