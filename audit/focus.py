"""Focus time (SPEC §8): long free stretches and scheduled focus blocks in working windows.

On each working day, with W = its working window(s), B = the union of counted
occurrences that are not focus blocks (every domain), F = counted focus blocks::

    W          [===========================================)  09:00-17:30
    B                [===)                  [=======)
    F                           [=====)          [=====)
    free       [=====)    [=================)        [=======)
                 short     long: a gap              short
    focus                ..................        ...        gap ∪ (F ∩ W − B)
    protected                   ......             ...        F ∩ W − B
    fragmented ......                                 .....   short free − F
    busy             ....                  ........           W ∩ B

Every minute of W is exactly one of busy (W ∩ B), focus or fragmented: a free minute is
either in a long gap (focus), or in a short stretch and then focus if a focus block
covers it, fragmented if not. So focus + fragmented + busy_in_window = working, also
with focus blocks in short stretches (they move minutes from fragmented to focus) and
with focus blocks overlapping meetings (that part is busy, in neither).

Minutes here are wall-clock minutes, not the attributed minutes of §6: a free stretch
belongs to nobody. A non-working day (§7) has no W, so every figure is 0.
"""

from __future__ import annotations

import functools
import operator

import polars as pl

from audit.accounting import (
    COUNTED,
    DATE,
    PERSON,
    SEG_US,
    US_PER_MINUTE,
    T,
    boundary_points,
    instants,
    mark_counted,
    per_person,
    run_total,
    stretches,
    sweep,
)
from audit.boundaries import WINDOW_END, WINDOW_START, WORKING
from audit.config import Config
from core.schema import END, KIND, START, TITLE

FOCUS_COLUMNS = ("working_minutes", "focus_minutes", "protected_focus_minutes",
                 "fragmented_minutes", "busy_in_window_minutes")


def is_focus_block(config: Config) -> pl.Expr:
    """§8: a focus block is ``kind = focus`` or a title matching ``focus.title_pattern``."""
    return (pl.col(KIND) == "focus") | pl.col(TITLE).str.contains(config.focus.title_pattern)


_WEEK_US = 7 * 24 * 3600 * 1_000_000


def _week_time(instant: pl.Expr) -> pl.Expr:
    """µs since the start of the (UTC, epoch-aligned) week, in [0, one week)."""
    return instant.dt.epoch("us").mod(_WEEK_US)


def _may_meet(inside: pl.DataFrame, most_shapes: int = 64) -> pl.Expr:
    """A cheap test that every event overlapping a window of ``inside`` passes.

    Seen as times of the week, windows take only a few shapes (a weekday's hours, in
    summer and winter time); an event whose week time meets none of them overlaps no
    window, adds nothing inside any, and needs no place in the sweep (evenings and
    weekends are often most of a calendar). Always true when the windows take more than
    ``most_shapes`` shapes or the event lasts a week or more.
    """
    shapes = inside.select(
        _week_time(pl.col(WINDOW_START)).alias("a"),
        (pl.col(WINDOW_END) - pl.col(WINDOW_START)).dt.total_microseconds().alias("n"),
    ).unique()
    length = (pl.col(END) - pl.col(START)).dt.total_microseconds()
    if shapes.height > most_shapes:
        return pl.lit(True)
    stretches: list[list[int]] = []  # the union of the shapes, over a handful of them
    for a, b in sorted((a, a + n) for a, n in shapes.iter_rows()):
        if stretches and a <= stretches[-1][1]:
            stretches[-1][1] = max(stretches[-1][1], b)
        else:
            stretches.append([a, b])
    x = _week_time(pl.col(START))
    meets = [(x < b + k * _WEEK_US) & (x + length > a + k * _WEEK_US)
             for a, b in stretches for k in (-1, 0, 1)]  # a window may run past the week
    return functools.reduce(operator.or_, meets, length >= _WEEK_US)


def focus_by_day(events_counted: pl.LazyFrame | pl.DataFrame, windows: pl.DataFrame,
                 config: Config) -> pl.DataFrame:
    """Focus figures per date of ``windows`` (`audit.boundaries.working_windows`).

    ``events_counted`` is the event frame marked by `audit.accounting.mark_counted` (it is
    marked here if it is not). Columns: ``date`` and the minutes of ``FOCUS_COLUMNS``
    (floats, 0 on non-working days), sorted by date. A free stretch is at least
    ``focus.min_block_minutes`` long to be a gap (exactly 120 min counts). Stretches never
    join across windows: a window cut in two by out-of-office time has two stretches.
    """
    events = events_counted.lazy()
    if COUNTED not in events.collect_schema().names():
        events = mark_counted(events, config)
    inside = windows.filter(pl.col(WORKING))
    dates = windows.lazy().select(DATE).unique()
    if inside.height:
        first, last = inside[WINDOW_START].min(), inside[WINDOW_END].max()
        events = events.filter((pl.col(END) > first) & (pl.col(START) < last)
                               & _may_meet(inside))
    counted = (
        events.filter(pl.col(COUNTED) & (pl.col(END) > pl.col(START)))
        .select(*PERSON, START, END, is_focus_block(config).fill_null(False).alias("_block"))
    )
    # one pass over the counted events: a focus block is a ±1 of "_f", anything else of "_b"
    block = pl.col("_block").append(pl.col("_block"))
    delta = pl.repeat(1, pl.len(), dtype=pl.Int32).append(pl.repeat(-1, pl.len(), dtype=pl.Int32))
    event_points = counted.select(
        *(pl.col(c).append(pl.col(c)) for c in PERSON),
        pl.col(START).append(pl.col(END)).alias(T),
        pl.when(block).then(0).otherwise(delta).alias("_b"),
        pl.when(block).then(delta).otherwise(0).alias("_f"),
    )
    segments = instants(sweep(
        [boundary_points(inside.lazy(), WINDOW_START, WINDOW_END, "_w", labels=[DATE]),
         event_points],
        ["_w", "_b", "_f"], labels=[DATE],
    ))
    in_window = pl.col("_w") > 0
    busy = pl.col("_b") > 0
    planned = pl.col("_f") > 0
    min_us = round(config.focus.min_block_minutes * US_PER_MINUTE)
    free = pl.col("_inside")
    seg = pl.col(SEG_US)

    def minutes(mask: pl.Expr, name: str) -> pl.Expr:
        return (seg.filter(mask).sum() / US_PER_MINUTE).alias(name)

    per_day = (
        stretches(segments, in_window & ~busy, DATE)
        .with_columns((per_person(run_total(seg)) >= min_us).alias("_long"))
        .filter(in_window)
        .group_by(DATE)
        .agg(
            minutes(pl.lit(True), "working_minutes"),
            minutes(free & (pl.col("_long") | planned), "focus_minutes"),
            minutes(free & planned, "protected_focus_minutes"),
            minutes(free & ~pl.col("_long") & ~planned, "fragmented_minutes"),
            minutes(busy, "busy_in_window_minutes"),
        )
    )
    return (
        dates.join(per_day, on=DATE, how="left")
        .with_columns(pl.col(FOCUS_COLUMNS).fill_null(0.0))
        .sort(DATE)
        .collect()
    )
