"""Issue 9: every occurrence at the right instant, in audit zones far from each other.

Each file in tests/data/ics is named after what it shows and is read in Europe/Berlin,
America/New_York and Pacific/Auckland (and Asia/Kolkata where a zone could be confused):
a zoned time is the same instant in every audit zone; a floating time or a date is the
audit zone's wall clock.
"""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from dateutil.rrule import rrulestr

from connectors.ics import CalendarWarning, read_ics

ZONES = ["Europe/Berlin", "America/New_York", "Pacific/Auckland"]
FAR_ZONES = [*ZONES, "Asia/Kolkata"]


def read(path: Path, start: date, end: date, tz: str) -> tuple[pl.DataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        frame = read_ics(path, start=start, end=end, tz=tz, use_cache=False)
    return frame, [str(w.message) for w in record if w.category is CalendarWarning]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local_midnight(day: date, tz: str) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz)).astimezone(UTC)


# ------------------------------------------------------- 1. no occurrence after UNTIL


@pytest.mark.parametrize("tz", ZONES)
@pytest.mark.parametrize("to", [date(2022, 1, 1), date(2031, 1, 1)])
def test_a_series_ends_at_its_until_however_wide_the_window(ics_data: Path, tz: str,
                                                            to: date) -> None:
    # Before the fix: 220 occurrences up to 2022 and 2,567 up to 2031 (UNTIL was removed).
    frame, messages = read(ics_data / "weekday_series_ends_in_december.ics",
                           date(2021, 1, 1), to, tz)
    rule = rrulestr("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;UNTIL=20211226T090000Z",
                    dtstart=datetime(2021, 3, 1, 9, tzinfo=ZoneInfo("Europe/Berlin")))
    assert frame["start"].to_list() == [d.astimezone(UTC) for d in rule]
    assert frame.height == 215
    assert frame["start"].max() == utc(2021, 12, 24, 8)
    assert messages == []


@pytest.mark.parametrize("tz", ZONES)
def test_every_3_hours_from_9_to_17_is_three_occurrences(ics_data: Path, tz: str) -> None:
    # RFC 5545 §3.8.5.3 (UNTIL written as 17:00 EDT in UTC); before the fix: 965.
    frame, messages = read(ics_data / "every_3_hours_from_9_to_17_one_day.ics",
                           date(1997, 1, 1), date(2000, 1, 1), tz)
    assert frame["start"].to_list() == [utc(1997, 9, 2, 13), utc(1997, 9, 2, 16),
                                        utc(1997, 9, 2, 19)]
    assert messages == []


# ------------------------------------------------------------ 2. DATE with a TZID


@pytest.mark.parametrize("tz", FAR_ZONES)
def test_a_date_with_a_tzid_is_all_day_in_the_audit_zone(ics_data: Path, tz: str) -> None:
    frame, messages = read(ics_data / "all_day_date_with_tzid.ics", date(2018, 6, 25),
                           date(2018, 7, 10), tz)
    assert messages == []
    assert frame["all_day"].to_list() == [True, True]
    assert frame.select("start", "end").rows() == [
        (local_midnight(date(2018, 7, 2), tz), local_midnight(date(2018, 7, 3), tz)),
        (local_midnight(date(2018, 7, 4), tz), local_midnight(date(2018, 7, 5), tz)),
    ]
    # all-day instances are identified by their date (event_id does not move with zones)
    assert frame["event_id"].to_list() == ["holiday-value-date@tests",
                                           "holiday-eight-digits@tests"]


# ------------------------------------------------- 3. VTIMEZONE TZID with spaces


@pytest.mark.parametrize("tz", FAR_ZONES)
def test_a_vtimezone_tzid_with_spaces_is_found(ics_data: Path, tz: str) -> None:
    frame, messages = read(ics_data / "vtimezone_tzid_with_spaces.ics", date(2026, 3, 15),
                           date(2026, 3, 19), tz)
    assert messages == []  # no false "unknown time zone"
    # 09:00 in the file's own CET definition, whatever the audit zone
    assert frame["start"].to_list() == [utc(2026, 3, 16, 8), utc(2026, 3, 17, 8)]


# ------------------------------------- 4. floating series with zoned EXDATE/RDATE


@pytest.mark.parametrize("tz", FAR_ZONES)
def test_zoned_exdates_do_not_move_a_floating_series(ics_data: Path, tz: str) -> None:
    frame, messages = read(ics_data / "floating_series_with_utc_exdates.ics",
                           date(2017, 12, 25), date(2018, 1, 20), tz)
    assert messages == []
    zone = ZoneInfo(tz)

    def at_one(day: int) -> datetime:
        return datetime(2018, 1, day, 1, tzinfo=zone).astimezone(UTC)

    # 01:00 on the audit zone's clock. An EXDATE removes the instance at its instant
    # read on that clock (the floating series is there), so 20180102T010000Z removes
    # 2 January only where 01:00 local is 01:00Z — never, in these zones — and the
    # Berlin EXDATE only in Berlin. The RDATE adds an instance at 01:00Z's local clock.
    expected = {at_one(d) for d in (1, 2, 3, 4, 5)}
    for exdate in (utc(2018, 1, 2, 1), datetime(2018, 1, 4, 1,
                                                tzinfo=ZoneInfo("Europe/Berlin"))):
        local = exdate.astimezone(zone).replace(tzinfo=None)
        expected.discard(local.replace(tzinfo=zone).astimezone(UTC))
    rdate = utc(2018, 1, 10, 1).astimezone(zone).replace(tzinfo=None)
    expected.add(rdate.replace(tzinfo=zone).astimezone(UTC))
    assert set(frame["start"].to_list()) == expected
    assert frame.height == len(expected)
    # and the series itself stays at 01:00 local (before the fix: 01:00Z)
    assert at_one(1) in expected
    if tz == "Europe/Berlin":
        assert at_one(4) not in expected


