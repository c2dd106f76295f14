from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from proposals.importing.applicants import ProposalImporter
from proposals.importing.engine import run_import
from proposals.importing.previous_round import SELECTED, PreviousRoundError, previous_round_sheet
from proposals.importing.reporting import write_report
from proposals.models import Competition


class Command(BaseCommand):
    help = (
        "Import applicants (proposals) from an .xlsx file (SPEC §5), or the selected proposals of "
        "a preliminary round's published result (--from-competition, SPEC §8.8)."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="applicant spreadsheet (.xlsx)")
        parser.add_argument("--competition", required=True, help="competition slug")
        parser.add_argument(
            "--from-competition",
            metavar="SLUG",
            help="take the proposals of this earlier competition's published result instead of a file",
        )
        parser.add_argument(
            "--status",
            default=SELECTED,
            help="with --from-competition: the result's statuses to take, comma-separated (default: selected)",
        )
        parser.add_argument("--dry-run", action="store_true", help="validate only; write nothing")
        parser.add_argument(
            "--confirm-after-publication",
            action="store_true",
            help="import into a competition whose result is published (the result will need a correction)",
        )

    def handle(
        self,
        *args,
        path,
        competition,
        from_competition,
        status,
        dry_run,
        confirm_after_publication,
        **options,
    ):
        if bool(path) == bool(from_competition):
            raise CommandError(
                _("Give either the path of a file or --from-competition SLUG.")
                if not path
                else _("Give the path of a file or --from-competition, not both.")
            )
        target = _competition(competition)
        content, sheet, filename = None, None, ""
        if from_competition:
            source = _competition(from_competition)
            statuses = [part.strip() for part in status.split(",") if part.strip()]
            try:
                sheet = previous_round_sheet(target, source, statuses)
            except PreviousRoundError as error:
                raise CommandError(error.message, returncode=1) from None
            filename = _("%(slug)s published result") % {"slug": source.slug}
        else:
            content, filename = read_file(path), Path(path).name
        report = run_import(
            ProposalImporter(target),
            content,
            filename=filename,
            dry_run=dry_run,
            confirmed_after_publication=confirm_after_publication,
            sheet=sheet,
        )
        write_report(self.stdout, report)
        if not report.ok or report.unconfirmed:
            raise CommandError(_("Nothing was imported."), returncode=1)


def _competition(slug: str) -> Competition:
    try:
        return Competition.objects.get(slug=slug)
    except Competition.DoesNotExist:
        raise CommandError(_("No competition with identifier '%(slug)s'.") % {"slug": slug}) from None


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
