"""Administrators' pages for panels (평가위원회): list a competition's panels per stage, create one,
add members from a spreadsheet (preview → confirm), form a panel and draw reviewers from the
panels (each with a confirmation step saying what will happen). The rules live in
``evaluation.panels`` and ``evaluation.assignments``; these views only call them."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.decorators import role_required
from accounts.roles import Role
from evaluation import notices
from evaluation.advancement import proposals_in_stage
from evaluation.assignments import CANDIDATE_MULTIPLE, default_seed, draw_assignments, form_panel
from evaluation.models import Assignment, Panel, Reviewer, ReviewerDraw, Stage
from evaluation.panels import (
    PanelError,
    PanelMemberImporter,
    add_members,
    competition_panels,
    create_panel,
    panels_by_track_of,
)
from proposals.importing.engine import run_import
from proposals.importing.uploads import serialise
from proposals.models import Competition, Track

from .forms import SpreadsheetUploadForm
from .tables import ImportRowTable

admin_only = role_required(Role.ADMIN)


# --- Forms ---------------------------------------------------------------------------------------


class PanelForm(forms.Form):
    stage = forms.ModelChoiceField(
        label=gettext_lazy("Stage"),
        queryset=Stage.objects.none(),
        empty_label=None,
        widget=forms.Select(attrs={"class": "krds-form-select"}),
    )
    name = forms.CharField(
        label=gettext_lazy("Panel name"),
        max_length=100,
        help_text=gettext_lazy("For example: 거점형 서면평가"),
        widget=forms.TextInput(attrs={"class": "krds-input"}),
        error_messages={"required": gettext_lazy("Give the panel a name.")},
    )
    tracks = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Tracks the panel reviews"),
        queryset=Track.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Name at least one track the panel reviews.")},
    )

    def __init__(self, competition, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.competition = competition
        self.fields["stage"].queryset = competition.stages.order_by("order", "pk")
        self.fields["tracks"].queryset = Track.objects.filter(category__competition=competition)

    def save(self, actor) -> Panel | None:
        """The panel, or None with the refusal as a form error (nothing written)."""
        try:
            return create_panel(
                self.cleaned_data["stage"],
                self.cleaned_data["name"],
                list(self.cleaned_data["tracks"]),
                actor,
            )
        except PanelError as error:
            self.add_error(
                "name" if error.code in ("duplicate", "no_name", "long_name") else None, error.message
            )
            return None


class ConfirmMembersForm(forms.Form):
    """The reviewers the preview will add (the rows shown as new) and the file they came from."""

    reviewers = forms.ModelMultipleChoiceField(
        queryset=Reviewer.objects.all(), widget=forms.MultipleHiddenInput
    )
    filename = forms.CharField(max_length=255, widget=forms.HiddenInput)


class DrawForm(forms.Form):
    per_proposal = forms.IntegerField(
        label=gettext_lazy("Reviewers per proposal"),
        min_value=1,
        max_value=50,
        widget=forms.NumberInput(attrs={"class": "krds-input", "inputmode": "numeric"}),
        error_messages={"min_value": gettext_lazy("Ask for at least 1 reviewer per proposal.")},
    )
    seed = forms.IntegerField(
        label=gettext_lazy("Seed"),
        min_value=0,
        max_value=2**62,
        required=False,
        help_text=gettext_lazy(
            "Record it: the same seed on the same panels draws the same reviewers. Left empty: one derived "
            "from the competition and stage."
        ),
        widget=forms.NumberInput(attrs={"class": "krds-input", "inputmode": "numeric"}),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


# --- Pages ---------------------------------------------------------------------------------------


@admin_only
@require_http_methods(["GET", "POST"])
def panels(request, slug):
    competition = get_object_or_404(Competition, slug=slug)
    form = PanelForm(competition, request.POST or None)
    status = 200
    if request.method == "POST":
        panel = form.save(request.user) if form.is_valid() else None
        if panel is not None:
            messages.success(
                request,
                _("Panel %(name)s created. Add its members from a spreadsheet.") % {"name": panel.name},
            )
            return redirect("manage:panel-members", pk=panel.pk)
        status = 400
    return render(
        request,
        "portal/manage/panels.html",
        {"competition": competition, "stages": competition_panels(competition), "form": form},
        status=status,
    )


def _panel(pk):
    return get_object_or_404(Panel.objects.select_related("stage__competition"), pk=pk)


@admin_only
@require_http_methods(["GET", "POST"])
def panel_members(request, pk):
    """Upload → preview (the import engine's dry run: every row new, unchanged or an error)."""
    panel = _panel(pk)
    form = SpreadsheetUploadForm(request.POST or None, request.FILES or None)
    context = {
        "panel": panel,
        "competition": panel.stage.competition,
        "form": form,
        "max_bytes": settings.IMPORT_MAX_BYTES,
    }
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        importer = PanelMemberImporter(panel, request.user)
        report = run_import(importer, upload.read(), filename=upload.name[:255], dry_run=True)
        summary = {**serialise(report), "filename": report.filename}
        context.update(summary=summary, table=ImportRowTable(summary["rows"]), has_errors=not report.ok)
        if report.ok and report.changes_anything:
            new = sorted(importer.matched - set(importer.members))
            context["confirm_form"] = ConfirmMembersForm(
                initial={"reviewers": new, "filename": report.filename}
            )
    elif request.method == "POST":
        context["status"] = 400
    return render(request, "portal/manage/panel_members.html", context, status=context.pop("status", 200))


@admin_only
@require_POST
def panel_members_confirm(request, pk):
    panel = _panel(pk)
    form = ConfirmMembersForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The confirmation was incomplete; nothing was imported."))
        return redirect("manage:panel-members", pk=panel.pk)
    added = add_members(panel, form.cleaned_data["reviewers"], request.user, form.cleaned_data["filename"])
    messages.success(
        request,
        _("%(count)s member(s) added to panel %(name)s.") % {"count": len(added), "name": panel.name},
    )
    return redirect("manage:panels", slug=panel.stage.competition.slug)


@admin_only
@require_http_methods(["GET", "POST"])
def panel_form(request, pk):
    """What forming the panel will do (members × proposals of its tracks), then form it."""
    panel = _panel(pk)
    if request.method == "POST":
        with notices.batched():
            report = form_panel(panel, actor=request.user)
        messages.success(
            request,
            report.formed_summary(panel),
        )
        for conflicted in report.conflicted:
            messages.warning(request, conflicted.message())
        return redirect("manage:panels", slug=panel.stage.competition.slug)
    proposals = proposals_in_stage(panel.stage, panel.tracks.all())
    members = sorted(panel.members.all(), key=lambda r: (r.name, r.email))
    existing = Assignment.objects.filter(
        stage=panel.stage, proposal__in=proposals, reviewer__in=members
    ).count()
    count = proposals.count()
    return render(
        request,
        "portal/manage/panel_form.html",
        {
            "panel": panel,
            "competition": panel.stage.competition,
            "members": members,
            "proposal_count": count,
            "pairs": count * len(members),
            "existing": existing,
        },
    )


def _stage(slug, code):
    return get_object_or_404(Stage.objects.select_related("competition"), competition__slug=slug, code=code)


@admin_only
@require_http_methods(["GET", "POST"])
def stage_draw(request, slug, code):
    """The draw from the stage's panels: the form, then a confirmation saying what will happen
    (per track: the panels and members drawn from, the proposals; the tracks left out), then the
    draw itself."""
    stage = _stage(slug, code)
    form = DrawForm(request.POST or None, initial={"seed": default_seed(slug, code)})
    if request.method == "POST" and form.is_valid():
        per_proposal = form.cleaned_data["per_proposal"]
        seed = form.cleaned_data["seed"]
        if seed is None:
            seed = default_seed(slug, code)
        if form.cleaned_data["confirmed"]:
            report = draw_assignments(stage, per_proposal, seed, actor=request.user)
            messages.success(
                request,
                _(
                    "Stage %(stage)s: %(created)s assignments created, %(kept)s kept. Seed: %(seed)s "
                    "(record it to redo this draw)."
                )
                % {"stage": stage.name, "created": report.created, "kept": report.kept, "seed": seed},
            )
            for conflicted in report.conflicted:
                messages.warning(request, conflicted.message())
            for proposal, missing in report.unfilled:
                messages.warning(
                    request,
                    _("%(reference)s %(applicant)s: %(missing)s reviewer(s) missing")
                    % {
                        "reference": proposal.reference,
                        "applicant": proposal.applicant.name,
                        "missing": missing,
                    },
                )
            for uncovered in report.uncovered:
                messages.error(request, uncovered.message())
            return redirect("manage:stage-draws", slug=slug, code=code)
        confirm = DrawForm(initial={"per_proposal": per_proposal, "seed": seed, "confirmed": True})
        return render(
            request,
            "portal/manage/stage_draw.html",
            {
                "stage": stage,
                "competition": stage.competition,
                "form": confirm,
                "confirming": True,
                "per_proposal": per_proposal,
                "seed": seed,
                "candidates": CANDIDATE_MULTIPLE * per_proposal,
                "coverage": panels_by_track_of(stage),
            },
        )
    return render(
        request,
        "portal/manage/stage_draw.html",
        {
            "stage": stage,
            "competition": stage.competition,
            "form": form,
            "confirming": False,
            "multiple": CANDIDATE_MULTIPLE,
            "coverage": panels_by_track_of(stage),
        },
        status=400 if form.is_bound else 200,
    )


@admin_only
def stage_draws(request, slug, code):
    """The recorded draws of a stage, newest first: seed, seats, candidates, left out, chosen."""
    stage = _stage(slug, code)
    draws = list(
        ReviewerDraw.objects.filter(stage=stage)
        .select_related("proposal__applicant", "actor")
        .order_by("-created_at", "-pk")[:500]
    )
    total = ReviewerDraw.objects.filter(stage=stage).aggregate(n=Count("pk"))["n"]
    rows = []
    for draw in draws:
        names = {c["reviewer"]: c["name"] for c in draw.candidates}
        chosen = set(draw.chosen)
        rows.append(
            {
                "draw": draw,
                "panels": ", ".join(panel["name"] for panel in draw.panels),
                "candidates": [{**c, "chosen": c["reviewer"] in chosen} for c in draw.candidates],
                "chosen": [names.get(pk, pk) for pk in draw.chosen],
                "exclusions": [
                    {**e, "label": ReviewerDraw.Exclusion(e["reason"]).label} for e in draw.exclusions
                ],
            }
        )
    return render(
        request,
        "portal/manage/stage_draws.html",
        {"stage": stage, "competition": stage.competition, "rows": rows, "total": total},
    )
