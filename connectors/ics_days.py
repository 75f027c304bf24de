"""The dates of a plain DAILY or WEEKLY rule, counted out without dateutil's year masks.

dateutil spends ≈ 6 µs per date of a rule on its year masks and day sets; a year jump on
the ten-year benchmark calendar walks ≈ 33k dates of DAILY and WEEKLY rules (≈ 0.2 s of
the 0.55 s the connector took for the two quarters). For a *plain* rule the same dates
come from day arithmetic: `simple_walk` yields exactly the objects dateutil's walk would
(``datetime.combine`` of each day with each time of the rule's sorted time set, which
carries DTSTART's tzinfo, fold 0), in its order, with its comparisons against UNTIL (the
walk stops) and against the walk's DTSTART (the date is skipped). What a date is in UTC —
DST gaps and overlaps included — is then Python's answer for that object, exactly as for
dateutil's dates, so the bounded walk of `connectors.ics_walk` counts the same steps and
cuts at the same dates.

Plain: FREQ=DAILY or WEEKLY, INTERVAL ≥ 1, no COUNT (a count is kept by the walk from
DTSTART, which dateutil does), no BYSETPOS, BYMONTH, BYMONTHDAY, BYYEARDAY, BYWEEKNO or
BYEASTER; BYDAY, BYHOUR / BYMINUTE / BYSECOND, WKST and UNTIL as dateutil read them into
the rule. Anything else is dateutil's walk. tests/test_ics_days.py compares the two walks
date by date for generated rules (zones with DST gaps and overlaps, fixed offsets, UTC)
and whole reads of the corpus with this module on and off.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dateutil.rrule import rrule

# Tests turn this off to compare with dateutil's walk.
ENABLED = True

# dateutil's frequency constants (dateutil.rrule.DAILY, WEEKLY)
_DAILY, _WEEKLY = 3, 2
# The last day a simple walk makes itself: later days are left to dateutil, which knows
# what it does at the end of year 9999.
_FAR = date(9990, 1, 1).toordinal()


def simple_walk(rule: rrule, origin: datetime,
                dateutil_walk: Callable[[], Iterable[datetime]]) -> Iterator[datetime] | None:
    """dateutil's walk of a plain DAILY or WEEKLY ``rule`` from ``origin`` (the walk's
    DTSTART: the rule's own or a later one of `connectors.ics_walk`), or None when the
    rule is not plain. ``dateutil_walk`` makes dateutil's walk of the same rule from the
    same start (used only past year 9990)."""
    days = simple_days(rule, origin)
    return None if days is None else _dates(rule, origin, days, dateutil_walk)


def simple_days(rule: rrule, origin: datetime) -> Iterator[int] | None:
    """The days (ordinals) of `simple_walk`'s dates in its order, each to be combined with
    every time of the rule's time set, up to year 9990; None when the rule is not plain.

    * DAILY: the days ``origin`` + k × INTERVAL whose weekday is in BYDAY (all days
      without BYDAY);
    * WEEKLY: the days of ``origin``'s week (weeks start on WKST) from ``origin``'s day
      on, then of every INTERVAL-th week after it, whose weekday is in BYDAY (dateutil
      puts DTSTART's weekday there when the rule has no BYDAY).
    """
    if not ENABLED or rule._freq not in (_DAILY, _WEEKLY) or rule._interval < 1 \
            or rule._count is not None or rule._bysetpos or rule._bymonth \
            or rule._bymonthday or rule._bynmonthday or rule._byyearday or rule._byweekno \
            or rule._byeaster or rule._bynweekday or not rule._timeset \
            or rule._dtstart is None or origin.toordinal() >= _FAR:
        return None
    weekdays = None if rule._byweekday is None else frozenset(rule._byweekday)
    interval, day0 = rule._interval, origin.toordinal()
    if rule._freq == _DAILY:
        if weekdays is not None and not any(_weekday(day0 + k * interval) in weekdays
                                            for k in range(7)):
            return None  # no day ever matches: dateutil walks on to year 9999
        return _days(weekdays, day0, day0, interval, (0,))
    week0 = day0 - (origin.weekday() - rule._wkst) % 7
    return _days(weekdays, day0, week0, 7 * interval, range(7))


def _weekday(ordinal: int) -> int:
    """``date.fromordinal(ordinal).weekday()`` (day 1, 0001-01-01, was a Monday)."""
    return (ordinal + 6) % 7


def _days(weekdays: frozenset[int] | None, day0: int, first: int, step: int,
          in_period: Sequence[int]) -> Iterator[int]:
    """Periods of ``step`` days from the day ordinal ``first``, the days ``in_period`` of
    each, never before ``day0``, whose weekday is in ``weekdays`` (all when None)."""
    period = first
    while period < _FAR:
        for offset in in_period:
            day = period + offset
            if day >= day0 and (weekdays is None or (day + 6) % 7 in weekdays):
                yield day
        period += step


def _dates(rule: rrule, origin: datetime, days: Iterator[int],
           dateutil_walk: Callable[[], Iterable[datetime]]) -> Iterator[datetime]:
    """Each of ``days`` combined with each time of the rule's time set, with dateutil's
    ``_iter`` comparisons: past UNTIL the walk ends, before ``origin`` a date is skipped."""
    combine, fromordinal = datetime.combine, date.fromordinal
    until, times = rule._until, rule._timeset
    last = None
    for day in days:
        on = fromordinal(day)
        for time in times:
            when = combine(on, time)
            if until and when > until:
                return
            if when >= origin:
                last = when
                yield when
    # near year 9999: dateutil's own walk of the same rule, after the last date made here
    yield from (when for when in dateutil_walk() if last is None or when > last)
