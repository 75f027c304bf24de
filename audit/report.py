"""The period's figures (SPEC §9 `report --format json`) and their terminal table.

Hours are floats rounded to 2 decimals, minutes whole numbers. Every figure is a sum of
the attributed minutes of `audit.accounting` (so domains and quadrants add up to the
busy time), the violations of `audit.boundaries` and the focus of `audit.focus`.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from audit.accounting import ATTRIBUTED_MINUTES, DATE
from audit.boundaries import VIOLATION_TYPES
from audit.domains import Domain, Quadrant
from audit.engine import Audit

DOMAINS = tuple(d.value for d in Domain)
QUADRANTS = tuple(q.value for q in Quadrant)


def quadrant_column(quadrant: str) -> str:
    """The `day_table` column of a quadrant ("unclassified" is also a domain)."""
    return f"quadrant_{quadrant}"


def _hours(minutes: float) -> float:
    return round(minutes / 60, 2)


def target_hours(audit: Audit) -> float:
    """The focus target for the period: the weekly target, scaled to the period's length."""
    days = len(audit.period.days)
    return audit.config.focus.target_hours_per_week * days / 7


def day_table(audit: Audit) -> pl.DataFrame:
    """One row per local date: minutes per domain and quadrant, focus, working, violations."""
    dates = pl.DataFrame({DATE: audit.period.days}, schema={DATE: pl.Date})
    by_domain = (
        audit.attributed.group_by(DATE)
        .agg(pl.col(ATTRIBUTED_MINUTES).filter(pl.col("domain") == d).sum().alias(d)
             for d in DOMAINS)
    )
    by_quadrant = (
        audit.attributed.group_by(DATE)
        .agg(pl.col(ATTRIBUTED_MINUTES).filter(pl.col("quadrant") == q).sum()
             .alias(quadrant_column(q)) for q in QUADRANTS)
    )
    violations = audit.violations.group_by(DATE).agg(
        pl.col("minutes").sum().alias("violation_minutes")
    )
    focus = audit.focus.group_by(DATE).agg(pl.all().sum())
    return (
        dates.join(by_domain, on=DATE, how="left")
        .join(by_quadrant, on=DATE, how="left")
        .join(focus, on=DATE, how="left")
        .join(audit.busy, on=DATE, how="left")
        .join(violations, on=DATE, how="left")
        .fill_null(0.0)
        .sort(DATE)
    )


def build_report(audit: Audit) -> dict[str, Any]:
    """The JSON report of SPEC §9, exactly its shape."""
    days = day_table(audit)
    total = days.select(pl.exclude(DATE).sum()).row(0, named=True)
    working = total["working_minutes"]
    focus = total["focus_minutes"]
    target = target_hours(audit)
    by_type = audit.violations.group_by("type").agg(pl.col("minutes").sum())
    minutes_by_type = dict.fromkeys(VIOLATION_TYPES, 0)
    minutes_by_type.update({t: round(m) for t, m in by_type.iter_rows()})
    items = [
        {"date": row["date"].isoformat(), "type": row["type"], "minutes": round(row["minutes"]),
         "event_id": row["event_id"], "title": row["title"], "calendar": row["calendar"]}
        for row in audit.violations.iter_rows(named=True)
    ]
    return {
        "period": {"from": audit.period.start.isoformat(), "to": audit.period.end.isoformat(),
                   "timezone": audit.period.timezone},
        "hours": {
            "total": _hours(total["busy_minutes"]),
            "by_domain": {d: _hours(total[d]) for d in DOMAINS},
            "by_quadrant": {q: _hours(total[quadrant_column(q)]) for q in QUADRANTS},
            "meetings": _hours(total["meeting_minutes"]),
            "double_booked": _hours(total["double_booked_minutes"]),
        },
        "focus": {
            "hours": _hours(focus),
            "protected_hours": _hours(total["protected_focus_minutes"]),
            "fragmented_hours": _hours(total["fragmented_minutes"]),
            "working_hours": _hours(working),
            "coverage": round(focus / working, 2) if working else 0.0,
            "target_hours": round(target, 2),
            "target_met": focus / 60 >= target,
        },
        "violations": {"count": len(items), "minutes_by_type": minutes_by_type,
                       "items": items},
        "days": [
            {"date": row[DATE].isoformat(),
             **{d: _hours(row[d]) for d in DOMAINS},
             "focus": _hours(row["focus_minutes"]),
             "working": _hours(row["working_minutes"]),
             "violation_minutes": round(row["violation_minutes"])}
            for row in days.iter_rows(named=True)
        ],
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
    for name, value in hours["by_domain"].items():
        lines.append(f"  {name:<13}{value:6.2f} h  {_bar(value, largest)}")
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
    return "\n".join(lines) + "\n"
