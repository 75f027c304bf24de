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
from audit.schema import END, KIND, START, TITLE

FOCUS_COLUMNS = ("working_minutes", "focus_minutes", "protected_focus_minutes",
                 "fragmented_minutes", "busy_in_window_minutes")


def is_focus_block(config: Config) -> pl.Expr:
    """§8: a focus block is ``kind = focus`` or a title matching ``focus.title_pattern``."""
    return (pl.col(KIND) == "focus") | pl.col(TITLE).str.contains(config.focus.title_pattern)


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
        events = events.filter((pl.col(END) > first) & (pl.col(START) < last))
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
