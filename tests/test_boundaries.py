"""Boundaries (SPEC §7): DST-aware working windows, days off, and the six violation types."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import polars as pl
import pytest
from engine_frames import BERLIN, TZ, at, event, events
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from audit.accounting import attribute_time, attributed_pieces
from audit.boundaries import VIOLATION_SCHEMA, find_violations, working_windows
from audit.config import WEEKDAYS, Boundaries, Config, ProtectedBlock, TimeRange
from core.period import Period

WEEKDAYS_ONLY = WEEKDAYS[:5]
DINNER = ProtectedBlock("Family dinner", WEEKDAYS_ONLY, TimeRange(time(18), time(20)))
CONFIG = Config(timezone=TZ, boundaries=Boundaries(no_meeting_days=("wednesday",),
                                                   protected=(DINNER,)))
MARCH = Period(date(2026, 3, 23), date(2026, 3, 30), TZ)  # Mon 23 … Sun 29 (23 h)
OCTOBER = Period(date(2026, 10, 19), date(2026, 10, 26), TZ)  # Mon 19 … Sun 25 (25 h)



def utc(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=UTC)



def all_day(event_id: str, first: str, after_last: str, **fields: object) -> dict:
    return event(event_id, at(first, "00:00"), at(after_last, "00:00"), all_day=True, **fields)



def with_hours(**hours: str) -> Config:
    """CONFIG with some weekdays' working hours replaced ("" = not a working day)."""
    working = dict(CONFIG.working_hours)
    for day, text in hours.items():
        if text:
            start, end = (time.fromisoformat(part) for part in text.split("-"))
            working[day] = TimeRange(start, end)
        else:
            working[day] = None
    return replace(CONFIG, working_hours=working)


def violations(frame: pl.DataFrame, config: Config = CONFIG,
               period: Period = MARCH) -> list[tuple[str, str, float, str | None]]:
    windows = working_windows(config, period, frame)
    attributed = attribute_time(frame.lazy(), config, period)
    found = find_violations(attributed, windows, config, period)
    assert found.schema == VIOLATION_SCHEMA
    return [(d.isoformat(), kind, round(minutes, 6), eid)
            for d, kind, minutes, eid, _, _ in found.iter_rows()]


def windows_of(frame: pl.DataFrame, config: Config = CONFIG, period: Period = MARCH) -> dict:
    """date → [(start UTC, end UTC)] or the reason it is not a working day."""
    out: dict[str, list | str] = {}
    for row in working_windows(config, period, frame).iter_rows(named=True):
        key = row["date"].isoformat()
        if row["working"]:
            out.setdefault(key, []).append((row["window_start"], row["window_end"]))
        else:
            out[key] = row["reason"]
    return out


# --- working windows ------------------------------------------------------------------

def test_default_week_has_five_windows_in_local_time():
    got = windows_of(events())
    assert got["2026-03-23"] == [(utc("2026-03-23", "08:00"), utc("2026-03-23", "16:30"))]
    assert got["2026-03-28"] == got["2026-03-29"] == "no working hours"
    assert violations(events()) == []
    after_switch = windows_of(events(), period=Period(date(2026, 3, 30), date(2026, 3, 31), TZ))
    assert after_switch["2026-03-30"] == [(utc("2026-03-30", "07:00"), utc("2026-03-30", "15:30"))]


@pytest.mark.parametrize(
    ("hours", "period", "day", "window"),
    [
        ("01:00-05:00", MARCH, "2026-03-29", ("00:00", "03:00")),  # 3 h: 02:00 → 03:00
        ("01:00-05:00", OCTOBER, "2026-10-25", ("23:00", "04:00")),  # 5 h: 03:00 twice
        # 02:30 does not exist in spring: the window starts when the clocks jump, 03:00.
        ("02:30-04:00", MARCH, "2026-03-29", ("01:00", "02:00")),
        # 02:30 happens twice in autumn: the window starts at the first one.
        ("02:30-04:00", OCTOBER, "2026-10-25", ("00:30", "03:00")),
    ],
)
def test_windows_on_dst_days(hours, period, day, window):
    got = windows_of(events(), with_hours(sunday=hours), period)
    start_day = "2026-10-24" if window[0] == "23:00" else day
    assert got[day] == [(utc(start_day, window[0]), utc(day, window[1]))]


