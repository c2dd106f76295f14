from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.importing.adjustments import AdjustmentImporter
from proposals.importing.engine import run_import
from proposals.importing.reporting import write_report
from proposals.management.commands.import_proposals import read_file

from ._lookup import competition_or_error


class Command(BaseCommand):
    help = (
        "Import bonus and penalty points of the competition's typed items from an .xlsx file (SPEC §8.4): "
        "접수번호 (or 트랙 + 지자체), 항목, 점수, 사유."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="adjustment spreadsheet (.xlsx)")
        parser.add_argument("--competition", required=True, help="competition slug")
        parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
        parser.add_argument(
            "--confirm-after-publication",
            action="store_true",
            help="import into a competition whose result is published (the result will need a correction)",
        )

    def handle(self, *args, path, competition, dry_run, confirm_after_publication, **options):
        target = competition_or_error(competition)
        content = read_file(path)
        report = run_import(
            AdjustmentImporter(target),
            content,
            filename=Path(path).name,
            dry_run=dry_run,
            confirmed_after_publication=confirm_after_publication,
        )
        write_report(self.stdout, report)
        if not report.ok or report.unconfirmed:
            raise CommandError(_("Nothing was imported."), returncode=1)
