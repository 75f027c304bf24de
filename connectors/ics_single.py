"""Plainly simple one-off events read straight from their text, without icalendar.

A new quarter of a ten-year calendar holds ≈ 625 one-off events; parsing them with
icalendar was ≈ 40 % of reading the quarter (issue 16). Most are a handful of plain
lines: UID, DTSTAMP, DTSTART, DTEND, SUMMARY, ORGANIZER, ATTENDEEs. Such a VEVENT is read
here into what the rest of the reader needs — its start and end as icalendar gives them,
its UID, and the fields of `connectors.ics_parse._Fields` — and everything else goes to
icalendar as before. "Plainly simple" is strict, and anything short of it is parsed:

* the VEVENT is alone with its UID, has no RRULE/RDATE/EXDATE/RECURRENCE-ID and no
  component inside it (no VALARM);
* every line is an upper-case property of `_ALLOWED` or an X- property (text nobody
  reads; not X-WR-…), each but ATTENDEE at most once; parameters only on DTSTART/DTEND
  (``VALUE=DATE`` or a ``TZID`` that zoneinfo knows, so icalendar's zoneinfo provider
  gives the same zone) and on ORGANIZER/ATTENDEE, each ``NAME=value`` without quotes,
  commas, carets or a repeated name;
* no backslash (no escapes to undo), no control character;
* DTSTART with DTEND (both dates or both date-times, both floating or both aware, not
  ending before it: no repair to apply) or with a plain positive DURATION; a UID without
  surrounding spaces; SEQUENCE and PRIORITY numbers; DTSTAMP/CREATED/LAST-MODIFIED plain
  UTC times;
* with X-WR-TIMEZONE (x-wr-timezone moves floating times into that zone), no floating
  time.

tests/test_ics_single.py checks that the rows and warnings equal icalendar's reading on
every corpus file, on tests/data/ics, and on generated VEVENTs built to sit on each of
these edges.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from connectors import ics_parse
from connectors.ics_parse import _Entry, _Fields, _Group, _Skipped, _utc_us
from connectors.ics_split import Split, Vevent

_ALLOWED = frozenset({
    "UID", "DTSTAMP", "DTSTART", "DTEND", "DURATION", "SUMMARY", "DESCRIPTION", "LOCATION",
    "STATUS", "TRANSP", "ORGANIZER", "ATTENDEE", "CATEGORIES", "CREATED", "LAST-MODIFIED",
    "SEQUENCE", "PRIORITY", "CLASS", "URL", "CONTACT",
})
# Other X- properties are text to icalendar and read by nobody; X-WR-… are the calendar's.
_OTHER_X = re.compile(r"X-(?!WR-)[A-Z0-9-]+")
_WITH_PARAMETERS = frozenset({"DTSTART", "DTEND", "ORGANIZER", "ATTENDEE"})
# A parameter value without quotes, commas (lists) or carets (RFC 6868 escapes).
_LINE = re.compile(r"([A-Z][A-Z0-9-]*)((?:;[A-Z][A-Z0-9-]*=[^;:\",^]+)*):(.*)")
_PARAMETER = re.compile(r";([A-Z][A-Z0-9-]*)=([^;:\",^]+)")
_NUMBER = re.compile(r"[0-9]+")
_DURATION = re.compile(r"P(?:([0-9]+)W|(?:([0-9]+)D)?(?:T(?=[0-9])(?:([0-9]+)H)?(?:([0-9]+)M)?"
                       r"(?:([0-9]+)S)?)?)")
_UNSAFE = re.compile(r"[\\\x00-\x08\x0b-\x1f\x7f]")
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DATE_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)")
_UTC_TIME = re.compile(r"\d{8}T\d{6}Z")

# Tests turn this off to compare with icalendar's reading.
ENABLED = True


@dataclass(frozen=True, slots=True)
class _TextEvent:
    """A one-off VEVENT read from its text, shaped like the recurrence library's
    `EventAdapter` where `connectors.ics` reads one (``start``, ``end``, ``uid``)."""

    start: date
    end: date
    uid: str
    fields: _Fields

    @property
    def _component(self) -> _TextEvent:  # statics are remembered per component
        return self


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def text_allowed() -> bool:
    """Whether one-off events may be read from their text at all (tests turn it off)."""
    return ENABLED and ics_parse._DIRECT_SINGLES


def floating_allowed(split: Split) -> bool:
    """Whether floating times read as they are: not with X-WR-TIMEZONE, which x-wr-timezone
    turns into times of that zone (its UTC times keep their instant)."""
    return not any(line.upper().startswith("X-WR-TIMEZONE") for line in split.head)


def read_simple(event: Vevent, zone: tzinfo, *,  # noqa: PLR0911 - one check each
                floating: bool = True) -> _Group | None:
    """The group of one plainly simple one-off VEVENT, or None to parse it as before."""
    if event.repeats or _UNSAFE.search(event.text):
        return None
    lines = event.text.split("\n")
    if lines[0] != "BEGIN:VEVENT" or lines[-2:] != ["END:VEVENT", ""]:
        return None
    values: dict[str, tuple[str, dict[str, str]]] = {}
    attendees: list[tuple[object, str, str]] = []
    for line in lines[1:-2]:
        match = _LINE.fullmatch(line)
        if match is None:
            return None
        name, raw_parameters, value = match.groups()
        if (name not in _ALLOWED and _OTHER_X.fullmatch(name) is None) \
                or (raw_parameters and name not in _WITH_PARAMETERS):
            return None
        parameters: dict[str, str] = {}
        for key, item in _PARAMETER.findall(raw_parameters):
            if key in parameters:
                return None
            parameters[key] = item
        if name == "ATTENDEE":
            attendees.append((value, parameters.get("PARTSTAT", ""),
                              parameters.get("CUTYPE", "")))
            continue
        if name in values:
            return None
        values[name] = (value, parameters)
    return _group(event, values, attendees, zone, floating)


def _group(event: Vevent, values: dict[str, tuple[str, dict[str, str]]],  # noqa: PLR0911
           attendees: list[tuple[object, str, str]], zone: tzinfo,
           floating: bool) -> _Group | None:
    uid = values.get("UID", ("", {}))[0]
    if not uid or uid != uid.strip() or "DTSTART" not in values \
            or ("DTEND" in values) == ("DURATION" in values):
        return None
    if any(name in values and _NUMBER.fullmatch(values[name][0]) is None
           for name in ("SEQUENCE", "PRIORITY")):
        return None
    for name in ("DTSTAMP", "CREATED", "LAST-MODIFIED"):
        if name in values and (_UTC_TIME.fullmatch(values[name][0]) is None
                               or _when(values[name][0], {}) is None):
            return None
    start = _when(*values["DTSTART"])
    end = _when(*values["DTEND"]) if "DTEND" in values else _end(start, values["DURATION"][0])
    if start is None or end is None or not _comparable(start, end) or end < start \
            or (not floating and isinstance(start, datetime) and start.tzinfo is None):
        return None
    try:
        if _utc_us(end, zone) < _utc_us(start, zone):  # the repair of DTEND before DTSTART
            return None
    except OverflowError:
        return None
    text = {name: values[name][0] if name in values else None
            for name in ("SUMMARY", "DESCRIPTION", "LOCATION", "STATUS", "TRANSP",
                         "X-MICROSOFT-CDO-BUSYSTATUS")}
    categories = values["CATEGORIES"][0].split(",") if "CATEGORIES" in values else []
    fields = _Fields(
        summary=text["SUMMARY"], description=text["DESCRIPTION"], location=text["LOCATION"],
        status=text["STATUS"], transp=text["TRANSP"],
        busy_status=text["X-MICROSOFT-CDO-BUSYSTATUS"], color=None,
        organizer=values["ORGANIZER"][0] if "ORGANIZER" in values else None,
        attendees=attendees, categories=categories,
        created=_when(values["CREATED"][0], {}) if "CREATED" in values else None)
    single = _TextEvent(start, end, uid, fields)
    return _Group([_Entry(None, single, False, 1)], _Skipped(), len(event.text))


def _when(value: str, parameters: dict[str, str]) -> date | None:  # noqa: PLR0911
    """A DATE or DATE-TIME value as icalendar (zoneinfo provider) gives it, or None when
    it is not one of the plain forms."""
    kind = parameters.get("VALUE")
    tzid = parameters.get("TZID")
    if set(parameters) - {"VALUE", "TZID"} or kind not in (None, "DATE") \
            or (kind and tzid):
        return None
    try:
        if (match := _DATE.fullmatch(value)) is not None:
            return None if tzid else date(*map(int, match.groups()))
        match = _DATE_TIME.fullmatch(value)
        if match is None or kind:
            return None
        *digits, utc = match.groups()
        when = datetime(*map(int, digits))  # noqa: DTZ001 - floating until placed
        if tzid is not None:
            if utc or tzid not in _known_zones():
                return None
            return when.replace(tzinfo=zoneinfo.ZoneInfo(tzid))
        return when.replace(tzinfo=UTC) if utc else when
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        return None


def _end(start: date | None, value: str) -> date | None:
    """DTSTART + DURATION as recurring-ical-events' `EventAdapter` computes it, for a plain
    positive DURATION (a DATE start only with whole days)."""
    match = _DURATION.fullmatch(value)
    if start is None or match is None or not any(match.groups()):
        return None
    weeks, days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    length = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    if not isinstance(start, datetime) and length.seconds:
        return None
    try:
        return start + length
    except OverflowError:
        return None


def _comparable(start: date, end: date) -> bool:
    """Both dates, or both date-times, both floating or both aware."""
    if isinstance(start, datetime) != isinstance(end, datetime):
        return False
    return not isinstance(start, datetime) or \
        (start.tzinfo is None) == (end.tzinfo is None)  # type: ignore[union-attr]
