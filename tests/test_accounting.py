"""Time accounting (SPEC §6): counting rules, midnight/DST splits, the equal overlap split."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from engine_frames import BERLIN, TZ, at, event, events
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from audit.accounting import (
    attribute_time,
    attribute_time_and_busy,
    busy_summary,
    mark_counted,
)
from audit.config import Config, Counting
from audit.engine import audit_window, run_audit
from audit.intervals import aligned_chunks, rows_at
from core.period import Period

CONFIG = Config(timezone=TZ)





def attribute(frame: pl.DataFrame, config: Config, period: Period) -> pl.DataFrame:
    """`attribute_time`, collected and sorted (its rows come in no particular order)."""
    out = attribute_time(frame.lazy(), config, period).collect()
    return out.sort("date", "piece_start", "piece_end", "event_id")


def minutes_by_event(frame: pl.DataFrame) -> dict[tuple[str, date], float]:
    return {(r["event_id"], r["date"]): r["attributed_minutes"]
            for r in frame.iter_rows(named=True)}


def week(start: str) -> Period:
    first = date.fromisoformat(start)
    return Period(first, first + timedelta(days=7), TZ)


# --- counting rules ------------------------------------------------------------------

MONDAY = "2026-03-23"
SAMPLES = events(
    event("plain", at(MONDAY, "09:00"), at(MONDAY, "10:00")),
    event("cancelled", at(MONDAY, "09:00"), at(MONDAY, "10:00"), status="cancelled",
          response="declined"),
    event("declined", at(MONDAY, "09:00"), at(MONDAY, "10:00"), response="declined"),
    event("all-day", at(MONDAY, "00:00"), at("2026-03-24", "00:00"), all_day=True),
    event("ooo", at(MONDAY, "12:00"), at(MONDAY, "13:00"), kind="out_of_office"),
    event("location", at(MONDAY, "08:00"), at(MONDAY, "18:00"), kind="working_location"),
    event("twelve", at(MONDAY, "06:00"), at(MONDAY, "18:00")),
    event("thirteen", at(MONDAY, "06:00"), at(MONDAY, "19:00")),
    event("free", at(MONDAY, "11:00"), at(MONDAY, "12:00"), busy=False),
    event("maybe", at(MONDAY, "14:00"), at(MONDAY, "15:00"), response="tentative"),
    event("held", at(MONDAY, "14:00"), at(MONDAY, "15:00"), status="tentative"),
    event("unanswered", at(MONDAY, "15:00"), at(MONDAY, "16:00"), response="needs_action"),
)


def reasons(config: Config) -> dict[str, str | None]:
    marked = mark_counted(SAMPLES.lazy(), config).collect()
    assert marked["counted"].to_list() == marked["count_reason"].is_null().to_list()
    return dict(zip(marked["event_id"], marked["count_reason"], strict=True))


ALWAYS = {"plain": None, "cancelled": "cancelled", "declined": "declined",
          "all-day": "all-day", "ooo": "out of office", "location": "working location",
          "twelve": None, "thirteen": "longer than 12 h"}


@pytest.mark.parametrize(
    ("counting", "switchable"),
    [
        (Counting(), {"free": "free (transparent)", "maybe": None, "held": None,
                      "unanswered": None}),
        (Counting(include_free=True), {"free": None, "maybe": None, "held": None,
                                       "unanswered": None}),
        (Counting(include_tentative=False), {"free": "free (transparent)", "maybe": "tentative",
                                             "held": "tentative", "unanswered": None}),
        (Counting(include_needs_action=False),
         {"free": "free (transparent)", "maybe": None, "held": None,
          "unanswered": "not answered"}),
        (Counting(include_free=True, include_tentative=False, include_needs_action=False),
         {"free": None, "maybe": "tentative", "held": "tentative",
          "unanswered": "not answered"}),
    ],
)
def test_count_reasons_follow_the_counting_settings(counting, switchable):
    assert reasons(replace(CONFIG, counting=counting)) == ALWAYS | switchable


def test_max_event_hours_names_its_limit():
    got = reasons(replace(CONFIG, counting=Counting(max_event_hours=4.5)))
    assert got["twelve"] == got["thirteen"] == "longer than 4.5 h"
    assert got["plain"] is None


def test_uncounted_events_take_no_share_of_an_overlap():
    rows = SAMPLES.filter(pl.col("event_id") != "twelve").filter(
        pl.col("event_id") != "location")
    out = attribute(rows, CONFIG, week(MONDAY))
    # plain 09-10 is alone: cancelled/declined copies do not halve it; maybe/held share
    # 14-15 (tentative counts by default); the free event and the all-day one count nothing.
    assert minutes_by_event(out) == {
        ("plain", date(2026, 3, 23)): 60.0,
        ("maybe", date(2026, 3, 23)): 30.0,
        ("held", date(2026, 3, 23)): 30.0,
        ("unanswered", date(2026, 3, 23)): 60.0,
    }
    strict = replace(CONFIG, counting=Counting(include_tentative=False, include_free=True))
    out = attribute(rows, strict, week(MONDAY))
    assert minutes_by_event(out) == {
        ("plain", date(2026, 3, 23)): 60.0,
        ("free", date(2026, 3, 23)): 60.0,
        ("unanswered", date(2026, 3, 23)): 60.0,
    }


# --- splitting at midnight, DST, the period ------------------------------------------

def test_three_overlapping_meetings_split_equally():
    frame = events(
        event("A", at(MONDAY, "08:00"), at(MONDAY, "10:00"), attendees=3),
        event("B", at(MONDAY, "09:00"), at(MONDAY, "10:30"), domain="life"),
        event("C", at(MONDAY, "09:30"), at(MONDAY, "10:00"), attendees=1),
    )
    out = attribute(frame, CONFIG, week(MONDAY))
    assert out.select("event_id", "minutes", "attributed_minutes").rows() == [
        ("A", 120.0, pytest.approx(85.0)),
        ("B", 90.0, pytest.approx(55.0)),
        ("C", 30.0, pytest.approx(10.0)),
    ]
    assert out["domain"].to_list() == ["work", "life", "work"]  # event columns carried
    summary = busy_summary(out, week(MONDAY)).collect()
    assert summary.row(0, named=True) == {
        "date": date(2026, 3, 23), "busy_minutes": 150.0,
        "double_booked_minutes": 60.0, "meeting_minutes": pytest.approx(95.0),
    }
    assert summary.height == 7
    assert summary["busy_minutes"].sum() == 150.0


def test_an_event_across_midnight_gives_time_to_both_days():
    frame = events(event("late", at("2026-03-24", "23:00"), at("2026-03-25", "01:00")))
    out = attribute(frame, CONFIG, week(MONDAY))
    assert minutes_by_event(out) == {("late", date(2026, 3, 24)): 60.0,
                                     ("late", date(2026, 3, 25)): 60.0}
    assert out["piece_end"][0] == out["piece_start"][1] == at("2026-03-25", "00:00")


def test_spring_forward_night_is_an_hour_shorter():
    frame = events(event("night", at("2026-03-28", "23:00"), at("2026-03-29", "04:00")))
    out = attribute(frame, CONFIG, week(MONDAY))
    # 00:00-04:00 on the wall is 3 hours: 02:00 CET jumps to 03:00 CEST.
    assert minutes_by_event(out) == {("night", date(2026, 3, 28)): 60.0,
                                     ("night", date(2026, 3, 29)): 180.0}


@pytest.mark.parametrize(("day", "length"), [("2026-03-29", 1380), ("2026-10-25", 1500),
                                             ("2026-10-26", 1440)])
def test_dst_days_are_23_and_25_hours_and_never_more(day, length):
    following = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
    config = replace(CONFIG, counting=Counting(max_event_hours=48))
    frame = events(
        event("day", at(day, "00:00"), at(following, "00:00")),
        event("copy", at(day, "00:00"), at(following, "00:00"), domain="life"),
        event("meeting", at(day, "10:00"), at(day, "11:00")),
    )
    period = Period(date.fromisoformat(day), date.fromisoformat(following), TZ)
    out = attribute(frame, config, period)
    assert out.filter(pl.col("event_id") == "day")["minutes"].to_list() == [length]
    assert out["attributed_minutes"].sum() == pytest.approx(length)
    shares = minutes_by_event(out)
    assert shares[("meeting", period.start)] == pytest.approx(20.0)
    assert shares[("day", period.start)] == pytest.approx((length - 60) / 2 + 20)
    summary = busy_summary(out, period).collect()
    assert summary["busy_minutes"].to_list() == [length]
    assert summary["double_booked_minutes"].to_list() == [length]


def test_time_is_clipped_to_the_period():
    frame = events(
        event("before", at("2026-03-22", "22:00"), at(MONDAY, "02:00")),
        event("after", at("2026-03-29", "23:00"), at("2026-03-30", "01:00")),
        event("outside", at("2026-03-31", "09:00"), at("2026-03-31", "10:00")),
        event("empty", at(MONDAY, "09:00"), at(MONDAY, "09:00")),
    )
    out = attribute(frame, CONFIG, week(MONDAY))
    assert minutes_by_event(out) == {("before", date(2026, 3, 23)): 120.0,
                                     ("after", date(2026, 3, 29)): 60.0}


def test_empty_input_gives_empty_output():
    out = attribute_time(events(), CONFIG, week(MONDAY)).collect()
    assert out.height == 0
    assert {"date", "piece_start", "piece_end", "minutes", "attributed_minutes",
            "counted", "count_reason", "domain"} <= set(out.columns)
    summary = busy_summary(out, week(MONDAY)).collect()
    assert summary["busy_minutes"].to_list() == [0.0] * 7


# --- properties -----------------------------------------------------------------------

PROPERTY_PERIOD = Period(date(2026, 10, 24), date(2026, 10, 27), TZ)  # Sat, Sun (25 h), Mon
P0, P1 = PROPERTY_PERIOD.utc_bounds()
SPAN = int((P1 - P0).total_seconds() // 60)

random_event = st.tuples(
    st.integers(-180, SPAN + 60),  # start, minutes after the period start (UTC)
    st.integers(0, 800),  # length in minutes; > 720 is not counted
    st.sampled_from(["work", "life", "integrated", "unclassified"]),
    st.sampled_from(["confirmed", "cancelled"]),
    st.booleans(),  # busy
)


def random_frame(draws: list[tuple]) -> pl.DataFrame:
    return events(*(
        event(f"e{i}", P0 + timedelta(minutes=s), P0 + timedelta(minutes=s + n), domain=d,
              status=status, busy=busy)
        for i, (s, n, d, status, busy) in enumerate(draws)
    ))


def reference(draws: list[tuple]) -> tuple[dict, dict]:
    """Minute-by-minute: each counted event covering a minute gets 1/k of it."""
    counted = [(f"e{i}", s, s + n) for i, (s, n, _, status, busy) in enumerate(draws)
               if status != "cancelled" and busy and n <= 720]
    shares: dict[tuple[str, date], float] = defaultdict(float)
    union: dict[date, int] = defaultdict(int)
    for minute in range(SPAN):
        covering = [eid for eid, s, e in counted if s <= minute < e]
        day = (P0 + timedelta(minutes=minute)).astimezone(BERLIN).date()
        for eid in covering:
            shares[eid, day] += 1 / len(covering)
        union[day] += bool(covering)
    return shares, union


@settings(deadline=None, max_examples=60)
@given(st.lists(random_event, max_size=12), st.randoms(use_true_random=False))
def test_domain_minutes_add_up_to_busy_time_and_match_a_minute_grid(draws, rnd):
    frame = random_frame(draws)
    out = attribute(frame, CONFIG, PROPERTY_PERIOD)
    shares, union = reference(draws)
    assert minutes_by_event(out) == pytest.approx(dict(shares))
    by_day = out.group_by("date", "domain").agg(pl.col("attributed_minutes").sum())
    totals = by_day.group_by("date").agg(pl.col("attributed_minutes").sum())
    for day, total in totals.iter_rows():
        assert total == pytest.approx(union[day])
    summary = busy_summary(out, PROPERTY_PERIOD).collect()
    assert dict(summary.select("date", "busy_minutes").iter_rows()) == {
        d: float(union.get(d, 0)) for d in PROPERTY_PERIOD.days}
    lengths = {date(2026, 10, 24): 1440, date(2026, 10, 25): 1500, date(2026, 10, 26): 1440}
    for day, busy, double, _ in summary.iter_rows():
        assert double <= busy <= lengths[day]
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=rnd.randrange(2**32))
    assert_frame_equal(attribute(shuffled, CONFIG, PROPERTY_PERIOD), out)


def test_utc_bounds_of_the_property_period():
    first, _ = PROPERTY_PERIOD.utc_bounds()
    assert first == datetime(2026, 10, 23, 22, tzinfo=UTC)
    assert SPAN == 3 * 1440 + 60


@settings(deadline=None, max_examples=60)
@given(st.lists(random_event, max_size=12), st.integers(0, 2))
def test_busy_time_from_the_shared_sweep_equals_its_own_sweep(draws, extra_days):
    """`run_audit` takes the busy time per date from `attribute_time_and_busy`'s sweep over
    a window that runs on after the period; it equals `busy_summary`'s own sweep over the
    period's pieces, to the bit (sums of whole microseconds)."""
    frame = random_frame(draws)
    window = Period(PROPERTY_PERIOD.start, PROPERTY_PERIOD.end + timedelta(days=extra_days), TZ)
    pieces, time_per_day, _ = attribute_time_and_busy(frame.lazy(), CONFIG, window)
    in_period = pieces.filter(pl.col("date") < PROPERTY_PERIOD.end)
    assert_frame_equal(busy_summary(in_period, PROPERTY_PERIOD, time_per_day).collect(),
                       busy_summary(in_period, PROPERTY_PERIOD).collect(), check_exact=True)


