"""The audit of one period, end to end: the one function the CLI and the dashboard share.

    events ─ classify ─ mark_counted ─┬─ attribute_time ─┬─ busy_summary
                                      │                  └─ find_violations
                                      └─ working_windows ── focus_by_day

`run_audit` returns every intermediate frame (collected once), so views and exports can
show the numbers and the occurrences behind them.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta

import polars as pl

from audit.accounting import (
    ATTRIBUTED_MINUTES,
    DATE,
    attributed_pieces_and_busy,
    busy_summary,
    mark_counted,
)
from audit.boundaries import find_violations, violation_segments, working_windows
from audit.classify import classify_events
from audit.config import Config
from audit.focus import focus_by_day, focus_segments
from audit.intervals import with_columns_of, with_rows
from core.period import Period
from core.schema import ATTENDEES, END, EVENT_ID, START, overlapping


@dataclass(frozen=True)
class Audit:
    """Everything one period's audit computed."""

    config: Config
    period: Period
    events: pl.DataFrame       # every occurrence: §3 columns + classification + counting
    pieces: pl.DataFrame       # counted time, narrow: one row per (occurrence, local date)
    windows: pl.DataFrame      # working windows per date (boundaries.working_windows)
    violations: pl.DataFrame   # §7 rows
    focus: pl.DataFrame        # §8 minutes per date
    busy: pl.DataFrame         # busy / double-booked / meeting minutes per date
    window_events: pl.DataFrame  # the occurrences of the audit window ``pieces`` point into

    # ``pieces`` are `audit.accounting.attributed_pieces`' (``_event_row``, the row of
    # ``window_events`` they are cut from, and the piece's own columns): the engine and the
    # report read the few columns of the occurrences they need (`pieces_with`), and the
    # wide ``attributed`` is made only when asked (benchmarks/engine.py at 1M occurrences:
    # copying every column of every piece was ≈ 0.25 s CPU and ≈ 0.3 GB, docs/architecture.md).

    @functools.cached_property
    def attributed(self) -> pl.DataFrame:
        """Counted time: one row per (occurrence, local date), every column of the
        occurrence then ``piece_start, piece_end, date, attributed_minutes, minutes``
        (`audit.accounting.attribute_time`). Made when first asked, then kept."""
        return with_rows(self.window_events, self.pieces)

    def pieces_with(self, *columns: str) -> pl.DataFrame:
        """``pieces`` with the columns ``columns`` of their occurrences added."""
        return with_columns_of(self.window_events, self.pieces, *columns)

    def minutes_per_event(self) -> pl.DataFrame:
        """Attributed minutes of each occurrence within the period (0 for uncounted)."""
        per_event = self.pieces_with(EVENT_ID, START).group_by(EVENT_ID, START).agg(
            pl.col(ATTRIBUTED_MINUTES).sum()
        )
        return (
            self.events.join(per_event, on=[EVENT_ID, START], how="left",
                             maintain_order="left")
            .with_columns(pl.col(ATTRIBUTED_MINUTES).fill_null(0.0))
        )

    def focus_segments(self) -> pl.DataFrame:
        """Where the focus minutes are (`audit.focus.focus_segments`): the working windows
        cut into busy, focus, scheduled-focus and fragmented runs. Computed when asked
        (the timelines of one week want them, a year's report does not)."""
        return focus_segments(self.events, self.windows, self.config)

    def violation_segments(self) -> pl.DataFrame:
        """Where the violations are (`audit.boundaries.violation_segments`), when asked."""
        return violation_segments(self.attributed, self.violations, self.windows,
                                  self.config, self.period)


def audit_window(period: Period) -> Period:
    """The occurrences an audit of ``period`` needs: the period and the day after it.

    The period's last work day (SPEC §7) runs on into the next morning, to the end of the
    late-night window: its long day and no-meeting-day minutes depend on that night.
    Reading the same window for a week alone and for a block of weeks makes a week cut out
    of a block equal to the week's own audit.
    """
    return Period(period.start, period.end + timedelta(days=1), period.timezone)


def run_audit(events: pl.DataFrame | pl.LazyFrame, config: Config, period: Period,
              overrides: pl.DataFrame | None = None) -> Audit:
    """Classify, count, attribute, check boundaries and focus for ``period``.

    ``events`` is the frame of SPEC §3 (any window covering `audit_window`; occurrences
    outside the period count nothing, and those of the day after it only close the last
    work day). ``period.timezone`` is the audit zone.
    """
    with small_on_in_memory(events):
        return _run_audit(events, config, period, overrides)


