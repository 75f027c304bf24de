"""Our own small ICS files, each named after the one thing it shows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from connectors.ics import CalendarWarning, read_ics
from core.schema import merge_events

BERLIN = "Europe/Berlin"


def read(path: Path, start: date, end: date, tz: str = BERLIN, **kwargs) -> pl.DataFrame:
    return read_ics(path, start=start, end=end, tz=tz, use_cache=False, **kwargs)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_dst_gap_night(ics_data: Path) -> None:
    frame = read(ics_data / "dst_gap_night.ics", date(2026, 3, 27), date(2026, 3, 31))
    across = frame.filter(pl.col("event_id") == "gap@tests")
    # 01:30 CET → 03:30 CEST is one hour of real time
    assert across.select("start", "end").row(0) == (utc(2026, 3, 29, 0, 30),
                                                    utc(2026, 3, 29, 1, 30))
    nightly = frame.filter(pl.col("series_id") == "gap-nightly@tests")
    # 02:30 does not exist on 29 March; the instance lands one hour later, at 03:30 CEST
    assert nightly["start"].to_list() == [utc(2026, 3, 27, 1, 30), utc(2026, 3, 28, 1, 30),
                                          utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)]


def test_dst_overlap_night(ics_data: Path) -> None:
    frame = read(ics_data / "dst_overlap_night.ics", date(2026, 10, 24), date(2026, 10, 26))
    start, end = frame.select("start", "end").row(0)
    # 01:30 CEST → 03:30 CET is three hours of real time
    assert (start, end) == (utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 2, 30))


def test_windows_zone_without_vtimezone_follows_us_dst(ics_data: Path) -> None:
    frame = read(ics_data / "outlook_windows_tzid.ics", date(2026, 3, 1), date(2026, 3, 31),
                 tz="America/New_York")
    # 09:00 Eastern: EST (-5) before 8 March, EDT (-4) after
    assert frame["start"].to_list() == [utc(2026, 3, 2, 14), utc(2026, 3, 9, 13),
                                        utc(2026, 3, 16, 13)]
    assert frame["event_id"].to_list()[1] == "weekly-eastern@tests@2026-03-09T13:00:00Z"


def test_x_wr_timezone_recurring_keeps_wall_clock_across_dst(ics_data: Path) -> None:
    frame = read(ics_data / "x_wr_timezone_recurring_dst.ics", date(2026, 3, 23),
                 date(2026, 4, 13))
    # 08:00Z is 09:00 CET; after 29 March the series stays at 09:00 local = 07:00Z
    assert frame["start"].to_list() == [utc(2026, 3, 23, 8), utc(2026, 3, 30, 7),
                                        utc(2026, 4, 6, 7)]
    assert frame["calendar"].unique().to_list() == ["Team"]


@pytest.mark.parametrize(("tz", "expected"), [(BERLIN, utc(2026, 11, 17, 8)),
                                              ("America/New_York", utc(2026, 11, 17, 14))])
def test_floating_time_is_read_in_the_audit_zone(ics_data: Path, tz: str,
                                                 expected: datetime) -> None:
    frame = read(ics_data / "event_dt_floating.ics", date(2026, 11, 16), date(2026, 11, 18),
                 tz=tz)
    assert frame["start"].to_list() == [expected]


def test_all_day_multi_day_spans_local_midnights(ics_data: Path) -> None:
    frame = read(ics_data / "all_day_multi_day.ics", date(2026, 10, 20), date(2026, 10, 30))
    row = frame.row(0, named=True)
    assert row["all_day"] is True
    assert row["busy"] is False
    assert row["start"] == utc(2026, 10, 22, 22)   # Friday 00:00 CEST
    assert row["end"] == utc(2026, 10, 25, 23)     # Monday 00:00 CET
    assert row["end"] - row["start"] == timedelta(hours=73)  # 24 + 24 + 25


def test_duration_instead_of_dtend(ics_data: Path) -> None:
    frame = read(ics_data / "event_duration.ics", date(2026, 11, 17), date(2026, 11, 18))
    assert frame.select("start", "end").row(0) == (utc(2026, 11, 17, 13), utc(2026, 11, 17, 14, 30))


def test_override_moved_across_midnight(ics_data: Path) -> None:
    frame = read(ics_data / "override_moved_across_midnight.ics", date(2026, 11, 16),
                 date(2026, 11, 20))
    assert frame.select("event_id", "title", "start", "end").rows() == [
        ("oncall@tests@2026-11-16T21:00:00Z", "On-call check",
         utc(2026, 11, 16, 21), utc(2026, 11, 16, 22)),
        ("oncall@tests@2026-11-17T21:00:00Z", "On-call check (moved late)",
         utc(2026, 11, 17, 22, 30), utc(2026, 11, 17, 23, 30)),
        ("oncall@tests@2026-11-18T21:00:00Z", "On-call check",
         utc(2026, 11, 18, 21), utc(2026, 11, 18, 22)),
    ]
    assert frame["series_id"].unique().to_list() == ["oncall@tests"]
    # the moved instance is found from a window that only holds its new time
    late = read(ics_data / "override_moved_across_midnight.ics", date(2026, 11, 18),
                date(2026, 11, 19))
    assert "oncall@tests@2026-11-17T21:00:00Z" in late["event_id"].to_list()


def test_owner_responses_people_and_resources(ics_data: Path) -> None:
    frame = read(ics_data / "owner_responses.ics", date(2026, 11, 16), date(2026, 11, 18),
                 owner_emails=["ME@example.com"])
    rows = {r["event_id"]: r for r in frame.iter_rows(named=True)}
    assert rows["declined@tests"]["response"] == "declined"
    assert rows["declined@tests"]["organizer"] == "boss@example.com"
    organizer = rows["organizer@tests"]
    assert organizer["response"] == "organizer"  # organizing wins over the ACCEPTED row
    assert organizer["attendees"] == 2           # ana + client; rooms are not people
    assert organizer["attendee_domains"] == ["customer.org", "example.com"]
    assert rows["tentative@tests"]["response"] == "tentative"
    assert rows["unanswered@tests"]["response"] == "needs_action"  # no PARTSTAT
    alone = rows["alone@tests"]
    assert (alone["response"], alone["attendees"], alone["busy"]) == ("none", 0, False)
    assert alone["categories"] == ["Admin", "Planning"]
    assert alone["color"] == "turquoise"
    assert alone["created"] == utc(2026, 11, 1, 10)
    assert alone["series_id"] is None
    oof = rows["oof@tests"]
    assert (oof["kind"], oof["all_day"]) == ("out_of_office", True)


def test_without_owner_emails_the_response_is_unknown(ics_data: Path) -> None:
    frame = read(ics_data / "owner_responses.ics", date(2026, 11, 16), date(2026, 11, 18))
    assert set(frame["response"]) == {"none"}


def test_unknown_zone_warns_and_uses_the_audit_zone(ics_data: Path) -> None:
    with pytest.warns(CalendarWarning, match=r"unknown time zone Mars/Olympus_Mons .*audit"):
        frame = read(ics_data / "unknown_tzid.ics", date(2026, 11, 17), date(2026, 11, 18))
    assert frame["start"].to_list() == [utc(2026, 11, 17, 8)]


def test_window_is_end_exclusive_and_unclipped(ics_data: Path) -> None:
    path = ics_data / "override_moved_across_midnight.ics"
    # the 17 Nov instance runs 23:30-00:30 Berlin: it belongs to both days, unclipped
    on_17 = read(path, date(2026, 11, 17), date(2026, 11, 18))
    on_18 = read(path, date(2026, 11, 18), date(2026, 11, 19))
    moved = "oncall@tests@2026-11-17T21:00:00Z"
    assert moved in on_17["event_id"].to_list()
    assert moved in on_18["event_id"].to_list()
    assert on_18.filter(pl.col("event_id") == moved)["start"][0] == utc(2026, 11, 17, 22, 30)


def test_bytes_and_path_give_the_same_frame(ics_data: Path) -> None:
    path = ics_data / "owner_responses.ics"
    from_path = read(path, date(2026, 11, 16), date(2026, 11, 18))
    from_bytes = read_ics(path.read_bytes(), start=date(2026, 11, 16), end=date(2026, 11, 18),
                          tz=BERLIN, source="ics:owner_responses.ics", use_cache=False)
    assert from_path.equals(from_bytes)


def test_same_occurrence_in_two_calendars_counts_once(ics_data: Path) -> None:
    path = ics_data / "owner_responses.ics"
    window = (date(2026, 11, 16), date(2026, 11, 18))
    mine = read(path, *window)
    shared = read_ics(path.read_bytes(), start=window[0], end=window[1], tz=BERLIN,
                      source="ics:team.ics", use_cache=False)
    merged = merge_events([mine, shared])
    assert merged.height == mine.height
    assert set(merged["source"]) == {"ics:owner_responses.ics"}  # the first source wins
