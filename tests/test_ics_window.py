"""Reading only what the window can see, and parsing unchanged VEVENTs once (issue 16).

* widening the window never changes the occurrences inside the narrower one, whatever
  the caches hold (hypothesis, on the calendars of test_ics_properties);
* on every corpus file and every file of tests/data/ics, the split read gives exactly
  what parsing the whole file gives (rows for narrow and wide windows; the warnings for
  a window that sees everything), and a one-off event read without a recurrence Series
  gives what the library gives for it;
* a calendar with one VEVENT changed parses that VEVENT's group again, nothing else.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from test_ics_properties import PROPERTY_SETTINGS, Scenario, canonical, read, scenarios

from connectors import group_cache, ics, ics_parse, ics_single
from connectors.ics import CalendarWarning, read_ics
from core import schema as s
from core.errors import InvalidCalendar

# The benchmark's calendar generator, loaded by path: putting benchmarks/ on sys.path
# would shadow the dashboard package with benchmarks/dashboard.py for the whole session.
_SPEC = importlib.util.spec_from_file_location(
    "timeaudit_ingest_benchmark",
    Path(__file__).resolve().parent.parent / "benchmarks" / "ingest.py")
assert _SPEC is not None
assert _SPEC.loader is not None
ingest_benchmark = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(ingest_benchmark)

WIDE = (datetime(1990, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))
# Its one malformed VEVENT is in 9999, outside WIDE: counted only when a window sees it.
UNSEEN_DEFECT = "event_in_year_9999.ics"


def overlapping(frame: pl.DataFrame, start: datetime, end: datetime) -> pl.DataFrame:
    """The rows `read_ics` gives for [start, end) (docs/ingest.md "The window")."""
    return frame.filter(
        (pl.col(s.START) < end)
        & ((pl.col(s.END) > start) | ((pl.col(s.END) == pl.col(s.START))
                                      & (pl.col(s.START) >= start))))


@PROPERTY_SETTINGS
@given(scenario=scenarios(), before=st.integers(0, 90 * 24), after=st.integers(0, 90 * 24),
       narrow_first=st.booleans())
def test_widening_the_window_never_changes_the_occurrences_inside_the_narrower_one(
        scenario: Scenario, before: int, after: int, narrow_first: bool) -> None:
    calendar, (start, end) = scenario
    data, zone = calendar.data(), calendar.audit_zone
    wide_start, wide_end = start - timedelta(hours=before), end + timedelta(hours=after)
    ics.clear_memory_cache()  # either read may find the other's groups in memory
    if narrow_first:
        narrow = read(data, start, end, zone)
        wide = read(data, wide_start, wide_end, zone)
    else:
        wide = read(data, wide_start, wide_end, zone)
        narrow = read(data, start, end, zone)
    assert_frame_equal(canonical(overlapping(wide, start, end)), canonical(narrow))
    ics.clear_memory_cache()
    assert_frame_equal(canonical(read(data, start, end, zone)), canonical(narrow))


# ------------------------------------------------------------ the same as a whole parse


def _calendars(corpus: Path, ics_data: Path) -> list[Path]:
    return sorted(corpus.glob("*.ics")) + sorted(ics_data.glob("*.ics"))


def _read(path: Path, start: datetime, end: datetime) -> tuple[pl.DataFrame | str, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CalendarWarning)
        try:
            frame: pl.DataFrame | str = read_ics(path, start=start, end=end,
                                                 tz="Europe/Berlin", use_cache=False)
        except InvalidCalendar as error:
            frame = str(error)
    return frame, sorted(str(w.message) for w in caught)


def _windows(frame: pl.DataFrame) -> list[tuple[datetime, datetime]]:
    """Narrow windows where the calendar has events: a day around its first occurrence,
    a week around the middle one, a quarter around the last."""
    starts = frame[s.START].sort()
    if starts.is_empty():
        return []
    picks = ((starts[0], 1), (starts[len(starts) // 2], 7), (starts[-1], 91))
    return [(pick - timedelta(days=days) / 2, pick + timedelta(days=days) / 2)
            for pick, days in picks]


def test_the_split_read_equals_the_whole_parse(corpus: Path, ics_data: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for path in _calendars(corpus, ics_data):
        ics.clear_memory_cache()
        split = {WIDE: _read(path, *WIDE)}
        whole_frame = split[WIDE][0]
        windows = _windows(whole_frame) if isinstance(whole_frame, pl.DataFrame) else []
        for window in windows:
            split[window] = _read(path, *window)
        with monkeypatch.context() as patch:
            patch.setattr(ics, "split_calendar", lambda _text: None)
            ics.clear_memory_cache()  # or the splits kept in memory answer
            for window, (frame, messages) in split.items():
                expected, expected_messages = _read(path, *window)
                if isinstance(expected, str):
                    assert frame == expected, path.name
                else:
                    assert isinstance(frame, pl.DataFrame), (path.name, frame)
                    assert_frame_equal(frame, expected, check_row_order=False)
                if window == WIDE and path.name != UNSEEN_DEFECT:
                    assert messages == expected_messages, path.name  # all seen, all counted
                elif window == WIDE:
                    assert messages == [], path.name


def test_a_one_off_event_read_directly_equals_the_library(
        corpus: Path, ics_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for path in _calendars(corpus, ics_data):
        ics.clear_memory_cache()
        direct, messages = _read(path, *WIDE)
        with monkeypatch.context() as patch:
            patch.setattr(ics_parse, "_DIRECT_SINGLES", False)
            ics.clear_memory_cache()
            through_series, series_messages = _read(path, *WIDE)
        if isinstance(direct, str):
            assert direct == through_series
        else:
            assert_frame_equal(direct, through_series, check_row_order=False)
        assert messages == series_messages, path.name


def test_a_malformed_event_the_window_cannot_see_is_not_read(ics_data: Path) -> None:
    """docs/ingest.md "Reading only what the window can see": a defect inside a one-off
    VEVENT outside the window is not reported; the same file read over that event is."""
    text = (ics_data / "event_duration.ics").read_text(encoding="utf-8")
    broken = text.replace("END:VCALENDAR", "BEGIN:VEVENT\r\nUID:broken@test\r\n"
                          "DTSTART:20100105T100000Z\r\nDTEND:20100105T110000Z\r\n"
                          "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:PT-2H\r\nEND:VALARM\r\n"
                          "END:VEVENT\r\nEND:VCALENDAR")
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    assert_frame_equal(read_ics(broken.encode(), start=start, end=end, tz="UTC"),
                       read_ics(text.encode(), start=start, end=end, tz="UTC"))
    with pytest.raises(InvalidCalendar, match="not a valid iCalendar file: Invalid iCalendar "
                                              "duration: PT-2H"):
        read_ics(broken.encode(), start=date(2010, 1, 1), end=date(2010, 2, 1), tz="UTC")


# -------------------------------------------------------------- one change, one parse


def _counting_parses(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The VEVENTs read by each parse, and a 1 for each one-off event read from its text
    (connectors/ics_single.py): a read adds the VEVENTs it had to read."""
    parsed: list[int] = []
    parse_groups = ics_parse._parse_groups
    read_simple = ics_single.read_simple

    def counting(split, groups, *args):
        if groups:
            parsed.append(sum(len(group) for group in groups))
        return parse_groups(split, groups, *args)

    def counting_simple(event, zone, **options):
        read = read_simple(event, zone, **options)
        if read is not None:
            parsed.append(1)
        return read

    monkeypatch.setattr(ics_parse, "_parse_groups", counting)
    monkeypatch.setattr(ics_single, "read_simple", counting_simple)
    return parsed


