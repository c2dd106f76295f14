"""Stages and their criteria in the competition file (SPEC §6 ``[[stages]]``, ``[[stages.criteria]]``).

The proposals layer reads and applies the competition, its categories and tracks; it leaves the
``stages`` key to this module, which validates it with the same reader (errors name the key's
path, e.g. ``stages[0].criteria[2].max``) and applies it in the same transaction and audit record:

- Stage by (competition, code), ``order`` from its position in the file;
- criteria grouped by their ``tracks`` into one ``Rubric`` each (no tracks: every track);
- Criterion by (rubric, code).

Loading the same file again changes nothing. A stage or criterion no longer in the file is removed
only while nothing refers to it (assignments, panels, scores); otherwise the load is refused.
"""

import re
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext as _

from proposals.domain.competition_file import (
    CompetitionFileError,
    LoadResult,
    update_fields,
)
from proposals.domain.competition_file import (
    load_competition_file as load_proposals_file,
)
from proposals.domain.competition_file import (
    load_competition_text as load_proposals_text,
)
from proposals.models import Competition, Track
from proposals.models.competition import TIE_BREAK_PATTERN, tie_break_problem

from ..models import AdjustmentItem, Criterion, Rubric, Score, Stage
from ..models.result import POINTS_LIMIT

DEFAULT_STEP = Decimal("0.5")
MAX_CRITERION_CODE = 20
ALL_TRACKS = "*"


# --- reading ---------------------------------------------------------------------------------


def read_stages(top, spec: dict) -> list[dict] | None:
    """Validate ``[[stages]]``; None when the file has no stages (existing ones are kept)."""
    if "stages" not in top.table:
        return None
    weighted = spec.get("final_score") == "weighted"
    readers = top.tables("stages", required=False)
    stages, codes, weights = [], set(), []
    for index, stage in enumerate(readers):
        last = index == len(readers) - 1
        item = {
            "code": stage.get("code", "slug", required=True),
            "name": stage.get("name", "text", required=True),
            "weight": None,
            "advance_top_multiple": stage.get("advance_top_multiple", "number", above=0),
            "advance_cutoff": stage.get("advance_cutoff", "number", minimum=0),
            "criteria": [],
        }
        if weighted:
            item["weight"] = stage.get("weight", "number", required=True, minimum=0)
            weights.append(item["weight"])
        elif "weight" in stage.table:
            stage.used.add("weight")
            stage.fail("weight", _('allowed only with final = "weighted"'))
        _check_decimal(stage, "weight", item["weight"], Decimal("999.99"))
        _check_decimal(stage, "advance_top_multiple", item["advance_top_multiple"], Decimal("999.99"))
        _check_decimal(stage, "advance_cutoff", item["advance_cutoff"], Decimal("9999.99"))
        has_top = "advance_top_multiple" in stage.table
        has_cutoff = "advance_cutoff" in stage.table
        if last:
            for key in ("advance_top_multiple", "advance_cutoff"):
                if key in stage.table:
                    stage.fail(key, _("not allowed on the last stage: it does not advance anyone"))
        elif has_top and has_cutoff:
            stage.fail(
                "advance_cutoff", _("not allowed together with advance_top_multiple: give one of them")
            )
        elif not has_top and not has_cutoff:
            stage.fail(
                "advance_top_multiple",
                _("required on every stage but the last (or advance_cutoff)"),
            )
        if item["code"] in codes:
            stage.fail("code", _("duplicate stage code %(code)r") % {"code": item["code"]})
        codes.add(item["code"])
        item["criteria"] = _read_criteria(stage, spec["track_codes"])
        stage.reject_unknown()
        stages.append(item)
    if weighted and readers and all(weight is not None for weight in weights):
        total = sum(weights, Decimal(0))
        if total != 100:
            top.fail("stages", _("stage weights must sum to 100 (got %(total)s)") % {"total": total})
    return stages


