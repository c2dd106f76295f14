"""Fair and explainable evaluation (issue 13): reviewer leniency, disagreement and decision
stability, as PURE functions of the ranking inputs (``evaluation.engine``'s ``RankingInputs``,
as ``evaluation.ranking.ranking_inputs`` loads them). Advisory only: nothing here changes a score.

The inputs name a sheet's reviewer by code (A, B, …), and a code names a reviewer only within one
proposal and stage (``evaluation.reviewer_codes``). Per-reviewer figures therefore need each
sheet's reviewer: the caller adds ``reviewer_id`` (any hashable identity) to each sheet; without it
the code stands in (right only for inputs built that way, e.g. in tests).

Decision stability follows the engine's rules without calling ``engine.rank`` once per round (a
ranking of 2,000 proposals costs ≈ 0.15 s; 1,000 rounds would take minutes). The lighter path
uses the same rules from ``evaluation.rules``:

- a stage score is the mean of the totals ``rules.kept_sheets`` keeps — which places of a sorted
  list of n totals are kept is asked of ``rules.kept_sheets`` once per n (equal totals give the
  same mean whichever of them is dropped);
- advancement is ``rules.advancing``; the final score ``rules.final_score`` plus the capped
  adjustment (``rules.capped_adjustment``); the selection ``rules.rank_contenders`` and
  ``rules.select`` with the default tie-break chain (the last stage's criterion averages as
  recorded — a resampled sheet carries no criterion points —, the requested subsidy, a recorded
  draw). Not modelled per round: a configured tie-break chain (SPEC §8.3) and the province cap
  (§8.2); ``light_selection`` is checked against ``engine.rank`` in the tests.
- in a competition of one stage, a proposal whose best possible resampled score (its highest
  total) rounds below the lowest possible score of ``slots`` others that always reach the minimum
  can never be selected, and is left out of the rounds (an exact shortcut, not an approximation).
"""

import random
from collections import defaultdict
from decimal import Decimal

from . import engine, rules

DEFAULT_ROUNDS = 1000
DEFAULT_SEED = 20231  # recorded, so a run is reproducible
# 조달청 practice: a reviewer (or sheet) more than 10 % of the stage's maximum total from the panel.
DEFAULT_THRESHOLD_SHARE = Decimal("0.10")
DEFAULT_MAX_TOTAL = Decimal(100)  # where the stage's maximum total is not given
ICC = "icc1"
_HUNDREDTH = Decimal("0.01")


def two(value) -> str | None:
    """A number as the analysis reports it: two decimals, rounded half-up; None stays None."""
    if value is None:
        return None
    exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    return f"{rules.round_half_up(exact) + 0:.2f}"  # + 0: never "-0.00"


def three(value: float) -> str:
    return f"{rules.round_half_up(Decimal(repr(value)), 3):.3f}"


def group_name(group: tuple) -> str:
    """A selection group as the analysis names it: ``category`` (pooled) or ``category/track``."""
    return "/".join(group[1:])


# --- Reading the inputs ------------------------------------------------------------------------


def stage_sheets(inputs) -> dict:
    """{stage code: {proposal key: [(reviewer id, code, total)]}} of the counted sheets."""
    found = defaultdict(lambda: defaultdict(list))
    for sheet in inputs["sheets"]:
        if sheet["total"] is None:
            continue
        reviewer = sheet.get("reviewer_id", sheet["reviewer"])
        found[sheet["stage"]][sheet["proposal"]].append(
            (reviewer, sheet["reviewer"], Decimal(sheet["total"]))
        )
    return found


# --- Per reviewer and per sheet ----------------------------------------------------------------


def deviations(by_proposal: dict) -> tuple[dict, list]:
    """Leave-self-out deviations: ({reviewer: [total − mean of the others' totals]}, [(proposal,
    reviewer, code, total, others' mean)]) over proposals with at least two sheets."""
    per_reviewer, per_sheet = defaultdict(list), []
    for key, sheets in by_proposal.items():
        if len(sheets) < 2:
            continue
        whole = sum((total for _r, _c, total in sheets), Decimal(0))
        for reviewer, code, total in sheets:
            others = (whole - total) / (len(sheets) - 1)
            per_reviewer[reviewer].append(total - others)
            per_sheet.append((key, reviewer, code, total, others))
    return per_reviewer, per_sheet