def test_one_changed_vevent_is_the_only_one_parsed_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "years.ics"
    ingest_benchmark.generate(path, series=12, singles=300)
    parsed = _counting_parses(monkeypatch)
    window = {"start": date(2017, 1, 1), "end": date(2027, 1, 1), "tz": "Europe/Berlin"}
    read_ics(path, **window)
    text = path.read_bytes().decode()
    assert sum(parsed) == text.count("BEGIN:VEVENT\r\n")

    for old, new in (("SUMMARY:Meeting 17\r\n", "SUMMARY:Meeting 17, moved\r\n"),
                     ("SUMMARY:Series 3\r\n", "SUMMARY:Series 3 renamed\r\n")):
        assert old in text
        text = text.replace(old, new)
        path.write_bytes(text.encode())
        parsed.clear()
        again = read_ics(path, **window)
        group = 1 if "Meeting" in old else text.count("UID:series-3@bench\r\n")
        assert parsed == [group]  # the series comes with its overrides
        assert (again[s.TITLE] == new.strip().split(":", 1)[1]).any()
        ics.clear_memory_cache()
        assert_frame_equal(again, read_ics(path, use_cache=False, **window))


def test_a_file_is_split_once_per_process_and_again_when_it_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard reads a file again for every new quarter: the text is split once (a
    ten-year file costs ≈ 1.5 s to split), and a changed file is split again."""
    path = tmp_path / "years.ics"
    ingest_benchmark.generate(path, series=6, singles=200)
    splits: list[int] = []
    split_calendar = ics.split_calendar

    def counting(text: str):
        splits.append(len(text))
        return split_calendar(text)

    monkeypatch.setattr(ics, "split_calendar", counting)
    ics.clear_memory_cache()
    quarters = [(date(2020, 1, 6) + timedelta(weeks=13 * i),
                 date(2020, 1, 6) + timedelta(weeks=13 * (i + 1))) for i in range(4)]
    frames = [read_ics(path, start=lo, end=hi, tz="Europe/Berlin", use_cache=False)
              for lo, hi in quarters]
    assert len(splits) == 1
    ics.clear_memory_cache()
    monkeypatch.setattr(ics, "split_calendar", split_calendar)
    for (lo, hi), frame in zip(quarters, frames, strict=True):
        assert frame.height > 0
        assert_frame_equal(frame, read_ics(path, start=lo, end=hi, tz="Europe/Berlin",
                                           use_cache=False), check_row_order=False)
    monkeypatch.setattr(ics, "split_calendar", counting)
    text = path.read_text(encoding="utf-8").replace("SUMMARY:Meeting 17\n",
                                                    "SUMMARY:Meeting 17, moved\n")
    path.write_text(text, encoding="utf-8")
    read_ics(path, start=quarters[0][0], end=quarters[0][1], tz="Europe/Berlin",
             use_cache=False)
    assert len(splits) == 2


# ------------------------------------------------- one change, one parse, new process


def test_a_new_process_parses_only_the_changed_group(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk cache of groups (connectors/group_cache.py): with the memory cache
    cleared, as in a new process, one changed VEVENT is the only group parsed, and the
    read equals a read without any cache, warnings included."""
    path = tmp_path / "years.ics"
    ingest_benchmark.generate(path, series=12, singles=300)
    text = path.read_bytes().decode()
    # one VEVENT the reader skips, so that what groups lost is carried by the cache too
    text = text.replace("END:VCALENDAR", "BEGIN:VEVENT\r\nUID:bad@test\r\nSUMMARY:Bad\r\n"
                        "DTSTART:20200105T100000Z\r\nRRULE:FREQ=SOMETIMES\r\n"
                        "END:VEVENT\r\nEND:VCALENDAR")
    path.write_bytes(text.encode())
    parsed = _counting_parses(monkeypatch)
    window = {"start": date(2017, 1, 1), "end": date(2027, 1, 1), "tz": "Europe/Berlin"}
    with warnings.catch_warnings(record=True) as first_warnings:
        warnings.simplefilter("always")
        read_ics(path, **window)
    assert sum(parsed) == text.count("BEGIN:VEVENT\r\n")
    (entry,) = group_cache.cache_dir().glob("*.groups")
    assert entry.stat().st_mode & 0o777 == 0o600

    for old, new in (("SUMMARY:Meeting 17\r\n", "SUMMARY:Meeting 17, moved\r\n"),
                     ("SUMMARY:Series 3\r\n", "SUMMARY:Series 3 renamed\r\n"),
                     ("SUMMARY:Meeting 17, moved\r\n", "SUMMARY:Meeting 17\r\n")):
        text = text.replace(old, new)
        path.write_bytes(text.encode())
        ics.clear_memory_cache()  # a new process
        parsed.clear()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            again = read_ics(path, **window)
        group = 1 if "Meeting" in old else text.count("UID:series-3@bench\r\n")
        assert parsed == [group]  # the series comes with its overrides
        ics.clear_memory_cache()
        with warnings.catch_warnings(record=True) as expected_warnings:
            warnings.simplefilter("always")
            expected = read_ics(path, use_cache=False, **window)
        assert_frame_equal(again, expected)
        assert [str(w.message) for w in caught] == [str(w.message) for w in expected_warnings]
        assert [str(w.message) for w in caught] == [str(w.message) for w in first_warnings]
        assert any("skipped 1 malformed event" in str(w.message) for w in caught)


