"""Focus time (SPEC §8): gaps, scheduled focus blocks and fragmentation in working windows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, time, timedelta

import polars as pl
import pytest
from engine_frames import BERLIN, TZ, at, event, events
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from audit.accounting import mark_counted
from audit.boundaries import working_windows
from audit.config import Config, Counting, Focus, TimeRange
from audit.focus import FOCUS_COLUMNS, focus_by_day
from core.period import Period

CONFIG = Config(timezone=TZ)
MARCH = Period(date(2026, 3, 23), date(2026, 3, 30), TZ)  # Mon 23 … Sun 29 (23 h)
OCTOBER = Period(date(2026, 10, 19), date(2026, 10, 26), TZ)  # Mon 19 … Sun 25 (25 h)
MONDAY = "2026-03-23"





def sunday_hours(text: str) -> Config:
    start, end = (time.fromisoformat(part) for part in text.split("-"))
    return replace(CONFIG, working_hours={**CONFIG.working_hours,
                                          "sunday": TimeRange(start, end)})


def focus(frame: pl.DataFrame, config: Config = CONFIG, period: Period = MARCH) -> dict:
    """date → (working, focus, protected, fragmented, busy) minutes, checking the invariant."""
    windows = working_windows(config, period, frame)
    out = focus_by_day(mark_counted(frame.lazy(), config), windows, config)
    assert out.columns == ["date", *FOCUS_COLUMNS]
    assert out["date"].to_list() == period.days
    result = {}
    for day, working, focused, protected, fragmented, busy in out.iter_rows():
        assert focused + fragmented + busy == pytest.approx(working)
        assert protected <= focused
        result[day.isoformat()] = (working, focused, protected, fragmented, busy)
    return result


@pytest.mark.parametrize("gap", [119, 120, 121])
def test_a_gap_counts_from_min_block_minutes(gap):
    start = at(MONDAY, "09:00") + timedelta(minutes=gap)
    frame = events(event("afternoon", start, at(MONDAY, "17:30")))
    focused = gap if gap >= 120 else 0
    assert focus(frame)[MONDAY] == (510, focused, 0, gap - focused, 510 - gap)


def test_focus_blocks_overlapping_meetings():
    frame = events(
        event("deep", at(MONDAY, "10:00"), at(MONDAY, "11:15"), title="Deep work"),
        event("standup", at(MONDAY, "11:00"), at(MONDAY, "11:30"), attendees=5),
        event("review", at(MONDAY, "13:29"), at(MONDAY, "14:00"), attendees=2),
        event("customer", at(MONDAY, "16:00"), at(MONDAY, "17:00"), attendees=3),
    )
    # free: 09:00-11:00 (120, a gap), 11:30-13:29 (119), 14:00-16:00 (120), 17:00-17:30
    # focus = 120 + 120; protected = deep minus the standup = 10:00-11:00, inside a gap
    assert focus(frame)[MONDAY] == (510, 240, 60, 149, 121)


def test_a_focus_block_in_a_short_stretch_is_focus_not_fragmented():
    frame = events(
        event("morning", at(MONDAY, "09:00"), at(MONDAY, "12:00")),
        event("block", at(MONDAY, "12:15"), at(MONDAY, "12:45"), kind="focus"),
        event("afternoon", at(MONDAY, "13:00"), at(MONDAY, "17:30")),
    )
    assert focus(frame)[MONDAY] == (510, 30, 30, 30, 450)


def test_a_focus_block_past_the_window_and_under_a_meeting():
    frame = events(
        event("day", at(MONDAY, "09:00"), at(MONDAY, "16:00")),
        event("heads", at(MONDAY, "16:00"), at(MONDAY, "19:00"), title="Heads down"),
        event("call", at(MONDAY, "16:30"), at(MONDAY, "17:00"), domain="life"),
    )
    # F ∩ W − B = 16:00-16:30 and 17:00-17:30; both stretches are short, both are focus
    assert focus(frame)[MONDAY] == (510, 60, 60, 0, 450)


def test_uncounted_events_leave_the_day_free_but_life_does_not():
    frame = events(
        event("declined", at(MONDAY, "10:00"), at(MONDAY, "16:00"), response="declined"),
        event("free", at(MONDAY, "12:00"), at(MONDAY, "13:00"), busy=False),
        event("dropped", at(MONDAY, "11:00"), at(MONDAY, "12:00"), status="cancelled"),
        event("skipped", at(MONDAY, "09:00"), at(MONDAY, "17:30"), title="Focus",
              response="declined"),
        event("doctor", at("2026-03-24", "12:00"), at("2026-03-24", "13:00"), domain="life"),
    )
    got = focus(frame)
    assert got[MONDAY] == (510, 510, 0, 0, 0)
    assert got["2026-03-24"] == (510, 450, 0, 0, 60)


def test_counting_settings_decide_what_is_busy():
    frame = events(
        event("free", at(MONDAY, "11:00"), at(MONDAY, "12:00"), busy=False),
        event("maybe", at(MONDAY, "14:00"), at(MONDAY, "15:00"), response="tentative"),
    )
    assert focus(frame)[MONDAY] == (510, 450, 0, 0, 60)
    config = replace(CONFIG, counting=Counting(include_free=True, include_tentative=False))
    # 09:00-11:00 and 12:00-17:30 free: both gaps
    assert focus(frame, config)[MONDAY] == (510, 450, 0, 0, 60)
    config = replace(CONFIG, counting=Counting(include_free=True))
    # 12:00-14:00 is exactly 120 min, 15:00-17:30 150 min, 09:00-11:00 120 min
    assert focus(frame, config)[MONDAY] == (510, 390, 0, 0, 120)


def test_non_working_days_have_no_focus():
    frame = events(
        event("weekend", at("2026-03-28", "09:00"), at("2026-03-28", "10:00"), kind="focus"),
        event("vacation", at("2026-03-27", "00:00"), at("2026-03-28", "00:00"), all_day=True,
              title="Vacation"),
        event("reading", at("2026-03-27", "09:00"), at("2026-03-27", "12:00"), kind="focus"),
    )
    got = focus(frame)
    assert got["2026-03-27"] == got["2026-03-28"] == got["2026-03-29"] == (0, 0, 0, 0, 0)


def test_out_of_office_splits_the_free_stretch():
    thursday = "2026-03-26"
    frame = events(
        event("errand", at(thursday, "10:00"), at(thursday, "10:30"), kind="out_of_office"),
        event("workshop", at(thursday, "11:00"), at(thursday, "17:30")),
    )
    # 09:00-10:00 and 10:30-11:00 are two stretches, not one of 120 minutes
    assert focus(frame)[thursday] == (480, 0, 0, 90, 390)


@pytest.mark.parametrize(("period", "day", "expected"), [
    # 01:00-05:00 is 3 h in spring: the free 01:00-04:00 is exactly 120 min, a gap
    (MARCH, "2026-03-29", (180, 120, 0, 30, 30)),
    (OCTOBER, "2026-10-25", (300, 240, 0, 30, 30)),
])
def test_focus_on_dst_days(period, day, expected):
    frame = events(event("call", at(day, "04:00"), at(day, "04:30")))
    assert focus(frame, sunday_hours("01:00-05:00"), period)[day] == expected


def test_a_custom_focus_pattern_and_block_length():
    config = replace(CONFIG, focus=Focus(min_block_minutes=60, title_pattern="(?i)maker"))
    frame = events(
        event("maker", at(MONDAY, "09:00"), at(MONDAY, "09:45"), title="Maker time"),
        event("Deep work", at(MONDAY, "09:45"), at(MONDAY, "17:00")),  # not focus here
    )
    assert focus(frame, config)[MONDAY] == (510, 45, 45, 30, 435)


# --- properties -----------------------------------------------------------------------

PROPERTY_CONFIG = sunday_hours("01:00-05:00")
PROPERTY_PERIOD = Period(date(2026, 10, 23), date(2026, 10, 27), TZ)  # Fri … Mon, DST Sun
P0, P1 = PROPERTY_PERIOD.utc_bounds()
SPAN = int((P1 - P0).total_seconds() // 60)

random_event = st.tuples(
    st.integers(-120, SPAN + 60),
    st.integers(0, 400),
    st.sampled_from(["work", "life", "integrated"]),
    st.sampled_from(["meeting", "kind", "title"]),  # a focus block by kind or by title?
    st.booleans(),  # counted
)


def random_frame(draws: list[tuple]) -> pl.DataFrame:
    return events(*(
        event(f"e{i}", P0 + timedelta(minutes=s), P0 + timedelta(minutes=s + n), domain=d,
              kind="focus" if block == "kind" else "event",
              title="Focus time" if block == "title" else f"e{i}",
              status="confirmed" if counted else "cancelled")
        for i, (s, n, d, block, counted) in enumerate(draws)
    ))


def in_window(local: datetime) -> bool:
    clock, weekday = local.time(), local.weekday()
    if weekday < 5:
        return time(9) <= clock < time(17, 30)
    return weekday == 6 and time(1) <= clock < time(5)


def reference(draws: list[tuple]) -> dict[str, tuple]:
    """Minute by minute, straight from the definitions of §8."""
    counted = [(s, s + n, block != "meeting") for s, n, _, block, ok in draws if ok]
    minutes = []
    for minute in range(SPAN):
        local = (P0 + timedelta(minutes=minute)).astimezone(BERLIN)
        covering = [f for s, e, f in counted if s <= minute < e]
        minutes.append((local.date(), in_window(local), not all(covering), any(covering)))
    runs: list[list[int]] = []  # stretches of free window minutes
    for i, (day, inside, busy, _) in enumerate(minutes):
        if inside and not busy:
            if runs and runs[-1][-1] == i - 1 and minutes[i - 1][0] == day:
                runs[-1].append(i)
            else:
                runs.append([i])
    long = {i for run in runs if len(run) >= 120 for i in run}
    totals: dict[str, list[int]] = defaultdict(lambda: [0] * 5)
    for i, (day, inside, busy, planned) in enumerate(minutes):
        row = totals[day.isoformat()]
        if not inside:
            continue
        row[0] += 1
        if busy:
            row[4] += 1
        elif i in long or planned:
            row[1] += 1
            row[2] += planned
        else:
            row[3] += 1
    return {d.isoformat(): tuple(totals[d.isoformat()]) for d in PROPERTY_PERIOD.days}


def focus_frame(frame: pl.DataFrame) -> pl.DataFrame:
    windows = working_windows(PROPERTY_CONFIG, PROPERTY_PERIOD, frame)
    return focus_by_day(frame.lazy(), windows, PROPERTY_CONFIG)


@settings(deadline=None, max_examples=40)
@given(st.lists(random_event, max_size=12), st.randoms(use_true_random=False))
def test_focus_matches_a_minute_grid_and_adds_up_to_working_time(draws, rnd):
    frame = random_frame(draws)
    assert focus(frame, PROPERTY_CONFIG, PROPERTY_PERIOD) == reference(draws)
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=rnd.randrange(2**32))
    assert_frame_equal(focus_frame(shuffled), focus_frame(frame))
