"""Reading a proposal's documents (평가 보안): who may, the copy they get, and the record of each
reading.

Who may read a proposal's documents: exactly those who see its scoresheet — a reviewer through
their own assignment of it, with no conflict of interest recorded, the competition's security
pledge accepted and "no conflict" confirmed (or the sheet already submitted, which then opens
read-only: a sheet that came in through ``import_scores``) — and officials and system
administrators. ``read_document`` checks this itself, so no other door can skip it.

Every reading is an entry of the hash-chained audit trail (``proposaldocument.read``): the
document, its SHA-256 and the SHA-256 of the copy served, who read it (a reviewer by their code
for this proposal and stage, ``evaluation.reviewer_codes``; an official or an admin by account),
when, and whether the copy was stamped. A PDF is served stamped on every page with the reader
and the time (``proposals.documents.watermark``); a leaked copy names its reading, and its
SHA-256 finds the entry. Other formats (HWP, Office files, images) cannot be stamped: their
readings are recorded the same way.
"""

import hashlib
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.roles import Role, role_of
from proposals import audit
from proposals.documents.watermark import stamped
from proposals.models import AuditEntry, ProposalDocument

from .models import Assignment, Conflict, Scoresheet, SecurityPledge
from .reviewer_codes import reviewer_codes

READ = "proposaldocument.read"
READERS = (Role.REVIEWER, Role.OFFICIAL, Role.ADMIN)


@dataclass(frozen=True)
class Reading:
    """The copy to serve: its bytes, type, name, whether the browser shows it (a PDF), and the
    audit entry that records the reading."""

    content: bytes
    content_type: str
    filename: str
    inline: bool
    watermarked: bool
    entry: AuditEntry


def reviewer_may_read(assignment: Assignment, document: ProposalDocument, user) -> bool:
    """The rule of the reviewer's sheet page (``portal.reviewer.views``), checked on its own."""
    if assignment.proposal_id != document.proposal_id or assignment.reviewer.user_id != user.pk:
        return False
    if Conflict.objects.filter(
        proposal_id=assignment.proposal_id, reviewer_id=assignment.reviewer_id
    ).exists():
        return False
    competition_id = assignment.stage.competition_id
    if not SecurityPledge.objects.filter(
        reviewer_id=assignment.reviewer_id, competition_id=competition_id
    ).exists():
        return False
    if assignment.no_conflict_confirmed_at is not None:
        return True
    return Scoresheet.objects.filter(assignment=assignment, status=Scoresheet.Status.SUBMITTED).exists()


def _reader(user, assignment) -> tuple[str, dict]:
    """How the stamp and the record name the reader."""
    role = role_of(user)
    if role == Role.REVIEWER:
        code = reviewer_codes(assignment.stage, assignment.proposal).get(assignment.reviewer_id, "")
        facts = {
            "reader": "reviewer",
            "reviewer_code": code,
            "stage": assignment.stage.code,
            "assignment_id": assignment.pk,
        }
        return _("Reviewer %(code)s") % {"code": code}, facts
    name = user.get_full_name() or user.get_username()
    return f"{role.label} {name}", {"reader": role.value}


def read_document(document: ProposalDocument, user, *, assignment: Assignment | None = None) -> Reading:
    """The copy of ``document`` for ``user`` (a reviewer through ``assignment``), recorded.
    ``PermissionDenied`` for anyone else; ``DocumentRefused`` when the stored bytes are not the
    uploaded ones."""
    role = role_of(user)
    if role not in READERS or not user.is_active:
        raise PermissionDenied
    if role == Role.REVIEWER and (assignment is None or not reviewer_may_read(assignment, document, user)):
        raise PermissionDenied
    content = document.read()
    who, facts = _reader(user, assignment if role == Role.REVIEWER else None)
    now = timezone.localtime()
    when = date_format(now, "Y. n. j. H:i:s")
    served, watermarked = content, False
    if document.opens_inline:
        title = f"{who} · {when}"
        footer = _("%(who)s · read %(when)s · %(reference)s %(name)s · do not pass on") % {
            "who": who,
            "when": when,
            "reference": document.proposal.reference,
            "name": document.original_name,
        }
        copy = stamped(content, title, footer)
        if copy is not None:
            served, watermarked = copy, True
    entry = audit.record(
        READ,
        "proposaldocument",
        document.pk,
        actor=user,
        competition=document.proposal.competition,
        after={
            "proposal_id": document.proposal_id,
            "document": document.original_name,
            "sha256": document.sha256,
            "served_sha256": hashlib.sha256(served).hexdigest(),
            "watermarked": watermarked,
            "read_at": now.isoformat(timespec="seconds"),
            **facts,
        },
    )
    return Reading(
        served, document.content_type, document.original_name, document.opens_inline, watermarked, entry
    )


# --- What officials see on a proposal's page -----------------------------------------------------


@dataclass(frozen=True)
class ReadingRow:
    when: object
    who: str
    document: str
    watermarked: bool


def reading_log(proposal, *, names: bool) -> list[ReadingRow]:
    """Every reading of the proposal's documents, newest first. A reviewer is named by code and
    stage; with ``names`` (system administrators) also by name."""
    entries = list(
        AuditEntry.objects.filter(
            action=READ, competition_id=proposal.competition_id, after__proposal_id=proposal.pk
        ).select_related("actor")
    )
    reviewers = {}
    if names:
        from .models import Reviewer

        reviewers = dict(
            Reviewer.objects.filter(user_id__in={entry.actor_id for entry in entries}).values_list(
                "user_id", "name"
            )
        )
    stages = dict(proposal.competition.stages.values_list("code", "name"))
    rows = []
    for entry in entries:
        after = entry.after or {}
        if after.get("reader") == "reviewer":
            who = _("Reviewer %(code)s (%(stage)s)") % {
                "code": after.get("reviewer_code") or "?",
                "stage": stages.get(after.get("stage"), after.get("stage", "")),
            }
            if names and entry.actor_id in reviewers:
                who = f"{who} — {reviewers[entry.actor_id]}"
        else:
            actor = entry.actor
            name = (actor.get_full_name() or actor.get_username()) if actor else "—"
            role = Role(after["reader"]).label if after.get("reader") in Role._value2member_map_ else ""
            who = f"{role} {name}".strip()
        rows.append(
            ReadingRow(entry.created_at, who, after.get("document", ""), bool(after.get("watermarked")))
        )
    return rows


def document_history(proposal) -> list[AuditEntry]:
    """The uploads, replacements and removals of the proposal's documents, newest first."""
    named = Q(after__proposal_id=proposal.pk) | Q(before__proposal_id=proposal.pk)
    changes = AuditEntry.objects.filter(
        object_type="proposaldocument", competition_id=proposal.competition_id
    ).exclude(action=READ)
    ids = set(changes.filter(named).values_list("object_id", flat=True))
    ids |= {str(pk) for pk in proposal.documents.values_list("pk", flat=True)}
    return list(changes.filter(object_id__in=ids).select_related("actor").order_by("-sequence"))
