"""Accounts of officials and reviewers (시스템 관리자): create one and e-mail the person the link
to set their password, or send the link again. The rules are ``accounts.users``' (as for the
``create_user`` command); the set-password page is ``accounts.urls`` ``set-password``."""

import logging

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.roles import Role, role_of
from accounts.users import create_account, send_set_password_link
from evaluation.models import Reviewer
from portal.tables import PageConfig

from .forms import AccountForm
from .tables import AccountTable

admin_only = role_required(Role.ADMIN)
logger = logging.getLogger(__name__)
MANAGED_ROLES = (Role.OFFICIAL, Role.REVIEWER)
PER_PAGE = 50


def managed_accounts():
    """Officials' and reviewers' accounts, each with its reviewer record (if any), by username."""
    return (
        get_user_model()
        .objects.filter(groups__name__in=[role.value for role in MANAGED_ROLES], is_superuser=False)
        .distinct()
        .select_related("reviewer")
        .prefetch_related("groups")
        .order_by("username")
    )


@admin_only
@require_http_methods(["GET", "POST"])
def accounts(request):
    form = AccountForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        account = form.cleaned_data["request"]
        user = create_account(account)  # committed: the e-mail never names an account rolled back
        if _send(request, user):
            messages.success(
                request,
                _(
                    "Created the %(role)s account '%(username)s'. The link to set the password was sent "
                    "to %(email)s."
                )
                % {"role": account.role.label, "username": user.get_username(), "email": user.email},
            )
        if account.role == Role.REVIEWER and not Reviewer.objects.filter(user=user).exists():
            messages.info(
                request,
                _(
                    "A reviewer is assigned proposals once the reviewer list (import_reviewers) names "
                    "this account's username as their e-mail, with their affiliation."
                ),
            )
        return redirect("manage:accounts")
    return render(
        request,
        "portal/manage/accounts.html",
        {"form": form, "table": _account_table(request)},
        status=400 if form.errors else 200,
    )


def _account_table(request) -> AccountTable:
    table = AccountTable(managed_accounts(), caption=_("Accounts of officials and reviewers"))
    PageConfig(request, PER_PAGE).configure(table)
    return table


@admin_only
@require_POST
def send_link(request, pk):
    """Send an official or a reviewer the link to set their password (again)."""
    user = get_object_or_404(get_user_model(), pk=pk, is_superuser=False)
    if role_of(user) not in MANAGED_ROLES:
        raise Http404
    if not user.email:
        messages.error(
            request,
            _("The account '%(username)s' has no e-mail address; no link was sent.")
            % {"username": user.get_username()},
        )
    elif _send(request, user):
        messages.success(
            request,
            _("The link to set the password was sent to %(email)s.") % {"email": user.email},
        )
    return redirect("manage:accounts")


def _send(request, user) -> bool:
    """E-mail the set-password link; a mail server that refuses is said on the page (the account
    stays: send the link again from the list)."""
    try:
        send_set_password_link(user)
    except Exception as error:  # any backend's failure (SMTP, network, …)
        logger.exception("Set-password link to %s was not delivered", user.email)
        messages.error(
            request,
            _(
                "The account '%(username)s' exists, but the e-mail with the link to %(email)s could "
                "not be sent (%(error)s). Send the link again from the list below."
            )
            % {"username": user.get_username(), "email": user.email, "error": error},
        )
        return False
    return True
