"""The Parquet cache of read frames (`connectors.cache`), seen through `read_ics`.

The autouse fixture of conftest.py points ``XDG_CACHE_HOME`` at a fresh directory for
every test, so each test starts with an empty cache.
"""

from __future__ import annotations

import os
import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from connectors import cache, group_cache, ics_parse
from connectors import ics as ics_module
from connectors.ics import CalendarWarning, read_ics
from core import schema as s

BERLIN = "Europe/Berlin"
WEEK = {"start": date(2026, 3, 23), "end": date(2026, 3, 30), "tz": BERLIN}

CALENDAR = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//timeaudit tests//EN
BEGIN:VEVENT
UID:review@example.com
DTSTAMP:20260301T000000Z
DTSTART;TZID=Europe/Berlin:20260302T100000
DTEND;TZID=Europe/Berlin:20260302T110000
RRULE:FREQ=WEEKLY;BYDAY=MO,TH
SUMMARY:{title}
ORGANIZER:mailto:lead@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com
ATTENDEE;PARTSTAT=ACCEPTED:mailto:guest@partner.org
END:VEVENT
BEGIN:VEVENT
UID:offsite@example.com
DTSTAMP:20260301T000000Z
DTSTART;VALUE=DATE:20260327
DTEND;VALUE=DATE:20260328
SUMMARY:Offsite
END:VEVENT
END:VCALENDAR
"""

BROKEN_EVENT = """\
BEGIN:VEVENT
UID:broken@example.com
DTSTAMP:20260301T000000Z
SUMMARY:no start
END:VEVENT
"""


def calendar_bytes(title: str = "Review", *, broken: bool = False) -> bytes:
    text = CALENDAR.format(title=title)
    if broken:
        text = text.replace("END:VCALENDAR", BROKEN_EVENT + "END:VCALENDAR")
    return text.replace("\n", "\r\n").encode()


def entries() -> list[Path]:
    directory = cache.cache_dir()
    return sorted(directory.glob("*.parquet")) if directory.is_dir() else []


def forbid_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """From now on, any attempt to parse (rather than load from the cache) fails the test."""
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the calendar was parsed again instead of read from the cache")

    ics_module.clear_memory_cache()
    monkeypatch.setattr(ics_module, "parsed_calendar", refuse)
    monkeypatch.setattr(ics_parse, "parse_calendar", refuse)


@pytest.fixture
def calendar_file(tmp_path: Path) -> Path:
    path = tmp_path / "work.ics"
    path.write_bytes(calendar_bytes())
    return path


def test_the_cache_lives_under_xdg_cache_home(calendar_file: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    read_ics(calendar_file, **WEEK)
    directory = tmp_path / "xdg-cache" / "timeaudit" / "ics"
    assert cache.cache_dir() == directory
    [entry] = directory.glob("*.parquet")
    assert entry.with_suffix(".json").is_file()
    assert list(directory.glob("*.tmp")) == []  # written atomically, nothing left over
    if os.name == "posix":
        assert directory.stat().st_mode & 0o777 == 0o700


def test_a_repeated_read_comes_from_the_cache(calendar_file: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    first = read_ics(calendar_file, **WEEK)
    assert first.height == 3  # Monday, Thursday and the all-day offsite
    assert len(entries()) == 1

    forbid_parsing(monkeypatch)
    again = read_ics(calendar_file, **WEEK)
    assert_frame_equal(again, first)
    s.validate_events(again)
    assert len(entries()) == 1


def test_bytes_and_a_path_with_the_same_content_and_source_share_an_entry(
    calendar_file: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = read_ics(calendar_file, **WEEK)
    forbid_parsing(monkeypatch)
    assert_frame_equal(read_ics(calendar_file.read_bytes(), source="ics:work.ics", **WEEK),
                       first)


def test_the_same_window_as_dates_or_as_instants_is_the_same_entry(
    calendar_file: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = read_ics(calendar_file, **WEEK)
    forbid_parsing(monkeypatch)
    # Local midnight in Berlin (CET, UTC+1) of 23 and 30 March 2026 — the week that
    # contains the switch to summer time on the 29th; 30 March is already CEST (UTC+2).
    again = read_ics(calendar_file, start=datetime(2026, 3, 22, 23, tzinfo=UTC),
                     end=datetime(2026, 3, 29, 22, tzinfo=UTC), tz=BERLIN)
    assert_frame_equal(again, first)


def test_a_changed_file_is_read_again(calendar_file: Path) -> None:
    assert set(read_ics(calendar_file, **WEEK)[s.TITLE]) == {"Review", "Offsite"}
    calendar_file.write_bytes(calendar_bytes("Design review"))
    assert set(read_ics(calendar_file, **WEEK)[s.TITLE]) == {"Design review", "Offsite"}
    assert len(entries()) == 2


@pytest.mark.parametrize(("change", "check"), [
    ({"start": date(2026, 3, 30), "end": date(2026, 4, 6)},
     lambda f: f[s.START].min() >= datetime(2026, 3, 29, 22, tzinfo=UTC)),
    ({"end": date(2026, 3, 27)},
     lambda f: "Offsite" not in f[s.TITLE].to_list()),
    ({"tz": "America/New_York"},
     # the all-day offsite now starts at New York midnight (EDT, UTC-4)
     lambda f: datetime(2026, 3, 27, 4, tzinfo=UTC) in f[s.START].to_list()),
    ({"owner_emails": ["me@example.com"]},
     lambda f: "accepted" in f[s.RESPONSE].to_list()),
    ({"owner_emails": ["ME@example.com ", "other@example.com"]},
     lambda f: f.filter(pl.col(s.TITLE) == "Review")[s.ATTENDEES].to_list() == [1, 1]),
    ({"calendar": "Work"},
     lambda f: f[s.CALENDAR].unique().to_list() == ["Work"]),
    ({"source": "ics:elsewhere.ics"},
     lambda f: f[s.SOURCE].unique().to_list() == ["ics:elsewhere.ics"]),
])
def test_anything_that_changes_the_frame_is_a_different_entry(calendar_file: Path,
                                                              change: dict, check) -> None:
    plain = read_ics(calendar_file, **WEEK)
    changed = read_ics(calendar_file, **{**WEEK, **change})
    assert len(entries()) == 2
    assert check(changed)
    assert not check(plain)
    # and the first entry is still there, unchanged
    assert_frame_equal(read_ics(calendar_file, **WEEK), plain)
    assert len(entries()) == 2


def test_owner_emails_are_normalised_before_keying(calendar_file: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    first = read_ics(calendar_file, owner_emails=["me@example.com"], **WEEK)
    forbid_parsing(monkeypatch)
    again = read_ics(calendar_file, owner_emails=[" ME@Example.com", "me@example.com"], **WEEK)
    assert_frame_equal(again, first)


def test_use_cache_false_neither_writes(calendar_file: Path) -> None:
    read_ics(calendar_file, use_cache=False, **WEEK)
    assert not cache.cache_dir().exists()


def test_use_cache_false_neither_reads(calendar_file: Path) -> None:
    real = read_ics(calendar_file, **WEEK)
    [entry] = entries()
    # Plant a different (valid) frame in the entry: a cached read returns it ...
    real.with_columns(pl.lit("planted").alias(s.TITLE)).write_parquet(entry)
    assert set(read_ics(calendar_file, **WEEK)[s.TITLE]) == {"planted"}
    # ... a read without the cache does not.
    assert_frame_equal(read_ics(calendar_file, use_cache=False, **WEEK), real)


@pytest.mark.parametrize("damage", [
    "truncated parquet", "garbage parquet", "empty parquet", "missing json", "garbage json",
    "wrong schema",
])
def test_a_damaged_cache_entry_is_ignored(calendar_file: Path, damage: str) -> None:
    real = read_ics(calendar_file, **WEEK)
    [entry] = entries()
    messages = entry.with_suffix(".json")
    if damage == "truncated parquet":
        entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])
    elif damage == "garbage parquet":
        entry.write_bytes(b"PAR1 this is not parquet")
    elif damage == "empty parquet":
        entry.write_bytes(b"")
    elif damage == "missing json":
        messages.unlink()
    elif damage == "garbage json":
        messages.write_text("[unterminated", encoding="utf-8")
    else:
        real.drop(s.CREATED).write_parquet(entry)

    assert_frame_equal(read_ics(calendar_file, **WEEK), real)
    # The entry was written again and is good now.
    assert cache.load(entry.stem) is not None


def test_warnings_are_re_emitted_on_a_cache_hit(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "broken.ics"
    path.write_bytes(calendar_bytes(broken=True))
    expected = "ics:broken.ics: skipped 1 malformed event (no DTSTART: 1)"

    with pytest.warns(CalendarWarning) as first_record:
        first = read_ics(path, **WEEK)
    assert [str(w.message) for w in first_record] == [expected]

    forbid_parsing(monkeypatch)
    with pytest.warns(CalendarWarning) as second_record:
        second = read_ics(path, **WEEK)
    assert [str(w.message) for w in second_record] == [expected]
    assert second_record[0].filename == __file__  # attributed to the caller
    assert_frame_equal(second, first)


def test_a_clean_read_has_no_warnings_on_a_cache_hit(calendar_file: Path) -> None:
    read_ics(calendar_file, **WEEK)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_ics(calendar_file, **WEEK)


def test_old_entries_are_pruned(calendar_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 2)
    for week in range(4):
        start = date(2026, 3, 2 + 7 * week)
        read_ics(calendar_file, start=start, end=date.fromordinal(start.toordinal() + 7),
                 tz=BERLIN)
    assert len(entries()) == 2
    # every remaining entry still has its messages file, and no orphan messages remain
    assert sorted(p.stem for p in cache.cache_dir().glob("*.json")) == \
        [p.stem for p in entries()]


def test_an_unwritable_cache_is_not_an_error(calendar_file: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the cache directory should be", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    frame = read_ics(calendar_file, **WEEK)
    assert frame.height == 3


def test_a_different_charset_is_a_different_entry() -> None:
    """A server that starts declaring ISO-8859-1 for the same bytes gets a new reading."""
    data = calendar_bytes("Café")
    as_utf8 = read_ics(data, charset="utf-8", **WEEK)
    as_latin1 = read_ics(data, charset="iso-8859-1", **WEEK)
    assert "Café" in as_utf8[s.TITLE].to_list()
    assert "CafÃ©" in as_latin1[s.TITLE].to_list()
    assert len(entries()) == 2


def group_entries() -> list[Path]:
    directory = group_cache.cache_dir()
    return sorted(directory.glob("*.groups")) if directory.is_dir() else []


def test_deferred_writes_wait_for_the_caller_and_then_serve_a_new_process(
        calendar_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with cache.writes_deferred() as pending:
        first = read_ics(calendar_file, **WEEK)
    assert entries() == []
    assert group_entries() == []
    assert len(pending) == 2  # the whole read and its groups
    for write in pending:
        write()
    assert len(entries()) == 1
    assert len(group_entries()) == 1
    forbid_parsing(monkeypatch)  # a new process: the queued writes made the entries
    assert_frame_equal(read_ics(calendar_file, **WEEK), first)


def test_a_deferred_write_that_fails_leaves_the_cache_as_it_was(
        calendar_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = read_ics(calendar_file, **WEEK)
    before = {p: p.read_bytes() for p in entries() + group_entries()}
    with cache.writes_deferred() as pending:
        read_ics(calendar_file, **{**WEEK, "end": date(2026, 3, 31)})

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("connectors.cache.write_private", refuse)
    monkeypatch.setattr("connectors.group_cache.write_private", refuse)
    for write in pending:
        write()  # swallowed: a cache that cannot be written is no error
    assert {p: p.read_bytes() for p in entries() + group_entries()} == before
    forbid_parsing(monkeypatch)
    assert_frame_equal(read_ics(calendar_file, **WEEK), first)
