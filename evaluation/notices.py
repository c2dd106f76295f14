"""Notices to reviewers by e-mail, through Django's mail API.

Three kinds, each logged as a ``Notice`` (audited: recipient, kind, subject, text, the assignments
it is about, when, by whom) and sent only after the transaction that made it commits
(``transaction.on_commit``): a change rolled back sends nothing.

- **Assignment notices** (``notify_assignments``): when panels are formed (``form_panel``), reviewers
  drawn (``assign``) or an assignment added in the Django admin, one e-mail per reviewer per stage
  saying how many proposals are new, with the link to their list. Inside ``batched()`` (the admin
  forming several panels at once) they are gathered into one e-mail per reviewer and stage.
  Sheets imported by ``import_scores`` arrive submitted: no notice.
- **Reminders** (``remind``): an official reminds reviewers of the sheets they owe in a stage (the
  progress page, ``python manage.py remind``).
- **Reopened sheets** (``notify_reopened``, called by ``evaluation.sheets.reopen``): the official's
  reason and the link to the sheet.

What an e-mail says: the competition, the stage, counts or (to a reviewer who accepted the
competition's security pledge) the proposals' reference numbers and applicants — never a score,
never another reviewer. Before the pledge a reviewer is not shown any proposal (SPEC §2), by e-mail
either. Mail leaves the closed network: as little as the reviewer needs to act.

Sent once: each notice has an idempotency ``key`` (kind, reviewer, stage and what it is about).
A notice whose key was already used within ``NOTICE_REPEAT_SECONDS`` (a double click, a repeated
command, two officials at once) is not made again: the reviewer's row is locked (``SELECT … FOR NO
KEY UPDATE`` on PostgreSQL; SQLite runs one writing transaction at a time) before the log is read,
so two requests at once find each other. Locks: after the competition's and the sheet's (a
reopening), before the audit chain's (``evaluation.sheets``).
"""

import hashlib
import logging
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.roles import Role, require_role
from proposals.models import audit_context, audit_transaction

from .models import Assignment, Notice, Reviewer, Scoresheet, SecurityPledge

logger = logging.getLogger(__name__)

# Gathers assignment notices inside ``batched()``; None outside (each call sends its own).
_batch: ContextVar[list | None] = ContextVar("notice_batch", default=None)
_paused: ContextVar[bool] = ContextVar("notices_paused", default=False)


@contextmanager
def batched():
    """Assignment notices made inside go out together at the end: one e-mail per reviewer and
    stage however many panels or draws created their assignments."""
    if _batch.get() is not None:
        yield
        return
    gathered: list = []
    token = _batch.set(gathered)
    try:
        yield
    finally:
        _batch.reset(token)
    for assignments, actor in _grouped(gathered):
        _notify_new(assignments, actor)


@contextmanager
def paused():
    """No notice is made or sent inside (the demo: its sheets are imported right after its panels
    are formed, so an assignment notice would announce work already done)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def _grouped(gathered):
    """(assignments of one reviewer in one stage, actor) from a batch of (assignments, actor)."""
    groups: dict = defaultdict(list)
    actors = {}
    for assignments, actor in gathered:
        for assignment in assignments:
            key = (assignment.reviewer_id, assignment.stage_id)
            groups[key].append(assignment)
            actors.setdefault(key, actor)
    return [(groups[key], actors[key]) for key in groups]


# --- What the e-mails say ------------------------------------------------------------------------


def _link(name: str, *args) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, args=args)


def _render(template: str, context: dict) -> str:
    """An e-mail's text, in the site's language (Korean) whatever the sender's page language."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(f"evaluation/notices/{template}.txt", context).strip() + "\n"


def _subject(text: str, competition) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return f"[{competition.name}] {text}"[:200]


def _pledged(reviewer, competition) -> bool:
    return SecurityPledge.objects.filter(reviewer=reviewer, competition=competition).exists()


def _by_track(assignments) -> list[tuple[str, int]]:
    """(track name, how many) of the assignments' proposals, in track order."""
    counts: dict = {}
    for assignment in sorted(assignments, key=lambda a: (a.proposal.track.order, a.proposal.track.code)):
        name = assignment.proposal.track.name
        counts[name] = counts.get(name, 0) + 1
    return list(counts.items())


def _proposal_line(assignment) -> str:
    proposal = assignment.proposal
    return " ".join(part for part in (proposal.reference, proposal.applicant.name) if part)


# --- Sending once ------------------------------------------------------------------------------


def _recent(key: str) -> Notice | None:
    since = timezone.now() - timedelta(seconds=settings.NOTICE_REPEAT_SECONDS)
    return Notice.objects.filter(key=key, created_at__gte=since).order_by("-created_at").first()


@dataclass
class Outcome:
    """What one call made: the notices queued, and per reviewer the earlier notice that made a
    new one unnecessary (the same key within the window)."""

    queued: list[Notice] = field(default_factory=list)
    already: list[Notice] = field(default_factory=list)


