"""The competition file (SPEC §6, ``load_competition``): a TOML document describing a
competition, its categories and tracks and the settings of its rules.

``load_competition_file`` validates every key (an error names the key's path, e.g.
``categories[1].tracks[0].slots``), then creates or updates the competition idempotently.

proposals is the lower layer: keys it does not own (``stages``, read by
``evaluation.domain.competition_file``) are validated and applied by its caller through
``extra_keys`` and ``appliers``, with the same reader, in the same transaction and audit record.
"""

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.utils.translation import gettext as _

from .. import audit
from ..models import Category, Competition, Track, audit_transaction
from ..models.competition import (
    DEFAULT_ANALYSIS_ROUNDS,
    DEFAULT_ANALYSIS_SEED,
    DEFAULT_APPEAL_DAYS,
    MAX_ANALYSIS_ROUNDS,
    MAX_ANALYSIS_SEED,
    MAX_APPEAL_DAYS,
    MAX_RATIO_DECIMALS,
)

SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")
MISSING = object()


class CompetitionFileError(Exception):
    def __init__(self, messages: list[str]):
        super().__init__("\n".join(messages))
        self.messages = messages


@dataclass
class LoadResult:
    competition: Competition
    created: bool = False
    changes: list[str] = field(default_factory=list)


# A reader of an extra top-level key: (top-level reader, spec read so far) → the key's value.
ExtraKey = Callable[["_Reader", dict], object]
# An applier of extra keys: (competition, spec, changes) → None; appends to ``changes``.
Applier = Callable[[Competition, dict, list[str]], None]


class _Reader:
    """Reads values out of one TOML table, collecting errors that name the key's path."""

    def __init__(self, table: dict, path: str, errors: list[str]):
        self.table, self.path, self.errors = table, path, errors
        self.used: set[str] = set()

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def fail(self, key: str, message: str) -> None:
        self.errors.append(f"{self.where(key)}: {message}")

    def get(
        self, key, kind, *, required=False, default=None, minimum=None, maximum=None, above=None, choices=None
    ):
        self.used.add(key)
        value = self.table.get(key, MISSING)
        if value is MISSING:
            if required:
                self.fail(key, _("required"))
            return default
        if kind == "text":
            if not isinstance(value, str) or not value.strip():
                self.fail(key, _("must be non-empty text (got %(value)r)") % {"value": value})
                return default
            value = value.strip()
            if choices and value not in choices:
                self.fail(
                    key,
                    _("must be one of %(choices)s (got %(value)r)")
                    % {"choices": ", ".join(choices), "value": value},
                )
                return default
            return value
        if kind == "slug":
            if not isinstance(value, str) or not SLUG.fullmatch(value):
                self.fail(
                    key,
                    _("must be lowercase letters, digits, '-' or '_' (got %(value)r)") % {"value": value},
                )
                return default
            return value
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                self.fail(key, _("must be a whole number (got %(value)r)") % {"value": value})
                return default
        elif kind == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.fail(key, _("must be a number (got %(value)r)") % {"value": value})
                return default
            try:
                value = Decimal(str(value))
            except InvalidOperation:
                self.fail(key, _("must be a number (got %(value)r)") % {"value": value})
                return default
        if minimum is not None and value < minimum:
            self.fail(
                key,
                _("must be at least %(minimum)s (got %(value)s)") % {"minimum": minimum, "value": value},
            )
            return default
        if maximum is not None and value > maximum:
            self.fail(
                key,
                _("must be at most %(maximum)s (got %(value)s)") % {"maximum": maximum, "value": value},
            )
            return default
        if above is not None and value <= above:
            self.fail(
                key,
                _("must be greater than %(minimum)s (got %(value)s)") % {"minimum": above, "value": value},
            )
            return default
        return value

    def tables(self, key: str, *, required: bool) -> list["_Reader"]:
        self.used.add(key)
        value = self.table.get(key, MISSING)
        if value is MISSING:
            if required:
                self.fail(key, _("required: at least one [[%(key)s]] table") % {"key": self.where(key)})
            return []
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            self.fail(key, _("must be a list of tables ([[%(key)s]])") % {"key": self.where(key)})
            return []
        return [_Reader(item, f"{self.where(key)}[{index}]", self.errors) for index, item in enumerate(value)]

    def reject_unknown(self) -> None:
        for key in self.table:
            if key not in self.used:
                self.fail(key, _("unknown key"))


