"""Boundaries (SPEC §7): working windows per local day, and work that crosses them.

Interpretations (also in the docs):

* A day's window is ``working_hours`` of its weekday in the audit zone
  (``period.timezone``); a range that wraps ("22:00-06:00") ends on the next day.
  Wall-clock times are converted as `audit.accounting.with_instants` says, so DST days are
  right (a time in the spring gap is the instant the clocks jump over it).
* Days off: an all-day event that is ``out_of_office`` or whose title matches
  ``days_off.title_pattern`` makes every day it covers non-working, whether it is marked
  free or tentative — but not when it is cancelled or the owner declined it (a declined
  "Company offsite" is not the owner's day off).
* Timed ``out_of_office`` events (any length, not cancelled, not declined) are removed
  from the windows; several together may cover the whole window, and then the day is
  non-working. Work inside the removed part counts as outside the window.
* Each minute of work outside the windows gets exactly one of ``non_working_day``,
  ``late_night``, ``after_hours``, decided by the local date of that minute (the piece's
  date from §6 accounting): work at 01:00 on a Saturday is ``non_working_day`` even though
  Friday's late-night range reaches into it.
* ``protected_time`` counts every protected block on its configured weekdays (a block
  that wraps belongs to the day it starts on), on working and non-working days alike.
* ``long_day`` and ``no_meeting_day`` are judged per **work day** (SPEC §7): from the end
  of the ``late_night`` window to its next end (06:00–06:00 with the defaults), so
  late-night work belongs to the day it continues — an incident from 23:40 to 01:10 makes
  one long day, not two, and does not make the next morning a meeting day. A late-night
  window that does not wrap midnight has no night to continue: work days are then local
  dates. A work day that began before the period (its early hours are the period's first
  morning) is the previous period's; their rows carry the work day's date.
* ``no_meeting_day``: the attributed minutes of a counted work meeting (attendees ≥ 1)
  inside a work day of a ``no_meeting_days`` weekday, working or not (one more level of the
  sweep, so a meeting that crosses 06:00 counts only its part in that work day).
* ``long_day``: per work day, first work start → last work end (elapsed time, so
  08:00-20:00 on the 23-h DST day is 11 h); the row names the work event that ends last
  (ties → the larger event_id), because that is the one that made the day long.
"""

from __future__ import annotations

from datetime import time, timedelta

import polars as pl

from audit.accounting import (
    ATTRIBUTED_MINUTES,
    DOMAIN,
    K,
    counted_points,
    is_meeting,
    minutes_between,
    period_days,
    with_instants,
)
from audit.config import WEEKDAYS, Config, TimeRange
from audit.domains import Domain
from audit.intervals import (
    DATE,
    EVENT_ROW,
    NEXT,
    PIECE_END,
    PIECE_START,
    POS,
    SEG_US,
    T,
    boundary_points,
    differences_by_position,
    elementary_segments,
    intersect,
    points_with_position,
    shared_minutes_curves,
    split_at_midnight,
    stretches,
    subtract,
    sweep,
)
from core.period import Period
from core.schema import (
    ALL_DAY,
    ATTENDEES,
    CALENDAR,
    END,
    EVENT_ID,
    KIND,
    RESPONSE,
    START,
    STATUS,
    TITLE,
)

WINDOW_START = "window_start"
WINDOW_END = "window_end"
WORKING = "working"
REASON = "reason"
TYPE = "type"
MINUTES = "minutes"

# The first three partition work time outside the windows; the last three come on top.
VIOLATION_TYPES = ("non_working_day", "late_night", "after_hours",
                   "protected_time", "no_meeting_day", "long_day")

VIOLATION_SCHEMA = pl.Schema({DATE: pl.Date, TYPE: pl.String, MINUTES: pl.Float64,
                              EVENT_ID: pl.String, TITLE: pl.String, CALENDAR: pl.String})

def _weekday_numbers(names: tuple[str, ...]) -> list[int]:
    """Polars weekday numbers (Monday = 1) of weekday names."""
    return [WEEKDAYS.index(name) + 1 for name in names]


