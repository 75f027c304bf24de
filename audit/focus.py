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

from audit.accounting import COUNTED, mark_counted
from audit.boundaries import WINDOW_END, WINDOW_START, WORKING
from audit.config import Config
from audit.intervals import (
    DATE,
    NEXT,
    SEG_US,
    US_PER_MINUTE,
    T,
    boundary_points,
    elementary_segments,
    run_total,
    stretches,
    sweep,
)
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


def _may_overlap_a_window(inside: pl.DataFrame, most_shapes: int = 64) -> pl.Expr:
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


SEGMENT_KIND = "kind"  # the column of `focus_segments` that says which kind a segment is
# The kinds of `focus_segments`: every working minute is busy or one of the free kinds.
BUSY_KIND, LONG_GAP_KIND, SCHEDULED_KIND, FRAGMENTED_KIND = FOCUS_KINDS = (
    "meetings and events", "focus time", "scheduled focus", "fragmented")


def _window_segments(events_counted: pl.LazyFrame | pl.DataFrame, windows: pl.DataFrame,
                     config: Config) -> pl.LazyFrame:
    """The elementary segments of the working windows (`audit.intervals.sweep`), each with
    its ``date`` and ``kind`` (`FOCUS_KINDS`): busy, else scheduled focus where a focus
    block covers it, else focus time in a long free stretch, else fragmented."""
    events = events_counted.lazy()
    if COUNTED not in events.collect_schema().names():
        events = mark_counted(events, config)
    inside = windows.filter(pl.col(WORKING))
    if inside.height:
        first, last = inside[WINDOW_START].min(), inside[WINDOW_END].max()
        events = events.filter((pl.col(END) > first) & (pl.col(START) < last)
                               & _may_overlap_a_window(inside))
    counted = (
        events.filter(pl.col(COUNTED) & (pl.col(END) > pl.col(START)))
        .select(START, END, is_focus_block(config).fill_null(False).alias("_block"))
    )
    # one pass over the counted events: a focus block is a ±1 of "_f", anything else of "_b"
    block = pl.col("_block").append(pl.col("_block"))
    delta = pl.repeat(1, pl.len(), dtype=pl.Int32).append(pl.repeat(-1, pl.len(), dtype=pl.Int32))
    event_points = counted.select(
        pl.col(START).append(pl.col(END)).alias(T),
        pl.when(block).then(0).otherwise(delta).alias("_b"),
        pl.when(block).then(delta).otherwise(0).alias("_f"),
    )
    segments = elementary_segments(sweep(
        [boundary_points(inside.lazy(), WINDOW_START, WINDOW_END, "_w", labels=[DATE]),
         event_points],
        ["_w", "_b", "_f"], labels=[DATE],
    ))
    in_window, busy = pl.col("_w") > 0, pl.col("_b") > 0
    min_us = round(config.focus.min_block_minutes * US_PER_MINUTE)
    long_gap = run_total(pl.col(SEG_US)) >= min_us
    return (
        stretches(segments, in_window & ~busy, DATE)
        .with_columns(pl.when(busy).then(pl.lit(BUSY_KIND))
                      .when(pl.col("_f") > 0).then(pl.lit(SCHEDULED_KIND))
                      .when(long_gap).then(pl.lit(LONG_GAP_KIND))
                      .otherwise(pl.lit(FRAGMENTED_KIND)).alias(SEGMENT_KIND))
        .filter(in_window)
    )


def focus_by_day(events_counted: pl.LazyFrame | pl.DataFrame, windows: pl.DataFrame,
                 config: Config) -> pl.DataFrame:
    """Focus figures per date of ``windows`` (`audit.boundaries.working_windows`).

    ``events_counted`` is the event frame marked by `audit.accounting.mark_counted` (it is
    marked here if it is not). Columns: ``date`` and the minutes of ``FOCUS_COLUMNS``
    (floats, 0 on non-working days), sorted by date. A free stretch is at least
    ``focus.min_block_minutes`` long to be a gap (exactly 120 min counts). Stretches never
    join across windows: a window cut in two by out-of-office time has two stretches.
    """
    kind, seg = pl.col(SEGMENT_KIND), pl.col(SEG_US)

    def minutes(kinds: tuple[str, ...], name: str) -> pl.Expr:
        return (seg.filter(kind.is_in(kinds)).sum() / US_PER_MINUTE).alias(name)

    per_day = _window_segments(events_counted, windows, config).group_by(DATE).agg(
        (seg.sum() / US_PER_MINUTE).alias("working_minutes"),
        minutes((LONG_GAP_KIND, SCHEDULED_KIND), "focus_minutes"),
        minutes((SCHEDULED_KIND,), "protected_focus_minutes"),
        minutes((FRAGMENTED_KIND,), "fragmented_minutes"),
        minutes((BUSY_KIND,), "busy_in_window_minutes"),
    )
    return (
        windows.lazy().select(DATE).unique()
        .join(per_day, on=DATE, how="left")
        .with_columns(pl.col(FOCUS_COLUMNS).fill_null(0.0))
        .sort(DATE)
        .collect()
    )


def focus_segments(events_counted: pl.LazyFrame | pl.DataFrame, windows: pl.DataFrame,
                   config: Config) -> pl.DataFrame:
    """Where `focus_by_day`'s minutes are, for the timelines: ``date, start, end, kind,
    minutes``, the working windows cut into maximal runs of one kind, sorted by start::

        window    [===========================================)
        kind      fragm.|busy|   focus time   |sched.|busy|fragm.
    """
    segments = _window_segments(events_counted, windows, config).filter(pl.col(SEG_US) > 0)
    # a new run where the kind or date changes, or after a gap between two windows
    kind, day = pl.col(SEGMENT_KIND), pl.col(DATE)
    new_run = ((kind != kind.shift(1)) | (day != day.shift(1))
               | (pl.col(T) != pl.col(NEXT).shift(1))).fill_null(True)
    return (
        segments.with_columns(new_run.cum_sum().alias("_segment_run"))
        .group_by("_segment_run")
        .agg(pl.col(DATE).first(), pl.col(T).min().alias(START), pl.col(NEXT).max().alias(END),
             pl.col(SEGMENT_KIND).first(), (pl.col(SEG_US).sum() / US_PER_MINUTE).alias("minutes"))
        .drop("_segment_run")
        .sort(DATE, START)
        .collect()
    )
