"""Adding, replacing and removing a proposal's documents: admins only, each with a written reason
kept in the audit trail (SPEC §3), all or nothing.

The pages under /manage/ and the zip of many (``bundles``) call these; the Django admin's inline
saves through ``ProposalDocument.save()``, which runs the same file checks. A refusal is a
``DocumentRefused`` with the Korean sentence to show; nothing is written then.
"""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, IntegrityError
from django.utils.translation import gettext as _

from accounts.roles import Role, RoleRequired, require_role

from ..models import Proposal, ProposalDocument, audit_context, audit_transaction
from .filetypes import DocumentRefused, clean_name


def require_document_admin(user) -> None:
    """Only a system administrator stores, replaces or removes documents (SPEC §2)."""
    try:
        require_role(user, Role.ADMIN, action=_("changing proposal documents"))
    except RoleRequired as refused:
        raise DocumentRefused(refused.message, "role") from None


def require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DocumentRefused(
            _("Write the reason for the change; it is kept in the audit trail with your name."), "reason"
        )
    return reason


def _validated(document: ProposalDocument) -> ProposalDocument:
    """Checks the file and the rules of a proposal's documents (one 사업계획서, names unique)."""
    document.prepare_file()
    try:
        document.full_clean()
    except DocumentRefused:
        raise
    except ValidationError as invalid:  # a rule of the proposal's documents: its first message
        raise DocumentRefused(invalid.messages[0], "invalid") from None
    return document


def _saved(document: ProposalDocument) -> ProposalDocument:
    try:
        document.save()
    except IntegrityError:  # a document of the same name or a second plan, saved at the same time
        raise DocumentRefused(
            _(
                "Another document of this proposal was saved at the same moment. Reload the page and try again."
            ),
            "conflict",
        ) from None
    return document


def add_document(
    proposal: Proposal, kind: str, name: str, content: bytes, user, reason: str
) -> ProposalDocument:
    """Store ``content`` as a new document of ``proposal``."""
    require_document_admin(user)
    reason = require_reason(reason)
    document = ProposalDocument(
        proposal=proposal, kind=kind, original_name=clean_name(name), file=ContentFile(content, name=name)
    )
    with audit_context(user, reason), audit_transaction(using=DEFAULT_DB_ALIAS):
        return _saved(_validated(document))


def replace_document(
    document: ProposalDocument, name: str, content: bytes, user, reason: str
) -> ProposalDocument:
    """Put ``content`` in place of the document's file (its kind kept; the old bytes are removed
    once this is committed, its SHA-256 stays in the trail)."""
    require_document_admin(user)
    reason = require_reason(reason)
    document.original_name = clean_name(name)
    document.file = ContentFile(content, name=name)
    with audit_context(user, reason), audit_transaction(using=DEFAULT_DB_ALIAS):
        return _saved(_validated(document))


def delete_document(document: ProposalDocument, user, reason: str) -> None:
    require_document_admin(user)
    reason = require_reason(reason)
    with audit_context(user, reason), audit_transaction(using=DEFAULT_DB_ALIAS):
        document.delete()
