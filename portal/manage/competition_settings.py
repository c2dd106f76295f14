"""A competition's settings in forms (시스템 관리자): the competition's rules, a category, a track,
a stage, a criterion or a bonus/penalty item, each one entry of the competition file; adding a
category (with its first track), a track, a stage (with its first criterion), a criterion or an
item; removing a stage, a criterion or an item; and a new competition from its first track.

A form changes its entries in the file as it stands (``evaluation.domain.competition_export``) and
the changed file goes through the loader like an uploaded one (``competition_upload``): the same
checks and path-precise messages (shown at the inputs they name), then the same preview of the
changes and confirmation. Adding or removing a stage also asks what changes with it: who advances
from the stage that was last, and with weighted final scores every stage's weight. The loader never
removes a category or a track (a file without one leaves it in place), so neither is removed here."""

from dataclasses import dataclass, field

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.decorators import role_required
from accounts.roles import Role
from evaluation.domain.competition_export import competition_document, to_toml
from evaluation.domain.competition_upload import stage_competition_file
from evaluation.models import AdjustmentItem, Criterion, Stage
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
    # Issue 13: the advisory analysis and the appeal window.
    ("deviation_threshold", _label(Competition, "deviation_threshold"), "number"),
    ("analysis_rounds", _label(Competition, "analysis_rounds"), "int"),
    ("analysis_seed", _label(Competition, "analysis_seed"), "int"),
    ("appeal_days", _label(Competition, "appeal_days"), "int"),
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
ADVANCE_KEYS = (
    ("advance_top_multiple", _label(Stage, "advance_top_multiple"), "number"),
    ("advance_cutoff", _label(Stage, "advance_cutoff"), "number"),
)
WEIGHT_KEYS = (("weight", _label(Stage, "weight"), "number"),)
STAGE_KEYS = (("name", _label(Stage, "name"), "text"), *WEIGHT_KEYS, *ADVANCE_KEYS)
CRITERION_KEYS = (
    ("name", _label(Criterion, "name"), "text"),
    ("description", _label(Criterion, "description"), "long"),
    ("max", _label(Criterion, "max_points"), "number"),
    ("step", _label(Criterion, "step"), "number"),
    ("tie_break", _label(Criterion, "tie_break_priority"), "int"),
    ("tracks", gettext_lazy("Tracks (codes, comma-separated; empty: every track)"), "list"),
)
ADJUSTMENT_ITEM_KEYS = (
    ("name", _label(AdjustmentItem, "name"), "text"),
    ("max", _label(AdjustmentItem, "max_points"), "number"),
)
# A new competition: what the loader requires, and the organisation (SPEC §8.5).
NEW_COMPETITION_KEYS = (
    ("slug", _label(Competition, "slug"), "text"),
    ("name", _label(Competition, "name"), "text"),
    ("year", _label(Competition, "year"), "int"),
    ("organization", _label(Competition, "organization"), "text"),
)


def _code(model) -> tuple:
    """The ``code`` key of a new entry (an existing entry's code is how the file names it)."""
    return (("code", _label(model, "code"), "text"),)


@dataclass
class Entry:
    """One table of the competition file: where it is (``categories[1].tracks[0]``), what it is
    called on the page, and its keys; ``siblings``: the list of tables it belongs to."""

    path: str
    title: str
    table: dict
    keys: tuple
    siblings: list | None = None


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
                    return Entry(path, track["name"], track, TRACK_KEYS, category["tracks"])
    if kind in ("stage", "criterion"):
        stages = document.get("stages", [])
        for number, stage in enumerate(stages):
            if stage["code"] != code:
                continue
            if kind == "stage":
                return Entry(f"stages[{number}]", stage["name"], stage, STAGE_KEYS, stages)
            if index is not None and 0 <= index < len(stage["criteria"]):
                criterion = stage["criteria"][index]
                path = f"stages[{number}].criteria[{index}]"
                title = f"{stage['name']} · {criterion['code']}"
                return Entry(path, title, criterion, CRITERION_KEYS, stage["criteria"])
    if kind == "adjustment_item":
        items = document.get("adjustment_items", [])
        for number, item in enumerate(items):
            if item["code"] == code:
                return Entry(f"adjustment_items[{number}]", item["name"], item, ADJUSTMENT_ITEM_KEYS, items)
    raise Http404


@dataclass
class Part:
    """A part of a settings form: the keys of one table of the file (``path``), under a heading
    when the form has several parts (each then with its own ``prefix``)."""

    path: str
    keys: tuple
    table: dict
    heading: str = ""
    prefix: str | None = None
    form: CompetitionEntryForm | None = field(default=None, repr=False)


