"""The ranking engine: ``rank(inputs)`` is the one computation of a competition's outcome (SPEC §4,
§6, §8.6), a pure function of plain data. The officials' pages, ``rank``, the exports, ``publish``
and ``verify_publication`` all call it: ``evaluation.ranking.ranking_inputs`` loads the inputs from
the database, and a publication stores the very same inputs in its snapshot, so verifying a
publication is ranking its stored inputs again.

The inputs (``RankingInputs``) are shaped like a snapshot's ``inputs``; numbers are Decimals or
their exact text (a stored snapshot holds text):

- ``rules``: ``trim_min_reviewers``, ``trim_count``, ``adjustment_cap``, ``reserve``,
  ``minimum_score`` (or None), ``final`` (``last`` or ``weighted``) and, only where it is not
  one, ``ratio_decimals`` (SPEC §8.5);
- ``stages`` in order: ``code``, ``name``, ``order``, ``weight``, ``advance_top_multiple``,
  ``advance_cutoff`` and ``tie_break_criteria`` (criterion codes by priority);
- ``categories``: ``code``, ``name``, ``slots`` (a category pooling its slots; else None),
  ``tracks`` (``code``, ``name``, ``slots``, ``subsidy``, ``matching_ratio``) and, only where
  set, ``max_per_province`` (SPEC §8.2; ``rules.max_per_province`` likewise for the competition);
- ``proposals``: ``key`` (the 접수번호, or ``#id``), ``id``, ``reference``, ``applicant``,
  ``province`` (광역; absent from inputs recorded before it was), ``title``, ``category``,
  ``track``, ``status``, ``national_subsidy``, ``local_matching``;
- ``sheets``: every counted sheet (SPEC §4.2) as ``stage``, ``proposal`` (key), ``reviewer`` (its
  code, ``evaluation.reviewer_codes``) and ``total``, in sheet order;
- ``criterion_averages``: the kept-sheet average of each tie-break criterion of the last stage,
  as ``stage``, ``proposal``, ``criterion``, ``average``;
- ``adjustments`` (``proposal``, ``points``, ``reason``) and ``draws`` (``proposal``, ``order``,
  ``method``);
- ``missing`` — only while any sheet is owed: ``stage`` and ``proposal`` of each sheet an
  assigned, unconflicted reviewer has not submitted (SPEC §8.6).
"""

import functools
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from proposals.models import Competition, Proposal

from . import rules

RankingInputs = dict[str, Any]

# Statuses of SPEC §6 beside the selection statuses of ``evaluation.rules``.
ELIMINATED, INELIGIBLE, WITHDRAWN = "eliminated", "ineligible", "withdrawn"
OVER_CAP, PENDING = rules.OVER_CAP, "pending"  # SPEC §8.2 (ranked, never selected), §8.6
# Unranked proposals follow the ranked ones in this order (SPEC §6).
UNRANKED_ORDER = (PENDING, ELIMINATED, INELIGIBLE, WITHDRAWN)
DEFAULT_RATIO_DECIMALS = 1  # SPEC §4.7; ``rules.ratio_decimals`` in the inputs where set (§8.5)

FINAL_WEIGHTED = Competition.FinalScore.WEIGHTED
PROPOSAL_SUBMITTED, PROPOSAL_INELIGIBLE, PROPOSAL_WITHDRAWN = (
    Proposal.Status.SUBMITTED,
    Proposal.Status.INELIGIBLE,
    Proposal.Status.WITHDRAWN,
)
counts_as_applicant = Proposal.status_counts_as_applicant


def selection_group(category: str, track: str, pooled: bool) -> tuple:
    """The ranking a proposal competes in for slots: its track, or its category where the category
    pools its slots (SPEC §4.6)."""
    return ("category", category) if pooled else ("track", category, track)


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(value)


# Sheet totals repeat (a few hundred distinct texts across 140,000 sheets): each text becomes a
# Decimal once. Keyed by the text itself, so "85.5" and "85.50" stay distinct objects.
_decimal_of_text = functools.lru_cache(maxsize=65536)(Decimal)


