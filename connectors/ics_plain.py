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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from connectors import ics_days
from connectors.ics_parse import _EPOCH, _US
from connectors.ics_walk import _WORK, MAX_OCCURRENCES_PER_SERIES, _walk_start
from core.schema import UTC_STAMP

# Tests turn this off to compare with the library's path.
ENABLED = True

_NAIVE_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - the epoch of naive recurrence ids
_EPOCH_DAY = _NAIVE_EPOCH.toordinal()
_DAILY, _WEEKLY = 3, 2  # dateutil.rrule.DAILY, WEEKLY: the rules `connectors.ics_days` counts
# A plain series longer than this takes the datetime path (its end could leave the years
# datetime holds).
_LONGEST = timedelta(days=300)
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
    if work is not None and ics_days.ENABLED:
        counted = _counted(series, plan, span_start, span_stop, work)
        if counted is not None:
            return counted
    budget = None if work is None else (work.left, set(work.cut_series), set(work.file_cut))
    dates = list(series.rrule_between(span_start, span_stop))
    segments = None if any(d.tzinfo is not plan.tz or d.fold for d in dates) else \
        _segments(series, plan, dates, span_start, span_stop)
    if segments is None:
        return _library(series, span_start, span_stop, budget)
    return segments


def _segments(series: Any, plan: _Plan, dates: list[datetime], span_start: datetime,
              span_stop: datetime) -> list[Rows | Any] | None:
    """`plain_occurrences` from the walk's ``dates`` (all in ``plan.tz``, fold 0), or None
    for a date near the ends of the years datetime can hold: `_segments_of` on their
    wall-clock and UTC microseconds. For such dates an end ``date + duration`` is the
    wall-clock time ``wall + duration`` with the zone's fold-0 offset (`_offset_of`), and
    two dates are equal when their wall-clock times are."""
    walls = [(date.replace(tzinfo=None) - _NAIVE_EPOCH) // _US for date in dates]
    utcs = [(date - _EPOCH) // _US for date in dates]
    return _segments_of(series, plan, walls, utcs, span_start, span_stop,
                        _offset_of(plan.tz))


def _counted(series: Any, plan: _Plan, span_start: datetime, span_stop: datetime,
             work: Any) -> list[Rows | Any] | None:
    """`plain_occurrences` without a datetime per date, for a series whose one rule is a
    plain DAILY or WEEKLY rule with one time of day (`connectors.ics_days`), or None.

    What `connectors.ics_walk` and `_segments` do per date, done on integers (wall-clock
    and UTC epoch microseconds, the UTC offset of each wall-clock time asked of the zone
    with fold 0, as the aware datetime would): the library's rule set first yields DTSTART,
    then the rule's walk from `ics_walk._walk_start`; each date is a step of the budget,
    the walk ends past UNTIL and breaks at the first date after the span, dates before
    the span are skipped. Whenever the steps would reach the budget (a cut, with its
    warning), a date is outside years 1000–9998 or the walk reaches year 9990, this
    returns None before touching the budget and the dates are walked as before."""
    rule, until_us = _counted_rule(series, plan)
    if rule is None:
        return None
    rule_set, start = series.recurrence.rrules[0], series.recurrence.start
    # Series.rrule_between widens the span; the walk compares instants with it
    first = span_start - series._subtract_from_start
    last = span_stop + series._add_to_stop
    later = _walk_start(rule, first)
    origin = rule._dtstart if later is None else later
    days = ics_days.simple_days(rule, origin)
    limit = min(MAX_OCCURRENCES_PER_SERIES, work.left - len(rule_set._rdate))
    if days is None or limit <= 0:
        return None
    first_us, last_us = (first - _EPOCH) // _US, (last - _EPOCH) // _US
    offset = _offset_of(plan.tz)
    walls: list[int] = []
    utcs: list[int] = []
    start_utc = (start - _EPOCH) // _US
    if rule_set._rdate and first_us <= start_utc <= last_us:
        walls.append((start.replace(tzinfo=None) - _NAIVE_EPOCH) // _US)
        utcs.append(start_utc)
    time = rule._timeset[0]
    time_us = ((time.hour * 60 + time.minute) * 60 + time.second) * 1_000_000 \
        + time.microsecond
    origin_wall = (origin.replace(tzinfo=None) - _NAIVE_EPOCH) // _US
    steps = 0
    for day in days:
        wall = (day - _EPOCH_DAY) * _DAY_US + time_us
        utc = wall - offset(wall)
        if until_us is not None and utc > until_us:
            break  # dateutil's walk ends
        if wall < origin_wall:
            continue
        steps += 1
        if utc > last_us:
            break
        if utc >= first_us:
            walls.append(wall)
            utcs.append(utc)
        if steps == limit:
            return None  # the walk would be cut here
    else:
        return None  # year 9990: dateutil's walk takes over
    steps += len(rule_set._rdate)
    if steps >= work.left:
        return None  # a budget used up to the last step counts as cut
    segments = _segments_of(series, plan, walls, utcs, span_start, span_stop, offset)
    if segments is not None:
        work.left -= steps
    return segments


def _counted_rule(series: Any, plan: _Plan) -> tuple[Any, int | None]:
    """The series' one rule and its UNTIL (UTC epoch µs, or None) when `_counted` can
    walk it: the library's rule set holds DTSTART alone (or nothing, past UNTIL), the
    rule has one time of day and DTSTART's zone, and its UNTIL (if any) is aware and the
    one the library compares with; (None, None) otherwise."""
    from dateutil.rrule import rrule, rruleset  # noqa: PLC0415

    recurrence = series.recurrence
    rules = recurrence.rrules
    if len(rules) != 2 or not isinstance(rules[0], rruleset) or not isinstance(rules[1], rrule):
        return None, None
    (rule_set, rule), start = rules, recurrence.start
    if rule_set._rrule or rule_set._exrule or rule_set._exdate or len(rule_set._rdate) > 1 \
            or (rule_set._rdate and rule_set._rdate[0] is not start) or start.fold \
            or rule._freq not in (_DAILY, _WEEKLY) or len(rule._timeset or ()) != 1 \
            or rule._tzinfo is not plan.tz \
            or plan.duration > _LONGEST:
        return None, None
    until, named_until = rule._until, getattr(rule, "until", None)
    if until is None and named_until is None:
        return rule, None
    if isinstance(until, datetime) and isinstance(named_until, datetime) \
            and named_until.tzinfo and until.tzinfo and named_until == until:
        return rule, (until - _EPOCH) // _US
    return None, None


def _segments_of(  # noqa: PLR0912 - `Series.between` step by step, on integers
        series: Any, plan: _Plan, walls: list[int], utcs: list[int], span_start: datetime,
        span_stop: datetime, offset: Callable[[int], int]) -> list[Rows | Any] | None:
    """`plain_occurrences` from the walk's dates given as wall-clock and UTC epoch
    microseconds (``offset``: the zone's, `_offset_of`), or None for a date outside years
    1000–9998.

    `Series.between`, per date: a date seen before is skipped (the same set of
    datetimes), then EXDATEs (by UTC or wall-clock id), then overrides (`get_any`: the
    wall-clock id wins over the UTC one); the rest is kept when it touches the span
    (`time_span_contains_event`, with comparable times: UTC instants here)."""
    duration, exdates, overrides = plan.duration, plan.exdates, plan.overrides
    duration_us = duration // _US
    lo, hi = (span_start - _EPOCH) // _US, (span_stop - _EPOCH) // _US
    segments: list[Rows | Any] = []
    starts: list[int] = []
    ends: list[int] = []
    seen: set[int] = set()  # walls: dates of one zone are equal when their walls are
    returned: set[int] = set()
    zero = duration_us == 0
    named = bool(exdates or overrides)
    for wall, utc in zip(walls, utcs, strict=True):
        if wall in seen:
            continue
        if not _LOW_US <= utc <= _HIGH_US:
            return None
        if named:
            if utc in exdates or wall in exdates:
                continue
            override = overrides.get(wall)  # the wall-clock id first, as `get_any`
            if override is None:
                override = overrides.get(utc)
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
        seen.add(wall)
        if zero:
            if lo <= utc < hi:
                starts.append(utc)
                ends.append(utc)
            continue
        end_wall = wall + duration_us  # the end in wall-clock time, as date + duration
        end = end_wall - offset(end_wall)
        if utc < hi and lo < end:
            starts.append(utc)
            ends.append(end)
    if starts:
        segments.append(_rows(plan, starts, ends))
    segments.extend(_other_overrides(series, returned, span_start, span_stop))
    return segments


def _offset_of(tz: Any) -> Callable[[int], int]:
    """The UTC offset (µs) of a wall-clock time (epoch µs) in ``tz`` with fold 0: what an
    aware datetime of that wall-clock time and tzinfo gives (for a time in a DST gap, the
    offset before it; in an overlap, the first). Answers are kept per zone and wall-clock
    time (`_OFFSETS`): meetings start and end on the same few times of day, so most are
    asked again (the benchmark's two quarters: ≈ 57k asked, ≈ 14k different)."""
    if len(_OFFSETS) > _ZONES_KEPT:
        _OFFSETS.clear()
    known = _OFFSETS.setdefault(tz, {})
    utcoffset, naive, one = tz.utcoffset, _NAIVE_EPOCH, _US

    def offset(wall: int) -> int:
        got = known.get(wall)
        if got is None:
            if len(known) > _OFFSETS_KEPT:
                known.clear()
            got = known[wall] = utcoffset(naive + timedelta(microseconds=wall)) // one
        return got
    return offset


# Offsets already asked, per zone object (ZoneInfo compares by identity, a fixed offset by
# its value: either way the same answers), and how many are kept.
_OFFSETS: dict[Any, dict[int, int]] = {}
_ZONES_KEPT = 64
_OFFSETS_KEPT = 200_000


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
