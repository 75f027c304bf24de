"""A period's figures per day, week or month (issue 14: ``--by``), with the change from
one group to the next.

Groups are cut from the days of the audit (`audit.report.day_table`), so the groups of
a period add up to the period::

    period      |Wed 2026-10-28 ······································ Wed 11-11|
    --by week   [W44: Wed–Sun)[W45: Mon–Sun ·······)[W46: Mon–Tue)   clipped to the period
    --by month  [2026-10: Wed–Sat)[2026-11: Sun–Tue ··················)

A week starts on ``week_start``; a group at either end of the period is clipped to it
(its ``from``/``to`` say so, and its focus target is scaled to its days, as the
period's is). A group without working time (a week of vacation) has no focus coverage
and no target verdict (``null``), not 0 % and "missed". ``change`` is each figure
minus the previous group's (``null`` for the first group): week-over-week with
``--by week``, month-over-month with ``--by month``. ``goals`` are the budgets of
``[goals]`` judged over the group's days (`audit.goals.judge_goals`), so a month can
show which of its weeks went over.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import polars as pl

from audit.accounting import DATE
from audit.boundaries import VIOLATION_TYPES
from audit.config import WEEKDAYS
from audit.engine import Audit
from audit.goals import OUTSIDE_TYPES, judge_goals

GROUPINGS = ("day", "week", "month")
PERIOD = "period"  # the whole period as one group (audit.compare)
GROUP = "_group"


def _key(by: str, week_start: str, first: date) -> pl.Expr:
    """The first day of the group (unclipped) that a ``date`` belongs to (``period``: one
    group, the whole period, whose first day is ``first``)."""
    day = pl.col(DATE)
    if by == PERIOD:
        return pl.lit(first, pl.Date)
    if by == "day":
        return day
    if by == "week":
        offset = (day.dt.weekday() - 1 - WEEKDAYS.index(week_start)) % 7
        return day - pl.duration(days=offset)
    return day.dt.truncate("1mo")


def _label(first: date, by: str, week_start: str) -> str:
    if by == "day":
        return first.isoformat()
    if by == "month":
        return f"{first:%Y-%m}"
    if week_start == "monday":
        year, week, _ = first.isocalendar()
        return f"{year}-W{week:02d}"
    return f"week of {first.isoformat()}"


def _next(first: date, by: str) -> date:
    if by == "day":
        return first + timedelta(days=1)
    if by == "week":
        return first + timedelta(days=7)
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def _hours(minutes: float) -> float:
    return round(minutes / 60, 2)


def group_table(audit: Audit, by: str) -> pl.DataFrame:
    """One row per group: ``_group`` (its unclipped first day), ``days`` in the period, the
    summed minutes of `day_table` and the violation minutes of every type."""
    from audit.report import day_table  # noqa: PLC0415 - audit.report builds on this module

    if by not in (*GROUPINGS, PERIOD):
        raise ValueError(f"unknown grouping {by!r}")
    key = _key(by, audit.config.week_start, audit.period.start).alias(GROUP)
    days = day_table(audit).with_columns(key)
    types = (
        audit.violations.lazy().with_columns(key)
        .group_by(GROUP).agg(pl.col("minutes").filter(pl.col("type") == t).sum().alias(t)
                             for t in VIOLATION_TYPES)
    )
    # dates with at least one (rounded) minute of late-night work, as audit.goals counts
    nights = (
        audit.violations.lazy().filter(pl.col("type") == "late_night")
        .group_by(DATE).agg(pl.col("minutes").sum())
        .filter(pl.col("minutes").round(0) >= 1)
        .with_columns(key).group_by(GROUP).agg(pl.len().alias("late_night_days"))
    )
    return (
        days.lazy().group_by(GROUP)
        .agg(pl.len().alias("days"), pl.exclude(DATE, GROUP).sum())
        .join(types, on=GROUP, how="left")
        .join(nights, on=GROUP, how="left")
        .with_columns(pl.col(VIOLATION_TYPES).fill_null(0.0),
                      pl.col("late_night_days").fill_null(0))
        .sort(GROUP)
        .collect()
    )


def group_rows(audit: Audit, by: str) -> list[dict[str, Any]]:
    """The report's ``groups``: one dictionary per group, in time order."""
    period, week_start = audit.period, audit.config.week_start
    rows: list[dict[str, Any]] = []
    previous: dict[str, Any] | None = None
    for row in group_table(audit, by).iter_rows(named=True):
        first = row[GROUP]
        group = group_figures(audit, row, label=_label(first, by, week_start),
                              start=max(first, period.start),
                              end=min(_next(first, by), period.end))
        figures = changed_figures(group)
        group["change"] = {name: (round(value - previous[name], 2) if previous is not None
                                  else None) for name, value in figures.items()}
        rows.append(group)
        previous = figures
    return rows