def components(by_proposal: dict) -> list[set]:
    """The connected panels of a stage: reviewers joined by a proposal they both scored."""
    parent: dict = {}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for sheets in by_proposal.values():
        reviewers = [reviewer for reviewer, _c, _t in sheets]
        for reviewer in reviewers:
            parent.setdefault(reviewer, reviewer)
        for other in reviewers[1:]:
            a, b = find(reviewers[0]), find(other)
            if a != b:
                parent[b] = a
    found = defaultdict(set)
    for reviewer in parent:
        found[find(reviewer)].add(reviewer)
    return sorted(found.values(), key=lambda panel: sorted(map(str, panel)))


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (a few dozen unknowns)."""
    n = len(vector)
    a = [[*row, vector[i]] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        if abs(a[col][col]) < 1e-12:
            continue
        for r in range(col + 1, n):
            factor = a[r][col] / a[col][col]
            if factor:
                for c in range(col, n + 1):
                    a[r][c] -= factor * a[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        if abs(a[r][r]) < 1e-12:
            continue
        x[r] = (a[r][n] - sum(a[r][c] * x[c] for c in range(r + 1, n))) / a[r][r]
    return x


def biases(by_proposal: dict) -> dict:
    """Least-squares reviewer offsets (Platt–Burges): total = proposal quality + reviewer offset +
    noise, the offsets summing to 0 on each connected panel. The qualities are eliminated: for
    reviewer i, Σ_j [(t_ij − b_i) − mean_k∈j (t_kj − b_k)] = 0, i.e. M b = r with M a weighted
    graph Laplacian; adding the all-ones matrix per panel fixes Σ b = 0 there."""
    found = {}
    for panel in components(by_proposal):
        order = sorted(panel, key=str)
        index = {reviewer: i for i, reviewer in enumerate(order)}
        n = len(order)
        matrix = [[1.0] * n for _ in range(n)]  # the all-ones matrix: Σ b = 0 on the panel
        vector = [0.0] * n
        for sheets in by_proposal.values():
            if not sheets or sheets[0][0] not in index:
                continue
            weight = 1.0 / len(sheets)
            mean = sum(float(total) for _r, _c, total in sheets) * weight
            places = [index[reviewer] for reviewer, _c, _t in sheets]
            for (_r, _c, total), i in zip(sheets, places, strict=True):
                vector[i] += float(total) - mean
                matrix[i][i] += 1.0
                for k in places:
                    matrix[i][k] -= weight
        for reviewer, value in zip(order, _solve(matrix, vector), strict=True):
            found[reviewer] = value
    return found


def icc1(by_proposal: dict) -> tuple[float | None, int]:
    """ICC(1), one-way random effects, unbalanced (k0 for the group size), over proposals with at
    least two sheets: (value, sheets it rests on)."""
    groups = [
        [float(total) for _r, _c, total in sheets] for sheets in by_proposal.values() if len(sheets) >= 2
    ]
    n_total = sum(len(g) for g in groups)
    if len(groups) < 2:
        return None, n_total
    grand = sum(sum(g) for g in groups) / n_total
    between = sum(len(g) * (sum(g) / len(g) - grand) ** 2 for g in groups)
    within = sum(sum((x - sum(g) / len(g)) ** 2 for x in g) for g in groups)
    msb = between / (len(groups) - 1)
    msw = within / (n_total - len(groups)) if n_total > len(groups) else 0.0
    k0 = (n_total - sum(len(g) ** 2 for g in groups) / n_total) / (len(groups) - 1)
    denominator = msb + (k0 - 1) * msw
    if denominator == 0:
        return None, n_total
    return (msb - msw) / denominator, n_total


def stage_analysis(code: str, by_proposal: dict, threshold: Decimal, references: dict, names: dict) -> dict:
    """One stage's reviewers (sheets, leave-self-out mean deviation, bias, flag), agreement and
    outlier sheets. Also ``panels`` (how many connected panels) and ``panel_agreement`` (ICC(1) of
    each, with its reviewers, proposals and sheets); the JSON of issue 13 leaves both to the text
    output and the page."""
    per_reviewer, per_sheet = deviations(by_proposal)
    counts = defaultdict(int)
    for sheets in by_proposal.values():
        for reviewer, _c, _t in sheets:
            counts[reviewer] += 1
    estimated = biases(by_proposal)
    reviewers = []
    for reviewer in sorted(counts, key=lambda r: str(names.get(r, r))):
        found = per_reviewer.get(reviewer)
        mean = sum(found, Decimal(0)) / len(found) if found else None
        reviewers.append(
            {
                "email": str(names.get(reviewer, reviewer)),
                "sheets": counts[reviewer],
                "mean_deviation": two(mean),
                "bias": two(estimated.get(reviewer, 0.0)),
                "flagged": mean is not None and abs(mean) > threshold,
            }
        )
    value, sheets = icc1(by_proposal)
    panels = components(by_proposal)
    panel_agreement = []
    for panel in panels:  # agreement per connected panel (issue 13: "per stage and panel")
        within = {key: found for key, found in by_proposal.items() if found and found[0][0] in panel}
        panel_value, panel_sheets = icc1(within)
        panel_agreement.append(
            {
                "reviewers": len(panel),
                "proposals": sorted(within),
                "measure": ICC,
                "value": None if panel_value is None else two(panel_value),
                "sheets": panel_sheets,
            }
        )
    outliers = [
        {
            "reference": references.get(key, key),
            "reviewer_code": code_,
            "total": two(total),
            "others_mean": two(others),
        }
        for key, _reviewer, code_, total, others in sorted(
            per_sheet, key=lambda item: (str(references.get(item[0], item[0])), item[2])
        )
        if abs(total - others) > threshold
    ]
    return {
        "code": code,
        "reviewers": reviewers,
        "agreement": {"measure": ICC, "value": None if value is None else two(value), "sheets": sheets},
        "outlier_sheets": outliers,
        "panels": len(panels),
        "panel_agreement": panel_agreement,
    }


# --- Decision stability (the lighter path of the engine's rules; see the module's note) ---------


_KEPT_PLACES: dict = {}


def kept_places(n: int, trim_min: int, trim_count: int) -> tuple[int, ...]:
    """Which places of n sorted totals ``rules.kept_sheets`` keeps (asked once per n)."""
    key = (n, trim_min, trim_count)
    if key not in _KEPT_PLACES:
        kept, _high, _low = rules.kept_sheets([(i, i) for i in range(n)], trim_min, trim_count)
        _KEPT_PLACES[key] = tuple(place for place, _total in kept)
    return _KEPT_PLACES[key]


def _hundredths(total: Decimal) -> int:
    value = total * 100
    if value != value.to_integral_value():
        raise ValueError(f"a total with more than two decimals: {total}")
    return int(value)


def score_of(totals_h: list[int], trim_min: int, trim_count: int) -> Decimal | None:
    """A stage score (exact Decimal) from totals in hundredths, by the places ``rules.kept_sheets``
    keeps."""
    if not totals_h:
        return None
    ordered = sorted(totals_h)
    places = kept_places(len(ordered), trim_min, trim_count)
    if not places:
        return None
    return Decimal(sum(ordered[p] for p in places)) / (100 * len(places))


class _Light:
    """The inputs read once for repeated selections under changed sheets."""

    def __init__(self, inputs):
        self.inputs = inputs
        settings = inputs["rules"]
        self.trim_min, self.trim_count = settings["trim_min_reviewers"], settings["trim_count"]
        self.stages = inputs["stages"]
        self.weighted = settings["final"] == engine.FINAL_WEIGHTED
        self.minimum = None if settings["minimum_score"] is None else Decimal(settings["minimum_score"])
        self.reserve = settings["reserve"]
        plan = engine._Plan(inputs)
        self.group, self.slots = plan.group, plan.slots
        walk = engine.walk_stages(inputs)
        first = self.stages[0]["code"] if self.stages else None
        self.entrants = (walk.entrants.get(first, set()) - walk.pending) if first else set()
        self.sheets = stage_sheets(inputs)
        self.totals_h = {
            stage: {key: [_hundredths(t) for _r, _c, t in sheets] for key, sheets in by.items()}
            for stage, by in self.sheets.items()
        }
        cap = Decimal(settings["adjustment_cap"])
        points = defaultdict(list)
        for adjustment in inputs["adjustments"]:
            points[adjustment["proposal"]].append(Decimal(adjustment["points"]))
        self.adjustment = {
            key: rules.capped_adjustment([sum(p, Decimal(0))], cap) for key, p in points.items()
        }
        last = self.stages[-1]["code"] if self.stages else None
        averages = defaultdict(dict)
        for average in inputs["criterion_averages"]:
            if average["stage"] == last:
                averages[average["proposal"]][average["criterion"]] = Decimal(average["average"])
        tie = self.stages[-1]["tie_break_criteria"] if self.stages else []
        draws = {d["proposal"]: d["order"] for d in inputs["draws"]}
        subsidy = {p["key"]: Decimal(p["national_subsidy"]) for p in inputs["proposals"]}
        self.chain = {
            key: (tuple((code, averages[key].get(code)) for code in tie), subsidy[key], draws.get(key))
            for key in self.entrants
        }

    def final(self, key, scores: dict) -> Decimal | None:
        base = rules.final_score(
            [(scores.get(s["code"]), engine._decimal(s["weight"])) for s in self.stages], self.weighted
        )
        return None if base is None else base + self.adjustment.get(key, Decimal(0))

    def select(self, finals: dict) -> set:
        """The selected keys among {key: final score}, per selection group (rules.rank_contenders,
        rules.select)."""
        groups = defaultdict(list)
        for key, score in finals.items():
            if score is not None:
                criteria, subsidy, draw = self.chain[key]
                groups[self.group[key]].append(rules.Contender(key, score, criteria, subsidy, draw))
        chosen = set()
        for group, contenders in groups.items():
            placed = rules.rank_contenders(contenders)
            statuses = rules.select(placed, self.slots[group] or 0, self.reserve, self.minimum)
            chosen.update(key for key, status in statuses.items() if status == rules.SELECTED)
        return chosen

    def selection(self, score: callable, keys=None) -> set:
        """The selected set where ``score(stage, key)`` gives each stage score: the stages walked
        with ``rules.advancing``, then ``select``. ``keys``: those to consider (default every
        entrant)."""
        alive = set(self.entrants if keys is None else keys)
        scores = defaultdict(dict)
        for index, stage in enumerate(self.stages):
            code = stage["code"]
            found = {key: score(code, key) for key in alive}
            for key, value in found.items():
                scores[key][code] = value
            if index < len(self.stages) - 1:
                by_group = defaultdict(dict)
                for key, value in found.items():
                    if value is not None:
                        by_group[self.group[key]][key] = value
                alive = set()
                for group, group_scores in by_group.items():
                    alive |= rules.advancing(
                        group_scores,
                        self.slots[group],
                        engine._decimal(stage["advance_top_multiple"]),
                        engine._decimal(stage["advance_cutoff"]),
                    )
            else:
                alive = {key for key, value in found.items() if value is not None}
        return self.select({key: self.final(key, scores[key]) for key in alive})

    def recorded_score(self, code, key, leave_out=None) -> Decimal | None:
        sheets = self.sheets.get(code, {}).get(key, [])
        if leave_out is None:
            totals = self.totals_h.get(code, {}).get(key, [])
        else:
            totals = [_hundredths(t) for reviewer, _c, t in sheets if reviewer != leave_out]
        return score_of(totals, self.trim_min, self.trim_count)

    def candidates(self) -> set:
        """With one stage: the proposals that can be selected in some resample (module note)."""
        code = self.stages[0]["code"]
        bounds = defaultdict(list)
        for key in self.entrants:
            totals = self.totals_h.get(code, {}).get(key)
            if not totals:
                continue
            adjustment = self.adjustment.get(key, Decimal(0))
            low = rules.round_half_up(Decimal(min(totals)) / 100 + adjustment)
            high = rules.round_half_up(Decimal(max(totals)) / 100 + adjustment)
            bounds[self.group[key]].append((key, low, high))
        found = set()
        for group, rows in bounds.items():
            slots = self.slots[group] or 0
            sure = sorted(
                (
                    low
                    for _k, low, _h in rows
                    if self.minimum is None or low >= rules.round_half_up(self.minimum)
                ),
                reverse=True,
            )
            floor = sure[slots - 1] if slots and len(sure) >= slots else Decimal("-Infinity")
            found |= {key for key, _low, high in rows if high >= floor}
        return found


def light_selection(inputs) -> set:
    """The selected set of the inputs by the lighter path (the same as ``engine.rank``'s where no
    configured chain or province cap applies)."""
    light = _Light(inputs)
    return light.selection(light.recorded_score)


def stability(inputs, rounds: int = DEFAULT_ROUNDS, seed: int = DEFAULT_SEED) -> tuple[dict, dict]:
    """({key: share of bootstrap rounds selected}, {key: whether leaving out one reviewer's sheets
    changes the key's selection}). Each round resamples each proposal's counted sheets with
    replacement, in every stage."""
    light = _Light(inputs)
    base = light.selection(light.recorded_score)
    keys = light.entrants
    if len(light.stages) == 1:
        keys = light.candidates()
    rng = random.Random(seed)
    choices = rng.choices
    trim_min, trim_count = light.trim_min, light.trim_count
    counts = dict.fromkeys(light.entrants, 0)
    totals_h = light.totals_h
    for _round in range(rounds):

        def resampled(code, key):
            totals = totals_h.get(code, {}).get(key)
            if not totals:
                return None
            sample = sorted(choices(totals, k=len(totals)))
            places = kept_places(len(sample), trim_min, trim_count)
            return Decimal(sum(sample[p] for p in places)) / (100 * len(places)) if places else None

        for key in light.selection(resampled, keys):
            counts[key] += 1
    shares = {key: count / rounds if rounds else 0.0 for key, count in counts.items()}

    changes = dict.fromkeys(light.entrants, False)
    reviewers = {reviewer for by in light.sheets.values() for s in by.values() for reviewer, _c, _t in s}
    for reviewer in sorted(reviewers, key=str):
        without = light.selection(lambda code, key, r=reviewer: light.recorded_score(code, key, r))
        for key in without ^ base:
            changes[key] = True
    return shares, changes


def margins(outcome) -> list[dict]:
    """Per selection group: points between the last selected and the first not selected (the
    best of those ranked below the minimum included), as published (two decimals)."""
    found = []
    for category in outcome.categories:
        rankings = (
            [("category", category.code, category.ranking)]
            if category.pooled
            else [("track", category.code, track.code, track.ranking) for track in category.tracks]
        )
        for *group, ranking in rankings:
            ranked = [row for row in ranking if row.score is not None and row.rank is not None]
            chosen = [rules.round_half_up(row.score) for row in ranked if row.status == rules.SELECTED]
            others = [rules.round_half_up(row.score) for row in ranked if row.status != rules.SELECTED]
            points = min(chosen) - max(others) if chosen and others else None
            found.append({"group": group_name(tuple(group)), "points": two(points)})
    return found


# --- The document ------------------------------------------------------------------------------


def analyze(
    inputs,
    *,
    slug: str,
    max_totals: dict | None = None,
    names: dict | None = None,
    rounds: int = DEFAULT_ROUNDS,
    seed: int = DEFAULT_SEED,
    threshold_share: Decimal = DEFAULT_THRESHOLD_SHARE,
) -> dict:
    """The analysis document of ``analyze --json`` (issue 13). ``max_totals``: {stage code: the
    sum of its criteria's maxima} (default 100); ``names``: {reviewer id: e-mail}. Each stage also
    carries ``panels`` (its connected panels), which ``document`` leaves out of the JSON."""
    max_totals, names = max_totals or {}, names or {}
    references = {p["key"]: p["reference"] or p["key"] for p in inputs["proposals"]}
    names_of_tracks = {
        (category["code"], track["code"]): track["name"]
        for category in inputs["categories"]
        for track in category["tracks"]
    }
    track_names = {
        p["key"]: names_of_tracks.get((p["category"], p["track"]), "") for p in inputs["proposals"]
    }
    by_stage = stage_sheets(inputs)
    stages = []
    for stage in inputs["stages"]:
        code = stage["code"]
        threshold = Decimal(max_totals.get(code, DEFAULT_MAX_TOTAL)) * threshold_share
        found = stage_analysis(code, by_stage.get(code, {}), threshold, references, names)
        for panel in found["panel_agreement"]:  # named by the tracks of its proposals
            panel["tracks"] = sorted({track_names.get(key, "") for key in panel["proposals"]} - {""})
        stages.append(found)
    shares, changes = stability(inputs, rounds, seed)
    outcome = engine.rank(inputs)
    engine_selected = {key for key, row in outcome.rows.items() if row.status == rules.SELECTED}
    return {
        "competition": slug,
        "stages": stages,
        "stability": [
            {
                "reference": references[key],
                "selected_share": three(shares[key]),
                "loo_changes_selection": changes[key],
            }
            for key in sorted(shares, key=lambda k: references[k])
        ],
        "margins": margins(outcome),
        # Not in the JSON: whether the lighter path selects what the engine selects (it may not
        # under a configured tie-break chain or a province cap; the text output says so).
        "light_matches_engine": light_selection(inputs) == engine_selected,
    }


def document(analysis: dict) -> dict:
    """The JSON of issue 13 exactly: the analysis without the stages' ``panels`` and
    ``panel_agreement`` and the ``light_matches_engine`` check."""
    return {
        **{k: v for k, v in analysis.items() if k != "light_matches_engine"},
        "stages": [
            {k: v for k, v in stage.items() if k not in ("panels", "panel_agreement")}
            for stage in analysis["stages"]
        ],
    }
