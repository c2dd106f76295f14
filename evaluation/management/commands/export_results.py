from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.exporting import results_workbook
from evaluation.ranking import rank_competition

from ._lookup import competition_or_error


class Command(BaseCommand):
    help = "Write the ranking workbook of a competition: summary, rankings, criterion averages (SPEC §6)."

    def add_arguments(self, parser):
        parser.add_argument("--competition", required=True, help="competition slug")
        parser.add_argument("--out", required=True, help="path of the .xlsx file to write")

    def handle(self, *args, competition, out, **options):
        path = Path(out)
        if path.suffix.lower() != ".xlsx":
            raise CommandError(_("The output file must end in .xlsx: %(path)s") % {"path": out})
        ranking = rank_competition(competition_or_error(competition))
        content = results_workbook(ranking)
        try:
            path.write_bytes(content)
        except OSError as error:
            raise CommandError(
                _("Cannot write %(path)s: %(error)s") % {"path": out, "error": error.strerror or error}
            ) from None
        self.stdout.write(
            _("Wrote %(path)s (%(proposals)s proposals).")
            % {"path": out, "proposals": sum(1 for _row in ranking.proposals())}
        )
