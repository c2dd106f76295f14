import json

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import RoleRequired
from evaluation.appeals import (
    AppealRefused,
    add_committee_member,
    deadline_text,
    decide_appeal,
    publication_state,
    remove_committee_member,
)
from evaluation.models import Appeal, AppealCommitteeMember, Publication, Reviewer

from ._lookup import SubcommandsCommand, competition_or_error, user_or_error

HELP = """Appeals (이의신청) against a competition's publications (issue 13).

  appeals --competition SLUG list [--json]
      every appeal: proposal, publication, ground, status, committee, the correction citing it
  appeals --competition SLUG committee APPEAL_ID --add REVIEWER_EMAIL --by USER
  appeals --competition SLUG committee APPEAL_ID --remove REVIEWER_EMAIL --reason "..." --by USER
      record the review committee (a reviewer of the proposal cannot sit on it)
  appeals --competition SLUG decide APPEAL_ID (--accept | --reject) --reasons "..." --by USER
      the committee's decision with its reasons; an accepted appeal is cited by the next correction
  appeals --competition SLUG state
      each publication's state (appeal window, appeals under review, final), its deadline and
      its open appeals

Errors print one message and exit with code 1; nothing is written then."""


class Command(SubcommandsCommand):
    help = HELP

    def add_arguments(self, parser):
        parser.add_argument("--competition", required=True, help="competition slug")
        actions = parser.add_subparsers(dest="action", required=True, metavar="{list,committee,decide,state}")
        listing = actions.add_parser("list", help="the appeals of the competition")
        listing.add_argument("--json", action="store_true", help="print JSON")
        committee = actions.add_parser("committee", help="add or remove a committee member")
        committee.add_argument("appeal_id", type=int, metavar="APPEAL_ID")
        which = committee.add_mutually_exclusive_group(required=True)
        which.add_argument("--add", metavar="REVIEWER_EMAIL", help="the reviewer to add")
        which.add_argument("--remove", metavar="REVIEWER_EMAIL", help="the member to take off")
        committee.add_argument("--reason", default="", help="why the member is taken off (with --remove)")
        committee.add_argument("--by", required=True, help="username of the official")
        decide = actions.add_parser("decide", help="record the decision")
        decide.add_argument("appeal_id", type=int, metavar="APPEAL_ID")
        outcome = decide.add_mutually_exclusive_group(required=True)
        outcome.add_argument("--accept", action="store_true", help="accepted (인용)")
        outcome.add_argument("--reject", action="store_true", help="rejected (기각)")
        decide.add_argument("--reasons", required=True, help="the reasons for the decision")
        decide.add_argument("--by", required=True, help="username of the official")
        actions.add_parser("state", help="the state of each publication")

    def handle(self, *args, action, competition, **options):
        competition = competition_or_error(competition)
        try:
            getattr(self, f"do_{action}")(competition, **options)
        except RoleRequired as refused:
            raise CommandError(refused.message) from None
        except AppealRefused as refused:
            raise CommandError(refused.message) from None

    def _appeal(self, competition, appeal_id) -> Appeal:
        appeal = (
            Appeal.objects.filter(pk=appeal_id, publication__competition=competition)
            .select_related("publication", "letter", "proposal")
            .first()
        )
        if appeal is None:
            raise CommandError(
                _("Competition %(slug)s has no appeal with id %(id)s.")
                % {"slug": competition.slug, "id": appeal_id}
            )
        return appeal

    # --- list -------------------------------------------------------------------------------
    def do_list(self, competition, **options):
        appeals = list(
            Appeal.objects.filter(publication__competition=competition)
            .select_related("publication", "letter", "corrected_by")
            .prefetch_related("committee__reviewer")
            .order_by("filed_at", "pk")
        )
        rows = [
            {
                "id": appeal.pk,
                "proposal": appeal.letter.content["proposal"]["key"],
                "publication": appeal.publication.number,
                "ground": appeal.ground,
                "filed_at": timezone.localtime(appeal.filed_at).isoformat(),
                "status": appeal.status,
                "open": appeal.is_open,
                "committee": [member.reviewer.email for member in appeal.committee.all()],
                "decision": appeal.decision_reason or None,
                "corrected_by": appeal.corrected_by.number if appeal.corrected_by_id else None,
            }
            for appeal in appeals
        ]
        if options["json"]:
            self.stdout.write(_json_text({"competition": competition.slug, "appeals": rows}))
            return
        if not appeals:
            self.stdout.write(_("No appeal has been filed."))
        for appeal, row in zip(appeals, rows, strict=True):
            self.stdout.write(
                _(
                    "Appeal %(id)s — %(proposal)s — against publication no. %(publication)s — %(ground)s — "
                    "filed %(filed)s — %(status)s"
                )
                % {
                    "id": appeal.pk,
                    "proposal": row["proposal"],
                    "publication": row["publication"],
                    "ground": appeal.get_ground_display(),
                    "filed": f"{timezone.localtime(appeal.filed_at):%Y-%m-%d %H:%M}",
                    "status": appeal.get_status_display(),
                }
            )
            self.stdout.write(
                "  "
                + _("Committee: %(members)s") % {"members": ", ".join(row["committee"]) or _("none recorded")}
            )
            if appeal.decision_reason:
                self.stdout.write("  " + _("Reasons: %(reasons)s") % {"reasons": appeal.decision_reason})
            if appeal.corrected_by_id:
                self.stdout.write(
                    "  " + _("Cited by correction no. %(number)s.") % {"number": appeal.corrected_by.number}
                )
            elif appeal.status == Appeal.Status.ACCEPTED:
                self.stdout.write("  " + _("Waiting for the correction that cites it."))

    # --- committee --------------------------------------------------------------------------
    def do_committee(self, competition, appeal_id, add, remove, reason, by, **options):
        user = user_or_error(by)
        appeal = self._appeal(competition, appeal_id)
        email = (add or remove).strip()
        reviewer = Reviewer.objects.filter(email__iexact=email).first()
        if reviewer is None:
            raise CommandError(_("No reviewer with e-mail '%(email)s'.") % {"email": email})
        if add:
            member = add_committee_member(appeal, reviewer, user)
            self.stdout.write(
                _("%(name)s sits on the committee of appeal %(id)s.")
                % {"name": member.reviewer.name, "id": appeal.pk}
            )
            return
        member = AppealCommitteeMember.objects.filter(appeal=appeal, reviewer=reviewer).first()
        if member is None:
            raise CommandError(
                _("%(name)s is not on the committee of appeal %(id)s.")
                % {"name": reviewer.name, "id": appeal.pk}
            )
        remove_committee_member(member, user, reason)
        self.stdout.write(
            _("%(name)s was taken off the committee of appeal %(id)s.")
            % {"name": reviewer.name, "id": appeal.pk}
        )

    # --- decide -----------------------------------------------------------------------------
    def do_decide(self, competition, appeal_id, accept, reject, reasons, by, **options):
        user = user_or_error(by)
        appeal = decide_appeal(self._appeal(competition, appeal_id), user, accept=accept, reasons=reasons)
        self.stdout.write(
            _("Appeal %(id)s (%(proposal)s): %(status)s.")
            % {
                "id": appeal.pk,
                "proposal": appeal.letter.content["proposal"]["key"],
                "status": appeal.get_status_display(),
            }
        )
        if appeal.status == Appeal.Status.ACCEPTED:
            self.stdout.write(
                _(
                    "Reopen the sheet concerned or record an adjustment, then publish a correction: it "
                    "will cite this appeal."
                )
            )

    # --- state ------------------------------------------------------------------------------
    def do_state(self, competition, **options):
        publications = list(
            Publication.objects.filter(competition=competition)
            .select_related("competition")
            .defer("snapshot")
            .order_by("-number")
        )
        if not publications:
            self.stdout.write(_("Nothing has been published yet."))
        for publication in publications:
            state = publication_state(publication)
            self.stdout.write(
                _(
                    "Publication no. %(number)s: %(state)s — appeals until %(deadline)s — "
                    "%(open)s appeal(s) open"
                )
                % {
                    "number": publication.number,
                    "state": state.label,
                    "deadline": deadline_text(state.deadline),
                    "open": state.open_appeals,
                }
            )


def _json_text(document) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1)
