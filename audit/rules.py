"""Classification rules (SPEC §5) compiled to Polars expressions: one boolean `pl.Expr` per rule.

Every matcher returns a non-null boolean expression over the event frame (SPEC §3), so a
rule is simply its matchers joined with ``&``; a rule without conditions matches all.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from audit.config import WEEKDAYS, Rule, TimeRange, glob_to_regex
from core import schema as s

_DAY_SECONDS = 24 * 3600


def text_matches(column: str, pattern: str) -> pl.Expr:
    """The regex is *searched* in the column (a null column never matches)."""
    return pl.col(column).str.contains(pattern).fill_null(False)


def title_matches(pattern: str) -> pl.Expr:
    return text_matches(s.TITLE, pattern)


def _is_glob(text: str) -> bool:
    return any(char in text for char in "*?[")


def glob_matches(column: str, pattern: str, *, ignore_case: bool = False) -> pl.Expr:
    """Exact match, or a glob when the pattern contains ``*``, ``?`` or ``[``."""
    value = pl.col(column).str.to_lowercase() if ignore_case else pl.col(column)
    pattern = pattern.lower() if ignore_case else pattern
    if not _is_glob(pattern):
        return (value == pattern).fill_null(False)
    return value.str.contains(glob_to_regex(pattern)).fill_null(False)


def calendar_is(pattern: str) -> pl.Expr:
    return glob_matches(s.CALENDAR, pattern)


def source_is(pattern: str) -> pl.Expr:
    return glob_matches(s.SOURCE, pattern)


def organizer_glob(pattern: str) -> pl.Expr:
    """E-mail addresses compare case-insensitively (the frame holds them lower-case)."""
    return glob_matches(s.ORGANIZER, pattern, ignore_case=True)


def categories_any(categories: Sequence[str]) -> pl.Expr:
    """Any of the event's categories is one of these (case-insensitive: people type them)."""
    wanted = [category.lower() for category in categories]
    return (pl.col(s.CATEGORIES)
            .list.eval(pl.element().str.to_lowercase().is_in(wanted))
            .list.any().fill_null(False))


def work_domain_regex(work_domains: Sequence[str]) -> str:
    """Matches a work domain or any of its subdomains (mail.example.com is example.com)."""
    if not work_domains:
        return r"[^\s\S]"  # matches nothing: with no work domains, everyone is external
    names = "|".join(re.escape(domain.lower()) for domain in work_domains)
    return rf"^(.*\.)?({names})$"


def is_external(work_domains: Sequence[str]) -> pl.Expr:
    """Some attendee's e-mail domain is not one of ``work_domains``."""
    colleague = pl.element().str.contains(work_domain_regex(work_domains))
    return pl.col(s.ATTENDEE_DOMAINS).list.eval(~colleague).list.any().fill_null(False)


def attendees_between(low: int | None, high: int | None) -> pl.Expr:
    return _between(pl.col(s.ATTENDEES), low, high)


def event_minutes() -> pl.Expr:
    return (pl.col(s.END) - pl.col(s.START)).dt.total_microseconds() / 60e6


def minutes_between(low: float | None, high: float | None) -> pl.Expr:
    return _between(event_minutes(), low, high)


def _between(value: pl.Expr, low: float | None, high: float | None) -> pl.Expr:
    bounds = [pl.lit(True)]
    if low is not None:
        bounds.append(value >= low)
    if high is not None:
        bounds.append(value <= high)
    return functools.reduce(operator.and_, bounds).fill_null(False)


def is_recurring() -> pl.Expr:
    return pl.col(s.SERIES_ID).is_not_null()


def local_wall_clock(column: str, timezone: str) -> pl.Expr:
    """The instant as a naive local wall-clock datetime in the audit zone."""
    return pl.col(column).dt.convert_time_zone(timezone).dt.replace_time_zone(None)


def on_weekdays(days: Sequence[str], timezone: str, *, local_start: pl.Expr | None = None
                ) -> pl.Expr:
    """The event *starts* on one of these weekdays, local to the audit zone.

    ``local_start`` is `local_wall_clock` of ``start`` when the caller already has it.
    """
    numbers = [WEEKDAYS.index(day) + 1 for day in days]  # Polars: Monday = 1
    start = local_wall_clock(s.START, timezone) if local_start is None else local_start
    return start.dt.weekday().is_in(numbers)


def within_time(window: TimeRange, timezone: str, *, local_start: pl.Expr | None = None,
                local_end: pl.Expr | None = None) -> pl.Expr:
    """The event overlaps the daily wall-clock window (which may wrap past midnight).

    With the event as [a, a+d) in local seconds from the start day's midnight and the
    window repeated each day as [w0 + k·day, w1 + k·day), only k ∈ {-1, 0, 1} can meet a
    shorter-than-a-day event; a day or longer always overlaps::

        day -1 |   day 0 (start)   |   day 1
          ─────┼───a━━━━━━━━━━━━━━━┿━━━━━a+d─     event
          [w0-1d, w1-1d)   [w0, w1)   [w0+1d, w1+1d)

    A zero-length event counts as one second long, so a marker at 22:00 is "at 22:00".
    ``local_start`` / ``local_end``: `local_wall_clock` of start and end, when at hand.
    """
    start = local_wall_clock(s.START, timezone) if local_start is None else local_start
    end = local_wall_clock(s.END, timezone) if local_end is None else local_end
    offset = (start - start.dt.truncate("1d")).dt.total_seconds()
    # wall-clock length, so a DST night does not shift the end by an hour
    length = pl.max_horizontal((end - start).dt.total_seconds(), pl.lit(1))
    w0 = window.start.hour * 3600 + window.start.minute * 60
    w1 = window.end.hour * 3600 + window.end.minute * 60 + (_DAY_SECONDS if window.wraps else 0)
    overlaps = [(offset < w1 + k * _DAY_SECONDS) & (offset + length > w0 + k * _DAY_SECONDS)
                for k in (-1, 0, 1)]
    return (functools.reduce(operator.or_, overlaps) | (length >= _DAY_SECONDS)).fill_null(False)


def rule_conditions(rule: Rule, *, timezone: str, work_domains: Sequence[str],
                    local_start: pl.Expr | None = None, local_end: pl.Expr | None = None,
                    external: pl.Expr | None = None) -> list[tuple[str | None, pl.Expr]]:
    """The given conditions of ``rule``, each as (column, non-null boolean expression).

    ``column`` names the one text column a regex or glob condition reads (title,
    description, location, calendar, source, organizer), so it can be evaluated once per
    distinct value of that column; None when the condition reads more of the row.
    ``local_start`` / ``local_end`` / ``external`` are the shared expressions (or helper
    columns) for the weekday, time and external conditions.
    """
    external = is_external(work_domains) if external is None else external
    # (column it reads or None, the rule's value for a condition, how it becomes an expr)
    given: list[tuple[str | None, object, Callable[[Any], pl.Expr]]] = [
        (s.TITLE, rule.title, title_matches),
        (s.DESCRIPTION, rule.description, lambda v: text_matches(s.DESCRIPTION, v)),
        (s.LOCATION, rule.location, lambda v: text_matches(s.LOCATION, v)),
        (s.CALENDAR, rule.calendar, calendar_is),
        (s.SOURCE, rule.source, source_is),
        (None, rule.categories, categories_any),
        (None, rule.kind, lambda v: (pl.col(s.KIND) == v).fill_null(False)),
        (None, rule.response, lambda v: (pl.col(s.RESPONSE) == v).fill_null(False)),
        (s.ORGANIZER, rule.organizer, organizer_glob),
        (None, rule.external, lambda v: external if v else ~external),
        (None, rule.recurring, lambda v: is_recurring() if v else ~is_recurring()),
        (None, rule.weekdays,
         lambda v: on_weekdays(v, timezone, local_start=local_start).fill_null(False)),
        (None, rule.time,
         lambda v: within_time(v, timezone, local_start=local_start, local_end=local_end)),
    ]
    conditions = [(column, to_expr(value)) for column, value, to_expr in given
                  if value is not None]
    if rule.min_attendees is not None or rule.max_attendees is not None:
        conditions.append((None, attendees_between(rule.min_attendees, rule.max_attendees)))
    if rule.min_minutes is not None or rule.max_minutes is not None:
        conditions.append((None, minutes_between(rule.min_minutes, rule.max_minutes)))
    return conditions


def compile_rule(rule: Rule, *, timezone: str, work_domains: Sequence[str]) -> pl.Expr:
    """All given conditions of ``rule``, joined with ``&``; no condition matches every event."""
    conditions = [expr for _, expr in rule_conditions(rule, timezone=timezone,
                                                      work_domains=work_domains)]
    if not conditions:
        return pl.lit(True)
    return functools.reduce(operator.and_, conditions).fill_null(False)
