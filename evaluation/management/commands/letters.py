from pathlib import Path

from django.core.management.base import CommandError
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import RoleRequired
from evaluation.letters import LetterUnavailable, issue_letters, revoke_letter
from evaluation.letters_pdf import letter_contents, letters_pdf_bytes
from evaluation.models import ResultLetter
from evaluation.publication import current_publication

from ._lookup import SubcommandsCommand, competition_or_error, proposal_ids_or_error, user_or_error

HELP = """Result letters (평가결과 통보서) of a competition's publication in force (issue 13).

  letters --competition SLUG issue --by USER [--proposal REF ...] [--no-send]
      issue the letters (every ranked proposal, or those named), each with a new link; a letter
      in force for the same proposal is revoked. Each goes by e-mail to the proposal's contact
      (not with --no-send); the links of letters without an e-mail are printed once, here.
  letters --competition SLUG list
      each letter of the publication in force: in force / revoked / expired, delivery, openings
      (never a link: only its SHA-256 is kept)
  letters --competition SLUG revoke --proposal REF --by USER --reason "..."
      close the link of the proposal's letter in force for good
  letters --competition SLUG export --out FILE.pdf
      every letter of the publication in force in one PDF (a preview where none is issued), as
      the officials' page downloads it

Errors print one message and exit with code 1; nothing is written then."""


