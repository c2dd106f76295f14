"""Setting up a competition in the browser (시스템 관리자): load its competition file (upload →
preview of the changes → confirm → summary) and delete a competition never published.

The rules are the services': ``evaluation.domain.competition_upload`` (the ``load_competition``
loader) and ``evaluation.competition_deletion``."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.roles import Role
from evaluation.competition_deletion import (
    DeletionRefused,
    delete_unpublished,
    deletion_counts,
    deletion_problem,
)
from evaluation.domain.competition_upload import (
    MAX_BYTES,
    confirm_competition_upload,
    stage_competition_upload,
)
from proposals.importing.uploads import UploadRefused
from proposals.models import Competition, ImportUpload

from .forms import CompetitionFileForm, ConfirmUploadForm, DeleteCompetitionForm

admin_only = role_required(Role.ADMIN)


@admin_only
@require_http_methods(["GET", "POST"])
def competition_load(request):
    """Upload a competition file; a file the loader refuses is shown with its messages (nothing
    kept), a valid one goes to the preview."""
    problems: list[str] = []
    if request.method == "POST":
        form = CompetitionFileForm(request.POST, request.FILES)
        if form.is_valid():
            upload, problems = stage_competition_upload(form.cleaned_data["file"], request.user)
            if upload is not None:
                return redirect("manage:competition-load-preview", upload_id=upload.pk)
            form.add_error(
                "file",
                _(
                    "The competition file has %(count)s error(s); nothing was written. Fix them and upload it again."
                )
                % {"count": len(problems)},
            )
    else:
        form = CompetitionFileForm()
    return render(
        request,
        "portal/manage/competition_load.html",
        {"form": form, "problems": problems, "max_bytes": MAX_BYTES},
        status=400 if form.errors else 200,
    )


def _competition_upload(upload_id):
    return get_object_or_404(
        ImportUpload.objects.select_related("competition"), pk=upload_id, kind=ImportUpload.Kind.COMPETITION
    )


@admin_only
def competition_load_preview(request, upload_id):
    upload = _competition_upload(upload_id)
    if upload.state == ImportUpload.State.APPLIED:
        return redirect("manage:competition-load-result", upload_id=upload.pk)
    return render(
        request,
        "portal/manage/competition_load_preview.html",
        {
            "upload": upload,
            "summary": upload.summary,
            "form": ConfirmUploadForm(initial={"sha256": upload.sha256}),
        },
    )


@admin_only
@require_POST
def competition_load_confirm(request, upload_id):
    upload = _competition_upload(upload_id)
    form = ConfirmUploadForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The confirmation was incomplete; nothing was written."))
        return redirect("manage:competition-load-preview", upload_id=upload.pk)
    try:
        upload, problems = confirm_competition_upload(upload.pk, form.cleaned_data["sha256"], request.user)
    except UploadRefused as refused:
        messages.error(request, refused.message)
        return redirect("manage:competition-load")
    if problems:
        messages.error(request, _("The competition file could not be loaded; nothing was written."))
        return redirect("manage:competition-load-preview", upload_id=upload.pk)
    messages.success(request, _("The competition file was loaded."))
    return redirect("manage:competition-load-result", upload_id=upload.pk)


@admin_only
def competition_load_result(request, upload_id):
    upload = _competition_upload(upload_id)
    if upload.state != ImportUpload.State.APPLIED:
        return redirect("manage:competition-load-preview", upload_id=upload.pk)
    return render(
        request, "portal/manage/competition_load_result.html", {"upload": upload, "summary": upload.summary}
    )


@admin_only
@require_http_methods(["GET", "POST"])
def competition_delete(request, slug):
    """The confirmation names what goes (counts) and asks for the code typed and a reason."""
    competition = get_object_or_404(Competition, slug=slug)
    form = DeleteCompetitionForm(request.POST if request.method == "POST" else None, slug=competition.slug)
    problem = deletion_problem(competition)
    if request.method == "POST" and form.is_valid():
        try:
            counts = delete_unpublished(
                competition,
                request.user,
                typed_slug=form.cleaned_data["slug"],
                reason=form.cleaned_data["reason"],
            )
        except DeletionRefused as refused:
            if refused.field:
                form.add_error(refused.field, refused.message)
            else:
                problem = refused.message
        else:
            deleted = ", ".join(f"{label} {count:,}" for label, count in counts if count)
            messages.success(
                request,
                _("The competition %(name)s (%(slug)s) was deleted.")
                % {"name": competition.name, "slug": slug}
                + (f" ({deleted})" if deleted else ""),
            )
            return redirect("manage:index")
    refused = request.method == "POST" and (bool(form.errors) or bool(problem))
    return render(
        request,
        "portal/manage/competition_delete.html",
        {
            "competition": competition,
            "counts": deletion_counts(competition),
            "problem": problem,
            "form": form,
        },
        status=(409 if problem else 400) if refused else 200,
    )