def test_the_groups_of_another_process_in_a_new_process(tmp_path: Path) -> None:
    """The same through two real processes: the second, after one change, parses one group."""
    path = tmp_path / "years.ics"
    ingest_benchmark.generate(path, series=6, singles=100)
    code = """
import sys
from connectors import ics, ics_parse, ics_single
parsed = []
parse_groups = ics_parse._parse_groups
read_simple = ics_single.read_simple
def counting(split, groups, *args):
    parsed.append(sum(len(group) for group in groups))
    return parse_groups(split, groups, *args)
def counting_simple(event, zone, **options):
    read = read_simple(event, zone, **options)
    parsed.append(read is not None)
    return read
ics_parse._parse_groups = counting
ics_single.read_simple = counting_simple
frame = ics.read_ics(sys.argv[1], start="2017-01-01", end="2027-01-01", tz="UTC")
print([sum(parsed)], frame.height)
""".replace('"2017-01-01"', "__import__('datetime').date(2017, 1, 1)").replace(
        '"2027-01-01"', "__import__('datetime').date(2027, 1, 1)")
    root = Path(__file__).resolve().parent.parent

    def run() -> str:
        return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                              text=True, check=True, cwd=root).stdout.strip()

    first = run()
    text = path.read_bytes().decode()
    path.write_bytes(text.replace("SUMMARY:Meeting 7\r\n", "SUMMARY:Meeting 7 b\r\n").encode())
    second = run()
    assert first.startswith(f"[{text.count('BEGIN:VEVENT')}] ")
    assert second == "[1] " + first.split(" ", 1)[1]


