from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from proposals.importing.applicants import ProposalImporter
from proposals.importing.engine import run_import
from proposals.importing.reporting import write_report
from proposals.models import Competition


class Command(BaseCommand):
    help = "Import applicants (proposals) from an .xlsx file (SPEC §5)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="applicant spreadsheet (.xlsx)")
        parser.add_argument("--competition", required=True, help="competition slug")
        parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
        parser.add_argument(
            "--confirm-after-publication",
            action="store_true",
            help="import into a competition whose result is published (the result will need a correction)",
        )

    def handle(self, *args, path, competition, dry_run, confirm_after_publication, **options):
        try:
            target = Competition.objects.get(slug=competition)
        except Competition.DoesNotExist:
            raise CommandError(
                _("No competition with identifier '%(slug)s'.") % {"slug": competition}
            ) from None
        content = read_file(path)
        report = run_import(
            ProposalImporter(target),
            content,
            filename=Path(path).name,
            dry_run=dry_run,
            confirmed_after_publication=confirm_after_publication,
        )
        write_report(self.stdout, report)
        if not report.ok or report.unconfirmed:
            raise CommandError(_("Nothing was imported."), returncode=1)


def read_file(path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        raise CommandError(_("File not found: %(path)s") % {"path": path}) from None
    except IsADirectoryError:
        raise CommandError(_("Not a file: %(path)s") % {"path": path}) from None
    except OSError as error:
        raise CommandError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error.strerror}
        ) from None