@dataclass
class RankedProposal:
    id: int
    key: str
    reference: str
    applicant: str
    title: str
    category: str
    track: str
    national_subsidy: Decimal
    local_matching: Decimal
    province: str = ""  # 광역 (SPEC §8.7); "" in inputs recorded before provinces were
    # How pages and exports name the applicant: with its 광역 where another applicant of the
    # competition has the same name (고성군(강원), 고성군(경남); SPEC §8.5).
    applicant_shown: str = ""
    stage_scores: dict = field(default_factory=dict)  # code of each stage entered → exact score or None
    adjustment: Decimal = Decimal(0)
    score: Decimal | None = None  # final, adjustments included, exact
    rank: int | None = None
    status: str = ""
    tie_break: str | None = None

    @property
    def shown_score(self) -> str | None:
        return rules.score_text(self.score)


@dataclass
class TrackRanking:
    code: str
    name: str
    applicants: int
    slots: int | None
    ratio: str | None
    subsidy: Decimal
    matching_ratio: Decimal
    ranking: list[RankedProposal] = field(default_factory=list)


@dataclass
class CategoryRanking:
    code: str
    name: str
    applicants: int
    slots: int
    ratio: str | None
    pooled: bool
    tracks: list[TrackRanking] = field(default_factory=list)
    ranking: list[RankedProposal] = field(default_factory=list)  # the pooled ranking, if pooled


@dataclass
class Outcome:
    categories: list[CategoryRanking]
    rows: dict[str, RankedProposal]  # by proposal key
    entrants: dict[str, set]  # stage code → keys of the proposals that entered it
    # SPEC §8.7: per 광역, applicants and selected; None for inputs without provinces (a
    # publication made before they were recorded, whose outcome has none).
    provinces: list[dict] | None = None


# --- The stages (SPEC §4.2–4.3, §8.6) ----------------------------------------------------------


@dataclass
class StageWalk:
    entrants: dict  # stage code → keys that entered it
    scores: dict  # key → {stage code: exact stage score or None}
    pending: set  # keys still owed a sheet in a stage they reached
    finished: set  # keys that passed every stage and are scored in the last


class _Plan:
    """The inputs, read once into lookups."""

    def __init__(self, inputs: RankingInputs):
        settings = inputs["rules"]
        self.trim_min = settings["trim_min_reviewers"]
        self.trim_count = settings["trim_count"]
        self.stages = inputs["stages"]
        self.proposals = inputs["proposals"]
        self.by_key = {p["key"]: p for p in self.proposals}
        pooled = {c["code"]: c["slots"] for c in inputs["categories"] if c["slots"] is not None}
        self.slots = {("category", code): slots for code, slots in pooled.items()}
        for category in inputs["categories"]:
            for track in category["tracks"]:
                self.slots.setdefault(("track", category["code"], track["code"]), track["slots"])
        self.group = {
            p["key"]: selection_group(p["category"], p["track"], p["category"] in pooled)
            for p in self.proposals
        }
        # SPEC §8.2: a category's own max_per_province, where set (by category code).
        self.caps = {
            c["code"]: c["max_per_province"] for c in inputs["categories"] if "max_per_province" in c
        }
        self.totals = defaultdict(list)  # (stage, key) → [total] in sheet order
        for sheet in inputs["sheets"]:
            if sheet["total"] is not None:
                self.totals[(sheet["stage"], sheet["proposal"])].append(_decimal_of_text(sheet["total"]))
        self.missing = defaultdict(set)
        for owed in inputs.get("missing") or ():
            self.missing[owed["stage"]].add(owed["proposal"])
        self.eligible = {p["key"] for p in self.proposals if p["status"] == PROPOSAL_SUBMITTED}


def walk_stages(inputs: RankingInputs, *, last_advances: bool = False) -> StageWalk:
    """Each stage scores those that entered it; all but the last advance some of them (SPEC §4.3).
    A proposal still owed a sheet in a stage it reached is pending there: it neither advances nor
    is eliminated (SPEC §8.6). With ``last_advances``, the last stage given advances too (who
    would enter the stage after it)."""
    return _walk(_Plan(inputs), last_advances)