def test_a_window_that_wraps_midnight_belongs_to_its_first_day():
    config = with_hours(monday="22:00-06:00")
    got = windows_of(events(), config)
    assert got["2026-03-23"] == [(utc("2026-03-23", "21:00"), utc("2026-03-24", "05:00"))]
    shift = events(event("shift", at("2026-03-23", "23:00"), at("2026-03-24", "05:00")))
    assert violations(shift, config) == []


def test_all_day_days_off():
    frame = events(
        all_day("trip", "2026-03-24", "2026-03-27", title="Vacation", busy=False),  # Tue-Thu
        all_day("away", "2026-03-23", "2026-03-24", title="Conference", kind="out_of_office"),
        all_day("party", "2026-03-27", "2026-03-28", title="Company holiday",
                response="declined"),
        all_day("offsite", "2026-03-27", "2026-03-28", title="Team offsite"),
        all_day("dropped", "2026-03-27", "2026-03-28", title="PTO", status="cancelled"),
        all_day("saturday", "2026-03-28", "2026-03-29", title="Holiday"),
    )
    got = windows_of(frame)
    assert [got[f"2026-03-{d}"] for d in (23, 24, 25, 26)] == ["day off"] * 4
    assert got["2026-03-27"] == [(utc("2026-03-27", "08:00"), utc("2026-03-27", "16:30"))]
    assert got["2026-03-28"] == "no working hours"


def test_timed_out_of_office_removes_part_of_a_window():
    frame = events(
        event("dentist", at("2026-03-26", "12:00"), at("2026-03-26", "14:00"),
              kind="out_of_office"),
        event("sick", at("2026-03-25", "08:00"), at("2026-03-25", "18:00"), kind="out_of_office"),
        event("am", at("2026-03-24", "09:00"), at("2026-03-24", "13:00"), kind="out_of_office"),
        event("pm", at("2026-03-24", "12:00"), at("2026-03-24", "17:30"), kind="out_of_office"),
        event("cancelled", at("2026-03-23", "10:00"), at("2026-03-23", "11:00"),
              kind="out_of_office", status="cancelled"),
        event("declined", at("2026-03-23", "12:00"), at("2026-03-23", "13:00"),
              kind="out_of_office", response="declined"),
        # a timed OOO over the weekend, the way Google writes them
        event("weekend", at("2026-03-27", "15:00"), at("2026-03-30", "10:00"),
              kind="out_of_office"),
    )
    got = windows_of(frame)
    assert got["2026-03-23"] == [(utc("2026-03-23", "08:00"), utc("2026-03-23", "16:30"))]
    assert got["2026-03-24"] == got["2026-03-25"] == "out of office"
    assert got["2026-03-26"] == [(utc("2026-03-26", "08:00"), utc("2026-03-26", "11:00")),
                                 (utc("2026-03-26", "13:00"), utc("2026-03-26", "16:30"))]
    assert got["2026-03-27"] == [(utc("2026-03-27", "08:00"), utc("2026-03-27", "14:00"))]
    work = events(*frame.iter_rows(named=True),
                  event("call", at("2026-03-26", "13:00"), at("2026-03-26", "13:30")),
                  event("anyway", at("2026-03-25", "10:00"), at("2026-03-25", "11:00")))
    assert violations(work) == [("2026-03-25", "non_working_day", 60.0, "anyway"),
                                ("2026-03-26", "after_hours", 30.0, "call")]


# --- each violation type alone --------------------------------------------------------

def test_after_hours_alone():
    frame = events(event("A", at("2026-03-23", "17:00"), at("2026-03-23", "18:00")))
    assert violations(frame) == [("2026-03-23", "after_hours", 30.0, "A")]


def test_late_night_alone():
    frame = events(event("A", at("2026-03-24", "22:30"), at("2026-03-24", "23:30")))
    assert violations(frame) == [("2026-03-24", "late_night", 60.0, "A")]


