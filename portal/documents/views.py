"""Proposal documents (사업계획서, attachments) on every page that deals with them:

- system administrators (/manage/): a competition's proposals with their documents; one
  proposal's documents (upload, replace, delete, each with a reason); a zip of many
  (upload → preview → confirm, as the applicant import);
- reviewers (/review/): one document of their assignment, for the sheet's documents section;
- officials and administrators (/official/): one document of a proposal.

A document is served only through these views: each checks who asks (the same answer as the page
it belongs to: the sheet for a reviewer), and ``evaluation.documents.read_document`` checks again,
stamps a PDF for its reader and records the reading. The response may be framed by this site only
(``X-Frame-Options: SAMEORIGIN``, CSP ``frame-ancestors 'self'``, on this response alone: the
reviewer reads the PDF in a frame beside the sheet), is never cached (``no-store``) or sniffed
(``nosniff``), and names the file as RFC 6266 says (``filename*`` for a Korean name).
"""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.csp import CSP
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.roles import Role
from evaluation.documents import read_document
from proposals.documents.bundles import BundleRefused, confirm_bundle, stage_bundle
from proposals.documents.filetypes import DocumentRefused, allowed_extensions_text, clean_name
from proposals.documents.service import add_document, delete_document, replace_document
from proposals.models import Competition, ImportUpload, Proposal, ProposalDocument

from ..reviewer.tables import sheet_or_none
from ..reviewer.views import assignment_page
from .forms import (
    BundleConfirmForm,
    BundleUploadForm,
    DocumentDeleteForm,
    DocumentReplaceForm,
    DocumentUploadForm,
)

admin_only = role_required(Role.ADMIN)
OFFICIALS = (Role.OFFICIAL, Role.ADMIN)
# The site's policy, except that this site (only) may frame the document: the reviewer's sheet.
FRAMEABLE = csp_override({**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF]})


# --- Serving one document -----------------------------------------------------------------------


