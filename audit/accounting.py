"""Time accounting (SPEC §6): which occurrences count, and how their time is attributed.

The pipeline is ``mark_counted`` → ``attribute_time`` → (``busy_summary``, boundaries,
focus). Everything takes and returns LazyFrames and the caller collects, except that
``attribute_time`` does its work when called (it works on the start and end columns
alone and puts the results next to the wide rows by position).

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

The interval tools (the concurrency sweep, the split at local midnight) are in
`audit.intervals`.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta

import polars as pl

from audit.config import Config
from audit.intervals import (
    DATE,
    PIECE_END,
    PIECE_START,
    SEG_US,
    US_PER_MINUTE,
    boundary_points,
    differences_at_positions,
    shared_minutes_curves,
    split_times,
    sweep,
    with_rows,
)
from core.period import Period, instant_at, resolve_zone
from core.schema import ALL_DAY, ATTENDEES, BUSY, END, KIND, RESPONSE, START, STATUS

COUNTED = "counted"
COUNT_REASON = "count_reason"
MINUTES = "minutes"
ATTRIBUTED_MINUTES = "attributed_minutes"
DOMAIN = "domain"
QUADRANT = "quadrant"
K = "_k"  # the sweep level of counted pieces: how many cover a segment


def minutes_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """Elapsed minutes from ``start`` to ``end`` (float, exact to the µs)."""
    return (end - start).dt.total_microseconds() / US_PER_MINUTE


def with_instants(lf: pl.LazyFrame, timezone: str,
                  columns: dict[str, tuple[pl.Expr, str]]) -> pl.LazyFrame:
    """Add, for every ``name: (local, ambiguous)``, the column ``name``: the UTC instant at
    which the clocks of ``timezone`` show the naive wall-clock expression ``local``.

    A repeated time (the fall-back hour) resolves by ``ambiguous``: "earliest" for starts,
    "latest" for ends. A wall-clock time inside a DST gap does not exist (Polars gives
    null for it, STACK.md); it maps to the first instant after the gap, the instant the
    clocks jump (02:30 on 2026-03-29 in Berlin → 03:00 CEST): the one rule of
    `core.period.instant_at`, the same instant as `core.period.local_midnight`. So an
    interval given in wall-clock time covers exactly the instants whose wall-clock time
    lies inside it.
    """
    local = {name: f"_local_{name}" for name in columns}
    lf = lf.with_columns(expr.alias(local[name]) for name, (expr, _) in columns.items())
    lf = lf.with_columns(
        pl.col(local[name]).dt.replace_time_zone(timezone, ambiguous=ambiguous,
                                                 non_existent="null").alias(name)
        for name, (_, ambiguous) in columns.items()
    )

    def fill_gaps(name: str) -> pl.Expr:
        wall, exact = pl.col(local[name]), pl.col(name).dt.convert_time_zone("UTC")
        missing = exact.is_null() & wall.is_not_null()
        jumps = wall.filter(missing).map_batches(
            functools.partial(_jump_instants, timezone=timezone), return_dtype=_UTC_US)
        # the i-th missing row takes the i-th jump
        return pl.coalesce(exact, jumps.gather(pl.when(missing).then(missing.cum_sum() - 1)))

    return lf.with_columns(fill_gaps(name).alias(name) for name in columns).drop(local.values())


_UTC_US = pl.Datetime("us", "UTC")


def _jump_instants(walls: pl.Series, *, timezone: str) -> pl.Series:
    """The instants of wall-clock times Polars found inside a DST gap, by `instant_at`.

    A Python step, but over the *distinct* gap times only (a few per DST change in the
    period: midnights, working-hour edges), never one per event: the rest of the column
    stays a Polars conversion.
    """
    if walls.is_empty():  # no gap in the period: the usual case
        return pl.Series(walls.name, [], dtype=_UTC_US)
    distinct = walls.unique()
    zone = resolve_zone(timezone)
    jumps = pl.Series([instant_at(wall, zone) for wall in distinct.to_list()], dtype=_UTC_US)
    return walls.replace_strict(distinct, jumps, return_dtype=_UTC_US)


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


def counted_points(pieces: pl.LazyFrame, *, position: bool = False,
                   labels: tuple[str, ...] = ()) -> pl.LazyFrame:
    """±1 points of all counted pieces (the ``_k`` level of a sweep)."""
    return boundary_points(pieces, PIECE_START, PIECE_END, K, labels, position=position)


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
    return _attributed_and_points(lf, config, period)[0].lazy()


def attribute_time_and_busy(lf: pl.LazyFrame | pl.DataFrame, config: Config, period: Period,
                            ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """`attribute_time` (collected), the busy and double-booked minutes per local date of
    its pieces (`busy_summary`'s ``time_per_day``), and the sweep of its pieces they both
    come from (`audit.intervals.sweep` with positions in the pieces' row order, which
    `audit.boundaries.find_violations` merges its boundaries into): the sweep
    `busy_summary` would run over them is the same sort of the same points (benchmarks/
    engine.py at 1M: one sort of 1.5M points less, ≈ 0.1 s), and so is the one
    `find_violations` would run. The sums per date are sums of whole microseconds, exact
    in any order."""
    attributed, points = _attributed_and_points(lf, config, period)
    return attributed, _time_per_day(points.lazy()).collect(), points


def attributed_pieces_and_busy(lf: pl.LazyFrame | pl.DataFrame, config: Config, period: Period,
                               ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """`attributed_pieces` (occurrences, pieces, sweep) and, between the pieces and their
    sweep, `attribute_time_and_busy`'s busy time per date."""
    events, pieces, points = attributed_pieces(lf, config, period)
    return events, pieces, _time_per_day(points.lazy()).collect(), points


def _attributed_and_points(lf: pl.LazyFrame | pl.DataFrame, config: Config,
                           period: Period) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`attribute_time` (collected), and the sweep's points it was computed from."""
    events, pieces, points = attributed_pieces(lf, config, period)
    return with_rows(events, pieces), points


def attributed_pieces(lf: pl.LazyFrame | pl.DataFrame, config: Config, period: Period,
                      ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """`attribute_time` without copying the occurrences' columns: the occurrences
    (collected, marked by `mark_counted`), the pieces and the sweep of the pieces.

    The pieces are ``_event_row`` (the row of the occurrence, `audit.intervals.EVENT_ROW`),
    ``piece_start``, ``piece_end``, ``date``, ``attributed_minutes`` and ``minutes``, in
    `attribute_time`'s row order; `audit.intervals.with_rows` of the two is
    `attribute_time`. The sweep is `attribute_time_and_busy`'s. A caller that reads a few
    of the occurrences' columns gathers those: copying every column of every counted
    occurrence was ≈ 0.25 s CPU at 1M occurrences (benchmarks/engine.py).
    """
    lf = lf.lazy()
    if COUNTED not in lf.collect_schema().names():
        lf = mark_counted(lf, config)
    events = lf.collect()
    pieces = split_times(events, period, period_days(period), where=pl.col(COUNTED))
    points = sweep([counted_points(pieces.lazy(), position=True, labels=(DATE,))], [K]).collect()
    curve = shared_minutes_curves(points.lazy(), K, {ATTRIBUTED_MINUTES: pl.lit(True)})
    shares = differences_at_positions(curve, [ATTRIBUTED_MINUTES], pieces.height)
    pieces = pieces.with_columns(
        shares[ATTRIBUTED_MINUTES],
        minutes_between(pl.col(PIECE_START), pl.col(PIECE_END)).alias(MINUTES),
    )
    return events, pieces, points


def is_meeting() -> pl.Expr:
    """§6: a meeting is a counted occurrence with at least one other person attending."""
    return pl.col(ATTENDEES) >= 1


def busy_summary(attributed: pl.LazyFrame | pl.DataFrame, period: Period,
                 time_per_day: pl.DataFrame | None = None) -> pl.LazyFrame:
    """Per local date of the period (every date, zeros included):

    * ``busy_minutes`` — wall-clock union of counted time (= sum of attributed minutes);
    * ``double_booked_minutes`` — time covered by two or more counted occurrences;
    * ``meeting_minutes`` — attributed minutes of meetings (so meetings ≤ busy).

    ``time_per_day``: the first two per date, when the caller has them from the sweep of
    `attribute_time_and_busy` (over these pieces, or over a longer span's: a date's
    figures depend on that date's pieces alone).
    """
    pieces = attributed.lazy()
    if time_per_day is None:
        points = boundary_points(pieces, PIECE_START, PIECE_END, K, labels=[DATE])
        time_per_day = _time_per_day(sweep([points], [K])).collect()
    meetings = pieces.filter(is_meeting()).group_by(DATE).agg(
        pl.col(ATTRIBUTED_MINUTES).sum().alias("meeting_minutes")
    )
    return (
        period_days(period).select(DATE)
        .join(time_per_day.lazy(), on=DATE, how="left")
        .join(meetings, on=DATE, how="left")
        .with_columns(pl.exclude(DATE).fill_null(0.0))
        .sort(DATE)
    )


def _time_per_day(points: pl.LazyFrame) -> pl.LazyFrame:
    """Busy and double-booked minutes per date, from the `sweep` of counted pieces whose
    points carry their ``date``.

    Pieces never cross local midnight, so neither does a covered segment: its date is the
    date of the last piece that started at or before it (that start lies inside a piece
    covering the segment, so on its day). The sort keeps starts before ends at an
    instant, so the date is carried forward from the start points, no time zone lookup.
    (0-µs segments between points at one instant add 0 and are dropped.)
    """
    segments = (
        points.with_columns(pl.col(DATE).forward_fill())
        .filter((pl.col(K) >= 1) & (pl.col(SEG_US) > 0))
    )
    return segments.group_by(DATE).agg(
        (pl.col(SEG_US).sum() / US_PER_MINUTE).alias("busy_minutes"),
        (pl.col(SEG_US).filter(pl.col(K) >= 2).sum() / US_PER_MINUTE)
        .alias("double_booked_minutes"),
    )
