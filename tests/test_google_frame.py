"""Google `events.list` items → the event frame: every field, in Europe/Berlin on DST dates."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import polars as pl
import pytest
from google_replay import items
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from connectors.google import events_to_frame
from core.errors import CalendarWarning
from core.schema import EVENT_SCHEMA

BERLIN = "Europe/Berlin"
CAL = "ada@example.com"


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def row(event_id: str, title: str, start: datetime, end: datetime, *,
        series_id: str | None = None, description: str | None = None,
        location: str | None = None, all_day: bool = False, status: str = "confirmed",
        response: str = "organizer", busy: bool = True, kind: str = "event",
        attendees: int = 0, organizer: str | None = "ada@example.com",
        domains: tuple[str, ...] = (), color: str | None = None,
        created: datetime | None = None) -> dict:
    return {
        "source": "google:ada@example.com", "calendar": "Ada", "event_id": event_id,
        "series_id": series_id, "title": title, "description": description,
        "location": location, "start": start, "end": end, "all_day": all_day,
        "status": status, "response": response, "busy": busy, "kind": kind,
        "attendees": attendees, "organizer": organizer, "attendee_domains": list(domains),
        "categories": [], "color": color, "created": created,
    }


EXPECTED = [
    # timed out-of-office over a whole (CET) day
    row("1g9n4ir3u6m2d5s8l0t7q3o1bc", "Out of office", utc(2026, 3, 26, 23), utc(2026, 3, 27, 23),
        kind="out_of_office", created=utc(2026, 3, 2, 16, 20, 45)),
    # recurring all-day birthday: id by date; CET midnight to CET midnight
    row("b1q9v4su3u6u2n5u8v0p7g3e1lm@2026-03-28", "Gus Becker's birthday",
        utc(2026, 3, 27, 23), utc(2026, 3, 28, 23), series_id="b1q9v4su3u6u2n5u8v0p7g3e1lm",
        all_day=True, busy=False, created=utc(2024, 6, 11, 12)),
    # all-day on the spring-forward day: 23 hours (CET midnight to CEST midnight)
    row("3i1p6kt5u8o4f7q0n2v9o5m3de", "Spring fair with the kids",
        utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), description="Bring cash for the tombola.",
        location="Mauerpark, Berlin", all_day=True, busy=False, color="5",
        created=utc(2026, 2, 14, 10, 31, 27)),
    row("a0p8u3rt2v5v1m4t7u9o6h2f0kl@2026-03-29", "Water the plants",
        utc(2026, 3, 28, 23), utc(2026, 3, 29, 22), series_id="a0p8u3rt2v5v1m4t7u9o6h2f0kl",
        all_day=True, busy=False, created=utc(2025, 4, 1, 19, 20)),
    # recurring instance at 10:00 CEST on the DST day → 08:00Z, original start in UTC
    row("8n6u1pu0v3t9k2v5s7m4j0h8ij@2026-03-29T08:00:00Z", "Sunday long run",
        utc(2026, 3, 29, 8), utc(2026, 3, 29, 9, 30), series_id="8n6u1pu0v3t9k2v5s7m4j0h8ij",
        location="Tempelhofer Feld", created=utc(2025, 9, 7, 6, 12)),
    row("2h0o5js4v7n3e6r9m1u8p4n2cd", "Office", utc(2026, 3, 29, 22), utc(2026, 3, 30, 22),
        all_day=True, busy=False, kind="working_location", created=utc(2026, 3, 23, 7, 0, 2)),
    row("0f8m3hq2v5l1c4t7k9s6p2r0ab", "Focus time", utc(2026, 3, 30, 7), utc(2026, 3, 30, 9),
        kind="focus", created=utc(2026, 3, 20, 8, 5, 11)),
    # a moved instance keeps the id of the slot it replaces (09:30 CEST = 07:30Z)
    row("9o7v2qs1u4u0l3s6t8n5i1g9jk@2026-03-30T07:30:00Z", "Stand-up",
        utc(2026, 3, 30, 8), utc(2026, 3, 30, 8, 15), series_id="9o7v2qs1u4u0l3s6t8n5i1g9jk",
        response="accepted", attendees=3, organizer="gus@example.com",
        domains=("example.com",), created=utc(2025, 11, 3, 9)),
    # declined: the organizer and Dave count; Erin declined, the room is a resource
    row("4j2q7lu6v9p5g8r1o3s0n6l4ef", "Quarterly planning", utc(2026, 3, 30, 12),
        utc(2026, 3, 30, 13, 30), description="Agenda: roadmap, hiring, budget.",
        location="Room 4.12 (Berlin HQ)", response="declined", attendees=2,
        organizer="carol.meyer@example.com", domains=("example.com", "partner.org"),
        created=utc(2026, 3, 10, 13, 12, 40)),
    # organizer only, no attendees
    row("6l4s9nu8v1r7i0t3q5u2l8j6gh", "Dentist", utc(2026, 3, 31, 5, 30),
        utc(2026, 3, 31, 6, 30), location="Praxis Dr. Weber, Hauptstr. 5", color="11",
        created=utc(2026, 1, 5, 18, 44, 9)),
    # a cancelled instance that came as id + originalStartTime: kept, zero length
    row("9o7v2qs1u4u0l3s6t8n5i1g9jk@2026-03-31T07:30:00Z", "", utc(2026, 3, 31, 7, 30),
        utc(2026, 3, 31, 7, 30), series_id="9o7v2qs1u4u0l3s6t8n5i1g9jk", status="cancelled",
        response="none", organizer=None),
    # the owner organizes (attendee self + organizer) and Gus has not answered
    row("7m5t0ov9u2s8j1u4r6v3k9i7hi", "1:1 Ada / Gus", utc(2026, 3, 31, 11),
        utc(2026, 3, 31, 11, 30), attendees=1, domains=("example.com",),
        created=utc(2026, 3, 25, 11, 2, 33)),
    row("5k3r8mv7u0q6h9s2p4t1m7k5fg", "Vendor demo: observability suite", utc(2026, 3, 31, 16),
        utc(2026, 3, 31, 17), status="tentative", response="tentative", attendees=2,
        organizer="sales@vendor.io", domains=("vendor.io",), created=utc(2026, 3, 30, 8, 15)),
    # fromGmail is an ordinary event; start and end in different zones on the
    # fall-back night (02:40 CET, the second 02:40 of the night)
    row("_60q3ach164o3ib9k8h2j8b9k6sr4cba16d33ib9o6t0k2c1g6cqjab9k",
        "Flight to Lisbon (TP 571)", utc(2026, 10, 25, 1, 40), utc(2026, 10, 25, 4, 55),
        description="To see detailed information for automatically created events like this "
        "one, use the official Google Calendar app.", location="Berlin BER",
        response="accepted", organizer="unknownorganizer@calendar.google.com",
        created=utc(2026, 3, 12, 21, 5, 44)),
]


def test_every_field_of_every_kind() -> None:
    frame = events_to_frame(items("events_every_kind"), calendar_id=CAL, calendar_name="Ada",
                            tz=BERLIN)
    assert_frame_equal(frame, pl.DataFrame(EXPECTED, schema=EVENT_SCHEMA))


def test_all_day_follows_the_audit_zone_but_ids_do_not() -> None:
    berlin = events_to_frame(items("events_every_kind"), calendar_id=CAL, calendar_name="Ada",
                             tz=BERLIN)
    new_york = events_to_frame(items("events_every_kind"), calendar_id=CAL,
                               calendar_name="Ada", tz="America/New_York")
    assert sorted(berlin["event_id"]) == sorted(new_york["event_id"])
    plants = new_york.filter(pl.col("title") == "Water the plants").row(0, named=True)
    # 2026-03-29 in New York (already on EDT since March 8): 04:00Z .. 04:00Z
    assert (plants["start"], plants["end"]) == (utc(2026, 3, 29, 4), utc(2026, 3, 30, 4))


def test_no_items_is_an_empty_frame() -> None:
    frame = events_to_frame([], calendar_id=CAL, calendar_name="Ada", tz=BERLIN)
    assert frame.schema == EVENT_SCHEMA
    assert frame.height == 0


def test_deletion_notices_are_left_out_quietly() -> None:
    notice = {"kind": "calendar#event", "etag": "\"1\"", "id": "e4t2u7vt6v9v5q8v1u3s0d6b4op",
              "status": "cancelled"}
    assert events_to_frame([notice], calendar_id=CAL, calendar_name="Ada", tz=BERLIN).height == 0


def test_an_item_without_start_is_skipped_and_counted() -> None:
    good = items("events_every_kind")[:1]
    broken = [{"id": "x1", "status": "confirmed", "summary": "no start"},
              {"id": "x2", "status": "confirmed", "start": {"dateTime": "yesterday"},
               "end": {"dateTime": "today"}}]
    with pytest.warns(CalendarWarning) as caught:
        frame = events_to_frame(good + broken, calendar_id=CAL, calendar_name="Ada", tz=BERLIN)
    assert [str(w.message) for w in caught] == [
        "google:ada@example.com: skipped 2 malformed events "
        "(invalid date or time: 1, no start: 1)"]
    assert frame["event_id"].to_list() == ["0f8m3hq2v5l1c4t7k9s6p2r0ab"]


def test_hidden_guest_list_still_counts_as_a_meeting() -> None:
    item = copy.deepcopy(items("events_every_kind")[5])
    item["attendees"] = [{"email": "ada@example.com", "self": True,
                          "responseStatus": "accepted"}]
    item["attendeesOmitted"] = True
    frame = events_to_frame([item], calendar_id=CAL, calendar_name="Ada", tz=BERLIN)
    assert frame.select("response", "attendees", "attendee_domains").row(0) == \
        ("accepted", 1, [])


def test_unknown_event_type_and_status_fall_back() -> None:
    item = copy.deepcopy(items("events_every_kind")[6])
    item["eventType"] = "somethingNew"
    item["status"] = "weird"
    frame = events_to_frame([item], calendar_id=CAL, calendar_name="Ada", tz=BERLIN)
    assert frame.select("kind", "status").row(0) == ("event", "confirmed")


@settings(max_examples=25, deadline=None)
@given(st.permutations(range(len(items("events_every_kind")))))
def test_result_does_not_depend_on_item_order(order: list[int]) -> None:
    recorded = items("events_every_kind")
    frame = events_to_frame([recorded[i] for i in order], calendar_id=CAL,
                            calendar_name="Ada", tz=BERLIN)
    assert_frame_equal(frame, pl.DataFrame(EXPECTED, schema=EVENT_SCHEMA))