def test_non_working_day_alone():
    frame = events(event("A", at("2026-03-28", "10:00"), at("2026-03-28", "12:00")))
    assert violations(frame) == [("2026-03-28", "non_working_day", 120.0, "A")]


def test_protected_time_alone_even_inside_working_hours():
    lunch = ProtectedBlock("Lunch", WEEKDAYS_ONLY, TimeRange(time(12), time(13)))
    config = replace(CONFIG, boundaries=replace(CONFIG.boundaries, protected=(lunch,)))
    frame = events(event("A", at("2026-03-23", "12:15"), at("2026-03-23", "12:45")),
                   event("weekend", at("2026-03-28", "12:00"), at("2026-03-28", "12:30"),
                         domain="life"))
    assert violations(frame, config) == [("2026-03-23", "protected_time", 30.0, "A")]


def test_no_meeting_day_alone():
    frame = events(
        event("sync", at("2026-03-25", "10:00"), at("2026-03-25", "11:00"), attendees=1),
        event("solo", at("2026-03-25", "11:00"), at("2026-03-25", "12:00")),
        event("lunch", at("2026-03-25", "12:00"), at("2026-03-25", "13:00"), attendees=2,
              domain="life"),
        event("thursday", at("2026-03-26", "10:00"), at("2026-03-26", "11:00"), attendees=4),
        # the meeting's minutes are its attributed minutes: half of the overlap
        event("overlap", at("2026-03-25", "10:30"), at("2026-03-25", "11:30"), attendees=1),
    )
    # sync: 30 alone + 15 shared with overlap; overlap: 15 + 15 shared with solo
    assert violations(frame) == [("2026-03-25", "no_meeting_day", 30.0, "overlap"),
                                 ("2026-03-25", "no_meeting_day", 45.0, "sync")]


def test_long_day_alone_names_the_event_that_ends_last():
    config = with_hours(thursday="07:00-19:00")
    frame = events(event("early", at("2026-03-26", "07:30"), at("2026-03-26", "08:00")),
                   event("late", at("2026-03-26", "18:00"), at("2026-03-26", "18:30"),
                         domain="work"),
                   event("gym", at("2026-03-26", "18:30"), at("2026-03-26", "21:00"),
                         domain="life"))
    # 07:30 → 18:30 is 11 h, one over; life time does not lengthen a work day.
    assert [v for v in violations(frame, config) if v[1] == "long_day"] == [
        ("2026-03-26", "long_day", 60.0, "late")]
    exactly_ten = events(event("a", at("2026-03-26", "08:00"), at("2026-03-26", "08:30")),
                         event("b", at("2026-03-26", "17:30"), at("2026-03-26", "18:00")))
    assert [v for v in violations(exactly_ten, config) if v[1] == "long_day"] == []


def test_the_default_boundaries_have_no_protected_blocks():
    frame = events(event("A", at("2026-03-25", "17:00"), at("2026-03-25", "19:00"),
                         attendees=3))
    assert violations(frame, Config(timezone=TZ)) == [("2026-03-25", "after_hours", 90.0, "A")]


def test_other_domains_never_violate():
    frame = events(
        event("life", at("2026-03-23", "21:00"), at("2026-03-23", "23:00"), domain="life"),
        event("walk", at("2026-03-28", "10:00"), at("2026-03-28", "11:00"),
              domain="integrated", attendees=1),
        event("what", at("2026-03-24", "19:00"), at("2026-03-24", "19:30"),
              domain="unclassified"),
    )
    assert violations(frame) == []


# --- combined -------------------------------------------------------------------------

def test_evening_into_the_night_and_a_meeting_the_next_morning():
    frame = events(
        event("release", at("2026-03-24", "16:00"), at("2026-03-25", "01:00")),  # Tue → Wed
        event("retro", at("2026-03-25", "10:00"), at("2026-03-25", "11:00"), attendees=2),
    )
    assert violations(frame) == [
        # 17:30-22:00 outside the window; 22:00-24:00 late; 18:00-20:00 protected on top
        ("2026-03-24", "after_hours", 270.0, "release"),
        ("2026-03-24", "late_night", 120.0, "release"),
        ("2026-03-24", "protected_time", 120.0, "release"),
        ("2026-03-25", "late_night", 60.0, "release"),
        # 00:00-01:00 belongs to Tuesday's work day (16:00 → 01:00, 9 h): no long day on
        # Wednesday (it would be 00:00 → 11:00 by local dates)
        ("2026-03-25", "no_meeting_day", 60.0, "retro"),
    ]


