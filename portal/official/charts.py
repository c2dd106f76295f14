"""Geometry of the server-rendered SVG bar charts (issue 13's analysis page), pure: values in,
coordinates out; ``portal/templates/portal/official/_bar_chart.html`` draws them. No script, no
inline style (the CSP allows neither): colours come from classes in ``portal/analysis.css``.

A chart is a horizontal bar per item, from the zero line to the item's value, on a scale from
``low`` to ``high``; a label at the left and the value at the right of each row; optional
reference lines (e.g. the flag threshold on either side of zero) and ticks under the plot."""

from dataclasses import dataclass, field

WIDTH = 640  # the viewBox; the SVG scales to its box (portal/analysis.css)
LABEL_WIDTH = 150  # the labels' column at the left
VALUE_WIDTH = 110  # the values' column at the right
ROW = 26
BAR = 16
TOP = 8
AXIS = 28  # room under the plot for the ticks


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    marked: bool
    x: float
    y: float
    width: float
    height: float
    label_y: float  # the text's baseline, centred on the bar
    negative: bool


@dataclass(frozen=True)
class Line:
    x: float
    text: str = ""
    kind: str = "tick"  # "zero", "tick" or "reference"


@dataclass(frozen=True)
class _Frame:
    """A chart's size and plot area, and where its labels, values and ticks go."""

    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_bottom: float

    @property
    def label_x(self) -> float:
        return self.plot_left - 8

    @property
    def value_x(self) -> float:
        return self.plot_right + 8

    @property
    def tick_y(self) -> float:
        return self.plot_bottom + 18

    @property
    def view_box(self) -> str:
        return f"0 0 {self.width} {self.height}"


@dataclass(frozen=True)
class Chart(_Frame):
    zero: float = 0
    bars: list = field(default_factory=list)
    lines: list = field(default_factory=list)


def _round(value: float) -> float:
    return round(value, 2)


def bar_chart(items, *, low: float, high: float, ticks=(), references=()) -> Chart:
    """A chart of ``items`` — (label, value, value text, marked) with value a number or None (no
    bar) — on the scale [low, high] (low < high; 0 is clamped into it). ``ticks`` and
    ``references``: values to mark under the plot and as lines across it, each (value, text)."""
    if not low < high:
        raise ValueError("low must be below high")
    left, right = LABEL_WIDTH, WIDTH - VALUE_WIDTH
    span = high - low

    def x_of(value: float) -> float:
        clamped = min(max(float(value), low), high)
        return _round(left + (clamped - low) / span * (right - left))

    zero = x_of(0)
    bars = []
    for index, (label, value, value_text, marked) in enumerate(items):
        top = TOP + index * ROW + (ROW - BAR) / 2
        end = zero if value is None else x_of(value)
        bars.append(
            Bar(
                label=label,
                value_text=value_text,
                marked=bool(marked),
                x=min(zero, end),
                y=_round(top),
                width=_round(abs(end - zero)),
                height=BAR,
                label_y=_round(top + BAR / 2 + 4),
                negative=value is not None and float(value) < 0,
            )
        )
    bottom = TOP + len(bars) * ROW
    lines = [Line(zero, kind="zero")]
    lines += [Line(x_of(value), text, "reference") for value, text in references]
    lines += [Line(x_of(value), text, "tick") for value, text in ticks]
    return Chart(
        width=WIDTH,
        height=bottom + AXIS,
        plot_left=left,
        plot_right=right,
        plot_bottom=bottom,
        zero=zero,
        bars=bars,
        lines=lines,
    )


def _nice(value: float) -> float:
    """The smallest of 1, 2, 5 × 10^k at least ``value`` (> 0)."""
    step = 1.0
    while step < value:
        for factor in (2, 2.5, 2):
            step *= factor
            if step >= value:
                return step
    while step / 2 >= value and step > 0.01:
        step /= 2
    return step