def _queue(
    *, kind, reviewer, competition, stage, assignments, subject, body, key, actor, reason
) -> tuple[Notice | None, Notice | None]:
    """Log the notice and send it once the transaction commits: (new notice, None), or (None,
    the earlier notice) when the same key was used within the window."""
    with audit_transaction():
        # Two requests at once: the second waits here, then finds the first's notice.
        Reviewer.objects.select_for_update(no_key=True).filter(pk=reviewer.pk).values_list("pk").first()
        earlier = _recent(key)
        if earlier is not None:
            return None, earlier
        with audit_context(actor, reason):
            notice = Notice.objects.create(
                kind=kind,
                reviewer=reviewer,
                recipient=reviewer.email,
                subject=subject,
                body=body,
                competition=competition,
                stage=stage,
                key=key[:200],
                sent_by=actor,
            )
            notice.assignments.set(assignments)
        transaction.on_commit(partial(deliver, notice.pk))
    return notice, None


def deliver(notice_id: int) -> None:
    """Send a queued notice (after its transaction committed) and record whether it went: a mail
    server that refuses or is down leaves the notice "not delivered" with the error, for officials
    to see; the page or command that made it carries on."""
    notice = Notice.objects.filter(pk=notice_id, status=Notice.Status.QUEUED).first()
    if notice is None:
        return
    message = EmailMessage(notice.subject, notice.body, to=[notice.recipient])
    try:
        message.send()
    except Exception as error:  # any backend's failure (SMTP, network, …) is recorded, not raised
        logger.exception("Notice %s to %s was not delivered", notice.pk, notice.recipient)
        with audit_context(None, _("e-mail not delivered")):
            Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.FAILED, error=str(error)[:1000])
        return
    with audit_context(None, _("e-mail sent")):
        Notice.objects.filter(pk=notice.pk).update(status=Notice.Status.SENT, sent_at=timezone.now())


# --- Assignment notices --------------------------------------------------------------------------


def notify_assignments(assignments, actor=None) -> list[Notice]:
    """Tell each reviewer of ``assignments`` (new ones) what is new for them: one e-mail per
    reviewer and stage. Inside ``batched()`` they wait for the end of the batch."""
    assignments = list(assignments)
    if not assignments or _paused.get():
        return []
    gathered = _batch.get()
    if gathered is not None:
        gathered.append((assignments, actor))
        return []
    notices = []
    for group, group_actor in _grouped([(assignments, actor)]):
        notices.extend(_notify_new(group, group_actor))
    return notices


def _notify_new(assignments, actor) -> list[Notice]:
    """One reviewer's new assignments in one stage (the rows reloaded with what the text needs)."""
    assignments = list(
        Assignment.objects.filter(pk__in=[a.pk for a in assignments])
        .select_related("reviewer", "stage__competition", "proposal__applicant", "proposal__track")
        .order_by("proposal__reference", "proposal_id")
    )
    if not assignments:
        return []
    first = assignments[0]
    reviewer, stage, competition = first.reviewer, first.stage, first.stage.competition
    pledged = _pledged(reviewer, competition)
    body = _render(
        "assignment",
        {
            "reviewer": reviewer,
            "competition": competition,
            "stage": stage,
            "count": len(assignments),
            "tracks": _by_track(assignments),
            "proposals": [_proposal_line(a) for a in assignments] if pledged else [],
            "pledged": pledged,
            "link": _link("review:competition", competition.slug),
        },
    )
    subject = _subject(_("%(stage)s: proposals assigned to you") % {"stage": stage.name}, competition)
    key = f"assignment:{stage.pk}:{reviewer.pk}:" + ",".join(
        str(a.pk) for a in sorted(assignments, key=lambda a: a.pk)
    )
    if len(key) > 200:  # many assignments: their ids are still unique as a digest
        key = f"assignment:{stage.pk}:{reviewer.pk}:" + hashlib.sha256(key.encode()).hexdigest()
    notice, _earlier = _queue(
        kind=Notice.Kind.ASSIGNMENT,
        reviewer=reviewer,
        competition=competition,
        stage=stage,
        assignments=assignments,
        subject=subject,
        body=body,
        key=key,
        actor=actor,
        reason=_("assignment notice"),
    )
    return [notice] if notice else []


# --- Reminders of sheets owed ----------------------------------------------------------------------


def owed_assignments(competition, stage=None, reviewers=None):
    """The assignments whose sheet a reviewer still owes (``Assignment.objects.owed``), of
    ``stage`` and ``reviewers`` if given."""
    owed = Assignment.objects.owed(competition)
    if stage is not None:
        owed = owed.filter(stage=stage)
    if reviewers is not None:
        owed = owed.filter(reviewer__in=reviewers)
    return owed


def sheet_state(assignment) -> str:
    """How far an owed sheet is, as the reviewer's list says it."""
    sheet = getattr(assignment, "sheet", None) if _has_sheet(assignment) else None
    if sheet is None:
        return pgettext("sheet owed", "not started")
    if sheet.reopened_at:
        return pgettext("sheet owed", "reopened by the official")
    return pgettext("sheet owed", "draft saved")


