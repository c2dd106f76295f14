from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import RoleRequired
from evaluation.notices import remind

from ._lookup import competition_or_error, stage_of


class Command(BaseCommand):
    help = (
        "E-mail each reviewer who still owes scoresheets a reminder listing them (one per reviewer and "
        "stage). A reviewer reminded for the same stage within NOTICE_REPEAT_SECONDS is not reminded again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--competition", required=True, help="competition slug")
        parser.add_argument("--stage", help="stage code (default: every stage)")
        parser.add_argument(
            "--by", help="username of the official sending the reminders (default: the system)"
        )

    def handle(self, *args, competition, stage, by, **options):
        target = competition_or_error(competition)
        stage_obj = stage_of(competition, stage) if stage else None
        user = None
        if by:
            user = get_user_model().objects.filter(username=by).first()
            if user is None:
                raise CommandError(_("No user with username '%(username)s'.") % {"username": by})
        try:
            outcome = remind(target, stage_obj, actor=user)
        except RoleRequired as refused:
            raise CommandError(refused.message) from None
        for notice in outcome.queued:
            notice.refresh_from_db(fields=["status", "error"])  # sent when its transaction committed
            if notice.status == notice.Status.FAILED:
                self.stderr.write(
                    _("Reminder to %(name)s <%(email)s> was not delivered: %(error)s")
                    % {"name": notice.reviewer.name, "email": notice.recipient, "error": notice.error}
                )
                continue
            self.stdout.write(
                _("Reminder sent to %(name)s <%(email)s>: %(subject)s")
                % {"name": notice.reviewer.name, "email": notice.recipient, "subject": notice.subject}
            )
        for notice in outcome.already:
            self.stdout.write(
                _("Not sent again to %(name)s: already reminded at %(time)s.")
                % {
                    "name": notice.reviewer.name,
                    "time": timezone.localtime(notice.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                }
            )
        if not outcome.queued and not outcome.already:
            self.stdout.write(_("No reviewer owes a scoresheet: no reminder was sent."))
        else:
            self.stdout.write(
                _("%(sent)s reminders sent, %(skipped)s not sent again.")
                % {"sent": len(outcome.queued), "skipped": len(outcome.already)}
            )
