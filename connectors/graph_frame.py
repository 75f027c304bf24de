"""Microsoft Graph event JSON → the normalized event frame (SPEC §3): pure, offline.

The items are those of ``/me/calendars/{id}/calendarView/delta`` (one item per
occurrence: single instances, occurrences and exceptions of series), as stored raw by
the sync (`connectors.graph_store`), so a fix here needs no re-sync. Field meanings follow
the event resource, https://learn.microsoft.com/graph/api/resources/event.

Times::

    start {"dateTime": "2026-11-02T09:00:00.0000000", "timeZone": "UTC"}
                                   → 09:00Z (the sync asks for UTC: Prefer outlook.timezone)
    start {"dateTime": "2026-11-12T09:00:00.0000000",
           "timeZone": "Pacific Standard Time"}
                                   → 17:00Z (Windows zone names through icalendar's CLDR
                                     table; IANA names as they are)
    isAllDay, start 2026-11-12T00:00, end 2026-11-13T00:00
                                   → local midnight .. local midnight of those dates in the
                                     audit zone (Outlook's all-day events float)

Identity matches the other connectors (docs/ingest.md "Identity"): a single event is its
``id``; an occurrence or exception of a series is ``seriesMasterId@<original start>``,
the original start in UTC (``2026-11-16T09:00:00Z``) or, for all-day instances, its date.

Who is who: the owner's participation is ``responseStatus.response`` (``isOrganizer`` wins,
as SPEC §3 says); ``attendees`` counts people other than the owner (``owner_emails``):
rooms and equipment (``type: resource``) are not people, nor are people who declined —
the same choice as the ICS and Google connectors. An appointment (no attendees) has no
attendee data: response ``none`` and no organizer, as in Outlook's own ICS export.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from connectors.synced_frame import rows_to_events
from core import schema as s
from core.errors import CalendarWarning, UsageError
from core.period import local_midnight

# event.responseStatus.response → SPEC §3 response
RESPONSE_BY_GRAPH = {
    "organizer": "organizer",
    "accepted": "accepted",
    "tentativelyAccepted": "tentative",
    "declined": "declined",
    "notResponded": "needs_action",
    "none": "none",
}
# event.showAs → (busy, kind); tentative also makes the status tentative (see _row)
SHOW_AS = {
    "free": (False, "event"),
    "tentative": (True, "event"),
    "busy": (True, "event"),
    "oof": (True, "out_of_office"),
    "workingElsewhere": (False, "working_location"),
    "unknown": (True, "event"),
}
SERIES_TYPES = frozenset({"occurrence", "exception"})

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)


class _Malformed(ValueError):
    """One item that cannot be placed in time; counted, not raised."""


def zone_named(name: object) -> tzinfo | None:
    """The zone a Graph ``timeZone`` names: UTC, an IANA name or a Windows name; else None."""
    if not isinstance(name, str) or not name.strip():
        return None
    name = name.strip()
    if name.upper() in {"UTC", "ETC/UTC", "Z", "GMT"}:
        return UTC
    # icalendar's table, imported here: the stores import this module for every dashboard
    # page, which reads no Microsoft calendar (issue 16)
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON  # noqa: PLC0415

    iana = WINDOWS_TO_OLSON.get(name, name)
    try:
        return ZoneInfo(iana)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
        return None


def _wall(text: str) -> datetime:
    """Graph's ``dateTime`` (seven fractional digits, no offset) as a naive datetime."""
    head, dot, fraction = text.strip().partition(".")
    moment = datetime.fromisoformat(head)
    if dot:
        digits = "".join(ch for ch in fraction if ch.isdigit())[:6].ljust(6, "0")
        moment = moment.replace(microsecond=int(digits))
    return moment