def test_friday_night_into_saturday_is_a_non_working_day_after_midnight():
    frame = events(event("deploy", at("2026-03-27", "20:00"), at("2026-03-28", "02:00")))
    assert violations(frame) == [
        ("2026-03-27", "after_hours", 120.0, "deploy"),
        ("2026-03-27", "late_night", 120.0, "deploy"),
        ("2026-03-28", "non_working_day", 120.0, "deploy"),
    ]


def test_overlaps_share_the_violation():
    frame = events(
        event("A", at("2026-03-23", "17:00"), at("2026-03-23", "18:00")),
        event("B", at("2026-03-23", "17:15"), at("2026-03-23", "18:15"), domain="life"),
        event("C", at("2026-03-23", "17:45"), at("2026-03-23", "18:15")),
    )
    # outside from 17:30: A has 17:30-17:45 with B (7.5) and 17:45-18:00 with B, C (5);
    # C has 17:45-18:00 (5) and 18:00-18:15 with B (7.5), which is also protected time.
    assert violations(frame) == [
        ("2026-03-23", "after_hours", 12.5, "A"),
        ("2026-03-23", "after_hours", 12.5, "C"),
        ("2026-03-23", "protected_time", 7.5, "C"),
    ]


@pytest.mark.parametrize(
    ("period", "day", "late"),
    [(MARCH, "2026-03-29", 300.0), (OCTOBER, "2026-10-25", 420.0)],
)
def test_late_night_on_a_dst_night_counts_elapsed_minutes(period, day, late):
    config = with_hours(sunday="09:00-17:00")
    frame = events(event("incident", at(day, "00:00"), at(day, "07:00")))
    assert violations(frame, config, period) == [
        (day, "after_hours", 60.0, "incident"),
        (day, "late_night", late, "incident"),
    ]


@pytest.mark.parametrize(("period", "day", "long"), [(MARCH, "2026-03-28", []),
                                                     (OCTOBER, "2026-10-24", [30.0])])
def test_long_day_uses_elapsed_time_on_dst_days(period, day, long):
    config = with_hours(saturday="00:00-23:00")
    # Saturday's work day runs to Sunday 06:00 and holds the night the clocks change:
    # 20:00 → 05:30 is 9.5 h on the wall, 8.5 h in spring, 10.5 h in autumn
    sunday = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    frame = events(event("a", at(day, "20:00"), at(day, "20:30")),
                   event("b", at(sunday, "05:00"), at(sunday, "05:30")))
    assert [(v[0], v[2]) for v in violations(frame, config, period)
            if v[1] == "long_day"] == [(day, m) for m in long]


def test_a_night_of_work_is_one_long_day_not_two():
    """SPEC §7: late-night work belongs to the work day it continues (06:00–06:00)::

        Tue 08:00 [== day ==) 18:00    23:40 [= incident =) 01:10 Wed    Wed 09:00 [= standup
        Tuesday's work day: 08:00 → 01:10 = 17 h 10 → long by 430 min; Wednesday's starts
        09:00: no long day, and the incident is no meeting on no-meeting Wednesday
    """
    frame = events(
        event("day", at("2026-03-24", "08:00"), at("2026-03-24", "18:00")),
        event("incident", at("2026-03-24", "23:40"), at("2026-03-25", "01:10"), attendees=3),
        event("standup", at("2026-03-25", "09:00"), at("2026-03-25", "09:15")),
    )
    found = violations(frame)
    assert [v for v in found if v[1] in ("long_day", "no_meeting_day")] == [
        ("2026-03-24", "long_day", 430.0, "incident")]


