"""Period over period (issue 14): a period's figures against the period just before it.

The previous period has the same length (`core.period.previous_period`): the week
before a week, the month before a month, the quarter before a quarter, the same number
of days before a custom span::

    --month 2026-11        previous [2026-10-01 ··· 2026-11-01)  now [2026-11-01 ··· 2026-12-01)
    --from 11-04 --to 11-14          previous [10-25 ··· 11-04)  now [11-04 ··· 11-14)

Both periods are audited on their own (`audit.engine.run_audit`) and summed as one group
of `audit.groups` each, so ``previous`` has the shape of a group and ``change`` is each
figure of this period minus the previous one's, from the rounded figures shown (as the
groups' ``change``). Coverage changes by its difference (0.05 = 5 percentage points) and
is null when either period has no working time.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from audit.boundaries import VIOLATION_TYPES
from audit.engine import Audit
from audit.groups import PERIOD, group_figures, group_table, groups_frame
from core.period import period_label


def period_figures(audit: Audit) -> dict[str, Any]:
    """The whole period as one group: the shape of a ``groups`` row without ``change``."""
    row = group_table(audit, PERIOD).row(0, named=True)
    return group_figures(audit, row, label=period_label(audit.period, audit.config.week_start),
                         start=audit.period.start, end=audit.period.end)


def _minus(now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return round(now - before, 2)


def change_between(now: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """Each figure of ``now`` minus the same figure of ``before`` (both `period_figures`)."""
    return {
        "hours": _minus(now["hours"], before["hours"]),
        "by_domain": {d: _minus(v, before["by_domain"][d]) for d, v in now["by_domain"].items()},
        "meetings": _minus(now["meetings"], before["meetings"]),
        "focus": _minus(now["focus"]["hours"], before["focus"]["hours"]),
        "working_hours": _minus(now["focus"]["working_hours"], before["focus"]["working_hours"]),
        "coverage": _minus(now["focus"]["coverage"], before["focus"]["coverage"]),
        "violation_minutes": now["violation_minutes"] - before["violation_minutes"],
        "minutes_by_type": {t: now["minutes_by_type"][t] - before["minutes_by_type"][t]
                            for t in VIOLATION_TYPES},
    }


def compare_periods(audit: Audit, previous: Audit) -> dict[str, Any]:
    """The report's ``previous`` (the previous period's figures) and ``change``."""
    before = period_figures(previous)
    return {"previous": before, "change": change_between(period_figures(audit), before)}


def comparison_frame(audit: Audit, previous: Audit) -> pl.DataFrame:
    """``comparison.csv``: the previous period and this one as two rows of ``groups.csv``,
    the change on this period's row."""
    before, now = period_figures(previous), period_figures(audit)
    change = change_between(now, before)
    empty = dict.fromkeys(("hours", "meetings", "focus", "violation_minutes"))
    return groups_frame([
        {**before, "change": empty},
        {**now, "change": {name: change[name] for name in empty}},
    ]).rename({"group": "period"})


def render_comparison(report: dict[str, Any]) -> list[str]:
    """The table's lines for ``previous`` and ``change`` (this period's column is the
    previous figure plus the change: the figures the change was taken from)."""
    before, change = report["previous"], report["change"]

    def line(name: str, then: float | None, diff: float | None, unit: str,
             now: float | None = None) -> str:
        if then is not None and diff is not None:
            now = round(then + diff, 2)
        cells = ["—" if v is None else f"{v:.2f}" for v in (now, then)]
        signed = "—" if diff is None else f"{diff:+.2f}"
        return f"  {name:<22}{cells[0]:>9}{cells[1]:>10}{signed:>10} {unit}".rstrip()

    focus = report["focus"]
    lines = ["", f"Against the previous period ({before['label']}, {before['from']} to "
                 f"{before['to']})", f"  {'':<22}{'now':>9}{'before':>10}{'change':>10}",
             line("counted hours", before["hours"], change["hours"], "h")]
    lines += [line(f"  {d}", v, change["by_domain"][d], "h")
              for d, v in before["by_domain"].items()]
    lines += [line("meeting hours", before["meetings"], change["meetings"], "h"),
              line("focus hours", before["focus"]["hours"], change["focus"], "h"),
              line("focus coverage", before["focus"]["coverage"], change["coverage"], "",
                   now=focus["coverage"]),
              line("violation minutes", before["violation_minutes"],
                   change["violation_minutes"], "min")]
    lines += [line(f"  {t}", m, change["minutes_by_type"][t], "min")
              for t, m in before["minutes_by_type"].items()
              if m or change["minutes_by_type"][t]]
    return lines
