"""Issue 12 (the ICS reader): no traceback, no hang, no silent cut, no terminal escapes.

Also the walk that starts near the window (`_walk_from_window`) checked against
dateutil's own walk, and two properties of issue 9: widening the window never changes
what is inside the narrower one, and no rule gives more than dateutil's expansion of it.
"""

from __future__ import annotations

import time
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors import ics, ics_walk
from connectors.ics import (
    MAX_OCCURRENCES_PER_SERIES,
    MAX_STEPS_PER_FILE,
    CalendarWarning,
    read_ics,
)
from core.errors import InvalidCalendar, printable

ZONES = ["Europe/Berlin", "America/New_York", "Pacific/Auckland"]
WEEK = (date(2026, 3, 23), date(2026, 3, 30))


def read(data: bytes | Path, start: date | datetime = WEEK[0], end: date | datetime = WEEK[1],
         tz: str = "Europe/Berlin") -> tuple[pl.DataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        frame = read_ics(data, start=start, end=end, tz=tz, use_cache=False,
                         source="ics:test.ics")
    return frame, [str(w.message) for w in record if w.category is CalendarWarning]


def calendar(*events: str) -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//timeaudit tests//EN\r\n" + body +
            "END:VCALENDAR\r\n").encode()


def event(uid: str, dtstart: str, rule: str = "", extra: str = "") -> str:
    lines = [f"UID:{uid}", "DTSTAMP:20260101T000000Z", f"DTSTART{dtstart}",
             "SUMMARY:x"]
    if rule:
        lines.append(f"RRULE:{rule}")
    if extra:
        lines.append(extra)
    return "\r\n".join(lines)


# ------------------------------------------------------------------ tracebacks


@pytest.mark.parametrize("tz", ZONES)
def test_duplicate_uid_with_two_sequence_lines_or_sequence_abc(ics_data: Path,
                                                               tz: str) -> None:
    frame, messages = read(ics_data / "duplicate_uid_with_bad_sequences.ics",
                           date(2026, 3, 15), date(2026, 3, 18), tz)
    # SEQUENCE 2 (the first of two lines) beats SEQUENCE:abc (read as 0)
    assert frame.select("start", "title").rows() == [
        (datetime(2026, 3, 16, 9, tzinfo=UTC), "Two SEQUENCE lines (the first, 2, counts)")]
    assert messages == [
        "ics:test.ics: skipped 1 malformed event (duplicate UID: 1)",
        "ics:test.ics: 2 events were read with an assumption (invalid SEQUENCE read as 0: "
        "1, several SEQUENCE lines, the first is used: 1; see docs/ingest.md)",
    ]


@pytest.mark.parametrize("tz", ZONES)
def test_an_event_in_year_9999(ics_data: Path, tz: str) -> None:
    path = ics_data / "event_in_year_9999.ics"
    frame, _ = read(path, date(2026, 3, 15), date(2026, 3, 18), tz)
    assert frame["event_id"].to_list() == ["near@tests"]
    frame, messages = read(path, date(9999, 12, 1), date(9999, 12, 31), tz)
    assert frame.height <= 2
    assert all("Traceback" not in m for m in messages)


def test_a_window_at_the_ends_of_the_calendar(ics_data: Path) -> None:
    for start, end in [(date(1, 1, 1), date(1, 1, 8)), (date(9999, 12, 24), date(9999, 12, 31))]:
        for tz in ZONES:
            frame, _ = read(ics_data / "weekday_series_ends_in_december.ics", start, end, tz)
            assert frame.height == 0


# ------------------------------------------------------------ unbounded work


def test_two_thousand_hourly_series_with_huge_counts_finish_bounded() -> None:
    events = [event(f"h{i}", ":20150101T000000Z", "FREQ=HOURLY;COUNT=99999")
              for i in range(2000)]
    began = time.monotonic()
    frame, messages = read(calendar(*events))
    took = time.monotonic() - began
    # The walk of a COUNT rule starts at DTSTART (2015): the file's budget ends it.
    assert any(f"need more than {MAX_STEPS_PER_FILE:,} steps" in m for m in messages)
    assert took < 60, took
    # 99,999 hours from 2015 reach into May 2026: the series walked before the budget
    # ran out show the whole week (167 hours in Berlin), the others nothing.
    assert frame.height % 167 == 0
    assert 0 < frame.height < 2000 * 167


