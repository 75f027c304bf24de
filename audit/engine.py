"""The audit of one period, end to end: the one function the CLI and the dashboard share.

    events ─ classify ─ mark_counted ─┬─ attribute_time ─┬─ busy_summary
                                      │                  └─ find_violations
                                      └─ working_windows ── focus_by_day

`run_audit` returns every intermediate frame (collected once), so views and exports can
show the numbers and the occurrences behind them.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from audit.accounting import (
    ATTRIBUTED_MINUTES,
    DATE,
    attribute_time,
    busy_summary,
    mark_counted,
)
from audit.boundaries import find_violations, working_windows
from audit.classify import classify_events
from audit.config import Config
from audit.focus import focus_by_day
from audit.period import Period
from audit.schema import EVENT_ID, START


@dataclass(frozen=True)
class Audit:
    """Everything one period's audit computed."""

    config: Config
    period: Period
    events: pl.DataFrame       # every occurrence: §3 columns + classification + counting
    attributed: pl.DataFrame   # counted time: one row per (occurrence, local date)
    windows: pl.DataFrame      # working windows per date (boundaries.working_windows)
    violations: pl.DataFrame   # §7 rows
    focus: pl.DataFrame        # §8 minutes per date
    busy: pl.DataFrame         # busy / double-booked / meeting minutes per date

    def minutes_per_event(self) -> pl.DataFrame:
        """Attributed minutes of each occurrence within the period (0 for uncounted)."""
        per_event = self.attributed.group_by(EVENT_ID, START).agg(
            pl.col(ATTRIBUTED_MINUTES).sum()
        )
        return (
            self.events.join(per_event, on=[EVENT_ID, START], how="left",
                             maintain_order="left")
            .with_columns(pl.col(ATTRIBUTED_MINUTES).fill_null(0.0))
        )


def run_audit(events: pl.DataFrame | pl.LazyFrame, config: Config, period: Period,
              overrides: pl.DataFrame | None = None) -> Audit:
    """Classify, count, attribute, check boundaries and focus for ``period``.

    ``events`` is the frame of SPEC §3 (any window covering the period; occurrences
    outside it count nothing). ``period.timezone`` is the audit zone.
    """
    # Only what touches the period matters (a 10-year calendar audited for one week), and
    # classification is row by row, so the rest is dropped before it.
    start, end = period.utc_bounds()
    touching = events.lazy().filter(
        (pl.col("start") < end) & ((pl.col("end") > start) | (pl.col("start") >= start))
    )
    # Sorted once, here: `events` is shown in time order, and pieces cut from time-ordered
    # rows come out nearly sorted, which makes every later sweep's sort cheaper.
    classified = (
        mark_counted(classify_events(touching, config, overrides), config)
        .collect()
        .sort(START, "end", EVENT_ID)
    )
    attributed = attribute_time(classified.lazy(), config, period).collect()
    windows = working_windows(config, period, classified)
    return Audit(
        config=config,
        period=period,
        events=classified,
        attributed=attributed,
        windows=windows,
        violations=find_violations(attributed, windows, config, period),
        focus=focus_by_day(classified, windows, config),
        busy=busy_summary(attributed, period).collect().sort(DATE),
    )