def read_tie_break(top, spec: dict) -> str | None:
    """``tie_break`` (SPEC §8.3): a list of "criteria", "subsidy", "criteria:STAGE" and
    "stage:STAGE", each once, the stages those of the file's ``[[stages]]``; stored joined by
    commas. None when the file leaves it out (the competition keeps its chain)."""
    if "tie_break" not in top.table:
        return None
    value = top.table["tie_break"]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        top.fail(
            "tie_break",
            _('must be a list of texts, e.g. ["criteria", "subsidy"] (got %(value)r)') % {"value": value},
        )
        return None
    chain = ",".join(item.strip() for item in value)
    if not re.fullmatch(TIE_BREAK_PATTERN, chain):
        top.fail(
            "tie_break",
            _("each element is criteria, subsidy, criteria:STAGE or stage:STAGE (got %(value)r)")
            % {"value": value},
        )
        return None
    codes = {stage["code"] for stage in spec.get("stages") or []}
    problem = tie_break_problem(chain.split(","), codes)
    if problem:
        top.fail("tie_break", problem)
        return None
    return chain


def apply_tie_break(competition: Competition, spec: dict, changes: list[str]) -> None:
    """Set the competition's tie-break chain from the file (an ``Applier``)."""
    if spec.get("tie_break") is not None:
        update_fields(competition, {"tie_break": spec["tie_break"]}, spec["slug"], changes)


def read_adjustment_items(top, spec: dict) -> list[dict] | None:
    """``[[adjustment_items]]`` (SPEC §8.4): ``code``, ``name`` and ``max`` (a bonus of 0..max; a
    negative max is a penalty of max..0). None when the file has none (existing items are kept)."""
    if "adjustment_items" not in top.table:
        return None
    items, codes = [], set()
    for reader in top.tables("adjustment_items", required=False):
        item = {
            "code": reader.get("code", "slug", required=True),
            "name": reader.get("name", "text", required=True),
            "max": reader.get("max", "number", required=True),
        }
        if item["name"] is not None and len(item["name"]) > 100:
            reader.fail("name", _("must be at most %(max)s characters") % {"max": 100})
        points = item["max"]
        if points == 0:
            reader.fail("max", _("must be a bonus above 0 or a penalty below 0 (got 0)"))
        elif points is not None and points != points.quantize(Decimal("0.01")):
            reader.fail("max", _("at most two decimal places (got %(value)s)") % {"value": points})
        elif points is not None and abs(points) > POINTS_LIMIT:
            reader.fail(
                "max",
                _("must lie between %(low)s and %(high)s (got %(value)s)")
                % {"low": -POINTS_LIMIT, "high": POINTS_LIMIT, "value": points},
            )
        if item["code"] is not None:
            if len(item["code"]) > 40:
                reader.fail("code", _("must be at most %(max)s characters") % {"max": 40})
            if item["code"] in codes:
                reader.fail("code", _("duplicate item code %(code)r") % {"code": item["code"]})
            codes.add(item["code"])
        reader.reject_unknown()
        items.append(item)
    return items


def apply_adjustment_items(competition: Competition, spec: dict, changes: list[str]) -> None:
    """Create or update the competition's bonus and penalty items (an ``Applier``). An item no longer
    in the file is removed only while no proposal holds a value of it; otherwise the load is refused."""
    items = spec.get("adjustment_items")
    if items is None:
        return
    existing = {item.code: item for item in AdjustmentItem.objects.filter(competition=competition)}
    wanted = {item["code"] for item in items}
    errors = []
    for code, item in existing.items():
        if code in wanted:
            continue
        if item.adjustments.exists():
            errors.append(
                _(
                    "adjustment_items: item %(code)r is not in the file but proposals hold its points; "
                    "it cannot be removed"
                )
                % {"code": code}
            )
        else:
            item.delete()
            changes.append(_("adjustment item %(code)s removed") % {"code": code})
    for order, entry in enumerate(items):
        values = {"name": entry["name"], "max_points": entry["max"], "order": order}
        item = existing.get(entry["code"])
        if item is None:
            AdjustmentItem.objects.create(competition=competition, code=entry["code"], **values)
            changes.append(_("adjustment item %(code)s created") % {"code": entry["code"]})
            continue
        outside = item.values_outside(entry["max"]).order_by("pk").values_list("points", flat=True)
        if outside:
            errors.append(
                _(
                    "adjustment_items[%(index)s].max: %(count)s recorded value(s) lie outside the new range "
                    "(e.g. %(points)s); change or delete them first"
                )
                % {"index": order, "count": len(outside), "points": outside[0]}
            )
            continue
        update_fields(item, values, f"adjustment_items.{entry['code']}", changes)
    if errors:
        raise CompetitionFileError(errors)