def _has_sheet(assignment) -> bool:
    try:
        assignment.sheet  # noqa: B018 (select_related fills it or raises)
    except Scoresheet.DoesNotExist:
        return False
    return True


def owed_by_reviewer(stage) -> list[dict]:
    """Who still owes which sheets in ``stage``, for the officials' progress page, in two queries:
    ``{"reviewer", "assignments": [(assignment, state)], "reminded": the last reminder or None}``
    per reviewer who owes any, by name."""
    owed = (
        owed_assignments(stage.competition, stage)
        .select_related("reviewer", "proposal__applicant", "sheet")
        .order_by("reviewer__name", "reviewer_id", "proposal__reference", "proposal_id")
    )
    rows: dict = {}
    for assignment in owed:
        row = rows.setdefault(
            assignment.reviewer_id, {"reviewer": assignment.reviewer, "assignments": [], "reminded": None}
        )
        row["assignments"].append((assignment, sheet_state(assignment)))
    if rows:
        latest = (
            Notice.objects.filter(stage=stage, kind=Notice.Kind.REMINDER, reviewer_id__in=list(rows))
            .order_by()
            .values("reviewer_id")
            .annotate(last=Max("created_at"))
        )
        for item in latest:
            rows[item["reviewer_id"]]["reminded"] = item["last"]
    return list(rows.values())


def remind(competition, stage=None, reviewers=None, actor=None) -> Outcome:
    """Remind each reviewer who owes sheets in ``stage`` (every stage when None; ``reviewers`` to
    limit whom) with one e-mail per reviewer and stage. A reviewer reminded for that stage within
    ``NOTICE_REPEAT_SECONDS`` is not reminded again (``Outcome.already``)."""
    if actor is not None:
        require_role(actor, Role.OFFICIAL, Role.ADMIN, action=_("sending reminders"))
    outcome = Outcome()
    owed = (
        owed_assignments(competition, stage, reviewers)
        .select_related("reviewer", "stage", "proposal__applicant", "proposal__track", "sheet")
        .order_by(
            "stage__order", "stage_id", "reviewer__name", "reviewer_id", "proposal__reference", "proposal_id"
        )
    )
    groups: dict = defaultdict(list)
    for assignment in owed:
        groups[(assignment.stage_id, assignment.reviewer_id)].append(assignment)
    pledged = set(
        SecurityPledge.objects.filter(competition=competition).values_list("reviewer_id", flat=True)
    )
    for (stage_id, reviewer_id), assignments in groups.items():
        reviewer, owed_stage = assignments[0].reviewer, assignments[0].stage
        body = _render(
            "reminder",
            {
                "reviewer": reviewer,
                "competition": competition,
                "stage": owed_stage,
                "count": len(assignments),
                "tracks": _by_track(assignments),
                "proposals": [(_proposal_line(a), sheet_state(a)) for a in assignments]
                if reviewer_id in pledged
                else [],
                "pledged": reviewer_id in pledged,
                "link": _link("review:competition", competition.slug),
            },
        )
        subject = _subject(
            _("%(stage)s: %(count)s scoresheets still to submit")
            % {"stage": owed_stage.name, "count": len(assignments)},
            competition,
        )
        notice, earlier = _queue(
            kind=Notice.Kind.REMINDER,
            reviewer=reviewer,
            competition=competition,
            stage=owed_stage,
            assignments=assignments,
            subject=subject,
            body=body,
            key=f"reminder:{stage_id}:{reviewer_id}",
            actor=actor,
            reason=_("reminder of sheets owed"),
        )
        if notice is not None:
            outcome.queued.append(notice)
        else:
            outcome.already.append(earlier)
    return outcome


# --- A reopened sheet --------------------------------------------------------------------------


def notify_reopened(sheet, reason: str, actor) -> Notice | None:
    """Tell the reviewer that an official reopened their sheet, and why (``evaluation.sheets.reopen``)."""
    if _paused.get():
        return None
    assignment = (
        Assignment.objects.select_related("reviewer", "stage__competition", "proposal__applicant")
        .filter(pk=sheet.assignment_id)
        .get()
    )
    reviewer, stage, competition = assignment.reviewer, assignment.stage, assignment.stage.competition
    proposal = assignment.proposal
    body = _render(
        "reopened",
        {
            "reviewer": reviewer,
            "competition": competition,
            "stage": stage,
            "proposal": proposal,
            "pledged": _pledged(reviewer, competition),
            "reason": reason,
            "link": _link("review:sheet", competition.slug, assignment.pk),
        },
    )
    subject = _subject(
        _("%(stage)s: your scoresheet for %(reference)s was reopened")
        % {"stage": stage.name, "reference": proposal.reference or proposal.applicant.name},
        competition,
    )
    notice, _earlier = _queue(
        kind=Notice.Kind.REOPENED,
        reviewer=reviewer,
        competition=competition,
        stage=stage,
        assignments=[assignment],
        subject=subject,
        body=body,
        key=f"reopened:{sheet.pk}:{sheet.reopened_at.isoformat() if sheet.reopened_at else ''}",
        actor=actor,
        reason=reason,
    )
    return notice
