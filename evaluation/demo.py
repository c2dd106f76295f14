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
from proposals.models import Competition, Track

from .assignments import form_panel
from .models import Conflict, Panel, Reviewer
from .queries import competition_overview

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "smartcity-2023"
SLUG = "smartcity-2023"
DEMO_USERS = (
    ("admin", "demo-admin-2023", Role.ADMIN, "시스템 관리자"),
    ("official", "demo-official-2023", Role.OFFICIAL, "담당 공무원"),
)
# Reviewer accounts come from reviewers.xlsx (username = e-mail); the demo gives two a password:
# the 울산대학교 member (kept off 울산광역시 by the conflict check) and one without a conflict.
DEMO_REVIEWERS = (
    ("reviewer01@example.com", "demo-reviewer-2023"),
    ("reviewer02@example.com", "demo-reviewer-2023"),
)
# The document stage's panels (synthetic): reviewers 1–7 for 거점형, 8–15 for 강소형.
DEMO_PANELS = (
    ("거점형 서면평가위원회", ("hub",), range(1, 8)),
    ("강소형 서면평가위원회", ("climate", "depopulation"), range(8, 16)),
)


def run_demo(out) -> Competition:
    call_command("load_competition", str(FIXTURES / "competition.toml"), stdout=out)
    call_command("import_proposals", str(FIXTURES / "applicants.xlsx"), competition=SLUG, stdout=out)
    call_command("import_reviewers", str(FIXTURES / "reviewers.xlsx"), stdout=out)
    competition = Competition.objects.get(slug=SLUG)
    ensure_demo_users()
    form_demo_panels(out, competition)
    write_overview(out, competition)
    out.write("")
    out.write(_("Demo sign-ins (development only):"))
    for username, password, role, _label in DEMO_USERS:
        out.write(f"  {role.label:<12} {username} / {password}")
    for username, password in DEMO_REVIEWERS:
        out.write(f"  {Role.REVIEWER.label:<12} {username} / {password}")
    return competition


def form_demo_panels(out, competition: Competition) -> None:
    """Form the first stage's panels; the automatic conflict check runs as they are formed."""
    stage = competition.stages.order_by("order").first()
    admin = get_user_model().objects.get(username="admin")
    out.write("")
    for name, track_codes, numbers in DEMO_PANELS:
        panel, _created = Panel.objects.get_or_create(stage=stage, name=name)
        panel.tracks.set(Track.objects.filter(category__competition=competition, code__in=track_codes))
        panel.members.set(
            Reviewer.objects.filter(email__in=[f"reviewer{n:02d}@example.com" for n in numbers])
        )
        report = form_panel(panel, actor=admin)
        out.write(
            _("%(panel)s (%(stage)s): %(members)s members; %(created)s assignments created, %(kept)s kept")
            % {
                "panel": name,
                "stage": stage.name,
                "members": len(numbers),
                "created": report.created,
                "kept": report.kept,
            }
        )
        for reviewer, proposal in report.skipped_conflicts:
            conflict = Conflict.objects.filter(reviewer=reviewer, proposal=proposal).first()
            out.write(
                _("  conflict of interest, not assigned: %(reviewer)s — %(applicant)s: %(reason)s")
                % {"reviewer": reviewer, "applicant": proposal.applicant.name, "reason": conflict.reason}
            )


def ensure_demo_users() -> None:
    User = get_user_model()
    for username, password in DEMO_REVIEWERS:
        user = User.objects.get(username=username)
        if not user.has_usable_password():
            user.set_password(password)
            user.save(update_fields=["password"])
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