def _read_criteria(stage, track_codes: list[str]) -> list[dict]:
    criteria = []
    tie_breaks: dict[int, int] = {}
    codes_per_track: set[tuple[str, str]] = set()
    for index, criterion in enumerate(stage.tables("criteria", required=True)):
        item = {
            "code": criterion.get("code", "text", required=True),
            "name": criterion.get("name", "text", required=True),
            "description": criterion.get("description", "text", default=""),
            "max": criterion.get("max", "number", required=True, above=0),
            "step": criterion.get("step", "number", default=DEFAULT_STEP, above=0),
            "tie_break": criterion.get("tie_break", "int", minimum=1),
            "tracks": _read_tracks(criterion, track_codes),
        }
        code = item["code"]
        if code is not None and (len(code) > MAX_CRITERION_CODE or any(c.isspace() for c in code)):
            criterion.fail(
                "code",
                _("must be at most %(max)s characters without spaces (got %(value)r)")
                % {"max": MAX_CRITERION_CODE, "value": code},
            )
            item["code"] = code = None
        _check_decimal(criterion, "max", item["max"], Decimal("9999.99"))
        _check_decimal(criterion, "step", item["step"], Decimal("99.99"))
        if item["max"] is not None and item["step"] is not None and item["max"] % item["step"] != 0:
            criterion.fail(
                "max",
                _("must be a multiple of step %(step)s (got %(value)s)")
                % {"step": item["step"], "value": item["max"]},
            )
        tie_break = item["tie_break"]
        if tie_break is not None:
            if tie_break in tie_breaks:
                criterion.fail(
                    "tie_break",
                    _("duplicate tie-break priority %(value)s in this stage (also criteria[%(index)s])")
                    % {"value": tie_break, "index": tie_breaks[tie_break]},
                )
            else:
                tie_breaks[tie_break] = index
        if code is not None and item["tracks"] is not None:
            scope = item["tracks"] or track_codes
            if any((track, code) in codes_per_track for track in scope):
                criterion.fail("code", _("duplicate criterion code %(code)r in this stage") % {"code": code})
            codes_per_track.update((track, code) for track in scope)
        criterion.reject_unknown()
        criteria.append(item)
    return criteria


def _read_tracks(criterion, track_codes: list[str]) -> tuple[str, ...] | None:
    """The track codes a criterion applies to, sorted; () for every track; None when invalid."""
    criterion.used.add("tracks")
    value = criterion.table.get("tracks")
    if value is None:
        return ()
    if not isinstance(value, list) or not value or not all(isinstance(code, str) for code in value):
        criterion.fail(
            "tracks", _("must be a non-empty list of track codes (got %(value)r)") % {"value": value}
        )
        return None
    unknown = [code for code in value if code not in track_codes]
    for code in unknown:
        criterion.fail(
            "tracks",
            _("unknown track code %(code)r (one of %(codes)s)")
            % {"code": code, "codes": ", ".join(track_codes)},
        )
    if unknown:
        return None
    return tuple(sorted(set(value)))


def _check_decimal(reader, key: str, value, largest: Decimal) -> None:
    if value is None:
        return
    if value.as_tuple().exponent < -2 and value != value.quantize(Decimal("0.01")):
        reader.fail(key, _("at most two decimal places (got %(value)s)") % {"value": value})
    elif value > largest:
        reader.fail(key, _("must be at most %(max)s (got %(value)s)") % {"max": largest, "value": value})


# --- applying --------------------------------------------------------------------------------


