"""Scoresheets: save a draft, submit, reopen; publishing closes them (SPEC §2, §4.1).

Every function locks the sheet row, checks the version the reviewer's page was built from and
the state, and leaves an audit record through the audited models. Web pages and the score
import both come here; no page changes a sheet by itself.

Locks, always in this order (so two of them never wait for each other in a circle):

1. the competition's row, shared (``lock_competition_shared``): sheets of different reviewers
   change side by side, but never while ``evaluation.publication.publish`` or an import holds
   the row ``FOR UPDATE``; a publication therefore sees each sheet either before or after a
   change, never half of it, and waits for changes already under way;
2. the sheet's row (``SELECT … FOR UPDATE``): two tabs, two clicks or a score import changing
   one sheet take turns, and the later one finds the version or state moved on (``stale``,
   ``submitted``) or its identical submission already made (a double click);
3. the audit chain (``proposals.models.audit``: ``pg_advisory_xact_lock``), last: a transaction
   appends its audit entries when its work is done (``audit_transaction``) and holds the chain's
   lock only for that append and its commit. Before taking it, the append runs the foreign-key
   checks PostgreSQL would run at commit, so no row lock is ever taken after it; a transaction
   holding the chain therefore waits for nothing, and no two transactions wait for each other
   in a circle. Sheets of different reviewers still change side by side: they queue only for
   the append (milliseconds), one after the other.

Every service that changes several rows (the sheets here, publishing, imports, forming panels,
the Django admin) runs in ``audit_transaction``; a single ``save()``/``update()``/``delete()``
appends at its own end. A script that changes several rows in one ``transaction.atomic`` of its
own appends after its first change and may then wait for a row another transaction holds while
that one waits for the chain: PostgreSQL detects such a deadlock and cancels one of the two
(nothing is half-written); wrap such scripts in ``audit_transaction``.

Publishing closes the evaluation: once a competition has a publication, no sheet of it changes —
not on the reviewer's page, not through ``import_scores``, not from a shell — unless an official
reopened that one sheet with a written reason after the latest publication (``reopen``: a submitted
sheet, a draft or one not yet started). Submitting it closes it again, and the next publication
(a correction) lists what changed. Closing is decided from the publications themselves, never from
``Competition.status`` (an admin can edit that), and read after the competition's share lock, so
a save either commits before a publication reads or finds the publication and is refused.

On SQLite a transaction takes the database's write lock when it begins and waits for it up to the
connection's ``timeout`` (config/settings.py). A save or submission that still finds the database
locked (a long import writing, say) is tried again a few times after a short pause; if it still
cannot start, it raises ``SheetError("busy")``: nothing was written, and the page keeps the input.
"""

import random
import time
from dataclasses import dataclass, field
from decimal import Decimal
from functools import wraps

from django.db import OperationalError, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role, require_role
from proposals.models import audit_context, audit_transaction, lock_competition_shared
from proposals.models.bulk_audit import insert_audited_rows, update_audited_rows

from . import notices
from .integrity import sheet_digest
from .models import Assignment, Conflict, Criterion, Publication, Score, Scoresheet
from .rules import plain_number, points_error, sheet_total