def parse_when(when: Mapping[str, Any] | None, zone: tzinfo, *, all_day: bool,
               unknown: Counter[str] | None = None) -> datetime | None:
    """A Graph ``start``/``end`` (dateTimeTimeZone) → a UTC instant, or None when absent.

    All-day: local midnight of the date in ``zone`` (the audit zone). Otherwise the wall
    time in ``timeZone``; a zone Graph names but nobody knows (a custom Exchange zone) is
    read in the audit zone and counted in ``unknown``.
    """
    if not when or not when.get("dateTime"):
        return None
    try:
        wall = _wall(str(when["dateTime"]))
    except (TypeError, ValueError) as error:
        raise _Malformed("invalid date or time") from error
    if all_day:
        return local_midnight(wall.date(), zone)
    if wall.tzinfo is not None:
        return wall.astimezone(UTC)
    named = zone_named(when.get("timeZone"))
    if named is None:
        if unknown is not None:
            unknown[str(when.get("timeZone") or "none")] += 1
        named = zone
    return wall.replace(tzinfo=named).astimezone(UTC)


def _instant(text: object) -> datetime | None:
    """``createdDateTime`` / ``originalStart`` (``…T08:00:00.1234567Z``) → a UTC instant."""
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    offset = ""
    for marker in ("Z", "+", "-"):
        cut = text.rfind(marker)
        if cut > 10:  # past the date's own hyphens
            text, offset = text[:cut], text[cut:]
            break
    try:
        moment = _wall(text)
        if offset and offset != "Z":
            moment = datetime.fromisoformat(moment.isoformat() + offset)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _original_start(item: Mapping[str, Any], start: datetime, all_day: bool,
                    zone: tzinfo) -> str:
    """The instance's original start: UTC ISO for timed instances, the date for all-day."""
    original = _instant(item.get("originalStart")) or start
    if all_day:
        origin_zone = zone_named(item.get("originalStartTimeZone")) or zone
        return original.astimezone(origin_zone).date().isoformat()
    return s.utc_stamp(original)


def _address(who: object) -> str:
    if not isinstance(who, Mapping):
        return ""
    email = who.get("emailAddress") or {}
    return str(email.get("address") or "").strip().lower() if isinstance(email, Mapping) else ""


def _people(item: Mapping[str, Any], owners: frozenset[str]
            ) -> tuple[str, int, list[str], str | None]:
    """(response, attendees, attendee_domains, organizer) of one item."""
    attendees = [a for a in item.get("attendees") or () if isinstance(a, Mapping)]
    organizer = _address(item.get("organizer")) or None
    if not attendees:  # an appointment: nobody was invited, there is no attendee data
        if item.get("isOrganizer") is False and organizer and organizer not in owners:
            # someone else's event in a calendar shared with the owner
            return "none", 0, [], organizer
        return "none", 0, [], None
    status = (item.get("responseStatus") or {}).get("response")
    response = "organizer" if item.get("isOrganizer") else RESPONSE_BY_GRAPH.get(status, "none")
    people: dict[str, None] = {}
    for attendee in attendees:
        email = _address(attendee)
        if email and email in owners:
            continue
        if attendee.get("type") == "resource":
            continue
        if (attendee.get("status") or {}).get("response") == "declined":
            continue
        people[email or f"unnamed-{len(people)}"] = None
    domains = sorted({p.rpartition("@")[2] for p in people if "@" in p})
    return response, len(people), domains, organizer


def _row(item: Mapping[str, Any], zone: tzinfo, owners: frozenset[str],
         unknown: Counter[str]) -> dict[str, Any]:
    all_day = bool(item.get("isAllDay"))
    start = parse_when(item.get("start"), zone, all_day=all_day, unknown=unknown)
    if start is None:
        raise _Malformed("no start")
    end = parse_when(item.get("end"), zone, all_day=all_day, unknown=unknown)
    if end is None:
        end = local_midnight(start.astimezone(zone).date() + timedelta(days=1), zone) \
            if all_day else start
    if all_day and end <= start:
        end = local_midnight(start.astimezone(zone).date() + timedelta(days=1), zone)
    end = max(end, start)

    graph_id = str(item.get("id") or "")
    series = item.get("seriesMasterId") if item.get("type") in SERIES_TYPES else None
    if series:
        event_id = f"{series}@{_original_start(item, start, all_day, zone)}"
    elif graph_id:
        event_id = graph_id
    else:
        raise _Malformed("no id")

    created = _instant(item.get("createdDateTime"))
    response, attendees, domains, organizer = _people(item, owners)
    show_as = str(item.get("showAs") or "busy")
    busy, kind = SHOW_AS.get(show_as, (True, "event"))
    if item.get("isCancelled"):
        status = "cancelled"
    elif show_as == "tentative":
        status = "tentative"  # Outlook's "show as: tentative", like X-MICROSOFT-CDO-BUSYSTATUS
    else:
        status = "confirmed"
    location = item.get("location") or {}
    place = str(location.get("displayName") or "").strip() if isinstance(location, Mapping) \
        else ""
    categories = [str(c) for c in item.get("categories") or () if str(c).strip()]
    return {
        s.EVENT_ID: event_id,
        s.SERIES_ID: str(series) if series else None,
        s.TITLE: str(item.get("subject") or ""),
        s.DESCRIPTION: item.get("bodyPreview") or None,
        s.LOCATION: place or None,
        s.START: (start - _EPOCH) // _US,
        s.END: (end - _EPOCH) // _US,
        s.ALL_DAY: all_day,
        s.STATUS: status,
        s.RESPONSE: response,
        s.BUSY: busy,
        s.KIND: kind,
        s.ATTENDEES: attendees,
        s.ORGANIZER: organizer,
        s.ATTENDEE_DOMAINS: domains,
        s.CATEGORIES: categories,
        s.COLOR: None,
        s.CREATED: None if created is None else (created - _EPOCH) // _US,
    }