def test_aligned_chunks_keep_the_values_and_cut_every_column_alike() -> None:
    """`aligned_chunks` re-cuts a column chunked apart from the others (as the streaming
    engine hands back the attributed shares) at the others' boundaries, values unchanged."""
    parts = [pl.DataFrame({"a": list(range(i, i + n)), "s": [f"x{j}" for j in range(i, i + n)],
                           "l": [[j] for j in range(i, i + n)]})
             for i, n in ((0, 3), (3, 4), (7, 2))]
    frame = pl.concat(parts, rechunk=False)
    shares = pl.concat([pl.Series("f", [0.5 * j for j in range(5)]),
                        pl.Series("f", [0.5 * j for j in range(5, 9)])], rechunk=False)
    odd = frame.clone()
    odd.insert_column(3, shares)
    assert odd.n_chunks("all") == [3, 3, 3, 2]

    aligned = aligned_chunks(odd)
    assert aligned.equals(odd)
    assert aligned.n_chunks("all") == [3, 3, 3, 3]
    assert [len(c) for c in aligned["f"].get_chunks()] == [3, 4, 2]
    assert aligned_chunks(aligned) is aligned  # already aligned: the frame itself


def test_attributed_pieces_come_with_their_columns_chunked_alike() -> None:
    """The shares are re-cut where they are born (`_attributed_and_points`), so every
    caller of `attribute_time` gets a frame whose columns share one chunking."""
    starts = [at("2026-03-23", f"{hour:02d}:00") for hour in range(9, 15)]
    parts = [events(*(event(f"e{i}", starts[i], starts[i] + timedelta(minutes=90))
                      for i in (j, j + 1)))
             for j in (0, 2, 4)]
    frame = pl.concat(parts, rechunk=False)
    assert set(frame.n_chunks("all")) == {3}
    pieces, _, _ = attribute_time_and_busy(frame.lazy(), CONFIG, week("2026-03-23"))
    assert len(set(pieces.n_chunks("all"))) == 1
    assert pieces.get_column("attributed_minutes").sum() == 6 * 60 + 30  # 09:00-15:30


