"""Reviewer and score spreadsheets on the web: the same upload → preview → confirm → summary (and
progress) as the applicant import (``views.py``), through ``proposals.importing.uploads``; the
importers are the commands' (``import_reviewers``, ``import_scores``)."""

from django.conf import settings
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.decorators import role_required
from accounts.roles import Role
from evaluation.importing.reviewers import ReviewerImporter
from evaluation.importing.scores import ScoreImporter
from evaluation.models import Stage
from proposals.importing.progress import start_progress
from proposals.importing.sheets_out import blank_template
from proposals.importing.uploads import stage_upload
from proposals.models import Competition, ImportUpload

from .forms import SpreadsheetUploadForm, StageSpreadsheetUploadForm
from .kinds import upload_page
from .views import xlsx_response

admin_only = role_required(Role.ADMIN)


def _upload_page(request, competition, kind, form, *, template_url=""):
    if form.is_bound and form.is_valid():
        stage = form.cleaned_data.get("stage")
        upload = stage_upload(
            kind,
            competition,
            form.cleaned_data["file"],
            request.user,
            progress=start_progress(form.cleaned_data["progress"], request.user),
            stage_code=stage.code if stage is not None else "",
        )
        return redirect("manage:import-preview", upload_id=upload.pk)
    page = upload_page(kind, competition)
    return render(
        request,
        "portal/manage/import_upload.html",
        {
            "competition": competition,
            "form": form,
            "max_bytes": settings.IMPORT_MAX_BYTES,
            "page": page,
            "kind": kind,
            "template_url": template_url,
        },
        status=400 if form.errors else 200,
    )


@admin_only
@require_http_methods(["GET", "POST"])
def import_reviewers(request, slug):
    """The reviewer pool is shared by competitions; "not in the file" lists this competition's."""
    competition = get_object_or_404(Competition, slug=slug)
    form = (
        SpreadsheetUploadForm(request.POST, request.FILES)
        if request.method == "POST"
        else SpreadsheetUploadForm()
    )
    return _upload_page(
        request,
        competition,
        ImportUpload.Kind.REVIEWERS,
        form,
        template_url=reverse("manage:reviewers-template"),
    )


@admin_only
@require_http_methods(["GET", "POST"])
def import_scores(request, slug):
    competition = get_object_or_404(Competition, slug=slug)
    stages = Stage.objects.filter(competition=competition).order_by("order", "code")
    if request.method == "POST":
        form = StageSpreadsheetUploadForm(request.POST, request.FILES, stages=stages)
    else:
        form = StageSpreadsheetUploadForm(stages=stages, initial={"stage": request.GET.get("stage")})
    return _upload_page(request, competition, ImportUpload.Kind.SCORES, form)


@admin_only
def reviewers_template(request):
    return xlsx_response(blank_template(ReviewerImporter), "평가위원 명단 양식.xlsx")


@admin_only
def scores_template(request, slug, code):
    stage = get_object_or_404(Stage, competition__slug=slug, code=code)
    return xlsx_response(blank_template(ScoreImporter(stage)), f"평가표 양식 {stage.name}.xlsx")
