"""A proposal's documents (사업계획서 and attachments) and the table the default document storage
keeps their bytes in.

``ProposalDocument`` is audited like every input (``AuditedModel``): each upload, replacement and
removal is an entry of the hash-chained trail with the file's name, size and SHA-256, who and
why. Its bytes go through Django's storage API, the ``documents`` alias of ``STORAGES``; by default
``proposals.storage.DatabaseStorage`` keeps them in ``StoredFile`` rows, so nothing stays on an app
server's disk between requests (SPEC §7), and a deployment may point the alias at another backend.

Whatever path stores a file — the admin pages, the Django admin's inline, a zip of many, a
shell — ``ProposalDocument.save()`` checks it (``proposals.documents.filetypes``) and records
what it is: name, size, SHA-256, content type, who (the ``audit_context``'s actor) and when.
"""

import hashlib
import uuid

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..documents.filetypes import BY_CONTENT_TYPE, PDF, DocumentRefused, check_document, clean_name
from .audited import AuditedModel, AuditedQuerySet, current_actor_and_reason
from .proposal import Proposal


def document_storage():
    """The storage of proposal documents: ``STORAGES["documents"]`` (a callable, so that a
    deployment's setting is read at run time, not frozen in a migration)."""
    return storages["documents"]


def document_path(instance, filename: str) -> str:
    """Where a document's bytes are stored: by proposal, under a random name (the original name
    is kept on the document; a stored name never carries what an applicant typed)."""
    extension = filename.rpartition(".")[2].lower() if "." in filename else "bin"
    return f"proposals/{instance.proposal_id}/{uuid.uuid4().hex}.{extension[:10]}"


