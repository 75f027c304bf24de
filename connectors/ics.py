"""ICS files and bytes → the normalized event frame (SPEC §3).

Parsing is `icalendar`; expansion of RRULE/RDATE/EXDATE/RECURRENCE-ID (including
RANGE=THISANDFUTURE) is `recurring-ical-events`; X-WR-TIMEZONE feeds are normalised by
`x-wr-timezone`. What this module adds:

* it never copies an occurrence into a full component (STACK.md: that copy is ≈ 78 % of
  the libraries' expansion time); it reads each VEVENT's static fields once and pairs
  them with every occurrence's start and end;
* columns are built as epoch-microsecond integers and Arrow arrays, then cast;
* a malformed VEVENT is skipped and counted, a malformed file raises `InvalidCalendar`;
* the recurrence walk is bounded per series and per file and starts near the window
  for rules without COUNT; a bound only ever loses occurrences, and says so (the rules
  are never rewritten; docs/ingest.md "Bounds");
* a few producer mistakes are repaired before or after parsing (DATE values with a
  TZID, VTIMEZONE TZIDs with spaces, zoned EXDATEs of a floating series, DTEND before
  DTSTART, bad SEQUENCE) and damaged components timeaudit never reads are skipped;
* results are cached as Parquet (see `connectors.cache`).
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import itertools
import re
import threading
import warnings
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import polars as pl

from connectors import cache, group_cache
from connectors.ics_split import Split, group_digest, groups_in_window, split_calendar
from connectors.text import decode_calendar_bytes
from core import schema as s
from core.errors import CalendarWarning, InvalidCalendar, printable
from core.period import local_midnight, resolve_zone

if TYPE_CHECKING:
    import icalendar
    import recurring_ical_events
    from dateutil.rrule import rrule

# icalendar, recurring-ical-events, x-wr-timezone, dateutil and pyarrow are imported where
# a calendar is parsed, not here: a read answered from the cache needs none of them
# (≈ 0.25 s of the 0.8 s a cached `timeaudit report --sample` took; issue 16).

# Work bounds (docs/ingest.md "Bounds"). A step is one date the recurrence library
# produces for a rule, RDATE list or DTSTART, also before the window (a rule with COUNT
# has to be walked from DTSTART). One series may take this many steps per window; a rule
# without COUNT starts its walk near the window, so this is ≈ 69 days of a MINUTELY rule
# and every instance of anything a person schedules.
MAX_OCCURRENCES_PER_SERIES = 100_000
# All series of one file together, per window: ≈ 4 s of dateutil on this machine
# (measured 3.9 s for 1,000,000 HOURLY steps), so a file of 2,000 absurd series finishes.
MAX_STEPS_PER_FILE = 1_000_000
# A calendar larger than this is refused before it is decoded (a 10-year export of a busy
# calendar is ≈ 10 MB; parsing takes ≈ 2 s per MB, and memory ≈ 50 × the size). The same
# limit as for links (connectors.url.MAX_BYTES).
MAX_FILE_BYTES = 50 * 1024 * 1024
# Floating and all-day times are only known once placed in the audit zone, so the
# libraries are asked for a window wider by the largest UTC offset, then cut exactly.
_WINDOW_SLACK = timedelta(hours=27)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_TIME_PROPERTIES = frozenset(
    {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}
)
_PARTSTAT = {
    "ACCEPTED": "accepted", "TENTATIVE": "tentative", "DECLINED": "declined",
    "NEEDS-ACTION": "needs_action", "DELEGATED": "declined",
    # RFC 5545 §3.2.12: a missing PARTSTAT means NEEDS-ACTION.
    "": "needs_action",
}
_NOT_PEOPLE = frozenset({"RESOURCE", "ROOM"})


@dataclass
class _Skipped:
    """Counts what one file lost or had assumed, for one summary warning of each kind."""

    reasons: Counter = field(default_factory=Counter)
    assumed: Counter = field(default_factory=Counter)
    components: Counter = field(default_factory=Counter)
    cut_series: set[str] = field(default_factory=set)
    file_cut: set[str] = field(default_factory=set)
    unknown_zones: set[str] = field(default_factory=set)

    def merge(self, other: _Skipped) -> None:
        self.reasons.update(other.reasons)
        self.assumed.update(other.assumed)
        self.components.update(other.components)
        self.cut_series |= other.cut_series
        self.file_cut |= other.file_cut
        self.unknown_zones |= other.unknown_zones

    def copy(self) -> _Skipped:
        return _Skipped(self.reasons.copy(), self.assumed.copy(), self.components.copy(),
                        set(self.cut_series),
                        set(self.file_cut), set(self.unknown_zones))

    def warn(self, source: str) -> list[str]:
        messages = []
        if self.reasons:
            total = sum(self.reasons.values())
            detail = ", ".join(f"{why}: {n}" for why, n in sorted(self.reasons.items()))
            noun = "event" if total == 1 else "events"
            messages.append(f"{source}: skipped {total} malformed {noun} ({detail})")
        if self.components:
            total = sum(self.components.values())
            detail = ", ".join(f"{why}: {n}" for why, n in sorted(self.components.items()))
            noun = "component" if total == 1 else "components"
            messages.append(f"{source}: skipped {total} malformed {noun} that timeaudit "
                            f"does not use ({detail})")
        if self.assumed:
            total = sum(self.assumed.values())
            detail = ", ".join(f"{why}: {n}" for why, n in sorted(self.assumed.items()))
            noun = "event was" if total == 1 else "events were"
            messages.append(f"{source}: {total} {noun} read with an assumption ({detail}; "
                            "see docs/ingest.md)")
        if self.cut_series:
            n = len(self.cut_series)
            messages.append(
                f"{source}: {n} recurring series {'repeats' if n == 1 else 'repeat'} too "
                f"often; each was cut after {MAX_OCCURRENCES_PER_SERIES:,} steps of its "
                "rule, so later occurrences are missing"
            )
        if self.file_cut:
            n = len(self.file_cut)
            messages.append(
                f"{source}: the recurring series need more than {MAX_STEPS_PER_FILE:,} "
                f"steps in all for this period; {n} {'was' if n == 1 else 'were'} cut "
                "there, so later occurrences are missing"
            )
        if self.unknown_zones:
            zones = ", ".join(sorted(self.unknown_zones))
            messages.append(
                f"{source}: unknown time zone {zones} (no VTIMEZONE); its times were read "
                "in the audit time zone"
            )
        messages = [printable(m) for m in messages]
        for message in messages:
            warnings.warn(message, CalendarWarning, stacklevel=3)
        return messages


# --------------------------------------------------------------------------- parsing


_PARSE_ERRORS = (ValueError, IndexError, KeyError, TypeError, AttributeError)
# Components timeaudit never reads: a damaged one is skipped, not the whole file.
_UNUSED_COMPONENTS = frozenset({"VTODO", "VJOURNAL", "VFREEBUSY", "VAVAILABILITY"})
# A VTIMEZONE's own TZID with spaces around it (Thunderbird's "TZID:Mitteleuropäische Zeit
# "; "TZID: 1"): icalendar strips a TZID= parameter but not this line, so they would not
# match and the times would silently become floating.
_TZID_VALUES = re.compile(r"^TZID:([^\r\n]*)", re.M | re.I)
_TZID_LINE = re.compile(r"^TZID:[ \t]*(.*?)[ \t]*(?=\r?$)", re.M | re.I)
# DTSTART;TZID=Europe/Berlin;VALUE=DATE:20180702 (SabreDAV, Radicale): RFC 5545 §3.2.19
# says TZID does not apply to a DATE, but icalendar makes it a zoned midnight.
_DATE_WITH_TZID = re.compile(
    r'^((?:DTSTART|DTEND|RECURRENCE-ID|EXDATE|RDATE)(?:;(?:[^:;"\r\n]|"[^"\r\n]*")*)*)'
    r":(\d{8}(?:,\d{8})*)[ \t]*(?=\r?$)", re.M | re.I)
_TZID_PARAM = re.compile(r';TZID=(?:"[^"]*"|[^:;"]*)', re.I)


def _repair_text(text: str) -> str:
    """Two producer mistakes fixed on the text, before icalendar reads it (lines keep their
    numbers). Each regex runs only when a cheap test says the file may need it."""
    if any(line != line.strip() for line in _TZID_VALUES.findall(text)):
        text = _TZID_LINE.sub(lambda m: "TZID:" + m.group(1), text)
    if ";TZID=" in text.upper() and _DATE_WITH_TZID.search(text):
        text = _DATE_WITH_TZID.sub(
            lambda m: _TZID_PARAM.sub("", m.group(1)) + ":" + m.group(2), text)
    return text


def parse_calendar(text: str, source: str,
                   skipped: _Skipped | None = None) -> icalendar.Calendar:
    """Parse iCalendar text, or raise `InvalidCalendar` naming the file (and line).

    A damaged component timeaudit never reads (VTODO, VJOURNAL, VFREEBUSY, VAVAILABILITY)
    is dropped and counted in ``skipped`` when the file has VEVENTs.
    """
    if not text.strip():
        raise InvalidCalendar("the file is empty", source=source)
    # icalendar caches custom VTIMEZONEs process-wide by TZID and the first definition
    # wins: two files that both define "Customized Time Zone" differently would share
    # one. Each file starts with an empty cache (this resets only that cache).
    import icalendar  # noqa: PLC0415 - only when parsing (see the imports)

    icalendar.use_zoneinfo()
    text = _repair_text(text)
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except _PARSE_ERRORS as error:
        # icalendar raises ValueError (and InvalidCalendar, its subclass) for bad
        # content lines; the others come from deeper parse steps on damaged input
        # (found by fuzzing: a VTIMEZONE with two TZIDs, END:VTIMEZONE without BEGIN).
        calendars = _without_bad_unused_components(text, skipped)
        if calendars is None:
            raise InvalidCalendar(_describe(error), source=source,
                                  line=_locate(text, str(error))) from None
    found = [c.name for c in calendars]
    calendars = [c for c in calendars if c.name == "VCALENDAR"]
    if not calendars:
        upper = text.upper()
        if "BEGIN:VCALENDAR" in upper and "END:VCALENDAR" not in upper:
            message = "the file ends before END:VCALENDAR (was it cut off?)"
        elif found:
            message = f"{printable(found[0])} outside a VCALENDAR (BEGIN:VCALENDAR is missing)"
        else:
            message = "no VCALENDAR in the file (is it an iCalendar file?)"
        raise InvalidCalendar(message, source=source)
    if len(calendars) > 1:
        # Some feeds concatenate calendars; treat them as one.
        first = calendars[0]
        for other in calendars[1:]:
            for component in other.subcomponents:
                first.add_component(component)
        return first
    return calendars[0]


def _without_bad_unused_components(text: str,
                                   skipped: _Skipped | None) -> list[icalendar.Calendar] | None:
    """The file parsed without its damaged unused components, or None when that does not
    help (nothing to drop, no VEVENT left, or the rest is damaged too)."""
    import icalendar  # noqa: PLC0415
    lines = text.splitlines(keepends=True)
    depth, begin, name, drop = 0, 0, "", []
    for number, line in enumerate(lines):
        upper = line.strip().upper()
        if upper.startswith("BEGIN:"):
            depth += 1
            if depth == 2:
                begin, name = number, upper[6:]
        elif upper.startswith("END:"):
            if depth == 2 and name in _UNUSED_COMPONENTS:
                alone = "BEGIN:VCALENDAR\r\n" + "".join(lines[begin:number + 1]) + \
                        "END:VCALENDAR\r\n"
                try:
                    icalendar.Calendar.from_ical(alone)
                except _PARSE_ERRORS:
                    drop.append((begin, number, name))
            depth -= 1
    if not drop:
        return None
    for begin, end, _name in reversed(drop):
        del lines[begin:end + 1]
    rest = "".join(lines)
    if "BEGIN:VEVENT" not in rest.upper():
        return None
    try:
        calendars = icalendar.Calendar.from_ical(rest, multiple=True)
    except _PARSE_ERRORS:
        return None
    if skipped is not None:
        skipped.components.update(name for _begin, _end, name in drop)
    return calendars


def _describe(error: Exception) -> str:
    message = printable(" ".join(str(error).split())) or type(error).__name__
    if len(message) > 160:
        message = message[:157] + "…"
    return f"not a valid iCalendar file: {message}"


def _locate(text: str, message: str) -> int | None:
    """The 1-based line a parse error quotes, when it quotes one that is in the text."""
    candidates = re.findall(r"'([^']{3,200})'", message)
    # "Offset must be less than 24 hours, was +5328", "Wrong datetime format: -0011130T…"
    candidates += [token for token in message.split()[-1:] if len(token) >= 4]
    for candidate in candidates:
        index = text.find(candidate)
        if index >= 0:
            return text.count("\n", 0, index) + 1
    return None


# ------------------------------------------------------------------ static fields


def _text(component: icalendar.Component, name: str) -> str | None:
    value = component.get(name)
    if value is None:
        return None
    if isinstance(value, list):  # a repeated property: keep the first
        value = value[0]
    text = str(value)
    return text


def _email(value: object) -> str | None:
    text = str(value).strip()
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().lower()
    return text or None


def _as_list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _utc_us(value: datetime | date | None, zone: tzinfo) -> int | None:
    """Epoch microseconds of a DATE-TIME (floating → audit zone) or a DATE (local midnight)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return (value - _EPOCH) // _US
    return (local_midnight(value, zone) - _EPOCH) // _US


