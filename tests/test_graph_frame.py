"""`connectors.graph_frame.graph_events_to_frame`: Microsoft Graph event JSON → SPEC §3."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.graph_frame import graph_events_to_frame, zone_named
from core import schema as s
from core.errors import CalendarWarning

DATA = Path(__file__).resolve().parent / "data" / "graph"
ZONE = "Europe/Berlin"
OWNER = ("me@acme.test",)
ME = {"emailAddress": {"name": "Me", "address": "me@acme.test"}}


def person(address: str, response: str = "accepted", kind: str = "required") -> dict:
    return {"type": kind, "status": {"response": response, "time": "2026-11-01T08:00:00Z"},
            "emailAddress": {"name": address.partition("@")[0], "address": address}}


def event(**fields: Any) -> dict[str, Any]:
    """A Graph event as calendarView returns it with Prefer outlook.timezone="UTC"."""
    base: dict[str, Any] = {
        "@odata.etag": 'W/"DwAAABYAAABLqY7Pl8r1RZbf1Vc9zD6kAAAhwK+k"',
        "id": "AAMkAGsingle=", "createdDateTime": "2026-10-01T07:30:00.1234567Z",
        "subject": "Meeting", "bodyPreview": "", "isAllDay": False, "isCancelled": False,
        "isOrganizer": False, "showAs": "busy", "type": "singleInstance",
        "seriesMasterId": None, "categories": [],
        "responseStatus": {"response": "accepted", "time": "2026-11-01T08:00:00Z"},
        "start": {"dateTime": "2026-11-18T09:00:00.0000000", "timeZone": "UTC"},
        "end": {"dateTime": "2026-11-18T10:00:00.0000000", "timeZone": "UTC"},
        "location": {"displayName": ""},
        "organizer": {"emailAddress": {"name": "Boss", "address": "Boss@Acme.test"}},
        "attendees": [person("me@acme.test"), person("boss@acme.test")],
    }
    return {**base, **fields}


def frame(*items: dict[str, Any], tz: str = ZONE) -> Any:
    return graph_events_to_frame(list(items), calendar_id="AAMkcal=", calendar_name="Work",
                                 tz=tz, owner_emails=OWNER)


def one(**fields: Any) -> dict[str, Any]:
    result = frame(event(**fields))
    assert result.height == 1
    return result.row(0, named=True)


@pytest.mark.parametrize(("show_as", "busy", "kind", "status"), [
    ("free", False, "event", "confirmed"),
    ("tentative", True, "event", "tentative"),
    ("busy", True, "event", "confirmed"),
    ("oof", True, "out_of_office", "confirmed"),
    ("workingElsewhere", False, "working_location", "confirmed"),
    ("unknown", True, "event", "confirmed"),
])
def test_show_as_gives_busy_kind_and_status(show_as: str, busy: bool, kind: str,
                                            status: str) -> None:
    row = one(showAs=show_as)
    assert (row[s.BUSY], row[s.KIND], row[s.STATUS]) == (busy, kind, status)


@pytest.mark.parametrize(("graph", "response"), [
    ("organizer", "organizer"), ("accepted", "accepted"),
    ("tentativelyAccepted", "tentative"), ("declined", "declined"),
    ("notResponded", "needs_action"), ("none", "none"),
])
def test_response_status_gives_the_owners_response(graph: str, response: str) -> None:
    assert one(responseStatus={"response": graph, "time": "0001-01-01T00:00:00Z"})[
        s.RESPONSE] == response


def test_is_organizer_wins_over_the_response() -> None:
    row = one(isOrganizer=True, organizer=ME, responseStatus={"response": "accepted"})
    assert (row[s.RESPONSE], row[s.ORGANIZER]) == ("organizer", "me@acme.test")


def test_people_rooms_owner_and_decliners_are_not_counted() -> None:
    row = one(attendees=[
        person("ME@acme.test", "accepted"),  # the owner, whatever the case
        person("boss@acme.test"), person("Ana@Partner.test", "notResponded", "optional"),
        person("room.4b@acme.test", "accepted", "resource"),
        person("gone@other.test", "declined"),
        {"type": "required", "status": {"response": "none"}, "emailAddress": {"name": "X"}},
    ])
    assert row[s.ATTENDEES] == 3
    assert row[s.ATTENDEE_DOMAINS] == ["acme.test", "partner.test"]
    assert row[s.ORGANIZER] == "boss@acme.test"


def test_an_appointment_has_no_attendee_data() -> None:
    row = one(attendees=[], isOrganizer=True, organizer=ME,
              responseStatus={"response": "organizer"})
    assert (row[s.RESPONSE], row[s.ATTENDEES], row[s.ORGANIZER]) == ("none", 0, None)


def test_fields_categories_cancelled_location_description_created() -> None:
    row = one(categories=["Customer", "Red category"], isCancelled=True,
              location={"displayName": " Room 4B "}, bodyPreview="Agenda: budget",
              subject="Budget")
    assert row[s.CATEGORIES] == ["Customer", "Red category"]
    assert row[s.STATUS] == "cancelled"
    assert (row[s.LOCATION], row[s.DESCRIPTION], row[s.TITLE]) == (
        "Room 4B", "Agenda: budget", "Budget")
    assert row[s.CREATED] == datetime(2026, 10, 1, 7, 30, 0, 123456, tzinfo=UTC)
    assert row[s.COLOR] is None
    assert row[s.SOURCE] == "microsoft:AAMkcal="
    assert row[s.CALENDAR] == "Work"


def test_single_event_id_is_the_graph_id() -> None:
    row = one()
    assert (row[s.EVENT_ID], row[s.SERIES_ID]) == ("AAMkAGsingle=", None)


@pytest.mark.parametrize("kind", ["occurrence", "exception"])
def test_instances_of_a_series_are_series_id_at_original_start(kind: str) -> None:
    row = one(id="AAMkAGocc=", type=kind, seriesMasterId="AAMkAGmaster=",
              originalStart="2026-11-16T09:00:00Z",
              start={"dateTime": "2026-11-16T13:00:00.0000000", "timeZone": "UTC"},
              end={"dateTime": "2026-11-16T14:00:00.0000000", "timeZone": "UTC"})
    assert row[s.EVENT_ID] == "AAMkAGmaster=@2026-11-16T09:00:00Z"
    assert row[s.SERIES_ID] == "AAMkAGmaster="


def test_a_sparse_occurrence_takes_the_rest_from_its_series_master() -> None:
    master = event(id="AAMkAGmaster=", type="seriesMaster", subject="Standup",
                   categories=["Team"], recurrence={"pattern": {"type": "daily"}})
    occurrence = {"id": "AAMkAGocc1=", "type": "occurrence",
                  "seriesMasterId": "AAMkAGmaster=",
                  "start": {"dateTime": "2026-11-19T09:00:00.0000000", "timeZone": "UTC"},
                  "end": {"dateTime": "2026-11-19T09:15:00.0000000", "timeZone": "UTC"}}
    result = frame(master, occurrence)
    assert result.height == 1  # the master is not an occurrence
    row = result.row(0, named=True)
    assert (row[s.TITLE], row[s.CATEGORIES], row[s.ATTENDEES]) == ("Standup", ["Team"], 1)
    assert row[s.EVENT_ID] == "AAMkAGmaster=@2026-11-19T09:00:00Z"


@pytest.mark.parametrize(("zone", "wall", "utc"), [
    ("UTC", "2026-11-12T17:00:00.0000000", datetime(2026, 11, 12, 17, tzinfo=UTC)),
    ("Pacific Standard Time", "2026-11-12T09:00:00.0000000",
     datetime(2026, 11, 12, 17, tzinfo=UTC)),
    ("W. Europe Standard Time", "2026-07-01T09:00:00.0000000",
     datetime(2026, 7, 1, 7, tzinfo=UTC)),
    ("Tokyo Standard Time", "2026-11-12T09:00:00.0000000",
     datetime(2026, 11, 12, 0, tzinfo=UTC)),
    ("America/New_York", "2026-11-12T09:00:00.0000000",
     datetime(2026, 11, 12, 14, tzinfo=UTC)),
])
def test_time_zones_windows_names_included(zone: str, wall: str, utc: datetime) -> None:
    row = one(start={"dateTime": wall, "timeZone": zone}, end={"dateTime": wall,
                                                                "timeZone": zone})
    assert row[s.START] == utc


def test_an_unknown_zone_is_read_in_the_audit_zone_with_a_warning() -> None:
    custom = {"dateTime": "2026-11-12T09:00:00.0000000",
              "timeZone": "tzone://Microsoft/Custom"}
    with pytest.warns(CalendarWarning, match="unknown time zone"):
        row = one(start=custom, end=custom)
    assert row[s.START] == datetime(2026, 11, 12, 8, tzinfo=UTC)  # 09:00 in Berlin


def test_all_day_is_local_midnights_in_the_audit_zone() -> None:
    # 29 March 2026: Berlin springs forward, the day has 23 hours
    row = one(isAllDay=True, showAs="free",
              start={"dateTime": "2026-03-29T00:00:00.0000000", "timeZone": "UTC"},
              end={"dateTime": "2026-03-30T00:00:00.0000000", "timeZone": "UTC"})
    assert row[s.ALL_DAY] is True
    assert row[s.START] == datetime(2026, 3, 28, 23, tzinfo=UTC)
    assert row[s.END] == datetime(2026, 3, 29, 22, tzinfo=UTC)


def test_all_day_instances_are_keyed_by_their_date() -> None:
    row = one(id="AAMkAGocc=", type="occurrence", seriesMasterId="AAMkAGbirthday=",
              isAllDay=True, originalStart="2026-11-11T23:00:00Z",
              originalStartTimeZone="W. Europe Standard Time",
              start={"dateTime": "2026-11-12T00:00:00.0000000", "timeZone": "UTC"},
              end={"dateTime": "2026-11-13T00:00:00.0000000", "timeZone": "UTC"})
    assert row[s.EVENT_ID] == "AAMkAGbirthday=@2026-11-12"


def test_deletion_notices_give_no_row_and_malformed_items_are_counted() -> None:
    removed = {"@odata.type": "#microsoft.graph.event", "id": "AAMkAGgone=",
               "@removed": {"reason": "deleted"}}
    broken = event(id="AAMkAGbroken=", start={"dateTime": "not a time", "timeZone": "UTC"})
    with pytest.warns(CalendarWarning, match="skipped 1 malformed event"):
        result = frame(removed, broken, event())
    assert result[s.EVENT_ID].to_list() == ["AAMkAGsingle="]


def test_no_items_give_the_empty_frame() -> None:
    assert frame().schema == s.EVENT_SCHEMA


def test_zone_named() -> None:
    assert zone_named("UTC") is UTC
    assert str(zone_named("W. Europe Standard Time")) == "Europe/Berlin"
    assert zone_named("Customized Time Zone") is None
    assert zone_named("") is None


def test_the_recorded_contract_reply_maps() -> None:
    items = json.loads((DATA / "contract.json").read_text(encoding="utf-8"))["value"]
    result = frame(*items)
    assert result.height == 8
    assert s.validate_events(result) is result