def _walk(plan: _Plan, last_advances: bool) -> StageWalk:
    entrants, scores, pending = {}, defaultdict(dict), set()
    alive = set(plan.eligible)
    for index, stage in enumerate(plan.stages):
        code = stage["code"]
        entrants[code] = alive
        owed = plan.missing[code] & alive
        pending |= owed
        scored = {}
        for key in alive:
            score = None
            if key not in owed:
                score = rules.trimmed_mean(plan.totals.get((code, key), []), plan.trim_min, plan.trim_count)
                scored[key] = score
            scores[key][code] = score
        if index < len(plan.stages) - 1 or last_advances:
            by_group = defaultdict(dict)
            for key, score in scored.items():
                if score is not None:
                    by_group[plan.group[key]][key] = score
            alive = set()
            for group, group_scores in by_group.items():
                alive |= rules.advancing(
                    group_scores,
                    plan.slots[group],
                    _decimal(stage["advance_top_multiple"]),
                    _decimal(stage["advance_cutoff"]),
                )
        else:
            alive = set(scored)
    if not plan.stages:
        alive = set()
    return StageWalk(entrants, scores, pending, alive)


# --- The ranking (SPEC §4.4–4.7) -------------------------------------------------------------


def rank(inputs: RankingInputs) -> Outcome:
    """The outcome of the inputs under the rules of SPEC §4 and §8.6."""
    plan = _Plan(inputs)
    settings = inputs["rules"]
    stages = plan.stages
    weighted = settings["final"] == FINAL_WEIGHTED
    cap = Decimal(settings["adjustment_cap"])
    minimum = _decimal(settings["minimum_score"])
    averages = defaultdict(lambda: defaultdict(dict))  # stage → key → {criterion code: average}
    for average in inputs["criterion_averages"]:
        averages[average["stage"]][average["proposal"]][average["criterion"]] = _decimal_of_text(
            average["average"]
        )
    adjustments = defaultdict(list)
    for adjustment in inputs["adjustments"]:
        adjustments[adjustment["proposal"]].append(Decimal(adjustment["points"]))
    draws = {d["proposal"]: d["order"] for d in inputs["draws"]}

    # Names that applicants of several 광역 share (no container per name: a ranking holds
    # hundreds of thousands of objects, and each new one brings the collector closer).
    first_province, shared = {}, set()
    for p in plan.proposals:
        if first_province.setdefault(p["applicant"], p.get("province", "")) != p.get("province", ""):
            shared.add(p["applicant"])
    rows = {
        p["key"]: RankedProposal(
            id=p["id"],
            key=p["key"],
            reference=p["reference"],
            applicant=p["applicant"],
            title=p["title"],
            category=p["category"],
            track=p["track"],
            national_subsidy=_decimal_of_text(p["national_subsidy"]),
            local_matching=_decimal_of_text(p["local_matching"]),
            province=p.get("province", ""),
            applicant_shown=shown_applicant(p["applicant"], p.get("province", ""), shared),
        )
        for p in plan.proposals
    }
    walk = _walk(plan, last_advances=False)
    for key, scores in walk.scores.items():
        rows[key].stage_scores = scores
    for key in walk.pending:
        rows[key].status = PENDING
    for key in plan.eligible - walk.finished - walk.pending:
        rows[key].status = ELIMINATED

    ranked = []
    for key in walk.finished:
        row = rows[key]
        base = rules.final_score(
            [(row.stage_scores.get(s["code"]), _decimal(s["weight"])) for s in stages], weighted
        )
        if base is None:
            row.status = ELIMINATED
            continue
        row.adjustment = rules.capped_adjustment([sum(adjustments.get(key, []), Decimal(0))], cap)
        row.score = base + row.adjustment
        ranked.append(key)

    last = stages[-1]["code"] if stages else None
    tie_criteria = stages[-1]["tie_break_criteria"] if stages else []
    chain = settings.get("tie_break")  # SPEC §8.3; absent: the default of §4.5
    criteria_of = {stage["code"]: stage["tie_break_criteria"] for stage in stages}
    groups = defaultdict(list)
    for key in ranked:
        groups[plan.group[key]].append(key)
    no_averages = {}
    last_averages = averages.get(last, {})
    for group, keys in groups.items():
        contenders = []
        for key in keys:
            row, found = rows[key], last_averages.get(key, no_averages)
            contenders.append(
                rules.Contender(
                    key=key,
                    score=row.score,
                    criteria=tuple([(code, found.get(code)) for code in tie_criteria]),
                    subsidy=row.national_subsidy,
                    draw=draws.get(key),
                    chain=None
                    if chain is None
                    else tie_breakers(chain, row, key, averages, last, criteria_of),
                )
            )
        placed = rules.rank_contenders(contenders)
        cap = plan.caps.get(group[1], settings.get("max_per_province"))  # SPEC §8.2: the category's wins
        statuses = rules.select(
            placed,
            plan.slots[group] or 0,
            settings["reserve"],
            minimum,
            province_of={key: rows[key].province for key in keys} if cap is not None else None,
            cap=cap,
        )
        for item in placed:
            row = rows[item.contender.key]
            row.rank, row.tie_break, row.status = item.rank, item.tie_break, statuses[item.contender.key]
    for p in plan.proposals:
        row = rows[p["key"]]
        if p["status"] == PROPOSAL_INELIGIBLE:
            row.status = INELIGIBLE
        elif p["status"] == PROPOSAL_WITHDRAWN:
            row.status = WITHDRAWN
        if row.status in UNRANKED_ORDER:
            row.score, row.rank, row.tie_break = None, None, None
    provinces = province_results(plan, rows) if all("province" in p for p in plan.proposals) else None
    return Outcome(_arrange(inputs, plan, rows), rows, walk.entrants, provinces)


