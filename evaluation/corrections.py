"""What a correction changed since the publication it supersedes (정정 사항).

``snapshot_changes`` is a pure function of the previous publication's snapshot and the new
inputs and outcome; ``evaluation.publication.publish`` stores its result in the new snapshot
(``"changes"``, so it is under the digest; a first publication has ``None``). It lists:

- ``sheets``: counted sheets added, changed or removed, by stage code, proposal key (접수번호) and
  reviewer code (``evaluation.reviewer_codes``: the same letters in every publication), with the
  old and new total;
- ``criterion_averages``: tie-break criterion averages that moved (a score can change while the
  total stays);
- ``adjustments`` added or removed, ``draws`` recorded, changed or removed;
- ``proposals``: proposals added or removed and every changed field (status, amounts, title…);
- ``rules``: every changed setting of the competition, its stages, categories and tracks;
- ``outcome``: per proposal, a changed rank, score or status.

``describe_changes`` turns them into sentences for the ``publish`` command and the officials'
publication page; the public result page shows only what the public result shows (SPEC §2).
"""

from collections import Counter

from django.utils.translation import gettext as _

from proposals.models import Category, Competition, Proposal, Track

from .models import Appeal, Stage
from .ranking import status_label

CHANGE_KEYS = ("sheets", "criterion_averages", "adjustments", "draws", "proposals", "rules", "outcome")


def snapshot_changes(previous: dict, inputs: dict, outcome: dict) -> dict:
    """The changes from ``previous`` (a stored snapshot) to ``inputs`` and ``outcome`` (JSON-plain,
    as the new snapshot stores them), in a stable order."""
    before = previous["inputs"]
    stage_order = {stage["code"]: index for index, stage in enumerate(inputs["stages"])}
    return {
        "sheets": _sheets(before["sheets"], inputs["sheets"], stage_order),
        "criterion_averages": _averages(
            before["criterion_averages"], inputs["criterion_averages"], stage_order
        ),
        "adjustments": _adjustments(
            before["adjustments"],
            inputs["adjustments"],
            {
                item["code"]: item["name"]
                for item in [*before.get("adjustment_items", []), *inputs.get("adjustment_items", [])]
            },
        ),
        "draws": _draws(before["draws"], inputs["draws"]),
        "proposals": _proposals(before["proposals"], inputs["proposals"]),
        "rules": _rules(before, inputs),
        "outcome": _outcome(previous["outcome"]["ranking"], outcome["ranking"]),
    }


def has_changes(changes: dict | None) -> bool:
    return bool(changes) and any(changes.get(key) for key in CHANGE_KEYS)


def _keyed_diff(before: dict, after: dict, order) -> list[tuple]:
    """(key, old, new) for every key whose value differs (a missing side is None), sorted."""
    keys = sorted(set(before) | set(after), key=order)
    return [(key, before.get(key), after.get(key)) for key in keys if before.get(key) != after.get(key)]


def _kind(old, new) -> str:
    return "added" if old is None else "removed" if new is None else "changed"


def _sheets(before: list, after: list, stage_order: dict) -> list[dict]:
    def totals(sheets):
        return {(s["stage"], s["proposal"], s["reviewer"]): s["total"] for s in sheets}

    def order(key):
        stage, proposal, reviewer = key
        return (stage_order.get(stage, len(stage_order)), stage, proposal, len(reviewer), reviewer)

    return [
        {
            "change": _kind(old, new),
            "stage": stage,
            "proposal": proposal,
            "reviewer": reviewer,
            "before": old,
            "after": new,
        }
        for (stage, proposal, reviewer), old, new in _keyed_diff(totals(before), totals(after), order)
    ]


def _averages(before: list, after: list, stage_order: dict) -> list[dict]:
    def values(averages):
        return {(a["stage"], a["proposal"], a["criterion"]): a["average"] for a in averages}

    def order(key):
        return (stage_order.get(key[0], len(stage_order)), *key)

    return [
        {"stage": stage, "proposal": proposal, "criterion": criterion, "before": old, "after": new}
        for (stage, proposal, criterion), old, new in _keyed_diff(values(before), values(after), order)
    ]