def _with_wall_clock_interval(lf: pl.LazyFrame, tz: str, start_time: pl.Expr,
                              end_time: pl.Expr) -> pl.LazyFrame:
    """Add ``start`` and ``end``: the instants of a local "HH:MM-HH:MM" range on the row's
    ``date`` (a range that ends at or before its start ends on the next day)."""
    day = pl.col(DATE)
    end_day = pl.when(end_time <= start_time).then(day.dt.offset_by("1d")).otherwise(day)
    return with_instants(lf, tz, {"start": (day.dt.combine(start_time), "earliest"),
                                  "end": (end_day.dt.combine(end_time), "latest")})


def daily_intervals(period: Period, time_range: TimeRange,
                    weekdays: tuple[str, ...] = WEEKDAYS) -> pl.LazyFrame:
    """``date, start, end``: the range on every listed weekday of the period.

    Starts one day early, so a range that wraps midnight also covers the period's first
    morning::

        Sun 22:00 [======== late night ========) Mon 06:00
                          Mon 00:00 = period start
    """
    days = (period_days(period, before=1).select(DATE)
            .filter(pl.col(DATE).dt.weekday().is_in(_weekday_numbers(weekdays))))
    return _with_wall_clock_interval(days, period.timezone, pl.lit(time_range.start),
                                     pl.lit(time_range.end))


def _not_refused() -> pl.Expr:
    return (pl.col(STATUS) != "cancelled") & (pl.col(RESPONSE) != "declined")


