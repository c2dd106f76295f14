from .audit import AuditEntry
from .competition import Category, Competition, Track
from .imports import ImportUpload
from .proposal import Applicant, Proposal

__all__ = [
    "Applicant",
    "AuditEntry",
    "Category",
    "Competition",
    "ImportUpload",
    "Proposal",
    "Track",
]
