"""The occurrences of a plain recurring series as columns, without an object per occurrence.

recurring-ical-events turns every date its rule walk yields into an `Occurrence` (and
`connectors.ics` then into a row): recurrence ids, EXDATE look-ups, the window test and
the event id cost more than the walk itself (≈ 2.4 of 4.6 s under cProfile for the two
quarters of a year jump on the ten-year benchmark calendar). For a *plain* series the
same answers come from a few integers per date:

* the walk stays the library's (`Series.rrule_between`, with the bounds of
  `connectors.ics_walk`), so the rule's dates, the step budget and what it cuts are the
  same;
* what `Series.between` then does per date — drop repeats, drop EXDATEs, swap in an
  override (RECURRENCE-ID), add the duration, keep what the window touches — is done on
  epoch microseconds (`plain_occurrences`); overrides themselves stay the library's
  `Occurrence` objects (a few per series), in the order the library gives them.

Plain (`_plain`), otherwise the library's path is taken: an aware DTSTART and DTEND
(zoneinfo or a fixed offset, not pytz), no RDATE, no EXDATE given as a DATE, no
RANGE=THISANDFUTURE, no override with rules of its own, no time near the ends of the
years Python can hold. tests/test_ics_plain.py proves the frames and warnings equal to the
library's path on the corpus, tests/data/ics and generated series.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from connectors.ics_parse import _EPOCH, _US
from connectors.ics_walk import _WORK
from core.schema import UTC_STAMP

# Tests turn this off to compare with the library's path.
ENABLED = True

_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - the epoch of naive recurrence ids
_DAY_US = 86_400_000_000
# Years 1000–9998 only (others take the library's path): four-digit years in event ids,
# and no time near the ends of what datetime holds overflows when moved to another zone.
_LOW_US = (datetime(1000, 1, 2, tzinfo=UTC) - _EPOCH) // _US
_HIGH_US = (datetime(9998, 12, 30, tzinfo=UTC) - _EPOCH) // _US


@dataclass(frozen=True, slots=True)
class Rows:
    """Generated occurrences of the series' core, in the library's order: UTC epoch
    microseconds of each start and end, and each row's event id."""

    plan: _Plan
    start: list[int]
    end: list[int]
    event_id: list[str]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What `Series.between` consults per date, read once per series."""

    core: Any                       # the core's EventAdapter
    duration: timedelta
    exdates: frozenset[int]         # naive recurrence ids of EXDATEs, as microseconds
    overrides: dict[int, Any]       # naive recurrence id (µs) → the override's adapter
    tz: Any
    uid: str
    # the core's static fields per (owners, audit zone), kept by `connectors.ics` across
    # reads: they depend on nothing else
    statics: dict = field(default_factory=dict)


def plain_occurrences(series: Any, span_start: datetime, span_stop: datetime,
                      ) -> list[Rows | Any] | None:
    """What ``series.between(span_start, span_stop)`` yields, as segments in its order —
    `Rows` for dates of the rule, the library's `Occurrence` for an override — or None
    when the series is not plain (the caller then asks the library)."""
    plan = _plan_of(series) if ENABLED and span_start.tzinfo and span_stop.tzinfo else None
    lo, hi = (span_start - _EPOCH) // _US, (span_stop - _EPOCH) // _US
    if plan is None or lo >= hi:
        return None
    work = _WORK.get()
    budget = None if work is None else (work.left, set(work.cut_series), set(work.file_cut))
    dates = list(series.rrule_between(span_start, span_stop))
    segments = None if any(d.tzinfo is not plan.tz or d.fold for d in dates) else \
        _segments(series, plan, dates, span_start, span_stop)
    if segments is None:
        return _library(series, span_start, span_stop, budget)
    return segments


def _segments(series: Any, plan: _Plan, dates: list[datetime], span_start: datetime,
              span_stop: datetime) -> list[Rows | Any] | None:
    """`plain_occurrences` from the walk's ``dates``, or None for a date near the ends
    of the years datetime can hold."""
    duration, exdates, overrides = plan.duration, plan.exdates, plan.overrides
    lo, hi = (span_start - _EPOCH) // _US, (span_stop - _EPOCH) // _US
    segments: list[Rows | Any] = []
    starts: list[int] = []
    ends: list[int] = []
    seen: set[datetime] = set()
    returned: set[int] = set()  # id() of the overrides yielded or matched
    zero = duration == timedelta(0)
    named = bool(exdates or overrides)
    for date in dates:
        # Series.between: a date seen before is skipped (the same set of datetimes), then
        # EXDATEs (by UTC or wall-clock id), then overrides (`get_any`: the wall-clock id
        # wins over the UTC one)
        if date in seen:
            continue
        utc = (date - _EPOCH) // _US
        if not _LOW_US <= utc <= _HIGH_US:
            return None
        if named:
            wall = (date.replace(tzinfo=None) - _NAIVE_EPOCH) // _US
            if utc in exdates or wall in exdates:
                continue
            override = overrides.get(wall, overrides.get(utc))
            if override is not None:
                if id(override) in returned:
                    continue
                returned.add(id(override))
                occurrence = series.occurrence(override)
                if occurrence.is_in_span(span_start, span_stop):
                    if starts:
                        segments.append(_rows(plan, starts, ends))
                        starts, ends = [], []
                    segments.append(occurrence)
                continue
        seen.add(date)
        end = ((date + duration) - _EPOCH) // _US
        # time_span_contains_event with comparable times (UTC instants here)
        if (lo <= utc < hi) if zero else (utc < hi and lo < end):
            starts.append(utc)
            ends.append(end)
    if starts:
        segments.append(_rows(plan, starts, ends))
    segments.extend(_other_overrides(series, returned, span_start, span_stop))
    return segments


def _other_overrides(series: Any, returned: set[int], span_start: datetime,
                     span_stop: datetime) -> list[Any]:
    """The overrides no date of the rule named, as `Series.between` adds them at its end."""
    found = []
    for modification in series.modifications:
        if id(modification) in returned or series.recurrence.check_exdates_datetime & set(
                modification.recurrence_ids) or series.skip_core_modification(modification):
            continue
        # the occurrence's window test is the adapter's (the same times), without
        # make_comparable when all are aware (connectors.ics_walk `_aware_occurrence`)
        occurrence = series.occurrence(modification)
        if occurrence.is_in_span(span_start, span_stop):
            found.append(occurrence)
    return found


def _library(series: Any, span_start: datetime, span_stop: datetime,
             budget: tuple[int, set[str], set[str]] | None) -> list[Any]:
    """The library's occurrences after all, its walk given back the steps the first walk
    took (the same walk again: the same steps, the same cuts)."""
    work = _WORK.get()
    if work is not None and budget is not None:
        work.left = budget[0]
        work.cut_series.intersection_update(budget[1])
        work.file_cut.intersection_update(budget[2])
    return list(series.between(span_start, span_stop))


def _rows(plan: _Plan, starts: list[int], ends: list[int]) -> Rows:
    """Each row's event id is ``UID@`` and its start in UTC (`connectors.ics`
    `_original_start`: a date of the rule is its own recurrence id), written as
    `core.schema.utc_stamp` writes it: `UTC_STAMP`, from the day's date and the time of
    day, each formatted once (strftime per row was ≈ 6 µs; a Polars query per series
    ≈ 2 ms)."""
    prefix = f"{plan.uid}@"
    ids = []
    for start in starts:
        day, rest = divmod(start, _DAY_US)
        date_text = _DATES.get(day)
        if date_text is None:
            if len(_DATES) > _DATES_KEPT:
                _DATES.clear()
            date_text = _DATES[day] = (_EPOCH + timedelta(days=day)).strftime(_DAY_FORMAT)
        second = rest // 1_000_000
        time_text = _TIMES.get(second)
        if time_text is None:
            time_text = _TIMES[second] = (_EPOCH + timedelta(seconds=second)).strftime(_TIME_FORMAT)
        ids.append(prefix + date_text + time_text)
    return Rows(plan, starts, ends, ids)


# The texts of days and times of day already written (a day has 86,400 seconds; days
# are forgotten when there are many). Both halves of `UTC_STAMP`, split after its "T".
_T = UTC_STAMP.index("T") + 1
_DAY_FORMAT, _TIME_FORMAT = UTC_STAMP[:_T], UTC_STAMP[_T:]
_DATES: dict[int, str] = {}
_DATES_KEPT = 100_000
_TIMES: dict[int, str] = {}


def _plan_of(series: Any) -> _Plan | None:
    """The series' `_Plan`, read on first use and kept on the series (None: not plain)."""
    try:
        return series.__dict__["_timeaudit_plan"]
    except KeyError:
        pass
    plan = _plain(series)
    series.__dict__["_timeaudit_plan"] = plan
    return plan