def leniency_chart(rows, threshold: float) -> Chart:
    """Reviewer leniency: a bar per reviewer (label, mean deviation as text or None, flagged) for
    the mean deviation around zero, on a scale symmetric about zero that holds every value and the
    flag threshold (drawn either side of zero)."""
    values = [abs(float(text)) for _label, text, _flag in rows if text is not None]
    reach = _nice(max([*values, float(threshold), 1.0]) * 1.1)
    items = [
        (label, None if text is None else float(text), "—" if text is None else text, flagged)
        for label, text, flagged in rows
    ]
    ticks = [(value, f"{value:+g}" if value else "0") for value in (-reach, -reach / 2, 0, reach / 2, reach)]
    references = [(-float(threshold), ""), (float(threshold), "")]
    return bar_chart(items, low=-reach, high=reach, ticks=ticks, references=references)


def stability_chart(rows) -> Chart:
    """Decision stability: a bar per proposal (label, selected share as text, marked) from 0 to
    its share of the bootstrap rounds, on the scale 0–1."""
    items = [(label, float(share), share, marked) for label, share, marked in rows]
    ticks = [(value, f"{value:g}") for value in (0, 0.25, 0.5, 0.75, 1)]
    return bar_chart(items, low=0, high=1, ticks=ticks)


# --- Sheet totals as dots (issue 13: "each proposal's sheet totals as dots with the dropped ones
# marked") ---------------------------------------------------------------------------------------

DOT = 5  # a kept sheet's dot: a filled circle of this radius
SQUARE = 9  # a dropped sheet's mark: a hollow square of this side (a shape, not a colour alone)
SCORE_HALF = 9  # half the height of the stage score's mark across the row


@dataclass(frozen=True)
class Dot:
    x: float
    total: str
    dropped: bool

    @property
    def square_x(self) -> float:
        return _round(self.x - SQUARE / 2)


@dataclass(frozen=True)
class DotRow:
    label: str
    value_text: str  # the stage score
    y: float  # the row's centre line
    label_y: float  # the text's baseline, centred on the row
    score_x: float | None
    dots: list = field(default_factory=list)

    @property
    def square_y(self) -> float:
        return _round(self.y - SQUARE / 2)

    @property
    def score_top(self) -> float:
        return _round(self.y - SCORE_HALF)

    @property
    def score_bottom(self) -> float:
        return _round(self.y + SCORE_HALF)


@dataclass(frozen=True)
class DotChart(_Frame):
    rows: list = field(default_factory=list)
    lines: list = field(default_factory=list)

    @property
    def square(self) -> int:
        return SQUARE

    @property
    def dot(self) -> int:
        return DOT


def dot_chart(rows, maximum) -> DotChart:
    """Sheet totals on the scale 0 to the stage's ``maximum`` total: a row per proposal — (label,
    stage score as text or None, [(total as text, dropped)]) — each counted sheet's total a dot (a
    filled circle when it counts, a hollow square when the trimmed mean drops it) and the stage
    score a short line across the row; ticks at each quarter of the maximum."""
    high = float(maximum)
    if not high > 0:
        raise ValueError("maximum must be above zero")
    left, right = LABEL_WIDTH, WIDTH - VALUE_WIDTH

    def x_of(value) -> float:
        clamped = min(max(float(value), 0.0), high)
        return _round(left + clamped / high * (right - left))

    drawn = []
    for index, (label, score, totals) in enumerate(rows):
        middle = TOP + index * ROW + ROW / 2
        drawn.append(
            DotRow(
                label=label,
                value_text="—" if score is None else score,
                y=_round(middle),
                label_y=_round(middle + 4),
                score_x=None if score is None else x_of(score),
                dots=[Dot(x_of(total), total, bool(dropped)) for total, dropped in totals],
            )
        )
    bottom = TOP + len(drawn) * ROW
    lines = [Line(x_of(high * share), f"{high * share:g}", "tick") for share in (0, 0.25, 0.5, 0.75, 1)]
    return DotChart(
        width=WIDTH,
        height=bottom + AXIS,
        plot_left=left,
        plot_right=right,
        plot_bottom=bottom,
        rows=drawn,
        lines=lines,
    )