@dataclass(frozen=True)
class _Static:
    """The fields of one VEVENT that all its occurrences share."""

    title: str
    description: str | None
    location: str | None
    status: str
    response: str
    busy: bool
    kind: str
    attendees: int
    organizer: str | None
    domains: list[str]
    categories: list[str]
    color: str | None
    created: int | None


def _read_static(component: icalendar.Component, owners: frozenset[str],
                 zone: tzinfo) -> _Static:
    status = (_text(component, "STATUS") or "CONFIRMED").strip().upper()
    status = {"TENTATIVE": "tentative", "CANCELLED": "cancelled"}.get(status, "confirmed")

    organizer = None
    if (raw := component.get("ORGANIZER")) is not None:
        organizer = _email(_as_list(raw)[0])

    response = "none"
    people: dict[str, None] = {}
    attendees = _as_list(component.get("ATTENDEE"))
    for attendee in attendees:
        email = _email(attendee)
        params = getattr(attendee, "params", {})
        if email in owners:
            partstat = str(params.get("PARTSTAT", "")).upper()
            response = _PARTSTAT.get(partstat, "needs_action")
            continue
        if str(params.get("CUTYPE", "")).upper() in _NOT_PEOPLE:
            continue
        if str(params.get("PARTSTAT", "")).upper() == "DECLINED":
            continue
        people[email or f"unnamed-{len(people)}"] = None
    if organizer is not None and organizer in owners:
        response = "organizer"  # SPEC §3: organizing wins over the owner's attendee status
    domains = sorted({p.rpartition("@")[2] for p in people if "@" in p})

    transp = (_text(component, "TRANSP") or "").strip().upper()
    busy_status = (_text(component, "X-MICROSOFT-CDO-BUSYSTATUS") or "").strip().upper()
    busy = transp != "TRANSPARENT" if transp else busy_status != "FREE"
    kind = {"OOF": "out_of_office", "WORKINGELSEWHERE": "working_location"}.get(busy_status,
                                                                                "event")
    if status == "confirmed" and busy_status == "TENTATIVE":  # Outlook's "show as tentative"
        status = "tentative"

    categories: dict[str, None] = {}
    for prop in _as_list(component.get("CATEGORIES")):
        for category in getattr(prop, "cats", [prop]):
            text = str(category).strip()
            if text:
                categories[text] = None

    created = None
    if (raw_created := component.get("CREATED")) is not None:
        try:
            created = _utc_us(raw_created.dt, zone)
        except (AttributeError, TypeError, ValueError):
            created = None

    return _Static(
        title=_text(component, "SUMMARY") or "",
        description=_text(component, "DESCRIPTION"),
        location=_text(component, "LOCATION") or None,
        status=status,
        response=response,
        busy=busy,
        kind=kind,
        attendees=len(people),
        organizer=organizer,
        domains=domains,
        categories=list(categories),
        color=_text(component, "COLOR"),
        created=created,
    )


