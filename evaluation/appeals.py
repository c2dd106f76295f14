"""Appeals (이의신청, issue 13) and the state of a publication they decide.

- **Filing** (``file_appeal``): through a result letter's link, while the link opens and until the
  appeal window of its publication closes (``Competition.appeal_days`` days after the day of
  publication, ``models.appeal_deadline``), on an allowed ground (``Appeal.Ground``: an evaluator's
  obvious error, a misunderstanding of the facts, an administrative error — not the choice of
  evaluators or the method), with a text and optionally one attachment (the document checks of
  ``proposals.documents.filetypes``). Only against the publication in force: a corrected result is
  appealed through its new letter.
- **The committee** (``add_committee_member``): members of the reviewer pool; a reviewer of the
  proposal (any stage) or one with a conflict on it cannot sit on it — enforced by the model on
  every path (``AppealCommitteeMember.check_eligible``).
- **The decision** (``decide_appeal``): accepted or rejected, with written reasons, by an official
  once the committee has at least ``MIN_COMMITTEE`` members. An accepted appeal stays open until a
  correction is published: the official reopens the sheet concerned or records an adjustment, and
  the next publication (``evaluation.publication.publish``) cites every accepted appeal still
  waiting (``accepted_uncited``), in its snapshot under the digest.
- **The state** (``publication_state``): superseded, within the appeal window, appeals under
  review, or 확정 (final) once the window has closed with no appeal open.

Every record is audited (``AuditedModel``); the applicant is told by e-mail that the appeal was
received and what was decided.
"""

import hashlib
import logging
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role, require_role
from proposals.documents.filetypes import DocumentRefused, check_document, clean_name
from proposals.models import audit_context, audit_transaction

from .letters import LetterUnavailable, publication_deadline, usable_letter
from .models import Appeal, AppealCommitteeMember, Publication, Reviewer, appeal_deadline, deadline_text

logger = logging.getLogger(__name__)

MIN_COMMITTEE = 1  # members recorded before a decision
TEXT_MAX = 5000  # characters of an appeal's text
NAME_MAX = 60


class AppealRefused(Exception):
    """An appeal step that cannot be taken; ``message`` says why and what to do, ``field`` which
    input it concerns (for a form)."""

    def __init__(self, message: str, code: str = "refused", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


# --- The state of a publication ----------------------------------------------------------------

STATE_LABELS = {
    "superseded": gettext_lazy("Corrected (superseded by a later publication)"),
    "appeal_window": gettext_lazy("Open for appeals"),
    "under_review": gettext_lazy("Appeals under review"),
    "final": gettext_lazy("Final (확정)"),
}


@dataclass
class PublicationState:
    code: str  # a key of STATE_LABELS
    deadline: object  # when appeals close (aware datetime)
    open_appeals: int

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.code])

    @property
    def is_final(self) -> bool:
        return self.code == "final"


def with_open_appeals(publications):
    """``publications`` annotated with what their state needs, in the query that loads them:
    ``open_appeal_count`` (``Appeal.open_q``, against it or an earlier publication) and
    ``is_superseded`` (a correction supersedes it)."""
    # Appeals against this publication or an earlier one of the competition: an appeal filed before
    # a correction and still undecided keeps the corrected result from becoming final.
    counted = (
        Appeal.objects.filter(
            Appeal.open_q(),
            publication__competition=OuterRef("competition"),
            publication__number__lte=OuterRef("number"),
        )
        .order_by()
        .values("publication__competition")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return publications.annotate(
        open_appeal_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0),
        is_superseded=Exists(Publication.objects.filter(supersedes=OuterRef("pk"))),
    )


def state_of(publication, now=None) -> PublicationState:
    """Where a publication loaded ``with_open_appeals`` (and its competition) stands: superseded by
    a correction; open for appeals until its deadline; with appeals under review (received, or
    accepted and not yet corrected); or final (확정) — its window closed with no appeal open."""
    now = now or timezone.now()
    deadline = appeal_deadline(publication.published_at, publication.competition.appeal_days)
    open_count = publication.open_appeal_count
    if publication.is_superseded:
        code = "superseded"
    elif now < deadline:
        code = "appeal_window"
    elif open_count:
        code = "under_review"
    else:
        code = "final"
    return PublicationState(code, deadline, open_count)