def _served(request, document, assignment=None):
    try:
        reading = read_document(document, request.user, assignment=assignment)
    except DocumentRefused as refused:
        response = render(
            request, "portal/documents/unavailable.html", {"message": refused.message}, status=409
        )
        response["X-Frame-Options"] = "SAMEORIGIN"  # the message shows in the panel beside the sheet
        return response
    response = HttpResponse(reading.content, content_type=reading.content_type)
    response["Content-Length"] = str(len(reading.content))
    response["Content-Disposition"] = content_disposition_header(
        not reading.inline, safe_filename(reading.filename)
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = "no-store, private"
    return response


def safe_filename(name: str) -> str:
    """The name offered for saving: no path, no control characters, no quotes or backslashes
    (``content_disposition_header`` then quotes it, or encodes a Korean one as ``filename*``)."""
    name = clean_name(name).replace('"', "'").replace("\\", "_").replace("/", "_")
    return name or "document"


@assignment_page
@FRAMEABLE
def review_document(request, competition, assignment, document_id):
    """A document of the reviewer's assignment: the same answer as the sheet for anyone else
    (login, 403, 404, the pledge, the conflict step)."""
    stored = sheet_or_none(assignment)
    if assignment.no_conflict_confirmed_at is None and not (stored is not None and stored.is_submitted):
        return redirect("review:conflict", competition.slug, assignment.pk)
    document = get_object_or_404(
        ProposalDocument.objects.select_related("proposal__competition"),
        pk=document_id,
        proposal_id=assignment.proposal_id,
    )
    return _served(request, document, assignment)


@role_required(*OFFICIALS)
@FRAMEABLE
def official_document(request, slug, pk, document_id):
    document = get_object_or_404(
        ProposalDocument.objects.select_related("proposal__competition"),
        pk=document_id,
        proposal_id=pk,
        proposal__competition__slug=slug,
    )
    return _served(request, document)


# --- Administrators: a competition's documents ---------------------------------------------------


@admin_only
def documents(request, slug):
    competition = get_object_or_404(Competition, slug=slug)
    proposals = (
        competition.proposals.select_related("applicant", "track__category")
        .prefetch_related("documents")
        .order_by("track__category__order", "track__order", "reference", "pk")
    )
    return render(
        request, "portal/manage/documents.html", {"competition": competition, "proposals": list(proposals)}
    )


def _proposal(slug, pk):
    return get_object_or_404(
        Proposal.objects.select_related("competition", "applicant", "track"), competition__slug=slug, pk=pk
    )


def _proposal_page(request, proposal, *, upload_form=None, replace=None, delete=None, status=200):
    """The proposal's documents with a form to add one and, for each, to replace or delete it
    (``replace``/``delete``: (document id, bound form) of a refused attempt)."""
    rows = []
    for document in proposal.documents.all():
        replace_form = (
            replace[1]
            if replace and replace[0] == document.pk
            else DocumentReplaceForm(prefix=f"r{document.pk}")
        )
        delete_form = (
            delete[1] if delete and delete[0] == document.pk else DocumentDeleteForm(prefix=f"d{document.pk}")
        )
        rows.append({"document": document, "replace_form": replace_form, "delete_form": delete_form})
    context = {
        "competition": proposal.competition,
        "proposal": proposal,
        "rows": rows,
        "upload_form": upload_form or DocumentUploadForm(),
        "attachment_types": allowed_extensions_text("attachment"),
        "max_mb": f"{settings.DOCUMENT_MAX_BYTES / 1048576:,.0f}",
        "max_bytes": settings.DOCUMENT_MAX_BYTES,
    }
    return render(request, "portal/manage/proposal_documents.html", context, status=status)


@admin_only
@require_http_methods(["GET", "POST"])
def proposal_documents(request, slug, pk):
    proposal = _proposal(slug, pk)
    if request.method == "GET":
        return _proposal_page(request, proposal)
    form = DocumentUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            document = add_document(
                proposal,
                form.cleaned_data["kind"],
                upload.name,
                upload.read(),
                request.user,
                form.cleaned_data["reason"],
            )
        except DocumentRefused as refused:
            form.add_error("file", refused.message)
        else:
            messages.success(request, _("'%(name)s' was stored.") % {"name": document.original_name})
            return redirect("manage:proposal-documents", slug, pk)
    return _proposal_page(request, proposal, upload_form=form, status=400)


def _own_document(pk):
    return get_object_or_404(ProposalDocument.objects.select_related("proposal__competition"), pk=pk)


@admin_only
@require_POST
def document_replace(request, pk):
    document = _own_document(pk)
    proposal = document.proposal
    form = DocumentReplaceForm(request.POST, request.FILES, prefix=f"r{document.pk}")
    if form.is_valid():
        upload = form.cleaned_data["file"]
        old_name = document.original_name
        try:
            replace_document(document, upload.name, upload.read(), request.user, form.cleaned_data["reason"])
        except DocumentRefused as refused:
            form.add_error("file", refused.message)
            document.refresh_from_db()
        else:
            messages.success(
                request,
                _("'%(old)s' was replaced by '%(new)s'.") % {"old": old_name, "new": document.original_name},
            )
            return redirect("manage:proposal-documents", proposal.competition.slug, proposal.pk)
    return _proposal_page(
        request, _proposal(proposal.competition.slug, proposal.pk), replace=(document.pk, form), status=400
    )


@admin_only
@require_POST
def document_delete(request, pk):
    document = _own_document(pk)
    proposal = document.proposal
    form = DocumentDeleteForm(request.POST, prefix=f"d{document.pk}")
    if form.is_valid():
        name = document.original_name
        delete_document(document, request.user, form.cleaned_data["reason"])
        messages.success(request, _("'%(name)s' was deleted.") % {"name": name})
        return redirect("manage:proposal-documents", proposal.competition.slug, proposal.pk)
    return _proposal_page(
        request, _proposal(proposal.competition.slug, proposal.pk), delete=(document.pk, form), status=400
    )


# --- Administrators: a zip of many documents -------------------------------------------------------


@admin_only
@require_http_methods(["GET", "POST"])
def documents_bulk(request, slug):
    competition = get_object_or_404(Competition, slug=slug)
    form = BundleUploadForm(request.POST, request.FILES) if request.method == "POST" else BundleUploadForm()
    if form.is_bound and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            staged = stage_bundle(competition, upload.name, upload.read(), request.user)
        except BundleRefused as refused:
            form.add_error("file", refused.message)
        else:
            return redirect("manage:documents-bulk-preview", upload_id=staged.pk)
    context = {
        "competition": competition,
        "form": form,
        "max_mb": f"{settings.DOCUMENT_ZIP_MAX_BYTES / 1048576:,.0f}",
        "max_bytes": settings.DOCUMENT_ZIP_MAX_BYTES,
        "document_mb": f"{settings.DOCUMENT_MAX_BYTES / 1048576:,.0f}",
        "max_files": f"{settings.DOCUMENT_ZIP_MAX_FILES:,}",
        "attachment_types": allowed_extensions_text("attachment"),
    }
    return render(request, "portal/manage/documents_bulk.html", context, status=400 if form.errors else 200)


def _bundle(upload_id) -> ImportUpload:
    return get_object_or_404(
        ImportUpload.objects.select_related("competition"), pk=upload_id, kind=ImportUpload.Kind.DOCUMENTS
    )


@admin_only
def documents_bulk_preview(request, upload_id):
    return _preview_page(request, _bundle(upload_id))


def _preview_page(request, upload, confirm_form=None, status=200):
    summary = upload.summary
    context = {
        "upload": upload,
        "competition": upload.competition,
        "summary": summary,
        "applied": upload.state == ImportUpload.State.APPLIED,
        "writes": summary["counts"].get("new", 0) + summary["counts"].get("replace", 0),
        "confirm_form": confirm_form or BundleConfirmForm(initial={"sha256": upload.sha256}),
    }
    return render(request, "portal/manage/documents_bulk_preview.html", context, status=status)


@admin_only
@require_POST
def documents_bulk_confirm(request, upload_id):
    upload = _bundle(upload_id)
    form = BundleConfirmForm(request.POST)
    if not form.is_valid():
        return _preview_page(request, upload, confirm_form=form, status=400)
    try:
        upload, summary = confirm_bundle(
            upload.pk, form.cleaned_data["sha256"], request.user, form.cleaned_data["reason"]
        )
    except (BundleRefused, DocumentRefused) as refused:
        messages.error(request, refused.message)
        if ImportUpload.objects.filter(pk=upload.pk, state=ImportUpload.State.APPLIED).exists():
            return redirect("manage:documents", upload.competition.slug)
        return redirect("manage:documents-bulk", upload.competition.slug)
    counts = summary["counts"]
    messages.success(
        request,
        _("The zip was applied: %(new)s documents added, %(replace)s replaced, %(unchanged)s unchanged.")
        % {"new": counts["new"], "replace": counts["replace"], "unchanged": counts["unchanged"]},
    )
    return redirect("manage:documents", upload.competition.slug)
