from .audit import AuditEntry, audit_transaction
from .audited import AuditedModel, AuditedQuerySet, audit_context, audited_models
from .competition import (
    Category,
    Competition,
    Track,
    lock_competition_shared,
    track_display_name,  # noqa: F401
)
from .documents import ProposalDocument, StoredFile
from .imports import ImportProgress, ImportUpload
from .proposal import Applicant, Proposal

__all__ = [
    "Applicant",
    "AuditEntry",
    "AuditedModel",
    "AuditedQuerySet",
    "Category",
    "Competition",
    "ImportProgress",
    "ImportUpload",
    "Proposal",
    "ProposalDocument",
    "StoredFile",
    "Track",
    "audit_context",
    "audit_transaction",
    "audited_models",
    "lock_competition_shared",
]