def working_windows(config: Config, period: Period,
                    events: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """The working windows of every local date of the period.

    ::

        hours     09:00 [=========================) 17:30
        OOO               12:00 [=====) 14:00
        windows   09:00 [=======)       [=========) 17:30   two rows, working = true

    Columns: ``date``, ``window_start``, ``window_end`` (UTC), ``working`` and ``reason``.
    A working day has one row per window interval (reason null); a non-working day has
    one row with null window and ``reason`` = "no working hours", "day off" or
    "out of office". Sorted by date and window start.
    """
    tz = period.timezone
    ranges = [config.working_hours.get(day) for day in WEEKDAYS]
    weekly = pl.LazyFrame(
        {
            "_weekday": list(range(1, 8)),
            "_from": [r.start if r else None for r in ranges],
            "_to": [r.end if r else None for r in ranges],
        },
        schema={"_weekday": pl.Int8, "_from": pl.Time, "_to": pl.Time},
    )
    days = (
        period_days(period).select(DATE)
        .with_columns(pl.col(DATE).dt.weekday().cast(pl.Int8).alias("_weekday"))
        .join(weekly, on="_weekday", how="left")
    )
    planned = _with_wall_clock_interval(
        days.filter(pl.col("_from").is_not_null()).select(DATE, "_from", "_to"),
        tz, pl.col("_from"), pl.col("_to"),
    ).select(DATE, "start", "end")
    events = events.lazy()
    # the title pattern is only searched in the (few) all-day events
    all_day = events.filter(pl.col(ALL_DAY) & _not_refused()).select(START, END, KIND, TITLE)
    day_off_events = all_day.collect().lazy().filter(
        (pl.col(KIND) == "out_of_office")
        | pl.col(TITLE).str.contains(config.days_off.title_pattern)
    )
    days_off = (split_at_midnight(day_off_events.select(START, END), period, period_days(period))
                .select(DATE).unique())
    first_instant, last_instant = period.utc_bounds()
    away = events.filter(
        ~pl.col(ALL_DAY) & _not_refused() & (pl.col(KIND) == "out_of_office")
        # a window that wraps midnight may end on the day after the period
        & (pl.col(END) > first_instant) & (pl.col(START) < last_instant + timedelta(days=1))
    ).select(START, END)
    segments = elementary_segments(sweep(
        [boundary_points(planned, "start", "end", "_w", labels=[DATE]),
         boundary_points(away, START, END, "_o")],
        ["_w", "_o"], labels=[DATE],
    ))
    remaining = (
        stretches(segments, (pl.col("_w") > 0) & (pl.col("_o") == 0), DATE)
        .filter(pl.col("_inside"))
        .group_by("_run")
        .agg(pl.col(DATE).first(), pl.col(T).min().alias(WINDOW_START),
             pl.col(NEXT).max().alias(WINDOW_END))
        .drop("_run")
    )
    status = (
        days.select(DATE, pl.col("_from").is_not_null().alias("_hours"))
        .join(days_off.with_columns(pl.lit(True).alias("_off")), on=DATE, how="left")
        .join(remaining.select(DATE).unique().with_columns(pl.lit(True).alias("_left")),
              on=DATE, how="left")
        .with_columns(
            pl.when(~pl.col("_hours")).then(pl.lit("no working hours"))
            .when(pl.col("_off").fill_null(False)).then(pl.lit("day off"))
            .when(pl.col("_left").is_null()).then(pl.lit("out of office"))
            .otherwise(pl.lit(None, pl.String)).alias(REASON)
        )
    )
    working = remaining.join(status.filter(pl.col(REASON).is_null()), on=DATE, how="semi")
    off = status.filter(pl.col(REASON).is_not_null())
    return (
        pl.concat(
            [
                working.select(DATE, WINDOW_START, WINDOW_END, pl.lit(True).alias(WORKING),
                               pl.lit(None, pl.String).alias(REASON)),
                off.select(DATE, pl.lit(None, pl.Datetime("us", "UTC")).alias(WINDOW_START),
                           pl.lit(None, pl.Datetime("us", "UTC")).alias(WINDOW_END),
                           pl.lit(False).alias(WORKING), REASON),
            ]
        )
        .sort(DATE, WINDOW_START)
        .collect()
    )


def _work_days(period: Period, late_night: TimeRange,
               weekdays: tuple[str, ...]) -> pl.LazyFrame:
    """``date, start, end``: the work days (§7) of the period on ``weekdays``: from the end
    of the late-night window to its next end, or midnight to midnight when the late-night
    window does not wrap midnight. Work days that begin before the period are left out."""
    begins = late_night.end if late_night.end < late_night.start else time(0)
    return (daily_intervals(period, TimeRange(begins, begins), weekdays)
            .filter(pl.col(DATE) >= period.start))


def _work_day_parts(work: pl.DataFrame, period: Period,
                    late_night: TimeRange) -> pl.LazyFrame:
    """Work pieces cut at the start of the work day and dated by it (``date`` = the work
    day); ``_starts_piece`` marks the part where the piece begins.

    ::

        local dates:   |------ Tue -----------|------ Wed -----------|
        work days:           |------ Tue ---------------|---- Wed ----
                          06:00                       06:00
        incident:                        [=====|===)         23:40 → 01:10
        pieces (§6):                     [====)[===)         dates Tue, Wed
        parts:                           [====)[===)         work day Tue, Tue

    Pieces never cross midnight, so each crosses at most one work-day start. Work days
    that begin before the period are left out.
    """
    if late_night.end >= late_night.start:  # no night that runs past midnight
        return work.lazy().with_columns(pl.lit(True).alias("_starts_piece"))
    boundary = with_instants(period_days(period).select(DATE), period.timezone,
                             {"_b": (pl.col(DATE).dt.combine(pl.lit(late_night.end)),
                                     "earliest")})
    pieces = work.lazy().join(boundary, on=DATE, how="left")
    before = pl.col(PIECE_START) < pl.col("_b")
    early = pieces.filter(before).with_columns(
        pl.col(DATE).dt.offset_by("-1d"),
        pl.min_horizontal(PIECE_END, "_b").alias(PIECE_END),
        pl.lit(True).alias("_starts_piece"),
    )
    late = pieces.filter(pl.col(PIECE_END) > pl.col("_b")).with_columns(
        pl.max_horizontal(PIECE_START, "_b").alias(PIECE_START),
        (~before).alias("_starts_piece"),
    )
    return pl.concat([early, late]).filter(pl.col(DATE) >= period.start).drop("_b")


# The four boundary levels of `find_violations`' sweep (working windows, late night,
# protected blocks, no-meeting work days) travel packed in one Int64 column, 16 bits each:
# a point adds 1 << offset at an interval's start and takes it away at its end, so the
# column's running sum holds the four counts side by side. No field borrows from another:
# every interval here ends at or after its start, and its start is sorted before its end
# (`audit.intervals.sweep`), so each count is >= 0 at every point; and each stays far below
# 2**16 (a day has a few windows and blocks). One column instead of four through the sort
# of ≈ 2.6M points and their running sums: 0.04 GB less memory in this stage, the audit's
# largest, at 1M occurrences (benchmarks/engine.py; CPU unchanged).
_BOUNDARIES = "_boundaries"
_FIELD_OFFSETS = {"_w": 0, "_l": 16, "_p": 32, "_m": 48}


def _boundary_field(lf: pl.LazyFrame, start: str, end: str, level: str) -> pl.LazyFrame:
    """`boundary_points` of ``lf`` as the field ``level`` of the packed boundary levels."""
    return boundary_points(lf, start, end, level).select(
        T, (pl.col(level).cast(pl.Int64) * (1 << _FIELD_OFFSETS[level])).alias(_BOUNDARIES))


def _field(level: str) -> pl.Expr:
    """The count of ``level`` in the packed boundary levels of a sweep."""
    return (pl.col(_BOUNDARIES) // (1 << _FIELD_OFFSETS[level])) % (1 << 16)


def _merged_sweep(pieces_sweep: pl.DataFrame, boundaries: pl.LazyFrame) -> pl.LazyFrame:
    """The sweep of the pieces' points and the boundaries' points together, from the two
    sorted apart: a merge of two sorted lists, not a sort of both.

    The pieces' sweep already has their level ``_k`` at every point; a boundary point
    carries the level of the piece point before it (forward fill), and the packed
    boundary levels are the running sum of their ±1 fields (0 at a piece point). At an
    instant shared by both lists the merge may order their points differently from one
    sort of both, but the segments between points of one instant are 0 µs long, and the
    last point of the instant has every level after all of them either way: every sum
    over the segments is the same, to the bit (`shared_minutes_curves` adds exactly 0.0
    for a 0-µs segment). Measured at 1M occurrences (benchmarks/engine.py): the sort of
    ≈ 2.6M points it replaces was ≈ 0.4 s CPU of `find_violations`' 1.1-1.3 s.
    """
    pieces = pieces_sweep.lazy().select(
        T, K, POS, pl.lit(0, pl.Int64).alias(_BOUNDARIES))
    schema = pieces.collect_schema()
    others = boundaries.select(
        T, pl.lit(None, schema[K]).alias(K), pl.lit(None, schema[POS]).alias(POS),
        _BOUNDARIES)
    return pieces.merge_sorted(others, key=T).with_columns(
        pl.col(K).forward_fill().fill_null(0),
        pl.col(_BOUNDARIES).cum_sum(),
        (pl.col(T).shift(-1) - pl.col(T)).dt.total_microseconds().fill_null(0).alias(SEG_US),
    )


def find_violations(attributed: pl.LazyFrame | pl.DataFrame, windows: pl.DataFrame,
                    config: Config, period: Period,
                    pieces_sweep: pl.DataFrame | None = None,
                    events: pl.DataFrame | None = None) -> pl.DataFrame:
    """Boundary violations of work time (§7), one row per (date, type, event piece).

    Minutes are attributed minutes (§6) of the part of a work piece that crosses a
    boundary. Every boundary is one more ±1 level in the same sweep as the overlap split,
    so the share of any clipped sub-interval is a difference of prefix sums::

        window    [=====================)               09:00-17:30
        work A                    [===========)         17:00-18:00
        life B                       [===========)      17:15-18:15
        k                          1  2   2    1
                                        |     |   outside: 17:30-18:00, shared by A and B
        A: after_hours = G(18:00) - G(17:30) = 30 min / 2 = 15 min

    ``attributed`` is the output of `audit.accounting.attribute_time` (all counted pieces,
    every domain: they all take their share of an overlap); ``windows`` of
    `working_windows`. Columns: ``date, type, minutes, event_id, title, calendar``; rows
    with zero minutes are left out; sorted by date, type, event_id.

    Only times and levels go through the sweep; a work piece is found again by its
    position, and its event id, title and calendar are fetched for violation rows only.

    ``pieces_sweep``: the `audit.intervals.sweep` of ``attributed``'s pieces (all of
    them, in its row order, with positions), when the caller has it from
    `audit.accounting.attribute_time_and_busy`; the boundaries' points are merged into
    it instead of sorting every piece's points again.

    ``events``: when given, ``attributed`` are the narrow pieces of
    `audit.accounting.attributed_pieces` and ``events`` the occurrences their
    ``_event_row`` numbers; the columns of the occurrences read here (domain, attendees,
    and the texts of the violation rows) are fetched from there.
    """
    if events is None:
        events = attributed.lazy().collect()
        pieces = events.select(DATE, PIECE_START, PIECE_END, ATTRIBUTED_MINUTES,
                               pl.int_range(pl.len(), dtype=pl.UInt32).alias(EVENT_ROW))
    else:
        pieces = attributed.lazy().collect()
    bounds = config.boundaries
    windows_lf = windows.lazy()
    inside = windows_lf.filter(pl.col(WORKING))
    event_rows = pieces.get_column(EVENT_ROW)
    work_rows = events.select((pl.col(DOMAIN) == Domain.WORK).fill_null(False)).to_series() \
        .gather(event_rows)
    work = pieces.select(DATE, PIECE_START, PIECE_END, ATTRIBUTED_MINUTES, EVENT_ROW) \
        .filter(work_rows)
    work = work.with_columns(events.get_column(ATTENDEES).gather(work.get_column(EVENT_ROW)))
    if pieces_sweep is None:
        pieces_sweep = sweep([counted_points(pieces.lazy(), position=True)], [K]).collect()
    protected = [daily_intervals(period, block.time, block.days) for block in bounds.protected]
    no_meeting = _work_days(period, bounds.late_night, bounds.no_meeting_days)
    boundary_points_ = sweep([
        _boundary_field(inside, WINDOW_START, WINDOW_END, "_w"),
        _boundary_field(daily_intervals(period, bounds.late_night), "start", "end", "_l"),
        *(_boundary_field(block, "start", "end", "_p") for block in protected),
        _boundary_field(no_meeting, "start", "end", "_m"),
    ], [])
    outside = _field("_w") == 0
    late = _field("_l") > 0
    curve = shared_minutes_curves(
        _merged_sweep(pieces_sweep, boundary_points_), K,
        {"_late": outside & late, "_after": outside & ~late, "_protected": _field("_p") > 0,
         "_no_meeting": _field("_m") > 0},
    )
    crossed_names = ["_late", "_after", "_protected", "_no_meeting"]
    # long_day: first work start to last work end of a work day; the row names the event
    # that ends last (ties → the larger event_id)
    parts = _work_day_parts(work, period, bounds.late_night)
    over_hours = (minutes_between(pl.col("_first"), pl.col("_last"))
                  - bounds.max_workday_hours * 60) > 0  # as the rows' minutes, then > 0
    day_span = parts.group_by(DATE).agg(pl.col(PIECE_START).min().alias("_first"),
                                        pl.col(PIECE_END).max().alias("_last"))
    # only the days over the limit (a third of the days at 1M): a smaller join and sort
    ends_last = parts.join(day_span.filter(over_hours), left_on=[DATE, PIECE_END],
                           right_on=[DATE, "_last"], how="inner")
    # the sweep and the long days' candidates are independent: run them side by side
    at, ends_last_frame = pl.collect_all([points_with_position(curve, crossed_names),
                                          ends_last.select(DATE, "_first", PIECE_END, EVENT_ROW)])
    long_days_frame = (
        ends_last_frame.with_columns(_texts(events, ends_last_frame.get_column(EVENT_ROW)))
        .sort(DATE, EVENT_ID)
        .unique(subset=[DATE], keep="last")
        .select(DATE, pl.lit("long_day").alias(TYPE),
                (minutes_between(pl.col("_first"), pl.col(PIECE_END))
                 - bounds.max_workday_hours * 60).alias(MINUTES),
                EVENT_ID, TITLE, CALENDAR)
    )
    crossed = differences_by_position(at, crossed_names, work_rows.len()).filter(work_rows)
    # Each intermediate is let go as soon as the next one is made: the rows of violations
    # are built at the end of the audit's largest stage in memory (0.04 GB less in this
    # stage at 1M occurrences, benchmarks/engine.py)
    del at
    # A date without a working row in ``windows`` has no window: non-working (§7).
    working_dates = windows.filter(pl.col(WORKING)).get_column(DATE).unique()
    working = pl.col(DATE).is_in(working_dates.implode())
    # the work day of a piece's no-meeting minutes: its own date once that work day has
    # begun, else the day before (a piece crosses at most one work-day start)
    starts = no_meeting.collect()
    begun = pl.col(PIECE_END) > pl.col(DATE).replace_strict(
        starts.get_column(DATE), starts.get_column("start"), default=None)
    per_type = work.select(DATE, PIECE_END, ATTRIBUTED_MINUTES, ATTENDEES).with_columns(
        crossed
    ).select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
        pl.when(pl.col("_no_meeting") > 0).then(
            pl.when(begun.fill_null(False)).then(pl.col(DATE))
            .otherwise(pl.col(DATE).dt.offset_by("-1d"))
        ).otherwise(pl.col(DATE)).alias("_work_day"),
        DATE,
        pl.when(~working).then(pl.col(ATTRIBUTED_MINUTES)).otherwise(0.0)
        .alias("non_working_day"),
        pl.when(working).then(pl.col("_late")).otherwise(0.0).alias("late_night"),
        pl.when(working).then(pl.col("_after")).otherwise(0.0).alias("after_hours"),
        pl.col("_protected").alias("protected_time"),
        pl.when(is_meeting()).then(pl.col("_no_meeting")).otherwise(0.0)
        .alias("no_meeting_day"),
    )
    crossing = (
        per_type.unpivot(on=list(VIOLATION_TYPES[:5]), index=["_row", DATE, "_work_day"],
                         variable_name=TYPE, value_name=MINUTES)
        .filter(pl.col(MINUTES) > 0)
        .with_columns(pl.when(pl.col(TYPE) == "no_meeting_day").then(pl.col("_work_day"))
                      .otherwise(pl.col(DATE)).alias(DATE))
        .drop("_work_day")
    )
    del per_type, crossed
    crossing = crossing.drop("_row").with_columns(
        _texts(events, work.get_column(EVENT_ROW).gather(crossing.get_column("_row"))))
    del work
    # sorting on the type as an enum (in name order) is twice as fast as on its text
    types = pl.Enum(sorted(VIOLATION_TYPES))
    rows = (
        pl.concat([crossing.lazy().select(VIOLATION_SCHEMA.names()), long_days_frame.lazy()],
                  how="vertical_relaxed")
        .filter(pl.col(MINUTES) > 0)
        .cast(dict(VIOLATION_SCHEMA.items()))
        .with_columns(pl.col(TYPE).cast(types))
        .collect()
        .sort(DATE, TYPE, EVENT_ID)
    )
    return _one_row_per_event_and_day(rows).with_columns(pl.col(TYPE).cast(pl.String))


def _texts(events: pl.DataFrame, rows: pl.Series) -> list[pl.Series]:
    """The event id, title and calendar of the occurrences at ``rows`` of ``events``: of
    violation rows only (≈ 0.5M of 1M occurrences' pieces, benchmarks/engine.py)."""
    return [events.get_column(column).gather(rows) for column in (EVENT_ID, TITLE, CALENDAR)]


def _one_row_per_event_and_day(rows: pl.DataFrame) -> pl.DataFrame:
    """One row per (date, type, event id, title, calendar) of violation ``rows`` sorted by
    date, type and event id, their minutes summed, in that order.

    A meeting that runs past midnight into a no-meeting work day has a piece on each
    local date, both that work day's (and an event id may name several occurrences).
    Rows that can be merged are neighbours in this order, so only the few rows next to
    one with the same date, type and event id are grouped (by all five keys, in order)
    and put back at the place of their first row: at 1M occurrences grouping all ≈ 490k
    rows by their text keys took ≈ 0.14 s CPU (benchmarks/engine.py).
    """
    same = pl.all_horizontal(pl.col(c).eq_missing(pl.col(c).shift(1)).fill_null(False)
                             for c in (DATE, TYPE, EVENT_ID))
    repeated = rows.select(same.alias("_same")).to_series()
    in_block = repeated | repeated.shift(-1, fill_value=False)
    if not in_block.any():
        return rows
    merged = (rows.with_row_index("_i").filter(in_block)
              .group_by(DATE, TYPE, EVENT_ID, TITLE, CALENDAR, maintain_order=True)
              .agg(pl.col("_i").first(), pl.col(MINUTES).sum()))
    first = merged.get_column("_i")
    # (the sums go into the groups' first rows, the others are dropped: a scatter of a few
    # values and one filter; a merge of the rows took ≈ 0.08 s CPU at 1M occurrences)
    minutes = rows.get_column(MINUTES).clone().scatter(first, merged.get_column(MINUTES))
    return rows.with_columns(minutes).filter((~in_block).scatter(first, True))


def violation_segments(attributed: pl.DataFrame, violations: pl.DataFrame,
                       windows: pl.DataFrame, config: Config, period: Period) -> pl.DataFrame:
    """Where the violations are, for the timelines: the part of each violating work piece
    that crosses a boundary (outside the window, inside a protected block, the whole
    meeting on a no-meeting day). Columns ``date, event_id, title, type, minutes, start,
    end``; the minutes are the violation's (attributed) minutes of that piece's date.

    ::

        window      [=====================)
        work piece                   [==========)      after_hours: 15 min
        segment                             [===)      drawn where it crosses

    Per-row interval operations (`audit.intervals.subtract`): meant for a week's audit.
    """
    found = violations.group_by(DATE, EVENT_ID, TYPE).agg(pl.col(MINUTES).sum())
    pieces = attributed.filter(pl.col(DOMAIN) == Domain.WORK).select(
        DATE, EVENT_ID, TITLE, pl.col(PIECE_START).alias(START), pl.col(PIECE_END).alias(END))
    inside = windows.filter(pl.col(WORKING)).select(
        DATE, pl.col(WINDOW_START).alias(START), pl.col(WINDOW_END).alias(END))
    protected = pl.concat(
        [daily_intervals(period, block.time, block.days).collect().select(START, END)
         for block in config.boundaries.protected]
    ) if config.boundaries.protected else pl.DataFrame(
        schema={START: pl.Datetime("us", "UTC"), END: pl.Datetime("us", "UTC")})

    def marked(types: tuple[str, ...]) -> pl.DataFrame:
        rows = found.filter(pl.col(TYPE).is_in(types))
        return pieces.join(rows, on=[DATE, EVENT_ID], how="inner")

    parts = [
        subtract(marked(VIOLATION_TYPES[:3]), inside, on=[DATE]),
        intersect(marked(("protected_time",)), protected),
        marked(("no_meeting_day",)),
    ]
    return pl.concat([p.select(DATE, EVENT_ID, TITLE, TYPE, MINUTES, START, END)
                      for p in parts]).sort(DATE, START)