def test_two_thousand_hourly_series_in_the_window_are_all_read() -> None:
    # Starting in the window, 2,000 × 168 hours is real content and within the bounds.
    events = [event(f"h{i}", ":20260323T000000Z", "FREQ=HOURLY;COUNT=99999")
              for i in range(200)]
    frame, messages = read(calendar(*events), tz="UTC")
    assert messages == []
    assert frame.height == 200 * 7 * 24


def test_a_file_over_the_size_limit_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "huge.ics"
    with path.open("wb") as handle:  # sparse: nothing is written
        handle.truncate(ics.MAX_FILE_BYTES + 1)
    with pytest.raises(InvalidCalendar) as raised:
        read(path)
    assert str(raised.value) == (f"{path}: the calendar is 50 MB, more than timeaudit "
                                 "reads (50 MB); export a shorter period")


def test_bytes_over_the_size_limit_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ics, "MAX_FILE_BYTES", 1000)
    data = calendar(*(event(f"e{i}", ":20260324T090000Z") for i in range(20)))
    with pytest.raises(InvalidCalendar, match="more than timeaudit reads"):
        read(data)


# ---------------------------------------------------------------- every cut warns


def test_a_hundred_and_twenty_thousand_rdates_on_one_line_are_cut_with_a_warning() -> None:
    first = datetime(2026, 3, 1, tzinfo=UTC)
    rdates = ",".join((first + timedelta(minutes=i)).strftime("%Y%m%dT%H%M%SZ")
                      for i in range(120_000))
    frame, messages = read(calendar(event("r", ":20260301T000000Z", extra=f"RDATE:{rdates}")),
                           date(2026, 3, 1), date(2026, 8, 1), "UTC")
    assert messages == [
        f"ics:test.ics: 1 recurring series repeats too often; each was cut after "
        f"{MAX_OCCURRENCES_PER_SERIES:,} steps of its rule, so later occurrences are missing"]
    assert 0 < frame.height <= MAX_OCCURRENCES_PER_SERIES


def test_a_yearly_byweekno_rule_that_is_cut_says_so(ics_data: Path) -> None:
    frame, messages = read(ics_data / "yearly_byweekno_every_minute.ics", tz="UTC")
    assert len(messages) == 1
    assert "repeats too often" in messages[0]
    # cut long before the window (weeks 1–15 of 2026 have 151,200 minutes): nothing shown
    # that the rule does not have
    assert frame.height == 0


# ---------------------------------------------------------------- escapes


def test_an_error_line_escapes_terminal_control_characters() -> None:
    data = b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;X=\x1b]0;owned\x07:oops\r\n" \
           b"BEGIN:VTIMEZONE\r\nEND:VCALENDAR\r\n"
    with pytest.raises(InvalidCalendar) as raised:
        read(data)
    message = str(raised.value)
    assert "\x1b" not in message
    assert "\x07" not in message
    assert message.isprintable()


def test_a_warning_escapes_what_could_reorder_a_terminal_line() -> None:
    # icalendar refuses ESC and BEL in a parameter; a right-to-left override passes
    data = calendar(event("z", ";TZID=Evil\u202eZone:20260324T090000"))
    _, messages = read(data)
    assert messages == ["ics:test.ics: unknown time zone Evil\\u202eZone (no VTIMEZONE); its "
                        "times were read in the audit time zone"]


def test_printable_keeps_text_and_escapes_controls() -> None:
    assert printable("Zürich Team\t1") == "Zürich Team\t1"
    assert printable("a\x1b]0;t\x07\u202eb\r\n") == "a\\x1b]0;t\\x07\\u202eb\\x0d\\x0a"


# ------------------------------------------------ the walk near the window


