"""A plan, not only a record (issue 14): focus blocks proposed for a coming week, as an
``.ics`` file the person imports into their own calendar (timeaudit stays read-only).

What is proposed, and why (also in docs/counting.md):

* **Where**: free working time — the working windows of the week (SPEC §7: days off and
  out-of-office time already removed) minus every counted occurrence (meetings, existing
  focus blocks, everything that takes time, §6) minus the protected blocks of
  ``[[boundaries.protected]]`` (time for life stays life), and never before now.
* **Not on a no-meeting day**: the team already keeps that day free; its free stretches
  of at least ``min_block_minutes`` count towards the target as they are.
* **How much**: the weekly focus target (``[goals] min_focus_hours_per_week``, else
  ``focus.target_hours_per_week``) minus the focus already planned — scheduled focus
  blocks (§8 ``protected_focus``) and the long free stretches of no-meeting days.
* **How**: blocks of ``min_block_minutes`` (so each one is a focus gap by itself), taken
  one day at a time — every day gets its first block before any day gets a second — at
  the start of the day's earliest free stretch long enough (mornings first); a block
  that continues the previous one on the same stretch extends it. It stops when the
  target is reached or no free stretch is long enough::

      window   09:00 [=====================================) 17:30
      busy           [meeting)          [=====)   [protected)
      free     ·······       [==========)     [===)
                              block 2 h   ← long enough      ← too short

The week's free stretches come from Polars; choosing among the handful of them (a few a
day) is a small loop, not the engine's work.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl
from icalendar import Calendar, Event

from audit.accounting import COUNTED, DATE
from audit.boundaries import WINDOW_END, WINDOW_START, WORKING, daily_intervals
from audit.config import WEEKDAYS
from audit.engine import Audit
from core import clock
from core.errors import UsageError
from core.period import Period, parse_week, resolve_zone, week_containing
from core.schema import END, START

DEFAULT_TITLE = "Focus time"
QUARTER_HOUR = timedelta(minutes=15)


@dataclass(frozen=True)
class Plan:
    """The proposed blocks (UTC instants, in time order) and the arithmetic behind them."""

    period: Period
    blocks: list[tuple[datetime, datetime]]
    target_minutes: float
    planned_minutes: float  # focus already planned: scheduled blocks, no-meeting days

    @property
    def proposed_minutes(self) -> float:
        return sum((end - start).total_seconds() / 60 for start, end in self.blocks)


def plan_week(text: str, timezone: str, week_start: str = "monday",
              now: datetime | None = None) -> Period:
    """``next`` → the week after the current one (by `core.clock.now`), else an ISO week."""
    if text.strip().lower() == "next":
        today = (now or clock.now()).astimezone(resolve_zone(timezone)).date()
        return week_containing(today, timezone, week_start).next()
    return parse_week(text, timezone)


def free_stretches(audit: Audit, not_before: datetime) -> pl.DataFrame:
    """``date``, ``start``, ``end``, ``no_meeting_day``: maximal free stretches of the
    working windows (minus counted time and protected blocks), from ``not_before`` on."""
    config, period = audit.config, audit.period
    windows = (
        audit.windows.lazy().filter(pl.col(WORKING))
        .select(DATE, pl.max_horizontal(WINDOW_START, pl.lit(not_before)).alias("w_start"),
                pl.col(WINDOW_END).alias("w_end"))
        .filter(pl.col("w_end") > pl.col("w_start"))
        .with_row_index("_window")
    )
    busy = [audit.events.lazy().filter(pl.col(COUNTED)).select(START, END)]
    busy += [daily_intervals(period, block.time, block.days).select(START, END)
             for block in config.boundaries.protected]
    taken = (
        windows.join(pl.concat(busy), how="cross")
        .filter((pl.col(START) < pl.col("w_end")) & (pl.col(END) > pl.col("w_start")))
        .select("_window", pl.max_horizontal(START, "w_start").alias("b_start"),
                pl.min_horizontal(END, "w_end").alias("b_end"))
    )
    # per window, in start order: the free time before each busy interval (after the
    # latest end so far), and after the last one
    before = (
        windows.join(taken, on="_window", how="left")
        .sort("_window", "b_start")
        .with_columns(
            pl.col("b_end").cum_max().shift(1).over("_window").alias("_prev"))
        .with_columns(pl.coalesce("_prev", "w_start").alias("start"),
                      pl.coalesce("b_start", "w_end").alias("end"))
    )
    after = (
        windows.join(taken.group_by("_window").agg(pl.col("b_end").max()), on="_window",
                     how="left")
        .with_columns(pl.col("b_end").fill_null(pl.col("w_start")).alias("start"),
                      pl.col("w_end").alias("end"))
    )
    no_meeting = [WEEKDAYS.index(day) + 1 for day in config.boundaries.no_meeting_days]
    return (
        pl.concat([before.select(DATE, "start", "end"), after.select(DATE, "start", "end")])
        .filter(pl.col("end") > pl.col("start"))
        .unique().sort("start")
        .with_columns(pl.col(DATE).dt.weekday().is_in(no_meeting).alias("no_meeting_day"))
        .collect()
    )


def propose_focus_blocks(audit: Audit, now: datetime | None = None) -> Plan:
    """The plan for ``audit.period`` (see the module docstring)."""
    config = audit.config
    minimum = timedelta(minutes=config.focus.min_block_minutes)
    goal = config.goals.min_focus_hours_per_week
    weekly = goal if goal is not None else config.focus.target_hours_per_week
    target = weekly * 60 * len(audit.period.days) / 7
    # round "now" up to the quarter hour: a block never starts in the past
    instant = (now or clock.now()).astimezone(UTC)
    not_before = datetime.fromtimestamp(
        math.ceil(instant.timestamp() / QUARTER_HOUR.total_seconds())
        * QUARTER_HOUR.total_seconds(), UTC)
    stretches = free_stretches(audit, not_before)
    long_enough = pl.col("end") - pl.col("start") >= minimum
    planned = float(audit.focus["protected_focus_minutes"].sum()) + float(
        stretches.filter(pl.col("no_meeting_day") & long_enough)
        .select(((pl.col("end") - pl.col("start")).dt.total_microseconds() / 60e6).sum())
        .item() or 0.0)
    free: dict[object, list[list[datetime]]] = {}
    for day, start, end in (stretches.filter(~pl.col("no_meeting_day"))
                            .select(DATE, "start", "end").iter_rows()):
        free.setdefault(day, []).append([start, end])
    blocks: list[list[datetime]] = []
    needed = target - planned
    while needed > 0:
        placed = False
        for day in sorted(free):
            if needed <= 0:
                break
            stretch = next((s for s in free[day] if s[1] - s[0] >= minimum), None)
            if stretch is None:
                continue
            start, end = stretch[0], stretch[0] + minimum
            if blocks and blocks[-1][1] == start:
                blocks[-1][1] = end
            elif any(b[1] == start for b in blocks):
                next(b for b in blocks if b[1] == start)[1] = end
            else:
                blocks.append([start, end])
            stretch[0] = end
            needed -= minimum.total_seconds() / 60
            placed = True
        if not placed:
            break
    return Plan(audit.period, sorted((a, b) for a, b in blocks), target, planned)


def check_title(title: str, title_pattern: str) -> None:
    """A `UsageError` unless ``title`` matches ``focus.title_pattern`` (SPEC §8)."""
    if not re.search(title_pattern, title):
        raise UsageError(f"the title {title!r} does not match focus.title_pattern "
                         f"{title_pattern!r}, so the blocks would not count as focus: "
                         "give a --title it matches")


def plan_calendar(plan: Plan, title: str = DEFAULT_TITLE,
                  title_pattern: str | None = None) -> bytes:
    """The plan as an iCalendar file (RFC 5545): one busy VEVENT per block, in UTC.

    With ``title_pattern`` (``focus.title_pattern``), the title must match it, so that
    timeaudit reads the imported blocks back as focus time (SPEC §8).
    """
    if title_pattern is not None:
        check_title(title, title_pattern)
    calendar = Calendar()
    calendar.add("prodid", "-//timeaudit//focus plan//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "timeaudit focus plan")
    stamp = clock.now().replace(microsecond=0)
    for start, end in plan.blocks:
        event = Event()
        event.add("uid", f"focus-{start:%Y%m%dT%H%M%SZ}@timeaudit.plan")
        event.add("dtstamp", stamp)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", title)
        event.add("transp", "OPAQUE")
        event.add("categories", ["Focus"])
        event.add("description", "Focus time proposed by timeaudit plan.")
        calendar.add_component(event)
    return calendar.to_ical()
