"""Interval arithmetic on small frames, for drawing a week (no Streamlit, all Polars).

The engine reports minutes; the timelines draw *where* those minutes are. Each function
takes frames with ``start``/``end`` instants and returns pieces of them::

    base     [=====================)
    cutters       [===)    [=====)        (clipped to the base, merged)
    subtract [====)   [====)     [=)      base minus cutters
    intersect     [===)    [=====)        base covered by cutters

Rows of ``base`` carry their other columns into the result. Sizes here are a week of one
calendar (a few thousand rows at most), so cross joins are fine.
"""

from __future__ import annotations

import polars as pl

START = "start"
END = "end"
_ID = "_base_id"


def union(frame: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Merge overlapping or touching intervals per ``by`` group: ``by…, start, end``."""
    if frame.is_empty():
        return frame.select(*by, START, END)
    ordered = frame.select(*by, START, END).sort(*by, START, END)
    reach = pl.col(END).cum_max().shift(1)
    if by:
        reach = reach.over(by)
    runs = ordered.with_columns(
        (reach.is_null() | (pl.col(START) > reach)).cast(pl.Int32).alias("_new")
    ).with_columns(pl.col("_new").cum_sum().alias("_run"))
    return (runs.group_by(*by, "_run", maintain_order=True)
            .agg(pl.col(START).min(), pl.col(END).max())
            .drop("_run"))


def _clipped(base: pl.DataFrame, cutters: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """Every cutter clipped to every base row it overlaps: ``_base_id, start, end``."""
    keys = base.select(_ID, *on, pl.col(START).alias("_s"), pl.col(END).alias("_e"))
    cut = cutters.select(*on, START, END)
    joined = keys.join(cut, on=on, how="inner") if on else keys.join(cut, how="cross")
    return (joined
            .with_columns(pl.max_horizontal(START, "_s").alias(START),
                          pl.min_horizontal(END, "_e").alias(END))
            .filter(pl.col(END) > pl.col(START))
            .select(_ID, START, END))


def intersect(base: pl.DataFrame, cutters: pl.DataFrame, on: list[str] | None = None
              ) -> pl.DataFrame:
    """The parts of each ``base`` row covered by ``cutters`` (matched on ``on`` columns)."""
    on = on or []
    numbered = base.with_row_index(_ID)
    covered = union(_clipped(numbered, cutters, on), [_ID])
    rest = numbered.drop(START, END)
    return covered.join(rest, on=_ID, how="inner").sort(_ID, START).drop(_ID) \
        .select(base.columns)


def subtract(base: pl.DataFrame, cutters: pl.DataFrame, on: list[str] | None = None
             ) -> pl.DataFrame:
    """The parts of each ``base`` row not covered by ``cutters``."""
    on = on or []
    numbered = base.with_row_index(_ID)
    covered = union(_clipped(numbered, cutters, on), [_ID]).sort(_ID, START)
    bounds = numbered.select(_ID, pl.col(START).alias("_s"), pl.col(END).alias("_e"))
    # gaps before each covered piece, then the tail after the last one
    before = (covered.join(bounds, on=_ID)
              .with_columns(pl.col(END).shift(1).over(_ID).fill_null(pl.col("_s"))
                            .alias("_from"))
              .select(_ID, pl.col("_from").alias(START), pl.col(START).alias(END)))
    last = covered.group_by(_ID).agg(pl.col(END).max().alias("_last"))
    tail = (bounds.join(last, on=_ID, how="left")
            .select(_ID, pl.col("_last").fill_null(pl.col("_s")).alias(START),
                    pl.col("_e").alias(END)))
    pieces = pl.concat([before, tail]).filter(pl.col(END) > pl.col(START))
    rest = numbered.drop(START, END)
    return pieces.join(rest, on=_ID, how="inner").sort(_ID, START).drop(_ID) \
        .select(base.columns)