class SheetError(Exception):
    """The sheet cannot be changed as asked; ``code`` for tests, ``message`` for people."""

    def __init__(self, code: str, message: str, field_errors: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field_errors = field_errors or {}


@dataclass
class SheetInput:
    """What a reviewer typed: points and comments per criterion id, and an overall comment."""

    points: dict[int, Decimal | None] = field(default_factory=dict)
    comments: dict[int, str] = field(default_factory=dict)
    comment: str = ""

    def __post_init__(self):
        # -0 is 0 (SPEC §5), whichever door the points came through (form, import, a shell).
        self.points = {
            key: abs(value) if isinstance(value, Decimal) and value.is_zero() else value
            for key, value in self.points.items()
        }


def criteria_for(stage, track) -> list[Criterion]:
    """The criteria a proposal of ``track`` is scored on in ``stage`` (rubrics for all tracks or it)."""
    from django.db.models import Q

    return list(
        Criterion.objects.filter(rubric__stage=stage)
        .filter(Q(rubric__tracks__isnull=True) | Q(rubric__tracks=track))
        .distinct()
        .order_by("rubric_id", "order", "code")
    )


def is_conflicted(assignment: Assignment) -> bool:
    return Conflict.objects.filter(
        proposal_id=assignment.proposal_id, reviewer_id=assignment.reviewer_id
    ).exists()


def point_messages(criteria: list[Criterion], data: SheetInput, *, require_all: bool) -> dict[int, str]:
    """Messages next to each field: out of range, off the step, or missing before submission."""
    errors = {}
    for criterion in criteria:
        points = data.points.get(criterion.pk)
        problem = points_error(points, criterion.max_points, criterion.step)
        if problem == "missing" and not require_all:
            continue
        if problem == "missing":
            errors[criterion.pk] = _("Enter the points for this criterion before submitting.")
        elif problem == "range":
            errors[criterion.pk] = _("Enter between 0 and %(max)s points.") % {
                "max": plain_number(criterion.max_points)
            }
        elif problem == "step":
            errors[criterion.pk] = _("Points go in steps of %(step)s.") % {
                "step": plain_number(criterion.step)
            }
    return errors


def _locked_sheet(assignment: Assignment, actor) -> Scoresheet:
    """The assignment's sheet (created when first saved), its row locked for this transaction."""
    lock_competition_shared(assignment.stage.competition_id)
    locked = Scoresheet.objects.select_for_update().filter(assignment=assignment).order_by()
    sheet = locked.first()
    if sheet is None:
        # get_or_create: two first saves at once meet at the one-sheet-per-assignment constraint.
        with audit_context(actor, _("sheet opened")):
            Scoresheet.objects.get_or_create(assignment=assignment)
        sheet = locked.get()
    sheet.assignment = assignment  # already loaded by the caller: no reload for the audit trail
    return sheet


def _write_scores(sheet: Scoresheet, criteria: list[Criterion], data: SheetInput) -> None:
    """Every criterion's points and comment, new or changed ones in one statement."""
    existing = {score.criterion_id: score for score in sheet.scores.order_by()}
    scores = []
    for criterion in criteria:
        score = existing.get(criterion.pk) or Score(sheet=sheet, criterion=criterion)
        score.points = data.points.get(criterion.pk)
        score.comment = (data.comments.get(criterion.pk) or "").strip()
        scores.append(score)
    Score.objects.upsert(scores, unique_fields=["sheet", "criterion"], update_fields=["points", "comment"])


def _same_as_stored(sheet: Scoresheet, criteria: list[Criterion], data: SheetInput) -> bool:
    stored = {score.criterion_id: score for score in sheet.scores.all()}
    return sheet.comment == data.comment.strip() and all(
        criterion.pk in stored
        and stored[criterion.pk].points == data.points.get(criterion.pk)
        and stored[criterion.pk].comment == (data.comments.get(criterion.pk) or "").strip()
        for criterion in criteria
    )


def closing_publication_id(competition_id) -> int | None:
    """The publication that closes the competition's evaluation (the latest), or None before any."""
    return (
        Publication.objects.filter(competition_id=competition_id)
        .order_by("-number")
        .values_list("pk", flat=True)
        .first()
    )


def is_closed(sheet: Scoresheet | None, closing_id: int | None) -> bool:
    """Whether a publication (``closing_id``, from ``closing_publication_id``) keeps the sheet of an
    assignment (``None`` before its first save) from changing: every sheet after a publication
    except one an official reopened after that very publication."""
    return closing_id is not None and (sheet is None or sheet.reopened_after_id != closing_id)


def can_reopen(sheet: Scoresheet | None, closing_id: int | None) -> bool:
    """Whether an official may reopen the sheet of an assignment (``None``: not started): a
    submitted sheet, or any sheet a publication closed."""
    return (sheet is not None and sheet.is_submitted) or is_closed(sheet, closing_id)


def closed_error() -> SheetError:
    return SheetError(
        "closed",
        _(
            "The result of this competition has been published, so the evaluation is closed and this "
            "sheet can no longer be changed. If it must change, ask the official in charge to reopen "
            "it with a written reason."
        ),
    )


def _check_writable(assignment: Assignment, sheet: Scoresheet, version: int) -> None:
    if is_conflicted(assignment):
        raise SheetError(
            "conflict", _("A conflict of interest is recorded for this proposal; it cannot be scored.")
        )
    # After the competition's share lock (``_locked_sheet``): a publication cannot commit between
    # this check and the write.
    if is_closed(sheet, closing_publication_id(assignment.stage.competition_id)):
        raise closed_error()
    if sheet.is_submitted:
        raise SheetError("submitted", _("This sheet has been submitted and can no longer be changed."))
    if version != sheet.version:
        raise SheetError(
            "stale",
            _(
                "This sheet was saved elsewhere (another tab or device) after you opened it. Your input "
                "is kept below; check the saved version, then save again."
            ),
        )


# A save that finds the database locked: tried this many times in all, pausing between tries.
BUSY_ATTEMPTS = 3
BUSY_PAUSE = 0.25  # seconds before the second try, doubled before each further one (plus jitter)


def _is_busy(error: OperationalError) -> bool:
    """SQLite's answer when another connection holds the write lock past the busy timeout."""
    return connection.vendor == "sqlite" and "database is locked" in str(error)


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def retried_when_busy(function):
    """``function`` in a transaction of its own (``audit_transaction``: its audit entries are
    appended when its work is done), tried again when the database is locked, then
    ``SheetError("busy")``. Inside a caller's transaction it runs once: the caller holds the lock,
    or the caller's transaction is the one to try again."""
    in_transaction = audit_transaction()(function)

    @wraps(function)
    def run(*args, **kwargs):
        if connection.in_atomic_block:
            return in_transaction(*args, **kwargs)
        for attempt in range(BUSY_ATTEMPTS):
            if attempt:
                _pause(BUSY_PAUSE * 2 ** (attempt - 1) * random.uniform(1, 1.5))
            try:
                return in_transaction(*args, **kwargs)
            except OperationalError as error:
                if not _is_busy(error):
                    raise
                busy = error
        raise SheetError(
            "busy",
            _(
                "The system is busy with other changes (a large import, for example) and could not "
                "save your sheet. Nothing was saved; your input is kept below. Please save again "
                "in a moment."
            ),
        ) from busy

    return run


@retried_when_busy
def save_draft(assignment: Assignment, version: int, data: SheetInput, actor, criteria=None) -> Scoresheet:
    """Save the reviewer's input as a draft; ``criteria`` when the caller has them already. The
    returned sheet's ``version`` is the one the reviewer's page holds from now on. A repeat of
    the last save (same version, same content) returns that save and writes nothing."""
    criteria = criteria if criteria is not None else criteria_for(assignment.stage, assignment.proposal.track)
    sheet = _locked_sheet(assignment, actor)
    if not sheet.is_submitted and version == sheet.version - 1 and _same_as_stored(sheet, criteria, data):
        # The same request again (a resent autosave, a double click): it is the save just made,
        # not a save from elsewhere. Nothing is written; every other check still applies.
        _check_writable(assignment, sheet, sheet.version)
        return sheet
    _check_writable(assignment, sheet, version)
    errors = point_messages(criteria, data, require_all=False)
    if errors:
        raise SheetError(
            "invalid", _("Some points are not valid; see the messages next to the fields."), errors
        )
    with audit_context(actor, _("draft saved")):
        _write_scores(sheet, criteria, data)
        sheet.comment = data.comment.strip()
        sheet.version += 1
        sheet.save()
    return sheet


@retried_when_busy
def submit(assignment: Assignment, version: int, data: SheetInput, actor, criteria=None) -> Scoresheet:
    """Submit once: a second identical submission (a double click) returns the submitted sheet."""
    criteria = criteria if criteria is not None else criteria_for(assignment.stage, assignment.proposal.track)
    sheet = _locked_sheet(assignment, actor)
    if sheet.is_submitted and version == sheet.version - 1 and _same_as_stored(sheet, criteria, data):
        return sheet
    _check_writable(assignment, sheet, version)
    errors = point_messages(criteria, data, require_all=True)
    if errors:
        raise SheetError("invalid", _("Some points are missing or not valid; nothing was submitted."), errors)
    with audit_context(actor, _("submitted")):
        _write_scores(sheet, criteria, data)
        sheet.comment = data.comment.strip()
        sheet.total = sheet_total([data.points.get(c.pk) for c in criteria])
        sheet.status = Scoresheet.Status.SUBMITTED
        sheet.submitted_at = timezone.now()
        sheet.version += 1
        # The content's digest goes into the chain with the submission (evaluation.integrity).
        sheet.save(audit_verb="submitted", audit_after={"digest": sheet_digest(sheet)})
    return sheet


@dataclass
class CheckedSheet:
    """A sheet to submit whose row a caller has checked as ``submit`` checks it (no conflict,
    not closed, not submitted, every point valid) while holding the competition's row lock."""

    assignment: Assignment
    sheet: Scoresheet | None  # None: not started (no row yet)
    criteria: list[Criterion]
    data: SheetInput


@audit_transaction()
def submit_checked(items: list[CheckedSheet], actor) -> None:
    """Submit many checked sheets at once (``import_scores``), recording what ``submit`` records
    for each — a new sheet's "created" (sheet opened), its scores' "created"/"updated" and the
    sheet's "submitted" with its content digest — in a few statements instead of a dozen a sheet.
    The caller holds the competition's row ``FOR UPDATE`` (an import's lock), so no sheet changes
    between its checks and this write."""
    if not items:
        return
    new = [item for item in items if item.sheet is None]
    with audit_context(actor, _("sheet opened")):
        created = Scoresheet.objects.bulk_create([Scoresheet(assignment=item.assignment) for item in new])
    for item, sheet in zip(new, created, strict=True):
        item.sheet = sheet
    fresh = {sheet.pk for sheet in created}
    drafted, new_scores, contents = [], [], {}  # a draft's scores to update; a new sheet's rows
    for item in items:
        sheet = item.sheet
        sheet.assignment = item.assignment  # loaded: the audit trail names the competition from it
        # A draft's scores (the caller prefetches them); a sheet just opened has none.
        existing = {} if sheet.pk in fresh else {score.criterion_id: score for score in sheet.scores.all()}
        contents[sheet.pk] = []
        for criterion in item.criteria:
            points = item.data.points.get(criterion.pk)
            comment = (item.data.comments.get(criterion.pk) or "").strip()
            contents[sheet.pk].append((criterion.pk, points, comment))
            if sheet.pk in fresh:
                new_scores.append((sheet.pk, criterion.pk, points, comment))
                continue
            score = existing.get(criterion.pk) or Score(sheet=sheet, criterion=criterion)
            score.points, score.comment = points, comment
            drafted.append(score)
    now = timezone.now()
    digests, before = {}, []
    fields = ["comment", "total", "status", "submitted_at", "version"]
    for item in items:
        sheet = item.sheet
        before.append({name: getattr(sheet, name) for name in fields})
        sheet.comment = item.data.comment.strip()
        sheet.total = sheet_total([item.data.points.get(c.pk) for c in item.criteria])
        sheet.status = Scoresheet.Status.SUBMITTED
        sheet.submitted_at = now
        sheet.updated_at = now
        sheet.version += 1
        digests[sheet.pk] = sheet_digest(sheet, contents[sheet.pk])
    with audit_context(actor, _("submitted")):
        if drafted:
            Score.objects.upsert(
                drafted, unique_fields=["sheet", "criterion"], update_fields=["points", "comment"]
            )
        if new_scores:  # one prepared INSERT, each score's "created" entry as save() records it
            insert_audited_rows(Score, ["sheet", "criterion", "points", "comment"], new_scores, _score_ids)
        update_audited_rows(  # one prepared UPDATE: bulk_update's CASE per field took seconds
            Scoresheet,
            [*fields, "updated_at"],
            [(*(getattr(item.sheet, name) for name in fields), now, item.sheet.pk) for item in items],
            before,
            audit_verb="submitted",
            audit_after=lambda pk: {"digest": digests[pk]},
            changed_only=True,
        )


def _score_ids(rows: list[tuple]) -> list[int]:
    """The ids of new scores given as (sheet id, criterion id, …), in their order."""
    ids = {}
    sheets = sorted({row[0] for row in rows})
    for start in range(0, len(sheets), 900):
        ids.update(
            ((sheet_id, criterion_id), pk)
            for sheet_id, criterion_id, pk in Score.objects.filter(sheet_id__in=sheets[start : start + 900])
            .order_by()
            .values_list("sheet_id", "criterion_id", "pk")
        )
    return [ids[(row[0], row[1])] for row in rows]


@audit_transaction()
def reopen(target: Scoresheet | Assignment, reason: str, actor) -> Scoresheet:
    """An official reopens one sheet (``target``: the sheet, or its assignment) with a written
    reason, kept on the sheet for the reviewer and in the audit trail: a submitted sheet at any
    time; after a publication also a draft or a sheet not yet started, which the publication
    closed. The reviewer can then change and submit it until the next publication."""
    require_role(actor, Role.OFFICIAL, Role.ADMIN, action=_("reopening a scoresheet"))
    reason = (reason or "").strip()
    if not reason:
        raise SheetError("reason", _("Write the reason for reopening the sheet."))
    assignment = target.assignment if isinstance(target, Scoresheet) else target
    competition_id = (
        Assignment.objects.filter(pk=assignment.pk).values_list("stage__competition_id", flat=True).get()
    )
    lock_competition_shared(competition_id)
    closing_id = closing_publication_id(competition_id)
    locked = Scoresheet.objects.select_for_update().filter(assignment_id=assignment.pk).order_by()
    sheet = locked.first()
    if not can_reopen(sheet, closing_id):
        if closing_id is None:
            raise SheetError("not_submitted", _("Only a submitted sheet can be reopened."))
        raise SheetError(
            "open", _("This sheet was already reopened after the publication; the reviewer can change it.")
        )
    if is_conflicted(assignment):
        raise SheetError(
            "conflict", _("A conflict of interest is recorded for this proposal; its sheet never counts.")
        )
    with audit_context(actor, reason):
        if sheet is None:
            Scoresheet.objects.get_or_create(assignment_id=assignment.pk)
            sheet = locked.get()
        sheet.status = Scoresheet.Status.DRAFT
        sheet.total = None
        sheet.submitted_at = None
        sheet.reopened_at = timezone.now()
        sheet.reopen_reason = reason
        sheet.reopened_after_id = closing_id
        sheet.version += 1
        sheet.save(audit_verb="reopened")
    # The reviewer is told, with the reason, once this transaction commits (``evaluation.notices``).
    notices.notify_reopened(sheet, reason, actor)
    return sheet