# -------------------------------------------- 5. one bad component, not a VEVENT


@pytest.mark.parametrize("tz", ZONES)
def test_a_bad_vfreebusy_or_vtodo_is_skipped_and_counted(ics_data: Path, tz: str) -> None:
    frame, messages = read(ics_data / "bad_vfreebusy_beside_good_events.ics",
                           date(2026, 3, 15), date(2026, 3, 19), tz)
    assert frame["event_id"].to_list() == ["good-1@tests", "good-2@tests"]
    assert messages == ["ics:bad_vfreebusy_beside_good_events.ics: skipped 2 malformed "
                        "components that timeaudit does not use (VFREEBUSY: 1, VTODO: 1)"]


# ----------------------------------------------- 6. override DTEND before DTSTART


@pytest.mark.parametrize("tz", ZONES)
def test_an_override_with_dtend_before_dtstart_keeps_its_start(ics_data: Path,
                                                              tz: str) -> None:
    frame, messages = read(ics_data / "override_dtend_before_dtstart.ics",
                           date(2026, 3, 14), date(2026, 3, 20), tz)
    assert frame.select("start", "end").rows() == [
        (utc(2026, 3, 16, 9), utc(2026, 3, 16, 10)),
        (utc(2026, 3, 17, 11), utc(2026, 3, 17, 12)),  # the series' hour, from DTSTART
        (utc(2026, 3, 18, 9), utc(2026, 3, 18, 10)),
    ]
    assert frame["event_id"][1] == "daily-override@tests@2026-03-17T09:00:00Z"
    assert messages == ["ics:override_dtend_before_dtstart.ics: 1 event was read with an "
                        "assumption (DTEND before DTSTART, the series' duration used: 1; "
                        "see docs/ingest.md)"]


# ------------------------------- 7. Windows, custom and X-WR zones far from Europe


@pytest.mark.parametrize("tz", FAR_ZONES)
def test_a_windows_name_with_its_own_vtimezone_follows_the_vtimezone(ics_data: Path,
                                                                     tz: str) -> None:
    frame, messages = read(ics_data / "windows_zone_name_with_its_own_vtimezone.ics",
                           date(2026, 3, 15), date(2026, 3, 18), tz)
    assert messages == []
    assert frame["start"].to_list() == [utc(2026, 3, 16, 3, 30)]  # 09:00 at +05:30


@pytest.mark.parametrize("tz", FAR_ZONES)
def test_a_windows_name_without_vtimezone_is_mapped(ics_data: Path, tz: str) -> None:
    frame, _ = read(ics_data / "outlook_windows_tzid.ics", date(2026, 3, 1),
                    date(2026, 3, 31), tz)
    assert frame["start"].to_list() == [utc(2026, 3, 2, 14), utc(2026, 3, 9, 13),
                                        utc(2026, 3, 16, 13)]


@pytest.mark.parametrize("tz", FAR_ZONES)
def test_x_wr_timezone_is_the_same_instant_in_every_audit_zone(ics_data: Path,
                                                                tz: str) -> None:
    frame, _ = read(ics_data / "x_wr_timezone_recurring_dst.ics", date(2026, 3, 22),
                    date(2026, 4, 14), tz)
    starts = [s for s in frame["start"].to_list()
              if utc(2026, 3, 23) <= s < utc(2026, 4, 13)]
    assert starts == [utc(2026, 3, 23, 8), utc(2026, 3, 30, 7), utc(2026, 4, 6, 7)]


@pytest.mark.parametrize("tz", FAR_ZONES)
def test_an_unknown_tzid_is_read_on_the_audit_zone_clock(ics_data: Path, tz: str) -> None:
    frame, messages = read(ics_data / "unknown_tzid.ics", date(2020, 1, 1),
                           date(2031, 1, 1), tz)
    assert any("unknown time zone" in m for m in messages)
    assert [s.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
            for s in frame["start"].to_list()] == [datetime(2026, 11, 17, 9)]


def test_zoned_times_do_not_depend_on_the_audit_zone(ics_data: Path) -> None:
    """Every zoned file of ours gives the same instants in every audit zone."""
    files = ["weekday_series_ends_in_december.ics", "vtimezone_tzid_with_spaces.ics",
             "windows_zone_name_with_its_own_vtimezone.ics", "outlook_windows_tzid.ics",
             "x_wr_timezone_recurring_dst.ics", "dst_gap_night.ics", "dst_overlap_night.ics"]
    for name in files:
        seen = set()
        for tz in FAR_ZONES:
            frame, _ = read(ics_data / name, date(2017, 1, 1), date(2027, 1, 1), tz)
            seen.add(tuple(frame.filter(~pl.col("all_day"))["start"].to_list()))
        assert len(seen) == 1, name


def test_a_window_one_day_wide_still_sees_a_long_event(ics_data: Path) -> None:
    frame, _ = read(ics_data / "all_day_multi_day.ics", date(2026, 10, 24),
                    date(2026, 10, 25), "Pacific/Auckland")
    assert frame.height == 1
    assert frame["end"][0] - frame["start"][0] >= timedelta(days=2)