def apply_stages(competition: Competition, spec: dict, changes: list[str]) -> None:
    """Create or update the stages, rubrics and criteria of ``spec`` (an ``Applier``)."""
    stages = spec.get("stages")
    if stages is None:
        return
    tracks = {track.code: track for track in Track.objects.filter(category__competition=competition)}
    existing = {stage.code: stage for stage in Stage.objects.filter(competition=competition)}
    wanted = {item["code"] for item in stages}
    errors = []
    for code, stage in existing.items():
        if code in wanted:
            continue
        if stage.assignments.exists() or stage.panels.exists():
            errors.append(
                _(
                    "stages: stage %(code)r is not in the file but has panels or assignments; it cannot be removed"
                )
                % {"code": code}
            )
        else:
            stage.delete()
            changes.append(_("stage %(code)s removed") % {"code": code})
    for order, item in enumerate(stages):
        values = {
            "name": item["name"],
            "order": order,
            "weight": item["weight"],
            "advance_top_multiple": item["advance_top_multiple"],
            "advance_cutoff": item["advance_cutoff"],
        }
        stage = existing.get(item["code"])
        if stage is None:
            stage = Stage.objects.create(competition=competition, code=item["code"], **values)
            changes.append(_("stage %(code)s created") % {"code": item["code"]})
        else:
            update_fields(stage, values, f"stages.{item['code']}", changes)
        errors += _apply_criteria(stage, item["criteria"], tracks, changes)
    if errors:
        raise CompetitionFileError(errors)


def _apply_criteria(stage: Stage, criteria: list[dict], tracks: dict, changes: list[str]) -> list[str]:
    rubrics: dict[tuple, Rubric] = {}
    for rubric in Rubric.objects.filter(stage=stage).prefetch_related("tracks", "criteria").order_by("pk"):
        rubrics.setdefault(tuple(sorted(track.code for track in rubric.tracks.all())), rubric)
    groups: dict[tuple, list[tuple[int, dict]]] = {}
    for order, item in enumerate(criteria):
        groups.setdefault(item["tracks"], []).append((order, item))
    where = f"stages.{stage.code}"
    kept: set[int] = set()
    for key, items in groups.items():
        label = ",".join(key) or ALL_TRACKS
        rubric = rubrics.get(key)
        if rubric is None:
            rubric = Rubric.objects.create(stage=stage)
            rubric.tracks.set([tracks[code] for code in key])
            rubrics[key] = rubric
            changes.append(
                _("%(where)s: rubric for tracks %(tracks)s created") % {"where": where, "tracks": label}
            )
            existing = {}
        else:
            existing = {criterion.code: criterion for criterion in rubric.criteria.all()}
        for order, item in items:
            values = {
                "name": item["name"],
                "description": item["description"],
                "max_points": item["max"],
                "step": item["step"],
                "tie_break_priority": item["tie_break"],
                "order": order,
            }
            criterion = existing.get(item["code"])
            if criterion is None:
                criterion = Criterion.objects.create(rubric=rubric, code=item["code"], **values)
                changes.append(
                    _("%(where)s: criterion %(code)s created") % {"where": where, "code": item["code"]}
                )
            else:
                update_fields(criterion, values, f"{where}.criteria.{item['code']}", changes)
            kept.add(criterion.pk)
    errors = []
    for key, rubric in rubrics.items():
        stale = [c for c in Criterion.objects.filter(rubric=rubric) if c.pk not in kept]
        for criterion in stale:
            if Score.objects.filter(criterion=criterion).exists():
                errors.append(
                    _("%(where)s: criterion %(code)r is not in the file but has scores; it cannot be removed")
                    % {"where": where, "code": criterion.code}
                )
            else:
                criterion.delete()
                changes.append(
                    _("%(where)s: criterion %(code)s removed") % {"where": where, "code": criterion.code}
                )
        if key not in groups and not errors:
            rubric.delete()
            changes.append(
                _("%(where)s: rubric for tracks %(tracks)s removed")
                % {"where": where, "tracks": ",".join(key) or ALL_TRACKS}
            )
    return errors


# --- the entry points ---------------------------------------------------------------------------

# The keys this app adds to the competition file: stages first (the chain names them).
EXTRA_KEYS = {"stages": read_stages, "tie_break": read_tie_break, "adjustment_items": read_adjustment_items}
APPLIERS = (apply_stages, apply_tie_break, apply_adjustment_items)


def load_competition_file(path: str | Path, actor=None) -> LoadResult:
    """The one entry point of ``load_competition``: the competition, its tracks and its stages."""
    return load_proposals_file(path, actor, extra_keys=EXTRA_KEYS, appliers=APPLIERS)


def load_competition_text(text: str, source: str, actor=None) -> LoadResult:
    """The same for a file's text (an upload on ``/manage/``); ``source``: its name."""
    return load_proposals_text(text, actor, source=source, extra_keys=EXTRA_KEYS, appliers=APPLIERS)
