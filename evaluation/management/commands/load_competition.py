from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.domain.competition_file import load_competition_file
from proposals.domain.competition_file import CompetitionFileError


class Command(BaseCommand):
    help = "Create or update a competition, its categories, tracks, stages and rubrics from a TOML file (SPEC §6)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="competition file (.toml)")

    def handle(self, *args, path, **options):
        try:
            result = load_competition_file(path)
        except CompetitionFileError as error:
            raise CommandError("\n".join(error.messages)) from None
        competition = result.competition
        if result.created:
            self.stdout.write(
                _("Created competition %(slug)s: %(name)s")
                % {"slug": competition.slug, "name": competition.name}
            )
        elif result.changes:
            self.stdout.write(_("Updated competition %(slug)s:") % {"slug": competition.slug})
        else:
            self.stdout.write(
                _("Competition %(slug)s is already up to date; nothing changed.") % {"slug": competition.slug}
            )
        for change in result.changes[1 if result.created else 0 :]:
            self.stdout.write(f"  - {change}")