def _parts_form(request, parts: list[Part]) -> bool:
    """Bind each part's form; True once every one is submitted and valid, its values in its table
    (an empty input leaves the key out)."""
    data = request.POST if request.method == "POST" else None
    for part in parts:
        part.form = CompetitionEntryForm(data, keys=part.keys, values=part.table, prefix=part.prefix)
    if data is None or not all([part.form.is_valid() for part in parts]):
        return False
    for part in parts:
        for key, value in part.form.entry_values().items():
            if value is None:
                part.table.pop(key, None)
            else:
                part.table[key] = value
    return True


def _check(document: dict, filename: str, user, parts: list[Part]):
    """Send the document through the loader: (the upload awaiting confirmation, []) or (None, the
    messages not shown at an input of ``parts``)."""
    upload, problems = stage_competition_file(to_toml(document).encode(), filename, user)
    if upload is not None:
        return upload, []
    return None, _place(problems, parts)


def _place(messages: list[str], parts: list[Part]) -> list[str]:
    """Show each of the loader's messages at the input of the key it names; return the others
    (about another part of the file, e.g. a tie-break chain naming a stage)."""
    others = []
    for message in messages:
        where = message.split(": ", 1)[0]
        for part in sorted(parts, key=lambda part: len(part.path), reverse=True):
            prefix = f"{part.path}." if part.path else ""
            key = where.removeprefix(prefix) if where.startswith(prefix) else None
            if key in part.form.fields:
                part.form.add_error(key, message)
                break
        else:
            others.append(message)
    return others


def _render_parts(request, competition, title, parts, problems, *, path=""):
    refused = any(part.form.errors for part in parts) or bool(problems)
    return render(
        request,
        "portal/manage/settings_entry.html",
        {
            "competition": competition,
            "title": title,
            "path": path,
            "submit": _("Check the changes"),
            "parts": parts,
            "problems": problems,
        },
        status=400 if refused else 200,
    )


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
    parts = [Part(entry.path, entry.keys, entry.table)]
    problems: list[str] = []
    if _parts_form(request, parts):
        upload, problems = _check(document, f"{competition.slug}.toml", request.user, parts)
        if upload is not None:
            return redirect("manage:competition-load-preview", upload_id=upload.pk)
    return _render_parts(request, competition, entry.title, parts, problems, path=entry.path)


def _addition(document: dict, kind: str, code: str) -> tuple[str, list[Part]]:
    """The title and parts of a form adding an entry of ``kind``; the new tables are already in
    the document, empty, where the loader will read them (the last of their list)."""
    categories = document["categories"]
    if kind == "category":
        track: dict = {}
        category: dict = {"tracks": [track]}
        categories.append(category)
        path = f"categories[{len(categories) - 1}]"
        return _("Add a category"), [
            Part(path, _code(Category) + CATEGORY_KEYS, category, _("The category"), "category"),
            Part(f"{path}.tracks[0]", _code(Track) + TRACK_KEYS, track, _("Its first track"), "track"),
        ]
    if kind == "track":
        entry = _entry(document, "category", code)
        track = {}
        entry.table["tracks"].append(track)
        path = f"{entry.path}.tracks[{len(entry.table['tracks']) - 1}]"
        title = _("Add a track to %(category)s") % {"category": entry.title}
        return title, [Part(path, _code(Track) + TRACK_KEYS, track)]
    if kind == "stage":
        stages = document.setdefault("stages", [])
        criterion: dict = {}
        stage: dict = {"criteria": [criterion]}
        weighted = document.get("final") == Competition.FinalScore.WEIGHTED
        keys = _code(Stage) + (("name", _label(Stage, "name"), "text"),) + (WEIGHT_KEYS if weighted else ())
        path = f"stages[{len(stages)}]"
        parts = [
            Part(path, keys, stage, _("The stage (the last one)"), "stage"),
            Part(
                f"{path}.criteria[0]",
                _code(Criterion) + CRITERION_KEYS,
                criterion,
                _("Its first criterion"),
                "criterion",
            ),
        ]
        # The stage now last advances proposals to the new one (the loader requires it), and with
        # weighted final scores the weights of all the stages change together (they sum to 100).
        parts += _stage_weight_parts(stages, weighted, advancing_last=True)
        stages.append(stage)
        return _("Add a stage"), parts
    if kind == "criterion":
        entry = _entry(document, "stage", code)
        criterion = {}
        entry.table["criteria"].append(criterion)
        path = f"{entry.path}.criteria[{len(entry.table['criteria']) - 1}]"
        title = _("Add a criterion to %(stage)s") % {"stage": entry.title}
        return title, [Part(path, _code(Criterion) + CRITERION_KEYS, criterion)]
    if kind == "adjustment_item":
        items = document.setdefault("adjustment_items", [])
        item: dict = {}
        items.append(item)
        path = f"adjustment_items[{len(items) - 1}]"
        return _("Add a bonus or penalty item"), [
            Part(path, _code(AdjustmentItem) + ADJUSTMENT_ITEM_KEYS, item)
        ]
    raise Http404


