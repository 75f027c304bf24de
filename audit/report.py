"""The period's figures (SPEC §9 `report --format json`) and their terminal table.

Hours are floats rounded to 2 decimals, minutes whole numbers. Every figure is a sum of
the attributed minutes of `audit.accounting` (so domains and quadrants add up to the
busy time), the violations of `audit.boundaries` and the focus of `audit.focus`.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from audit.accounting import ATTRIBUTED_MINUTES, DATE, period_days
from audit.boundaries import VIOLATION_TYPES
from audit.domains import Domain, Quadrant
from audit.engine import Audit
from audit.goals import goal_rows, render_goals
from audit.groups import group_rows, render_groups
from audit.meetings import meeting_report

DOMAINS = tuple(d.value for d in Domain)
QUADRANTS = tuple(q.value for q in Quadrant)


def quadrant_column(quadrant: str) -> str:
    """The `day_table` column of a quadrant ("unclassified" is also a domain)."""
    return f"quadrant_{quadrant}"


def rounded_hours(minutes: float) -> float:
    """Minutes as hours, rounded to 2 decimals by Python's ``round``.

    Python rounds the exact binary value (``round(0.025, 2) == 0.03``: the float 0.025 is
    a little above the tie); Polars' ``round`` rounds ``x * 100`` and says 0.02 there, so
    every figure shown goes through this one function.
    """
    return round(minutes / 60, 2)


def hours_column(minutes: pl.Series) -> pl.Series:
    """`rounded_hours` of every value, called once per distinct value: days repeat their figures
    (benchmarks/engine.py at 1M occurrences: 182k days, 0.44 s CPU for a call per value,
    0.03 s per distinct value)."""
    distinct = minutes.unique()
    return minutes.replace_strict(distinct, [rounded_hours(m) for m in distinct],
                                  return_dtype=pl.Float64)


def target_hours(audit: Audit) -> float:
    """The focus target for the period: the weekly target, scaled to the period's length."""
    days = (audit.period.end - audit.period.start).days  # = len(audit.period.days)
    return audit.config.focus.target_hours_per_week * days / 7


def day_table(audit: Audit) -> pl.DataFrame:
    """One row per local date: minutes per domain and quadrant, focus, working, violations."""
    dates = period_days(audit.period).select(DATE)
    domain, quadrant = pl.col("domain"), pl.col("quadrant")
    minutes = pl.col(ATTRIBUTED_MINUTES)
    # one pass over the attributed pieces for every domain and quadrant
    attributed = (
        audit.attributed.lazy()
        .select(DATE,
                *(pl.when(domain == d).then(minutes).otherwise(0.0).alias(d) for d in DOMAINS),
                *(pl.when(quadrant == q).then(minutes).otherwise(0.0).alias(quadrant_column(q))
                  for q in QUADRANTS))
        .group_by(DATE).agg(pl.all().sum())
    )
    violations = audit.violations.lazy().group_by(DATE).agg(
        pl.col("minutes").sum().alias("violation_minutes")
    )
    focus = audit.focus.lazy().group_by(DATE).agg(pl.all().sum())
    return (
        dates.join(attributed, on=DATE, how="left")
        .join(focus, on=DATE, how="left")
        .join(audit.busy.lazy(), on=DATE, how="left")
        .join(violations, on=DATE, how="left")
        .fill_null(0.0)
        .sort(DATE)
        .collect()
    )


def _day_rows(days: pl.DataFrame) -> list[dict[str, Any]]:
    """The report's ``days`` rows from `day_table`."""
    return days.select(
        pl.col(DATE).cast(pl.String),
        *(hours_column(days[d]) for d in DOMAINS),
        hours_column(days["focus_minutes"]).alias("focus"),
        hours_column(days["working_minutes"]).alias("working"),
        pl.col("violation_minutes").round(0, mode="half_to_even").cast(pl.Int64),  # = round(x)
    ).to_dicts()


def _violation_items(violations: pl.DataFrame) -> list[dict[str, Any]]:
    """The report's violation items: whole minutes; a share under half a minute is none."""
    return violations.select(
        pl.col("date").cast(pl.String),
        "type",
        pl.col("minutes").round(0, mode="half_to_even").cast(pl.Int64),  # = round(x)
        "event_id", "title", "calendar",
    ).filter(pl.col("minutes") > 0).to_dicts()