def _run_audit(events: pl.DataFrame | pl.LazyFrame, config: Config, period: Period,
               overrides: pl.DataFrame | None) -> Audit:
    # Only what touches the window matters (a 10-year calendar audited for one week), and
    # classification is row by row, so the rest is dropped before it.
    window = audit_window(period)
    touching = events.lazy().filter(_touching(window))
    # Sorted once, here: `events` is shown in time order, and pieces cut from time-ordered
    # rows come out nearly sorted, which makes every later sweep's sort cheaper. The
    # readers give their rows in that order already (`core.schema.one_per_occurrence`):
    # then checking it on the three key columns is all (sorting the classified rows moves
    # every wide column: 0.6 s and ≈ 0.5 GB at 1M rows, benchmarks/engine.py).
    classified = _in_time_order(
        mark_counted(classify_events(touching, config, overrides), config).collect())
    # Time is attributed over the whole window (the next morning closes the last work day);
    # everything shown is the period's.
    in_period = pl.col(DATE) < period.end
    if classified.height >= SIDE_BY_SIDE_BELOW:
        # The working windows and focus read only the classified rows (and each other):
        # they run in a thread while attribution and the boundaries' sweep run (Polars
        # releases the GIL), so the second core works through the parts of either that
        # run on one thread. At 1M occurrences focus beside the boundaries alone: 9.3/6.6/
        # 4.0 s one after the other, 4.7/4.9/2.1 s side by side on a loaded machine, the
        # same CPU and results; the windows and focus beside attribution too: see
        # docs/architecture.md. Small audits keep them one after the other (the fixed
        # cost of a thread is more than they take).
        with ThreadPoolExecutor(max_workers=1) as pool:
            windows_job = pool.submit(working_windows, config, window, classified)
            focus_job = pool.submit(
                lambda: focus_by_day(classified, windows_job.result().filter(in_period), config))
            window_events, pieces_window, time_per_day, pieces_sweep = \
                attributed_pieces_and_busy(classified, config, window)
            windows_window = windows_job.result()
            violations = find_violations(pieces_window, windows_window, config, window,
                                         pieces_sweep, window_events)
            focus = focus_job.result()
    else:
        window_events, pieces_window, time_per_day, pieces_sweep = \
            attributed_pieces_and_busy(classified, config, window)
        windows_window = working_windows(config, window, classified)
        violations = find_violations(pieces_window, windows_window, config, window,
                                     pieces_sweep, window_events)
        focus = focus_by_day(classified, windows_window.filter(in_period), config)
    del pieces_sweep
    # time is attributed over the window; the pieces shown are the period's
    pieces = pieces_window.filter(in_period)
    del pieces_window
    return Audit(
        config=config,
        period=period,
        events=_touching_rows(classified, period),
        pieces=pieces,
        windows=windows_window.filter(in_period),
        violations=violations.filter(in_period),
        focus=focus,
        busy=busy_summary(with_columns_of(window_events, pieces, ATTENDEES), period,
                          time_per_day).collect().sort(DATE),
        window_events=window_events,
    )


def slice_audit(audit: Audit, period: Period) -> Audit:
    """The audit of ``period`` (whole local days inside ``audit.period``), cut out of a
    longer audit instead of computed again.

    Every frame of an audit is per occurrence or per local date, and the engine treats
    the edges of a period the same wherever they fall (it looks one day back for ranges
    that wrap midnight), so the cut equals ``run_audit(events, config, period)`` except
    where classification reads the whole span: the calendar defaults inferred from the
    longer audit's events (docs/classification.md; the dashboard's 13-week blocks, on
    purpose). The tests check the equality week by week on the sample calendars and show
    the exception (tests/test_run_audits.py).
    """
    dates = pl.col(DATE).is_between(period.start, period.end, closed="left")
    return replace(
        audit, period=period, events=audit.events.filter(_touching(period)),
        pieces=audit.pieces.filter(dates), windows=audit.windows.filter(dates),
        violations=audit.violations.filter(dates), focus=audit.focus.filter(dates),
        busy=audit.busy.filter(dates))


# Below this many occurrences `run_audits` runs its periods' audits in threads; a larger
# input runs them one after the other, so only one audit's frames are held at a time.
SIDE_BY_SIDE_BELOW = 100_000


def run_audits(events: pl.DataFrame | pl.LazyFrame, config: Config,
               periods: tuple[Period, ...], overrides: pl.DataFrame | None = None,
               ) -> tuple[Audit, ...]:
    """The audits of ``periods`` (a period and the one before it, issue 14), each alone.

    Not one pass over their span cut apart (`slice_audit`): what a calendar looks like is
    inferred from the audited period's own events (docs/classification.md), so the week
    before would change this week's classification (tests/test_run_audits.py).
    """
    if isinstance(events, pl.LazyFrame):
        events = events.collect()
    with small_on_in_memory(events):
        return _run_audits(events, config, periods, overrides)