def shown_applicant(name: str, province: str, shared: set) -> str:
    """``name``, or ``name(province)`` where applicants of that name come from several 광역."""
    return f"{name}({province})" if name in shared and province else name


def province_results(plan: "_Plan", rows: dict) -> list[dict]:
    """Per 광역 (SPEC §8.7): applicants as in §4.7 and the selected, by applicants (most first),
    then by name."""
    found: dict[str, dict] = {}
    for p in plan.proposals:
        entry = found.setdefault(p["province"], {"province": p["province"], "applicants": 0, "selected": 0})
        entry["applicants"] += counts_as_applicant(p["status"])
        entry["selected"] += rows[p["key"]].status == rules.SELECTED
    return sorted(found.values(), key=lambda entry: (-entry["applicants"], entry["province"]))


def tie_breakers(
    chain: list[str], row: RankedProposal, key: str, averages: dict, last, criteria_of: dict
) -> tuple:
    """A proposal's values for a configured tie-break chain (SPEC §8.3), as ``rules.Contender``
    takes them: (rule, value, kind) per element; ``averages``: stage → key → {code: average}. A
    stage the inputs do not have gives nothing."""
    found = []
    for element in chain:
        kind, _sep, stage = element.partition(":")
        if element == "subsidy":
            found.append(("subsidy", row.national_subsidy, rules.LOWER_FIRST))
        elif element == "criteria":
            found += [
                (
                    rules.criterion_rule(code),
                    averages.get(last, {}).get(key, {}).get(code),
                    rules.HIGHER_FIRST,
                )
                for code in criteria_of.get(last, [])
            ]
        elif kind == "criteria":
            found += [
                (
                    f"criterion:{stage}:{code}",
                    averages.get(stage, {}).get(key, {}).get(code),
                    rules.HIGHER_FIRST,
                )
                for code in criteria_of.get(stage, [])
            ]
        elif kind == "stage" and stage in criteria_of:
            found.append((f"stage:{stage}", row.stage_scores.get(stage), rules.HIGHER_FIRST))
    return tuple(found)


def _order_key(row: RankedProposal):
    if row.rank is not None:
        return (0, row.rank, row.reference, row.id)
    tail = UNRANKED_ORDER.index(row.status) if row.status in UNRANKED_ORDER else len(UNRANKED_ORDER)
    return (1, tail, row.reference, row.id)


def _arrange(inputs, plan, rows) -> list[CategoryRanking]:
    """The rows under their categories and tracks, with applicants, slots and ratios (SPEC §4.7)."""
    by_track = defaultdict(list)
    for p in plan.proposals:
        by_track[(p["category"], p["track"])].append(rows[p["key"]])
    ratio_decimals = inputs["rules"].get("ratio_decimals", DEFAULT_RATIO_DECIMALS)
    arranged = []
    for category in inputs["categories"]:
        pooled = category["slots"] is not None
        members = [by_track[(category["code"], track["code"])] for track in category["tracks"]]
        counted = [
            (track["slots"], sum(1 for row in rows if counts_as_applicant(plan.by_key[row.key]["status"])))
            for track, rows in zip(category["tracks"], members, strict=True)
        ]
        total, per_track = rules.slot_counts(category["slots"], counted, ratio_decimals)
        entry = CategoryRanking(
            code=category["code"],
            name=category["name"],
            applicants=total.applicants,
            slots=total.slots,
            ratio=total.ratio,
            pooled=pooled,
        )
        for track, rows, count in zip(category["tracks"], members, per_track, strict=True):
            entry.tracks.append(
                TrackRanking(
                    code=track["code"],
                    name=track["name"],
                    applicants=count.applicants,
                    slots=count.slots,
                    ratio=count.ratio,
                    subsidy=Decimal(track["subsidy"]),
                    matching_ratio=Decimal(track["matching_ratio"]),
                    ranking=sorted(rows, key=_order_key),
                )
            )
        if pooled:
            entry.ranking = sorted((row for t in entry.tracks for row in t.ranking), key=_order_key)
        arranged.append(entry)
    return arranged


