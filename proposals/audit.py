"""Recording the audit trail (SPEC §3) for steps that are not a change of one audited model —
an import as a whole, a competition file loaded: ``record`` and ``record_many``. Changes of the
audited models record themselves (``proposals.models.audited``). Every entry, whichever way it
comes, is appended by ``proposals.models.audit.append`` to the hash chain. How actions read:
``proposals.audit_display``."""

from .canonical import jsonable
from .models import AuditEntry
from .models.audit import append


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
    append([audit])
    return audit


def record_many(entries) -> None:
    append(list(entries))