def test_a_meeting_past_midnight_is_one_no_meeting_row_of_its_work_day():
    # Wednesday (no-meeting) 23:40 → Thursday 01:10: two local dates, one work day
    frame = events(event("call", at("2026-03-25", "23:40"), at("2026-03-26", "01:10"),
                         attendees=2))
    assert [v for v in violations(frame) if v[1] == "no_meeting_day"] == [
        ("2026-03-25", "no_meeting_day", 90.0, "call")]


def test_the_first_morning_belongs_to_the_work_day_before_the_period():
    frame = events(event("night", at("2026-03-23", "01:00"), at("2026-03-23", "11:30")))
    # Monday 01:00-06:00 is Sunday's work day (last week's); Monday's is 06:00 → 11:30
    assert [v for v in violations(frame) if v[1] == "long_day"] == []


def test_a_late_night_that_does_not_wrap_midnight_keeps_local_dates():
    config = replace(CONFIG, boundaries=replace(CONFIG.boundaries,
                                                late_night=TimeRange(time(21), time(23, 59))))
    frame = events(event("a", at("2026-03-24", "00:30"), at("2026-03-24", "11:00")))
    assert [v for v in violations(frame, config) if v[1] == "long_day"] == [
        ("2026-03-24", "long_day", 30.0, "a")]




# --- properties -----------------------------------------------------------------------

PROPERTY_CONFIG = replace(CONFIG, boundaries=replace(CONFIG.boundaries,
                                                     no_meeting_days=("monday",)))