def _stage_weight_parts(stages: list[dict], weighted: bool, *, advancing_last: bool = False) -> list[Part]:
    """Parts for the stages whose keys change with a stage added or removed: with weighted final
    scores each stage's weight; with ``advancing_last`` who advances from the last stage."""
    parts = []
    for number, stage in enumerate(stages):
        advancing = advancing_last and number == len(stages) - 1
        keys = (WEIGHT_KEYS if weighted else ()) + (ADVANCE_KEYS if advancing else ())
        if not keys:
            continue
        if advancing:
            heading, prefix = _("Who advances from %(stage)s to the new stage"), "previous"
        else:
            heading, prefix = _("The weight of %(stage)s"), f"stage{number}"
        parts.append(Part(f"stages[{number}]", keys, stage, heading % {"stage": stage["name"]}, prefix))
    return parts


@admin_only
@require_http_methods(["GET", "POST"])
def add_entry(request, slug, kind, code=""):
    """A new entry appended to its list in the file, checked and previewed like any change."""
    competition = get_object_or_404(Competition, slug=slug)
    document = competition_document(competition)
    title, parts = _addition(document, kind, code)
    problems: list[str] = []
    if _parts_form(request, parts):
        upload, problems = _check(document, f"{competition.slug}.toml", request.user, parts)
        if upload is not None:
            return redirect("manage:competition-load-preview", upload_id=upload.pk)
    return _render_parts(request, competition, title, parts, problems, path=parts[0].path)


@admin_only
@require_http_methods(["GET", "POST"])
def remove_entry(request, slug, kind, code="", index=None):
    """The confirmation names what goes; the file without the entry is then checked and previewed
    (the loader refuses to remove what is referenced: panels, assignments, scores, recorded points)."""
    if kind not in ("stage", "criterion", "adjustment_item"):
        raise Http404
    competition = get_object_or_404(Competition, slug=slug)
    document = competition_document(competition)
    entry = _entry(document, kind, code, index)
    position = next(number for number, table in enumerate(entry.siblings) if table is entry.table)
    parts: list[Part] = []
    if kind == "stage":
        # With weighted final scores the remaining stages' weights change too (they sum to 100).
        remaining = entry.siblings[:position] + entry.siblings[position + 1 :]
        weighted = document.get("final") == Competition.FinalScore.WEIGHTED
        parts = _stage_weight_parts(remaining, weighted)
    problems: list[str] = []
    if _parts_form(request, parts):
        del entry.siblings[position]
        if kind == "stage" and entry.siblings and position == len(entry.siblings):
            # The stage before it is now the last: it advances no one (as the file describes it).
            for key in ("advance_top_multiple", "advance_cutoff"):
                entry.siblings[-1].pop(key, None)
        upload, problems = _check(document, f"{competition.slug}.toml", request.user, parts)
        if upload is not None:
            return redirect("manage:competition-load-preview", upload_id=upload.pk)
    refused = bool(problems) or any(part.form.errors for part in parts)
    return render(
        request,
        "portal/manage/settings_remove.html",
        {
            "competition": competition,
            "entry": entry,
            "kind": kind,
            "parts": parts,
            "problems": problems,
            "submit": _("Check the removal"),
        },
        status=400 if refused else 200,
    )


@admin_only
@require_http_methods(["GET", "POST"])
def new_competition(request):
    """A new competition from its name and first track: a minimal competition file, checked and
    previewed like an uploaded one; its settings page adds the rest."""
    track: dict = {}
    category: dict = {"tracks": [track]}
    document: dict = {"categories": [category]}
    parts = [
        Part("", NEW_COMPETITION_KEYS, document, _("The competition"), "competition"),
        Part(
            "categories[0]",
            _code(Category) + CATEGORY_KEYS[:1],
            category,
            _("Its first category"),
            "category",
        ),
        Part(
            "categories[0].tracks[0]",
            _code(Track) + TRACK_KEYS[:3],
            track,
            _("The category's first track"),
            "track",
        ),
    ]
    problems: list[str] = []
    if _parts_form(request, parts):
        slug = document.get("slug", "")
        if isinstance(slug, str) and Competition.objects.filter(slug=slug).exists():
            parts[0].form.add_error(
                "slug",
                _("Competition %(slug)s already exists: change it on its settings page.") % {"slug": slug},
            )
        else:
            upload, problems = _check(document, f"{slug or 'competition'}.toml", request.user, parts)
            if upload is not None:
                return redirect("manage:competition-load-preview", upload_id=upload.pk)
    return render(
        request,
        "portal/manage/competition_new.html",
        {"parts": parts, "problems": problems},
        status=400 if problems or any(part.form.errors for part in parts) else 200,
    )
