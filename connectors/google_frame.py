"""Google Calendar `events.list` items → the normalized event frame (SPEC §3): pure, offline.

The items are those of `events.list` with ``singleEvents=true`` (one item per
occurrence), as stored raw by the sync (`connectors.google_store`), so a fix here needs
no re-sync. Field meanings follow the Event resource,
https://developers.google.com/calendar/api/v3/reference/events.

Times::

    start.dateTime "2026-03-29T10:00:00+02:00"   → 08:00Z (the offset Google gives)
    start.date "2026-03-29", end.date "2026-03-30" (exclusive)
                                                 → local midnight .. local midnight in the
                                                   audit zone: 22:00Z .. 22:00Z, 23 h on
                                                   Berlin's spring-forward day

Identity matches the ICS connector (docs/ingest.md "Identity"): a single event is its
``id``; an instance of a recurring event is ``recurringEventId@<original start>``, the
original start in UTC (``2026-03-29T08:00:00Z``) or, for all-day instances, its date.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from connectors.synced_frame import rows_to_events
from core import schema as s
from core.errors import CalendarWarning
from core.period import local_midnight, resolve_zone

# Event.eventType: default, birthday and fromGmail are ordinary events.
KIND_BY_EVENT_TYPE = {
    "focusTime": "focus",
    "outOfOffice": "out_of_office",
    "workingLocation": "working_location",
}
# Event.attendees[].responseStatus → SPEC §3 response.
RESPONSE_BY_STATUS = {
    "accepted": "accepted",
    "tentative": "tentative",
    "declined": "declined",
    "needsAction": "needs_action",
}
STATUSES = frozenset({"confirmed", "tentative", "cancelled"})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


class _Malformed(ValueError):
    """One item that cannot be placed in time; counted, not raised."""


# Fields of an Event resource this connector reads, by the JSON type Google documents.
_TEXT_FIELDS = ("id", "status", "summary", "description", "location", "recurringEventId",
                "created", "transparency", "eventType", "colorId")
_TIME_FIELDS = ("start", "end", "originalStartTime")
_TIME_PARTS = ("date", "dateTime", "timeZone")
_ATTENDEE_TEXT = ("email", "responseStatus")


def item_problem(item: object) -> str | None:  # noqa: PLR0911 - a checklist
    """Why ``item`` is not an Event resource this connector can read (None: it is).

    Checked where items cross the border (the sync, before anything is stored) and again
    when stored items are read, so an item of the wrong shape is skipped and counted,
    never stored, and never breaks a report.
    """
    if not isinstance(item, Mapping):
        return "not an object"
    for name in _TEXT_FIELDS:
        if item.get(name) is not None and not isinstance(item[name], str):
            return f"{name} is not text"
    for name in _TIME_FIELDS:
        when = item.get(name)
        if when is None:
            continue
        if not isinstance(when, Mapping):
            return f"{name} is not an object"
        if any(when.get(part) is not None and not isinstance(when[part], str)
               for part in _TIME_PARTS):
            return f"{name} holds a date or time that is not text"
    organizer = item.get("organizer")
    if organizer is not None and (not isinstance(organizer, Mapping) or not isinstance(
            organizer.get("email") or "", str)):
        return "organizer is not an object with an e-mail address"
    attendees = item.get("attendees")
    if attendees is not None and (not isinstance(attendees, list) or not all(
            isinstance(a, Mapping) and all(isinstance(a.get(f) or "", str) for f in
                                           _ATTENDEE_TEXT) for a in attendees)):
        return "attendees are not a list of people"
    return None


def skipped_warning(where: str, skipped: Counter[str], *, stacklevel: int) -> None:
    """One `CalendarWarning` counting the items skipped, by reason."""
    if not skipped:
        return
    total = sum(skipped.values())
    detail = ", ".join(f"{why}: {n}" for why, n in sorted(skipped.items()))
    noun = "event" if total == 1 else "events"
    warnings.warn(f"{where}: skipped {total} malformed {noun} ({detail})",
                  CalendarWarning, stacklevel=stacklevel + 1)


def parse_when(when: Mapping[str, Any] | None, zone: tzinfo) -> tuple[datetime, bool] | None:
    """A Google ``start``/``end``/``originalStartTime`` → (UTC instant, all_day), or None.

    ``date`` is local midnight in ``zone``; ``dateTime`` carries its offset (Google always
    sends one; without it the event's ``timeZone``, else ``zone``, places it).
    """
    if not when:
        return None
    try:
        if when.get("dateTime"):
            moment = datetime.fromisoformat(when["dateTime"])
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=_named_zone(when.get("timeZone"), zone))
            return moment.astimezone(UTC), False
        if when.get("date"):
            return local_midnight(date.fromisoformat(when["date"]), zone), True
    except (TypeError, ValueError, OverflowError) as error:
        raise _Malformed("invalid date or time") from error
    return None


def _named_zone(name: object, fallback: tzinfo) -> tzinfo:
    if isinstance(name, str) and name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            return fallback
    return fallback


def _original_start(item: Mapping[str, Any], zone: tzinfo) -> str:
    """The instance's original start: UTC ISO for timed instances, the date for all-day."""
    original = item.get("originalStartTime") or item.get("start") or {}
    if original.get("date") and not original.get("dateTime"):
        return str(original["date"])
    parsed = parse_when(original, zone)
    if parsed is None:
        raise _Malformed("no originalStartTime")
    return s.utc_stamp(parsed[0])


def slot(item: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Where an item sits: its start, or for a cancelled instance that comes as id and
    ``originalStartTime`` only, its original slot."""
    if item.get("start"):
        return item["start"]
    if item.get("status") == "cancelled":
        return item.get("originalStartTime") or None
    return None


def _people(item: Mapping[str, Any]) -> tuple[str, int, list[str]]:
    """(response, attendees, attendee_domains) from the attendee list.

    The owner is the attendee with ``self: true``. Rooms and other resources
    (``resource: true``) are not people, nor are people who declined — the same choice as
    the ICS connector (docs/ingest.md "People").
    """
    response = "none"
    organizer_self = bool((item.get("organizer") or {}).get("self"))
    people: dict[str, None] = {}
    for attendee in item.get("attendees") or ():
        if attendee.get("self"):
            response = RESPONSE_BY_STATUS.get(attendee.get("responseStatus"), "needs_action")
            organizer_self = organizer_self or bool(attendee.get("organizer"))
            continue
        if attendee.get("resource") or attendee.get("responseStatus") == "declined":
            continue
        email = str(attendee.get("email") or "").strip().lower()
        people[email or f"unnamed-{len(people)}"] = None
    if organizer_self:
        response = "organizer"  # SPEC §3: organizing wins over the owner's attendee status
    count = len(people)
    if item.get("attendeesOmitted") and count == 0:
        # Google hid the guest list (guestsCanSeeOtherGuests=false): there is at least
        # one other person, the one who invited the owner.
        count = 1
    domains = sorted({p.rpartition("@")[2] for p in people if "@" in p})
    return response, count, domains


def _row(item: Mapping[str, Any], zone: tzinfo) -> dict[str, Any]:
    begin = parse_when(slot(item), zone)
    if begin is None:
        raise _Malformed("no start")
    start, all_day = begin
    finish = parse_when(item.get("end"), zone)
    if finish is None:
        end = start + timedelta(days=1) if all_day else start
    else:
        end = finish[0]
        if all_day and end <= start:
            end = local_midnight((start.astimezone(zone) + timedelta(days=1)).date(), zone)
    end = max(end, start)

    google_id = str(item.get("id") or "")
    series = item.get("recurringEventId")
    if series:
        event_id = f"{series}@{_original_start(item, zone)}"
    elif google_id:
        event_id = google_id
    else:
        raise _Malformed("no id")

    created = None
    if item.get("created"):
        try:
            created = datetime.fromisoformat(item["created"]).astimezone(UTC)
        except (TypeError, ValueError, OverflowError):
            created = None

    response, attendees, domains = _people(item)
    status = item.get("status") if item.get("status") in STATUSES else "confirmed"
    organizer = str((item.get("organizer") or {}).get("email") or "").strip().lower() or None
    return {
        s.EVENT_ID: event_id,
        s.SERIES_ID: str(series) if series else None,
        s.TITLE: item.get("summary") or "",
        s.DESCRIPTION: item.get("description"),
        s.LOCATION: item.get("location") or None,
        s.START: (start - _EPOCH) // _US,
        s.END: (end - _EPOCH) // _US,
        s.ALL_DAY: all_day,
        s.STATUS: status,
        s.RESPONSE: response,
        s.BUSY: item.get("transparency") != "transparent",
        s.KIND: KIND_BY_EVENT_TYPE.get(item.get("eventType") or "default", "event"),
        s.ATTENDEES: attendees,
        s.ORGANIZER: organizer,
        s.ATTENDEE_DOMAINS: domains,
        s.CATEGORIES: [],
        s.COLOR: item.get("colorId"),
        s.CREATED: None if created is None else (created - _EPOCH) // _US,
    }


def events_to_frame(items: Iterable[Mapping[str, Any]], *, calendar_id: str,
                    calendar_name: str, tz: str | tzinfo) -> pl.DataFrame:
    """The frame of SPEC §3 from the ``items`` of `events.list` (``singleEvents=true``).

    ``calendar_id`` gives ``source = google:<calendar id>``; ``calendar_name`` (the
    calendar's summary) the ``calendar`` column; ``tz`` is the audit zone, which places
    all-day dates. Every item becomes a row, cancelled instances included (they count no
    time, SPEC §6); an item that is only a deletion notice (no start) is left out, any
    other item without a usable start is skipped with one counted `CalendarWarning`. A
    cancelled instance that comes without a start sits at its ``originalStartTime``.
    """
    zone = resolve_zone(tz) if isinstance(tz, str) else tz
    source = f"google:{calendar_id}"
    rows: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    for item in items:
        shape = item_problem(item)
        if shape is not None:  # stored by an older timeaudit, or damaged on disk
            skipped[shape] += 1
            continue
        try:
            rows.append(_row(item, zone))
        except OverflowError:  # a date at the very end (or start) of the calendar
            skipped["invalid date or time"] += 1
        except _Malformed as problem:
            if item.get("status") == "cancelled" and not slot(item):
                continue  # a deletion notice: there is nothing to show
            skipped[str(problem)] += 1
    skipped_warning(source, skipped, stacklevel=2)
    return rows_to_events(rows, source=source, calendar=calendar_name)