class StoredFile(models.Model):
    """The bytes of one stored file (``proposals.storage.DatabaseStorage``)."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    content = models.BinaryField(_("content"))
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    created_at = models.DateTimeField(_("stored"), default=timezone.now)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self):
        return self.name


# Fields describing the stored file: set by ``ProposalDocument.save()`` from the file itself.
FILE_FACTS = ("file", "original_name", "size", "sha256", "content_type")


class DocumentQuerySet(AuditedQuerySet):
    def update(self, **kwargs):
        if set(FILE_FACTS) & kwargs.keys():
            raise TypeError(
                "A document's file and its facts change together: assign a new file and save() "
                "(proposals.documents.service.replace_document)."
            )
        return super().update(**kwargs)

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.prepare_file()
            obj.full_clean(exclude=["file"], validate_unique=False)
        with transaction.atomic(using=self.db, savepoint=False):
            for obj in objs:  # the bytes first: the rows name them
                field = obj._meta.get_field("file")
                obj.file = field.pre_save(obj, add=True)
            return super().bulk_create(objs, *args, **kwargs)


class ProposalDocument(AuditedModel):
    class Kind(models.TextChoices):
        PLAN = "plan", _("Project plan")
        ATTACHMENT = "attachment", _("Attachment")

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="documents", verbose_name=_("proposal")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.ATTACHMENT)
    file = models.FileField(_("file"), storage=document_storage, upload_to=document_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0, editable=False)
    sha256 = models.CharField("SHA-256", max_length=64, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now, editable=False)

    objects = DocumentQuerySet.as_manager()
    audit_competition_path = "proposal__competition_id"
    audit_exclude = ()

    class Meta:
        verbose_name = _("proposal document")
        verbose_name_plural = _("proposal documents")
        # "plan" sorts after "attachment": descending puts the 사업계획서 first.
        ordering = ["proposal", "-kind", "original_name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal"],
                condition=models.Q(kind="plan"),
                name="document_one_plan_per_proposal",
                violation_error_message=_(
                    "This proposal already has a project plan. Replace it instead of adding another."
                ),
            ),
            models.UniqueConstraint(
                fields=["proposal", "original_name"],
                name="document_name_unique_per_proposal",
                violation_error_message=_(
                    "This proposal already has a document of this name. Replace it, or rename the file."
                ),
            ),
        ]

    def __str__(self):
        return self.original_name

    @property
    def filetype(self):
        return BY_CONTENT_TYPE.get(self.content_type)

    @property
    def opens_inline(self) -> bool:
        """Shown in the browser's own viewer (a PDF); other types are downloaded."""
        return self.content_type == PDF.content_type

    def prepare_file(self) -> None:
        """Check a newly assigned file and record what it is (``DocumentRefused`` when it may not
        be stored); a stored file is checked against the kind only (a 사업계획서 is a PDF)."""
        if not self.file:
            raise DocumentRefused(gettext("Choose a file to upload."), "required")
        if getattr(self.file, "_committed", True):
            if self.kind == self.Kind.PLAN and self.content_type != PDF.content_type:
                raise DocumentRefused(
                    gettext("The project plan must be a PDF file; '%(name)s' is not a .pdf file.")
                    % {"name": self.original_name},
                    "plan_not_pdf",
                )
            return
        if self.file is getattr(self, "_prepared", None):
            return  # checked already (clean() before save())
        # The new file's own name, unless a name was given for it (a new document's, or one
        # typed in place of the stored one).
        loaded = getattr(self, "_loaded_values", None) or {}
        given = self.original_name if self.original_name != loaded.get("original_name") else ""
        name = clean_name(given or self.file.name)
        self.file.open("rb")
        self.file.seek(0)
        content = self.file.read()
        filetype = check_document(self.kind, name, content)
        self.file = ContentFile(content, name=name)  # read once; the storage saves these bytes
        self.original_name = name
        self.size = len(content)
        self.sha256 = hashlib.sha256(content).hexdigest()
        self.content_type = filetype.content_type
        self._prepared = self.file

    def audit_values(self) -> dict:
        """The stored name of the file, not the file object (and the SHA-256 beside it)."""
        values = super().audit_values()
        values["file"] = self.file.name or ""
        return values

    def clean(self):
        super().clean()
        self.prepare_file()

    def save(self, *args, **kwargs):
        fresh = not getattr(self.file, "_committed", True)
        self.prepare_file()
        if fresh:  # who uploaded it: the one the change is attributed to (audit_context)
            actor, _reason = current_actor_and_reason()
            self.uploaded_by = actor if getattr(actor, "pk", None) else None
            self.uploaded_at = timezone.now()
        loaded = getattr(self, "_loaded_values", None) or {}
        replaced = loaded.get("file")
        super().save(*args, **kwargs)
        if replaced and replaced != self.file.name:
            _forget_after_commit(self.file.storage, replaced, kwargs.get("using") or self._state.db)

    def read(self) -> bytes:
        """The stored bytes; ``DocumentRefused`` when they are not the ones uploaded (their SHA-256
        differs from the recorded one: changed in the storage around the application)."""
        with self.file.storage.open(self.file.name, "rb") as stored:
            content = stored.read()
        if hashlib.sha256(content).hexdigest() != self.sha256:
            raise DocumentRefused(
                gettext(
                    "The stored file of '%(name)s' is not the one that was uploaded (its SHA-256 differs), "
                    "so it is not shown. Tell the system administrator."
                )
                % {"name": self.original_name},
                "tampered",
            )
        return content


def _forget_after_commit(storage, name: str, using: str | None) -> None:
    """Remove a replaced or deleted document's bytes once the change is committed (a rollback
    keeps them: the document still names them)."""
    transaction.on_commit(lambda: storage.delete(name), using=using or "default")


@receiver(post_delete, sender=ProposalDocument, dispatch_uid="proposal-document-bytes")
def _delete_bytes(sender, instance, using, **kwargs):
    if instance.file:
        _forget_after_commit(instance.file.storage, instance.file.name, using)


__all__ = ["DocumentRefused", "ProposalDocument", "StoredFile", "document_storage"]