# --------------------------------------------------------------------- expansion


def _check_event(component: icalendar.Component) -> str | None:
    """Why this VEVENT cannot be expanded, or None when it can."""
    from icalendar.prop import vRecur  # noqa: PLC0415
    for name, _message in getattr(component, "errors", ()):
        if name in _TIME_PROPERTIES:
            return f"invalid {name}"
    if "DTSTART" not in component:
        return "no DTSTART"
    try:
        # icalendar reads a value by its shape, not by the property: `RECURRENCE-ID:P`
        # is a duration, `DTSTART:…/…` a period (found by fuzzing). Each must have the
        # type its property allows.
        wrong = _wrong_value_type(component)
        if wrong:
            return f"invalid {wrong}"
        for rule in _as_list(component.get("RRULE")):
            # RFC 5545: INTERVAL is a positive integer. dateutil repeats DTSTART for ever
            # with INTERVAL=0 (found by fuzzing).
            if not isinstance(rule, vRecur) or any(
                    not isinstance(n, int) or n < 1 for n in _as_list(rule.get("INTERVAL"))):
                return "invalid RRULE"
    except (AttributeError, KeyError, TypeError, ValueError):
        return "invalid date or time"
    return None


_VALUE_TYPES = {"DTSTART": date, "DTEND": date, "RECURRENCE-ID": date,
                "DURATION": timedelta}


def _wrong_value_type(component: icalendar.Component) -> str | None:
    """The first time property whose value is not of a type it allows, or None."""
    for name, allowed in _VALUE_TYPES.items():
        if name in component and not isinstance(component[name].dt, allowed):
            return name
    for name in ("EXDATE", "RDATE"):
        for prop in _as_list(component.get(name)):
            for value in prop.dts:
                when = value.dt
                if name == "RDATE" and isinstance(when, tuple) and len(when) == 2:
                    when = when[0]  # a PERIOD
                if not isinstance(when, date):
                    return name
    return None


# ------------------------------------------------------------ bounded expansion


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
_WEEKLY = 2
_PERIOD = {6: timedelta(seconds=1), 5: timedelta(minutes=1), 4: timedelta(hours=1),
           3: timedelta(days=1), _WEEKLY: timedelta(days=7)}


def _walk_from_window(rule: rrule, start: datetime) -> rrule:
    """The same rule, walked from a DTSTART near ``start`` instead of its own one.

    dateutil walks every rule from DTSTART (`rrule.between` too): FREQ=MINUTELY from 1990
    takes 19 million steps to reach 2026. Without COUNT, the dates at or after a later
    period boundary of the rule do not depend on where the walk began, so the walk starts
    at the last boundary at least one period before ``start``: the original DTSTART plus
    a whole number of INTERVAL × FREQ in wall-clock time (dateutil's own arithmetic), the
    by-parts dateutil derived from DTSTART passed explicitly. Not done for COUNT (the
    count starts at DTSTART), MONTHLY/YEARLY (few steps per year) and a WEEKLY rule with
    BYSETPOS (dateutil cuts the first week at DTSTART before choosing the position).
    tests/test_ics_bounds.py compares this with dateutil's own walk for generated rules.
    """
    from dateutil.rrule import rrule, weekday  # noqa: PLC0415

    period = _PERIOD.get(rule._freq) if rule._interval >= 1 else None
    # The library builds its rules with cache=True: a walk of 100,000 steps would stay in
    # memory with the parsed calendar. The walk uses an uncached copy (dateutil's replace).
    if rule._count is not None or period is None or (rule._freq == _WEEKLY and rule._bysetpos):
        return rule.replace(cache=False)
    first = rule._dtstart
    if first.tzinfo is not None:
        start = start.astimezone(first.tzinfo)
    step = period * rule._interval
    periods = (start.replace(tzinfo=None) - first.replace(tzinfo=None)) // step - 1
    if periods <= 0:
        return rule.replace(cache=False)
    later = first + step * periods  # wall-clock arithmetic, as dateutil's
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
        pass

    BoundedSeries.RecurrenceRules = RecurrenceRules
    return BoundedSeries


# ------------------------------------------------------------- per-VEVENT repairs


def _sequence(component: icalendar.Component, skipped: _Skipped) -> None:
    """SEQUENCE as one integer: two SEQUENCE lines keep the first valid one; `SEQUENCE:abc`
    is dropped (read as 0) — the library compares them and would raise."""
    if "SEQUENCE" not in component:
        return
    values = _as_list(component["SEQUENCE"])
    number = None
    for value in values:
        try:
            number = int(str(value).strip())
            break
        except ValueError:
            continue
    if number is not None and len(values) == 1 and isinstance(values[0], int):
        return
    del component["SEQUENCE"]
    if number is None:
        skipped.assumed["invalid SEQUENCE read as 0"] += 1
    else:
        component.add("SEQUENCE", number)
        if len(values) > 1:
            skipped.assumed["several SEQUENCE lines, the first is used"] += 1


def _floating_exceptions(component: icalendar.Component, zone: tzinfo) -> None:
    """Zoned EXDATEs/RDATEs of a floating series, as floating times of the audit zone.

    recurring-ical-events gives a floating DTSTART the zone of the first zoned EXDATE or
    RDATE, which would move the whole series onto that zone's clock; SPEC §3 places
    floating times in the audit zone, so the exceptions are brought to that clock instead.
    """
    start = component["DTSTART"].dt
    if not isinstance(start, datetime) or start.tzinfo is not None:
        return

    def floating(value: object) -> object:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(zone).replace(tzinfo=None)
        if isinstance(value, tuple):
            return tuple(floating(v) for v in value)
        return value

    for name in ("EXDATE", "RDATE"):
        if name not in component:
            continue
        values = [d.dt for prop in _as_list(component[name]) for d in prop.dts]
        if not any((isinstance(v, datetime) and v.tzinfo is not None)
                   or (isinstance(v, tuple) and isinstance(v[0], datetime)
                   and v[0].tzinfo is not None) for v in values):
            continue
        del component[name]
        for value in values:
            component.add(name, floating(value))