def _run_audits(events: pl.DataFrame, config: Config, periods: tuple[Period, ...],
                overrides: pl.DataFrame | None) -> tuple[Audit, ...]:
    if len(periods) < 2 or events.height >= SIDE_BY_SIDE_BELOW:
        return tuple(run_audit(events, config, period, overrides) for period in periods)
    # Side by side: an audit of a few hundred occurrences is a few hundred tiny Polars
    # queries, which release the GIL, so the periods' audits overlap on two cores
    # (`report --sample`: the previous week's audit, ≈ 0.08 s, runs while this week's
    # does). Each is still its own `run_audit` over the same frame, nothing shared.
    with ThreadPoolExecutor(max_workers=len(periods) - 1) as pool:
        others = [pool.submit(run_audit, events, config, period, overrides)
                  for period in periods[1:]]
        first = run_audit(events, config, periods[0], overrides)
        return (first, *(other.result() for other in others))


# Below this many occurrences an audit's queries run on Polars' in-memory engine instead
# of the streaming one `collect()` picks: a small audit is a few hundred tiny queries,
# whose fixed cost is lower there (`report --sample`, 108 occurrences: ≈ 0.29 → 0.18 s of
# CPU for the engine and report, measured in one process; the dashboard's two block
# audits of a year jump on the ten-year calendar, ≈ 29k occurrences: ≈ 0.42 → 0.27 s).
# At 1M occurrences streaming is the cheaper one (boundaries' sweeps), so large inputs
# keep Polars' choice, and so does a person who sets POLARS_ENGINE_AFFINITY.
IN_MEMORY_BELOW = 100_000
_ENGINE_LOCK = threading.Lock()
_in_memory_users = 0   # audits running under the choice made here
_chose_in_memory = False


@contextmanager
def small_on_in_memory(events: pl.DataFrame | pl.LazyFrame) -> Iterator[None]:
    """Polars' in-memory engine while ``events`` (a frame, not a lazy query) are fewer
    than `IN_MEMORY_BELOW` and POLARS_ENGINE_AFFINITY does not choose one.

    Polars keeps its engine affinity process-wide (an environment variable; a `collect`
    per query would take an argument in every module of the engine), and the dashboard
    audits in several threads: the first small audit sets it, the last one to end
    unsets it, so an audit that overlaps one of them may run on the in-memory engine
    too. Both engines give the same results, only their speed differs."""
    global _in_memory_users, _chose_in_memory  # noqa: PLW0603 - the module's own count
    if not isinstance(events, pl.DataFrame) or events.height >= IN_MEMORY_BELOW:
        yield
        return
    with _ENGINE_LOCK:
        if _in_memory_users == 0 and "POLARS_ENGINE_AFFINITY" not in os.environ:
            pl.Config.set_engine_affinity("in-memory")
            _chose_in_memory = True
        _in_memory_users += 1
    try:
        yield
    finally:
        with _ENGINE_LOCK:
            _in_memory_users -= 1
            if _in_memory_users == 0 and _chose_in_memory:
                pl.Config.set_engine_affinity(None)
                _chose_in_memory = False


def _touching(period: Period) -> pl.Expr:
    """Occurrences that overlap ``period``, or start in it (zero length)."""
    return overlapping(*period.utc_bounds())


_KEY = (START, END, EVENT_ID)  # the time order of `run_audit`'s events


def _in_time_order(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` sorted by start, end and event id; as it is when it is in that order."""
    start, end, event_id = (pl.col(c) for c in _KEY)
    previous = [c.shift(1) for c in (start, end, event_id)]
    after_previous = ((start > previous[0])
                      | ((start == previous[0])
                         & ((end > previous[1])
                            | ((end == previous[1]) & (event_id >= previous[2])))))
    # (row 0 has no previous row; a null anywhere else leaves the order to the sort)
    if frame.select(after_previous.slice(1).fill_null(False).all()).item():
        return frame.with_columns(start.set_sorted())
    return frame.sort(*_KEY)


def _touching_rows(frame: pl.DataFrame, period: Period) -> pl.DataFrame:
    """The rows of ``frame`` (in time order) touching ``period``: when they are the first
    rows — the window `run_audit` reads ends after the period and starts with it — a
    slice of ``frame`` (no copy of its columns), else a filter."""
    touching = frame.select(_touching(period)).to_series()
    count = touching.sum()
    if touching.slice(0, count).all():
        return frame.slice(0, count)
    return frame.filter(touching)
