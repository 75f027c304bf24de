"""Plain series expanded as columns (connectors/ics_plain.py) equal the library's path.

* on every corpus file and every file of tests/data/ics, for a wide window and narrow
  ones: the same frame (rows in the same order) and the same warnings with the column
  path on and off;
* on generated series around the edges of "plain": DST gaps and overlaps, all-day and
  floating series, UNTIL with and without Z, COUNT, EXDATE (zoned, UTC, floating, DATE),
  BYDAY / BYMONTHDAY / BYSETPOS, multi-day and zero-length events, overrides (moved,
  cancelled by EXDATE, RANGE=THISANDFUTURE, with rules of their own), RDATE, duplicate
  rules — read in several audit zones and windows, under tight step budgets too
  (hypothesis);
* the benchmark's series all take the column path (what makes it faster).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_ics_single import read_switched
from test_ics_window import WIDE, _calendars, _windows, ingest_benchmark

from connectors import ics_plain, ics_walk


def _read(data: bytes, start: datetime, end: datetime, tz: str, *, plain: bool,
          owners: tuple[str, ...] = ()) -> tuple[pl.DataFrame | str, list[str]]:
    return read_switched(ics_plain, plain, data, start, end, tz, owners)


def _assert_same(data: bytes, start: datetime, end: datetime, tz: str, label: str,
                 owners: tuple[str, ...] = ()) -> pl.DataFrame | str:
    frame, messages = _read(data, start, end, tz, plain=True, owners=owners)
    expected_frame, expected_messages = _read(data, start, end, tz, plain=False,
                                              owners=owners)
    if isinstance(expected_frame, str):
        assert frame == expected_frame, label
    else:
        assert isinstance(frame, pl.DataFrame), (label, frame)
        assert_frame_equal(frame, expected_frame)  # rows in the same order too
    assert messages == expected_messages, label
    return expected_frame


@pytest.fixture
def plain_count(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many series took the column path (a one-item list, counted while reading)."""
    count = [0]
    original = ics_plain.plain_occurrences

    def counted(*args: object) -> object:
        got = original(*args)
        count[0] += got is not None
        return got

    monkeypatch.setattr(ics_plain, "plain_occurrences", counted)
    return count


def test_the_corpus_reads_the_same_with_plain_series_as_columns(
        corpus: Path, ics_data: Path, plain_count: list[int]) -> None:
    for path in _calendars(corpus, ics_data):
        data = path.read_bytes()
        expected = _assert_same(data, *WIDE, "Europe/Berlin", path.name)
        if isinstance(expected, pl.DataFrame):
            for window in _windows(expected):
                _assert_same(data, *window, "America/New_York", path.name)
    assert plain_count[0] > 50  # the comparison covers the column path, not only fallbacks


def test_the_benchmark_series_all_take_the_column_path(tmp_path: Path,
                                                        plain_count: list[int]) -> None:
    path = tmp_path / "years.ics"
    ingest_benchmark.generate(path, series=40, singles=20)
    data = path.read_bytes()
    window = (datetime(2024, 11, 1, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC))
    _assert_same(data, *window, "Europe/Berlin", "benchmark", owners=("me@example.com",))
    assert plain_count[0] == 40


