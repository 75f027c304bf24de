"""Property tests of `read_ics` on calendars generated here (hypothesis).

The generator writes iCalendar text with single and recurring events (DAILY / WEEKLY
RRULEs with INTERVAL, COUNT, UNTIL or no end, BYDAY, EXDATEs and RECURRENCE-ID overrides
that move, shorten or cancel an instance), in a few zones chosen for their DST rules
(Europe/Berlin, America/New_York, Australia/Sydney — southern hemisphere — and zones
without DST), as UTC, floating and all-day times, read in a random audit zone. The
invariants:

Free-form calendars also have RDATEs and RANGE=THISANDFUTURE overrides.

(a) a window split at any instant gives, as the union of the two halves, exactly the
    rows of the whole window (an occurrence straddling the split is in both halves);
(b) the order of the VEVENTs in the file does not matter;
(c) every row has end >= start, overlaps the window, and `event_id` is unique;
    all-day rows start and end at local midnight of the audit zone;
(d) a read from the Parquet cache is identical to the first read and to an uncached one;
(e) for calendars without DST ambiguity (no times within 3 hours of a transition) the
    occurrences equal those of a small independent model: wall-clock steps of
    INTERVAL days or weeks, minus EXDATEs, with overrides applied.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import event as label_example
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from connectors import ics as ics_module
from connectors.ics import CalendarWarning, read_ics
from core import schema as s
from core.period import local_midnight

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
STYLES = ["zoned", "utc", "floating", "all_day"]
# Events start within 50 days of FIRST_DAY; a quarter of the windows fall anywhere in the
# 40 days after WINDOW_FROM, the rest near an occurrence. Both cross the DST
# changes of 2026 (New York 8 March, Berlin 29 March, Sydney 5 April).
FIRST_DAY = date(2026, 2, 20)
EVENT_DAYS = 50
WINDOW_FROM = datetime(2026, 3, 1, tzinfo=UTC)
WINDOW_DAYS = 40
MAX_INDEX = 40  # EXDATEs and overrides pick among the first instances of a series

# TIMEAUDIT_PROPERTY_EXAMPLES=2000 for a longer local search (the model test runs twice as
# many); the default keeps this file well under a minute in CI.
EXAMPLES = int(os.environ.get("TIMEAUDIT_PROPERTY_EXAMPLES", "30"))
PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The only function-scoped fixture is conftest's autouse isolation of XDG dirs;
    # sharing it between examples is what we want (the cache test reads its own writes).
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Override:
    shift: timedelta  # from the original start (days for all-day events)
    length: timedelta
    cancelled: bool
    this_and_future: bool = False  # RECURRENCE-ID;RANGE=THISANDFUTURE


@dataclass
class Event:
    uid: str
    style: str
    zone: str | None
    start: datetime | date  # naive wall time (UTC wall time for "utc"), or a date
    length: timedelta
    freq: str | None = None
    interval: int = 1
    count: int | None = None
    until: int | None = None  # instance index the UNTIL falls on (inclusive)
    byday: list[str] = field(default_factory=list)
    exdates: list[int] = field(default_factory=list)
    rdates: list[timedelta] = field(default_factory=list)  # from DTSTART
    overrides: dict[int, Override] = field(default_factory=dict)

    @property
    def all_day(self) -> bool:
        return self.style == "all_day"

    def step(self) -> timedelta:
        return timedelta(days=self.interval * (7 if self.freq == "WEEKLY" else 1))

    def instance(self, k: int) -> datetime | date:
        return self.start + k * self.step()

    # ---------------------------------------------------------------- text

    def stamp(self, value: datetime | date) -> str:
        """`;PARAMS:VALUE` for a DTSTART-like property."""
        if self.all_day:
            return f";VALUE=DATE:{value:%Y%m%d}"
        if self.style == "zoned":
            return f";TZID={self.zone}:{value:%Y%m%dT%H%M%S}"
        if self.style == "utc":
            return f":{value:%Y%m%dT%H%M%S}Z"
        return f":{value:%Y%m%dT%H%M%S}"

    def until_text(self) -> str:
        assert self.until is not None
        value = self.instance(self.until)
        if self.all_day:
            return f"{value:%Y%m%d}"
        if self.style == "zoned":
            instant = value.replace(tzinfo=ZoneInfo(self.zone)).astimezone(UTC)
            return f"{instant:%Y%m%dT%H%M%S}Z"
        if self.style == "utc":
            return f"{value:%Y%m%dT%H%M%S}Z"
        return f"{value:%Y%m%dT%H%M%S}"

    def blocks(self) -> list[str]:
        """The VEVENT blocks of this event: the master, then one per override."""
        lines = [
            "BEGIN:VEVENT",
            f"UID:{self.uid}",
            "DTSTAMP:20251001T000000Z",
            f"DTSTART{self.stamp(self.start)}",
            f"DTEND{self.stamp(self.start + self.length)}",
            f"SUMMARY:{self.uid.split('@')[0]}",
        ]
        if self.freq:
            rule = f"RRULE:FREQ={self.freq}"
            if self.interval > 1:
                rule += f";INTERVAL={self.interval}"
            if self.count is not None:
                rule += f";COUNT={self.count}"
            if self.until is not None:
                rule += f";UNTIL={self.until_text()}"
            if self.byday:
                rule += f";BYDAY={','.join(self.byday)}"
            lines.append(rule)
            lines.extend(f"EXDATE{self.stamp(self.instance(k))}" for k in self.exdates)
            lines.extend(f"RDATE{self.stamp(self.start + extra)}" for extra in self.rdates)
        lines.append("END:VEVENT")
        blocks = ["\r\n".join(lines)]
        for k, change in sorted(self.overrides.items()):
            original = self.instance(k)
            moved = original + change.shift
            override = [
                "BEGIN:VEVENT",
                f"UID:{self.uid}",
                "DTSTAMP:20251001T000000Z",
                f"RECURRENCE-ID{';RANGE=THISANDFUTURE' if change.this_and_future else ''}"
                f"{self.stamp(original)}",
                f"DTSTART{self.stamp(moved)}",
                f"DTEND{self.stamp(moved + change.length)}",
                f"SUMMARY:{self.uid.split('@')[0]} moved",
                "SEQUENCE:1",
            ]
            if change.cancelled:
                override.append("STATUS:CANCELLED")
            override.append("END:VEVENT")
            blocks.append("\r\n".join(override))
        return blocks


@dataclass
class Calendar:
    events: list[Event]
    audit_zone: str

    def blocks(self) -> list[str]:
        return [block for event in self.events for block in event.blocks()]

    def data(self, blocks: list[str] | None = None) -> bytes:
        body = "\r\n".join(self.blocks() if blocks is None else blocks)
        return (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//timeaudit property tests//EN\r\n"
            f"{body}\r\nEND:VCALENDAR\r\n"
        ).encode()


# ------------------------------------------------------------------ strategies


@st.composite
def events(draw: st.DrawFn, uid: str, *, modelled: bool) -> Event:
    """One event; ``modelled`` keeps it within what `expected_rows` models exactly."""
    style = draw(st.sampled_from(STYLES))
    zone = draw(st.sampled_from(ZONES)) if style == "zoned" else None
    day = FIRST_DAY + timedelta(days=draw(st.integers(0, EVENT_DAYS)))
    if style == "all_day":
        start: datetime | date = day
        length = timedelta(days=draw(st.integers(1, 3)))
    else:
        if modelled:  # 08:00–16:45, at most 4 h: never near a DST change (01:00–03:00)
            clock = time(draw(st.integers(8, 16)), draw(st.sampled_from([0, 15, 30, 45])))
            length = timedelta(minutes=15 * draw(st.integers(0, 16)))
        else:
            clock = time(draw(st.integers(0, 23)), draw(st.integers(0, 59)))
            length = timedelta(minutes=draw(st.integers(0, 26 * 60)))
        start = datetime.combine(day, clock)
    event = Event(uid, style, zone, start, length)
    if draw(st.integers(0, 3)) == 0:
        return event  # a single event

    event.freq = draw(st.sampled_from(["DAILY", "WEEKLY"]))
    event.interval = draw(st.integers(1, 3))
    end_kind = draw(st.sampled_from(["count", "none"] if modelled else
                                    ["count", "none", "until"]))
    if end_kind == "count":
        event.count = draw(st.integers(1, 80))
    elif end_kind == "until":
        event.until = draw(st.integers(0, 60))
    if not modelled and event.freq == "WEEKLY" and draw(st.booleans()):
        event.byday = draw(st.lists(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]),
                                    min_size=1, max_size=3, unique=True))
    limit = min(event.count or MAX_INDEX, (event.until or MAX_INDEX) + 1, MAX_INDEX)
    indices = draw(st.lists(st.integers(0, limit - 1), max_size=6, unique=True))
    cut = draw(st.integers(0, len(indices)))
    event.exdates = sorted(indices[:cut])
    for k in indices[cut:]:
        event.overrides[k] = draw(overrides(event, modelled=modelled))
    if not modelled:
        event.rdates = [timedelta(days=d) for d in
                        draw(st.lists(st.integers(1, 60), max_size=3, unique=True))]
    return event


@st.composite
def overrides(draw: st.DrawFn, event: Event, *, modelled: bool) -> Override:
    if event.all_day:
        shift = timedelta(days=draw(st.integers(-2, 2)))
        new_length = timedelta(days=draw(st.integers(1, 2)))
    elif modelled:
        # stays within 05:00–23:00 of the same day
        assert isinstance(event.start, datetime)
        low = max(-12, (5 - event.start.hour) * 4)
        shift = timedelta(minutes=15 * draw(st.integers(low, 12)))
        new_length = timedelta(minutes=15 * draw(st.integers(0, 8)))
    else:
        shift = timedelta(minutes=draw(st.integers(-48 * 60, 48 * 60)))
        new_length = timedelta(minutes=draw(st.integers(0, 8 * 60)))
    future = not modelled and draw(st.integers(0, 4)) == 0
    return Override(shift, new_length, draw(st.booleans()), future)


@st.composite
def calendars(draw: st.DrawFn, *, modelled: bool = False) -> Calendar:
    n = draw(st.integers(1, 8))
    return Calendar(
        [draw(events(f"ev{i}@props.test", modelled=modelled)) for i in range(n)],
        draw(st.sampled_from(ZONES)),
    )


@st.composite
def windows(draw: st.DrawFn, calendar: Calendar) -> tuple[datetime, datetime]:
    """A window, mostly placed around an occurrence of one of the events (else few hold any)."""
    if draw(st.sampled_from(["hours", "days", "days", "days"])) == "hours":
        minutes = draw(st.integers(1, 24 * 60))
    else:
        minutes = draw(st.integers(24 * 60, 21 * 24 * 60))
    if draw(st.integers(0, 3)) == 0:
        start = WINDOW_FROM + timedelta(minutes=draw(st.integers(0, WINDOW_DAYS * 24 * 60)))
    else:
        event = draw(st.sampled_from(calendar.events))
        k = draw(st.integers(0, (event.count or 20) - 1)) if event.freq else 0
        anchor = event.instance(k)
        if not isinstance(anchor, datetime):
            anchor = datetime.combine(anchor, time())
        # naive wall time taken as UTC: within a day of the instant, so around it
        start = anchor.replace(tzinfo=UTC) - timedelta(minutes=draw(st.integers(0, minutes)))
    return start, start + timedelta(minutes=minutes)


@st.composite
def scenarios(draw: st.DrawFn, *, modelled: bool = False,
              ) -> tuple[Calendar, tuple[datetime, datetime]]:
    calendar = draw(calendars(modelled=modelled))
    return calendar, draw(windows(calendar))


Scenario = tuple[Calendar, tuple[datetime, datetime]]

# ------------------------------------------------------------------ helpers


def read(data: bytes, start: datetime, end: datetime, zone: str, *,
         use_cache: bool = False) -> pl.DataFrame:
    with warnings.catch_warnings():
        # Nothing generated here is malformed: a CalendarWarning is a finding, not noise.
        warnings.simplefilter("error", CalendarWarning)
        return read_ics(data, start=start, end=end, tz=zone, use_cache=use_cache)


def canonical(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort(s.START, s.END, s.EVENT_ID, s.TITLE, s.STATUS)


def keys(frame: pl.DataFrame) -> set[tuple[str, datetime]]:
    return set(frame.select(s.EVENT_ID, s.START).iter_rows())


# ------------------------------------------------------------------ (a) split windows


@PROPERTY_SETTINGS
@given(scenario=scenarios(), where=st.floats(0.001, 0.999))
def test_a_split_window_gives_the_same_occurrences(scenario: Scenario, where: float) -> None:
    calendar, (start, end) = scenario
    middle = start + (end - start) * where
    if not start < middle < end:  # rounding to whole microseconds
        middle = start + (end - start) / 2
    data = calendar.data()
    whole = read(data, start, end, calendar.audit_zone)
    label_example(f"rows: {min(whole.height, 10)}{'+' if whole.height >= 10 else ''}")
    left = read(data, start, middle, calendar.audit_zone)
    right = read(data, middle, end, calendar.audit_zone)

    assert keys(left) | keys(right) == keys(whole)
    # Rows in both halves (straddling the split) are the same rows, field for field.
    union = pl.concat([left, right]).unique(maintain_order=True)
    assert_frame_equal(canonical(union), canonical(whole))
    straddling = whole.filter((pl.col(s.START) < middle) & (pl.col(s.END) > middle))
    assert keys(straddling) == keys(left) & keys(right)


# ------------------------------------------------------------------ (b) VEVENT order


@PROPERTY_SETTINGS
@given(scenario=scenarios(), data=st.data())
def test_the_order_of_vevents_does_not_matter(scenario: Scenario, data: st.DataObject) -> None:
    calendar, (start, end) = scenario
    blocks = calendar.blocks()
    shuffled = data.draw(st.permutations(blocks), label="shuffled VEVENTs")
    in_order = read(calendar.data(blocks), start, end, calendar.audit_zone)
    ics_module.clear_memory_cache()
    reordered = read(calendar.data(shuffled), start, end, calendar.audit_zone)
    assert_frame_equal(reordered, in_order)


# ------------------------------------------------------------------ (c) row invariants


@PROPERTY_SETTINGS
@given(scenario=scenarios())
def test_every_row_is_well_formed(scenario: Scenario) -> None:
    calendar, (start, end) = scenario
    frame = s.validate_events(read(calendar.data(), start, end, calendar.audit_zone))
    zone = ZoneInfo(calendar.audit_zone)

    assert frame.filter(pl.col(s.END) < pl.col(s.START)).height == 0
    assert frame[s.EVENT_ID].is_unique().all(), frame[s.EVENT_ID].value_counts()
    assert frame.select(s.EVENT_ID, s.START).is_unique().all()
    for row in frame.iter_rows(named=True):
        # overlaps [start, end); a zero-length occurrence counts when it starts inside
        assert row[s.START] < end
        assert row[s.END] > start or (row[s.END] == row[s.START] >= start)
        uid = row[s.EVENT_ID].split("@props.test")[0] + "@props.test"
        assert row[s.EVENT_ID] == uid or row[s.EVENT_ID].startswith(uid + "@")
        assert row[s.SERIES_ID] in (None, uid)
        if row[s.ALL_DAY]:
            first = row[s.START].astimezone(zone).date()
            last = row[s.END].astimezone(zone).date()
            assert row[s.START] == local_midnight(first, zone)
            assert row[s.END] == local_midnight(last, zone)
            assert last > first


# ------------------------------------------------------------------ (d) cache


@PROPERTY_SETTINGS
@given(scenario=scenarios())
def test_a_cached_read_is_identical(scenario: Scenario) -> None:
    calendar, (start, end) = scenario
    data = calendar.data()
    first = read(data, start, end, calendar.audit_zone, use_cache=True)
    ics_module.clear_memory_cache()
    cached = read(data, start, end, calendar.audit_zone, use_cache=True)
    assert_frame_equal(cached, first)
    assert_frame_equal(read(data, start, end, calendar.audit_zone), first)


# ------------------------------------------------------------------ (e) a model


def expected_rows(calendar: Calendar, start: datetime,
                  end: datetime) -> set[tuple[str, datetime, datetime, str, str]]:
    """(event_id, start, end, status, title) of every occurrence overlapping [start, end)."""
    audit = ZoneInfo(calendar.audit_zone)
    rows = set()
    for event in calendar.events:
        zone = {"zoned": ZoneInfo(event.zone or "UTC"), "utc": UTC,
                "floating": audit}.get(event.style, audit)

        def instant(value: datetime | date, zone: ZoneInfo = zone) -> datetime:
            if isinstance(value, datetime):
                return value.replace(tzinfo=zone).astimezone(UTC)
            return local_midnight(value, audit)

        def original_id(value: datetime | date, event: Event = event) -> str:
            if isinstance(value, datetime):
                return f"{event.uid}@{instant(value):%Y-%m-%dT%H:%M:%SZ}"
            return f"{event.uid}@{value.isoformat()}"

        title = event.uid.split("@")[0]
        if event.freq is None:
            candidates = [(event.uid, event.start, event.length, "confirmed", title)]
        else:
            candidates = []
            k = 0
            while (event.count is None or k < event.count) and \
                    instant(event.instance(k)) < end + timedelta(days=3):
                original = event.instance(k)
                if k in event.overrides:
                    change = event.overrides[k]
                    candidates.append((original_id(original), original + change.shift,
                                       change.length,
                                       "cancelled" if change.cancelled else "confirmed",
                                       f"{title} moved"))
                elif k not in event.exdates:
                    candidates.append((original_id(original), original, event.length,
                                       "confirmed", title))
                k += 1
        for event_id, begin, length, status, summary in candidates:
            first, last = instant(begin), instant(begin + length)
            if first < end and (last > start or (last == first >= start)):
                rows.add((event_id, first, last, status, summary))
    return rows


@settings(PROPERTY_SETTINGS, max_examples=2 * EXAMPLES)
@given(scenario=scenarios(modelled=True))
def test_occurrences_match_a_simple_model(scenario: Scenario) -> None:
    calendar, (start, end) = scenario
    frame = read(calendar.data(), start, end, calendar.audit_zone)
    label_example(f"rows: {min(frame.height, 10)}{'+' if frame.height >= 10 else ''}")
    got = set(frame.select(s.EVENT_ID, s.START, s.END, s.STATUS, s.TITLE).iter_rows())
    expected = expected_rows(calendar, start, end)
    assert got == expected, (sorted(got - expected), sorted(expected - got))


# ------------------------------------------------------------------ (b) found by hand

DUPLICATE_UID_A = (
    "BEGIN:VEVENT\r\nUID:twice@props.test\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART:20260324T090000Z\r\nDTEND:20260324T100000Z\r\nSUMMARY:A\r\nEND:VEVENT"
)
DUPLICATE_UID_B = DUPLICATE_UID_A.replace("20260324", "20260325").replace(":A", ":B")


def test_duplicate_uids_do_not_make_the_order_matter() -> None:
    calendar = Calendar([], "UTC")
    frames = []
    for blocks in ([DUPLICATE_UID_A, DUPLICATE_UID_B], [DUPLICATE_UID_B, DUPLICATE_UID_A]):
        ics_module.clear_memory_cache()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CalendarWarning)  # a fix may well warn
            frames.append(read_ics(calendar.data(blocks), start=date(2026, 3, 23),
                                   end=date(2026, 3, 30), tz="UTC", use_cache=False))
    assert_frame_equal(canonical(frames[0]), canonical(frames[1]))


def custom_zone_calendar(offset: str) -> bytes:
    """An Office 365 style "Customized Time Zone" with a fixed offset, and one event at 09:00."""
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//timeaudit property tests//EN\r\n"
        "BEGIN:VTIMEZONE\r\nTZID:Customized Time Zone\r\nBEGIN:STANDARD\r\n"
        f"DTSTART:16010101T000000\r\nTZOFFSETFROM:{offset}\r\nTZOFFSETTO:{offset}\r\n"
        "END:STANDARD\r\nEND:VTIMEZONE\r\n"
        "BEGIN:VEVENT\r\nUID:nine@props.test\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART;TZID=Customized Time Zone:20260324T090000\r\n"
        "DTEND;TZID=Customized Time Zone:20260324T100000\r\nSUMMARY:nine\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def test_a_calendar_does_not_change_how_the_next_one_is_read() -> None:
    start, end = datetime(2026, 3, 23, tzinfo=UTC), datetime(2026, 3, 30, tzinfo=UTC)
    icalendar.use_zoneinfo()  # whatever other tests left in icalendar's global cache
    try:
        read(custom_zone_calendar("+0100"), start, end, "UTC")
        new_york_like = read(custom_zone_calendar("-0500"), start, end, "UTC")
    finally:
        icalendar.use_zoneinfo()  # forget the custom zone again (the global cache)
    assert new_york_like[s.START].to_list() == [datetime(2026, 3, 24, 14, tzinfo=UTC)]