def _with_series_fields(items: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Occurrences filled in from their series master where Graph left fields out.

    calendarView/delta may send an occurrence with little more than its id, type, times
    and ``seriesMasterId``, and the master (``type: seriesMaster``) with the rest; the
    master itself is not an occurrence and gives no row.
    """
    items = [i for i in items if isinstance(i, Mapping)]
    masters = {str(i.get("id")): i for i in items if i.get("type") == "seriesMaster"}
    filled: list[Mapping[str, Any]] = []
    for item in items:
        if item.get("type") == "seriesMaster" or "@removed" in item:
            continue
        master = masters.get(str(item.get("seriesMasterId"))) if masters else None
        if master is None:
            filled.append(item)
            continue
        inherited = {k: v for k, v in master.items() if k not in {"id", "type", "recurrence"}}
        filled.append({**inherited, **item})
    return filled


def graph_events_to_frame(items: Iterable[Mapping[str, Any]], *, calendar_id: str,
                          calendar_name: str, tz: str | tzinfo,
                          owner_emails: Iterable[str] = ()) -> pl.DataFrame:
    """The frame of SPEC §3 from Graph event items (calendarView: one per occurrence).

    ``calendar_id`` gives ``source = microsoft:<calendar id>``; ``calendar_name`` the
    ``calendar`` column; ``tz`` is the audit zone (all-day dates, unknown zones);
    ``owner_emails``: the owner's addresses (the signed-in account and the configured
    ones), left out of the attendee count. Cancelled items become rows with status
    ``cancelled`` (they count no time, SPEC §6); deletion notices (``@removed``) and series
    masters give no row; an item without a usable start is skipped with one counted
    `CalendarWarning`, and so are times in a zone nobody knows (read in the audit zone).
    """
    if isinstance(tz, str):
        try:
            zone: tzinfo = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, IsADirectoryError):
            raise UsageError(f"unknown time zone {tz!r}: use an IANA name such as "
                             "Europe/Berlin") from None
    else:
        zone = tz
    owners = frozenset(e.strip().lower() for e in owner_emails if e and e.strip())
    source = f"microsoft:{calendar_id}"
    rows: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    for item in _with_series_fields(items):
        try:
            rows.append(_row(item, zone, owners, unknown))
        except _Malformed as problem:
            skipped[str(problem)] += 1
    if skipped:
        total = sum(skipped.values())
        detail = ", ".join(f"{why}: {n}" for why, n in sorted(skipped.items()))
        noun = "event" if total == 1 else "events"
        warnings.warn(f"{source}: skipped {total} malformed {noun} ({detail})",
                      CalendarWarning, stacklevel=2)
    if unknown:
        total = sum(unknown.values())
        names = ", ".join(sorted(unknown))
        warnings.warn(f"{source}: {total} times in an unknown time zone ({names}) were read "
                      "in the audit time zone", CalendarWarning, stacklevel=2)
    return rows_to_events(rows, source=source, calendar=calendar_name)