def _plain(series: Any) -> _Plan | None:
    from recurring_ical_events import Series  # noqa: PLC0415

    recurrence = getattr(series, "recurrence", None)
    if not isinstance(recurrence, Series.RecurrenceRules) or not _plain_core(recurrence) \
            or series.this_and_future:
        return None
    if any(m.has_recurrence_rules() or m.this_and_future for m in series.modifications):
        return None
    duration = recurrence.core.duration
    if not isinstance(duration, timedelta) or duration < timedelta(0):
        return None
    exdates = set()
    for value in recurrence.check_exdates_datetime:
        if not isinstance(value, datetime):
            return None
        if value.tzinfo is None:  # an aware one is never equal to a naive recurrence id
            exdates.add((value - _NAIVE_EPOCH) // _US)
    overrides = {}
    for key, adapter in series.recurrence_id_to_modification.items():
        if not isinstance(key, datetime) or key.tzinfo is not None:
            return None
        overrides[(key - _NAIVE_EPOCH) // _US] = adapter
    return _Plan(recurrence.core, duration, frozenset(exdates), overrides, recurrence.tzinfo,
                 recurrence.core.uid)


def _plain_core(recurrence: Any) -> bool:
    """An aware DTSTART and DTEND in a zoneinfo zone or a fixed offset; no RDATE, no
    EXDATE as a DATE, not moved by a THISANDFUTURE override."""
    start, end, tz = recurrence.original_start, recurrence.original_end, recurrence.tzinfo
    return (isinstance(start, datetime) and isinstance(end, datetime)
            and start.tzinfo is tz and isinstance(tz, zoneinfo.ZoneInfo | timezone)
            and end.tzinfo is not None and recurrence.start is start
            and not (recurrence.rdates or recurrence.replace_ends
                     or recurrence.check_exdates_date)
            and recurrence.core.move_recurrences_by == timedelta(0))