@pytest.mark.parametrize("damage", ["truncate", "garbage", "old-format", "other-schema"])
def test_a_damaged_group_entry_is_a_miss_and_is_written_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    path = tmp_path / "years.ics"
    ingest_benchmark.generate(path, series=4, singles=40)
    window = {"start": date(2017, 1, 1), "end": date(2027, 1, 1), "tz": "UTC"}
    first = read_ics(path, **window)
    (entry,) = group_cache.cache_dir().glob("*.groups")
    data = entry.read_bytes()
    broken = {"truncate": data[: len(data) // 2], "garbage": b"\x00" * 40,
              "old-format": data.replace(b"TAGROUPS\x01", b"TAGROUPS\x00", 1),
              "other-schema": data}[damage]
    if damage == "other-schema":
        monkeypatch.setattr(ics, "RAW_SCHEMA", pl.Schema({"start": pl.Int64}))
    entry.write_bytes(broken)
    text = path.read_bytes().decode().replace("SUMMARY:Meeting 3\r\n", "SUMMARY:Meeting 3 b\r\n")
    path.write_bytes(text.encode())
    ics.clear_memory_cache()
    parsed = _counting_parses(monkeypatch)
    again = read_ics(path, **window)
    assert sum(parsed) == text.count("BEGIN:VEVENT\r\n")  # nothing usable on disk: all parsed
    assert again.height == first.height
    if damage != "other-schema":
        assert entry.read_bytes() != broken


def test_group_entries_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group_cache, "MAX_ENTRIES", 2)
    path = tmp_path / "years.ics"
    ingest_benchmark.generate(path, series=2, singles=20)
    for year in range(2018, 2023):  # one entry per window
        read_ics(path, start=date(year, 1, 1), end=date(year + 1, 1, 1), tz="UTC")
    assert len(list(group_cache.cache_dir().glob("*.groups"))) == 2
    monkeypatch.setattr(group_cache, "MAX_BYTES", 1)
    read_ics(path, start=date(2010, 1, 1), end=date(2011, 1, 1), tz="UTC")
    assert len(list(group_cache.cache_dir().glob("*.groups"))) == 1  # the newest is kept
