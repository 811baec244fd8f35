"""Geometry of the pictures the web pages draw as inline SVG (ADR 0063): pure functions from figures to
coordinates, no database and no HTML. The templates in ``web/charts/`` turn the results into SVG.

Amounts stay integers in hundredths; only the coordinates on the drawing are floats (rounded to 0.1, to keep the
markup short). Every chart is drawn in a small fixed view box (``WIDTH`` × ``HEIGHT``) that the browser scales to
the width of its container, so the same picture fits a 390 px phone and a desktop column with readable text.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import date_format, number_format

# The view box of every chart, and the room kept for the axis labels.
WIDTH = 400
HEIGHT = 200
LEFT = 60
RIGHT = 24
TOP = 10
BOTTOM = 24


def _r(value: float) -> float:
    return round(value, 1)


# --- the balance between its limits ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LimitsBar:
    """Where a balance sits between ``-max_negative`` and ``max_positive``, in percent of the bar's width."""

    balance: int
    lowest: int  # the lowest balance allowed (≤ 0)
    highest: int  # the highest balance allowed (≥ 0)
    zero_at: float
    balance_at: float
    fill_from: float
    fill_width: float
    near_limit: bool  # within the outer 10 % of the room on its side

    @property
    def side(self) -> str:
        return "negative" if self.balance < 0 else "positive"

    @property
    def zero_from(self) -> float:
        return _r(self.zero_at - 0.4)

    @property
    def marker_from(self) -> float:
        return _r(min(max(self.balance_at - 0.6, 0.0), 98.8))


def limits_bar(*, balance: int, max_negative: int, max_positive: int) -> LimitsBar:
    lowest, highest = -max_negative, max_positive
    span = highest - lowest

    def at(value: int) -> float:
        if span <= 0:
            return 50.0
        return _r(min(max((value - lowest) * 100 / span, 0.0), 100.0))

    zero_at, balance_at = at(0), at(balance)
    room = max_negative if balance < 0 else max_positive
    near = balance != 0 and (room == 0 or abs(balance) * 10 >= room * 9)
    return LimitsBar(
        balance=balance,
        lowest=lowest,
        highest=highest,
        zero_at=zero_at,
        balance_at=balance_at,
        fill_from=min(zero_at, balance_at),
        fill_width=_r(abs(balance_at - zero_at)),
        near_limit=near,
    )


# --- axes --------------------------------------------------------------------------------------------------------


