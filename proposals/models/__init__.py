from .audit import AuditEntry
from .audited import AuditedModel, AuditedQuerySet, audit_context
from .competition import Category, Competition, Track
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
]
