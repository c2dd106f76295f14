"""A competition's settings in forms (시스템 관리자): the competition's rules, a category, a track, a
stage or a criterion, each one entry of the competition file.

A form changes its entry in the file as it stands (``evaluation.domain.competition_export``) and
the changed file goes through the loader like an uploaded one (``competition_upload``): the same
checks and path-precise messages (shown at the inputs they name), then the same preview of the
changes and confirmation. New categories, tracks, stages, criteria and bonus/penalty items are
added in the file: download it here, edit it, upload it (``setup.competition_load``)."""

from dataclasses import dataclass

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.decorators import role_required
from accounts.roles import Role
from evaluation.domain.competition_export import competition_document, to_toml
from evaluation.domain.competition_upload import stage_competition_file
from evaluation.models import Criterion, Stage
from proposals.models import Category, Competition, Track

from .forms import CompetitionEntryForm

admin_only = role_required(Role.ADMIN)


def _label(model, field: str):
    return model._meta.get_field(field).verbose_name


# Each kind of entry: its keys in the file, labelled with the model fields' names.
COMPETITION_KEYS = (
    ("name", _label(Competition, "name"), "text"),
    ("year", _label(Competition, "year"), "int"),
    ("organization", _label(Competition, "organization"), "text"),
    ("minimum_score", _label(Competition, "minimum_score"), "number"),
    ("trim_min_reviewers", _label(Competition, "trim_min_reviewers"), "int"),
    ("trim_count", _label(Competition, "trim_count"), "int"),
    ("adjustment_cap", _label(Competition, "adjustment_cap"), "number"),
    ("reserve", _label(Competition, "reserve"), "int"),
    ("final", _label(Competition, "final_score"), list(Competition.FinalScore.choices)),
    ("ratio_decimals", _label(Competition, "ratio_decimals"), "int"),
    ("max_per_province", _label(Competition, "max_per_province"), "int"),
    ("tie_break", _label(Competition, "tie_break"), "list"),
)
CATEGORY_KEYS = (
    ("name", _label(Category, "name"), "text"),
    ("slots", _label(Category, "slots"), "int"),
    ("max_per_province", _label(Category, "max_per_province"), "int"),
)
TRACK_KEYS = (
    ("name", _label(Track, "name"), "text"),
    ("slots", _label(Track, "slots"), "int"),
    ("subsidy", _label(Track, "subsidy"), "number"),
    ("matching_ratio", _label(Track, "matching_ratio"), "number"),
)
STAGE_KEYS = (
    ("name", _label(Stage, "name"), "text"),
    ("weight", _label(Stage, "weight"), "number"),
    ("advance_top_multiple", _label(Stage, "advance_top_multiple"), "number"),
    ("advance_cutoff", _label(Stage, "advance_cutoff"), "number"),
)
CRITERION_KEYS = (
    ("name", _label(Criterion, "name"), "text"),
    ("description", _label(Criterion, "description"), "long"),
    ("max", _label(Criterion, "max_points"), "number"),
    ("step", _label(Criterion, "step"), "number"),
    ("tie_break", _label(Criterion, "tie_break_priority"), "int"),
    ("tracks", gettext_lazy("Tracks (codes, comma-separated; empty: every track)"), "list"),
)


@dataclass
class Entry:
    """One table of the competition file: where it is (``categories[1].tracks[0]``), what it is
    called on the page, and its keys."""

    path: str
    title: str
    table: dict
    keys: tuple


def _entry(document: dict, kind: str, code: str = "", index: int | None = None) -> Entry:
    if kind == "competition":
        return Entry("", _("Rules of the competition"), document, COMPETITION_KEYS)
    if kind == "category":
        for number, category in enumerate(document["categories"]):
            if category["code"] == code:
                return Entry(f"categories[{number}]", category["name"], category, CATEGORY_KEYS)
    if kind == "track":
        for number, category in enumerate(document["categories"]):
            for track_number, track in enumerate(category["tracks"]):
                if track["code"] == code:
                    path = f"categories[{number}].tracks[{track_number}]"
                    return Entry(path, track["name"], track, TRACK_KEYS)
    if kind in ("stage", "criterion"):
        for number, stage in enumerate(document.get("stages", [])):
            if stage["code"] != code:
                continue
            if kind == "stage":
                return Entry(f"stages[{number}]", stage["name"], stage, STAGE_KEYS)
            if index is not None and 0 <= index < len(stage["criteria"]):
                criterion = stage["criteria"][index]
                path = f"stages[{number}].criteria[{index}]"
                return Entry(path, f"{stage['name']} · {criterion['code']}", criterion, CRITERION_KEYS)
    raise Http404


@admin_only
def settings_index(request, slug):
    competition = get_object_or_404(Competition, slug=slug)
    document = competition_document(competition)
    return render(
        request,
        "portal/manage/settings.html",
        {"competition": competition, "document": document},
    )


@admin_only
def competition_file(request, slug):
    """The competition file as it stands: edit it and upload it to change anything."""
    competition = get_object_or_404(Competition, slug=slug)
    response = HttpResponse(
        to_toml(competition_document(competition)).encode(), content_type="application/toml; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{competition.slug}.toml"'
    return response


@admin_only
@require_http_methods(["GET", "POST"])
def edit_entry(request, slug, kind, code="", index=None):
    competition = get_object_or_404(Competition, slug=slug)
    document = competition_document(competition)
    entry = _entry(document, kind, code, index)
    form = CompetitionEntryForm(
        request.POST if request.method == "POST" else None, keys=entry.keys, values=entry.table
    )
    problems: list[str] = []
    if form.is_bound and form.is_valid():
        for key, value in form.entry_values().items():
            if value is None:
                entry.table.pop(key, None)
            else:
                entry.table[key] = value
        content = to_toml(document).encode()
        upload, problems = stage_competition_file(content, f"{competition.slug}.toml", request.user)
        if upload is not None:
            return redirect("manage:competition-load-preview", upload_id=upload.pk)
        problems = _place(form, entry, problems)
    return render(
        request,
        "portal/manage/settings_entry.html",
        {"competition": competition, "entry": entry, "form": form, "problems": problems},
        status=400 if form.errors or problems else 200,
    )


def _place(form: CompetitionEntryForm, entry: Entry, messages: list[str]) -> list[str]:
    """Show each of the loader's messages at the input of the key it names; return the others
    (about another part of the file, e.g. a tie-break chain naming a stage)."""
    others = []
    prefix = f"{entry.path}." if entry.path else ""
    for message in messages:
        where = message.split(": ", 1)[0]
        key = where.removeprefix(prefix) if where.startswith(prefix) else None
        if key in form.fields:
            form.add_error(key, message)
        else:
            others.append(message)
    return others