PROPERTY_PERIOD = Period(date(2026, 10, 23), date(2026, 10, 27), TZ)  # Fri … Mon, DST Sun
P0, P1 = PROPERTY_PERIOD.utc_bounds()
SPAN = int((P1 - P0).total_seconds() // 60)
MONDAY_WINDOW = (int((utc("2026-10-26", "08:00") - P0).total_seconds() // 60),
                 int((utc("2026-10-26", "16:30") - P0).total_seconds() // 60))

random_event = st.tuples(
    st.integers(-120, SPAN + 60),
    st.integers(0, 700),
    st.sampled_from(["work", "work", "life", "integrated"]),
    st.integers(0, 2),  # attendees
)


def random_frame(draws: list[tuple], extra: tuple = ()) -> pl.DataFrame:
    return events(*(
        event(f"e{i}", P0 + timedelta(minutes=s), P0 + timedelta(minutes=s + n), domain=d,
              attendees=a)
        for i, (s, n, d, a) in enumerate([*draws, *extra])
    ))


def reference(draws: list[tuple]) -> dict[tuple[str, str, str], float]:
    """Minute by minute, from the definitions of §6 and §7 and the default hours."""
    counted = [(f"e{i}", s, s + n, d, a) for i, (s, n, d, a) in enumerate(draws)]
    found: dict[tuple[str, str, str], float] = defaultdict(float)
    span: dict[date, list[tuple[int, int, str]]] = defaultdict(list)
    for minute in range(SPAN):
        covering = [c for c in counted if c[1] <= minute < c[2]]
        local = (P0 + timedelta(minutes=minute)).astimezone(BERLIN)
        day, clock = local.date(), local.time()
        # long days and no-meeting days are judged per work day, 06:00–06:00 (§7)
        work_day = day - timedelta(days=1) if clock < time(6) else day
        working = day.weekday() < 5
        for eid, _, _, domain, attendees in covering:
            if domain != "work":
                continue
            share = 1 / len(covering)
            if work_day >= PROPERTY_PERIOD.start:
                span[work_day].append((minute, minute + 1, eid))
            if not working:
                found[day.isoformat(), "non_working_day", eid] += share
            elif not time(9) <= clock < time(17, 30):
                late = clock >= time(22) or clock < time(6)
                found[day.isoformat(), "late_night" if late else "after_hours", eid] += share
            if working and time(18) <= clock < time(20):
                found[day.isoformat(), "protected_time", eid] += share
            if work_day.weekday() == 0 and attendees and work_day >= PROPERTY_PERIOD.start:
                found[work_day.isoformat(), "no_meeting_day", eid] += share
    for day, minutes in span.items():
        first, last = min(m[0] for m in minutes), max(m[1] for m in minutes)
        if last - first > 600:
            ends = [m for m in minutes if m[1] == last]
            found[day.isoformat(), "long_day", max(m[2] for m in ends)] += last - first - 600
    return dict(found)


def found_violations(frame: pl.DataFrame) -> pl.DataFrame:
    windows = working_windows(PROPERTY_CONFIG, PROPERTY_PERIOD, frame)
    attributed = attribute_time(frame.lazy(), PROPERTY_CONFIG, PROPERTY_PERIOD)
    return find_violations(attributed, windows, PROPERTY_CONFIG, PROPERTY_PERIOD)


@settings(deadline=None, max_examples=50)
@given(st.lists(random_event, max_size=10), st.randoms(use_true_random=False))
def test_violations_match_a_minute_grid_whatever_the_row_order(draws, rnd):
    frame = random_frame(draws)
    found = found_violations(frame)
    got = {(d.isoformat(), kind, eid): minutes for d, kind, minutes, eid, _, _ in found.rows()}
    assert got == pytest.approx(reference(draws))
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=rnd.randrange(2**32))
    assert_frame_equal(found_violations(shuffled), found)


@settings(deadline=None, max_examples=50)
@given(st.lists(random_event, max_size=8), st.data())
def test_work_inside_the_window_is_never_outside_it(draws, data):
    start = data.draw(st.integers(MONDAY_WINDOW[0], MONDAY_WINDOW[1] - 1))
    length = data.draw(st.integers(1, MONDAY_WINDOW[1] - start))
    inside = (start, length, "work", 0)
    found = found_violations(random_frame(draws, (inside,)))
    mine = found.filter(pl.col("event_id") == f"e{len(draws)}")
    assert set(mine["type"]) <= {"protected_time", "no_meeting_day", "long_day"}


@settings(deadline=None, max_examples=80)
@given(st.lists(st.tuples(st.integers(0, 2), st.sampled_from(["after_hours", "long_day"]),
                          st.sampled_from(["a", "b", None]), st.sampled_from(["T", "U", None]),
                          st.integers(1, 90)), max_size=14))
def test_rows_merged_per_event_and_day_as_a_grouping_merges_them(draws) -> None:
    """`_one_row_per_event_and_day` (only rows next to one with the same date, type and
    event id are grouped) gives what grouping every row by its five keys gives, in the
    order of date, type and event id."""
    from audit.boundaries import _one_row_per_event_and_day  # noqa: PLC0415

    types = pl.Enum(sorted({"after_hours", "long_day"}))
    rows = pl.DataFrame(
        [(date(2026, 3, 23) + timedelta(days=d), t, float(m), e, title, "Work")
         for d, t, e, title, m in draws],
        schema=VIOLATION_SCHEMA, orient="row",
    ).with_columns(pl.col("type").cast(types)).sort("date", "type", "event_id")
    keys = ["date", "type", "event_id", "title", "calendar"]
    merged = _one_row_per_event_and_day(rows)
    grouped = rows.group_by(keys).agg(pl.col("minutes").sum()).select(rows.columns)
    assert_frame_equal(merged.sort(keys, nulls_last=True), grouped.sort(keys, nulls_last=True))
    assert merged.equals(merged.sort("date", "type", "event_id", maintain_order=True))


@settings(deadline=None, max_examples=50)
@given(st.lists(random_event, max_size=10))
def test_violations_of_narrow_pieces_equal_those_of_the_wide_ones(draws):
    """`run_audit` hands `find_violations` the narrow pieces of `attributed_pieces` and the
    occurrences they number; the rows are those of the wide `attribute_time`, to the bit."""
    frame = random_frame(draws)
    windows = working_windows(PROPERTY_CONFIG, PROPERTY_PERIOD, frame)
    events, pieces, sweep = attributed_pieces(frame.lazy(), PROPERTY_CONFIG, PROPERTY_PERIOD)
    narrow = find_violations(pieces, windows, PROPERTY_CONFIG, PROPERTY_PERIOD, sweep, events)
    assert_frame_equal(narrow, found_violations(frame), check_exact=True)