def publication_state(publication: Publication, now=None) -> PublicationState:
    """``state_of`` one publication, loaded here (one query)."""
    loaded = with_open_appeals(
        Publication.objects.filter(pk=publication.pk).select_related("competition")
    ).get()
    return state_of(loaded, now)


# --- Filing ------------------------------------------------------------------------------------


def file_appeal(
    token: str,
    *,
    ground: str,
    text: str,
    filed_by: str,
    attachment_name: str = "",
    attachment: bytes | None = None,
) -> Appeal:
    """File an appeal through the letter of ``token``. Raises ``AppealRefused`` (nothing written)
    when the link does not open, the window has closed, the publication was corrected since, the
    ground is not one allowed, the text or name is missing or too long, or the attachment may not
    be stored."""
    try:
        letter = usable_letter(token)  # filing is not an opening: the letter's page logs those
    except LetterUnavailable as unavailable:
        raise AppealRefused(unavailable.message, unavailable.code) from None
    publication = letter.publication
    if Publication.objects.filter(supersedes=publication).exists():
        raise AppealRefused(
            _(
                "This result was corrected by a later publication; an appeal concerns the result in force. "
                "Use the link of your new result letter."
            ),
            "superseded",
        )
    deadline = publication_deadline(publication)
    if timezone.now() >= deadline:
        raise AppealRefused(
            _("Appeals against this result were received until %(deadline)s; the period has ended.")
            % {"deadline": deadline_text(deadline)},
            "closed",
        )
    if ground not in Appeal.Ground.values:
        raise AppealRefused(
            _(
                "Choose one of the grounds an appeal may rest on. The choice of evaluators and the "
                "evaluation method cannot be appealed."
            ),
            "ground",
            "ground",
        )
    text = (text or "").strip()
    if not text:
        raise AppealRefused(_("Write what you appeal against and why."), "text", "text")
    if len(text) > TEXT_MAX:
        raise AppealRefused(
            _("The text may be at most %(limit)s characters (it has %(count)s).")
            % {"limit": f"{TEXT_MAX:,}", "count": f"{len(text):,}"},
            "text",
            "text",
        )
    filed_by = (filed_by or "").strip()
    if not filed_by:
        raise AppealRefused(_("Write the name of the person filing the appeal."), "filed_by", "filed_by")
    if len(filed_by) > NAME_MAX:
        raise AppealRefused(
            _("The name may be at most %(limit)s characters.") % {"limit": NAME_MAX}, "filed_by", "filed_by"
        )
    name = ""
    if attachment is not None:
        name = clean_name(attachment_name)
        try:
            check_document("attachment", name, attachment)
        except DocumentRefused as refused:
            raise AppealRefused(refused.message, "attachment", "attachment") from None
    with audit_transaction(), audit_context(None, _("Appeal filed through the result letter")):
        appeal = Appeal(
            letter=letter,
            publication=publication,
            proposal=letter.proposal,
            ground=ground,
            text=text,
            filed_by=filed_by,
        )
        if attachment is not None:
            appeal.attachment = ContentFile(attachment, name=name)
            appeal.attachment_name = name
            appeal.attachment_sha256 = hashlib.sha256(attachment).hexdigest()
        appeal.save()
        if letter.recipient:
            transaction.on_commit(partial(_tell_applicant, appeal.pk, "received"))
    return appeal


# --- The committee and the decision ------------------------------------------------------------


def _require_official(user, action):
    require_role(user, Role.OFFICIAL, Role.ADMIN, action=action)


