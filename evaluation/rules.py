"""The rules of Korean public evaluation (SPEC §4) as pure functions: plain values in, plain
values out, no ORM. Find a rule here by its name in SPEC."""

import functools
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

_EXPONENTS = {places: Decimal(1).scaleb(-places) for places in range(7)}


def round_half_up(value: Decimal, places: int = 2) -> Decimal:
    """Round as published: half-up, to `places` decimals (SPEC §4.5)."""
    exponent = _EXPONENTS.get(places) or Decimal(1).scaleb(-places)
    return value.quantize(exponent, rounding=ROUND_HALF_UP)


def score_text(value: Decimal | None) -> str | None:
    """A score as published (SPEC §4.5, §6): rounded half-up to two decimals, as text ("88.40");
    None stays None."""
    return None if value is None else f"{round_half_up(value):.2f}"


def plain_number(value: Decimal) -> str:
    """A rule's number as the competition file writes it: no trailing zeros, never an exponent
    (2.00 → "2", -1.50 → "-1.5", 100 → "100")."""
    return format(Decimal(value).normalize(), "f")


def competition_ratio(applicants: int, slots: int | None, decimals: int = 1) -> str | None:
    """Competition ratio (경쟁률, SPEC §4.7, §8.5): applicants ÷ slots as ``5:1``, ``3.5:1``,
    ``2.3:1`` — ``decimals`` places (one by default), rounded half-up, trailing zeros dropped
    (187 ÷ 50 with two is ``3.74:1``, 7 ÷ 2 with two ``3.5:1``). None when there are no slots."""
    if not slots:
        return None
    ratio = round_half_up(Decimal(applicants) / Decimal(slots), decimals)
    text = format(ratio, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}:1"


@dataclass(frozen=True)
class SlotCount:
    """Applicants, slots and competition ratio of a track or of a category (SPEC §4.7)."""

    applicants: int
    slots: int | None  # None for a track of a category that pools its slots
    ratio: str | None


def slot_counts(
    pooled_slots: int | None, tracks: list[tuple[int | None, int]], ratio_decimals: int = 1
) -> tuple[SlotCount, list[SlotCount]]:
    """A category's counts and its tracks' (SPEC §4.7), from ``pooled_slots`` — the category's
    slots where it pools them across its tracks, else None — and (slots, applicants) per track,
    the ratios with ``ratio_decimals`` places (SPEC §8.5). A pooled category's tracks have no slots
    or ratio of their own; another category's slots are the sum of its tracks'."""
    pooled = pooled_slots is not None
    per_track = [
        SlotCount(applicants, None, None)
        if pooled
        else SlotCount(applicants, slots, competition_ratio(applicants, slots, ratio_decimals))
        for slots, applicants in tracks
    ]
    applicants = sum(count.applicants for count in per_track)
    slots = pooled_slots if pooled else sum(slots or 0 for slots, _applicants in tracks)
    return SlotCount(applicants, slots, competition_ratio(applicants, slots, ratio_decimals)), per_track


# --- SPEC §4.1: points on a sheet ---------------------------------------------------------


def points_error(points: Decimal | None, max_points: Decimal, step: Decimal) -> str | None:
    """Why ``points`` is not a valid score for a criterion, or None.

    Returns a code: ``"missing"``, ``"range"`` (outside [0, max]) or ``"step"`` (not a multiple of
    ``step``). Messages are the caller's (they name the criterion).
    """
    if points is None:
        return "missing"
    if points < 0 or points > max_points:
        return "range"
    if step and points % step != 0:
        return "step"
    return None


def sheet_total(points: list[Decimal | None]) -> Decimal:
    """A reviewer's total on a sheet: the sum of criterion points (missing counts as nothing)."""
    return sum((p for p in points if p is not None), Decimal(0))


# --- SPEC §4.2: stage score of a proposal ---------------------------------------------------


def kept_sheets(totals: list[tuple[int, Decimal]], trim_min_reviewers: int = 5, trim_count: int = 1):
    """The sheets that count, as (kept, dropped_high, dropped_low) lists of (sheet id, total).

    With at least ``trim_min_reviewers`` sheets, the ``trim_count`` highest and as many lowest
    totals are dropped (최고·최저 점수 제외). Among equal totals the sheet dropped is the one with
    the lowest id.
    """
    ordered = sorted(totals, key=lambda item: (item[1], item[0]))
    if len(ordered) < trim_min_reviewers or trim_count == 0:
        return ordered, [], []
    by_high = sorted(totals, key=lambda item: (-item[1], item[0]))
    high = by_high[:trim_count]
    high_ids = {sheet_id for sheet_id, _ in high}
    low = [item for item in ordered if item[0] not in high_ids][:trim_count]
    dropped = high_ids | {sheet_id for sheet_id, _ in low}
    kept = [item for item in ordered if item[0] not in dropped]
    return kept, high, low