def _adjustments(before: list, after: list, item_names: dict) -> list[dict]:
    def counted(adjustments):
        return Counter((a["proposal"], a["points"], a["reason"], a.get("item", "")) for a in adjustments)

    old, new = counted(before), counted(after)
    changes = [("removed", key) for key in (old - new).elements()]
    changes += [("added", key) for key in (new - old).elements()]
    return [
        {
            "change": change,
            "proposal": proposal,
            "points": points,
            "reason": reason,
            **({"item": item, "item_name": item_names.get(item, item)} if item else {}),  # SPEC §8.4
        }
        for change, (proposal, points, reason, item) in sorted(
            changes, key=lambda c: (c[1][0], c[0] == "added", c[1])
        )
    ]


def _draws(before: list, after: list) -> list[dict]:
    def orders(draws):
        return {d["proposal"]: d["order"] for d in draws}

    return [
        {"change": _kind(old, new), "proposal": proposal, "before": old, "after": new}
        for proposal, old, new in _keyed_diff(orders(before), orders(after), str)
    ]


PROPOSAL_FIELDS = (
    "reference",
    "applicant",
    "province",  # compared where both snapshots hold it (SPEC §8.7)
    "title",
    "category",
    "track",
    "status",
    "national_subsidy",
    "local_matching",
)


def _proposals(before: list, after: list) -> list[dict]:
    old = {p["key"]: p for p in before}
    new = {p["key"]: p for p in after}
    changes = []
    for key in sorted(set(old) | set(new)):
        was, now = old.get(key), new.get(key)
        if was is None or now is None:
            changes.append(
                {
                    "change": _kind(was, now),
                    "proposal": key,
                    "applicant": (now or was)["applicant"],
                    "fields": {},
                }
            )
            continue
        fields = {
            name: [was[name], now[name]]
            for name in PROPOSAL_FIELDS
            if name in was and name in now and was[name] != now[name]
        }
        if fields:
            changes.append(
                {"change": "changed", "proposal": key, "applicant": now["applicant"], "fields": fields}
            )
    return changes


def _settings(inputs: dict) -> dict:
    """Every rule setting of a snapshot's inputs as ``{name: value}``: ``rules.X``,
    ``stages.CODE.X``, ``categories.CODE.X`` and ``tracks.CATEGORY.CODE.X``."""
    flat = {f"rules.{name}": value for name, value in inputs["rules"].items()}
    for stage in inputs["stages"]:
        for name, value in stage.items():
            if name != "code":
                flat[f"stages.{stage['code']}.{name}"] = value
    for category in inputs["categories"]:
        for name in ("name", "slots", "max_per_province"):  # the last only where set (SPEC §8.2)
            if name in category:
                flat[f"categories.{category['code']}.{name}"] = category[name]
        for track in category["tracks"]:
            for name, value in track.items():
                if name != "code":
                    flat[f"tracks.{category['code']}.{track['code']}.{name}"] = value
    return flat


def _rules(before: dict, after: dict) -> list[dict]:
    old, new = _settings(before), _settings(after)
    order = {name: index for index, name in enumerate([*new, *(name for name in old if name not in new)])}
    return [
        {"setting": name, "before": was, "after": now}
        for name, was, now in _keyed_diff(old, new, order.__getitem__)
    ]


def _outcome(before: dict, after: dict) -> list[dict]:
    def rows(document):
        found = {}
        for category in document["categories"]:
            for track in category["tracks"]:
                for row in track["ranking"]:
                    key = (category["code"], track["code"], row["reference"], row["applicant"])
                    found[key] = {"rank": row["rank"], "score": row["score"], "status": row["status"]}
        return found

    old, new = rows(before), rows(after)
    order = {key: index for index, key in enumerate([*new, *(key for key in old if key not in new)])}
    return [
        {
            "category": category,
            "track": track,
            "reference": reference,
            "applicant": applicant,
            "before": was,
            "after": now,
        }
        for (category, track, reference, applicant), was, now in _keyed_diff(old, new, order.__getitem__)
    ]


