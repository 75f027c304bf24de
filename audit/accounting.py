"""Time accounting (SPEC §6): which occurrences count, and how their time is attributed.

The pipeline is ``mark_counted`` → ``attribute_time`` → (``busy_summary``, boundaries,
focus). Everything takes and returns LazyFrames and the caller collects, except that
``split_days`` and ``attribute_time`` do their work when called (they work on the start
and end columns alone and put the results next to the wide rows by position).

Interpretations (also in the docs):

* "Tentative" (``counting.include_tentative``) is the owner's answer ``response =
  tentative`` *or* an event whose own ``status`` is tentative (a held slot).
* "Not longer than ``max_event_hours``": exactly 12 h still counts.
* ``count_reason`` names the first reason in the order cancelled, declined, all-day,
  out of office, working location, longer than N h, free, tentative, not answered.
* Zero-length occurrences count but take no time; nothing outside the period is counted.
* The audit zone is ``period.timezone``; a piece's ``date`` is its local date there.
* Meeting minutes are attributed minutes (a meeting overlapping another event gets its
  share), so meetings never exceed busy time.

The interval engine used here and by `audit.boundaries` / `audit.focus` is a *sweep*:
every interval contributes a +1 at its start and a -1 at its end; after sorting, running
sums give, for each elementary segment between two consecutive boundary points, how many
intervals cover it. Nothing compares events with events, so it is O(n log n): one sort
of the points, then running sums; results are read back at the points by position, and
only narrow columns (times, levels) ever go through it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, timedelta

import polars as pl

from audit.config import Config
from core.period import Period
from core.schema import ALL_DAY, ATTENDEES, BUSY, END, KIND, RESPONSE, START, STATUS

COUNTED = "counted"
COUNT_REASON = "count_reason"
DATE = "date"
PIECE_START = "piece_start"
PIECE_END = "piece_end"
MINUTES = "minutes"
ATTRIBUTED_MINUTES = "attributed_minutes"
DOMAIN = "domain"
QUADRANT = "quadrant"

# The equal split of §6 is within one person's calendar. The engine audits one person,
# so the key is empty; adding a person column here groups every sweep by it.
PERSON: tuple[str, ...] = ()

T = "_t"  # a boundary point of a sweep
NEXT = "_next"  # the next boundary point: the segment is [_t, _next)
SEG_US = "_seg_us"  # µs from this boundary point to the next one (0 for the last)
K = "_k"  # +1/-1 of counted pieces; after the sweep: how many cover the segment
POS = "_pos"  # where a point is in the list its intervals were given in (`boundary_points`)
CODE = "_code"  # a point's deltas (and position) packed into one integer for the sort
US_PER_MINUTE = 60_000_000


def minutes_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """Elapsed minutes from ``start`` to ``end`` (float, exact to the µs)."""
    return (end - start).dt.total_microseconds() / US_PER_MINUTE


def per_person(expr: pl.Expr) -> pl.Expr:
    """``expr`` evaluated separately for each person (a no-op while PERSON is empty)."""
    return expr.over(PERSON) if PERSON else expr


def to_instant(local: pl.Expr, timezone: str, *, ambiguous: str = "earliest") -> pl.Expr:
    """The UTC instant at which the clocks of ``timezone`` show the naive ``local`` time.

    A wall-clock time inside a DST gap does not exist (Polars raises on it, STACK.md); it
    maps to the first instant after the gap, the instant the clocks jump (02:30 on
    2026-03-29 in Berlin → 03:00 CEST). So an interval given in wall-clock time covers
    exactly the instants whose wall-clock time lies inside it. A repeated time (the
    fall-back hour) resolves by ``ambiguous``: "earliest" for starts, "latest" for ends.

    One expression, so it converts every value 13 times; `with_instants` gives the same
    instants for whole columns at the cost of one conversion.
    """
    # Gap ends lie on a quarter hour in every zone in use; try the grid up to 3 h on.
    grid = local.dt.truncate("15m")
    candidates = [local, *(grid + pl.duration(minutes=15 * i) for i in range(1, 13))]
    return pl.coalesce(
        c.dt.replace_time_zone(timezone, ambiguous=ambiguous, non_existent="null")
        for c in candidates
    ).dt.convert_time_zone("UTC")


def with_instants(lf: pl.LazyFrame, timezone: str,
                  columns: dict[str, tuple[pl.Expr, str]]) -> pl.LazyFrame:
    """Add, for every ``name: (local, ambiguous)``, the column ``name`` = `to_instant` of
    the naive wall-clock expression ``local``.

    Each wall-clock time is converted once; only the (few) times inside a DST gap are
    searched for the end of their gap, as `to_instant` does.
    """
    local = {name: f"_local_{name}" for name in columns}
    lf = lf.with_columns(expr.alias(local[name]) for name, (expr, _) in columns.items())
    lf = lf.with_columns(
        pl.col(local[name]).dt.replace_time_zone(timezone, ambiguous=ambiguous,
                                                 non_existent="null").alias(name)
        for name, (_, ambiguous) in columns.items()
    )

    def fill_gaps(name: str, ambiguous: str) -> pl.Expr:
        wall, exact = pl.col(local[name]), pl.col(name)
        missing = exact.is_null() & wall.is_not_null()
        grid = wall.filter(missing).dt.truncate("15m")
        after_gap = pl.coalesce(
            (grid + pl.duration(minutes=15 * i))
            .dt.replace_time_zone(timezone, ambiguous=ambiguous, non_existent="null")
            for i in range(1, 13)
        )
        # the i-th missing row takes the i-th value of after_gap
        return pl.coalesce(exact, after_gap.gather(pl.when(missing).then(missing.cum_sum() - 1)))

    return lf.with_columns(
        fill_gaps(name, ambiguous).dt.convert_time_zone("UTC").alias(name)
        for name, (_, ambiguous) in columns.items()
    ).drop(local.values())


def local_date(instant: pl.Expr, timezone: str) -> pl.Expr:
    """The local calendar date of a UTC instant in ``timezone``."""
    return instant.dt.convert_time_zone(timezone).dt.date()


@functools.lru_cache(maxsize=16)
def _days_table(first: date, last: date, timezone: str) -> pl.DataFrame:
    midnight = pl.col(DATE).cast(pl.Datetime("us"))
    return with_instants(
        pl.LazyFrame().select(pl.date_range(first, last).alias(DATE)), timezone,
        {"day_start": (midnight, "earliest"),
         "day_end": (midnight + pl.duration(days=1), "earliest")},
    ).collect()


def period_days(period: Period, *, before: int = 0) -> pl.LazyFrame:
    """One row per local date of ``period`` (plus ``before`` earlier days): ``date``,
    ``day_start``, ``day_end`` as UTC instants of the local midnights around it.

    DST days come out 23 h / 25 h long because both midnights are converted separately.
    The table is computed once per period (a long period has many days, and every stage
    of the audit needs them), with the day before, which `daily_intervals` wants too.
    """
    earlier = max(before, 1)
    table = _days_table(period.start - timedelta(days=earlier), period.end - timedelta(days=1),
                        period.timezone)
    return table.slice(earlier - before).lazy()


def mark_counted(lf: pl.LazyFrame | pl.DataFrame, config: Config) -> pl.LazyFrame:
    """Add ``counted`` (bool) and ``count_reason`` (null when counted, else the first reason
    it counts no time, in the order below) to the event frame of §3.
    """
    counting = config.counting
    tentative = (pl.col(RESPONSE) == "tentative") | (pl.col(STATUS) == "tentative")
    too_long = (pl.col(END) - pl.col(START)) > pl.lit(timedelta(hours=counting.max_event_hours))
    reasons: list[tuple[pl.Expr, str]] = [
        (pl.col(STATUS) == "cancelled", "cancelled"),
        (pl.col(RESPONSE) == "declined", "declined"),
        (pl.col(ALL_DAY), "all-day"),
        (pl.col(KIND) == "out_of_office", "out of office"),
        (pl.col(KIND) == "working_location", "working location"),
        (too_long, f"longer than {counting.max_event_hours:g} h"),
    ]
    if not counting.include_free:
        reasons.append((~pl.col(BUSY), "free (transparent)"))
    if not counting.include_tentative:
        reasons.append((tentative, "tentative"))
    if not counting.include_needs_action:
        reasons.append((pl.col(RESPONSE) == "needs_action", "not answered"))
    first, *rest = reasons
    chain = pl.when(first[0]).then(pl.lit(first[1]))
    for condition, reason in rest:
        chain = chain.when(condition).then(pl.lit(reason))
    reason_expr = chain.otherwise(pl.lit(None, dtype=pl.String))
    return (
        lf.lazy()
        .with_columns(reason_expr.alias(COUNT_REASON))
        .with_columns(pl.col(COUNT_REASON).is_null().alias(COUNTED))
    )


def split_days(lf: pl.LazyFrame | pl.DataFrame, period: Period,
               where: pl.Expr | None = None) -> pl.LazyFrame:
    """Clip intervals to the period and cut them at local midnight.

    ::

        day:      |--- Mon ---------------|--- Tue ---------------|
        event:                      [=========)
        pieces:                     [====)[===)   date = Mon, Tue

    Adds ``date``, ``piece_start`` and ``piece_end``; intervals of zero length vanish, and
    so do rows where ``where`` does not hold. Only the few rows that cross midnight go
    through ``date_ranges`` and the join with the local midnights (STACK.md); the others
    keep their clipped start and end. The output is in no particular order.

    Computed when called: the times are worked out on the start and end columns alone,
    and the wide rows are copied once, by position.
    """
    frame = lf.lazy().collect()
    first_instant, last_instant = period.utc_bounds()
    start = pl.max_horizontal(pl.col(START), pl.lit(first_instant))
    end = pl.min_horizontal(pl.col(END), pl.lit(last_instant))
    keep = (pl.col(END) > pl.col(START)) & (end > start)
    if where is not None:
        keep = keep & where.fill_null(False)
    tz = period.timezone
    narrow = (
        frame.lazy()
        .select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), keep.alias("_keep"),
                start.alias(PIECE_START), end.alias(PIECE_END))
        .filter(pl.col("_keep"))
        .with_columns(
            local_date(pl.col(PIECE_START), tz).alias(DATE),
            local_date(pl.col(PIECE_END) - pl.duration(microseconds=1), tz).alias("_last"),
        )
        .collect()
    )
    one_day = narrow.filter(pl.col(DATE) == pl.col("_last"))
    crossing = narrow.filter(pl.col(DATE) != pl.col("_last"))

    def rows_of(part: pl.DataFrame) -> pl.Series:
        """A mask of ``frame`` selecting the rows of ``part`` (a filter copies list columns
        several times faster than a gather)."""
        mask = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True)
        return mask.scatter(part.get_column("_row"), True) if part.height else mask

    pieces = [
        frame.filter(rows_of(one_day)).with_columns(one_day.select(PIECE_START, PIECE_END, DATE)),
    ]
    if crossing.height:
        pieces.append(
            frame.filter(rows_of(crossing))
            .with_columns(crossing.select(PIECE_START, PIECE_END, DATE, "_last"))
            .lazy()
            .with_columns(pl.date_ranges(DATE, "_last").alias(DATE))
            .explode(DATE)
            .join(period_days(period), on=DATE, how="inner")
            .with_columns(
                pl.max_horizontal(PIECE_START, "day_start").alias(PIECE_START),
                pl.min_horizontal(PIECE_END, "day_end").alias(PIECE_END),
            )
            .drop("day_start", "day_end", "_last")
            .filter(pl.col(PIECE_END) > pl.col(PIECE_START))
            .collect()
        )
    return pl.concat(pieces).lazy()


def boundary_points(lf: pl.LazyFrame, start: str, end: str, delta: str,
                    labels: Sequence[str] = (), *, position: bool = False) -> pl.LazyFrame:
    """The ±1 boundary points of the intervals [start, end) for a `sweep`.

    One pass over ``lf`` (every start, then every end), so its plan runs once.
    ``labels`` travel with the +1 point (null at the -1 point). With ``position``, the
    points carry ``_pos``: row i of ``lf`` has its start at position i and its end at
    position n + i (n rows), which `at_positions` uses to read a curve at them.
    """
    schema = lf.collect_schema()
    return lf.select(
        *(pl.col(c).append(pl.col(c)) for c in PERSON),
        pl.col(start).append(pl.col(end)).alias(T),
        pl.repeat(1, pl.len(), dtype=pl.Int32)
        .append(pl.repeat(-1, pl.len(), dtype=pl.Int32)).alias(delta),
        *(pl.col(c).append(pl.repeat(None, pl.len(), dtype=schema[c])) for c in labels),
        *([pl.int_range(2 * pl.len()).alias(POS)] if position else []),
    )


def sweep(points: Sequence[pl.LazyFrame], levels: Sequence[str],
          labels: Sequence[str] = ()) -> pl.LazyFrame:
    """Run the sweep over boundary points, one row per point.

    ::

        A         [=============)
        B                [================)
        _t        t0     t1     t2        t3
        _k (level)   1      2       1         0
        _seg_us    t1-t0  t2-t1   t3-t2       0

    ``points`` (from `boundary_points`) each carry ``_t`` and some of the ``levels`` (±1
    delta columns; a frame without one counts 0 for it) and ``labels``. The result is
    sorted by ``_t`` with every level as the number of intervals covering [_t, next
    point), ``_seg_us`` = µs to the next point, and every label forward-filled from the
    last interval start that carried one (the largest, when several start at the same
    instant). Points at the same instant stay separate rows: the segments between them
    are 0 µs long, so they add nothing to any sum, and the last of them has the state
    after all of them (`instants` keeps only that one). Only the time column is sorted,
    nothing is grouped or joined, so this is one sort of the points.
    """
    # Every point's deltas (and position) travel as one integer through the sort: digit i
    # (base 3) is its delta of level i plus 1, and ``_pos + 1`` sits above them.
    radix = 3 ** len(levels)
    encoded, labelled = [], []
    for frame in points:
        names = frame.collect_schema().names()
        code = pl.lit(0, pl.Int64)
        for i, level in enumerate(levels):
            if level in names:
                code = code + (pl.col(level).fill_null(0).cast(pl.Int64) + 1) * 3**i
            else:
                code = code + 3**i
        if POS in names:
            code = code + (pl.col(POS).fill_null(-1).cast(pl.Int64) + 1) * radix
        payload = [c for c in names if c not in (*PERSON, T, POS, *levels)]
        (labelled if set(labels) & set(names) else encoded).append(
            frame.select(*PERSON, T, code.alias(CODE), *payload))
    if labelled:
        # Within an instant, a stable sort keeps this order: points without a label, then
        # labelled ones, smallest label first; so the last point there has the largest.
        encoded.append(pl.concat(labelled, how="diagonal_relaxed")
                       .sort(*labels, nulls_last=False, maintain_order=True))
    positioned = any(POS in frame.collect_schema().names() for frame in points)
    code = pl.col(CODE)
    return (
        pl.concat(encoded, how="diagonal_relaxed")
        .sort(*PERSON, T, maintain_order=True)
        .with_columns(
            *(per_person(((code // 3**i) % 3 - 1).cum_sum()).alias(level)
              for i, level in enumerate(levels)),
            *([pl.when(code >= radix).then(code // radix - 1).alias(POS)] if positioned else []),
            *(per_person(pl.col(c).forward_fill()).alias(c) for c in labels),
            (per_person(pl.col(T).shift(-1)) - pl.col(T)).dt.total_microseconds().fill_null(0)
            .alias(SEG_US),
        )
        .drop(CODE)
    )


def instants(points: pl.LazyFrame) -> pl.LazyFrame:
    """One row per distinct instant of a `sweep` (its last point), with ``_next``: the
    elementary segments [_t, _next), which tile the time line between the first and the
    last point."""
    after = per_person(pl.col(T).shift(-1))
    return points.filter(after.ne_missing(pl.col(T))).with_columns(
        after.fill_null(pl.col(T)).alias(NEXT)
    )


def stretches(segments: pl.LazyFrame, inside: pl.Expr, key: str) -> pl.LazyFrame:
    """Number the maximal runs of consecutive segments with the same ``inside`` and ``key``.

    ::

        inside:  F  T  T  F  T      key: d1 d1 d1 d1 d2
        _run:    1  2  2  3  4

    Segments of a sweep (`instants`) tile the time line, so consecutive ones touch: a
    run of ``inside`` segments is one unbroken stretch of time. Adds ``_inside`` and
    ``_run``.
    """
    flag = pl.col("_inside")
    changed = (flag != flag.shift(1)) | (pl.col(key) != pl.col(key).shift(1))
    return segments.with_columns(inside.fill_null(False).alias("_inside")).with_columns(
        per_person(changed.fill_null(True).cum_sum()).alias("_run")
    )


def run_total(value: pl.Expr) -> pl.Expr:
    """Sum of ``value`` over the row's ``_run`` (`stretches`): runs are consecutive rows,
    so this is a difference of running sums, not a grouping."""
    run = pl.col("_run")
    total = value.cum_sum()
    last = pl.when(run != run.shift(-1).fill_null(-1)).then(total).backward_fill()
    before = pl.when(run != run.shift(1).fill_null(-1)).then(total - value).forward_fill()
    return last - before


def share(segments: pl.LazyFrame, masks: dict[str, pl.Expr]) -> pl.LazyFrame:
    """Prefix sums of attributed minutes at every boundary point, one per mask.

    On a segment covered by k counted pieces each gets 1/k of its length (§6 overlap rule).
    ``G_mask(t)`` = attributed minutes of *one* covering piece from the first point up to
    t, counting only segments where the mask holds. A piece [a, b) then owns
    ``G(b) - G(a)`` minutes inside the mask: every segment in [a, b) is covered by it.
    (The 0-µs segments between points at the same instant add exactly 0.0, so every
    point of an instant has the same G.)
    """
    per_piece = (
        pl.when(pl.col(K) > 0).then(pl.col(SEG_US) / pl.col(K) / US_PER_MINUTE).otherwise(0.0)
    )
    return segments.with_columns(
        per_person(pl.when(mask).then(per_piece).otherwise(0.0)
                   .cum_sum().shift(1, fill_value=0.0)).alias(name)
        for name, mask in masks.items()
    )


def at_positions(curve: pl.LazyFrame, names: Sequence[str], count: int) -> pl.DataFrame:
    """For the ``count`` intervals whose points carry ``_pos`` (`boundary_points`), in
    their row order: ``<name>`` = curve value at the end minus value at the start."""
    return position_differences(positioned(curve, names).collect(), names, count)


def positioned(curve: pl.LazyFrame, names: Sequence[str]) -> pl.LazyFrame:
    """The points of ``curve`` that carry ``_pos``, with the values ``names``."""
    return curve.filter(pl.col(POS).is_not_null()).select(POS, *names)


def position_differences(at: pl.DataFrame, names: Sequence[str], count: int) -> pl.DataFrame:
    """`at_positions` from the collected `positioned` points."""
    positions = at.get_column(POS)
    out = []
    for name in names:  # put the values back in position order: a scatter, not a sort
        values = pl.repeat(0.0, 2 * count, dtype=pl.Float64, eager=True).alias(name)
        if count:
            values.scatter(positions, at.get_column(name))
        out.append(values.slice(count) - values.slice(0, count))
    return pl.DataFrame(out)


def counted_points(pieces: pl.LazyFrame, *, position: bool = False) -> pl.LazyFrame:
    """±1 points of all counted pieces (the ``_k`` level of a sweep)."""
    return boundary_points(pieces, PIECE_START, PIECE_END, K, position=position)


def attribute_time(lf: pl.LazyFrame | pl.DataFrame, config: Config,
                   period: Period) -> pl.LazyFrame:
    """One row per (counted occurrence, local date): the time it is given (§6).

    ::

        A  [=======================)         A: 60 + 30/2 + 30/3      = 85 min
        B              [=================)   B:      30/2 + 30/3 + 30 = 55 min
        C                    [=====)         C:             30/3      = 10 min
        k        1        2     3     1
           08:00       09:00 09:30 10:00 10:30

        sum = 150 min = the union 08:00-10:30, whatever the overlaps

    Keeps every input column and adds ``date`` (local, audit zone = period.timezone),
    ``piece_start``, ``piece_end`` (UTC), ``minutes`` (wall-clock length of the piece) and
    ``attributed_minutes`` (its equal share where it overlaps other counted pieces).
    Marks the frame with `mark_counted` first unless it already has ``counted``. Rows come
    in no particular order (sorting a million wide rows costs more than everything else).

    The pieces are computed when this is called: only their start and end go through the
    sweep, and the shares are put next to the pieces by position (no join of wide rows).
    """
    lf = lf.lazy()
    if COUNTED not in lf.collect_schema().names():
        lf = mark_counted(lf, config)
    pieces = split_days(lf, period, where=pl.col(COUNTED)).collect()
    curve = share(sweep([counted_points(pieces.lazy(), position=True)], [K]),
                  {ATTRIBUTED_MINUTES: pl.lit(True)})
    shares = at_positions(curve, [ATTRIBUTED_MINUTES], pieces.height)
    return pieces.lazy().with_columns(
        shares[ATTRIBUTED_MINUTES],
        minutes_between(pl.col(PIECE_START), pl.col(PIECE_END)).alias(MINUTES),
    )


def is_meeting() -> pl.Expr:
    """§6: a meeting is a counted occurrence with at least one other person attending."""
    return pl.col(ATTENDEES) >= 1


def busy_summary(attributed: pl.LazyFrame | pl.DataFrame, period: Period) -> pl.LazyFrame:
    """Per local date of the period (every date, zeros included):

    * ``busy_minutes`` — wall-clock union of counted time (= sum of attributed minutes);
    * ``double_booked_minutes`` — time covered by two or more counted occurrences;
    * ``meeting_minutes`` — attributed minutes of meetings (so meetings ≤ busy).
    """
    pieces = attributed.lazy()
    # Pieces never cross local midnight, so neither does a covered segment: its date is the
    # date of the last piece that started at or before it (that start lies inside a piece
    # covering the segment, so on its day). The sort keeps starts before ends at an
    # instant, so the date is carried forward from the start points, no time zone lookup.
    # (0-µs segments between points at one instant add 0 and are dropped.)
    segments = (
        sweep([boundary_points(pieces, PIECE_START, PIECE_END, K, labels=[DATE])], [K])
        .with_columns(per_person(pl.col(DATE).forward_fill()))
        .filter((pl.col(K) >= 1) & (pl.col(SEG_US) > 0))
    )
    time_per_day = segments.group_by(DATE).agg(
        (pl.col(SEG_US).sum() / US_PER_MINUTE).alias("busy_minutes"),
        (pl.col(SEG_US).filter(pl.col(K) >= 2).sum() / US_PER_MINUTE)
        .alias("double_booked_minutes"),
    )
    meetings = pieces.filter(is_meeting()).group_by(DATE).agg(
        pl.col(ATTRIBUTED_MINUTES).sum().alias("meeting_minutes")
    )
    return (
        period_days(period).select(DATE)
        .join(time_per_day, on=DATE, how="left")
        .join(meetings, on=DATE, how="left")
        .with_columns(pl.exclude(DATE).fill_null(0.0))
        .sort(DATE)
    )
