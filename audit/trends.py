"""Weekly trends (issue 14): each boundary type and focus coverage, one row per week.

The dashboard draws its 12-week trend from `weekly_trend`; the figures are the report's
``--by week`` groups (`audit.groups.group_table`, rounded as the report rounds), as one
tidy frame instead of dictionaries::

    audit over 12 weeks ─ group_table(by week) ─ weekly_trend
    week        focus  working  coverage  target_met  after_hours  late_night  …
    2026-08-31   12.5     40.0      0.31        true           45           0
    2026-09-07    0.0      0.0      null        null            0           0   ← vacation

A week without working time (a vacation week) has no coverage and no target verdict
(null), not 0 % and "missed": there was no working time to protect.
"""

from __future__ import annotations

import polars as pl

from audit.boundaries import VIOLATION_TYPES
from audit.engine import Audit
from audit.goals import OUTSIDE_TYPES
from audit.groups import GROUP, group_table
from audit.report import hours_column, rounded_column, target_hours

WEEK = "week"
TREND_COLUMNS = (WEEK, "days", "focus", "working", "coverage", "focus_target", "target_met",
                 *VIOLATION_TYPES, "outside_minutes", "violation_minutes")


def weekly_trend(audit: Audit) -> pl.DataFrame:
    """One row per week (``week_start`` weeks, first day in ``week``) of ``audit.period``:
    focus and working hours, coverage, the focus target (scaled to the week's days in the
    period) and whether it was met, and the minutes of every boundary type of SPEC §7
    (``outside_minutes``: the three that split work outside the working windows)."""
    table = group_table(audit, "week")
    weekly_target = target_hours(audit) * 7 / len(audit.period.days)
    working = table["working_minutes"]
    has_work = pl.col("working") > 0
    frame = pl.DataFrame({
        WEEK: table[GROUP],
        "days": table["days"].cast(pl.Int64),
        "focus": hours_column(table["focus_minutes"]),
        "working": hours_column(working),
        "coverage": rounded_column(table["focus_minutes"] / working.replace(0.0, 1.0), 2),
        "focus_target": rounded_column(table["days"].cast(pl.Float64) * weekly_target / 7, 2),
        **{t: table[t].round(0, mode="half_to_even").cast(pl.Int64) for t in VIOLATION_TYPES},
        "violation_minutes": table["violation_minutes"].round(0, mode="half_to_even")
        .cast(pl.Int64),
    })
    return frame.with_columns(
        pl.when(has_work).then(pl.col("coverage")).alias("coverage"),
        pl.when(has_work).then(pl.col("focus") >= pl.col("focus_target")).alias("target_met"),
        pl.sum_horizontal(OUTSIDE_TYPES).alias("outside_minutes"),
    ).select(TREND_COLUMNS)


def boundary_trend(trend: pl.DataFrame) -> pl.DataFrame:
    """`weekly_trend` in long form for drawing: ``week, type, minutes`` (every type of
    every week, 0 when none)."""
    return (trend.select(WEEK, *VIOLATION_TYPES)
            .unpivot(index=WEEK, variable_name="type", value_name="minutes")
            .sort(WEEK, "type"))