def parse_competition_file(text: str, extra_keys: dict[str, ExtraKey] | None = None) -> dict:
    """Validate the TOML text; return a plain description or raise CompetitionFileError.

    ``extra_keys`` maps top-level keys this layer leaves to its caller to functions reading them
    with the top-level reader (their errors join the others); ``spec[key]`` holds the result.
    """
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CompetitionFileError([_("Not valid TOML: %(error)s") % {"error": error}]) from None
    errors: list[str] = []
    top = _Reader(document, "", errors)
    spec = {
        "slug": top.get("slug", "slug", required=True),
        "name": top.get("name", "text", required=True),
        "year": top.get("year", "int", required=True, minimum=2000),
        "organization": top.get("organization", "text", default=""),  # SPEC §8.5
        "minimum_score": top.get("minimum_score", "number", minimum=0),
        "trim_min_reviewers": top.get("trim_min_reviewers", "int", default=5, minimum=1),
        "trim_count": top.get("trim_count", "int", default=1, minimum=0),
        "adjustment_cap": top.get("adjustment_cap", "number", default=Decimal("5"), minimum=0),
        "reserve": top.get("reserve", "int", default=1, minimum=0),
        "final_score": top.get("final", "text", default="last", choices=("last", "weighted")),
        "ratio_decimals": top.get("ratio_decimals", "int", default=1, minimum=0, maximum=MAX_RATIO_DECIMALS),
        "max_per_province": top.get("max_per_province", "int", minimum=1),  # SPEC §8.2
        # issue 13: the analysis's flag, in % of a stage's maximum total
        "deviation_threshold": top.get(
            "deviation_threshold", "number", default=Decimal("10"), above=0, maximum=100
        ),
        # issue 13: the appeal window in days after a publication, and the analysis's bootstrap
        "appeal_days": top.get(
            "appeal_days", "int", default=DEFAULT_APPEAL_DAYS, minimum=1, maximum=MAX_APPEAL_DAYS
        ),
        "analysis_rounds": top.get(
            "analysis_rounds", "int", default=DEFAULT_ANALYSIS_ROUNDS, minimum=1, maximum=MAX_ANALYSIS_ROUNDS
        ),
        "analysis_seed": top.get(
            "analysis_seed", "int", default=DEFAULT_ANALYSIS_SEED, minimum=0, maximum=MAX_ANALYSIS_SEED
        ),
        "categories": [],
    }
    threshold = spec["deviation_threshold"]
    if threshold is not None and threshold != threshold.quantize(Decimal("0.01")):
        top.fail(
            "deviation_threshold", _("at most two decimal places (got %(value)s)") % {"value": threshold}
        )
    trim_min, trim_count = spec["trim_min_reviewers"], spec["trim_count"]
    if trim_min is not None and trim_count is not None and trim_min <= 2 * trim_count:
        top.fail("trim_min_reviewers", _("must exceed twice trim_count, or no sheet would remain"))
    category_codes, track_codes = set(), set()
    for category in top.tables("categories", required=True):
        item = {
            "code": category.get("code", "slug", required=True),
            "name": category.get("name", "text", required=True),
            "slots": category.get("slots", "int", minimum=1),
            "max_per_province": category.get("max_per_province", "int", minimum=1),
            "tracks": [],
        }
        if item["code"] in category_codes:
            category.fail("code", _("duplicate category code %(code)r") % {"code": item["code"]})
        category_codes.add(item["code"])
        for track in category.tables("tracks", required=True):
            entry = {
                "code": track.get("code", "slug", required=True),
                "name": track.get("name", "text", required=True),
                "slots": track.get("slots", "int", minimum=1),
                "subsidy": track.get("subsidy", "number", required=True, minimum=0),
                "matching_ratio": track.get("matching_ratio", "number", default=Decimal("1.0"), minimum=0),
            }
            if item["slots"] is not None and entry["slots"] is not None:
                track.fail("slots", _("not allowed: the category pools its slots"))
            if item["slots"] is None and entry["slots"] is None and "slots" not in track.table:
                track.fail("slots", _("required (or set slots on the category to pool them)"))
            if entry["code"] in track_codes:
                track.fail("code", _("duplicate track code %(code)r") % {"code": entry["code"]})
            track_codes.add(entry["code"])
            track.reject_unknown()
            item["tracks"].append(entry)
        category.reject_unknown()
        spec["categories"].append(item)
    spec["track_codes"] = [t["code"] for c in spec["categories"] for t in c["tracks"] if t["code"]]
    for key, read in (extra_keys or {}).items():
        top.used.add(key)
        spec[key] = read(top, spec)
    top.reject_unknown()
    if errors:
        raise CompetitionFileError(errors)
    return spec