FREQS = ["SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"]
DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@st.composite
def rules(draw: st.DrawFn, *, end: str = "any") -> str:
    freq = draw(st.sampled_from(FREQS))
    parts = [f"FREQ={freq}", f"INTERVAL={draw(st.integers(1, 5))}"]
    if draw(st.booleans()):
        parts.append("BYDAY=" + ",".join(draw(st.lists(st.sampled_from(DAYS), min_size=1,
                                                         max_size=3, unique=True))))
    if freq in ("DAILY", "WEEKLY", "MONTHLY", "YEARLY") and draw(st.booleans()):
        parts.append("BYHOUR=" + ",".join(map(str, draw(st.lists(
            st.integers(0, 23), min_size=1, max_size=3, unique=True)))))
    if freq == "HOURLY" and draw(st.booleans()):
        parts.append("BYMINUTE=" + ",".join(map(str, draw(st.lists(
            st.integers(0, 59), min_size=1, max_size=2, unique=True)))))
    if freq in ("WEEKLY", "MONTHLY") and any(p.startswith("BYDAY") for p in parts) \
            and draw(st.booleans()):
        parts.append(f"BYSETPOS={draw(st.sampled_from([1, -1, 2]))}")
    if freq == "MONTHLY" and draw(st.booleans()):
        parts.append(f"BYMONTHDAY={draw(st.sampled_from([1, 15, 31, -1]))}")
    if draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(DAYS))}")
    kind = draw(st.sampled_from(["count", "until", "none"])) if end == "any" else end
    if kind == "count":
        parts.append(f"COUNT={draw(st.integers(1, 400))}")
    elif kind == "until":
        until = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(
            hours=draw(st.integers(-24 * 400, 24 * 400)))
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%SZ}")
    return ";".join(parts)


SLOW_FREQ = {"SECONDLY": "DAILY", "MINUTELY": "DAILY", "HOURLY": "DAILY"}


def _sane(rule: str) -> str:
    """Sub-daily rules over years are absurd, not interesting: slow them to DAILY."""
    freq = rule.split(";", maxsplit=1)[0].split("=")[1]
    return rule.replace(f"FREQ={freq}", f"FREQ={SLOW_FREQ.get(freq, freq)}", 1)


starts = st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2026, 6, 1)).map(
    lambda d: d.replace(microsecond=0))
zones = st.sampled_from(["Europe/Berlin", "America/New_York", "Pacific/Auckland", "UTC"])


@settings(max_examples=300, deadline=None)
@given(rule=rules(end="none"), dtstart=starts, zone=zones,
       offset=st.integers(0, 24 * 3 * 365), hours=st.integers(1, 24 * 20))
def test_walking_from_the_window_gives_dateutils_dates(rule: str, dtstart: datetime,
                                                       zone: str, offset: int,
                                                       hours: int) -> None:
    first = dtstart.replace(tzinfo=ZoneInfo(zone))
    if rule.startswith(("FREQ=SECONDLY", "FREQ=MINUTELY")):
        offset //= 24 * 60
        hours = min(hours, 3)
    start = first + timedelta(hours=offset)
    stop = start + timedelta(hours=hours)
    original = rrulestr(rule, dtstart=first)
    walk = ics_walk._walk_from_window(original, start)
    expected = original.between(start, stop, inc=True)
    got = [d for d in _takewhile_le(walk, stop) if d >= start]
    assert got == expected


MONTHLY_PARTS = ["", ";BYMONTH=2,3", ";BYMONTH=12", ";BYDAY=-1FR", ";BYDAY=2MO,-2TU",
                 ";BYMONTHDAY=29,30,31;BYSETPOS=-1", ";BYMONTHDAY=-3", ";BYMINUTE=0,30",
                 ";UNTIL=20300101T000000Z"]


@settings(max_examples=200, deadline=None)
@given(rule=rules(end="none").filter(lambda r: r.startswith("FREQ=MONTHLY")),
       more=st.sampled_from(MONTHLY_PARTS), dtstart=starts, zone=zones,
       offset=st.integers(0, 24 * 9 * 365), hours=st.integers(1, 24 * 100))
def test_a_monthly_rule_walked_from_a_later_month_gives_dateutils_dates(
        rule: str, more: str, dtstart: datetime, zone: str, offset: int, hours: int) -> None:
    """MONTHLY rules start at the 1st of a month of theirs (`_later_month`), years after
    DTSTART; the 31st, the last Friday, BYSETPOS and BYMONTH among them."""
    first = dtstart.replace(tzinfo=ZoneInfo(zone))
    start = first + timedelta(hours=offset)
    stop = start + timedelta(hours=hours)
    original = rrulestr(rule + more, dtstart=first)
    walk = ics_walk._walk_from_window(original, start)
    got = [d for d in _takewhile_le(walk, stop) if d >= start]
    assert got == original.between(start, stop, inc=True)


def _takewhile_le(walk, stop: datetime) -> list[datetime]:
    out = []
    for when in walk:
        if when > stop:
            break
        out.append(when)
    return out