def _end_before_start(components: list[icalendar.Component], zone: tzinfo,
                      skipped: _Skipped) -> None:
    """DTEND before DTSTART: DTSTART is the start and the DTEND is invalid. An override
    takes its master's duration (the instance was moved, not shortened); any other event
    gets no DTEND (zero length, one day when all-day). The library would swap them."""
    master = next((c for c in components if "RECURRENCE-ID" not in c), None)
    for component in components:
        if "DTEND" not in component:
            continue
        begin, finish = component["DTSTART"].dt, component["DTEND"].dt
        if isinstance(begin, datetime) != isinstance(finish, datetime):
            continue
        if _utc_us(finish, zone) >= _utc_us(begin, zone):
            continue
        del component["DTEND"]
        if component is not master and master is not None and "RECURRENCE-ID" in component:
            duration = _duration(master, zone)
            if duration is not None:
                component.add("DURATION", duration)
                skipped.assumed["DTEND before DTSTART, the series' duration used"] += 1
                continue
        skipped.assumed["DTEND before DTSTART, read as no DTEND"] += 1


def _duration(component: icalendar.Component, zone: tzinfo) -> timedelta | None:
    if "DURATION" in component:
        value = component["DURATION"].dt
        return value if isinstance(value, timedelta) and value >= timedelta(0) else None
    if "DTEND" in component:
        begin, finish = component["DTSTART"].dt, component["DTEND"].dt
        if isinstance(begin, datetime) == isinstance(finish, datetime):
            length = timedelta(microseconds=_utc_us(finish, zone) - _utc_us(begin, zone))
            return length if length >= timedelta(0) else None
    return None


class _Entry(NamedTuple):
    """One UID's VEVENTs, ready to be asked for any window: a recurrence `Series`, or, for
    a one-off event (no RRULE, RDATE, EXDATE or RECURRENCE-ID), the component itself —
    its one occurrence is read from DTSTART/DTEND directly (building a Series for each of
    25k one-off events cost 1.9 s of a 10-year file; reading them directly 0.19 s)."""

    series: Any          # recurring_ical_events.Series, or None for a one-off event
    single: Any          # the one-off VEVENT, or None
    recurring: bool
    size: int


@dataclass
class _Parsed:
    """A parsed calendar ready to be asked for any window."""

    source: str
    calendar_name: str
    series: list[_Entry]
    skipped: _Skipped  # what parsing lost; each read copies it and adds its own

    def fresh_skipped(self) -> _Skipped:
        return self.skipped.copy()


# Tests turn this off to check that a one-off event read directly gives what the
# recurrence library gives for it.
_DIRECT_SINGLES = True


def _collect_series(vevents: Iterable[tuple[int, icalendar.Component]], source: str,
                    zone: tzinfo, skipped: _Skipped) -> list[_Entry]:
    """VEVENTs (with their position in the file) grouped by UID into entries."""
    import recurring_ical_events  # noqa: PLC0415

    by_uid: dict[str, list[icalendar.Component]] = defaultdict(list)
    for index, component in vevents:
        problem = _check_event(component)
        if problem:
            skipped.reasons[problem] += 1
            continue
        _sequence(component, skipped)
        _floating_exceptions(component, zone)
        uids = _as_list(component.get("UID"))
        uid = str(uids[0]).strip() if uids else ""
        if len(uids) > 1:  # a repeated UID line: the first is the UID
            component["UID"] = uid
        by_uid[uid or _synthetic_uid(source, index, component)].append(component)
    entries = []
    for uid, group in by_uid.items():
        components = _without_duplicate_masters(group, skipped)
        adapters = []
        try:
            _end_before_start(components, zone, skipped)
            for component in components:
                if "UID" not in component or not str(component["UID"]).strip():
                    component["UID"] = uid
                adapters.append(recurring_ical_events.EventAdapter(component))
            recurring = any(
                "RRULE" in c or "RDATE" in c or "RECURRENCE-ID" in c for c in components
            )
            if _DIRECT_SINGLES and len(components) == 1 and not recurring \
                    and "EXDATE" not in components[0]:
                entries.append(_Entry(None, adapters[0], False, 1))
                continue
            one = _bounded_series()(adapters)
        except _series_errors():
            skipped.reasons["invalid recurrence"] += len(components)
            continue
        entries.append(_Entry(one, None, recurring, len(components)))
    return entries


def _without_duplicate_masters(components: list[icalendar.Component],
                               skipped: _Skipped) -> list[icalendar.Component]:
    """Keep one VEVENT per UID without RECURRENCE-ID: the newest, whatever the file order.

    RFC 5545 allows one; some producers repeat an event. Newest = highest SEQUENCE, then
    latest DTSTAMP and LAST-MODIFIED, then (for a stable choice) the larger text.
    """
    masters = [c for c in components if "RECURRENCE-ID" not in c]
    if len(masters) < 2:
        return components

    def newest(component: icalendar.Component) -> tuple:
        def stamp(name: str) -> str:
            prop = _as_list(component.get(name))
            prop = prop[0] if prop else None
            return prop.to_ical().decode() if hasattr(prop, "to_ical") else ""

        # SEQUENCE is one int by now (_sequence)
        return (int(component.get("SEQUENCE", 0)), stamp("DTSTAMP"),
                stamp("LAST-MODIFIED"), component.to_ical())

    keep = max(masters, key=newest)
    skipped.reasons["duplicate UID"] += len(masters) - 1
    return [c for c in components if c is keep or "RECURRENCE-ID" in c]


def _synthetic_uid(source: str, index: int, component: icalendar.Component) -> str:
    """A stable UID for a VEVENT that has none (RFC 5545 requires one; some feeds omit it)."""
    digest = hashlib.sha1(
        f"{source}\x00{index}\x00{component.get('DTSTART').to_ical()!r}\x00"
        f"{component.get('SUMMARY', '')}".encode(),
        usedforsecurity=False,
    ).hexdigest()[:16]
    return f"noid-{digest}"


@functools.cache
def _series_errors() -> tuple[type[Exception], ...]:
    import icalendar  # noqa: PLC0415
    import recurring_ical_events  # noqa: PLC0415

    return (
        recurring_ical_events.BadRuleStringFormat,
        recurring_ical_events.PeriodEndBeforeStart,
        recurring_ical_events.InvalidCalendar,
        icalendar.InvalidCalendar,
        ValueError,
        TypeError,
        KeyError,
        OverflowError,
    )


def _to_standard(calendar: icalendar.Calendar, label: str) -> icalendar.Calendar:
    import x_wr_timezone  # noqa: PLC0415

    try:
        return x_wr_timezone.to_standard(calendar)
    except (ValueError, TypeError, KeyError, OverflowError) as error:
        raise InvalidCalendar(printable(f"bad X-WR-TIMEZONE: {error}"), source=label) from None


