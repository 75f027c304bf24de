"""One-off events read from their text (connectors/ics_single.py) equal icalendar's reading.

* on every corpus file and every file of tests/data/ics, for a wide window and narrow
  ones: the same frame and the same warnings with the text reading on and off;
* on generated VEVENTs whose lines sit on each edge of "plainly simple" (escapes,
  parameters, quoted and repeated parameters, zones known and unknown, DATE values,
  DTEND before DTSTART, repeated properties, bad SEQUENCE, VALARMs, X-WR-TIMEZONE …),
  read in several audit zones, with owners (hypothesis);
* the benchmark's one-off events are all read from their text (what makes it faster).
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_ics_window import WIDE, _calendars, _windows, ingest_benchmark

from connectors import ics, ics_single
from connectors.ics import CalendarWarning, read_ics
from connectors.ics_split import split_calendar
from core.errors import InvalidCalendar


def read_switched(module: ModuleType, on: bool, data: bytes, start: datetime, end: datetime,
                  tz: str, owners: tuple[str, ...] = ()) -> tuple[pl.DataFrame | str, list[str]]:
    """``read_ics`` of ``data`` (no cache) with a fast path's module (its ``ENABLED``) on
    or off: the frame, or the error's text, and the warnings' texts."""
    ics.clear_memory_cache()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalendarWarning)
        previous, module.ENABLED = module.ENABLED, on
        try:
            frame: pl.DataFrame | str = read_ics(data, start=start, end=end, tz=tz,
                                                 owner_emails=owners, use_cache=False)
        except InvalidCalendar as error:
            frame = str(error)
        finally:
            module.ENABLED = previous
    return frame, sorted(str(w.message) for w in caught)


def _read(data: bytes, start: datetime, end: datetime, tz: str, *, text: bool,
          owners: tuple[str, ...] = ()) -> tuple[pl.DataFrame | str, list[str]]:
    return read_switched(ics_single, text, data, start, end, tz, owners)


def _assert_same(got: tuple, expected: tuple, label: str) -> None:
    (frame, messages), (expected_frame, expected_messages) = got, expected
    if isinstance(expected_frame, str):
        assert frame == expected_frame, label
    else:
        assert isinstance(frame, pl.DataFrame), (label, frame)
        assert_frame_equal(frame, expected_frame, check_row_order=False)
    assert messages == expected_messages, label


def _simple_count(data: bytes) -> int:
    split = split_calendar(data.decode("utf-8", "replace").replace("\r\n", "\n"))
    if split is None or not ics_single.text_allowed():
        return 0
    floating = ics_single.floating_allowed(split)
    return sum(ics_single.read_simple(event, UTC, floating=floating) is not None
               for event in split.events)


def test_the_corpus_reads_the_same_with_one_off_events_read_from_text(
        corpus: Path, ics_data: Path) -> None:
    simple = 0
    for path in _calendars(corpus, ics_data):
        data = path.read_bytes()
        simple += _simple_count(data)
        expected = _read(data, *WIDE, "Europe/Berlin", text=False)
        _assert_same(_read(data, *WIDE, "Europe/Berlin", text=True), expected, path.name)
        if isinstance(expected[0], pl.DataFrame):
            for window in _windows(expected[0]):
                _assert_same(_read(data, *window, "America/New_York", text=True),
                             _read(data, *window, "America/New_York", text=False), path.name)
    assert simple > 100  # the comparison covers the text reading, not only fallbacks


def test_the_benchmark_one_off_events_are_read_from_text(tmp_path: Path) -> None:
    path = tmp_path / "years.ics"
    ingest_benchmark.generate(path, series=3, singles=60)
    data = path.read_bytes()
    assert _simple_count(data) == 60
    window = (datetime(2017, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    _assert_same(_read(data, *window, "Europe/Berlin", text=True, owners=("me@example.com",)),
                 _read(data, *window, "Europe/Berlin", text=False, owners=("me@example.com",)),
                 "benchmark")


# ------------------------------------------------------------------ generated edges

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]
STARTS = [
    "DTSTART:20260329T013000", "DTSTART:20260329T023000",     # floating, Berlin's DST gap
    "DTSTART:20260310T090000Z", "DTSTART;TZID=Europe/Berlin:20260310T090000",
    "DTSTART;TZID=America/New_York:20260308T023000",          # inside New York's gap
    "DTSTART;TZID=Mars/Olympus:20260310T090000",              # unknown zone
    "DTSTART;TZID=W. Europe Standard Time:20260310T090000",   # a Windows name
    "DTSTART;TZID=/Europe/Berlin:20260310T090000",
    "DTSTART;TZID=\"Europe/Berlin\":20260310T090000",
    "DTSTART;TZID=Europe/Berlin:20260310T090000Z",
    "DTSTART;VALUE=DATE:20260310", "DTSTART:20260310", "DTSTART;VALUE=DATE:20261310",
    "DTSTART:20260310T250000", "DTSTART;VALUE=DATE-TIME:20260310T090000",
    "dtstart:20260310T090000Z", "DTSTART;tzid=Europe/Berlin:20260310T090000",
    "DTSTART:2026-03-10T09:00:00",
]
ENDS = [
    "DTEND:20260329T033000", "DTEND:20260310T100000Z", "DTEND:20260310T080000Z",
    "DTEND;TZID=Europe/Berlin:20260310T100000", "DTEND;TZID=Asia/Kolkata:20260310T100000",
    "DTEND;VALUE=DATE:20260311", "DTEND;VALUE=DATE:20260310", "DTEND;VALUE=DATE:20260309",
    "DTEND:20260312", "DURATION:PT1H", "DURATION:P1D", "DURATION:PT24H", "DURATION:P1W",
    "DURATION:P1DT2H30M", "DURATION:-PT1H", "DURATION:PT0S", "DURATION:P", "DURATION:PT",
    "DURATION:P1W2D", "DURATION;X=1:PT1H", "",
]
EXTRAS = [
    "SUMMARY:Plan", "SUMMARY:Plan\\, review", "SUMMARY:  spaced  ", "SUMMARY:", "SUMMARY:a:b;c",
    "SUMMARY;LANGUAGE=de:Planung", "SUMMARY:Ünïcödé ✓", "DESCRIPTION:line\\none",
    "DESCRIPTION:plain", "LOCATION:", "LOCATION:Room 1", "STATUS:TENTATIVE", "STATUS:cancelled",
    "STATUS: confirmed ", "TRANSP:TRANSPARENT", "TRANSP:OPAQUE",
    "X-MICROSOFT-CDO-BUSYSTATUS:OOF", "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE",
    "X-MICROSOFT-CDO-BUSYSTATUS:FREE", "CLASS:PRIVATE", "COLOR:red",
    "ORGANIZER:mailto:me@example.com", "ORGANIZER;CN=Lead:MAILTO:Lead@Example.com",
    "ORGANIZER;CN=\"Doe, J\":mailto:j@example.com", "ORGANIZER:",
    "ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com",
    "ATTENDEE;PARTSTAT=declined:mailto:ana@example.com",
    "ATTENDEE;CUTYPE=ROOM:mailto:room@example.com", "ATTENDEE:mailto:bo@other.org",
    "ATTENDEE;PARTSTAT=TENTATIVE;PARTSTAT=ACCEPTED:mailto:me@example.com",
    "ATTENDEE;CN=A^nB;PARTSTAT=ACCEPTED:mailto:cy@example.com", "ATTENDEE:",
    "ATTENDEE;RSVP=TRUE;ROLE=REQ-PARTICIPANT:mailto:di@x.org", "attendee:mailto:e@x.org",
    "CATEGORIES:Work,Focus", "CATEGORIES:a\\,b,c", "CATEGORIES: ,x,,", "CATEGORIES:",
    "CREATED:20250101T120000Z", "CREATED:20250101T120000", "CREATED:garbage",
    "LAST-MODIFIED:20250101T120000Z", "DTSTAMP:20250101T120000Z", "DTSTAMP:bad",
    "SEQUENCE:3", "SEQUENCE:x", "SEQUENCE:-1", "PRIORITY:5", "URL:https://example.com",
    "X-CUSTOM:1", "X-WR-CALNAME:inside", "X-ALT-DESC;FMTTYPE=text/html:<b>x</b>",
    "CONTACT:Jim", "PRIORITY:x", "URL;VALUE=URI:https://example.com", "DTEND:20260310T100000",
    "EXDATE:20260310T090000Z", "RRULE:FREQ=DAILY;COUNT=2",
    "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nEND:VALARM",
    "BEGIN:VALARM\r\nTRIGGER:PT-2H\r\nEND:VALARM", "not a line", "SUMMARY:tab\there",
]
UIDS = ["UID:one@test", "UID: spaced@test ", "UID:", "", "UID:a\\,b@test", "UID:ÜID@test"]
HEADS = ["", "X-WR-TIMEZONE:America/New_York\r\n", "X-WR-CALNAME:Mine\r\n"]


@st.composite
def vevents(draw: st.DrawFn) -> tuple[bytes, str]:
    lines = [draw(st.sampled_from(UIDS)), draw(st.sampled_from(STARTS)),
             draw(st.sampled_from(ENDS))]
    lines += draw(st.lists(st.sampled_from(EXTRAS), max_size=6))
    lines = [line for line in draw(st.permutations(lines)) if line]
    event = "BEGIN:VEVENT\r\n" + "".join(line + "\r\n" for line in lines) + "END:VEVENT\r\n"
    other = ("BEGIN:VEVENT\r\nUID:other@test\r\nDTSTART:20260311T090000Z\r\n"
             "DTEND:20260311T100000Z\r\nSUMMARY:Other\r\nEND:VEVENT\r\n")
    calendar = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
                + draw(st.sampled_from(HEADS)) + event + other + "END:VCALENDAR\r\n")
    return calendar.encode(), draw(st.sampled_from(ZONES))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=vevents())
def test_a_generated_one_off_event_reads_the_same_from_its_text(
        case: tuple[bytes, str]) -> None:
    data, zone = case
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for window in ((start, start + timedelta(days=30)),
                   (start + timedelta(days=9, hours=8), start + timedelta(days=9, hours=9))):
        _assert_same(_read(data, *window, zone, text=True, owners=("me@example.com",)),
                     _read(data, *window, zone, text=False, owners=("me@example.com",)),
                     data.decode())


@pytest.mark.parametrize("line", ["SUMMARY:Plan", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@b.c",
                                  "CATEGORIES:Work,Focus", "CREATED:20250101T120000Z"])
def test_plain_lines_are_read_from_text(line: str) -> None:
    """The generated cases above are not all fallbacks: plain lines stay simple."""
    data = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x@test\r\n"
            "DTSTART;TZID=Europe/Berlin:20260310T090000\r\nDTEND:20260310T100000Z\r\n"
            f"{line}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()
    assert _simple_count(data) == 1
