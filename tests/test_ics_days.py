"""Plain DAILY and WEEKLY rules walked by counting days (connectors/ics_days.py) equal
dateutil's walk.

* date by date, for generated rules (INTERVAL, BYDAY, BYHOUR / BYMINUTE / BYSECOND,
  WKST, UNTIL with and without a match, COUNT) and DTSTARTs in DST gaps and overlaps of
  several zones, a fixed offset and UTC: the same objects (value, tzinfo, fold, offset)
  in the same order, up to and including the first date after the window — so the
  bounded walk counts the same steps;
* whole reads with the module on and off: every corpus file and tests/data/ics file for
  a wide window and narrow ones, and generated series (with EXDATEs, overrides and tight
  step budgets): the same frames, rows in the same order, and the same warnings;
* the benchmark's rules take the day-counting walk (what makes it faster).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from dateutil.rrule import rrule, rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_ics_plain import _budget_init, series
from test_ics_single import read_switched
from test_ics_window import WIDE, _calendars, _windows, ingest_benchmark

from connectors import ics_days, ics_plain, ics_walk

DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
ZONES = [ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"),
         ZoneInfo("Pacific/Auckland"), ZoneInfo("Australia/Lord_Howe"),  # a 30-minute DST
         ZoneInfo("UTC"), timezone(timedelta(hours=5, minutes=30)), UTC]
# wall-clock starts on and around DST changes (2:30 is in a gap or twice in an overlap)
STARTS = [datetime(2026, 3, 29, 2, 30), datetime(2026, 10, 25, 2, 30),
          datetime(2026, 3, 8, 2, 30), datetime(2026, 11, 1, 1, 30),
          datetime(2026, 4, 5, 2, 0), datetime(2026, 10, 4, 2, 30)]


@st.composite
def day_rules(draw: st.DrawFn) -> str:
    parts = [f"FREQ={draw(st.sampled_from(['DAILY', 'WEEKLY']))}",
             f"INTERVAL={draw(st.integers(1, 9))}"]
    if draw(st.booleans()):
        parts.append("BYDAY=" + ",".join(draw(st.lists(st.sampled_from(DAYS), min_size=1,
                                                         max_size=4, unique=True))))
    if draw(st.booleans()):
        parts.append("BYHOUR=" + ",".join(map(str, draw(st.lists(
            st.sampled_from([0, 1, 2, 3, 9, 23]), min_size=1, max_size=3, unique=True)))))
    if draw(st.booleans()):
        parts.append("BYMINUTE=" + ",".join(map(str, draw(st.lists(
            st.sampled_from([0, 30, 59]), min_size=1, max_size=2, unique=True)))))
    if draw(st.integers(0, 5)) == 0:
        parts.append("BYSECOND=0,30")
    if draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(DAYS))}")
    end = draw(st.sampled_from(["none", "none", "until", "count"]))
    if end == "until":
        until = datetime(2026, 6, 1, tzinfo=UTC) + timedelta(
            minutes=30 * draw(st.integers(-48 * 400, 48 * 400)))
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")
    elif end == "count":
        parts.append(f"COUNT={draw(st.integers(1, 300))}")
    return ";".join(parts)


def _walk(rule: rrule, start: datetime, stop: datetime, on: bool) -> list[tuple]:
    """What the bounded walk sees: every date up to the first after ``stop`` (at most
    5,000), with its tzinfo, fold and UTC offset."""
    previous, ics_days.ENABLED = ics_days.ENABLED, on
    try:
        walk = ics_walk._walk_from_window(rule, start)
    finally:
        ics_days.ENABLED = previous
    seen = []
    for when in itertools.islice(walk, 5000):
        seen.append((when, id(when.tzinfo), when.fold, when.utcoffset()))
        if when > stop:
            break
    return seen


@settings(max_examples=500, deadline=None)
@given(rule=day_rules(), wall=st.one_of(st.sampled_from(STARTS), st.datetimes(
           min_value=datetime(2016, 1, 1), max_value=datetime(2026, 12, 31)).map(
           lambda d: d.replace(microsecond=0))),
       zone=st.sampled_from(ZONES), offset=st.integers(-24 * 30, 24 * 4 * 365),
       hours=st.integers(0, 24 * 60))
def test_counting_days_gives_dateutils_walk(rule: str, wall: datetime, zone: object,
                                            offset: int, hours: int) -> None:
    original = rrulestr(rule, dtstart=wall.replace(tzinfo=zone))
    start = wall.replace(tzinfo=zone) + timedelta(hours=offset)
    stop = start + timedelta(hours=hours)
    assert _walk(original, start, stop, True) == _walk(original, start, stop, False)


@pytest.mark.parametrize("rule", ["FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", "FREQ=WEEKLY",
                                  "FREQ=WEEKLY;INTERVAL=2", "FREQ=DAILY;UNTIL=20300101T000000Z"])
def test_the_benchmarks_rules_are_walked_by_counting_days(rule: str) -> None:
    first = datetime(2017, 3, 6, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    walk = ics_walk._walk_from_window(rrulestr(rule, dtstart=first),
                                      datetime(2025, 7, 1, tzinfo=UTC))
    assert not isinstance(walk, rrule)


@pytest.mark.parametrize("rule", ["FREQ=DAILY;COUNT=5", "FREQ=MONTHLY",
                                  "FREQ=WEEKLY;BYDAY=MO,TU;BYSETPOS=1",
                                  "FREQ=DAILY;BYMONTH=3", "FREQ=DAILY;INTERVAL=7;BYDAY=TU"])
def test_other_rules_keep_dateutils_walk(rule: str) -> None:
    first = datetime(2017, 3, 6, 9, tzinfo=ZoneInfo("Europe/Berlin"))  # a Monday
    walk = ics_walk._walk_from_window(rrulestr(rule, dtstart=first),
                                      datetime(2025, 7, 1, tzinfo=UTC))
    assert isinstance(walk, rrule)


def test_a_walk_into_year_9999_ends_as_dateutils() -> None:
    first = datetime(9989, 12, 20, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    original = rrulestr("FREQ=WEEKLY;BYDAY=MO,FR", dtstart=first)
    stop = datetime(9990, 2, 1, tzinfo=UTC)
    got = _walk(original, first, stop, True)
    assert got == _walk(original, first, stop, False)
    assert got[0][0] < datetime(9990, 1, 1, tzinfo=UTC) < got[-2][0]  # across the handover


# ------------------------------------------------------------------ whole reads


def _assert_same(data: bytes, start: datetime, end: datetime, tz: str, label: str,
                 owners: tuple[str, ...] = ()) -> pl.DataFrame | str:
    frame, messages = read_switched(ics_days, True, data, start, end, tz, owners)
    expected, expected_messages = read_switched(ics_days, False, data, start, end, tz,
                                                owners)
    if isinstance(expected, str):
        assert frame == expected, label
    else:
        assert isinstance(frame, pl.DataFrame), (label, frame)
        assert_frame_equal(frame, expected)  # rows in the same order too
    assert messages == expected_messages, label
    return expected


def test_the_corpus_reads_the_same_with_days_counted(corpus: Path, ics_data: Path) -> None:
    for path in _calendars(corpus, ics_data):
        data = path.read_bytes()
        expected = _assert_same(data, *WIDE, "Europe/Berlin", path.name)
        if isinstance(expected, pl.DataFrame):
            for window in _windows(expected):
                _assert_same(data, *window, "America/New_York", path.name)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=series())
def test_a_generated_series_reads_the_same_with_days_counted(
        case: tuple[bytes, str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    data, zone, budget = case
    monkeypatch.setattr(ics_walk, "MAX_STEPS_PER_FILE", budget)
    monkeypatch.setattr(ics_walk._Work, "__init__", _budget_init(budget))
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for window in ((start, start + timedelta(days=250)),
                   (start + timedelta(days=27, hours=23), start + timedelta(days=29)),
                   (start + timedelta(days=400), start + timedelta(days=402))):
        _assert_same(data, *window, zone, data.decode(), owners=("me@example.com",))


TZIDS = ["Europe/Berlin", "America/New_York", "Pacific/Auckland", "Australia/Lord_Howe"]


@st.composite
def day_series(draw: st.DrawFn) -> tuple[bytes, str, int, datetime, datetime]:
    """A DAILY or WEEKLY series in a zone (or UTC), maybe with EXDATEs and an override,
    a step budget and a window."""
    wall = draw(st.sampled_from(STARTS))
    tzid = draw(st.sampled_from([*TZIDS, "Z"]))
    start = f"DTSTART:{wall:%Y%m%dT%H%M%S}Z" if tzid == "Z" else \
        f"DTSTART;TZID={tzid}:{wall:%Y%m%dT%H%M%S}"
    lines = ["UID:d@test", start, f"DURATION:PT{draw(st.sampled_from([0, 30, 90, 1500]))}M",
             "RRULE:" + draw(day_rules().filter(lambda r: "COUNT" not in r))]
    for days in draw(st.lists(st.integers(0, 400), max_size=3)):
        lines.append(f"EXDATE:{wall + timedelta(days=days):%Y%m%dT%H%M%S}"
                     + ("Z" if tzid == "Z" else ""))
    body = "".join(line + "\r\n" for line in lines)
    events = [body]
    if draw(st.booleans()):
        moved = wall + timedelta(days=draw(st.integers(0, 60)))
        rid = f"RECURRENCE-ID:{moved:%Y%m%dT%H%M%S}Z" if tzid == "Z" else \
            f"RECURRENCE-ID;TZID={tzid}:{moved:%Y%m%dT%H%M%S}"
        events.append(f"UID:d@test\r\n{rid}\r\nDTSTART:{moved:%Y%m%dT%H%M%S}Z\r\n"
                      "DURATION:PT1H\r\n")
    data = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            + "".join(f"BEGIN:VEVENT\r\n{e}END:VEVENT\r\n" for e in events)
            + "END:VCALENDAR\r\n").encode()
    first = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=draw(st.integers(0, 24 * 500)))
    last = first + timedelta(hours=draw(st.integers(0, 24 * 120)))
    budget = draw(st.sampled_from([ics_walk.MAX_STEPS_PER_FILE, 400, 60, 3]))
    return data, draw(st.sampled_from(["Europe/Berlin", "Asia/Kolkata"])), budget, first, last


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=day_series())
def test_a_day_counted_series_reads_the_same(case: tuple, monkeypatch: pytest.MonkeyPatch,
                                              ) -> None:
    """The integer walk of `ics_plain._counted` (DST gaps, overlaps, UNTIL, EXDATEs, an
    override, budgets that cut) against dateutil's walk and the datetime path."""
    data, zone, budget, first, last = case
    monkeypatch.setattr(ics_walk, "MAX_STEPS_PER_FILE", budget)
    monkeypatch.setattr(ics_walk._Work, "__init__", _budget_init(budget))
    _assert_same(data, first, last, zone, data.decode(), owners=("me@example.com",))


def test_the_benchmark_series_are_counted_without_datetimes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "years.ics"
    ingest_benchmark.generate(path, series=40, singles=20)
    counted = []
    original = ics_plain._counted

    def count(*args: object) -> object:
        got = original(*args)
        counted.append(got is not None)
        return got

    monkeypatch.setattr(ics_plain, "_counted", count)
    window = (datetime(2024, 11, 1, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC))
    _assert_same(path.read_bytes(), *window, "Europe/Berlin", "benchmark")
    monthly = path.read_text().count("RRULE:FREQ=MONTHLY")
    assert counted.count(True) == 40 - monthly > 20  # every DAILY and WEEKLY series
