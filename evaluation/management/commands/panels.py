from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from evaluation import notices
from evaluation.assignments import form_panel
from evaluation.panels import (
    PanelError,
    PanelMemberImporter,
    competition_panels,
    create_panel,
    panel_named,
    tracks_of,
)
from proposals.importing.engine import run_import
from proposals.importing.reporting import write_report
from proposals.management.commands.import_proposals import read_file

from ._lookup import SubcommandsCommand, competition_or_error, stage_of

HELP = """Panels (평가위원회) of a competition's stages. The draw (assign) takes each proposal's reviewers
only from the panel(s) of the stage covering its track.

  panels list    --competition SLUG [--stage CODE]
      each stage's panels with their tracks and members, and the tracks with proposals but no panel
  panels create  --competition SLUG --stage CODE --name NAME --tracks CODE[,CODE…]
      a new panel reviewing those tracks (codes or names), without members
  panels members --competition SLUG --stage CODE --name NAME PATH.xlsx [--dry-run]
      add the reviewers of the spreadsheet (column 평가위원: username or e-mail) to the panel:
      all rows or none; members not in the file are listed and kept
  panels form    --competition SLUG --stage CODE [--name NAME]
      assign every member every proposal of the panel's tracks (all panels of the stage without
      --name); conflicted pairs are skipped and listed

Errors print one message and exit with code 1; nothing is written then."""


class Command(SubcommandsCommand):
    help = HELP

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,create,members,form}")

        def common(name, help_text, stage_required=True):
            sub = actions.add_parser(name, help=help_text)
            sub.add_argument("--competition", required=True, help="competition slug")
            sub.add_argument("--stage", required=stage_required, help="stage code, e.g. document")
            return sub

        common("list", "list the panels of each stage", stage_required=False)
        create = common("create", "create a panel")
        create.add_argument("--name", required=True, help="panel name, e.g. 거점형 서면평가")
        create.add_argument("--tracks", required=True, help="track codes or names, separated by commas")
        members = common("members", "add members from a spreadsheet")
        members.add_argument("--name", required=True, help="panel name")
        members.add_argument("path", help="spreadsheet (.xlsx) with a column 평가위원 (username or e-mail)")
        members.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
        form = common("form", "assign every member every proposal of the panel's tracks")
        form.add_argument("--name", help="panel name (default: every panel of the stage)")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except PanelError as error:
            raise CommandError(error.message, returncode=1) from None

    # --- list -------------------------------------------------------------------------------
    def do_list(self, competition, stage=None, **options):
        target = (
            competition_or_error(competition) if stage is None else stage_of(competition, stage).competition
        )
        for item in competition_panels(target):
            if stage is not None and item.stage.code != stage:
                continue
            self.stdout.write(f"{item.stage.name} ({item.stage.code})")
            if not item.panels:
                self.stdout.write(_("  No panel yet."))
            for panel in item.panels:
                tracks = ", ".join(f"{t.name}({t.code})" for t in panel.tracks.all())
                members = sorted(panel.members.all(), key=lambda r: (r.name, r.email))
                self.stdout.write(
                    _("  %(name)s — tracks: %(tracks)s — %(count)s member(s)")
                    % {"name": panel.name, "tracks": tracks or "—", "count": len(members)}
                )
                for reviewer in members:
                    self.stdout.write(f"    - {reviewer.name} <{reviewer.email}> ({reviewer.affiliation})")
            for track, count in item.uncovered:
                self.stdout.write(
                    _("  No panel covers track %(track)s (%(count)s proposal(s) in this stage).")
                    % {"track": f"{track.name}({track.code})", "count": count}
                )

    # --- create -----------------------------------------------------------------------------
    def do_create(self, competition, stage, name, tracks, **options):
        target = stage_of(competition, stage)
        chosen = tracks_of(target.competition, tracks.split(","))
        panel = create_panel(target, name, chosen)
        self.stdout.write(
            _(
                "Panel %(name)s created for %(stage)s (tracks: %(tracks)s). Add its members with 'panels members'."
            )
            % {
                "name": panel.name,
                "stage": target.name,
                "tracks": ", ".join(f"{t.name}({t.code})" for t in chosen),
            }
        )

    # --- members ----------------------------------------------------------------------------
    def do_members(self, competition, stage, name, path, dry_run, **options):
        panel = panel_named(stage_of(competition, stage), name)
        content = read_file(path)
        report = run_import(PanelMemberImporter(panel), content, filename=Path(path).name, dry_run=dry_run)
        write_report(self.stdout, report)
        if not report.ok:
            raise CommandError(_("Nothing was imported."), returncode=1)

    # --- form -------------------------------------------------------------------------------
    def do_form(self, competition, stage, name=None, **options):
        target = stage_of(competition, stage)
        panels = (
            [panel_named(target, name)] if name is not None else list(target.panels.order_by("name", "pk"))
        )
        if not panels:
            raise CommandError(
                _("Stage %(stage)s has no panel yet. Create one with 'panels create'.")
                % {"stage": target.name},
                returncode=1,
            )
        with notices.batched():  # one e-mail per reviewer and stage, however many panels
            for panel in panels:
                report = form_panel(panel)
                self.stdout.write(report.formed_summary(panel))
                for conflicted in report.conflicted:
                    self.stdout.write(conflicted.message())
