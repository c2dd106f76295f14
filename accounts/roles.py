"""The three roles of SPEC §2, each a Django group, and what each may do.

A superuser counts as an admin. A user holds the highest of their roles:
admin > official > reviewer.
"""

from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    ADMIN = "admin"
    OFFICIAL = "official"
    REVIEWER = "reviewer"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.ADMIN: _("System administrator"),
    Role.OFFICIAL: _("Official"),
    Role.REVIEWER: _("Reviewer"),
}

# Permissions ("app_label.codename") granted to each role's group by the data migration.
ROLE_PERMISSIONS = {
    Role.ADMIN: [
        f"proposals.{action}_{model}"
        for model in ("competition", "category", "track", "applicant", "proposal", "importupload")
        for action in ("add", "change", "delete", "view")
    ]
    + ["proposals.view_auditentry", "proposals.import_proposals"],
    Role.OFFICIAL: [
        f"proposals.view_{model}"
        for model in ("competition", "category", "track", "applicant", "proposal", "auditentry")
    ],
    Role.REVIEWER: [],
}
# Evaluation (accounts/migrations/0002): admins set up, never score; officials read.
_SETUP = ("stage", "rubric", "criterion", "reviewer", "pastaffiliation", "panel", "assignment", "conflict")
ROLE_PERMISSIONS[Role.ADMIN] += [
    f"evaluation.{action}_{model}" for model in _SETUP for action in ("add", "change", "delete", "view")
] + ["evaluation.view_scoresheet", "evaluation.view_securitypledge"]
ROLE_PERMISSIONS[Role.OFFICIAL] += [
    f"evaluation.view_{model}" for model in (*_SETUP, "scoresheet", "score", "securitypledge")
]
# The log of e-mails to reviewers (evaluation/migrations/0005_notices): admins and officials read it.
ROLE_PERMISSIONS[Role.ADMIN] += ["evaluation.view_notice"]
ROLE_PERMISSIONS[Role.OFFICIAL] += ["evaluation.view_notice"]
# Sign-in limits (accounts/migrations/0005): admins see who is delayed and reset them.
ROLE_PERMISSIONS[Role.ADMIN] += ["accounts.view_loginthrottle", "accounts.delete_loginthrottle"]
# Proposal documents (accounts/migrations/0006): admins upload, replace and remove; officials read.
ROLE_PERMISSIONS[Role.ADMIN] += [
    f"proposals.{action}_proposaldocument" for action in ("add", "change", "delete", "view")
]
ROLE_PERMISSIONS[Role.OFFICIAL] += ["proposals.view_proposaldocument"]

_PRECEDENCE = (Role.ADMIN, Role.OFFICIAL, Role.REVIEWER)


def role_of(user) -> Role | None:
    """The user's role, or None for anonymous visitors and users without a role."""
    if not getattr(user, "is_authenticated", False):
        return None
    if user.is_superuser:
        return Role.ADMIN
    cached = getattr(user, "_role_cache", None)
    if cached is None:
        if "groups" in getattr(user, "_prefetched_objects_cache", {}):  # a list's users: no query each
            names = {group.name for group in user.groups.all()}
        else:
            names = set(user.groups.values_list("name", flat=True))
        cached = next((role for role in _PRECEDENCE if role.value in names), "")
        user._role_cache = cached
    return cached or None


def has_role(user, *roles: Role) -> bool:
    return role_of(user) in roles


class RoleRequired(PermissionDenied):
    """A service was asked to act as a user whose role does not allow it; ``message`` says why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def require_role(user, *roles: Role, action: str) -> None:
    """Services that act as a user check that user's role themselves (SPEC §2), so the rule holds
    whichever door called them — a page, a command's ``--by``, or a shell. ``action`` names what
    was refused, e.g. ``_("publishing the result")``."""
    allowed = " / ".join(str(role.label) for role in roles)
    if user is None or not getattr(user, "pk", None):
        raise RoleRequired(
            gettext("No account was given for %(action)s; only %(roles)s may do it.")
            % {"action": action, "roles": allowed}
        )
    if not user.is_active:
        raise RoleRequired(
            gettext("The account '%(user)s' is deactivated and cannot be used for %(action)s.")
            % {"user": user.get_username(), "action": action}
        )
    role = role_of(user)
    if role not in roles:
        raise RoleRequired(
            gettext(
                "The account '%(user)s' (role: %(role)s) may not be used for %(action)s; "
                "only %(roles)s may do it."
            )
            % {
                "user": user.get_username(),
                "role": role.label if role else gettext("none"),
                "action": action,
                "roles": allowed,
            }
        )
