from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.roles import RoleRequired
from evaluation.corrections import describe_changes
from evaluation.integrity import publication_chain_entries
from evaluation.publication import PublicationRefused, publish

from ._lookup import competition_or_error


class Command(BaseCommand):
    help = (
        "Freeze and publish the shortlist of a competition (a correction supersedes the previous one "
        "and needs --reason)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--competition", required=True, help="competition slug")
        parser.add_argument("--by", required=True, help="username of the official publishing")
        parser.add_argument(
            "--override-reason",
            default="",
            help="written reason for publishing while assigned sheets are not submitted",
        )
        parser.add_argument(
            "--reason",
            default="",
            help="the reason for a correction (정정 사유): required once the competition has a publication",
        )

    def handle(self, *args, competition, by, override_reason, reason, **options):
        competition = competition_or_error(competition)
        user = get_user_model().objects.filter(username=by).first()
        if user is None:
            raise CommandError(_("No user with username '%(username)s'.") % {"username": by})
        try:
            publication = publish(competition, user, override_reason, correction_reason=reason)
        except RoleRequired as refused:
            raise CommandError(refused.message) from None
        except PublicationRefused as refused:
            lines = [_("Not published:")] + [f"- {message}" for message in refused.messages]
            if "correction_reason" in refused.codes:
                lines.append(_('Give the reason for the correction with --reason "…".'))
            raise CommandError("\n".join(lines)) from None
        self.stdout.write(
            _("Published %(competition)s as publication no. %(number)s (id %(id)s), SHA-256 %(digest)s.")
            % {
                "competition": competition.name,
                "number": publication.number,
                "id": publication.pk,
                "digest": publication.digest,
            }
        )
        entry = publication_chain_entries([publication]).get(publication.pk)
        self.stdout.write(
            _("Audit chain head at publication (keep a copy): %(digest)s") % {"digest": entry.digest}
        )
        if publication.supersedes_id:
            self.stdout.write(
                _("It supersedes publication no. %(number)s, which is kept.")
                % {"number": publication.supersedes.number}
            )
            self.stdout.write(
                _("Reason for the correction: %(reason)s")
                % {"reason": publication.snapshot["correction_reason"]}
            )
            self.stdout.write(
                _("Corrections since publication no. %(number)s:") % {"number": publication.supersedes.number}
            )
            for line in describe_changes(publication.snapshot):
                self.stdout.write(f"- {line}")
            cited = publication.snapshot.get("appeals") or []
            if cited:
                self.stdout.write(_("This correction reflects these appeals (이의신청):"))
                for appeal in cited:
                    self.stdout.write(
                        "- "
                        + _("appeal %(id)s — %(proposal)s (against publication no. %(publication)s)")
                        % {
                            "id": appeal["id"],
                            "proposal": appeal["proposal"],
                            "publication": appeal["publication"],
                        }
                    )