def changed_figures(group: dict[str, Any]) -> dict[str, float]:
    """The figures a group's ``change`` compares with the group before it."""
    return {"hours": group["hours"], "meetings": group["meetings"],
            "focus": group["focus"]["hours"], "violation_minutes": group["violation_minutes"]}


def group_figures(audit: Audit, row: dict[str, Any], *, label: str, start: date,
                  end: date) -> dict[str, Any]:
    """One row of `group_table` as the report shows a group (without ``change``)."""
    from audit.report import DOMAINS, target_hours  # noqa: PLC0415

    weekly_target = target_hours(audit) * 7 / len(audit.period.days)
    working = row["working_minutes"]
    focus = _hours(row["focus_minutes"])
    target = round(weekly_target * row["days"] / 7, 2)
    meetings = _hours(row["meeting_minutes"])
    return {
        "label": label,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "hours": _hours(row["busy_minutes"]),
        "by_domain": {d: _hours(row[d]) for d in DOMAINS},
        "meetings": meetings,
        "focus": {
            "hours": focus,
            "working_hours": _hours(working),
            # no working time (vacation, a weekend day): nothing to cover, no verdict
            "coverage": round(row["focus_minutes"] / working, 2) if working else None,
            "target_hours": target,
            "target_met": focus >= target if working else None,
        },
        "violation_minutes": round(row["violation_minutes"]),
        "minutes_by_type": {t: round(row[t]) for t in VIOLATION_TYPES},
        # the budgets of [goals] over the group's days (no focus goal without working time)
        "goals": judge_goals(
            audit, days=row["days"], meeting_hours=meetings,
            outside_minutes=float(sum(round(row[t]) for t in OUTSIDE_TYPES)),
            late_nights=float(row["late_night_days"]),
            focus_hours=focus if working else None),
    }


def _budgets(goals: list[dict[str, Any]]) -> str:
    missed = [g["goal"].replace("_", " ") for g in goals if not g["met"]]
    return "missed: " + ", ".join(missed) if missed else "met" if goals else ""


def render_groups(groups: list[dict[str, Any]]) -> list[str]:
    """The table's lines for the groups (``report --by``)."""
    lines = ["", "Group        from         hours  meetings  focus  coverage  violations"
                 "  change h  budgets"]
    for group in groups:
        coverage = group["focus"]["coverage"]
        change = group["change"]["hours"]
        lines.append(
            f"{group['label']:<12} {group['from']}  {group['hours']:6.2f}  "
            f"{group['meetings']:8.2f}  {group['focus']['hours']:5.2f}  "
            f"{'—' if coverage is None else f'{coverage:.0%}':>8}  "
            f"{group['violation_minutes']:6d} min  "
            f"{'' if change is None else f'{change:+.2f}':>8}  "
            f"{_budgets(group['goals'])}")
    return lines


def groups_frame(groups: list[dict[str, Any]]) -> pl.DataFrame:
    """``groups.csv`` of the export: one row per group (coverage empty when null)."""
    return pl.DataFrame(
        [{"group": g["label"], "from": g["from"], "to": g["to"], "hours": g["hours"],
          **g["by_domain"], "meetings": g["meetings"], "focus": g["focus"]["hours"],
          "working": g["focus"]["working_hours"], "focus_coverage": g["focus"]["coverage"],
          "focus_target": g["focus"]["target_hours"],
          "focus_target_met": g["focus"]["target_met"],
          "violation_minutes": g["violation_minutes"],
          "change_hours": g["change"]["hours"], "change_meetings": g["change"]["meetings"],
          "change_focus": g["change"]["focus"],
          "change_violation_minutes": g["change"]["violation_minutes"],
          "budgets_missed": "; ".join(x["goal"] for x in g["goals"] if not x["met"])}
         for g in groups],
        schema={"group": pl.String, "from": pl.String, "to": pl.String, "hours": pl.Float64,
                "work": pl.Float64, "life": pl.Float64, "integrated": pl.Float64,
                "unclassified": pl.Float64, "meetings": pl.Float64, "focus": pl.Float64,
                "working": pl.Float64, "focus_coverage": pl.Float64,
                "focus_target": pl.Float64, "focus_target_met": pl.Boolean,
                "violation_minutes": pl.Int64, "change_hours": pl.Float64,
                "change_meetings": pl.Float64, "change_focus": pl.Float64,
                "change_violation_minutes": pl.Int64, "budgets_missed": pl.String},
    )
