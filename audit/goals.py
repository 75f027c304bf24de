"""Budgets beside the focus target (issue 14): met or missed, and by how much.

Each goal of ``[goals]`` is per week and scaled to the period's days / 7, as the focus
target is (SPEC §9), rounded to 2 decimals; it is judged on the figures the report shows:

* ``meeting_hours`` (max) — ``hours.meetings``;
* ``outside_hours_minutes`` (max) — work minutes outside the working windows: the
  ``after_hours`` + ``late_night`` + ``non_working_day`` minutes of §7 (each minute is
  exactly one of them);
* ``late_night_days`` (max) — local dates with at least one (rounded) minute of
  ``late_night`` work;
* ``focus_hours`` (min) — ``focus.hours``; the target is ``min_focus_hours_per_week``,
  else ``focus.target_hours_per_week`` (so this goal is there whenever the period has
  working time; a vacation week has no focus goal).

``margin`` is the room left: limit − actual for a maximum, actual − limit for a minimum;
negative when the goal is missed.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from audit.accounting import DATE
from audit.engine import Audit

OUTSIDE_TYPES = ("after_hours", "late_night", "non_working_day")


def late_night_days(violations: pl.DataFrame) -> int:
    """Dates with at least one rounded minute of late-night work."""
    per_day = (violations.filter(pl.col("type") == "late_night")
               .group_by(DATE).agg(pl.col("minutes").sum()))
    return per_day.filter(pl.col("minutes").round(0) >= 1).height


def has_budgets(audit: Audit) -> bool:
    """Whether ``[goals]`` sets anything (the export writes ``goals.csv`` only then)."""
    return any(value is not None for value in vars(audit.config.goals).values())


def _hours(minutes: float) -> float:
    return round(minutes / 60, 2)


def goal_rows(audit: Audit) -> list[dict[str, Any]]:
    """The report's ``goals``: one row per goal, judged on the report's own figures
    (``hours.meetings``, ``violations.minutes_by_type``, ``focus.hours``), summed here
    from the same per-day frames in the same order."""
    by_type = dict(audit.violations.group_by("type").agg(pl.col("minutes").sum()).iter_rows())
    return judge_goals(
        # the number of days (not `Period.days`: a list of 182k dates for 500 years)
        audit, days=(audit.period.end - audit.period.start).days,
        meeting_hours=_hours(audit.busy["meeting_minutes"].sum()),
        outside_minutes=float(sum(round(by_type.get(t, 0.0)) for t in OUTSIDE_TYPES)),
        late_nights=float(late_night_days(audit.violations)),
        # no working time (a vacation week): no focus goal to miss (issue 14)
        focus_hours=(_hours(audit.focus["focus_minutes"].sum())
                     if audit.focus["working_minutes"].sum() else None))


def judge_goals(audit: Audit, *, days: int, meeting_hours: float, outside_minutes: float,
                late_nights: float, focus_hours: float | None) -> list[dict[str, Any]]:
    """The goals of ``[goals]`` over ``days`` days, judged on the figures given
    (``focus_hours`` None: no focus goal, e.g. a group without working time)."""
    goals, focus = audit.config.goals, audit.config.focus
    scale = days / 7
    focus_goal = (goals.min_focus_hours_per_week if goals.min_focus_hours_per_week is not None
                  else focus.target_hours_per_week)
    candidates: list[tuple[str, str, float | None, float | None, str]] = [
        ("meeting_hours", "max", goals.max_meeting_hours_per_week, meeting_hours, "h"),
        ("outside_hours_minutes", "max", goals.max_after_hours_minutes_per_week,
         outside_minutes, "min"),
        ("late_night_days", "max", goals.max_late_night_days_per_week, late_nights, "days"),
        ("focus_hours", "min", focus_goal, focus_hours, "h"),
    ]
    rows = []
    for name, kind, weekly, actual, unit in candidates:
        if weekly is None or actual is None:
            continue
        limit = round(weekly * scale, 2)
        margin = round(limit - actual if kind == "max" else actual - limit, 2)
        rows.append({"goal": name, "kind": kind, "unit": unit, "limit": limit,
                     "actual": actual, "met": margin >= 0, "margin": margin})
    return rows


def render_goals(rows: list[dict[str, Any]]) -> list[str]:
    """The table's budget lines: "meeting hours  12.50 of at most 15.00 h  met (2.50 left)"."""
    lines = ["", "Budgets"]
    for row in rows:
        bound = "at most" if row["kind"] == "max" else "at least"
        verdict = "met" if row["met"] else "missed"
        margin = abs(row["margin"])
        how = (f"{margin:.2f} {row['unit']} to spare" if row["met"]
               else f"by {margin:.2f} {row['unit']}")
        lines.append(f"  {row['goal'].replace('_', ' '):<22}{row['actual']:8.2f} of "
                     f"{bound} {row['limit']:.2f} {row['unit']}  {verdict} ({how})")
    return lines


def goals_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """``goals.csv`` of the export: one row per goal."""
    return pl.DataFrame(rows, schema={"goal": pl.String, "kind": pl.String, "unit": pl.String,
                                      "limit": pl.Float64, "actual": pl.Float64,
                                      "met": pl.Boolean, "margin": pl.Float64})