@settings(deadline=None, max_examples=60)
@given(st.lists(st.integers(0, 11), unique=True), st.lists(st.integers(0, 11)))
def test_rows_at_is_a_gather(rising, rest):
    """`rows_at` picks the rising head of the row numbers by a mask and the rest by a
    gather: the same rows as one gather, in the same order."""
    frame = pl.DataFrame({"n": range(12), "s": [f"row {i}" for i in range(12)],
                          "l": [[i, i] for i in range(12)]})
    rows = pl.Series(sorted(rising) + rest, dtype=pl.UInt32)
    assert_frame_equal(rows_at(frame, rows), frame[rows])


def test_the_audits_wide_pieces_are_attribute_times() -> None:
    """`Audit.attributed`, made from the narrow pieces when asked, is `attribute_time` of
    the window's occurrences cut to the period, row for row; `pieces_with` adds columns of
    the same rows."""
    frame = events(
        event("a", at(MONDAY, "09:00"), at(MONDAY, "10:30"), attendees=2),
        event("b", at(MONDAY, "10:00"), at(MONDAY, "11:00")),
        event("night", at(MONDAY, "23:00"), at("2026-03-24", "01:30")),
        event("last", at("2026-03-29", "23:30"), at("2026-03-30", "00:30")),
    )
    period = week(MONDAY)
    audit = run_audit(frame, CONFIG, period)
    expected = (attribute_time(audit.window_events.lazy(), CONFIG, audit_window(period))
                .collect().filter(pl.col("date") < period.end))
    assert_frame_equal(audit.attributed, expected, check_exact=True)
    assert audit.attributed.height == 5  # a, b, night twice, last once (its Monday is after)
    assert_frame_equal(audit.pieces_with("event_id", "attendees"),
                       pl.concat([audit.pieces, expected.select("event_id", "attendees")],
                                 how="horizontal"))