# --- The outcome as documents (SPEC §6) and as a publication stores it -------------------------


def ranking_document(
    categories: list[CategoryRanking], slug: str | None, provinces: list | None = None
) -> dict:
    """The JSON document of ``rank --json`` (SPEC §6), with ``provinces`` (SPEC §8.7) where the
    outcome has them."""

    def proposal(row: RankedProposal) -> dict:
        return {
            "rank": row.rank,
            "reference": row.reference,
            "applicant": row.applicant,
            "title": row.title,
            "score": row.shown_score,
            "status": row.status,
            "tie_break": row.tie_break,
        }

    document = {
        "competition": slug,
        "categories": [
            {
                "code": category.code,
                "name": category.name,
                "applicants": category.applicants,
                "slots": category.slots,
                "ratio": category.ratio,
                "tracks": [
                    {
                        "code": track.code,
                        "name": track.name,
                        "applicants": track.applicants,
                        "slots": track.slots,
                        "ratio": track.ratio,
                        "ranking": [proposal(row) for row in track.ranking],
                    }
                    for track in category.tracks
                ],
            }
            for category in categories
        ],
    }
    if provinces is not None:
        document["provinces"] = provinces
    return document


def _text(value) -> str | None:
    return None if value is None else format(Decimal(value), "f")


def published_outcome(inputs: RankingInputs, slug: str | None, outcome: Outcome | None = None) -> dict:
    """What a publication stores as its outcome: the SPEC §6 document and the totals of the
    selected. ``outcome`` is ``rank(inputs)`` when the caller has it already."""
    outcome = outcome or rank(inputs)
    document = ranking_document(outcome.categories, slug, outcome.provinces)
    return {"ranking": document, "totals": selected_totals(outcome)}


def selected_totals(outcome: Outcome) -> dict:
    """Per track, per category and overall: the selected (applicant, title, amounts) and the sums
    of their national subsidy and local matching."""
    grand = {"selected": 0, "national_subsidy": Decimal(0), "local_matching": Decimal(0)}
    categories, tracks = [], []
    for category in outcome.categories:
        sums = {"selected": 0, "national_subsidy": Decimal(0), "local_matching": Decimal(0)}
        for track in category.tracks:
            chosen = [row for row in track.ranking if row.status == rules.SELECTED]
            national = sum((row.national_subsidy for row in chosen), Decimal(0))
            local = sum((row.local_matching for row in chosen), Decimal(0))
            tracks.append(
                {
                    "category": category.code,
                    "track": track.code,
                    "selected": [
                        {
                            "reference": row.reference,
                            "applicant": row.applicant_shown,
                            "title": row.title,
                            "national_subsidy": _text(row.national_subsidy),
                            "local_matching": _text(row.local_matching),
                        }
                        for row in chosen
                    ],
                    "national_subsidy": _text(national),
                    "local_matching": _text(local),
                }
            )
            for sums_of in (sums, grand):
                sums_of["selected"] += len(chosen)
                sums_of["national_subsidy"] += national
                sums_of["local_matching"] += local
        categories.append(
            {
                "category": category.code,
                "selected": sums["selected"],
                "national_subsidy": _text(sums["national_subsidy"]),
                "local_matching": _text(sums["local_matching"]),
            }
        )
    return {
        "tracks": tracks,
        "categories": categories,
        "all": {
            "selected": grand["selected"],
            "national_subsidy": _text(grand["national_subsidy"]),
            "local_matching": _text(grand["local_matching"]),
        },
    }
