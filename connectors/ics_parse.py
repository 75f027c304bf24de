"""Parsing iCalendar text into series ready to be asked for any window (SPEC §3).

The part of `connectors.ics` that uses the parsing libraries: parsing is `icalendar`;
expansion of RRULE/RDATE/EXDATE/RECURRENCE-ID (including RANGE=THISANDFUTURE) is
`recurring-ical-events`; X-WR-TIMEZONE feeds are normalised by `x-wr-timezone`. This
module holds:

* parsing (a malformed file raises `InvalidCalendar`, damaged components timeaudit never
  reads are skipped) and the repairs made on the text before parsing (DATE values with a
  TZID, VTIMEZONE TZIDs with spaces);
* the static fields of a VEVENT, read once and shared by all its occurrences (STACK.md:
  copying each occurrence into a full component is ≈ 78 % of the libraries' time);
* the check of a VEVENT's time properties (a malformed VEVENT is skipped and counted);
* the per-VEVENT repairs (zoned EXDATEs of a floating series, DTEND before DTSTART, bad
  SEQUENCE, duplicate masters) and the grouping of VEVENTs by UID into entries, each a
  recurrence-library `Series` with the bounded walk of `connectors.ics_walk`;
* `_Skipped`, the counts of what a file lost, and the warnings that say so.

The libraries are imported inside the functions that use them, not here:
a read answered from the cache needs none of them (issue 16). `connectors.ics` turns the
entries into the event frame and caches it.
"""

from __future__ import annotations

import functools
import hashlib
import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, NamedTuple

from connectors.ics_split import Split
from connectors.ics_walk import MAX_OCCURRENCES_PER_SERIES, MAX_STEPS_PER_FILE, _bounded_series
from core.errors import CalendarWarning, InvalidCalendar, printable
from core.period import local_midnight

if TYPE_CHECKING:
    import icalendar


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
        # most groups lost nothing: a read merges two of these per UID group (2,500 for a
        # quarter of the ten-year calendar), and Counter.update is slow even when empty
        if other.reasons:
            self.reasons.update(other.reasons)
        if other.assumed:
            self.assumed.update(other.assumed)
        if other.components:
            self.components.update(other.components)
        if other.cut_series:
            self.cut_series |= other.cut_series
        if other.file_cut:
            self.file_cut |= other.file_cut
        if other.unknown_zones:
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


class _Fields(NamedTuple):
    """What `_Static` is made of, as read from a VEVENT (by icalendar, or from the text of
    a plainly simple one-off event: `connectors.ics_single`)."""

    summary: str | None
    description: str | None
    location: str | None
    status: str | None
    transp: str | None
    busy_status: str | None
    color: str | None
    organizer: object | None          # the first ORGANIZER's value
    attendees: list[tuple[object, str, str]]  # (value, PARTSTAT, CUTYPE) per ATTENDEE
    categories: list[object]
    created: object | None            # CREATED's value (a date or datetime), if readable


def _read_static(component: icalendar.Component, owners: frozenset[str],
                 zone: tzinfo) -> _Static:
    return _static_of(_fields_of(component), owners, zone)


def _fields_of(component: icalendar.Component) -> _Fields:
    organizer = None
    if (raw := component.get("ORGANIZER")) is not None:
        organizer = _as_list(raw)[0]
    attendees = []
    for attendee in _as_list(component.get("ATTENDEE")):
        params = getattr(attendee, "params", {})
        attendees.append((attendee, str(params.get("PARTSTAT", "")),
                          str(params.get("CUTYPE", ""))))
    categories = [category for prop in _as_list(component.get("CATEGORIES"))
                  for category in getattr(prop, "cats", [prop])]
    created = None
    if (raw_created := component.get("CREATED")) is not None:
        try:
            created = raw_created.dt
        except (AttributeError, TypeError, ValueError):  # a broken value raises ValueError
            created = None
    return _Fields(
        summary=_text(component, "SUMMARY"), description=_text(component, "DESCRIPTION"),
        location=_text(component, "LOCATION"), status=_text(component, "STATUS"),
        transp=_text(component, "TRANSP"),
        busy_status=_text(component, "X-MICROSOFT-CDO-BUSYSTATUS"),
        color=_text(component, "COLOR"), organizer=organizer, attendees=attendees,
        categories=categories, created=created)


def _static_of(fields: _Fields, owners: frozenset[str], zone: tzinfo) -> _Static:
    status = (fields.status or "CONFIRMED").strip().upper()
    status = {"TENTATIVE": "tentative", "CANCELLED": "cancelled"}.get(status, "confirmed")

    organizer = None if fields.organizer is None else _email(fields.organizer)

    response = "none"
    people: dict[str, None] = {}
    for attendee, partstat, cutype in fields.attendees:
        email = _email(attendee)
        if email in owners:
            response = _PARTSTAT.get(partstat.upper(), "needs_action")
            continue
        if cutype.upper() in _NOT_PEOPLE:
            continue
        if partstat.upper() == "DECLINED":
            continue
        people[email or f"unnamed-{len(people)}"] = None
    if organizer is not None and organizer in owners:
        response = "organizer"  # SPEC §3: organizing wins over the owner's attendee status
    domains = sorted({p.rpartition("@")[2] for p in people if "@" in p})

    transp = (fields.transp or "").strip().upper()
    busy_status = (fields.busy_status or "").strip().upper()
    busy = transp != "TRANSPARENT" if transp else busy_status != "FREE"
    kind = {"OOF": "out_of_office", "WORKINGELSEWHERE": "working_location"}.get(busy_status,
                                                                                "event")
    if status == "confirmed" and busy_status == "TENTATIVE":  # Outlook's "show as tentative"
        status = "tentative"

    categories: dict[str, None] = {}
    for category in fields.categories:
        text = str(category).strip()
        if text:
            categories[text] = None

    created = None
    if fields.created is not None:
        try:
            created = _utc_us(fields.created, zone)
        except (AttributeError, TypeError, ValueError):
            created = None

    return _Static(
        title=fields.summary or "",
        description=fields.description,
        location=fields.location or None,
        status=status,
        response=response,
        busy=busy,
        kind=kind,
        attendees=len(people),
        organizer=organizer,
        domains=domains,
        categories=list(categories),
        color=fields.color,
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




# ----------------------------------------------- parsing a split calendar's groups


@dataclass
class _Group:
    """One UID group parsed: its entries and what parsing it lost."""

    entries: list[_Entry]
    skipped: _Skipped
    chars: int


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