def build_report(audit: Audit, by: str | None = None) -> dict[str, Any]:
    """The JSON report of SPEC §9, exactly its shape, then the figures of issue 14:
    ``meetings`` (`audit.meetings`), ``goals`` (`audit.goals`) and, with ``by`` ("day",
    "week" or "month"), ``groups`` (`audit.groups`).

    Dates are ISO text, hours rounded to 2 decimals (`rounded_hours`), minutes whole numbers.
    """
    days = day_table(audit)
    items = _violation_items(audit.violations)
    total = days.select(pl.exclude(DATE).sum()).row(0, named=True)
    working = total["working_minutes"]
    focus = total["focus_minutes"]
    target = target_hours(audit)
    by_type = audit.violations.group_by("type").agg(pl.col("minutes").sum())
    minutes_by_type = dict.fromkeys(VIOLATION_TYPES, 0)
    minutes_by_type.update({t: round(m) for t, m in by_type.iter_rows()})
    return {
        "period": {"from": audit.period.start.isoformat(), "to": audit.period.end.isoformat(),
                   "timezone": audit.period.timezone},
        "hours": {
            "total": rounded_hours(total["busy_minutes"]),
            "by_domain": {d: rounded_hours(total[d]) for d in DOMAINS},
            "by_quadrant": {q: rounded_hours(total[quadrant_column(q)]) for q in QUADRANTS},
            "meetings": rounded_hours(total["meeting_minutes"]),
            "double_booked": rounded_hours(total["double_booked_minutes"]),
        },
        "focus": {
            "hours": rounded_hours(focus),
            "protected_hours": rounded_hours(total["protected_focus_minutes"]),
            "fragmented_hours": rounded_hours(total["fragmented_minutes"]),
            "working_hours": rounded_hours(working),
            "coverage": round(focus / working, 2) if working else 0.0,
            "target_hours": round(target, 2),
            # judged on the figures shown, so "10.0 h of a 10.0 h target" is met
            "target_met": rounded_hours(focus) >= round(target, 2),
        },
        "violations": {"count": len(items), "minutes_by_type": minutes_by_type,
                       "items": items},
        "days": _day_rows(days),
        "meetings": meeting_report(audit),
        "goals": goal_rows(audit),
        **({"groups": group_rows(audit, by)} if by else {}),
    }


# ------------------------------------------------------------------ the table


def _bar(value: float, largest: float, width: int = 24) -> str:
    if largest <= 0:
        return ""
    return "█" * round(width * value / largest)


def render_table(report: dict[str, Any]) -> str:
    """A readable terminal summary of a report (``report --format table``)."""
    period, hours, focus = report["period"], report["hours"], report["focus"]
    lines = [f"timeaudit — {period['from']} to {period['to']} (exclusive), "
             f"{period['timezone']}", ""]
    lines.append(f"Counted time  {hours['total']:6.2f} h   meetings {hours['meetings']:.2f} h   "
                 f"double-booked {hours['double_booked']:.2f} h")
    lines += ["", "Where it went"]
    largest = max(hours["by_domain"].values(), default=0)
    counted = sum(hours["by_domain"].values()) or 1
    for name, value in hours["by_domain"].items():
        # the share makes what is unknown as visible as what is known
        lines.append(f"  {name:<13}{value:6.2f} h  {value / counted:4.0%}  "
                     f"{_bar(value, largest)}")
    lines += ["", "Eisenhower matrix"]
    largest = max(hours["by_quadrant"].values(), default=0)
    total = hours["total"] or 1
    for name, value in hours["by_quadrant"].items():
        lines.append(f"  {name:<13}{value:6.2f} h  {value / total:4.0%}  {_bar(value, largest)}")
    met = "met" if focus["target_met"] else "not met"
    lines += ["", f"Focus  {focus['hours']:.2f} h of {focus['working_hours']:.2f} working h "
                  f"({focus['coverage']:.0%}); target {focus['target_hours']:.2f} h {met}",
              f"  scheduled focus {focus['protected_hours']:.2f} h, fragmented "
              f"{focus['fragmented_hours']:.2f} h"]
    violations = report["violations"]
    lines += ["", f"Boundary violations  {violations['count']}"]
    for kind, minutes in violations["minutes_by_type"].items():
        if minutes:
            lines.append(f"  {kind:<16}{minutes:5d} min")
    for item in violations["items"]:
        lines.append(f"    {item['date']}  {item['type']:<16}{item['minutes']:4d} min  "
                     f"{item['title']}")
    lines += ["", "Day          work   life  integr.  unclass.  focus  working  violations"]
    for day in report["days"]:
        lines.append(f"{day['date']}  {day['work']:5.2f}  {day['life']:5.2f}  "
                     f"{day['integrated']:7.2f}  {day['unclassified']:8.2f}  "
                     f"{day['focus']:5.2f}  {day['working']:7.2f}  "
                     f"{day['violation_minutes']:6d} min")
    lines += _meeting_lines(report.get("meetings"))
    if report.get("goals"):
        lines += render_goals(report["goals"])
    if "groups" in report:
        lines += render_groups(report["groups"])
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _meeting_lines(meetings: dict[str, Any] | None) -> list[str]:
    """The table's meeting section (issue 14): splits, back-to-back and the cut list."""
    if not meetings:
        return []

    def parts(split: str) -> str:
        return ", ".join(f"{name.replace('_', ' ')} {part['count']} ({part['hours']:.2f} h)"
                         for name, part in meetings[split].items())

    lines = ["", f"Meetings  {meetings['count']}, {meetings['hours']:.2f} h "
                 f"({meetings['attendee_hours']:.2f} attendee-hours)"]
    lines += [f"  {label:<13}{parts(split)}" for label, split in (
        ("size", "by_size"), ("recurrence", "by_recurrence"), ("organised by", "by_organizer"),
        ("with", "by_audience"))]
    b2b, outside = meetings["back_to_back"], meetings["outside_working_hours"]
    lines.append(f"  back-to-back {b2b['count']} ({b2b['hours']:.2f} h); outside working "
                 f"hours {outside['count']} ({outside['hours']:.2f} h)")
    if meetings["series"]:
        lines += ["", "Recurring series (the cut list)   hours  share  1st half  2nd half  trend"]
        for item in meetings["series"]:
            lines.append(f"  {item['title'][:32]:<32}{item['hours']:6.2f}  {item['share']:5.0%}"
                         f"  {item['first_half_hours']:8.2f}  {item['second_half_hours']:8.2f}"
                         f"  {item['trend']}")
    return lines