class Command(SubcommandsCommand):
    help = HELP

    def add_arguments(self, parser):
        parser.add_argument("--competition", required=True, help="competition slug")
        actions = parser.add_subparsers(dest="action", required=True, metavar="{issue,list,revoke,export}")
        issue = actions.add_parser("issue", help="issue (and send) the result letters")
        issue.add_argument("--by", required=True, help="username of the official issuing")
        issue.add_argument(
            "--proposal", action="append", default=[], metavar="REF", help="reference number (repeatable)"
        )
        issue.add_argument("--no-send", action="store_true", help="issue without sending the e-mails")
        actions.add_parser("list", help="the letters of the publication in force and their state")
        revoke = actions.add_parser("revoke", help="revoke the link of a proposal's letter")
        revoke.add_argument("--proposal", required=True, metavar="REF", help="reference number")
        revoke.add_argument("--by", required=True, help="username of the official revoking")
        revoke.add_argument("--reason", required=True, help="why the link is revoked")
        export = actions.add_parser("export", help="every letter in one PDF")
        export.add_argument("--out", required=True, help="the PDF file to write")

    def handle(self, *args, action, competition, **options):
        competition = competition_or_error(competition)
        try:
            getattr(self, f"do_{action}")(competition, **options)
        except RoleRequired as refused:
            raise CommandError(refused.message) from None
        except LetterUnavailable as refused:
            raise CommandError(refused.message) from None

    # --- export -----------------------------------------------------------------------------
    def do_export(self, competition, out, **options):
        publication = current_publication(competition)
        if publication is None:
            raise CommandError(
                _("%(competition)s has no publication yet: letters follow the published result.")
                % {"competition": competition.name}
            )
        contents = letter_contents(publication)
        Path(out).write_bytes(letters_pdf_bytes(contents))
        previews = sum(1 for _content, preview in contents if preview)
        self.stdout.write(
            _(
                "Wrote %(count)s letters of publication no. %(number)s (%(previews)s previews, not issued) to %(path)s."
            )
            % {"count": len(contents), "number": publication.number, "previews": previews, "path": out}
        )

    # --- issue ------------------------------------------------------------------------------
    def do_issue(self, competition, by, proposal, no_send, **options):
        user = user_or_error(by)
        ids = proposal_ids_or_error(competition, proposal) if proposal else None
        issued = issue_letters(competition, user, ids, send=not no_send)
        # Sent after the commit (``deliver_letter``): read back what happened to each e-mail.
        delivery = dict(
            ResultLetter.objects.filter(pk__in=[item.letter.pk for item in issued]).values_list(
                "pk", "delivery"
            )
        )
        without = [item for item in issued if not item.letter.recipient]
        sent = sum(1 for item in issued if delivery.get(item.letter.pk) == ResultLetter.Delivery.SENT)
        failed = sum(1 for item in issued if delivery.get(item.letter.pk) == ResultLetter.Delivery.FAILED)
        self.stdout.write(
            _("Issued %(issued)s letter(s): %(sent)s sent by e-mail, %(without)s without an e-mail address.")
            % {"issued": len(issued), "sent": sent, "without": len(without)}
        )
        if failed:
            self.stdout.write(
                _("%(count)s e-mail(s) were not delivered: see 'letters list' and issue them again.")
                % {"count": failed}
            )
        if no_send:
            unsent = len(issued) - len(without)
            if unsent:
                self.stdout.write(
                    _("%(count)s letter(s) with an e-mail address were not sent (--no-send).")
                    % {"count": unsent}
                )
        if without:
            self.stdout.write(
                _(
                    "Links of the letters without an e-mail address. They are shown only now and cannot "
                    "be shown again (issue the letter again for a new link):"
                )
            )
            for item in sorted(without, key=lambda item: item.letter.content["proposal"]["key"]):
                self.stdout.write(f"- {item.letter.content['proposal']['key']}: {item.link}")

    # --- list -------------------------------------------------------------------------------
    def do_list(self, competition, **options):
        publication = current_publication(competition)
        if publication is None:
            raise CommandError(
                _("%(competition)s has no publication yet: letters follow the published result.")
                % {"competition": competition.name}
            )
        letters = list(
            ResultLetter.objects.filter(publication=publication)
            .select_related("proposal")
            .annotate(opening_count=Count("openings"))
            .order_by("proposal__reference", "proposal_id", "-issued_at", "-pk")
        )
        self.stdout.write(
            _("Letters of publication no. %(number)s: %(count)s")
            % {"number": publication.number, "count": len(letters)}
        )
        now = timezone.now()
        for letter in letters:
            if letter.revoked_at is not None:
                state = _("revoked on %(date)s (%(reason)s)") % {
                    "date": f"{timezone.localtime(letter.revoked_at):%Y-%m-%d %H:%M}",
                    "reason": letter.revoke_reason,
                }
            elif letter.expires_at <= now:
                state = _("expired on %(date)s") % {
                    "date": f"{timezone.localtime(letter.expires_at):%Y-%m-%d}"
                }
            else:
                state = _("in force until %(date)s") % {
                    "date": f"{timezone.localtime(letter.expires_at):%Y-%m-%d}"
                }
            if not letter.recipient:
                delivery = _("no e-mail address")
            else:
                delivery = letter.get_delivery_display()
                if letter.delivery == ResultLetter.Delivery.FAILED and letter.delivery_error:
                    delivery = f"{delivery} ({letter.delivery_error})"
            self.stdout.write(
                _(
                    "%(proposal)s — issued %(issued)s — %(state)s — e-mail: %(delivery)s — opened %(openings)s time(s)"
                )
                % {
                    "proposal": letter.content["proposal"]["key"],
                    "issued": f"{timezone.localtime(letter.issued_at):%Y-%m-%d %H:%M}",
                    "state": state,
                    "delivery": delivery,
                    "openings": letter.opening_count,
                }
            )

    # --- revoke -----------------------------------------------------------------------------
    def do_revoke(self, competition, proposal, by, reason, **options):
        user = user_or_error(by)
        (proposal_id,) = proposal_ids_or_error(competition, [proposal])
        publication = current_publication(competition)
        letter = (
            ResultLetter.objects.filter(
                publication=publication, proposal_id=proposal_id, revoked_at__isnull=True
            )
            .order_by("-issued_at")
            .first()
            if publication is not None
            else None
        )
        if letter is None:
            raise CommandError(
                _("Proposal %(proposal)s has no letter in force to revoke.") % {"proposal": proposal}
            )
        letter = revoke_letter(letter, user, reason)
        self.stdout.write(
            _("The link of the letter of %(proposal)s is revoked.")
            % {"proposal": letter.content["proposal"]["key"]}
        )
