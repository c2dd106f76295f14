"""The 2023 smart city case end to end on the embedded database (``manage.py demo``).

Everything goes through the same commands a ministry admin uses; nothing here names a winner.
"""

from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role
from proposals.models import Competition, Track, audit_context, track_display_name

from . import notices, rules
from .assignments import form_panel
from .models import Conflict, Panel, Reviewer, Stage
from .queries import competition_overview
from .ranking import CompetitionRanking, rank_competition, status_label

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "smartcity-2023"
SLUG = "smartcity-2023"
DEMO_USERS = (
    ("admin", "demo-admin-2023", Role.ADMIN, "시스템 관리자"),
    ("official", "demo-official-2023", Role.OFFICIAL, "담당 공무원"),
)
# Reviewer accounts come from reviewers.xlsx (username = e-mail); the demo gives two a password:
# the 울산대학교 member (kept by the conflict check off the proposal it is a partner of) and one
# without a conflict.
DEMO_REVIEWERS = (
    ("reviewer01@example.com", "demo-reviewer-2023"),
    ("reviewer02@example.com", "demo-reviewer-2023"),
)
# Panels per stage (synthetic): reviewers 1–7 for 거점형, 8–15 for 강소형; the same members sit on
# both stages. A later stage's panel gets only the proposals the stage before advanced.
DEMO_PANELS = {
    "document": (
        ("거점형 서면평가위원회", ("hub",), range(1, 8)),
        ("강소형 서면평가위원회", ("climate", "depopulation"), range(8, 16)),
    ),
    "presentation": (
        ("거점형 발표평가위원회", ("hub",), range(1, 8)),
        ("강소형 발표평가위원회", ("climate", "depopulation"), range(8, 16)),
    ),
}
# Synthetic scoresheets per stage, built by fixtures/smartcity-2023/build_scores.py.
SCORE_FILES = {"document": "scores-document.xlsx", "presentation": "scores-presentation.xlsx"}
PUBLISHER = "official"
URLS = (
    ("/", gettext_lazy("home: each role's first page after sign-in")),
    ("/public/", gettext_lazy("published results (no sign-in)")),
    ("/official/", gettext_lazy("officials: progress, rankings, publication")),
    (f"/official/{SLUG}/analysis/", gettext_lazy("officials: evaluation analysis (advisory)")),
    (f"/official/{SLUG}/letters/", gettext_lazy("officials: result letters and appeals")),
    ("/review/", gettext_lazy("reviewers: assigned proposals and scoresheets")),
    ("/manage/", gettext_lazy("administrators: competitions and imports")),
    ("/admin/", gettext_lazy("Django admin")),
)
BASE_URL = "http://127.0.0.1:8000"  # where `make demo` serves the site
DEMO_CONTACT_DOMAIN = "demo.example.go.kr"  # the demo's applicant contacts (development only)


def run_demo(out) -> Competition:
    call_command("load_competition", str(FIXTURES / "competition.toml"), stdout=out)
    call_command("import_proposals", str(FIXTURES / "applicants.xlsx"), competition=SLUG, stdout=out)
    call_command("import_reviewers", str(FIXTURES / "reviewers.xlsx"), stdout=out)
    competition = Competition.objects.get(slug=SLUG)
    ensure_demo_users()
    write_documents(out, competition)
    # Stage by stage: panels (the conflict check runs as they are formed), then the sheets. A
    # later stage's panels can only be formed once the earlier stage's scores decide who advances.
    for stage in competition.stages.order_by("order"):
        # No assignment notice: the stage's sheets are imported right below.
        with notices.paused():
            form_demo_panels(out, competition, stage)
        out.write("")
        call_command(
            "import_scores",
            str(FIXTURES / SCORE_FILES[stage.code]),
            competition=SLUG,
            stage=stage.code,
            stdout=out,
        )
    ranking = rank_competition(competition)
    write_ranking(out, ranking)
    publish_demo(out, competition, ranking)
    send_demo_letters(out, competition)
    write_overview(out, competition)
    write_selected(out, ranking)
    out.write("")
    out.write(_("Demo sign-ins (development only):"))
    for username, password, role, _label in DEMO_USERS:
        out.write(f"  {role.label:<12} {username} / {password}")
    for username, password in DEMO_REVIEWERS:
        out.write(f"  {Role.REVIEWER.label:<12} {username} / {password}")
    out.write("")
    out.write(_("Pages to visit (make demo serves them at %(base)s):") % {"base": BASE_URL})
    for path, what in URLS:
        out.write(f"  {BASE_URL}{path:<12} {what}")
    return competition