def trimmed_mean(totals: list[Decimal], trim_min_reviewers: int = 5, trim_count: int = 1) -> Decimal | None:
    """Stage score: the mean of the kept totals (exact Decimal), None without sheets."""
    kept, _high, _low = kept_sheets(list(enumerate(totals)), trim_min_reviewers, trim_count)
    if not kept:
        return None
    return sum((total for _id, total in kept), Decimal(0)) / Decimal(len(kept))


# --- SPEC §4.3: advancement to the next stage ------------------------------------------------


def advancing(
    scores: dict, slots: int | None, top_multiple: Decimal | None = None, cutoff: Decimal | None = None
) -> set:
    """Which proposals advance: the top ``top_multiple × slots`` (ties at the boundary all
    advance) or those at or above ``cutoff``; scores compare rounded half-up to two decimals."""
    rounded = {key: round_half_up(score) for key, score in scores.items() if score is not None}
    if cutoff is not None:
        return {key for key, score in rounded.items() if score >= round_half_up(Decimal(cutoff))}
    if top_multiple is None or not slots:
        return set(rounded)
    places = int((Decimal(top_multiple) * slots).to_integral_value(rounding=ROUND_HALF_UP))
    ordered = sorted(rounded.values(), reverse=True)
    if places <= 0:
        return set()
    if places >= len(ordered):
        return set(rounded)
    boundary = ordered[places - 1]
    return {key for key, score in rounded.items() if score >= boundary}


# --- SPEC §4.3–4.4: final score and adjustments -----------------------------------------------


def final_score(
    stage_scores: list[tuple[Decimal | None, Decimal | None]], weighted: bool = False
) -> Decimal | None:
    """The final score from (score, weight %) per stage in order: the last stage's score, or the
    weighted sum of stage scores where the competition says so. None if a needed score is missing."""
    if not stage_scores:
        return None
    if not weighted:
        return stage_scores[-1][0]
    if any(score is None for score, _weight in stage_scores):
        return None
    return sum((score * (weight or 0) / 100 for score, weight in stage_scores), Decimal(0))


def capped_adjustment(points: list[Decimal], cap: Decimal) -> Decimal:
    """가점/감점 added after aggregation: their sum, held within ±cap."""
    total = sum(points, Decimal(0))
    return max(-cap, min(cap, total))


# --- SPEC §4.5: ranking with the tie-break chain --------------------------------------------


# SPEC §8.3: the elements of a tie-break chain, by kind: compared rounded to two decimals,
# higher first (criterion averages, stage scores), or exactly, lower first (the subsidy).
HIGHER_FIRST, LOWER_FIRST = "higher", "lower"


@functools.lru_cache(maxsize=1024)
def criterion_rule(code: str) -> str:
    """How ``tie_break`` names a criterion of the last stage (``criterion:C2``), made once."""
    return f"criterion:{code}"


@dataclass(frozen=True)
class Contender:
    """One proposal in a ranking: exact final score, kept-sheet averages of the last stage's
    tie-break criteria in priority order as (code, average), requested subsidy, recorded draw.
    ``chain``, where given, replaces criteria and subsidy (SPEC §8.3): (rule, value, kind) in
    order, ``rule`` being what ``tie_break`` names when it separates (``stage:STAGE``, …)."""

    key: object
    score: Decimal
    criteria: tuple[tuple[str, Decimal | None], ...] = ()
    subsidy: Decimal = Decimal(0)
    draw: int | None = None
    chain: tuple[tuple[str, Decimal | None, str], ...] | None = None

    def __post_init__(self):
        if self.chain is None:  # the default chain of SPEC §4.5, built once per contender
            default = (
                *[(criterion_rule(code), average, HIGHER_FIRST) for code, average in self.criteria],
                ("subsidy", self.subsidy, LOWER_FIRST),
            )
            object.__setattr__(self, "chain", default)


@dataclass(frozen=True)
class Placed:
    contender: Contender
    rank: int
    tie_break: str | None  # the rule that separated it from the one directly above


@functools.lru_cache(maxsize=65536)  # the sort keys of a ranking repeat few distinct values
def _rounded(value: Decimal | None) -> Decimal:
    # Equal Decimals (85.5, 85.50) share a cache entry: they round to the same value and text.
    return round_half_up(value) if value is not None else Decimal("-Infinity")