def _ics_for(rule: str, dtstart: datetime, zone: str) -> bytes:
    return calendar(event("p", f";TZID={zone}:{dtstart:%Y%m%dT%H%M%S}", rule,
                          extra="DURATION:PT30M"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=rules().map(_sane), dtstart=starts, zone=zones,
       days=st.tuples(st.integers(0, 900), st.integers(1, 60), st.integers(0, 60),
                      st.integers(0, 60)))
def test_widening_the_window_never_changes_what_is_inside(rule: str, dtstart: datetime,
                                                          zone: str, days: tuple) -> None:
    at, length, before, after = days
    narrow_start = date(2023, 1, 1) + timedelta(days=at)
    narrow_end = narrow_start + timedelta(days=length)
    wide = (narrow_start - timedelta(days=before), narrow_end + timedelta(days=after))
    data = _ics_for(rule, dtstart, zone)
    narrow, narrow_messages = read(data, narrow_start, narrow_end, "America/New_York")
    widened, wide_messages = read(data, *wide, "America/New_York")
    assert narrow_messages == wide_messages == []
    lo = datetime(narrow_start.year, narrow_start.month, narrow_start.day,
                  tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    hi = datetime(narrow_end.year, narrow_end.month, narrow_end.day,
                  tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    inside = widened.filter((pl.col("start") < hi) & (pl.col("end") > lo))
    assert inside.select("event_id", "start", "end").rows() == \
        narrow.select("event_id", "start", "end").rows()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rule=rules().filter(lambda r: "COUNT=" in r or "UNTIL=" in r).map(_sane),
       dtstart=starts, zone=zones)
def test_never_more_occurrences_than_dateutil_gives(rule: str, dtstart: datetime,
                                                    zone: str) -> None:
    first = dtstart.replace(tzinfo=ZoneInfo(zone))
    expanded = list(rrulestr(rule, dtstart=first))
    window = (date(2020, 1, 1), date(2031, 1, 1))
    frame, messages = read(_ics_for(rule, dtstart, zone), *window, "Asia/Kolkata")
    assert messages == []
    lo = datetime(2020, 1, 1, tzinfo=ZoneInfo("Asia/Kolkata")) - timedelta(minutes=30)
    hi = datetime(2031, 1, 1, tzinfo=ZoneInfo("Asia/Kolkata"))
    rule_dates = {d.astimezone(UTC) for d in expanded if lo < d < hi}
    seen = frame["start"].to_list()
    assert len(seen) == len(set(seen))
    # DTSTART counts as the first instance (RFC 5545 §3.8.5.3) even where the rule
    # would not give it; nothing else beyond dateutil's dates, and all of them (the
    # window holds the whole series)
    assert rule_dates <= set(seen) <= rule_dates | {first.astimezone(UTC)}
    assert len(seen) <= len(expanded) + 1
    assert len(expanded) == 0 or len(seen) >= len(rule_dates)


# The window test of an occurrence without make_comparable when everything is aware
# (connectors/ics_walk.py `_aware_occurrence`): the same answers and the same exceptions
# as the library's own test, for aware, floating and all-day values in any order.
_BASE = datetime(2026, 3, 29, 1, 0)  # made aware or not below
_TIMES = st.builds(
    lambda minutes, kind, zone: (
        (_BASE + timedelta(minutes=minutes)).date() if kind == "date"
        else (_BASE + timedelta(minutes=minutes)) if kind == "floating"
        else (_BASE + timedelta(minutes=minutes)).replace(tzinfo=ZoneInfo(zone))),
    st.integers(-3000, 3000), st.sampled_from(["aware"] * 4 + ["floating", "date"]),
    st.sampled_from([*ZONES, "UTC"]))


def _answer(test, *args) -> object:
    try:
        return test(*args)
    except Exception as error:  # the kind of failure is what is compared
        return type(error)


@settings(max_examples=2000, deadline=None)
@given(span_start=_TIMES, span_stop=_TIMES, start=_TIMES, end=_TIMES)
def test_the_aware_window_test_answers_as_the_library(span_start, span_stop, start,
                                                       end) -> None:
    from recurring_ical_events.occurrence import Occurrence  # noqa: PLC0415

    aware = ics_walk._aware_occurrence()(None, start, end)
    plain = Occurrence(None, start, end)
    assert _answer(aware.is_in_span, span_start, span_stop) == \
        _answer(plain.is_in_span, span_start, span_stop)