def write_documents(out, competition: Competition) -> None:
    """Every proposal's 사업계획서, a PDF written from the applicant sheet, stored as an admin
    stores a zip of documents (``evaluation.demo_documents``)."""
    from .demo_documents import store_demo_plans

    admin = get_user_model().objects.get(username="admin")
    counts = store_demo_plans(competition, admin)
    out.write("")
    if counts:
        out.write(
            _("Project plans (PDF, written from the applicant sheet): %(new)s stored, %(replace)s replaced.")
            % {"new": counts["new"], "replace": counts["replace"]}
        )
    else:
        out.write(_("Project plans (PDF): every proposal has its plan stored already; nothing changed."))


def form_demo_panels(out, competition: Competition, stage: Stage) -> None:
    """Form the stage's panels; the automatic conflict check runs as they are formed."""
    admin = get_user_model().objects.get(username="admin")
    out.write("")
    for name, track_codes, numbers in DEMO_PANELS[stage.code]:
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


def write_ranking(out, ranking: CompetitionRanking) -> None:
    """The ranking per track: rank, final score, status, applicant (SPEC §4.5–§4.6)."""
    out.write("")
    out.write(_("Ranking (final score: %(stage)s)") % {"stage": ranking.stages[-1].name})
    for category in ranking.categories:
        for track in category.tracks:
            out.write(f"  [{track_display_name(category.name, track.name)}]")
            for row in track.ranking:
                rank = "-" if row.rank is None else str(row.rank)
                score = row.shown_score or "-"
                out.write(f"    {rank:>2}  {score:>6}  {status_label(row.status):<10} {row.applicant}")


def publish_demo(out, competition: Competition, ranking: CompetitionRanking) -> None:
    """Publish the shortlist as the demo official (``publish``), unless the publication in force
    already has this very outcome: a second run of the demo publishes nothing."""
    from .publication import canonical_json, current_publication

    out.write("")
    current = current_publication(competition)
    if current is not None:
        outcome = ranking.published_outcome()
        if canonical_json(outcome) == canonical_json(current.snapshot.get("outcome")):
            out.write(
                _(
                    "Already published as publication no. %(number)s (SHA-256 %(digest)s) with the same "
                    "outcome; not published again."
                )
                % {"number": current.number, "digest": current.digest}
            )
            return
    reason = _("The demo's scores changed since its previous run.") if current is not None else ""
    call_command("publish", competition=SLUG, by=PUBLISHER, reason=reason, stdout=out)


def send_demo_letters(out, competition: Competition) -> None:
    """Issue the result letters of the publication in force and e-mail them (in development the
    console shows the e-mails, each with its applicant's link). The 2023 release names no
    contacts, so the demo gives each proposal a demo address first (development only). A second
    run with the same publication issues nothing: its letters are in force."""
    from .letters import issue_letters
    from .models import ResultLetter
    from .publication import current_publication

    out.write("")
    publication = current_publication(competition)
    if ResultLetter.objects.filter(publication=publication, revoked_at__isnull=True).exists():
        out.write(
            _("The result letters of publication no. %(number)s were issued already; none issued again.")
            % {"number": publication.number}
        )
        return
    official = get_user_model().objects.get(username=PUBLISHER)
    with audit_context(official, _("Demo contacts (development only)")):
        for proposal in competition.proposals.filter(contact_email="").exclude(reference=""):
            proposal.contact_name = _("Demo contact")
            proposal.contact_email = f"{proposal.reference.lower()}@{DEMO_CONTACT_DOMAIN}"
            proposal.save(update_fields=["contact_name", "contact_email"])
    issued = issue_letters(competition, official)
    out.write(
        _(
            "Issued %(count)s result letters (평가결과 통보서) of publication no. %(number)s and e-mailed "
            "each applicant its link; in development the e-mails are printed above."
        )
        % {"count": len(issued), "number": publication.number}
    )


def write_selected(out, ranking: CompetitionRanking) -> None:
    out.write("")
    out.write(_("Selected per track:"))
    for category in ranking.categories:
        for track in category.tracks:
            chosen = [row.applicant for row in track.ranking if row.status == rules.SELECTED]
            out.write(
                f"  {track.name}: "
                + (", ".join(chosen) if chosen else str(_("no qualifying proposal (적격자 없음)")))
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