def _prepare(text: str, source: str, calendar_name: str | None, zone: tzinfo,
             label: str) -> _Parsed:
    skipped = _Skipped()
    calendar = _to_standard(parse_calendar(text, label, skipped), label)
    name = calendar_name or _text(calendar, "X-WR-CALNAME") or _stem(source)
    series = _collect_series(enumerate(calendar.walk("VEVENT")), source, zone, skipped)
    return _Parsed(source, name.strip() or _stem(source), series, skipped)


def _stem(source: str) -> str:
    tail = source.split(":", 1)[-1].rstrip("/").rsplit("/", 1)[-1]
    return tail.rsplit(".", 1)[0] if "." in tail else tail


# ------------------------------------------------------------------- the frame


def _occurrence_rows(entries: Iterable[_Entry], skipped: _Skipped, start: datetime,
                     end: datetime, zone: tzinfo, owners: frozenset[str],
                     cols: dict[str, list] | None = None) -> dict[str, list]:
    """Expand every entry over [start, end) into column lists (one entry per occurrence).

    The step budget of the read in progress (`_WORK`) is used when one is set (the caller
    then collects what was cut); otherwise this is a read of its own."""
    cols = defaultdict(list) if cols is None else cols
    statics: dict[int, _Static] = {}
    span_start, span_end = _moved(start, -_WINDOW_SLACK), _moved(end, _WINDOW_SLACK)
    errors = _series_errors()
    own = _WORK.get() is None
    work = _Work() if own else _WORK.get()
    token = _WORK.set(work) if own else None
    try:
        for entry in entries:
            if entry.single is not None:
                adapter = entry.single
                try:
                    occurrences = [_Single(adapter, adapter.start, adapter.end)]
                except errors:
                    skipped.reasons["invalid recurrence"] += 1
                    continue
                _add_rows(cols, statics, occurrences, False, skipped, zone, owners)
                continue
            try:
                occurrences = list(entry.series.between(span_start, span_end))
            except errors:
                skipped.reasons["invalid recurrence"] += entry.size
                continue
            _add_rows(cols, statics, occurrences, entry.recurring, skipped, zone, owners)
    finally:
        if token is not None:
            _WORK.reset(token)
    if own:
        skipped.cut_series |= work.cut_series - work.file_cut
        skipped.file_cut |= work.file_cut
    return cols


@dataclass(frozen=True, slots=True)
class _Single:
    """The one occurrence of a one-off event, shaped like the library's `Occurrence`."""

    _adapter: Any
    start: date
    end: date


def _moved(instant: datetime, by: timedelta) -> datetime:
    """``instant + by``, kept a day inside the years datetime can hold (0001–9999), so
    that the libraries can still convert it to any zone."""
    low, high = datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)
    try:
        return min(max(instant + by, low), high)
    except OverflowError:
        return high if by > timedelta(0) else low


def _add_rows(cols: dict[str, list], statics: dict[int, _Static], occurrences: list,
              recurring: bool, skipped: _Skipped, zone: tzinfo,
              owners: frozenset[str]) -> None:
    for occurrence in occurrences:
        adapter = occurrence._adapter
        component = adapter._component
        static = statics.get(id(component))
        if static is None:
            static = statics[id(component)] = _read_static(component, owners, zone)
            _note_unknown_zone(component, skipped)
        begin, finish = occurrence.start, occurrence.end
        all_day = not isinstance(begin, datetime)
        try:
            start_us = _utc_us(begin, zone)
            if all_day:
                # DTEND equal to DTSTART on a DATE (Calendar Labs) is shown as one day.
                end_us = _utc_us(finish if finish > begin else begin + timedelta(days=1),
                                 zone)
            else:
                end_us = _utc_us(finish, zone)
            uid = adapter.uid
            event_id = f"{uid}@{_original_start(occurrence, adapter, zone)}" if recurring \
                else uid
        except OverflowError:  # a time at the end of year 9999 in a zone east of UTC
            skipped.reasons["date out of range"] += 1
            continue
        end_us = max(end_us, start_us)
        cols["event_id"].append(event_id)
        cols["series_id"].append(uid if recurring else None)
        cols["start"].append(start_us)
        cols["end"].append(end_us)
        cols["all_day"].append(all_day)
        cols["static"].append(static)


def _note_unknown_zone(component: icalendar.Component, skipped: _Skipped) -> None:
    """A TZID that is neither defined nor known becomes a floating time: say so."""
    prop = component.get("DTSTART")
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime) and value.tzinfo is None and "TZID" in prop.params:
        skipped.unknown_zones.add(str(prop.params["TZID"]))


def _original_start(occurrence: recurring_ical_events.Occurrence,
                    adapter: recurring_ical_events.EventAdapter, zone: tzinfo) -> str:
    """The instance's original start (its RECURRENCE-ID) in UTC ISO form, or a date.

    An override keeps the RECURRENCE-ID it replaces; an instance generated from the rule
    (or from a RANGE=THISANDFUTURE override used as a template) starts where the rule put
    it, before the template's move. All-day instances are identified by their date, which
    does not change with the audit zone.
    """
    is_override_itself = adapter.is_modification() and occurrence.start == adapter.start \
        and occurrence.end == adapter.end
    if is_override_itself:
        original = adapter._component["RECURRENCE-ID"].dt
    else:
        original = occurrence.start - adapter.move_recurrences_by
    if not isinstance(original, datetime):
        return original.isoformat()
    if original.tzinfo is None:
        original = original.replace(tzinfo=zone)
    return s.utc_stamp(original)


_JOIN = "\x1f"


def _string_lists(values: list[list[str]]) -> pl.Series:
    """A List(String) column: the lists joined into one string each and split again by
    Polars (0.05 s for 133k rows; building it from Python lists took 1.7 s, and through
    pyarrow imported pyarrow, numpy and pandas: ≈ 0.6 s)."""
    if any(_JOIN in item for items in values for item in items):
        return pl.Series(values, dtype=pl.List(pl.String))
    joined = pl.Series([_JOIN.join(items) if items else None for items in values],
                       dtype=pl.String)
    return joined.str.split(_JOIN).fill_null([])


# The columns of `_raw_frame`: one row per expanded occurrence, before the window's filter,
# times as epoch microseconds (what the disk cache of groups keeps, connectors.group_cache).
RAW_SCHEMA = pl.Schema({
    s.EVENT_ID: pl.String, s.SERIES_ID: pl.String, s.START: pl.Int64, s.END: pl.Int64,
    s.ALL_DAY: pl.Boolean, s.TITLE: pl.String, s.DESCRIPTION: pl.String,
    s.LOCATION: pl.String, s.STATUS: pl.String, s.RESPONSE: pl.String,
    s.BUSY: pl.Boolean, s.KIND: pl.String, s.ATTENDEES: pl.Int32, s.ORGANIZER: pl.String,
    s.ATTENDEE_DOMAINS: pl.List(pl.String), s.CATEGORIES: pl.List(pl.String),
    s.COLOR: pl.String, s.CREATED: pl.Int64,
})


