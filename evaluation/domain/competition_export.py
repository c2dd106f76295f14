"""The competition file of a competition as it stands (the reverse of ``load_competition``): a
document with the keys of SPEC §6 and §8, and its TOML text.

Loading the text changes nothing (tests/evaluation/test_competition_export.py proves the round
trip), so an admin may download it, edit it and upload it (``/manage/``), and the settings forms
change one entry of the document and load it through the same loader: its checks and its
path-precise messages are the only ones.
"""

import json
from decimal import Decimal

from proposals.models import Category, Competition, Track

from ..models import AdjustmentItem, Criterion, Stage
from ..rules import plain_number


def competition_document(competition: Competition) -> dict:
    """The competition's settings as the competition file describes them (keys in file order)."""
    doc: dict = {"slug": competition.slug, "name": competition.name, "year": competition.year}
    if competition.organization:
        doc["organization"] = competition.organization
    if competition.minimum_score is not None:
        doc["minimum_score"] = competition.minimum_score
    doc.update(
        trim_min_reviewers=competition.trim_min_reviewers,
        trim_count=competition.trim_count,
        adjustment_cap=competition.adjustment_cap,
        reserve=competition.reserve,
        final=competition.final_score,
        ratio_decimals=competition.ratio_decimals,
        deviation_threshold=competition.deviation_threshold,
        appeal_days=competition.appeal_days,
        analysis_rounds=competition.analysis_rounds,
        analysis_seed=competition.analysis_seed,
    )
    if competition.max_per_province is not None:
        doc["max_per_province"] = competition.max_per_province
    if competition.tie_break:
        doc["tie_break"] = competition.tie_break.split(",")
    tracks_of: dict[int, list[Track]] = {}
    for track in Track.objects.filter(category__competition=competition).order_by("order", "code"):
        tracks_of.setdefault(track.category_id, []).append(track)
    doc["categories"] = [
        _category(category, tracks_of.get(category.pk, []))
        for category in Category.objects.filter(competition=competition).order_by("order", "code")
    ]
    stages = list(Stage.objects.filter(competition=competition).order_by("order", "code"))
    if stages:
        doc["stages"] = [_stage(stage, competition, last=stage is stages[-1]) for stage in stages]
    items = list(AdjustmentItem.objects.filter(competition=competition).order_by("order", "code"))
    if items:
        doc["adjustment_items"] = [
            {"code": item.code, "name": item.name, "max": item.max_points} for item in items
        ]
    return doc


def _category(category: Category, tracks: list[Track]) -> dict:
    entry: dict = {"code": category.code, "name": category.name}
    if category.slots is not None:
        entry["slots"] = category.slots
    if category.max_per_province is not None:
        entry["max_per_province"] = category.max_per_province
    entry["tracks"] = []
    for track in tracks:
        item: dict = {"code": track.code, "name": track.name}
        if track.slots is not None:
            item["slots"] = track.slots
        item.update(subsidy=track.subsidy, matching_ratio=track.matching_ratio)
        entry["tracks"].append(item)
    return entry


def _stage(stage: Stage, competition: Competition, *, last: bool) -> dict:
    entry: dict = {"code": stage.code, "name": stage.name}
    if competition.final_score == Competition.FinalScore.WEIGHTED and stage.weight is not None:
        entry["weight"] = stage.weight
    if not last:
        if stage.advance_top_multiple is not None:
            entry["advance_top_multiple"] = stage.advance_top_multiple
        elif stage.advance_cutoff is not None:
            entry["advance_cutoff"] = stage.advance_cutoff
    criteria = (
        Criterion.objects.filter(rubric__stage=stage)
        .select_related("rubric")
        .prefetch_related("rubric__tracks")
        .order_by("order", "pk")
    )
    entry["criteria"] = []
    for criterion in criteria:
        item: dict = {"code": criterion.code, "name": criterion.name}
        if criterion.description:
            item["description"] = criterion.description
        item.update(max=criterion.max_points, step=criterion.step)
        if criterion.tie_break_priority is not None:
            item["tie_break"] = criterion.tie_break_priority
        tracks = sorted(track.code for track in criterion.rubric.tracks.all())
        if tracks:
            item["tracks"] = tracks
        entry["criteria"].append(item)
    return entry


# --- TOML ----------------------------------------------------------------------------------------


def to_toml(doc: dict) -> str:
    """The document as TOML: plain keys first, then each list of tables (``[[categories]]``,
    ``[[categories.tracks]]`` …) in order."""
    lines: list[str] = []
    _table(doc, "", lines)
    return "\n".join(lines).strip() + "\n"


def _table(table: dict, path: str, lines: list[str]) -> None:
    for key, value in table.items():
        if not _is_tables(value):
            lines.append(f"{key} = {_value(value)}")
    for key, value in table.items():
        if _is_tables(value):
            name = f"{path}.{key}" if path else key
            for item in value:
                lines.append("")
                lines.append(f"[[{name}]]")
                _table(item, name, lines)


def _is_tables(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return plain_number(value)  # an integral amount as a TOML integer; the file's numbers accept both
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string: the same escapes
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    raise TypeError(f"not a value of the competition file: {value!r}")
