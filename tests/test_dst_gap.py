"""The one DST-gap rule (docs/counting.md): a wall-clock time the clocks skip maps to the
instant the clocks jump over it — the UTC instant of the transition — whatever the gap's
size or alignment, in `core.period.local_midnight`/`instant_at` and in the engine's
`audit.accounting.with_instants` alike."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.accounting import with_instants
from core.period import instant_at, is_zone, local_midnight

US = timedelta(microseconds=1)


@functools.cache
def zones() -> list[str]:
    return sorted(name for name in zoneinfo.available_timezones() if is_zone(name))


def wall_clock(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def engine_instants(walls: list[datetime], zone: str) -> list[datetime]:
    """`with_instants` of naive wall times (a start: the earlier of a repeated time)."""
    frame = with_instants(pl.LazyFrame({"wall": walls}, schema={"wall": pl.Datetime("us")}),
                          zone, {"at": (pl.col("wall"), "earliest")}).collect()
    return frame["at"].to_list()


def assert_is_the_jump(instant: datetime, wall: datetime, zone: str) -> None:
    """``instant`` is a real instant at which the clocks jump from below ``wall`` to at or
    above it: the transition of the gap ``wall`` lies in."""
    assert instant.tzinfo is not None
    assert wall_clock(instant, zone) >= wall
    assert wall_clock(instant - US, zone) < wall
    assert wall_clock(instant - timedelta(seconds=1), zone) < wall


# ---------------------------------------------------------------- the exotic cases

@pytest.mark.parametrize(("zone", "wall", "expected"), [
    # a whole skipped day: Samoa moved west of the date line, 2011-12-30 never happened
    ("Pacific/Apia", datetime(2011, 12, 30), datetime(2011, 12, 30, 10, tzinfo=UTC)),
    ("Pacific/Apia", datetime(2011, 12, 30, 13, 17), datetime(2011, 12, 30, 10, tzinfo=UTC)),
    ("Pacific/Fakaofo", datetime(2011, 12, 30), datetime(2011, 12, 30, 11, tzinfo=UTC)),
    # Kiribati's Line Islands skipped 1994-12-31; Kwajalein skipped 1993-08-21
    ("Pacific/Kiritimati", datetime(1994, 12, 31), datetime(1994, 12, 31, 10, tzinfo=UTC)),
    ("Pacific/Kwajalein", datetime(1993, 8, 21), datetime(1993, 8, 21, 12, tzinfo=UTC)),
    # a gap not on a quarter hour: Liberia's -0:44:30 → 0:00 at midnight 1972-01-07
    ("Africa/Monrovia", datetime(1972, 1, 7), datetime(1972, 1, 7, 0, 44, 30, tzinfo=UTC)),
    ("Africa/Monrovia", datetime(1972, 1, 7, 0, 44, 29),
     datetime(1972, 1, 7, 0, 44, 30, tzinfo=UTC)),
    # Kiritimati 1979: -10:40 → -10:00, a 40-minute gap
    ("Pacific/Kiritimati", datetime(1979, 10, 1, 0, 20),
     datetime(1979, 10, 1, 10, 40, tzinfo=UTC)),
    # the ordinary spring-forward hour: 02:30 in Berlin is 03:00 CEST
    ("Europe/Berlin", datetime(2026, 3, 29, 2, 30), datetime(2026, 3, 29, 1, tzinfo=UTC)),
    ("Europe/Berlin", datetime(2026, 3, 29, 2), datetime(2026, 3, 29, 1, tzinfo=UTC)),
    # Santiago's clocks jump over midnight: the day starts at 01:00 -03
    ("America/Santiago", datetime(2022, 9, 11), datetime(2022, 9, 11, 4, tzinfo=UTC)),
    ("America/Santiago", datetime(2026, 9, 6), datetime(2026, 9, 6, 4, tzinfo=UTC)),
    ("America/Santiago", datetime(2026, 9, 6, 0, 59, 59, 999999),
     datetime(2026, 9, 6, 4, tzinfo=UTC)),
])
def test_a_skipped_wall_time_is_the_instant_the_clocks_jump(zone: str, wall: datetime,
                                                            expected: datetime) -> None:
    assert instant_at(wall, ZoneInfo(zone)) == expected
    assert engine_instants([wall], zone) == [expected]
    if wall.time() == time():
        assert local_midnight(wall.date(), ZoneInfo(zone)) == expected
    assert_is_the_jump(expected, wall, zone)


def test_apia_midnight_of_the_skipped_day_is_the_next_days_midnight() -> None:
    apia = ZoneInfo("Pacific/Apia")
    start = local_midnight(date(2011, 12, 30), apia)
    assert start == local_midnight(date(2011, 12, 31), apia)
    assert start.astimezone(apia) == datetime(2011, 12, 31, tzinfo=apia)


def test_times_that_exist_are_unchanged() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    assert instant_at(datetime(2026, 3, 29, 3), berlin) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    # the repeated autumn hour: its earlier instant, as `with_instants` gives a start
    repeated = datetime(2026, 10, 25, 2, 30)
    assert instant_at(repeated, berlin) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert engine_instants([repeated], "Europe/Berlin") == [instant_at(repeated, berlin)]


# ------------------------------------------------------------ property: every zone

def gap_walls(zone: str, year: int) -> list[datetime]:
    """Wall times inside the gaps of ``zone`` in ``year`` (found by stepping through the
    year's UTC hours: a rise of the offset is a gap): each gap's first wall time, its
    middle, its last microsecond and the midnights in it."""
    tz = ZoneInfo(zone)
    walls: set[datetime] = set()
    hour = datetime(year, 1, 1, tzinfo=UTC)
    offset = hour.astimezone(tz).utcoffset()
    while hour.year == year:
        following = hour + timedelta(hours=1)
        after = following.astimezone(tz).utcoffset()
        if offset is not None and after is not None and after > offset:
            lowest = (hour + offset).replace(tzinfo=None)
            highest = (following + after).replace(tzinfo=None)
            steps = [lowest + (highest - lowest) * k / 16 for k in range(17)]
            day = lowest.date()
            while day <= highest.date():
                steps.append(datetime.combine(day, time()))
                day += timedelta(days=1)
            walls.update(wall for wall in steps
                         if wall_clock(wall.replace(tzinfo=tz).astimezone(UTC), zone) != wall)
        hour, offset = following, after
    return sorted(walls)


# Polars' zone data (chrono-tz) has no DST changes from 2100 on (zoneinfo has), so the
# two paths are compared up to 2099; from 2100 Polars finds no gap to fill.
@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(zones()), year=st.integers(1900, 2099))
def test_every_gap_time_maps_to_its_transition_on_both_paths(zone: str, year: int) -> None:
    walls = gap_walls(zone, year)
    engine = engine_instants(walls, zone) if walls else []
    for wall, from_engine in zip(walls, engine, strict=True):
        instant = instant_at(wall, ZoneInfo(zone))
        assert_is_the_jump(instant, wall, zone)
        assert from_engine == instant
        if wall.time() == time():
            assert local_midnight(wall.date(), ZoneInfo(zone)) == instant


@pytest.mark.parametrize(("zone", "year"), [
    ("Pacific/Apia", 2011), ("Pacific/Fakaofo", 2011), ("Pacific/Kiritimati", 1994),
    ("Pacific/Kanton", 1994), ("Pacific/Kwajalein", 1993), ("Africa/Monrovia", 1972),
    ("Pacific/Kiritimati", 1979), ("America/Santiago", 2024), ("Asia/Tehran", 2020),
    ("Australia/Lord_Howe", 2026), ("Europe/Berlin", 2026), ("America/New_York", 2026),
])
def test_the_known_odd_gaps_map_to_their_transition(zone: str, year: int) -> None:
    walls = gap_walls(zone, year)
    assert walls
    instants = [instant_at(wall, ZoneInfo(zone)) for wall in walls]
    assert engine_instants(walls, zone) == instants
    for wall, instant in zip(walls, instants, strict=True):
        assert_is_the_jump(instant, wall, zone)


def test_every_gap_midnight_in_every_zone_is_the_same_on_both_paths() -> None:
    """Every local midnight in a DST gap, 1900–2200, every zone (4,217 of them with
    today's tzdata; the two paths disagreed on 317 before the rule was written once)."""
    days = pl.LazyFrame().select(
        pl.date_range(date(1900, 1, 1), date(2200, 1, 1)).cast(pl.Datetime("us")).alias("wall"))
    checked = 0
    for zone in zones():
        gaps = days.filter(pl.col("wall").dt.replace_time_zone(
            zone, non_existent="null", ambiguous="earliest").is_null())
        frame = with_instants(gaps, zone, {"at": (pl.col("wall"), "earliest")}).collect()
        for wall, instant in frame.iter_rows():
            assert local_midnight(wall.date(), ZoneInfo(zone)) == instant, (zone, wall)
            assert_is_the_jump(instant, wall, zone)
            checked += 1
    assert checked > 4000
