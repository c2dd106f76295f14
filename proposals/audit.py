"""Recording the audit trail (SPEC §3): every change to statuses, scores, adjustments and
publications goes through ``record`` or ``record_many``; action keys map to readable text here."""

from django.utils.translation import gettext_lazy as _

from .models import AuditEntry
from .models.audited import jsonable

ACTIONS = {
    "import.applied": _("Spreadsheet imported"),
    "proposal.updated": _("Proposal changed by import"),
    "competition.loaded": _("Competition file loaded"),
    "reviewer.created": _("Reviewer added by import"),
    "reviewer.updated": _("Reviewer changed by import"),
    # Audited evaluation models (proposals.models.AuditedModel): "<model>.<created|updated|deleted>";
    # "scoresheet.submitted"/"scoresheet.reopened" name a sheet's status change on officials' pages.
    "assignment.created": _("Reviewer assigned"),
    "assignment.updated": _("Assignment changed"),
    "assignment.deleted": _("Assignment removed"),
    "panel.created": _("Panel formed"),
    "panel.updated": _("Panel changed"),
    "panel.deleted": _("Panel removed"),
    "conflict.created": _("Conflict of interest recorded"),
    "conflict.updated": _("Conflict of interest changed"),
    "conflict.deleted": _("Conflict of interest removed"),
    "scoresheet.created": _("Scoresheet started"),
    "scoresheet.updated": _("Scoresheet saved"),
    "scoresheet.deleted": _("Scoresheet removed"),
    "scoresheet.submitted": _("Scoresheet submitted"),
    "scoresheet.reopened": _("Scoresheet reopened"),
    "score.created": _("Score entered"),
    "score.updated": _("Score changed"),
    "score.deleted": _("Score removed"),
    "panel.members_added": _("Panel members added"),
    "panel.members_removed": _("Panel members removed"),
    "panel.members_cleared": _("Panel members cleared"),
    "panel.tracks_added": _("Panel tracks added"),
    "panel.tracks_removed": _("Panel tracks removed"),
    "panel.tracks_cleared": _("Panel tracks cleared"),
    "adjustment.created": _("Bonus or penalty recorded"),
    "adjustment.updated": _("Bonus or penalty changed"),
    "adjustment.deleted": _("Bonus or penalty removed"),
    "draw.created": _("Draw recorded"),
    "draw.updated": _("Draw changed"),
    "draw.deleted": _("Draw removed"),
    "publication.created": _("Result published"),
}


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


def entry(action, obj_type, obj_id, *, actor=None, competition=None, before=None, after=None, reason=""):
    return AuditEntry(
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        actor=actor,
        competition=competition,
        before=jsonable(before),
        after=jsonable(after),
        reason=reason,
    )


def record(action, obj_type, obj_id, **kwargs) -> AuditEntry:
    audit = entry(action, obj_type, obj_id, **kwargs)
    audit.save()
    return audit


def record_many(entries) -> None:
    AuditEntry.objects.bulk_create(entries, batch_size=1000)
