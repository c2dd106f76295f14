"""Audit of panel membership: many-to-many changes bypass ``save()``, so they are recorded here."""

from django.db.models.signals import m2m_changed

from .models import Panel


def _record_panel_change(field: str):
    def handler(sender, instance, action, pk_set, reverse, **kwargs):
        if reverse or action not in {"post_add", "post_remove", "post_clear"}:
            return
        verb = {"post_add": "added", "post_remove": "removed", "post_clear": "cleared"}[action]
        Panel.audit_entry(
            f"{field}_{verb}", instance.pk, None, {field: sorted(pk_set or [])}, instance
        ).save()

    return handler


# Closures: connect them strongly, or the signal's weak reference would drop them at once.
for _field, _through in (("members", Panel.members.through), ("tracks", Panel.tracks.through)):
    m2m_changed.connect(
        _record_panel_change(_field), sender=_through, weak=False, dispatch_uid=f"audit-panel-{_field}"
    )
