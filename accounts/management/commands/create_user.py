import getpass
import sys

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.users import (
    AccountRequest,
    check_account_request,
    create_account,
    send_set_password_link,
    set_password_link,
)


class Command(BaseCommand):
    help = (
        "Create a sign-in account with a role (admin, official or reviewer). The password is asked "
        "for at the prompt; with --password-link (or without a terminal) a link to set it is printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="the sign-in name")
        parser.add_argument("--role", required=True, choices=[role.value for role in Role], help="the role")
        parser.add_argument("--email", default="", help="e-mail address")
        parser.add_argument("--name", default="", help="the person's name, shown in the header")
        parser.add_argument(
            "--password-link",
            action="store_true",
            help="print a link where the person sets the password instead of asking for it here",
        )
        parser.add_argument(
            "--send-link",
            action="store_true",
            help="e-mail the link to set the password to --email (as the accounts page does)",
        )
        parser.add_argument(
            "--base-url", default=settings.SITE_URL, help="the site's address, for the link (SITE_URL)"
        )

    def handle(self, *args, username, role, email, name, password_link, send_link, base_url, **options):
        request = AccountRequest(username=username, role=Role(role), email=email, name=name)
        problems = check_account_request(request)
        if send_link and not email:
            problems.append(_("--send-link needs --email: the address the link is sent to."))
        if problems:
            raise CommandError("\n".join(problems))
        password = None
        if not password_link and not send_link:
            if not sys.stdin.isatty():
                password_link = True
            else:
                password = self._ask_password(request)
        try:
            user = create_account(request, password)
        except ValidationError as error:
            raise CommandError("\n".join(error.messages)) from None
        self.stdout.write(
            _("Created the %(role)s account '%(username)s'.")
            % {"role": request.role.label, "username": user.get_username()}
        )
        if send_link:
            try:
                send_set_password_link(user, base_url)
            except Exception as error:  # the account stays; the link can be sent again
                raise CommandError(
                    _(
                        "The account '%(username)s' exists, but the e-mail with the link to %(email)s could "
                        "not be sent (%(error)s). Send it again from the accounts page (/manage/accounts/)."
                    )
                    % {"username": user.get_username(), "email": user.email, "error": error}
                ) from None
            self.stdout.write(
                _("The link to set the password was sent to %(email)s.") % {"email": user.email}
            )
        elif password_link:
            self.stdout.write(
                _("Send this link to the person; it sets the password and works once, for %(days)s days:")
                % {"days": settings.PASSWORD_RESET_TIMEOUT // 86400}
            )
            self.stdout.write(set_password_link(user, base_url))
        if request.role == Role.REVIEWER:
            self.stdout.write(
                _(
                    "A reviewer is assigned proposals once the reviewer list (import_reviewers) names "
                    "this account's username as their e-mail, with their affiliation."
                )
            )

    def _ask_password(self, request) -> str:
        from django.contrib.auth import get_user_model

        probe = get_user_model()(username=request.username, email=request.email, first_name=request.name)
        while True:
            password = getpass.getpass(_("Password: "))
            if password != getpass.getpass(_("Password (again): ")):
                self.stderr.write(_("The two passwords differ. Try again."))
                continue
            try:
                password_validation.validate_password(password, probe)
            except ValidationError as error:
                self.stderr.write("\n".join(error.messages))
                continue
            return password
