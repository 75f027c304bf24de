"""Intervals of time, as columns: the toolkit of accounting (§6), boundaries (§7) and focus (§8).

Every interval is [start, end) in UTC instants. Two kinds of tools:

* **The concurrency sweep** (`boundary_points` → `sweep` → `elementary_segments`) for
  many intervals at once. Every interval contributes +1 at its start and -1 at its end;
  after one sort of the points, running sums say how many intervals cover each segment
  between two consecutive points. Nothing compares intervals with intervals, so a
  million of them cost one sort. Several kinds of interval (counted pieces, working
  windows, protected blocks…) are several *levels* of the same sweep.
* **Per-row set operations** (`union`, `intersect`, `subtract`) for a handful of rows
  (a week of violations to draw), and `split_at_midnight` for cutting at local dates.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from core.period import Period

T = "_t"  # a boundary point of a sweep
NEXT = "_next"  # the next boundary point: the segment is [_t, _next)
SEG_US = "_seg_us"  # µs from this boundary point to the next one (0 for the last)
POS = "_pos"  # where a point is in the list its intervals were given in (`boundary_points`)
EVENT_ROW = "_event_row"  # the row of the interval a piece is cut from (`split_times`)
US_PER_MINUTE = 60_000_000

START = "start"
END = "end"
DATE = "date"
PIECE_START = "piece_start"
PIECE_END = "piece_end"


# ------------------------------------------------------------------ the sweep


def boundary_points(lf: pl.LazyFrame, start: str, end: str, level: str,
                    labels: Sequence[str] = (), *, position: bool = False) -> pl.LazyFrame:
    """The ±1 points of the intervals [start, end) of ``lf``, as the level ``level``::

        intervals  [=======)        [====)
        points     +1      -1       +1   -1

    One pass over ``lf`` (every start, then every end), so its plan runs once.
    ``labels`` travel with the +1 point (null at the -1 point). With ``position``, the
    points carry ``_pos``: row i of ``lf`` has its start at position i and its end at
    position n + i (n rows), which `differences_at_positions` reads a curve at.
    """
    schema = lf.collect_schema()
    return lf.select(
        pl.col(start).append(pl.col(end)).alias(T),
        pl.repeat(1, pl.len(), dtype=pl.Int32)
        .append(pl.repeat(-1, pl.len(), dtype=pl.Int32)).alias(level),
        *(pl.col(c).append(pl.repeat(None, pl.len(), dtype=schema[c])) for c in labels),
        *([pl.int_range(2 * pl.len()).alias(POS)] if position else []),
    )


def sweep(points: Sequence[pl.LazyFrame], levels: Sequence[str],
          labels: Sequence[str] = ()) -> pl.LazyFrame:
    """Run the sweep over boundary points, one row per point::

        A         [=============)
        B                [================)
        _t        t0     t1     t2        t3
        level        1      2       1         0
        _seg_us    t1-t0  t2-t1   t3-t2       0

    ``points`` (from `boundary_points`) each carry ``_t`` and some of the ``levels`` (a
    frame without a level counts 0 for it) and ``labels``. The result is sorted by
    ``_t`` with every level as the number of intervals covering [_t, next point),
    ``_seg_us`` = µs to the next point, and every label forward-filled from the last
    interval start that carried one (the largest, when several start at the same
    instant). Points at the same instant stay separate rows: the segments between them
    are 0 µs long, so they add nothing to any sum, and the last of them has the state
    after all of them (`elementary_segments` keeps only that one).
    """
    names = [set(p.collect_schema().names()) for p in points]
    unlabelled = [p for p, n in zip(points, names, strict=True) if not set(labels) & n]
    labelled = [p for p, n in zip(points, names, strict=True) if set(labels) & n]
    present = set().union(*names)
    if labelled:
        # Within an instant, the stable sort below keeps this order: points without a
        # label, then labelled ones, smallest label first; so the last there has the largest.
        unlabelled.append(pl.concat(labelled, how="diagonal_relaxed")
                          .sort(*labels, nulls_last=False, maintain_order=True))
    return (
        pl.concat(unlabelled, how="diagonal_relaxed")
        .sort(T, maintain_order=True)
        .with_columns(
            *(pl.col(level).fill_null(0).cum_sum() if level in present
              else pl.lit(0, pl.Int32).alias(level) for level in levels),
            *(pl.col(c).forward_fill() for c in labels),
            (pl.col(T).shift(-1) - pl.col(T)).dt.total_microseconds().fill_null(0)
            .alias(SEG_US),
        )
    )


def elementary_segments(points: pl.LazyFrame) -> pl.LazyFrame:
    """One row per distinct instant of a `sweep` (its last point), with ``_next``::

        points     t0   t1 t1   t2
        segments   [t0, t1)[t1, t2)[t2, t2)

    The segments [_t, _next) tile the time line between the first and the last point.
    """
    after = pl.col(T).shift(-1)
    return points.filter(after.ne_missing(pl.col(T))).with_columns(
        after.fill_null(pl.col(T)).alias(NEXT))


def stretches(segments: pl.LazyFrame, inside: pl.Expr, key: str) -> pl.LazyFrame:
    """Number the maximal runs of consecutive segments with the same ``inside`` and ``key``.

    ::

        inside:  F  T  T  F  T      key: d1 d1 d1 d1 d2
        _run:    1  2  2  3  4

    Segments of a sweep (`elementary_segments`) tile the time line, so consecutive ones
    touch: a run of ``inside`` segments is one unbroken stretch of time. Adds ``_inside``
    and ``_run``.
    """
    flag = pl.col("_inside")
    changed = (flag != flag.shift(1)) | (pl.col(key) != pl.col(key).shift(1))
    return segments.with_columns(inside.fill_null(False).alias("_inside")).with_columns(
        changed.fill_null(True).cum_sum().alias("_run"))


def run_total(value: pl.Expr) -> pl.Expr:
    """Sum of ``value`` over the row's ``_run`` (`stretches`): runs are consecutive rows,
    so this is a difference of running sums, not a grouping."""
    run = pl.col("_run")
    total = value.cum_sum()
    last = pl.when(run != run.shift(-1).fill_null(-1)).then(total).backward_fill()
    before = pl.when(run != run.shift(1).fill_null(-1)).then(total - value).forward_fill()
    return last - before


def shared_minutes_curves(segments: pl.LazyFrame, covering: str,
                          masks: dict[str, pl.Expr]) -> pl.LazyFrame:
    """Per mask, the running total at every point of the minutes *one* interval of the
    level ``covering`` is given when each segment is shared equally (SPEC §6)::

        k (covering)   1     2     1
        segment        60    30    30  min
        curve      0     60    75    105

    An interval [a, b) of that level then owns ``curve(b) - curve(a)`` minutes inside
    the mask: every segment in [a, b) covers it. (The 0-µs segments between points at
    one instant add exactly 0.0, so every point of an instant has the same value.)
    """
    k = pl.col(covering)
    one_share = pl.when(k > 0).then(pl.col(SEG_US) / k / US_PER_MINUTE).otherwise(0.0)
    return segments.with_columns(
        pl.when(mask).then(one_share).otherwise(0.0).cum_sum().shift(1, fill_value=0.0)
        .alias(name)
        for name, mask in masks.items()
    )


def points_with_position(curve: pl.LazyFrame, names: Sequence[str]) -> pl.LazyFrame:
    """The points of ``curve`` that carry ``_pos``, with the values ``names``."""
    return curve.filter(pl.col(POS).is_not_null()).select(POS, *names)


def differences_by_position(at: pl.DataFrame, names: Sequence[str],
                            count: int) -> pl.DataFrame:
    """For the ``count`` intervals of ``at`` (collected `points_with_position`), in their
    row order: ``<name>`` = value at the end minus value at the start."""
    positions = at.get_column(POS)
    if not count:
        return pl.DataFrame([pl.Series(name, [], dtype=pl.Float64) for name in names])
    # Put the values back in position order: the row of each position (a scatter of the
    # row numbers, not a sort), then one gather per name. Polars' scatter of floats costs
    # ≈ 5× a gather: at 1M occurrences `find_violations` scattered four curves of 2M
    # points, ≈ 0.25 s CPU; one scatter of the rows and four gathers, ≈ 0.12 s
    # (benchmarks/engine.py). (Every position 0 … 2·count − 1 is in ``at`` once.)
    row_of = pl.repeat(0, 2 * count, dtype=pl.UInt32, eager=True).scatter(
        positions, pl.int_range(at.height, dtype=pl.UInt32, eager=True))
    return at.select(
        (pl.col(name).gather(row_of.slice(count)) - pl.col(name).gather(row_of.slice(0, count)))
        for name in names)


def differences_at_positions(curve: pl.LazyFrame, names: Sequence[str],
                             count: int) -> pl.DataFrame:
    """`differences_by_position` of a lazy curve."""
    return differences_by_position(points_with_position(curve, names).collect(), names, count)


def aligned_chunks(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every column cut into chunks at the same rows, without copying them.

    A column computed apart from the rest (the shares of `audit.accounting.attribute_time`,
    one chunk, next to pieces the streaming engine handed back in chunks of its own size)
    and put next to them keeps its own chunks; a frame whose columns' chunks differ is
    copied whole (every column rechunked) by each later query that reads it, even a
    ``select`` of one column. At 1M occurrences that was ≈ 0.3 GB and 0.2-0.5 s per query
    on the attributed pieces (`find_violations`' select, the period's filter, the report),
    and the largest term of the audit's peak memory (benchmarks/engine.py). Here the odd
    columns are sliced at the other columns' chunk boundaries: slices are views, and only a
    slice that spans two of its own chunks is copied (its rows only). The loop is over
    columns and chunks (a few dozen), not rows.
    """
    counts = frame.n_chunks("all")
    if len(set(counts)) <= 1:
        return frame
    lengths = [chunk.len() for chunk in frame.to_series(counts.index(max(counts))).get_chunks()]
    offsets = [sum(lengths[:i]) for i in range(len(lengths))]
    aligned = frame.clone()
    for index, column in enumerate(frame.iter_columns()):
        if [chunk.len() for chunk in column.get_chunks()] != lengths:
            parts = [column.slice(offset, length).rechunk()
                     for offset, length in zip(offsets, lengths, strict=True)]
            joined = parts[0]
            for part in parts[1:]:
                joined = joined.append(part)
            aligned.replace_column(index, joined)
    return aligned