def _compared(value: Decimal | None, kind: str) -> Decimal:
    """A chain element as it is compared: higher first, rounded (missing last); or lower first,
    exact (missing last)."""
    if kind == HIGHER_FIRST:
        return -_rounded(value)
    return value if value is not None else Decimal("Infinity")


def rank_contenders(contenders: list[Contender]) -> list[Placed]:
    """Order by score rounded to two decimals; equal ones by the tie-break chain — by default
    criteria by priority (higher average first), then lower requested subsidy (SPEC §4.5; any
    chain of SPEC §8.3) — and last an official's recorded draw. Proposals no rule separates share
    a rank (1, 2, 2, 4) and carry ``"unresolved"``."""

    def chain(c: Contender):
        return (
            -_rounded(c.score),
            *[_compared(value, kind) for _rule, value, kind in c.chain],
            c.draw if c.draw is not None else 0,
        )

    ordered = sorted(contenders, key=lambda c: (chain(c), c.draw is None, str(c.key)))
    placed: list[Placed] = []
    for index, contender in enumerate(ordered):
        if index == 0:
            placed.append(Placed(contender, 1, None))
            continue
        above = ordered[index - 1]
        rule = separating_rule(above, contender)
        rank = placed[-1].rank if rule == "unresolved" else index + 1
        placed.append(Placed(contender, rank, rule))
    return placed


def separating_rule(above: Contender, below: Contender) -> str | None:
    if _rounded(above.score) != _rounded(below.score):
        return None
    for (rule, a, kind), (_rule, b, _kind) in zip(above.chain, below.chain, strict=False):
        if _compared(a, kind) != _compared(b, kind):
            return rule
    if above.draw is not None and below.draw is not None and above.draw != below.draw:
        return "draw"
    return "unresolved"


# --- SPEC §4.6: selection within a quota -----------------------------------------------------

SELECTED, RESERVE, NOT_SELECTED, BELOW_MINIMUM, DRAW_REQUIRED, OVER_CAP = (
    "selected",
    "reserve",
    "not_selected",
    "below_minimum",
    "draw_required",
    "over_cap",  # SPEC §8.2
)


def select(
    placed: list[Placed],
    slots: int,
    reserve: int = 1,
    minimum: Decimal | None = None,
    *,
    province_of: dict | None = None,
    cap: int | None = None,
) -> dict:
    """Status per contender key. Those reaching the minimum fill the slots in rank order, then
    ``reserve`` reserves; a group sharing a rank that straddles the last slot is all
    ``draw_required``; below the minimum is never selected (an empty slot stays empty).

    With ``cap`` (SPEC §8.2, ``max_per_province``) and each key's 광역 in ``province_of``: a
    member of a group whose 광역 already holds ``cap`` selected is ``over_cap``, and a group is
    selected only if it fits the slots left and takes no 광역 past the cap — otherwise it is all
    ``draw_required`` (the draw separates it; until then no slot remains). Reserves are the next
    in rank order that are not ``over_cap``."""
    status: dict = {}
    qualifying = []
    for item in placed:
        if minimum is not None and _rounded(item.contender.score) < round_half_up(Decimal(minimum)):
            status[item.contender.key] = BELOW_MINIMUM
        else:
            qualifying.append(item)
    groups: list[list[Placed]] = []
    for item in qualifying:
        if groups and groups[-1][0].rank == item.rank:
            groups[-1].append(item)
        else:
            groups.append([item])
    held: dict = {}  # 광역 → selected so far (with a cap)

    def capped(item) -> bool:
        return cap is not None and held.get(province_of[item.contender.key], 0) >= cap

    filled = reserved = 0
    for group in groups:
        if cap is not None:
            for item in group:
                if capped(item):
                    status[item.contender.key] = OVER_CAP
            group = [item for item in group if item.contender.key not in status]
            if not group:
                continue
        free = slots - filled
        within_cap = cap is None or all(
            held.get(province, 0) + count <= cap
            for province, count in Counter(province_of[item.contender.key] for item in group).items()
        )
        if free >= len(group) and within_cap:
            outcome, filled = SELECTED, filled + len(group)
            if cap is not None:
                for item in group:
                    province = province_of[item.contender.key]
                    held[province] = held.get(province, 0) + 1
        elif free > 0:
            outcome, filled = DRAW_REQUIRED, slots
        elif reserved < reserve:
            outcome, reserved = RESERVE, reserved + len(group)
        else:
            outcome = NOT_SELECTED
        for item in group:
            status[item.contender.key] = outcome
    return status