# --- In words, for the command and the officials' page ------------------------------------------


def describe_changes(snapshot: dict) -> list[str]:
    """The snapshot's 정정 사항 as sentences (empty for a first publication)."""
    changes = snapshot.get("changes")
    if not changes:
        return []
    inputs = snapshot["inputs"]
    stage_names = {stage["code"]: stage["name"] for stage in inputs["stages"]}
    applicants = {p["key"]: p["applicant"] for p in inputs["proposals"]}
    track_names = {(c["code"], t["code"]): t["name"] for c in inputs["categories"] for t in c["tracks"]}

    def proposal(key, applicant=None):
        return f"{key} {applicant or applicants.get(key, '')}".strip()

    def stage(code):
        return stage_names.get(code, code)

    lines = []
    for sheet in changes.get("sheets", []):
        values = {
            "stage": stage(sheet["stage"]),
            "proposal": proposal(sheet["proposal"]),
            "reviewer": sheet["reviewer"],
            "before": sheet["before"],
            "after": sheet["after"],
        }
        text = {
            "added": _("Sheet added — %(stage)s, %(proposal)s, reviewer %(reviewer)s: total %(after)s"),
            "changed": _(
                "Sheet changed — %(stage)s, %(proposal)s, reviewer %(reviewer)s: total %(before)s → %(after)s"
            ),
            "removed": _(
                "Sheet no longer counted — %(stage)s, %(proposal)s, reviewer %(reviewer)s: total %(before)s"
            ),
        }[sheet["change"]]
        lines.append(text % values)
    for average in changes.get("criterion_averages", []):
        lines.append(
            _("Criterion average changed — %(stage)s, %(proposal)s, %(criterion)s: %(before)s → %(after)s")
            % {
                "stage": stage(average["stage"]),
                "proposal": proposal(average["proposal"]),
                "criterion": average["criterion"],
                "before": _shown(average["before"]),
                "after": _shown(average["after"]),
            }
        )
    for adjustment in changes.get("adjustments", []):
        reason = adjustment["reason"]
        if adjustment.get("item"):
            reason = f"{adjustment.get('item_name') or adjustment['item']}: {reason}"
        text = {
            "added": _("Bonus or penalty added — %(proposal)s: %(points)s (%(reason)s)"),
            "removed": _("Bonus or penalty removed — %(proposal)s: %(points)s (%(reason)s)"),
        }[adjustment["change"]]
        lines.append(
            text
            % {
                "proposal": proposal(adjustment["proposal"]),
                "points": adjustment["points"],
                "reason": reason,
            }
        )
    for draw in changes.get("draws", []):
        text = {
            "added": _("Draw recorded — %(proposal)s: order %(after)s"),
            "changed": _("Draw changed — %(proposal)s: order %(before)s → %(after)s"),
            "removed": _("Draw removed — %(proposal)s: order %(before)s"),
        }[draw["change"]]
        lines.append(
            text % {"proposal": proposal(draw["proposal"]), "before": draw["before"], "after": draw["after"]}
        )
    for entry in changes.get("proposals", []):
        name = proposal(entry["proposal"], entry["applicant"])
        if entry["change"] == "added":
            lines.append(_("Proposal added — %(proposal)s") % {"proposal": name})
        elif entry["change"] == "removed":
            lines.append(_("Proposal removed — %(proposal)s") % {"proposal": name})
        for field, (was, now) in entry["fields"].items():
            lines.append(
                _("Proposal changed — %(proposal)s, %(field)s: %(before)s → %(after)s")
                % {
                    "proposal": name,
                    "field": _proposal_field(field),
                    "before": _proposal_value(field, was),
                    "after": _proposal_value(field, now),
                }
            )
    for rule in changes.get("rules", []):
        lines.append(
            _("Rule changed — %(setting)s: %(before)s → %(after)s")
            % {
                "setting": _setting_label(rule["setting"], stage_names, track_names),
                "before": _setting_value(rule["setting"], rule["before"]),
                "after": _setting_value(rule["setting"], rule["after"]),
            }
        )
    for row in changes.get("outcome", []):
        lines.append(
            _("Result changed — %(track)s, %(proposal)s: %(changes)s")
            % {
                "track": track_names.get((row["category"], row["track"]), row["track"]),
                "proposal": f"{row['reference']} {row['applicant']}".strip(),
                "changes": ", ".join(_outcome_parts(row["before"], row["after"])),
            }
        )
    return lines