# ------------------------------------------------------------------ local days


def split_at_midnight(lf: pl.LazyFrame | pl.DataFrame, period: Period, days: pl.LazyFrame,
                      where: pl.Expr | None = None) -> pl.LazyFrame:
    """Clip intervals ``start``/``end`` to the period and cut them at local midnight.

    ::

        day:      |--- Mon ---------------|--- Tue ---------------|
        event:                      [=========)
        pieces:                     [====)[===)   date = Mon, Tue

    ``days`` has the period's ``date, day_start, day_end`` (`audit.accounting.period_days`).
    Adds ``date``, ``piece_start`` and ``piece_end``; intervals of zero length vanish,
    and so do rows where ``where`` does not hold. The output is in no particular order.

    Computed when called: `split_times` on the start and end columns alone, then the wide
    rows copied once (`with_rows`).
    """
    frame = lf.lazy().collect()
    return with_rows(frame, split_times(frame, period, days, where)).lazy()


def split_times(frame: pl.DataFrame, period: Period, days: pl.LazyFrame,
                where: pl.Expr | None = None) -> pl.DataFrame:
    """`split_at_midnight` without the rows' other columns: ``_event_row`` (the row of
    ``frame`` a piece is cut from), ``piece_start``, ``piece_end`` and ``date``.

    The pieces of rows that stay inside one local date come first, in row order, then
    those of the few rows that cross midnight (only these go through ``date_ranges`` and
    the join with the local midnights, STACK.md), in row order too.
    """
    first_instant, last_instant = period.utc_bounds()
    start = pl.max_horizontal(pl.col(START), pl.lit(first_instant))
    end = pl.min_horizontal(pl.col(END), pl.lit(last_instant))
    keep = (pl.col(END) > pl.col(START)) & (end > start)
    if where is not None:
        keep = keep & where.fill_null(False)
    tz = period.timezone
    narrow = (
        frame.lazy()
        .select(pl.int_range(pl.len(), dtype=pl.UInt32).alias(EVENT_ROW), keep.alias("_keep"),
                start.alias(PIECE_START), end.alias(PIECE_END))
        .filter(pl.col("_keep"))
        .with_columns(
            pl.col(PIECE_START).dt.convert_time_zone(tz).dt.date().alias(DATE),
            (pl.col(PIECE_END) - pl.duration(microseconds=1)).dt.convert_time_zone(tz)
            .dt.date().alias("_last"),
        )
        .collect()
    )
    columns = (EVENT_ROW, PIECE_START, PIECE_END, DATE)
    one_day = narrow.filter(pl.col(DATE) == pl.col("_last")).select(columns)
    crossing = narrow.filter(pl.col(DATE) != pl.col("_last"))
    if not crossing.height:
        return one_day
    crossing = (
        crossing.lazy()
        .with_columns(pl.date_ranges(DATE, "_last").alias(DATE))
        .explode(DATE)
        # in the crossing rows' order, so the pieces' rows come in one order run after
        # run (the streaming engine's join does not keep it; a few rows, no cost)
        .join(days, on=DATE, how="inner", maintain_order="left")
        .with_columns(
            pl.max_horizontal(PIECE_START, "day_start").alias(PIECE_START),
            pl.min_horizontal(PIECE_END, "day_end").alias(PIECE_END),
        )
        .filter(pl.col(PIECE_END) > pl.col(PIECE_START))
        .select(columns)
        .collect()
    )
    return pl.concat([one_day, crossing])


