from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.importing.reviewers import ReviewerImporter
from proposals.importing.engine import run_import
from proposals.importing.reporting import write_report
from proposals.management.commands.import_proposals import read_file

from ._lookup import competition_or_error


class Command(BaseCommand):
    help = "Import the reviewer pool from an .xlsx file (SPEC §5); each new reviewer gets a login."

    def add_arguments(self, parser):
        parser.add_argument("path", help="reviewer spreadsheet (.xlsx)")
        parser.add_argument(
            "--competition",
            help="report as not in the file only this competition's reviewers (its panels and assignments)",
        )
        parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")

    def handle(self, *args, path, competition, dry_run, **options):
        scope = competition_or_error(competition) if competition else None
        content = read_file(path)
        report = run_import(ReviewerImporter(scope), content, filename=Path(path).name, dry_run=dry_run)
        write_report(self.stdout, report)
        if not report.ok or report.unconfirmed:
            raise CommandError(_("Nothing was imported."), returncode=1)