def _shown(value) -> str:
    return "—" if value is None or value == "" else str(value)


def _outcome_parts(before: dict | None, after: dict | None) -> list[str]:
    before, after = before or {}, after or {}
    parts = []
    if before.get("rank") != after.get("rank"):
        parts.append(
            _("rank %(before)s → %(after)s")
            % {"before": _shown(before.get("rank")), "after": _shown(after.get("rank"))}
        )
    if before.get("score") != after.get("score"):
        parts.append(
            _("score %(before)s → %(after)s")
            % {"before": _shown(before.get("score")), "after": _shown(after.get("score"))}
        )
    if before.get("status") != after.get("status"):
        parts.append(
            _("status %(before)s → %(after)s")
            % {"before": _status(before.get("status")), "after": _status(after.get("status"))}
        )
    return parts


def _status(value) -> str:
    return _shown(value) if not value else str(status_label(value))


def _proposal_field(name: str) -> str:
    labels = {"applicant": _("Applicant"), "category": _("Category"), "track": _("Track")}
    if name in labels:
        return str(labels[name])
    return str(Proposal._meta.get_field(name).verbose_name)


def _proposal_value(name: str, value) -> str:
    if name == "status" and value in Proposal.Status.values:
        return str(Proposal.Status(value).label)
    return _shown(value)


RULE_FIELDS = {"final": "final_score"}  # snapshot key → Competition field, where they differ


def _setting_label(setting: str, stage_names: dict, track_names: dict) -> str:
    parts = setting.split(".")
    if parts[0] == "rules":
        field = RULE_FIELDS.get(parts[1], parts[1])
        return str(Competition._meta.get_field(field).verbose_name)
    if parts[0] == "stages":
        _kind, code, name = parts
        label = (
            _("tie-break criteria")
            if name == "tie_break_criteria"
            else Stage._meta.get_field(name).verbose_name
        )
        return f"{stage_names.get(code, code)} {label}"
    if parts[0] == "categories":
        _kind, code, name = parts
        return f"{code} {Category._meta.get_field(name).verbose_name}"
    _kind, category, code, name = parts
    return f"{track_names.get((category, code), code)} {Track._meta.get_field(name).verbose_name}"


def _setting_value(setting: str, value) -> str:
    if setting == "rules.final" and value in Competition.FinalScore.values:
        return str(Competition.FinalScore(value).label)
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "—"
    return _shown(value)


# --- Appeals a correction follows (이의신청 인용, evaluation.appeals) ---------------------------


def accepted_uncited(competition):
    """Accepted appeals of the competition that no correction has cited yet."""
    return Appeal.objects.filter(
        publication__competition=competition, status=Appeal.Status.ACCEPTED, corrected_by__isnull=True
    ).order_by("pk")


def cited_in_snapshot(appeals) -> list[dict]:
    """How a correction's snapshot cites the accepted appeals it follows."""
    return [
        {
            "id": appeal.pk,
            "publication": appeal.publication.number,
            "proposal": appeal.letter.content["proposal"]["key"],
            "ground": appeal.ground,
            "decision": appeal.decision_reason,
        }
        for appeal in appeals
    ]