def add_committee_member(appeal: Appeal, reviewer: Reviewer, user) -> AppealCommitteeMember:
    """Record a member of the appeal's review committee (before the decision)."""
    _require_official(user, _("recording an appeal committee"))
    with audit_transaction(), audit_context(user, _("Appeal committee")):
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.status != Appeal.Status.RECEIVED:
            raise AppealRefused(_("This appeal has been decided; its committee is closed."), "decided")
        if AppealCommitteeMember.objects.filter(appeal=appeal, reviewer=reviewer).exists():
            raise AppealRefused(
                _("%(name)s is already on this committee.") % {"name": reviewer.name}, "duplicate", "reviewer"
            )
        member = AppealCommitteeMember(appeal=appeal, reviewer=reviewer, added_by=user)
        try:
            member.save()
        except ValidationError as error:  # check_eligible: the rule the model holds on every path
            raise AppealRefused(error.messages[0], "ineligible", "reviewer") from None
    return member


def remove_committee_member(member: AppealCommitteeMember, user, reason: str) -> None:
    """Take a member off a committee before the decision, with the reason (audited)."""
    _require_official(user, _("recording an appeal committee"))
    reason = (reason or "").strip()
    if not reason:
        raise AppealRefused(_("Write why the member is taken off the committee."), "reason", "reason")
    with audit_transaction(), audit_context(user, reason):
        appeal = Appeal.objects.select_for_update().get(pk=member.appeal_id)
        if appeal.status != Appeal.Status.RECEIVED:
            raise AppealRefused(_("This appeal has been decided; its committee is closed."), "decided")
        member.delete()


def decide_appeal(appeal: Appeal, user, *, accept: bool, reasons: str) -> Appeal:
    """Record the committee's decision with its reasons: accepted (인용: a correction follows and
    cites it) or rejected (기각). The applicant is told by e-mail."""
    _require_official(user, _("deciding an appeal"))
    reasons = (reasons or "").strip()
    if not reasons:
        raise AppealRefused(_("Write the reasons for the decision."), "reasons", "reasons")
    with audit_transaction(), audit_context(user, reasons):
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if appeal.status != Appeal.Status.RECEIVED:
            raise AppealRefused(_("This appeal has been decided already."), "decided")
        if appeal.committee.count() < MIN_COMMITTEE:
            raise AppealRefused(
                _("Record the review committee before the decision (at least %(count)s member).")
                % {"count": MIN_COMMITTEE},
                "committee",
            )
        appeal.status = Appeal.Status.ACCEPTED if accept else Appeal.Status.REJECTED
        appeal.decision_reason = reasons
        appeal.decided_by = user
        appeal.decided_at = timezone.now()
        appeal.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
        if appeal.letter.recipient:
            transaction.on_commit(partial(_tell_applicant, appeal.pk, "decided"))
    return appeal


# --- E-mails to the applicant --------------------------------------------------------------------


def appeal_email(appeal: Appeal, event: str) -> tuple[str, str]:
    """(subject, text) telling the applicant that the appeal was received or decided."""
    content = appeal.letter.content
    with translation.override(settings.LANGUAGE_CODE):
        subject = f"[{content['competition']['name']}] " + (
            _("Your appeal was received") if event == "received" else _("Decision on your appeal")
        )
        body = render_to_string(
            f"evaluation/notices/appeal_{event}.txt",
            {
                "appeal": appeal,
                "content": content,
                "ground": appeal.get_ground_display(),
                "status": appeal.get_status_display(),
                "contact_email": getattr(settings, "CONTACT_EMAIL", ""),
            },
        ).strip()
    return subject[:200], body + "\n"


def _tell_applicant(appeal_id: int, event: str) -> None:
    appeal = Appeal.objects.select_related("letter__publication__competition").filter(pk=appeal_id).first()
    if appeal is None or not appeal.letter.recipient:
        return
    subject, body = appeal_email(appeal, event)
    try:
        EmailMessage(subject, body, to=[appeal.letter.recipient]).send()
    except Exception:  # the appeal stands; the failure is logged for the administrator
        logger.exception("Appeal %s: the %s e-mail was not delivered", appeal.pk, event)
