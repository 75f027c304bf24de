"""ICS files and bytes → the normalized event frame (SPEC §3).

Parsing is `icalendar`; expansion of RRULE/RDATE/EXDATE/RECURRENCE-ID (including
RANGE=THISANDFUTURE) is `recurring-ical-events`; X-WR-TIMEZONE feeds are normalised by
`x-wr-timezone`. What this module adds:

* it never copies an occurrence into a full component (STACK.md: that copy is ≈ 78 % of
  the libraries' expansion time); it reads each VEVENT's static fields once and pairs
  them with every occurrence's start and end;
* columns are built as epoch-microsecond integers and Arrow arrays, then cast;
* a malformed VEVENT is skipped and counted, a malformed file raises `InvalidCalendar`;
* an unbounded or absurd RRULE is bounded by a per-series cap and reported;
* results are cached as Parquet (see `connectors.cache`).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from pathlib import Path

import icalendar
import polars as pl
import pyarrow as pa
import recurring_ical_events
import x_wr_timezone
from icalendar.prop import vRecur

from audit import schema as s
from audit.errors import CalendarWarning, InvalidCalendar
from audit.period import local_midnight, resolve_zone
from connectors import cache
from connectors.text import decode_calendar_bytes

# A series may produce at most this many occurrences (from its first one on): enough for
# a daily meeting over 270 years or an hourly one over 11, and bounded for FREQ=SECONDLY.
MAX_OCCURRENCES_PER_SERIES = 100_000
# Floating and all-day times are only known once placed in the audit zone, so the
# libraries are asked for a window wider by the largest UTC offset, then cut exactly.
_WINDOW_SLACK = timedelta(hours=27)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Caps are decided against a fixed horizon, not the window, so one parsed calendar serves
# every window (a rule expanded to 2100 would iterate at most the cap).
CAP_HORIZON = datetime(2100, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_TIME_PROPERTIES = frozenset(
    {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}
)
_SECONDS_PER = {
    "SECONDLY": 1, "MINUTELY": 60, "HOURLY": 3600, "DAILY": 86_400,
    "WEEKLY": 7 * 86_400, "MONTHLY": 28 * 86_400, "YEARLY": 365 * 86_400,
}
_PARTSTAT = {
    "ACCEPTED": "accepted", "TENTATIVE": "tentative", "DECLINED": "declined",
    "NEEDS-ACTION": "needs_action", "DELEGATED": "declined",
    # RFC 5545 §3.2.12: a missing PARTSTAT means NEEDS-ACTION.
    "": "needs_action",
}
_NOT_PEOPLE = frozenset({"RESOURCE", "ROOM"})


@dataclass
class _Skipped:
    """Counts what one file lost, for a single summary warning."""

    reasons: Counter = field(default_factory=Counter)
    capped_series: int = 0
    unknown_zones: set[str] = field(default_factory=set)

    def warn(self, source: str) -> list[str]:
        messages = []
        if self.reasons:
            total = sum(self.reasons.values())
            detail = ", ".join(f"{why}: {n}" for why, n in sorted(self.reasons.items()))
            noun = "event" if total == 1 else "events"
            messages.append(f"{source}: skipped {total} malformed {noun} ({detail})")
        if self.capped_series:
            messages.append(
                f"{source}: {self.capped_series} recurring series "
                f"{'repeats' if self.capped_series == 1 else 'repeat'} too often; expanded "
                f"to the first {MAX_OCCURRENCES_PER_SERIES:,} occurrences only"
            )
        if self.unknown_zones:
            zones = ", ".join(sorted(self.unknown_zones))
            messages.append(
                f"{source}: unknown time zone {zones} (no VTIMEZONE); its times were read "
                "in the audit time zone"
            )
        for message in messages:
            warnings.warn(message, CalendarWarning, stacklevel=3)
        return messages


# --------------------------------------------------------------------------- parsing


def parse_calendar(text: str, source: str) -> icalendar.Calendar:
    """Parse iCalendar text, or raise `InvalidCalendar` naming the file (and line)."""
    if not text.strip():
        raise InvalidCalendar("the file is empty", source=source)
    # icalendar caches custom VTIMEZONEs process-wide by TZID and the first definition
    # wins: two files that both define "Customized Time Zone" differently would share
    # one. Each file starts with an empty cache (this resets only that cache).
    icalendar.use_zoneinfo()
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except (ValueError, IndexError, KeyError, TypeError, AttributeError) as error:
        # icalendar raises ValueError (and InvalidCalendar, its subclass) for bad
        # content lines; the others come from deeper parse steps on damaged input
        # (found by fuzzing: a VTIMEZONE with two TZIDs, END:VTIMEZONE without BEGIN).
        raise InvalidCalendar(_describe(error), source=source,
                              line=_locate(text, str(error))) from None
    found = [c.name for c in calendars]
    calendars = [c for c in calendars if c.name == "VCALENDAR"]
    if not calendars:
        upper = text.upper()
        if "BEGIN:VCALENDAR" in upper and "END:VCALENDAR" not in upper:
            message = "the file ends before END:VCALENDAR (was it cut off?)"
        elif found:
            message = f"{found[0]} outside a VCALENDAR (BEGIN:VCALENDAR is missing)"
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


def _describe(error: Exception) -> str:
    message = " ".join(str(error).split()) or type(error).__name__
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
    for name, _message in getattr(component, "errors", ()):
        if name in _TIME_PROPERTIES:
            return f"invalid {name}"
    if "DTSTART" not in component:
        return "no DTSTART"
    try:
        component["DTSTART"].dt  # noqa: B018 - reading .dt validates the value
        for name in ("DTEND", "DURATION", "RECURRENCE-ID"):
            if name in component:
                component[name].dt  # noqa: B018
        for rule in _as_list(component.get("RRULE")):
            if not isinstance(rule, vRecur):
                return "invalid RRULE"
    except (AttributeError, KeyError, TypeError, ValueError):
        return "invalid date or time"
    return None


def _estimated_occurrences(rule: vRecur, first: datetime | date, window_end: datetime) -> float:
    """An upper estimate of how many instances dateutil iterates to reach the window end."""
    freq = str(_as_list(rule.get("FREQ"))[0]).upper() if rule.get("FREQ") else "DAILY"
    interval = max(int(_as_list(rule.get("INTERVAL", 1))[0] or 1), 1)
    if not isinstance(first, datetime):
        first = datetime(first.year, first.month, first.day, tzinfo=UTC)
    elif first.tzinfo is None:
        first = first.replace(tzinfo=UTC)
    span = max((window_end - first).total_seconds(), 0.0)
    periods = span / (_SECONDS_PER.get(freq, 86_400) * interval) + 1
    per_period = 1
    for part, limit in (("BYSECOND", 60), ("BYMINUTE", 60), ("BYHOUR", 24),
                        ("BYDAY", 7), ("BYMONTHDAY", 31), ("BYYEARDAY", 366)):
        values = _as_list(rule.get(part))
        if values:
            per_period *= min(len(values), limit)
    estimate = periods * per_period
    if rule.get("COUNT"):
        estimate = min(estimate, int(_as_list(rule["COUNT"])[0]))
    return estimate


def _cap_rules(component: icalendar.Component, window_end: datetime) -> bool:
    """Bound an absurd RRULE to its first occurrences; True when a rule was capped.

    dateutil walks a rule from DTSTART, so FREQ=SECONDLY from 1990 would take hours to
    reach today even though the window is a week: the cap has to act before expansion.
    """
    capped = False
    first = component["DTSTART"].dt
    for rule in _as_list(component.get("RRULE")):
        if _estimated_occurrences(rule, first, window_end) > MAX_OCCURRENCES_PER_SERIES:
            rule.pop("UNTIL", None)
            rule["COUNT"] = [MAX_OCCURRENCES_PER_SERIES]
            capped = True
    return capped


@dataclass
class _Parsed:
    """A parsed calendar ready to be asked for any window."""

    source: str
    calendar_name: str
    series: list[tuple[recurring_ical_events.Series, bool, int]]  # (series, recurring, size)
    skipped: _Skipped  # what parsing lost; each read copies it and adds its own

    def fresh_skipped(self) -> _Skipped:
        return _Skipped(self.skipped.reasons.copy(), self.skipped.capped_series,
                        set(self.skipped.unknown_zones))


def _collect_series(calendar: icalendar.Calendar, source: str,
                    window_end: datetime) -> tuple[list, _Skipped]:
    skipped = _Skipped()
    by_uid: dict[str, list[icalendar.Component]] = defaultdict(list)
    for index, component in enumerate(calendar.walk("VEVENT")):
        problem = _check_event(component)
        if problem:
            skipped.reasons[problem] += 1
            continue
        if _cap_rules(component, window_end):
            skipped.capped_series += 1
        uids = _as_list(component.get("UID"))
        uid = str(uids[0]).strip() if uids else ""
        if len(uids) > 1:  # a repeated UID line: the first is the UID
            component["UID"] = uid
        by_uid[uid or _synthetic_uid(source, index, component)].append(component)
    series = []
    for uid, group in by_uid.items():
        components = _without_duplicate_masters(group, skipped)
        adapters = []
        for component in components:
            if "UID" not in component or not str(component["UID"]).strip():
                component["UID"] = uid
            adapters.append(recurring_ical_events.EventAdapter(component))
        try:
            one = recurring_ical_events.Series(adapters)
        except _SERIES_ERRORS:
            skipped.reasons["invalid recurrence"] += len(components)
            continue
        recurring = any(
            "RRULE" in c or "RDATE" in c or "RECURRENCE-ID" in c for c in components
        )
        series.append((one, recurring, len(components)))
    return series, skipped


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
            prop = component.get(name)
            return prop.to_ical().decode() if hasattr(prop, "to_ical") else ""

        return (int(component.get("SEQUENCE", 0) or 0), stamp("DTSTAMP"),
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


_SERIES_ERRORS = (
    recurring_ical_events.BadRuleStringFormat,
    recurring_ical_events.PeriodEndBeforeStart,
    recurring_ical_events.InvalidCalendar,
    icalendar.InvalidCalendar,
    ValueError,
    TypeError,
    KeyError,
    OverflowError,
)


def _prepare(text: str, source: str, calendar_name: str | None, window_end: datetime,
             label: str) -> _Parsed:
    calendar = parse_calendar(text, label)
    try:
        calendar = x_wr_timezone.to_standard(calendar)
    except (ValueError, TypeError, KeyError) as error:
        raise InvalidCalendar(f"bad X-WR-TIMEZONE: {error}", source=label) from None
    name = calendar_name or _text(calendar, "X-WR-CALNAME") or _stem(source)
    series, skipped = _collect_series(calendar, source, window_end)
    return _Parsed(source, name.strip() or _stem(source), series, skipped)


def _stem(source: str) -> str:
    tail = source.split(":", 1)[-1].rstrip("/").rsplit("/", 1)[-1]
    return tail.rsplit(".", 1)[0] if "." in tail else tail


# ------------------------------------------------------------------- the frame


def _occurrence_rows(parsed: _Parsed, skipped: _Skipped, start: datetime, end: datetime,
                     zone: tzinfo, owners: frozenset[str]) -> dict[str, list]:
    """Expand every series over [start, end) into column lists (one entry per occurrence)."""
    cols: dict[str, list] = defaultdict(list)
    statics: dict[int, _Static] = {}
    span_start, span_end = start - _WINDOW_SLACK, end + _WINDOW_SLACK
    for series, recurring, size in parsed.series:
        try:
            occurrences = list(itertools.islice(series.between(span_start, span_end),
                                                MAX_OCCURRENCES_PER_SERIES))
        except _SERIES_ERRORS:
            skipped.reasons["invalid recurrence"] += size
            continue
        for occurrence in occurrences:
            adapter = occurrence._adapter
            component = adapter._component
            static = statics.get(id(component))
            if static is None:
                static = statics[id(component)] = _read_static(component, owners, zone)
                _note_unknown_zone(component, skipped)
            begin, finish = occurrence.start, occurrence.end
            all_day = not isinstance(begin, datetime)
            start_us = _utc_us(begin, zone)
            if all_day:
                # DTEND equal to DTSTART on a DATE (Calendar Labs) is shown as one day.
                end_us = _utc_us(finish if finish > begin else begin + timedelta(days=1), zone)
            else:
                end_us = _utc_us(finish, zone)
            end_us = max(end_us, start_us)
            uid = adapter.uid
            if recurring:
                original = _original_start(occurrence, adapter, zone)
                event_id = f"{uid}@{original}"
            else:
                event_id = uid
            cols["event_id"].append(event_id)
            cols["series_id"].append(uid if recurring else None)
            cols["start"].append(start_us)
            cols["end"].append(end_us)
            cols["all_day"].append(all_day)
            cols["static"].append(static)
    return cols


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
    return original.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _to_frame(cols: dict[str, list], parsed: _Parsed, start: datetime,
              end: datetime) -> pl.DataFrame:
    statics: list[_Static] = cols.get("static", [])
    n = len(statics)
    if n == 0:
        return s.empty_events()

    def column(attr: str) -> list:
        return [getattr(x, attr) for x in statics]

    table = pa.table({
        s.SOURCE: pa.array([parsed.source] * n, pa.string()),
        s.CALENDAR: pa.array([parsed.calendar_name] * n, pa.string()),
        s.EVENT_ID: pa.array(cols["event_id"], pa.string()),
        s.SERIES_ID: pa.array(cols["series_id"], pa.string()),
        s.TITLE: pa.array(column("title"), pa.string()),
        s.DESCRIPTION: pa.array(column("description"), pa.string()),
        s.LOCATION: pa.array(column("location"), pa.string()),
        s.START: pa.array(cols["start"], pa.int64()),
        s.END: pa.array(cols["end"], pa.int64()),
        s.ALL_DAY: pa.array(cols["all_day"], pa.bool_()),
        s.STATUS: pa.array(column("status"), pa.string()),
        s.RESPONSE: pa.array(column("response"), pa.string()),
        s.BUSY: pa.array(column("busy"), pa.bool_()),
        s.KIND: pa.array(column("kind"), pa.string()),
        s.ATTENDEES: pa.array(column("attendees"), pa.int32()),
        s.ORGANIZER: pa.array(column("organizer"), pa.string()),
        s.ATTENDEE_DOMAINS: pa.array(column("domains"), pa.list_(pa.string())),
        s.CATEGORIES: pa.array(column("categories"), pa.list_(pa.string())),
        s.COLOR: pa.array(column("color"), pa.string()),
        s.CREATED: pa.array(column("created"), pa.int64()),
    })
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    lo, hi = (start - _EPOCH) // _US, (end - _EPOCH) // _US
    return (
        frame.with_columns(pl.col(s.START, s.END, s.CREATED).cast(s.UTC_INSTANT))
        # Exactly the occurrences that overlap [start, end); a zero-length one counts
        # when it starts inside.
        .filter(
            (pl.col(s.START) < pl.lit(hi).cast(s.UTC_INSTANT))
            & (
                (pl.col(s.END) > pl.lit(lo).cast(s.UTC_INSTANT))
                | ((pl.col(s.END) == pl.col(s.START))
                   & (pl.col(s.START) >= pl.lit(lo).cast(s.UTC_INSTANT)))
            )
        )
        .unique(subset=[s.EVENT_ID, s.START], keep="first", maintain_order=True)
        .sort(s.START, s.END, s.EVENT_ID)
        .select(s.COLUMNS)
    )


# ------------------------------------------------------------------- public API


def _as_instant(value: datetime | date, zone: tzinfo, name: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware (or a date)")
        return value.astimezone(UTC)
    return local_midnight(value, zone)


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
        label = str(path)  # errors name the file as the person gave it
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

    parsed = parsed_calendar(data, source=source, calendar=calendar, zone=zone,
                             charset=charset, window_end=window_end, progress=progress,
                             label=label)
    skipped = parsed.fresh_skipped()
    cols = _occurrence_rows(parsed, skipped, window_start, window_end, zone, owners)
    frame = s.validate_events(_to_frame(cols, parsed, window_start, window_end))
    if progress and len(data) > 1_000_000:
        progress(f"{source}: {frame.height:,} occurrences")
    messages = skipped.warn(source)
    if use_cache:
        cache.store(key, frame, messages)
    return frame


def read_file_bytes(path: Path, source: str) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InvalidCalendar("no such file", source=source) from None
    except IsADirectoryError:
        raise InvalidCalendar("is a directory, not an .ics file", source=source) from None
    except OSError as error:
        raise InvalidCalendar(f"cannot read the file: {error.strerror}", source=source) from None


# Parsed calendars by content: a person who flips through weeks in one process (the
# dashboard) must not pay the parse again for each window.
_PARSED: dict[tuple, _Parsed] = {}
_PARSED_LIMIT = 4


def parsed_calendar(data: bytes, *, source: str, calendar: str | None, zone: tzinfo,
                    charset: str | None, window_end: datetime,
                    progress: Callable[[str], None] | None = None,
                    label: str | None = None) -> _Parsed:
    horizon = max(window_end, CAP_HORIZON)
    key = (hashlib.sha256(data).hexdigest(), source, calendar, str(zone), charset, horizon)
    parsed = _PARSED.get(key)
    if parsed is not None:
        return parsed
    if progress and len(data) > 1_000_000:
        progress(f"{source}: parsing {len(data) / 1e6:.1f} MB")
    text = decode_calendar_bytes(data, charset)
    parsed = _prepare(text, source, calendar, horizon, label or source)
    if len(_PARSED) >= _PARSED_LIMIT:
        _PARSED.pop(next(iter(_PARSED)))
    _PARSED[key] = parsed
    return parsed


def clear_memory_cache() -> None:
    _PARSED.clear()


__all__ = [
    "MAX_OCCURRENCES_PER_SERIES",
    "CalendarWarning",
    "parse_calendar",
    "read_ics",
]