def _raw_frame(cols: dict[str, list]) -> pl.DataFrame:
    """The expanded rows as a frame (`RAW_SCHEMA`), in their order."""
    statics: list[_Static] = cols.get("static", [])
    if not statics:
        return pl.DataFrame(schema=RAW_SCHEMA)

    # The fields every occurrence of a VEVENT shares are built once per VEVENT and
    # gathered per row (a 10-year file: 547k rows, 26k VEVENTs).
    position: dict[int, int] = {}
    distinct: list[_Static] = []
    rows_static = []
    for static in statics:
        at = position.get(id(static))
        if at is None:
            at = position[id(static)] = len(distinct)
            distinct.append(static)
        rows_static.append(at)

    def column(attr: str) -> list:
        return [getattr(x, attr) for x in distinct]

    shared = pl.DataFrame({
        s.TITLE: pl.Series(column("title"), dtype=pl.String),
        s.DESCRIPTION: pl.Series(column("description"), dtype=pl.String),
        s.LOCATION: pl.Series(column("location"), dtype=pl.String),
        s.STATUS: pl.Series(column("status"), dtype=pl.String),
        s.RESPONSE: pl.Series(column("response"), dtype=pl.String),
        s.BUSY: pl.Series(column("busy"), dtype=pl.Boolean),
        s.KIND: pl.Series(column("kind"), dtype=pl.String),
        s.ATTENDEES: pl.Series(column("attendees"), dtype=pl.Int32),
        s.ORGANIZER: pl.Series(column("organizer"), dtype=pl.String),
        s.ATTENDEE_DOMAINS: _string_lists(column("domains")),
        s.CATEGORIES: _string_lists(column("categories")),
        s.COLOR: pl.Series(column("color"), dtype=pl.String),
        s.CREATED: pl.Series(column("created"), dtype=pl.Int64),
    })[pl.Series(rows_static, dtype=pl.UInt32)]
    return pl.DataFrame({
        s.EVENT_ID: pl.Series(cols["event_id"], dtype=pl.String),
        s.SERIES_ID: pl.Series(cols["series_id"], dtype=pl.String),
        s.START: pl.Series(cols["start"], dtype=pl.Int64),
        s.END: pl.Series(cols["end"], dtype=pl.Int64),
        s.ALL_DAY: pl.Series(cols["all_day"], dtype=pl.Boolean),
    }).hstack(shared)


def _finish_frame(raw: pl.DataFrame, source: str, calendar_name: str, start: datetime,
                  end: datetime) -> pl.DataFrame:
    """The event frame of SPEC §3 from the expanded rows: exactly the occurrences of
    [start, end), one per (event_id, start)."""
    n = raw.height
    if n == 0:
        return s.empty_events()
    frame = pl.DataFrame({
        s.SOURCE: pl.Series([source], dtype=pl.String).new_from_index(0, n),
        s.CALENDAR: pl.Series([calendar_name], dtype=pl.String).new_from_index(0, n),
    }).hstack(raw)
    return (
        frame.with_columns(pl.col(s.START, s.END, s.CREATED).cast(s.UTC_INSTANT))
        .filter(s.overlapping(start, end))  # exactly the occurrences of [start, end)
        .pipe(s.one_per_occurrence)
        .select(s.COLUMNS)
    )


# ------------------------------------------------------------------- public API


def _as_instant(value: datetime | date, zone: tzinfo, name: str) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware (or a date)")
    try:
        return value.astimezone(UTC) if isinstance(value, datetime) \
            else local_midnight(value, zone)
    except OverflowError:  # local midnight of 0001-01-01 east of UTC is before year 1
        return datetime.min.replace(tzinfo=UTC) if value.year < 5000 \
            else datetime.max.replace(tzinfo=UTC)


def read_ics(
    path_or_bytes: str | Path | bytes,
    *,
    start: datetime | date,
    end: datetime | date,
    tz: str | tzinfo,
    source: str | None = None,
    owner_emails: Iterable[str] = (),
    calendar: str | None = None,
    charset: str | None = None,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
) -> pl.DataFrame:
    """Read one iCalendar file (a path or its bytes) into the event frame of SPEC §3.

    ``start``/``end``: the window, as aware instants or as local dates in ``tz`` (end
    exclusive); every occurrence that overlaps it is returned, unclipped.
    ``tz``: the audit time zone (floating times and all-day dates are placed in it).
    ``source``: the ``source`` column; default ``ics:<file name>`` (``ics:calendar.ics``
    for bytes). ``owner_emails``: decide ``response`` from the owner's ATTENDEE/ORGANIZER.

    Raises `InvalidCalendar` for a file that cannot be read; warns `CalendarWarning`
    with counts for what was skipped inside a readable file.
    """
    zone = resolve_zone(tz) if isinstance(tz, str) else tz
    zone_name = getattr(zone, "key", None) or str(zone)
    window_start = _as_instant(start, zone, "start")
    window_end = _as_instant(end, zone, "end")
    if isinstance(path_or_bytes, bytes):
        data = path_or_bytes
        source = source or "ics:calendar.ics"
        label = source
    else:
        path = Path(path_or_bytes)
        source = source or f"ics:{path.name}"
        label = printable(str(path))  # errors name the file as the person gave it
        data = read_file_bytes(path, label)
    owners = frozenset(e.strip().lower() for e in owner_emails if e.strip())

    key = cache.key_for(data, source=source, calendar=calendar, zone=zone_name,
                        start=window_start, end=window_end, owners=owners, charset=charset)
    if use_cache:
        hit = cache.load(key)
        if hit is not None:
            frame, messages = hit
            for message in messages:
                warnings.warn(message, CalendarWarning, stacklevel=2)
            return frame

    if len(data) > MAX_FILE_BYTES:
        raise InvalidCalendar(_too_large(len(data)), source=label)
    if progress and len(data) > 1_000_000:
        progress(f"{source}: reading {len(data) / 1e6:.1f} MB")
    text, split = _split_of(data, charset)
    got = None
    if split is not None:
        got = _read_split(split, source=source, calendar=calendar, zone=zone,
                          zone_name=zone_name, owners=owners, start=window_start,
                          end=window_end, label=label, use_cache=use_cache)
    if got is None:  # a file of unusual structure, or one that does not parse in parts
        text = text or decode_calendar_bytes(data, charset)
        parsed = _prepare(text, source, calendar, zone, label)
        skipped = parsed.fresh_skipped()
        cols = _occurrence_rows(parsed.series, skipped, window_start, window_end, zone,
                                owners)
        got = _raw_frame(cols), parsed.calendar_name, skipped
    raw, name, skipped = got
    frame = s.validate_events(_finish_frame(raw, source, name, window_start, window_end))
    if progress and len(data) > 1_000_000:
        progress(f"{source}: {frame.height:,} occurrences")
    messages = skipped.warn(source)
    if use_cache:
        cache.store(key, frame, messages)
    return frame


