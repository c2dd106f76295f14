"""How audit actions read, in one place: ``action_label`` for every page, export and admin
list that shows an action, ``display_action`` for a sheet's status change.

An action is ``<model>.<verb>``: ``created``/``updated``/``deleted``, or ``<field>_added``/
``_removed``/``_cleared`` for a many-to-many field (``proposals.models.audited``). Its label is
generated from the model's and field's Korean names ("공모 변경", "평가위원회 위원 추가");
``LABELS`` holds the ones that read better written out, and the steps that are not a model's
change (an import, a submission)."""

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _

LABELS = {
    "import.applied": _("Spreadsheet imported"),
    "competition.loaded": _("Competition file loaded"),
    "assignment.created": _("Reviewer assigned"),
    "panel.created": _("Panel formed"),
    "panel.members_added": _("Panel members added"),
    "panel.members_removed": _("Panel members removed"),
    "panel.members_cleared": _("Panel members cleared"),
    "panel.tracks_added": _("Panel tracks added"),
    "panel.tracks_removed": _("Panel tracks removed"),
    "panel.tracks_cleared": _("Panel tracks cleared"),
    "conflict.created": _("Conflict of interest recorded"),
    "scoresheet.created": _("Scoresheet started"),
    "scoresheet.updated": _("Scoresheet saved"),
    "scoresheet.submitted": _("Scoresheet submitted"),
    "scoresheet.reopened": _("Scoresheet reopened"),
    "score.created": _("Score entered"),
    "adjustment.created": _("Bonus or penalty recorded"),
    "draw.created": _("Draw recorded"),
    "publication.created": _("Result published"),
    "securitypledge.created": _("Security pledge accepted"),
    "proposaldocument.created": _("Proposal document uploaded"),
    "proposaldocument.updated": _("Proposal document replaced"),
    "proposaldocument.deleted": _("Proposal document deleted"),
    "proposaldocument.read": _("Proposal document read"),
    "documents.bulk_applied": _("Proposal documents uploaded as a zip"),
}
VERBS = {
    "created": _("%(model)s added"),
    "updated": _("%(model)s changed"),
    "deleted": _("%(model)s removed"),
}
M2M_VERBS = {
    "added": _("%(model)s: %(field)s added"),
    "removed": _("%(model)s: %(field)s removed"),
    "cleared": _("%(model)s: %(field)s cleared"),
}
APPS = ("proposals", "evaluation")


def audit_model(object_type: str):
    """The model an entry's ``object_type`` names (its ``model_name``), or None."""
    for app_label in APPS:
        try:
            return apps.get_model(app_label, object_type)
        except LookupError:
            continue
    return None


def action_label(action: str) -> str:
    """The Korean (or English) text of an action key; the key itself when it is unknown."""
    if action in LABELS:
        return str(LABELS[action])
    object_type, _dot, verb = action.partition(".")
    model = audit_model(object_type)
    if model is None:
        return action
    name = str(model._meta.verbose_name)
    if verb in VERBS:
        return str(VERBS[verb]) % {"model": name}
    field_name, _sep, change = verb.rpartition("_")
    if change in M2M_VERBS:
        try:
            field = model._meta.get_field(field_name)
        except FieldDoesNotExist:
            return action
        return str(M2M_VERBS[change]) % {"model": name, "field": field.verbose_name}
    return action


def display_action(entry) -> str:
    """The action key to show: a sheet's status change recorded before submissions had an
    action of their own reads as submitted or reopened."""
    if entry.object_type == "scoresheet" and entry.action == "scoresheet.updated":
        before = (entry.before or {}).get("status")
        after = (entry.after or {}).get("status")
        if after == "submitted" and before != "submitted":
            return "scoresheet.submitted"
        if (before == "submitted" and after == "draft") or (entry.after or {}).get("reopened_at"):
            return "scoresheet.reopened"
    return entry.action
