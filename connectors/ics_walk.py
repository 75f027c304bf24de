"""The bounded recurrence walk of `connectors.ics` (docs/ingest.md "Bounds").

A read may take `MAX_OCCURRENCES_PER_SERIES` steps per series and `MAX_STEPS_PER_FILE`
in all; a rule without COUNT starts its walk near the window. A bound only ever loses
occurrences, and the read says so (the rules are never rewritten). This module holds the
bounds, the step budget of the read in progress (`_WORK`), the walk that starts near the
window (`_walk_from_window`) and recurring-ical-events' `Series` that uses both
(`_bounded_series`). dateutil and recurring-ical-events are imported inside the functions
that use them: a read answered from the cache needs neither.
"""

from __future__ import annotations

import contextvars
import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from connectors import ics_days

if TYPE_CHECKING:
    from dateutil.rrule import rrule


# Work bounds (docs/ingest.md "Bounds"). A step is one date the recurrence library
# produces for a rule, RDATE list or DTSTART, also before the window (a rule with COUNT
# has to be walked from DTSTART). One series may take this many steps per window; a rule
# without COUNT starts its walk near the window, so this is ≈ 69 days of a MINUTELY rule
# and every instance of anything a person schedules.
MAX_OCCURRENCES_PER_SERIES = 100_000
# All series of one file together, per window: ≈ 4 s of dateutil on this machine
# (measured 3.9 s for 1,000,000 HOURLY steps), so a file of 2,000 absurd series finishes.
MAX_STEPS_PER_FILE = 1_000_000


@dataclass
class _Work:
    """The steps one read may still take, and which series it had to cut."""

    left: int = MAX_STEPS_PER_FILE
    cut_series: set[str] = field(default_factory=set)
    file_cut: set[str] = field(default_factory=set)


# The budget of the read in progress (a context variable: the dashboard reads calendars
# from several threads, and parsed series are shared between reads).
_WORK: contextvars.ContextVar[_Work | None] = contextvars.ContextVar("timeaudit_ics_work",
                                                                      default=None)
# dateutil frequencies whose periods have one length in wall-clock time (SECONDLY …
# WEEKLY, dateutil.rrule's constants 6 … 2), so a rule can start its walk a whole number
# of periods later.
_MONTHLY, _WEEKLY = 1, 2
_PERIOD = {6: timedelta(seconds=1), 5: timedelta(minutes=1), 4: timedelta(hours=1),
           3: timedelta(days=1), _WEEKLY: timedelta(days=7)}


def _walk_from_window(rule: rrule, start: datetime) -> rrule | Iterator[datetime]:
    """The same rule, walked from a DTSTART near ``start`` instead of its own one.

    dateutil walks every rule from DTSTART (`rrule.between` too): FREQ=MINUTELY from 1990
    takes 19 million steps to reach 2026. Without COUNT, the dates at or after a later
    period boundary of the rule do not depend on where the walk began, so the walk starts
    at the last boundary at least one period before ``start``: the original DTSTART plus
    a whole number of INTERVAL × FREQ in wall-clock time (dateutil's own arithmetic), the
    by-parts dateutil derived from DTSTART passed explicitly; a MONTHLY rule starts at
    midnight of the 1st of such a month (`_later_month`: a MONTHLY rule from 2017 took
    ≈ 100 steps to reach a quarter of 2025, half of the steps of a quarter of the
    ten-year benchmark calendar). Not done for COUNT (the count starts at DTSTART),
    YEARLY (few steps per year), MONTHLY with BYWEEKNO, BYYEARDAY or BYEASTER, and a
    WEEKLY rule with BYSETPOS (dateutil cuts the first week at DTSTART before choosing
    the position).
    tests/test_ics_bounds.py compares this with dateutil's own walk for generated rules.
    """
    later = _walk_start(rule, start)
    # a plain DAILY or WEEKLY rule: the same dates, counted out without dateutil
    simple = ics_days.simple_walk(rule, rule._dtstart if later is None else later,
                                  functools.partial(_dateutil_walk, rule, later))
    return _dateutil_walk(rule, later) if simple is None else simple


def _walk_start(rule: rrule, start: datetime) -> datetime | None:
    """Where `_walk_from_window` starts ``rule``'s walk for a window from ``start``, or
    None: at its own DTSTART."""
    period = _PERIOD.get(rule._freq) if rule._interval >= 1 else None
    first = rule._dtstart
    if first.tzinfo is not None:
        start = start.astimezone(first.tzinfo)
    if rule._count is None and rule._interval >= 1 and rule._freq == _MONTHLY \
            and not (rule._byweekno or rule._byyearday or rule._byeaster):
        later = _later_month(first, start, rule._interval)
    elif rule._count is not None or period is None or (rule._freq == _WEEKLY
                                                       and rule._bysetpos):
        later = None
    else:
        step = period * rule._interval
        periods = (start.replace(tzinfo=None) - first.replace(tzinfo=None)) // step - 1
        later = first + step * periods if periods > 0 else None  # wall-clock arithmetic
    return later


