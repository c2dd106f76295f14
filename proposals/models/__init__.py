from .audit import AuditEntry
from .audited import AuditedModel, AuditedQuerySet, audit_context
from .competition import Category, Competition, Track, lock_competition_shared
from .imports import ImportUpload
from .proposal import Applicant, Proposal

__all__ = [
    "Applicant",
    "AuditEntry",
    "AuditedModel",
    "AuditedQuerySet",
    "Category",
    "Competition",
    "ImportUpload",
    "Proposal",
    "Track",
    "audit_context",
    "lock_competition_shared",
]