def load_competition_file(
    path: str | Path,
    actor=None,
    *,
    extra_keys: dict[str, ExtraKey] | None = None,
    appliers: tuple[Applier, ...] = (),
) -> LoadResult:
    """Read, validate and apply a competition file (all or nothing)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # a BOM (Windows Notepad) is not part of the TOML
    except FileNotFoundError:
        raise CompetitionFileError([_("File not found: %(path)s") % {"path": path}]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise CompetitionFileError(
            [_("Cannot read %(path)s: %(error)s") % {"path": path, "error": error}]
        ) from None
    return load_competition_text(text, actor, source=path.name, extra_keys=extra_keys, appliers=appliers)


def load_competition_text(
    text: str,
    actor=None,
    *,
    source: str,
    extra_keys: dict[str, ExtraKey] | None = None,
    appliers: tuple[Applier, ...] = (),
) -> LoadResult:
    """Validate and apply a competition file's text (all or nothing); ``source`` names the file in
    the audit record (an uploaded file's name)."""
    spec = parse_competition_file(text, extra_keys)
    return apply_competition_spec(spec, actor=actor, source=source, appliers=appliers)


@audit_transaction()  # its audit entries are appended last (lock order: evaluation/sheets.py)
def apply_competition_spec(
    spec: dict, actor=None, source: str = "", appliers: tuple[Applier, ...] = ()
) -> LoadResult:
    """Create or update the competition; ``appliers`` apply the caller's extra keys. An
    applier may raise CompetitionFileError: then nothing is written."""
    fields = {
        key: spec[key]
        for key in (
            "name",
            "year",
            "organization",
            "minimum_score",
            "trim_min_reviewers",
            "trim_count",
            "adjustment_cap",
            "reserve",
            "final_score",
            "ratio_decimals",
            "deviation_threshold",
            "appeal_days",
            "analysis_rounds",
            "analysis_seed",
            "max_per_province",
        )
    }
    competition = Competition.objects.select_for_update().filter(slug=spec["slug"]).first()
    result = LoadResult(competition=competition or Competition(slug=spec["slug"]))
    if competition is None:
        result.competition = Competition.objects.create(slug=spec["slug"], **fields)
        result.created = True
        result.changes.append(_("competition %(slug)s created") % {"slug": spec["slug"]})
    else:
        _update(competition, fields, f"{spec['slug']}", result.changes)
    competition = result.competition
    existing_tracks = {t.code: t for t in Track.objects.filter(category__competition=competition)}
    for order, item in enumerate(spec["categories"]):
        category, created = Category.objects.get_or_create(
            competition=competition,
            code=item["code"],
            defaults={
                "name": item["name"],
                "slots": item["slots"],
                "order": order,
                "max_per_province": item["max_per_province"],
            },
        )
        if created:
            result.changes.append(_("category %(code)s created") % {"code": item["code"]})
        else:
            _update(
                category,
                {
                    "name": item["name"],
                    "slots": item["slots"],
                    "order": order,
                    "max_per_province": item["max_per_province"],
                },
                f"categories.{item['code']}",
                result.changes,
            )
        for track_order, entry in enumerate(item["tracks"]):
            values = {
                "category": category,
                "name": entry["name"],
                "slots": entry["slots"],
                "subsidy": entry["subsidy"],
                "matching_ratio": entry["matching_ratio"],
                "order": track_order,
            }
            track = existing_tracks.get(entry["code"])
            if track is None:
                Track.objects.create(code=entry["code"], **values)
                result.changes.append(_("track %(code)s created") % {"code": entry["code"]})
            else:
                _update(track, values, f"tracks.{entry['code']}", result.changes)
    for apply in appliers:
        apply(competition, spec, result.changes)
    if result.changes:
        audit.record(
            "competition.loaded",
            "competition",
            competition.pk,
            actor=actor,
            competition=competition,
            after={"file": source, "changes": result.changes},
        )
    return result


def update_fields(obj, values: dict, where: str, changes: list[str]) -> None:
    """Set the values that differ, save them, and describe each change in ``changes``."""
    _update(obj, values, where, changes)


def _update(obj, values: dict, where: str, changes: list[str]) -> None:
    changed = []
    for key, value in values.items():
        current = getattr(obj, key)
        if isinstance(current, Decimal) and value is not None:
            same = current == Decimal(value)
        else:
            same = current == value
        if not same:
            changed.append(key)
            changes.append(f"{where}.{key}: {current} → {value}")
            setattr(obj, key, value)
    if changed:
        obj.save(update_fields=changed)