def _dateutil_walk(rule: rrule, later: datetime | None) -> rrule:
    """dateutil's walk of ``rule`` from ``later`` (None: from its own DTSTART)."""
    # The library builds its rules with cache=True: a walk of 100,000 steps would stay in
    # memory with the parsed calendar. The walk uses an uncached copy (dateutil's replace).
    from dateutil.rrule import rrule, weekday  # noqa: PLC0415

    if later is None:
        return rule.replace(cache=False)
    byweekday = None
    if rule._byweekday or rule._bynweekday:
        byweekday = tuple(rule._byweekday or ()) + tuple(
            weekday(day, n) for day, n in (rule._bynweekday or ()))
    return rrule(
        rule._freq, dtstart=later, interval=rule._interval, wkst=rule._wkst,
        until=rule._until, bysetpos=rule._bysetpos, bymonth=rule._bymonth,
        bymonthday=tuple(rule._bymonthday) + tuple(rule._bynmonthday) or None,
        byyearday=rule._byyearday, byeaster=rule._byeaster, byweekno=rule._byweekno,
        byweekday=byweekday, byhour=rule._byhour, byminute=rule._byminute,
        bysecond=rule._bysecond, cache=False,
    )


def _later_month(first: datetime, start: datetime, interval: int) -> datetime | None:
    """For a MONTHLY rule: midnight of the 1st of the last month the rule visits (DTSTART's
    month plus a whole number of INTERVALs) that is at least one INTERVAL before
    ``start``'s month, or None when that is DTSTART's own month. dateutil chooses a
    month's dates (BYSETPOS too) from the whole month and keeps those at or after
    DTSTART, so from midnight of the 1st nothing of that month is cut."""
    months = (start.year - first.year) * 12 + start.month - first.month
    periods = months // interval - 1
    if periods <= 0:
        return None
    year, month = divmod(first.month - 1 + periods * interval, 12)
    return first.replace(year=first.year + year, month=month + 1, day=1, hour=0, minute=0,
                         second=0, microsecond=0)


@functools.cache
def _bounded_series() -> type:
    """recurring-ical-events' Series whose rule walk is bounded and starts near the window
    (a class made on first use: the library is imported only when a calendar is parsed).

    Only `rrule_between` (the walk over the dateutil rules) is replaced; EXDATE, RDATE,
    overrides and THISANDFUTURE stay the library's.
    """
    import recurring_ical_events  # noqa: PLC0415
    from dateutil.rrule import rrule  # noqa: PLC0415
    from recurring_ical_events.util import (  # noqa: PLC0415
        compare_greater,
        convert_to_datetime,
        is_pytz,
    )

    class RecurrenceRules(recurring_ical_events.Series.RecurrenceRules):
        def rrule_between(self, span_start, span_stop):
            work = _WORK.get()
            if work is None or is_pytz(self.tzinfo):
                yield from super().rrule_between(span_start, span_stop)
                return
            first = convert_to_datetime(span_start, self.tzinfo)
            last = convert_to_datetime(span_stop, self.tzinfo)
            uid = self.core.uid
            for rule in self.rrules:
                until = getattr(rule, "until", None)
                walk = _walk_from_window(rule, first) if isinstance(rule, rrule) else rule
                limit = min(MAX_OCCURRENCES_PER_SERIES, work.left)
                steps = 0
                for steps, when in enumerate(itertools.islice(walk, limit), 1):  # noqa: B007
                    if when > last:
                        break
                    if when >= first and (until is None or not compare_greater(when, until)):
                        yield when
                else:
                    if steps == limit and limit:
                        (work.cut_series if limit == MAX_OCCURRENCES_PER_SERIES
                         else work.file_cut).add(uid)
                work.left -= steps
                if work.left <= 0:
                    work.file_cut.add(uid)
                    return

    class BoundedSeries(recurring_ical_events.Series):
        def occurrence(self, adapter, start=None, end=None):
            return _aware_occurrence()(adapter, start, end, sequence=self.sequence)

    BoundedSeries.RecurrenceRules = RecurrenceRules
    return BoundedSeries


@functools.cache
def _aware_occurrence() -> type:
    """recurring-ical-events' `Occurrence` whose window test skips `make_comparable` when
    the occurrence and the window are all aware date-times: it would return them unchanged
    (`convert_to_datetime` keeps an aware date-time as it is), so the library's own
    `time_span_contains_event` is asked with ``comparable=True`` and answers the same,
    exceptions included. Anything else (dates, floating times) takes the library's path.
    make_comparable was ≈ 11 % of expanding a quarter of the ten-year calendar (cProfile);
    tests/test_ics_bounds.py compares both on generated times."""
    from recurring_ical_events.occurrence import Occurrence  # noqa: PLC0415
    from recurring_ical_events.util import time_span_contains_event  # noqa: PLC0415

    class AwareOccurrence(Occurrence):
        def is_in_span(self, span_start, span_stop):
            start, end = self.start, self.end
            if _aware(start) and _aware(end) and _aware(span_start) and _aware(span_stop):
                return time_span_contains_event(span_start, span_stop, start, end,
                                                comparable=True)
            return super().is_in_span(span_start, span_stop)

    return AwareOccurrence


def _aware(value: object) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None