# ------------------------------------------------------------------ generated series

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"]
STARTS = [
    "DTSTART;TZID=Europe/Berlin:20260301T023000",      # 02:30 falls in the March gap
    "DTSTART;TZID=Europe/Berlin:20261004T023000",      # and twice in October
    "DTSTART;TZID=Europe/Berlin:20260302T090000",
    "DTSTART;TZID=America/New_York:20260301T013000",
    "DTSTART;TZID=America/New_York:20260131T230000",   # the 31st: months without one
    "DTSTART:20260302T090000Z", "DTSTART:20260302T090000",  # UTC, floating
    "DTSTART;VALUE=DATE:20260302",
    "DTSTART;TZID=Mars/Olympus:20260302T090000",       # unknown zone: floating
    "DTSTART;TZID=W. Europe Standard Time:20260302T090000",
]
ENDS = [
    "DTEND;TZID=Europe/Berlin:20260301T033000", "DTEND;TZID=Europe/Berlin:20260302T100000",
    "DTEND;TZID=Asia/Kolkata:20260302T170000", "DTEND:20260302T100000Z",
    "DTEND:20260302T100000", "DTEND;VALUE=DATE:20260303", "DURATION:PT1H",
    "DURATION:PT0S", "DURATION:P2DT3H", "DURATION:P1D", "DURATION:PT25H", "",
]
RULES = [
    "RRULE:FREQ=DAILY", "RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "RRULE:FREQ=WEEKLY",
    "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", "RRULE:FREQ=MONTHLY",
    "RRULE:FREQ=MONTHLY;BYMONTHDAY=-1", "RRULE:FREQ=MONTHLY;BYDAY=-1SU",
    "RRULE:FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=1", "RRULE:FREQ=YEARLY",
    "RRULE:FREQ=HOURLY;INTERVAL=7", "RRULE:FREQ=MINUTELY;INTERVAL=90",
    "RRULE:FREQ=DAILY;COUNT=40", "RRULE:FREQ=WEEKLY;UNTIL=20261101T090000Z",
    "RRULE:FREQ=WEEKLY;UNTIL=20261025T023000", "RRULE:FREQ=DAILY;UNTIL=20260401",
    "RRULE:FREQ=DAILY;BYHOUR=1,2,3;BYMINUTE=30", "RRULE:FREQ=DAILY;INTERVAL=0",
    "RRULE:FREQ=SOMETIMES",
]
EXTRAS = [
    "EXDATE;TZID=Europe/Berlin:20260303T090000", "EXDATE:20260303T080000Z",
    "EXDATE:20260303T090000", "EXDATE;VALUE=DATE:20260304",
    "EXDATE;TZID=America/New_York:20260302T013000,20260309T013000",
    "EXDATE;TZID=Europe/Berlin:20260329T023000", "EXDATE:20261025T003000Z",
    "RDATE;TZID=Europe/Berlin:20260320T150000", "RDATE:20260321T120000Z",
    "RRULE:FREQ=WEEKLY;BYDAY=SA", "RRULE:FREQ=DAILY",  # a second (or the same) rule
    "SUMMARY:Standup", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com",
    "TRANSP:TRANSPARENT", "SEQUENCE:2", "CATEGORIES:Work",
]
OVERRIDES = [
    "RECURRENCE-ID;TZID=Europe/Berlin:20260303T090000\r\n"
    "DTSTART;TZID=Europe/Berlin:20260303T110000\r\nDTEND;TZID=Europe/Berlin:20260303T120000",
    "RECURRENCE-ID:20260303T080000Z\r\nDTSTART:20260305T080000Z\r\nDURATION:PT30M",
    "RECURRENCE-ID;TZID=Europe/Berlin:20260329T023000\r\n"
    "DTSTART;TZID=Europe/Berlin:20260329T040000\r\nDURATION:PT1H",
    "RECURRENCE-ID;TZID=America/New_York:20260302T013000\r\n"
    "DTSTART;TZID=America/New_York:20260302T033000\r\nDURATION:PT1H\r\nSTATUS:CANCELLED",
    "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20260310T090000\r\n"
    "DTSTART;TZID=Europe/Berlin:20260310T100000\r\nDURATION:PT2H",
    "RECURRENCE-ID:20260304\r\nDTSTART;VALUE=DATE:20260305",
    "RECURRENCE-ID;TZID=Europe/Berlin:20260305T090000\r\n"
    "DTSTART;TZID=Europe/Berlin:20260405T090000\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY;COUNT=2",
    "RECURRENCE-ID:20260306T090000\r\nDTSTART:20260306T100000\r\nDTEND:20260306T103000",
    "RECURRENCE-ID;TZID=Europe/Berlin:20270101T090000\r\n"   # names no date of the rule
    "DTSTART;TZID=Europe/Berlin:20260315T090000\r\nDURATION:PT1H",
]


@st.composite
def series(draw: st.DrawFn) -> tuple[bytes, str, int]:
    lines = ["UID:s@test", draw(st.sampled_from(STARTS)), draw(st.sampled_from(ENDS)),
             draw(st.sampled_from(RULES))]
    lines += draw(st.lists(st.sampled_from(EXTRAS), max_size=4))
    events = ["".join(line + "\r\n" for line in lines if line)]
    for override in draw(st.lists(st.sampled_from(OVERRIDES), max_size=3)):
        events.append(f"UID:s@test\r\nSUMMARY:moved\r\n{override}\r\n")
    events = draw(st.permutations(events))
    body = "".join(f"BEGIN:VEVENT\r\n{event}END:VEVENT\r\n" for event in events)
    calendar = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + body
                + "END:VCALENDAR\r\n")
    return calendar.encode(), draw(st.sampled_from(ZONES)), draw(st.sampled_from(
        [ics_walk.MAX_STEPS_PER_FILE, 30, 5]))


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=series())
def test_a_generated_series_reads_the_same_as_columns(
        case: tuple[bytes, str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    data, zone, budget = case
    monkeypatch.setattr(ics_walk, "MAX_STEPS_PER_FILE", budget)
    monkeypatch.setattr(ics_walk._Work, "__init__", _budget_init(budget))
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for window in ((start, start + timedelta(days=250)),
                   (start + timedelta(days=27, hours=23), start + timedelta(days=29)),
                   (start + timedelta(days=236), start + timedelta(days=238)),
                   (start + timedelta(days=1, hours=8), start + timedelta(days=1, hours=8))):
        _assert_same(data, *window, zone, data.decode(), owners=("me@example.com",))


def _budget_init(budget: int) -> Callable[..., None]:
    def init(self: ics_walk._Work, left: int = budget, cut_series: set | None = None,
             file_cut: set | None = None) -> None:
        self.left = left
        self.cut_series = set() if cut_series is None else cut_series
        self.file_cut = set() if file_cut is None else file_cut
    return init


@pytest.mark.parametrize("rule", ["RRULE:FREQ=DAILY", "RRULE:FREQ=MONTHLY;BYDAY=-1SU",
                                  "RRULE:FREQ=WEEKLY;UNTIL=20261101T090000Z"])
def test_zoned_series_take_the_column_path(rule: str, plain_count: list[int]) -> None:
    """The generated cases above are not all fallbacks: zoned series with EXDATEs and
    overrides are plain."""
    data = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x@test\r\n"
            "DTSTART;TZID=Europe/Berlin:20260301T090000\r\nDURATION:PT1H\r\n"
            f"{rule}\r\nEXDATE:20260303T080000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\n"
            "UID:x@test\r\nRECURRENCE-ID;TZID=Europe/Berlin:20260329T090000\r\n"
            "DTSTART;TZID=Europe/Berlin:20260329T100000\r\nDURATION:PT1H\r\nEND:VEVENT\r\n"
            "END:VCALENDAR\r\n").encode()
    _assert_same(data, datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC),
                 "Europe/Berlin", rule)
    assert plain_count[0] == 1
