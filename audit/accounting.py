"""Time accounting (SPEC §6): which occurrences count, and how their time is attributed.

The pipeline is ``mark_counted`` → ``attribute_time`` → (``busy_summary``, boundaries,
focus). Everything takes and returns LazyFrames; the caller collects.

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
intervals cover it. Nothing compares events with events, so it is O(n log n).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta

import polars as pl

from audit.config import Config
from audit.period import Period
from audit.schema import ALL_DAY, ATTENDEES, BUSY, END, KIND, RESPONSE, START, STATUS

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
    """
    # Gap ends lie on a quarter hour in every zone in use; try the grid up to 3 h on.
    grid = local.dt.truncate("15m")
    candidates = [local, *(grid + pl.duration(minutes=15 * i) for i in range(1, 13))]
    return pl.coalesce(
        c.dt.replace_time_zone(timezone, ambiguous=ambiguous, non_existent="null")
        for c in candidates
    ).dt.convert_time_zone("UTC")


def local_date(instant: pl.Expr, timezone: str) -> pl.Expr:
    """The local calendar date of a UTC instant in ``timezone``."""
    return instant.dt.convert_time_zone(timezone).dt.date()


def period_days(period: Period, *, before: int = 0) -> pl.LazyFrame:
    """One row per local date of ``period`` (plus ``before`` earlier days): ``date``,
    ``day_start``, ``day_end`` as UTC instants of the local midnights around it.

    DST days come out 23 h / 25 h long because both midnights are converted separately.
    """
    dates = pl.date_range(period.start - timedelta(days=before), period.end - timedelta(days=1))
    midnight = pl.col(DATE).cast(pl.Datetime("us"))
    return pl.LazyFrame().select(dates.alias(DATE)).with_columns(
        to_instant(midnight, period.timezone).alias("day_start"),
        to_instant(midnight + pl.duration(days=1), period.timezone).alias("day_end"),
    )


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


def split_days(lf: pl.LazyFrame, period: Period) -> pl.LazyFrame:
    """Clip intervals to the period and cut them at local midnight.

    ::

        day:      |--- Mon ---------------|--- Tue ---------------|
        event:                      [=========)
        pieces:                     [====)[===)   date = Mon, Tue

    Adds ``date``, ``piece_start`` and ``piece_end``; intervals of zero length vanish.
    Only the few rows that cross midnight go through ``date_ranges`` and the join with the
    local midnights (STACK.md); the others keep their clipped start and end. The output is
    in no particular order.
    """
    first_instant, last_instant = period.utc_bounds()
    start = pl.max_horizontal(pl.col(START), pl.lit(first_instant))
    end = pl.min_horizontal(pl.col(END), pl.lit(last_instant))
    tz = period.timezone
    marked = lf.filter((pl.col(END) > pl.col(START)) & (end > start)).with_columns(
        start.alias(PIECE_START),
        end.alias(PIECE_END),
    ).with_columns(
        local_date(pl.col(PIECE_START), tz).alias(DATE),
        local_date(pl.col(PIECE_END) - pl.duration(microseconds=1), tz).alias("_last"),
    )
    one_day = marked.filter(pl.col(DATE) == pl.col("_last"))
    crossing = (
        marked.filter(pl.col(DATE) != pl.col("_last"))
        .with_columns(pl.date_ranges(DATE, "_last").alias(DATE))
        .explode(DATE)
        .join(period_days(period), on=DATE, how="inner")
        .with_columns(
            pl.max_horizontal(PIECE_START, "day_start").alias(PIECE_START),
            pl.min_horizontal(PIECE_END, "day_end").alias(PIECE_END),
        )
        .drop("day_start", "day_end")
        .filter(pl.col(PIECE_END) > pl.col(PIECE_START))
    )
    return pl.concat([one_day, crossing]).drop("_last")


def boundary_points(lf: pl.LazyFrame, start: str, end: str, delta: str,
                    labels: Sequence[str] = ()) -> pl.LazyFrame:
    """The ±1 boundary points of the intervals [start, end) for a `sweep`.

    One pass over ``lf`` (every start, then every end), so its plan runs once.
    ``labels`` travel with the +1 point (null at the -1 point).
    """
    schema = lf.collect_schema()
    return lf.select(
        *(pl.col(c).append(pl.col(c)) for c in PERSON),
        pl.col(start).append(pl.col(end)).alias(T),
        pl.repeat(1, pl.len(), dtype=pl.Int32)
        .append(pl.repeat(-1, pl.len(), dtype=pl.Int32)).alias(delta),
        *(pl.col(c).append(pl.repeat(None, pl.len(), dtype=schema[c])) for c in labels),
    )


