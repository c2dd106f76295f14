"""The 2023 smart city case end to end on the embedded database (``manage.py demo``).

Everything goes through the same commands a ministry admin uses; nothing here names a winner.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils.translation import gettext as _

from accounts.roles import Role
from proposals.models import Competition

from .queries import competition_overview

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "smartcity-2023"
SLUG = "smartcity-2023"
DEMO_USERS = (
    ("admin", "demo-admin-2023", Role.ADMIN, "시스템 관리자"),
    ("official", "demo-official-2023", Role.OFFICIAL, "담당 공무원"),
    ("reviewer", "demo-reviewer-2023", Role.REVIEWER, "평가위원"),
)


def run_demo(out) -> Competition:
    call_command("load_competition", str(FIXTURES / "competition.toml"), stdout=out)
    call_command("import_proposals", str(FIXTURES / "applicants.xlsx"), competition=SLUG, stdout=out)
    ensure_demo_users()
    competition = Competition.objects.get(slug=SLUG)
    write_overview(out, competition)
    out.write("")
    out.write(_("Demo sign-ins (development only):"))
    for username, password, role, _label in DEMO_USERS:
        out.write(f"  {role.label:<12} {username} / {password}")
    return competition


def ensure_demo_users() -> None:
    User = get_user_model()
    for username, password, role, label in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"first_name": f"데모 {label}"}
        )
        if created:
            user.set_password(password)
            user.is_staff = role == Role.ADMIN
            user.save()
        user.groups.add(Group.objects.get(name=role.value))


def write_overview(out, competition: Competition) -> None:
    out.write("")
    out.write(f"{competition.name} ({competition.slug})")
    for category in competition_overview(competition):
        out.write(
            _("  %(name)s: %(applicants)s applicants for %(slots)s slots — competition ratio %(ratio)s")
            % {
                "name": category.name,
                "applicants": category.applicants,
                "slots": category.slots,
                "ratio": category.ratio or "—",
            }
        )
        for row in category.tracks:
            if row.slots is None:
                line = _("    · %(name)s: %(applicants)s applicants (slots pooled in the category)")
            else:
                line = _(
                    "    · %(name)s: %(applicants)s applicants for %(slots)s slots — competition ratio %(ratio)s"
                )
            out.write(
                line
                % {
                    "name": row.track.name,
                    "applicants": row.applicants,
                    "slots": row.slots,
                    "ratio": row.ratio,
                }
            )