def nice_step(span: int, *, intervals: int = 4, minimum: int = 1) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ (and at least ``minimum``) that covers ``span`` in ``intervals`` steps."""
    step = max(minimum, 1)
    while True:
        for factor in (1, 2, 5):
            if step * factor * intervals >= span:
                return step * factor
        step *= 10


def tick_values(low: int, high: int, *, minimum_step: int = 1) -> list[int]:
    """Round values from at or below ``low`` to at or above ``high``, zero among them when the range spans it."""
    low, high = min(low, 0, high), max(high, 0, low)
    step = nice_step(max(high - low, 1), minimum=minimum_step)
    first = -(-low // step) * step if low >= 0 else (low // step) * step
    last = -(-high // step) * step
    if last == first:
        last = first + step
    return list(range(first, last + 1, step))


def amount_label(cents: int, *, step: int = 100) -> str:
    """A tick label for an amount: whole units when the ticks are whole units (``-200``), else two decimals."""
    decimals = 0 if step % 100 == 0 else 2
    return number_format(Decimal(cents) / 100, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def count_label(value: int, *, step: int = 1) -> str:
    return number_format(value, use_l10n=True, force_grouping=True)


def day_label(day: datetime.date) -> str:
    return date_format(day, "j M")


@dataclass(frozen=True)
class Tick:
    at: float  # y for the vertical axis, x for the horizontal one
    label: str
    value: int = 0
    anchor: str = "middle"  # how a label on the horizontal axis sits on its point: start, middle or end


def _y_axis(
    low: int, high: int, *, label: Callable[..., str], minimum_step: int
) -> tuple[list[Tick], Callable]:
    values = tick_values(low, high, minimum_step=minimum_step)
    bottom, top = values[0], values[-1]
    plot = HEIGHT - TOP - BOTTOM

    def y(value: int) -> float:
        return _r(TOP + (top - value) * plot / (top - bottom))

    step = values[1] - values[0]
    return [Tick(at=y(v), label=label(v, step=step), value=v) for v in values], y


# --- a step line over time: the balance after each payment -----------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ChartFrame:
    """What every chart's SVG frame draws: the ticks of its two axes, in the plot's geometry."""

    y_ticks: list[Tick]
    x_ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT


@dataclass(frozen=True, kw_only=True)
class StepChart(ChartFrame):
    line: str  # the SVG path of the balance
    area: str  # the same, closed along the zero line (shaded)
    zero_y: float
    end_x: float
    end_y: float


def step_chart(
    *,
    start: datetime.datetime,
    end: datetime.datetime,
    opening: int,
    points: Sequence[tuple[datetime.datetime, int]],
) -> StepChart:
    """The balance as a staircase: flat between payments, a step at each one. ``points`` are (time, balance
    right after), oldest first; ``opening`` is the balance at ``start``; the line runs on to ``end``."""
    balances = [opening] + [b for _, b in points]
    y_ticks, y = _y_axis(min(balances), max(balances), label=amount_label, minimum_step=100)
    total = max((end - start).total_seconds(), 1.0)
    plot = WIDTH - LEFT - RIGHT

    def x(at: datetime.datetime) -> float:
        seconds = min(max((at - start).total_seconds(), 0.0), total)
        return _r(LEFT + seconds * plot / total)

    path = [f"M{x(start)} {y(opening)}"]
    for at, balance in points:
        path.append(f"H{x(at)} V{y(balance)}")
    path.append(f"H{x(end)}")
    line = " ".join(path)
    zero = y(0)
    area = f"{line} V{zero} H{x(start)} Z"
    middle = start + (end - start) / 2
    x_ticks = [
        Tick(at=x(moment), label=day_label(moment.date()), anchor=anchor)
        for moment, anchor in ((start, "start"), (middle, "middle"), (end, "end"))
    ]
    return StepChart(
        line=line,
        area=area,
        zero_y=zero,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        end_x=x(end),
        end_y=y(balances[-1]),
    )


# --- bars: one figure per week, or per group -------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str  # the value as people read it
    css: str = ""  # an extra class (colour) for this bar


@dataclass(frozen=True, kw_only=True)
class BarChart(ChartFrame):
    bars: list[Bar]
    baseline: float


def bar_chart(
    *,
    values: Sequence[int],
    labels: Sequence[str],
    money: bool = False,
    label_every: int = 1,
    edges: Sequence[tuple[int, str]] = (),
    classes: Sequence[str] = (),
) -> BarChart:
    """Vertical bars from zero, one per value (values ≥ 0). ``labels`` name the bars along the bottom; only every
    ``label_every``-th is written, counted from the last, so they do not overlap on a phone. ``edges`` instead
    labels the boundaries between bars: (index of the bar the boundary is left of, label). ``classes`` colours
    bars one by one."""
    label = amount_label if money else count_label
    y_ticks, y = _y_axis(0, max(values, default=0), label=label, minimum_step=100 if money else 1)
    slot = (WIDTH - LEFT - RIGHT) / max(len(values), 1)
    gap = min(slot * 0.25, 8)
    bars, x_ticks = [], []
    base = y(0)
    for index, value in enumerate(values):
        left = LEFT + index * slot
        top = y(value)
        bars.append(
            Bar(
                x=_r(left + gap / 2),
                y=top,
                width=_r(slot - gap),
                height=_r(base - top),
                value=value,
                label=label(value, step=1 if value % 100 else 100),
                css=classes[index] if index < len(classes) else "",
            )
        )
        if not edges and (len(values) - 1 - index) % label_every == 0:
            x_ticks.append(Tick(at=_r(left + slot / 2), label=labels[index]))
    for index, text in edges:
        anchor = "start" if index == 0 else "end" if index == len(values) else "middle"
        x_ticks.append(Tick(at=_r(LEFT + index * slot), label=text, anchor=anchor))
    return BarChart(bars=bars, y_ticks=y_ticks, x_ticks=x_ticks, baseline=base)