def sweep(points: Iterable[pl.LazyFrame], levels: Sequence[str],
          labels: Sequence[str] = ()) -> pl.LazyFrame:
    """Merge boundary points into elementary segments.

    ::

        A         [=============)
        B                [================)
        _t        t0     t1     t2        t3
        _k (level)   1      2       1         0
        _seg_us    t1-t0  t2-t1   t3-t2       0

    ``points`` (from `boundary_points`) each carry ``_t`` and some of the ``levels`` (±1
    delta columns; a frame without one counts 0 for it) and ``labels``. The result has
    one row per distinct ``_t``, sorted, with ``_next`` and ``_seg_us`` (the segment
    [_t, _next) and its length), every level as the number of intervals covering that
    segment, and every label forward-filled from the last interval start that carried
    one (the largest, when several start at the same instant).
    """
    merged = pl.concat(list(points), how="diagonal_relaxed")
    present = merged.collect_schema().names()
    merged = (
        merged.with_columns(pl.lit(0, pl.Int32).alias(c) for c in levels if c not in present)
        .group_by(*PERSON, T)
        .agg(*(pl.col(c).sum() for c in levels), *(pl.col(c).max() for c in labels))
        .sort(*PERSON, T)
    )
    return merged.with_columns(
        *(per_person(pl.col(c).cum_sum()).alias(c) for c in levels),
        *(per_person(pl.col(c).forward_fill()).alias(c) for c in labels),
        per_person(pl.col(T).shift(-1)).fill_null(pl.col(T)).alias(NEXT),
    ).with_columns((pl.col(NEXT) - pl.col(T)).dt.total_microseconds().alias(SEG_US))


def stretches(segments: pl.LazyFrame, inside: pl.Expr, key: str) -> pl.LazyFrame:
    """Number the maximal runs of consecutive segments with the same ``inside`` and ``key``.

    ::

        inside:  F  T  T  F  T      key: d1 d1 d1 d1 d2
        _run:    1  2  2  3  4

    Segments of a sweep tile the time line, so consecutive ones touch: a run of
    ``inside`` segments is one unbroken stretch of time. Adds ``_inside`` and ``_run``.
    """
    flag = pl.col("_inside")
    changed = (flag != flag.shift(1)) | (pl.col(key) != pl.col(key).shift(1))
    return segments.with_columns(inside.fill_null(False).alias("_inside")).with_columns(
        per_person(changed.fill_null(True).cum_sum()).alias("_run")
    )


def share(segments: pl.LazyFrame, masks: dict[str, pl.Expr]) -> pl.LazyFrame:
    """Prefix sums of attributed minutes at every boundary point, one per mask.

    On a segment covered by k counted pieces each gets 1/k of its length (§6 overlap rule).
    ``G_mask(t)`` = attributed minutes of *one* covering piece from the first point up to
    t, counting only segments where the mask holds. A piece [a, b) then owns
    ``G(b) - G(a)`` minutes inside the mask: every segment in [a, b) is covered by it.
    """
    per_piece = (
        pl.when(pl.col(K) > 0).then(pl.col(SEG_US) / pl.col(K) / US_PER_MINUTE).otherwise(0.0)
    )
    return segments.with_columns(
        per_person(pl.when(mask).then(per_piece).otherwise(0.0)
                   .cum_sum().shift(1, fill_value=0.0)).alias(name)
        for name, mask in masks.items()
    )


def lookup(pieces: pl.LazyFrame, curve: pl.LazyFrame, names: Sequence[str]) -> pl.LazyFrame:
    """For every piece, ``<name>`` = curve value at piece_end minus value at piece_start."""
    at = curve.select(*PERSON, T, *names)
    suffixed = {n: f"{n}@start" for n in names}
    joined = (
        pieces.join(at.rename(suffixed), left_on=[*PERSON, PIECE_START],
                    right_on=[*PERSON, T], how="left")
        .join(at, left_on=[*PERSON, PIECE_END], right_on=[*PERSON, T], how="left")
    )
    return joined.with_columns(
        (pl.col(n) - pl.col(f"{n}@start")).alias(n) for n in names
    ).drop(*suffixed.values())


def counted_points(pieces: pl.LazyFrame) -> pl.LazyFrame:
    """±1 points of all counted pieces (the ``_k`` level of a sweep)."""
    return boundary_points(pieces, PIECE_START, PIECE_END, K)


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
    """
    lf = lf.lazy()
    if COUNTED not in lf.collect_schema().names():
        lf = mark_counted(lf, config)
    pieces = split_days(lf.filter(pl.col(COUNTED)), period)
    curve = share(sweep([counted_points(pieces)], [K]), {ATTRIBUTED_MINUTES: pl.lit(True)})
    return (
        lookup(pieces, curve, [ATTRIBUTED_MINUTES])
        .with_columns(minutes_between(pl.col(PIECE_START), pl.col(PIECE_END)).alias(MINUTES))
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
    segments = sweep([counted_points(pieces)], [K]).filter(pl.col(K) >= 1)
    # Pieces never cross local midnight, so neither does a covered segment: its date is
    # the local date of its start.
    time_per_day = segments.group_by(local_date(pl.col(T), period.timezone).alias(DATE)).agg(
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
