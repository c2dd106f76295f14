"""Pages for system administrators (시스템 관리자): competitions and spreadsheet imports."""

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.roles import Role
from evaluation.queries import competition_overview
from portal.tables import PageConfig
from proposals.importing.applicants import ProposalImporter
from proposals.importing.engine import RowStatus
from proposals.importing.progress import describe_progress, start_progress
from proposals.importing.sheets_out import blank_template, error_rows_workbook
from proposals.importing.uploads import (
    UploadRefused,
    confirm_upload,
    preview_report,
    stage_upload,
)
from proposals.models import Competition, ImportProgress, ImportUpload
from proposals.xlsx import XLSX_CONTENT_TYPE

from .forms import ConfirmImportForm, SpreadsheetUploadForm
from .kinds import SPREADSHEET_KINDS, upload_page
from .tables import ImportRowTable

admin_only = role_required(Role.ADMIN)


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(filename: str) -> str:
    from urllib.parse import quote

    return quote(filename)


@admin_only
def index(request):
    competitions = [
        (competition, competition_overview(competition))
        for competition in Competition.objects.order_by("-year", "slug")
    ]
    return render(request, "portal/manage/index.html", {"competitions": competitions})


@admin_only
@require_http_methods(["GET", "POST"])
def import_proposals(request, slug):
    competition = get_object_or_404(Competition, slug=slug)
    if request.method == "POST":
        form = SpreadsheetUploadForm(request.POST, request.FILES)
    else:
        form = SpreadsheetUploadForm()
    if form.is_bound and form.is_valid():
        upload = stage_upload(
            ImportUpload.Kind.PROPOSALS,
            competition,
            form.cleaned_data["file"],
            request.user,
            progress=start_progress(form.cleaned_data["progress"], request.user),
        )
        return redirect("manage:import-preview", upload_id=upload.pk)
    return render(
        request,
        "portal/manage/import_upload.html",
        {
            "competition": competition,
            "form": form,
            "max_bytes": settings.IMPORT_MAX_BYTES,
            "page": upload_page(ImportUpload.Kind.PROPOSALS, competition),
            "kind": ImportUpload.Kind.PROPOSALS,
            "template_url": reverse("manage:proposals-template"),
        },
    )


def _own_upload(request, upload_id):
    # A spreadsheet: applicants, reviewers (imports.py) or scores of a stage (a zip of documents
    # has its own pages: views/documents.py, a competition file setup.py).
    return get_object_or_404(
        ImportUpload.objects.select_related("competition"), pk=upload_id, kind__in=SPREADSHEET_KINDS
    )


@admin_only
def import_preview(request, upload_id):
    upload = _own_upload(request, upload_id)
    if upload.state == ImportUpload.State.APPLIED:
        return redirect("manage:import-result", upload_id=upload.pk)
    form = ConfirmImportForm(
        initial={"sha256": upload.sha256},
        needs_confirmation=upload.summary.get("needs_confirmation", False),
    )
    return _preview(request, upload, form)


def _preview(request, upload, confirm_form, status=200):
    summary = upload.summary
    rows = summary.get("rows", [])
    shown_status = request.GET.get("status", "")
    if shown_status in RowStatus.LABELS:
        rows = [row for row in rows if row["status"] == shown_status]
    else:
        shown_status = ""
    table = ImportRowTable(rows)
    PageConfig(request, 50).configure(table)
    return render(
        request,
        "portal/manage/import_preview.html",
        {
            "upload": upload,
            "page": upload_page(upload.kind, upload.competition),
            "summary": summary,
            "table": table,
            "confirm_form": confirm_form,
            "has_errors": bool(summary.get("counts", {}).get("error")),
            "status_filters": [
                (status, label, summary.get("counts", {}).get(status, 0))
                for status, label in RowStatus.LABELS.items()
            ],
            "shown_status": shown_status,
        },
        status=status,
    )


@admin_only
@require_POST
def import_confirm(request, upload_id):
    upload = _own_upload(request, upload_id)
    form = ConfirmImportForm(request.POST, needs_confirmation=upload.summary.get("needs_confirmation", False))
    if not form.is_valid():
        if list(form.errors) == ["after_publication"]:  # the box beside the button says why
            return _preview(request, upload, form, status=400)
        messages.error(request, _("The confirmation was incomplete; nothing was imported."))
        return redirect("manage:import-preview", upload_id=upload.pk)
    try:
        upload, report = confirm_upload(
            upload.pk,
            form.cleaned_data["sha256"],
            request.user,
            confirmed_after_publication=form.cleaned_data["after_publication"],
            progress=start_progress(form.cleaned_data["progress"], request.user),
        )
    except UploadRefused as refused:
        messages.error(request, refused.message)
        return redirect(upload_page(upload.kind, upload.competition).url)
    if report.unconfirmed:  # published since the preview: the preview now asks for the confirmation
        messages.error(
            request,
            _(
                "The result of this competition was published after your preview. Check the preview "
                "again and confirm that the result will need a correction. Nothing was imported."
            ),
        )
        return redirect("manage:import-preview", upload_id=upload.pk)
    if not report.ok:
        messages.error(request, _("The file could not be imported; nothing was written."))
        return redirect("manage:import-preview", upload_id=upload.pk)
    messages.success(request, _("The file was imported."))
    return redirect("manage:import-result", upload_id=upload.pk)


@admin_only
def import_result(request, upload_id):
    upload = _own_upload(request, upload_id)
    return render(
        request,
        "portal/manage/import_result.html",
        {"upload": upload, "summary": upload.summary, "page": upload_page(upload.kind, upload.competition)},
    )


@admin_only
@require_GET
def import_progress(request, progress_id):
    """How far the import the page waits for is (JSON, polled by portal/import-progress.js):
    only the user's own; "pending" until the importing request has begun."""
    progress = ImportProgress.objects.filter(pk=progress_id, user=request.user).first()
    return JsonResponse(describe_progress(progress))


@admin_only
def import_errors(request, upload_id):
    upload = _own_upload(request, upload_id)
    report = preview_report(upload)
    stem = upload.filename.rsplit(".", 1)[0]
    return xlsx_response(error_rows_workbook(report), f"{stem}-오류.xlsx")


@admin_only
def proposals_template(request):
    return xlsx_response(blank_template(ProposalImporter), "신청 목록 양식.xlsx")  # the UI's word (신청 목록)
