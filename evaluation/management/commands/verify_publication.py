from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.models import Publication
from evaluation.publication import verify


class Command(BaseCommand):
    help = (
        "Recompute a publication's outcome from its snapshot's inputs and its SHA-256; exit 1 on a mismatch."
    )

    def add_arguments(self, parser):
        parser.add_argument("id", type=int, help="publication id")

    def handle(self, *args, id, **options):
        publication = Publication.objects.select_related("competition").filter(pk=id).first()
        if publication is None:
            raise CommandError(_("No publication with id %(id)s.") % {"id": id})
        ok, messages = verify(publication)
        self.stdout.write(
            _("Publication no. %(number)s of %(competition)s")
            % {"number": publication.number, "competition": publication.competition.name}
        )
        for message in messages:
            self.stdout.write(message)
        if not ok:
            raise CommandError(_("The publication does not verify."))
