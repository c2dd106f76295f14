"""The rules of Korean public evaluation (SPEC §4) as pure functions: plain values in, plain
values out, no ORM. Find a rule here by its name in SPEC."""

from decimal import ROUND_HALF_UP, Decimal


def round_half_up(value: Decimal, places: int = 2) -> Decimal:
    """Round as published: half-up, to `places` decimals (SPEC §4.5)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def competition_ratio(applicants: int, slots: int | None) -> str | None:
    """Competition ratio (경쟁률, SPEC §4.7): applicants ÷ slots as ``5:1``, ``3.5:1``, ``2.3:1``.

    One decimal, rounded half-up, a trailing ``.0`` dropped. None when there are no slots.
    """
    if not slots:
        return None
    ratio = round_half_up(Decimal(applicants) / Decimal(slots), 1)
    text = format(ratio, "f")
    if text.endswith(".0"):
        text = text[:-2]
    return f"{text}:1"


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