def read_file_bytes(path: Path, source: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES and path.is_file():
            raise InvalidCalendar(_too_large(size), source=source)
        with path.open("rb") as handle:  # a file that grows meanwhile is still bounded
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InvalidCalendar("no such file", source=source) from None
    except IsADirectoryError:
        raise InvalidCalendar("is a directory, not an .ics file", source=source) from None
    except OSError as error:
        raise InvalidCalendar(f"cannot read the file: {error.strerror}", source=source) from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidCalendar(_too_large(len(data)), source=source)
    return data


def _too_large(size: int) -> str:
    return (f"the calendar is {size / 1024 / 1024:,.0f} MB, more than timeaudit reads "
            f"({MAX_FILE_BYTES // 1024 // 1024} MB); export a shorter period")


# ------------------------------------------------------- reading a split calendar
#
# The file is split into components as text (connectors.ics_split); one-off events the
# window cannot see are dropped unparsed; the rest is grouped by UID (a series with its
# overrides) and each group is parsed, and expanded, once per content: a group's key is
# the digest of its own text and of what else changes its meaning (the calendar's
# properties and VTIMEZONEs, the audit zone, the source). So flipping to another window
# parses only groups not seen yet, and a calendar with one VEVENT changed parses that
# one group again (docs/ingest.md "Caching").


@dataclass
class _Group:
    """One UID group parsed: its entries and what parsing it lost."""

    entries: list[_Entry]
    skipped: _Skipped
    chars: int


@dataclass
class _Rows:
    """One group's occurrences for one window (and owner set), as column lists."""

    cols: dict[str, list]
    skipped: _Skipped
    steps: int


# In-process caches (the dashboard reads calendars again and again in one process),
# bounded by the text parsed (≈ 50 bytes of objects per byte of text) and by rows.
_GROUPS: OrderedDict[str, _Group] = OrderedDict()
_GROUP_CHARS_LIMIT = 24_000_000
_group_chars = 0
_ROWS: OrderedDict[tuple, _Rows] = OrderedDict()
_ROWS_LIMIT = 2_000_000
_row_count = 0
_NAMES: dict[tuple[str, str | None, str], str] = {}
_LOCK = threading.Lock()  # the dashboard reads calendars from several threads


# The same bytes split once per process: the dashboard reads a file again for every new
# window (another quarter or year), and decoding, repairing and splitting a ten-year
# calendar (≈ 1.5 s) costs more than expanding its series over a quarter. Bounded by the
# bytes of the files kept, least recently used dropped first.
_SPLITS: OrderedDict[tuple[str, str | None], tuple[Split, int]] = OrderedDict()
_SPLIT_BYTES_LIMIT = 64_000_000
_split_bytes = 0


def _split_of(data: bytes, charset: str | None) -> tuple[str, Split | None]:
    """The decoded text (``""`` when the split comes from memory) and its split, or None
    for a file of unusual structure."""
    global _split_bytes  # noqa: PLW0603 - the size of the module's own cache
    key = (hashlib.sha256(data).hexdigest(), charset)
    with _LOCK:
        known = _SPLITS.get(key)
        if known is not None:
            _SPLITS.move_to_end(key)
            return "", known[0]
    text = decode_calendar_bytes(data, charset)
    split = split_calendar(_repair_text(text)) if text.strip() else None
    if split is not None:
        with _LOCK:
            old = _SPLITS.pop(key, None)
            _split_bytes += len(data) - (old[1] if old else 0)
            _SPLITS[key] = (split, len(data))
            while _split_bytes > _SPLIT_BYTES_LIMIT and len(_SPLITS) > 1:
                _key, (_split, size) = _SPLITS.popitem(last=False)
                _split_bytes -= size
    return text, split


def _read_split(split: Split, *, source: str, calendar: str | None, zone: tzinfo,
                zone_name: str, owners: frozenset[str], start: datetime, end: datetime,
                label: str, use_cache: bool = False,
                ) -> tuple[pl.DataFrame, str, _Skipped] | None:
    """(rows as `_raw_frame`, calendar name, what was skipped) of the window, or None when
    the parts do not parse (the whole file is then read as one, which reports the error).

    Each group's rows come from memory, else (``use_cache``) from the disk cache of
    groups, else from parsing and expanding it; the disk entry is then written again."""
    lo, hi = (start - _EPOCH) // _US, (end - _EPOCH) // _US
    visible = groups_in_window(split, lo, hi)
    context = hashlib.sha256(f"{split.context()}\x00{zone_name}\x00{source}".encode()
                             ).hexdigest()
    keys = {group: group_digest(context, events) for group, events in visible.items()}
    with _LOCK:
        known = {key: _GROUPS.get(key) for key in keys.values()}
        known_rows = {key: _ROWS.get((key, owners, lo, hi)) for key in keys.values()}
        for key, group in known.items():
            if group is not None:
                _GROUPS.move_to_end(key)
            if known_rows[key] is not None:
                _ROWS.move_to_end((key, owners, lo, hi))
        name = _NAMES.get((context, calendar, source))
    # The disk is asked only for what memory does not hold (the dashboard's rereads).
    need_disk = use_cache and (name is None or None in known_rows.values())
    entry = group_cache.key_for(source=source, calendar=calendar, zone=zone_name,
                                start=start, end=end, owners=owners) if need_disk else ""
    stored = group_cache.load(entry, RAW_SCHEMA) if need_disk else None
    on_disk = set() if stored is None else {
        key for key in keys.values() if known_rows[key] is None and key in stored.groups}
    name = name or (stored.names.get(context) if stored is not None else None)
    missing = [group for group, key in keys.items()
               if known[key] is None and key not in on_disk]
    if missing or name is None:
        parsed = _parse_groups(split, [visible[g] for g in missing], source, zone, label)
        if parsed is None:
            return None
        name, groups = parsed
        name = (calendar or name or _stem(source)).strip() or _stem(source)
        with _LOCK:
            for group, entry_group in zip(missing, groups, strict=True):
                known[keys[group]] = entry_group
                _remember_group(keys[group], entry_group)
    with _LOCK:
        _NAMES[(context, calendar, source)] = name

    disk_steps = 0 if stored is None else sum(stored.groups[key][2] for key in on_disk)
    cols, skipped, counts, cut = _window_rows(
        [(key, known[key], known_rows[key]) for key in keys.values() if key not in on_disk],
        owners=owners, zone=zone, start=start, end=end, steps_taken=disk_steps)
    raw = _raw_frame(cols)
    if stored is not None:
        for key in on_disk:
            for lost in stored.groups[key][3:]:
                if lost is not None:  # most groups lost nothing
                    skipped.merge(_skipped_from_json(lost))
        raw = _gather_rows(raw, counts, stored, list(keys.values()), on_disk)
    if entry and not cut and (len(on_disk) < len(keys) or stored is None):
        _store_groups(entry, raw, keys, known, counts, stored, on_disk, context, name)
    return raw, name, skipped


def _gather_rows(fresh: pl.DataFrame, counts: dict[str, tuple[int, int, int, _Skipped]],
                 stored: group_cache.Stored, order: list[str], on_disk: set[str],
                 ) -> pl.DataFrame:
    """The rows of every group in ``order``: the fresh ones (``counts``: first row, rows)
    and those of the disk entry. Groups that follow one another in the same frame are
    taken as one slice, so a calendar with one changed VEVENT is three slices, not a
    gather of every row; a calendar whose groups moved around is gathered row by row."""
    if not on_disk:
        return fresh
    runs: list[list] = []  # [frame, first row, rows]
    for key in order:
        frame, (first, count) = ((stored.rows, stored.groups[key][:2]) if key in on_disk
                                 else (fresh, counts[key][:2]))
        if count == 0:
            continue
        if runs and runs[-1][0] is frame and runs[-1][1] + runs[-1][2] == first:
            runs[-1][2] += count
        else:
            runs.append([frame, first, count])
    if not runs:
        return fresh.clear()
    if len(runs) <= _MAX_SLICES:
        return pl.concat([frame.slice(first, count) for frame, first, count in runs],
                         how="vertical", rechunk=False)
    base = fresh.height
    firsts = [first + (base if frame is stored.rows else 0) for frame, first, _n in runs]
    lengths = [count for _frame, _first, count in runs]
    index = pl.select(pl.int_ranges(pl.Series(firsts, dtype=pl.Int64),
                                    pl.Series(firsts, dtype=pl.Int64)
                                    + pl.Series(lengths, dtype=pl.Int64))
                      .explode().cast(pl.UInt32)).to_series()
    return pl.concat([fresh, stored.rows], how="vertical", rechunk=False)[index]


_MAX_SLICES = 256


def _store_groups(entry: str, raw: pl.DataFrame, keys: dict[str, str],
                  known: dict[str, _Group | None],
                  counts: dict[str, tuple[int, int, int, _Skipped]],
                  stored: group_cache.Stored | None, on_disk: set[str], context: str,
                  name: str) -> None:
    """Write the window's disk entry: ``raw`` holds every group's rows in ``keys`` order."""
    groups = []
    for key in keys.values():
        if key in on_disk:
            _first, count, steps, parsed, expanded = stored.groups[key]
        else:
            group = known[key]
            _first, count, steps, own = counts[key]
            parsed = _skipped_to_json(group.skipped) if group is not None else None
            expanded = _skipped_to_json(own)
        groups.append((key, count, steps, parsed, expanded))
    names = {} if stored is None else dict(stored.names)
    names[context] = name
    group_cache.store(entry, raw, groups, names)


def _skipped_to_json(skipped: _Skipped) -> Any:
    if not (skipped.reasons or skipped.assumed or skipped.components or skipped.cut_series
            or skipped.file_cut or skipped.unknown_zones):
        return None
    return [dict(skipped.reasons), dict(skipped.assumed), dict(skipped.components),
            sorted(skipped.cut_series), sorted(skipped.file_cut),
            sorted(skipped.unknown_zones)]


def _skipped_from_json(value: Any) -> _Skipped:
    if value is None:
        return _Skipped()
    reasons, assumed, components, cut_series, file_cut, unknown_zones = value
    return _Skipped(Counter(reasons), Counter(assumed), Counter(components), set(cut_series),
                    set(file_cut), set(unknown_zones))


def _window_rows(groups: list[tuple[str, _Group, _Rows | None]], *, owners: frozenset[str],
                 zone: tzinfo, start: datetime, end: datetime, steps_taken: int = 0,
                 ) -> tuple[dict[str, list], _Skipped,
                            dict[str, tuple[int, int, int, _Skipped]], bool]:
    """The rows of each group in [start, end): remembered ones, else expanded (and then
    remembered) under one step budget for the read (``steps_taken`` of it already used by
    rows read elsewhere). Also, per group key, (first row, rows, steps, what its
    expansion skipped), and whether the file's budget cut any series."""
    lo, hi = (start - _EPOCH) // _US, (end - _EPOCH) // _US
    skipped = _Skipped()
    cols: dict[str, list] = defaultdict(list)
    counts: dict[str, tuple[int, int, int, _Skipped]] = {}
    work = _Work()
    fresh: list[tuple[tuple, _Rows]] = []
    work.left -= steps_taken
    work.left -= sum(rows.steps for _key, _group, rows in groups if rows is not None)
    token = _WORK.set(work)
    try:
        for key, group, remembered in groups:
            skipped.merge(group.skipped)
            rows_key = (key, owners, lo, hi)
            rows = remembered
            if rows is None:
                left, cut = work.left, set(work.cut_series)
                own = _Skipped()
                group_cols = _occurrence_rows(group.entries, own, start, end, zone, owners)
                own.cut_series |= work.cut_series - cut
                rows = _Rows(group_cols, own, left - work.left)
                fresh.append((rows_key, rows))
            skipped.merge(rows.skipped)
            first = len(cols["start"])
            for column, values in rows.cols.items():
                cols[column].extend(values)
            counts[key] = (first, len(cols["start"]) - first, rows.steps, rows.skipped)
    finally:
        _WORK.reset(token)
    skipped.cut_series -= work.file_cut
    skipped.file_cut |= work.file_cut
    if not work.file_cut:  # rows cut by the file's budget depend on the other groups
        with _LOCK:
            for rows_key, rows in fresh:
                _remember_rows(rows_key, rows)
    return cols, skipped, counts, bool(work.file_cut)


def _parse_groups(split: Split, groups: list[list], source: str, zone: tzinfo,
                  label: str) -> tuple[str, list[_Group]] | None:
    """The calendar's name and each group parsed, or None when the text does not parse."""
    import icalendar  # noqa: PLC0415

    events = [event for group in groups for event in group]
    icalendar.use_zoneinfo()  # custom VTIMEZONEs are private to their file (see above)
    try:
        calendars = icalendar.Calendar.from_ical(split.calendar_text(events), multiple=True)
    except _PARSE_ERRORS:
        return None
    if len(calendars) != 1 or calendars[0].name != "VCALENDAR":
        return None
    try:
        calendar = _to_standard(calendars[0], label)
    except InvalidCalendar:
        return None
    components = calendar.walk("VEVENT")
    if len(components) != len(events):
        return None
    parsed: list[_Group] = []
    position = 0
    for group in groups:
        skipped = _Skipped()
        mine = [(event.index, components[position + k]) for k, event in enumerate(group)]
        position += len(group)
        entries = _collect_series(mine, source, zone, skipped)
        parsed.append(_Group(entries, skipped, sum(len(event.text) for event in group)))
    return _text(calendar, "X-WR-CALNAME") or "", parsed


def _remember_group(key: str, group: _Group) -> None:
    global _group_chars  # noqa: PLW0603 - the size of the module's own cache
    _GROUPS[key] = group
    _group_chars += group.chars
    while _group_chars > _GROUP_CHARS_LIMIT and len(_GROUPS) > 1:
        _key, old = _GROUPS.popitem(last=False)
        _group_chars -= old.chars


def _remember_rows(key: tuple, rows: _Rows) -> None:
    global _row_count  # noqa: PLW0603
    old = _ROWS.pop(key, None)
    if old is not None:
        _row_count -= len(old.cols.get("start", ()))
    _ROWS[key] = rows
    _row_count += len(rows.cols.get("start", ()))
    while _row_count > _ROWS_LIMIT and len(_ROWS) > 1:
        _key, old = _ROWS.popitem(last=False)
        _row_count -= len(old.cols.get("start", ()))


def parsed_calendar(data: bytes, *, source: str, calendar: str | None, zone: tzinfo,
                    charset: str | None, label: str | None = None) -> _Parsed:
    """The whole calendar parsed (every VEVENT, whatever the window)."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidCalendar(_too_large(len(data)), source=label or source)
    return _prepare(decode_calendar_bytes(data, charset), source, calendar, zone,
                    label or source)


def clear_memory_cache() -> None:
    global _group_chars, _row_count, _split_bytes  # noqa: PLW0603
    with _LOCK:
        _SPLITS.clear()
        _split_bytes = 0
        _GROUPS.clear()
        _ROWS.clear()
        _NAMES.clear()
        _group_chars = _row_count = 0


__all__ = [
    "MAX_FILE_BYTES",
    "MAX_OCCURRENCES_PER_SERIES",
    "MAX_STEPS_PER_FILE",
    "CalendarWarning",
    "parse_calendar",
    "read_ics",
]