def rows_at(frame: pl.DataFrame, rows: pl.Series) -> pl.DataFrame:
    """The rows of ``frame`` at the row numbers ``rows``, in their order.

    As long as ``rows`` rise (the pieces of rows that stay inside one date, `split_times`)
    the rows are picked by a mask, a filter; the rest (the pieces of the few rows that
    cross midnight) by a gather. A filter copies the wide rows several times faster than a
    gather (1M rows of the event frame: ≈ 0.15 against ≈ 0.7 s CPU, list columns most).
    """
    falls = (rows.diff() <= 0).arg_true()
    rising = falls[0] if falls.len() else rows.len()
    head = rows.slice(0, rising)
    mask = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True)
    picked = frame.filter(mask.scatter(head, True) if head.len() else mask)
    if rising == rows.len():
        return picked
    return pl.concat([picked, frame[rows.slice(rising)]])


def with_columns_of(frame: pl.DataFrame, pieces: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """``pieces`` (with ``_event_row``) with the columns ``columns`` of their rows of
    ``frame`` added after their own."""
    return pl.concat([pieces, rows_at(frame.select(columns), pieces.get_column(EVENT_ROW))],
                     how="horizontal")


def with_rows(frame: pl.DataFrame, pieces: pl.DataFrame) -> pl.DataFrame:
    """Each of ``pieces`` (with ``_event_row``) after its row of ``frame``: every column of
    ``frame``, then the pieces' own (`aligned_chunks`, so later queries copy nothing)."""
    rows = rows_at(frame, pieces.get_column(EVENT_ROW))
    return aligned_chunks(pl.concat([rows, pieces.drop(EVENT_ROW)], how="horizontal"))


# ------------------------------------------------------------------ per-row set operations
# For a few thousand rows (a week to draw): every cutter is matched with every row it may
# touch by a join, so keep the frames small.

_ID = "_base_id"


def union(frame: pl.DataFrame, by: Sequence[str] = ()) -> pl.DataFrame:
    """Merge overlapping or touching intervals per ``by`` group: ``by…, start, end``::

        frame    [====)  [===)
                    [==)     [====)
        union    [=====) [========)
    """
    by = list(by)
    if frame.is_empty():
        return frame.select(*by, START, END)
    reach = pl.col(END).cum_max().shift(1)
    if by:
        reach = reach.over(by)
    return (
        frame.select(*by, START, END).sort(*by, START, END)
        .with_columns((reach.is_null() | (pl.col(START) > reach)).cum_sum().alias("_run"))
        .group_by(*by, "_run", maintain_order=True)
        .agg(pl.col(START).min(), pl.col(END).max())
        .drop("_run")
    )


def _covered(base: pl.DataFrame, cutters: pl.DataFrame, on: Sequence[str]) -> pl.DataFrame:
    """Per row of ``base`` (numbered ``_base_id``), the union of the cutters clipped to it."""
    keys = base.select(_ID, *on, pl.col(START).alias("_s"), pl.col(END).alias("_e"))
    cut = cutters.select(*on, START, END)
    joined = keys.join(cut, on=list(on), how="inner") if on else keys.join(cut, how="cross")
    clipped = (joined
               .with_columns(pl.max_horizontal(START, "_s").alias(START),
                             pl.min_horizontal(END, "_e").alias(END))
               .filter(pl.col(END) > pl.col(START)))
    return union(clipped, [_ID])


def intersect(base: pl.DataFrame, cutters: pl.DataFrame, on: Sequence[str] = ()
              ) -> pl.DataFrame:
    """The parts of each ``base`` row covered by ``cutters`` (matched on ``on`` columns);
    the rows keep their other columns::

        base      [=====================)
        cutters        [===)    [======)
        intersect      [===)    [=====)
    """
    numbered = base.with_row_index(_ID)
    return (_covered(numbered, cutters, on)
            .join(numbered.drop(START, END), on=_ID, how="inner")
            .sort(_ID, START).select(base.columns))


def subtract(base: pl.DataFrame, cutters: pl.DataFrame, on: Sequence[str] = ()
             ) -> pl.DataFrame:
    """The parts of each ``base`` row not covered by ``cutters``::

        base      [=====================)
        cutters        [===)    [======)
        subtract  [====)   [====)     [=)
    """
    numbered = base.with_row_index(_ID)
    covered = _covered(numbered, cutters, on)
    bounds = numbered.select(_ID, pl.col(START).alias("_s"), pl.col(END).alias("_e"))
    # the gap before each covered part (after the previous one), then the tail
    before = (covered.join(bounds, on=_ID).sort(_ID, START)
              .select(_ID, pl.col(END).shift(1).over(_ID).fill_null(pl.col("_s")).alias(START),
                      pl.col(START).alias(END)))
    tail = (bounds.join(covered.group_by(_ID).agg(pl.col(END).max().alias("_last")),
                        on=_ID, how="left")
            .select(_ID, pl.col("_last").fill_null(pl.col("_s")).alias(START),
                    pl.col("_e").alias(END)))
    return (pl.concat([before, tail]).filter(pl.col(END) > pl.col(START))
            .join(numbered.drop(START, END), on=_ID, how="inner")
            .sort(_ID, START).select(base.columns))
