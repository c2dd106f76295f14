from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from evaluation.integrity import publication_chain_entries
from evaluation.models import Publication
from evaluation.publication import verify


class Command(BaseCommand):
    help = (
        "Recompute a publication's outcome from its snapshot's inputs and its SHA-256, and check it "
        "against the audit chain; exit 1 on a mismatch."
    )

    def add_arguments(self, parser):
        parser.add_argument("id", type=int, help="publication id")
        parser.add_argument(
            "--chain-head",
            default="",
            help="the chain head printed with the publication (its announcement): compared with the chain's",
        )

    def handle(self, *args, id, chain_head, **options):
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
        chain_head = chain_head.strip().lower()
        if chain_head:
            recorded = publication_chain_entries([publication]).get(publication.pk)
            if recorded is not None and recorded.digest == chain_head:
                self.stdout.write(_("Chain head: match — the copy given is the chain head at publication."))
            else:
                ok = False
                self.stdout.write(
                    _(
                        "Chain head: MISMATCH — the copy given is not the chain head at publication: the "
                        "audit history up to the publication was rewritten."
                    )
                )
        if not ok:
            raise CommandError(_("The publication does not verify."))
