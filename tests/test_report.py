"""The report of SPEC §9, end to end: `run_audit` + `build_report` on hand-computed weeks.

Every scenario runs in Europe/Berlin over 2026-W13 (Mon 23 – Sun 29 March; the 29th is
a 23-hour DST day) or 2026-W43 (Mon 19 – Sun 25 October; the 25th is 25 hours long),
with a configuration built by `parse_config` from explicit values. User rules decide
domain (title prefix "W ", "L ", "I ") and quadrant (a "[do]", "[schedule]", "[delegate]"
or "[eliminate]" tag), so no number depends on the shipped default pack; the scenarios
that need "unclassified" switch the pack off. Expected numbers are worked out by hand in
the comments (minutes first, hours rounded to 2 decimals as the report does).
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_shape import DOMAIN_KEYS, QUADRANT_KEYS, TYPES, check_shape

from audit.config import WEEKDAYS, Config, parse_config
from audit.engine import Audit, run_audit
from audit.report import Report, build_report, day_table, make_report, render_table
from core.period import Period
from core.schema import EVENT_SCHEMA

TZ = "Europe/Berlin"
BERLIN = ZoneInfo(TZ)
W13 = Period(date(2026, 3, 23), date(2026, 3, 30), TZ)  # Sun 29 March: 23 h
W43 = Period(date(2026, 10, 19), date(2026, 10, 26), TZ)  # Sun 25 October: 25 h
MON, TUE, WED, THU, FRI, SAT, SUN = (f"2026-03-{d}" for d in range(23, 30))
WORKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday"]

# Working time of W13: Mon–Wed and Fri 8 h, Thursday 12 h (07:00-19:00) = 44 h.
CONFIG_DATA: dict[str, Any] = {
    "timezone": TZ,
    "week_start": "monday",
    "working_hours": {
        "monday": "09:00-17:00", "tuesday": "09:00-17:00", "wednesday": "09:00-17:00",
        # a window longer than max_workday_hours, so a long day can happen inside it
        "thursday": "07:00-19:00",
        "friday": "09:00-17:00", "saturday": "", "sunday": "",
    },
    "boundaries": {
        "late_night": "22:00-06:00",
        "max_workday_hours": 10,
        "no_meeting_days": ["wednesday"],
        "protected": [
            {"name": "Family dinner", "days": ["monday", "tuesday", "wednesday", "friday"],
             "time": "18:00-20:00"},
            # inside the working window: protected time that is nothing else
            {"name": "Lunch walk", "days": ["friday"], "time": "12:00-13:00"},
        ],
    },
    "focus": {"min_block_minutes": 120, "target_hours_per_week": 10,
              "title_pattern": r"(?i)\bfocus\b"},
    "urgency": {"short_notice_hours": 48},
    "counting": {"include_free": False, "include_tentative": True,
                 "include_needs_action": True, "max_event_hours": 12},
    "rules": [
        {"name": "Work", "title": "^W ", "domain": "work"},
        {"name": "Life", "title": "^L ", "domain": "life"},
        {"name": "Integrated", "title": "^I ", "domain": "integrated"},
        {"name": "Do", "title": r"\[do\]", "urgent": True, "important": True},
        {"name": "Schedule", "title": r"\[schedule\]", "urgent": False, "important": True},
        {"name": "Delegate", "title": r"\[delegate\]", "urgent": True, "important": False},
        {"name": "Eliminate", "title": r"\[eliminate\]", "urgent": False, "important": False},
    ],
}


def make_config(**changes: dict[str, Any]) -> Config:
    """`parse_config` of CONFIG_DATA with some sections replaced or extended."""
    data = copy.deepcopy(CONFIG_DATA)
    for section, values in changes.items():
        if isinstance(data.get(section), dict):
            data[section] = {**data[section], **values}
        else:
            data[section] = values
    return parse_config(data, file="test.toml")


CONFIG = make_config()


def at(day: str, hhmm: str) -> datetime:
    """A Berlin wall-clock time (never one inside a DST gap)."""
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=BERLIN)


def ev(event_id: str, title: str, start: datetime, end: datetime, **fields: Any) -> dict:
    return {
        "source": "ics:test.ics", "calendar": "Test", "event_id": event_id, "series_id": None,
        "title": title, "description": None, "location": None, "start": start, "end": end,
        "all_day": False, "status": "confirmed", "response": "accepted", "busy": True,
        "kind": "event", "attendees": 0, "organizer": None, "attendee_domains": [],
        "categories": [], "color": None, "created": None, **fields,
    }


def frame(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=EVENT_SCHEMA)


def report(*rows: dict, config: Config = CONFIG, period: Period = W13) -> dict[str, Any]:
    audit = run_audit(frame(*rows), config, period)
    result = build_report(audit)
    check_shape(result)
    # `report --format json` writes the same document, byte for byte
    assert make_report(audit).to_json() == json.dumps(result, indent=2, ensure_ascii=False)
    return result


def spec_part(result: dict[str, Any]) -> dict[str, Any]:
    """The keys of SPEC §9 (the report also carries the figures of issue 14 after them)."""
    return {key: result[key] for key in ("period", "hours", "focus", "violations", "days")}


def by_date(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {day["date"]: {k: v for k, v in day.items() if k != "date"}
            for day in result["days"]}


def day_row(work: float = 0.0, life: float = 0.0, integrated: float = 0.0,
            unclassified: float = 0.0, focus: float = 0.0, working: float = 0.0,
            violation_minutes: int = 0) -> dict[str, Any]:
    return {"work": work, "life": life, "integrated": integrated,
            "unclassified": unclassified, "focus": focus, "working": working,
            "violation_minutes": violation_minutes}


def quiet_week(**overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The days rows of W13 with nothing scheduled: the whole window is focus."""
    days = {MON: day_row(focus=8.0, working=8.0), TUE: day_row(focus=8.0, working=8.0),
            WED: day_row(focus=8.0, working=8.0), THU: day_row(focus=12.0, working=12.0),
            FRI: day_row(focus=8.0, working=8.0), SAT: day_row(), SUN: day_row()}
    for day, row in overrides.items():
        days[day] = row
    return days


def minutes_by_type(**minutes: int) -> dict[str, int]:
    return {kind: minutes.get(kind, 0) for kind in TYPES}


def items(result: dict[str, Any]) -> list[tuple[str, str, int, str]]:
    return [(i["date"], i["type"], i["minutes"], i["event_id"])
            for i in result["violations"]["items"]]


@pytest.fixture
def no_default_pack(monkeypatch: pytest.MonkeyPatch) -> None:
    """Classify with the user's rules only (the shipped pack switched off)."""
    monkeypatch.setattr("audit.classify.load_default_rules", lambda: ())


# --- the JSON shape of SPEC §9 (tests/report_shape.py) ---------------------------------


def test_the_shape_check_catches_a_wrong_shape():
    good = report()
    broken = copy.deepcopy(good)
    broken["hours"]["by_domain"]["leisure"] = 0.0
    with pytest.raises(AssertionError):
        check_shape(broken)
    broken = copy.deepcopy(good)
    broken["days"][0]["violation_minutes"] = 0.0
    with pytest.raises(AssertionError):
        check_shape(broken)


def test_an_empty_week():
    """Nothing scheduled: every key present, zero time, the whole window is focus."""
    assert spec_part(report()) == {
        "period": {"from": "2026-03-23", "to": "2026-03-30", "timezone": TZ},
        "hours": {"total": 0.0,
                  "by_domain": dict.fromkeys(DOMAIN_KEYS, 0.0),
                  "by_quadrant": dict.fromkeys(QUADRANT_KEYS, 0.0),
                  "meetings": 0.0, "double_booked": 0.0},
        "focus": {"hours": 44.0, "protected_hours": 0.0, "fragmented_hours": 0.0,
                  "working_hours": 44.0, "coverage": 1.0, "target_hours": 10.0,
                  "target_met": True},
        "violations": {"count": 0, "minutes_by_type": minutes_by_type(), "items": []},
        "days": [{"date": d, **row} for d, row in quiet_week().items()],
    }


# --- overlap, meetings, double booking --------------------------------------------------

def test_a_week_with_two_and_three_way_overlaps_in_full():
    """The whole report of a small week, computed by hand.

    Monday (three-way)::

        A  W planning [do]      09:00 [==========)  10:00          2 attendees
        B  W sync [schedule]    09:30      [==========) 10:30      1 attendee
        C  L call [eliminate]   09:45         [====) 10:15
        D  W review [delegate]  12:00-13:00, alone

        09:00-09:30 A            A 30
        09:30-09:45 A B          A 7.5   B 7.5
        09:45-10:00 A B C        A 5     B 5    C 5
        10:00-10:15 B C                  B 7.5  C 7.5
        10:15-10:30 B                    B 15
        A 42.5, B 35, C 12.5 = 90 = the union 09:00-10:30; double-booked 09:30-10:15 = 45

    Tuesday (two-way): E "W x [do]" 14:00-15:00 (1 attendee), F "I lunch [schedule]"
    14:30-15:30: E 30 + 15 = 45, F 15 + 30 = 45, double-booked 30.
    """
    result = report(
        ev("A", "W planning [do]", at(MON, "09:00"), at(MON, "10:00"), attendees=2),
        ev("B", "W sync [schedule]", at(MON, "09:30"), at(MON, "10:30"), attendees=1),
        ev("C", "L call [eliminate]", at(MON, "09:45"), at(MON, "10:15")),
        ev("D", "W review [delegate]", at(MON, "12:00"), at(MON, "13:00")),
        ev("E", "W x [do]", at(TUE, "14:00"), at(TUE, "15:00"), attendees=1),
        ev("F", "I lunch [schedule]", at(TUE, "14:30"), at(TUE, "15:30")),
    )
    # Focus. Mon: free 10:30-12:00 (90, fragmented) and 13:00-17:00 (240, focus).
    # Tue: free 09:00-14:00 (300, focus) and 15:30-17:00 (90, fragmented).
    # Wed 8 + Thu 12 + Fri 8 free: focus 4 + 5 + 28 = 37 h of 44 h (0.84).
    assert spec_part(result) == {
        "period": {"from": "2026-03-23", "to": "2026-03-30", "timezone": TZ},
        "hours": {
            "total": 4.0,  # 90 + 60 Mon, 90 Tue = 240 min
            # work A 42.5 + B 35 + D 60 + E 45 = 182.5 min = 3.0417 h
            "by_domain": {"work": 3.04, "life": 0.21, "integrated": 0.75, "unclassified": 0.0},
            # do A 42.5 + E 45 = 87.5; schedule B 35 + F 45 = 80; delegate D 60; eliminate C
            "by_quadrant": {"do": 1.46, "schedule": 1.33, "delegate": 1.0, "eliminate": 0.21,
                            "unclassified": 0.0},
            "meetings": 2.04,  # A 42.5 + B 35 + E 45 = 122.5 min
            "double_booked": 1.25,  # 45 + 30 min
        },
        "focus": {"hours": 37.0, "protected_hours": 0.0, "fragmented_hours": 3.0,
                  "working_hours": 44.0, "coverage": 0.84, "target_hours": 10.0,
                  "target_met": True},
        "violations": {"count": 0, "minutes_by_type": minutes_by_type(), "items": []},
        "days": [{"date": d, **row} for d, row in quiet_week(**{
            MON: day_row(work=2.29, life=0.21, focus=4.0, working=8.0),  # 137.5 min work
            TUE: day_row(work=0.75, integrated=0.75, focus=5.0, working=8.0),
        }).items()],
    }


def test_domains_and_quadrants_add_up_to_the_total(no_default_pack: None):
    """One event per domain and per quadrant, partly overlapping: the sums are the union."""
    result = report(
        ev("w", "W a [do]", at(TUE, "10:00"), at(TUE, "12:00")),
        ev("l", "L b [schedule]", at(TUE, "11:00"), at(TUE, "13:00")),
        ev("i", "I c [delegate]", at(TUE, "11:30"), at(TUE, "12:30")),
        ev("u", "U d [eliminate]", at(TUE, "12:00"), at(TUE, "14:00")),
        ev("q", "W e", at(TUE, "13:30"), at(TUE, "15:00")),  # quadrant unknown
    )
    # 10:00-11:00 w 60 | 11:00-11:30 w,l 15 each | 11:30-12:00 w,l,i 10 each
    # 12:00-12:30 l,i,u 10 each | 12:30-13:00 l,u 15 each | 13:00-13:30 u 30
    # 13:30-14:00 u,q 15 each | 14:00-15:00 q 60
    # w 85, l 50, i 20, u 70, q 75 = 300 = union 10:00-15:00
    hours = result["hours"]
    assert hours["total"] == 5.0
    assert hours["by_domain"] == {"work": 2.67, "life": 0.83, "integrated": 0.33,
                                  "unclassified": 1.17}
    assert hours["by_quadrant"] == {"do": 1.42, "schedule": 0.83, "delegate": 0.33,
                                    "eliminate": 1.17, "unclassified": 1.25}
    assert hours["double_booked"] == 2.5  # 11:00-13:00 and 13:30-14:00
    # free 09:00-10:00 (fragmented) and 15:00-17:00 (exactly 120 min: focus)
    assert by_date(result)[TUE] == day_row(work=2.67, life=0.83, integrated=0.33,
                                           unclassified=1.17, focus=2.0, working=8.0)
    assert sum(hours["by_domain"].values()) == pytest.approx(5.0, abs=0.02)
    assert sum(hours["by_quadrant"].values()) == pytest.approx(5.0, abs=0.025)


def test_the_shipped_pack_does_not_change_what_user_rules_decided():
    rows = [ev("a", "W team lunch standup [eliminate]", at(MON, "12:00"), at(MON, "13:00")),
            ev("b", "L gym incident [delegate]", at(MON, "12:30"), at(MON, "13:30"))]
    audit = run_audit(frame(*rows), CONFIG, W13)
    assert audit.events.select("event_id", "domain", "quadrant").rows() == [
        ("a", "work", "eliminate"), ("b", "life", "delegate")]
    assert audit.events["reason"].to_list() == [
        'domain: rule "Work"; urgent: rule "Eliminate"; important: rule "Eliminate"',
        'domain: rule "Life"; urgent: rule "Delegate"; important: rule "Delegate"',
    ]


# --- midnight and DST -------------------------------------------------------------------

def test_an_event_across_midnight_gives_an_hour_to_each_day():
    result = report(ev("p", "L party [eliminate]", at(TUE, "23:00"), at(WED, "01:00")))
    days = by_date(result)
    assert days[TUE] == day_row(life=1.0, focus=8.0, working=8.0)
    assert days[WED] == day_row(life=1.0, focus=8.0, working=8.0)
    assert result["hours"]["total"] == 2.0


def test_the_night_before_the_period_is_clipped():
    """Sun 22 March 23:00 → Mon 01:00: only Monday's hour is in W13 (and it is late night)."""
    result = report(ev("n", "W night [do]", at("2026-03-22", "23:00"), at(MON, "01:00")))
    assert result["hours"]["total"] == 1.0
    assert items(result) == [(MON, "late_night", 60, "n")]
    assert by_date(result)[MON] == day_row(work=1.0, focus=8.0, working=8.0,
                                           violation_minutes=60)


@pytest.mark.parametrize(("period", "saturday", "sunday", "start", "end", "sunday_minutes"), [
    # 23:00 CET (22:00Z) → 04:00 CEST (02:00Z): 4 h elapsed; Sunday 00:00-04:00 is 3 h
    (W13, SAT, SUN, at(SAT, "23:00"), at(SUN, "04:00"), 180),
    # 23:00 CEST (21:00Z) → 04:00 CET (03:00Z): 6 h elapsed; Sunday 00:00-04:00 is 5 h
    (W43, "2026-10-24", "2026-10-25", at("2026-10-24", "23:00"), at("2026-10-25", "04:00"), 300),
])
def test_a_night_across_a_dst_change(period, saturday, sunday, start, end, sunday_minutes):
    result = report(ev("m", "W migration [do]", start, end), period=period)
    days = by_date(result)
    assert days[saturday] == day_row(work=1.0, violation_minutes=60)
    assert days[sunday] == day_row(work=sunday_minutes / 60, violation_minutes=sunday_minutes)
    assert result["hours"]["total"] == 1 + sunday_minutes / 60
    # a weekend night is a non-working day, never late night
    assert result["violations"]["minutes_by_type"] == minutes_by_type(
        non_working_day=60 + sunday_minutes)


@pytest.mark.parametrize(("period", "sunday", "length"), [
    (W13, SUN, 23.0), (W43, "2026-10-25", 25.0)])
def test_a_day_is_as_long_as_its_clock_says(period, sunday, length):
    """Whole local days of life time (max_event_hours raised to 25): 24 h, then 23 or 25 h;
    a second whole-day event on Sunday makes it double-booked, not longer."""
    config = make_config(counting={"max_event_hours": 25})
    saturday = (date.fromisoformat(sunday) - timedelta(days=1)).isoformat()
    monday = (date.fromisoformat(sunday) + timedelta(days=1)).isoformat()
    result = report(
        ev("sat", "L sat [schedule]", at(saturday, "00:00"), at(sunday, "00:00")),
        ev("sun", "L sun [schedule]", at(sunday, "00:00"), at(monday, "00:00")),
        ev("sun2", "I sun [schedule]", at(sunday, "00:00"), at(monday, "00:00")),
        config=config, period=period,
    )
    days = by_date(result)
    assert days[saturday] == day_row(life=24.0)
    assert days[sunday] == day_row(life=length / 2, integrated=length / 2)
    assert result["hours"]["total"] == 24.0 + length
    assert result["hours"]["double_booked"] == length
    assert result["hours"]["by_quadrant"]["schedule"] == 24.0 + length


# --- boundary violations ----------------------------------------------------------------

@pytest.mark.parametrize(("row", "expected"), [
    (ev("x", "W mail [eliminate]", at(MON, "17:00"), at(MON, "18:00")),
     (MON, "after_hours", 60, "x")),
    (ev("x", "W mail [eliminate]", at(TUE, "22:00"), at(TUE, "23:00")),
     (TUE, "late_night", 60, "x")),
    (ev("x", "W mail [eliminate]", at(SAT, "10:00"), at(SAT, "11:00")),
     (SAT, "non_working_day", 60, "x")),
    # the Friday lunch walk lies inside the working window: protected time and nothing else
    (ev("x", "W lunch talk [schedule]", at(FRI, "12:00"), at(FRI, "13:00")),
     (FRI, "protected_time", 60, "x")),
    (ev("x", "W sync [do]", at(WED, "10:00"), at(WED, "11:00"), attendees=2),
     (WED, "no_meeting_day", 60, "x")),
    # late night on a non-working day is a non-working day
    (ev("x", "W mail [eliminate]", at(SAT, "23:00"), at(SAT, "23:30")),
     (SAT, "non_working_day", 30, "x")),
])
def test_each_violation_alone(row, expected):
    result = report(row)
    assert items(result) == [expected]
    assert result["violations"]["count"] == 1
    assert result["violations"]["minutes_by_type"] == minutes_by_type(
        **{expected[1]: expected[2]})
    assert by_date(result)[expected[0]]["violation_minutes"] == expected[2]
    item = result["violations"]["items"][0]
    assert (item["title"], item["calendar"]) == (row["title"], "Test")


def test_long_day_alone_inside_a_long_window():
    """Thursday's window is 07:00-19:00; work 07:00-08:00 and 18:00-19:00 spans 12 h."""
    result = report(ev("early", "W early [do]", at(THU, "07:00"), at(THU, "08:00")),
                    ev("late", "W late [do]", at(THU, "18:00"), at(THU, "19:00")))
    assert items(result) == [(THU, "long_day", 120, "late")]  # the one that ends last
    assert result["violations"]["minutes_by_type"] == minutes_by_type(long_day=120)


def test_other_domains_never_violate():
    result = report(
        ev("l", "L late [do]", at(MON, "22:00"), at(MON, "23:00")),
        ev("i", "I walk [do]", at(SAT, "10:00"), at(SAT, "12:00")),
        ev("m", "L call [do]", at(WED, "10:00"), at(WED, "11:00"), attendees=3),
    )
    assert result["violations"] == {"count": 0, "minutes_by_type": minutes_by_type(),
                                    "items": []}


def test_violations_combined():
    """Several boundaries crossed in one week, with an overlap sharing the minutes.

    Monday::

        early    W 08:00-09:00                 after hours 60
        release  W 16:00 ─────────────────────────────── 23:30
                   16-17 window | 17-22 after hours | 22-23:30 late night 90
                                | 18-20 protected (on top)
        dinner   L 18:00-19:00  shares 18-19 with release: release keeps 30 of those 60

        release: after hours 300 - 30 = 270, protected 120 - 30 = 90, late night 90
        long day: 08:00 → 23:30 = 15.5 h, 330 min over 10 h (named after release)

    Wednesday (no-meeting day): a work meeting 17:00-18:00 is after hours 60 and
    no_meeting_day 60. Friday 23:00 → Saturday 01:00: late night 60 on Friday,
    non-working day 60 on Saturday.
    """
    result = report(
        ev("early", "W early [do]", at(MON, "08:00"), at(MON, "09:00")),
        ev("release", "W release [do]", at(MON, "16:00"), at(MON, "23:30")),
        ev("dinner", "L dinner [schedule]", at(MON, "18:00"), at(MON, "19:00")),
        ev("call", "W call [do]", at(WED, "17:00"), at(WED, "18:00"), attendees=2),
        ev("hotfix", "W hotfix [do]", at(FRI, "23:00"), at(SAT, "01:00")),
    )
    assert items(result) == [
        (MON, "after_hours", 60, "early"),
        (MON, "after_hours", 270, "release"),
        (MON, "late_night", 90, "release"),
        (MON, "long_day", 330, "release"),
        (MON, "protected_time", 90, "release"),
        (WED, "after_hours", 60, "call"),
        (WED, "no_meeting_day", 60, "call"),
        (FRI, "late_night", 60, "hotfix"),
        (SAT, "non_working_day", 60, "hotfix"),
    ]
    assert result["violations"]["count"] == 9
    assert result["violations"]["minutes_by_type"] == {
        "non_working_day": 60, "late_night": 150, "after_hours": 390,
        "protected_time": 90, "no_meeting_day": 60, "long_day": 330}
    assert {d: row["violation_minutes"] for d, row in by_date(result).items()} == {
        MON: 840, TUE: 0, WED: 120, THU: 0, FRI: 60, SAT: 60, SUN: 0}
    # release 60 in the window + 270 after hours + 90 late = 420, plus early 60: 8 h;
    # Monday's free 09:00-16:00 is one 7-hour gap
    assert by_date(result)[MON] == day_row(work=8.0, life=0.5, focus=7.0, working=8.0,
                                           violation_minutes=840)
    assert result["hours"]["meetings"] == 1.0
    assert result["hours"]["double_booked"] == 1.0


def test_minutes_by_type_always_lists_all_six_types():
    result = report(ev("x", "W mail [eliminate]", at(MON, "17:00"), at(MON, "17:45")))
    assert list(result["violations"]["minutes_by_type"]) == list(TYPES)
    assert result["violations"]["minutes_by_type"] == minutes_by_type(after_hours=45)


def test_no_violation_item_of_zero_minutes():
    result = report(ev("w", "W ping [do]", at(MON, "17:00"), at(MON, "17:01")),
                    ev("l", "L ping [do]", at(MON, "17:00"), at(MON, "17:01")))
    assert all(item["minutes"] >= 1 for item in result["violations"]["items"])
    assert result["violations"]["count"] == len(result["violations"]["items"])


def test_the_json_text_is_what_json_dumps_writes_for_any_title():
    """`Report.to_json` writes the rows by Polars; quotes, backslashes, control characters,
    emoji and line separators in titles come out as ``json.dumps`` writes them."""
    odd = ['W "quoted" \\ back\\slash [do]', "W tab\tnew\nline\x01\x1f [do]",
           "W Kita 🚸 café \u2028 [do]", "W </script> [do]"]
    audit = run_audit(frame(*(ev(f"e{i}", title, at(MON, f"{18 + i}:00"),
                                 at(MON, f"{18 + i}:30"))
                              for i, title in enumerate(odd))), CONFIG, W13)
    result = build_report(audit)
    assert {item["title"] for item in result["violations"]["items"]} == set(odd)
    assert make_report(audit).to_json() == json.dumps(result, indent=2, ensure_ascii=False)


def test_floats_json_would_write_with_an_exponent_are_left_to_json():
    days = pl.DataFrame({"date": ["2026-03-23"], "work": [1e-07], "big": [1e16]})
    items = pl.DataFrame({"date": ["2026-03-23"], "minutes": [3]})
    document = {"period": {}, "violations": {"count": 1, "items": []}, "days": []}
    written = Report(document, items, days).to_json()
    assert written == json.dumps(Report(document, items, days).as_dict(), indent=2,
                                 ensure_ascii=False)
    assert '"work": 1e-07' in written


def test_the_json_text_of_rows_with_nulls_is_what_json_dumps_writes():
    """A text column without nulls has its quotes joined to the text around it; one with
    nulls, a null number and a text column last come out as ``json.dumps`` writes them."""
    items = pl.DataFrame({"date": ["2026-03-23", "2026-03-24", "2026-03-25"],
                          "minutes": [3, None, 5], "title": ["a", None, 'q"uote'],
                          "calendar": ["Work", "Home", "Work"]})
    days = pl.DataFrame({"date": ["2026-03-23"], "work": [1.5], "note": [None]},
                        schema={"date": pl.String, "work": pl.Float64, "note": pl.String})
    document = {"period": {}, "violations": {"count": 3, "items": []}, "days": []}
    report = Report(document, items, days)
    assert report.to_json() == json.dumps(report.as_dict(), indent=2, ensure_ascii=False)


# --- focus ------------------------------------------------------------------------------

@pytest.mark.parametrize(("gap", "focus", "fragmented"), [
    (119, 0, 119), (120, 120, 0), (121, 121, 0)])
def test_a_gap_is_focus_from_min_block_minutes(gap, focus, fragmented):
    """Tuesday busy 09:00-10:00 and from 10:00+gap to 17:00."""
    resume = (at(TUE, "10:00") + timedelta(minutes=gap)).astimezone(BERLIN)
    result = report(ev("a", "W a [do]", at(TUE, "09:00"), at(TUE, "10:00")),
                    ev("b", "W b [do]", resume, at(TUE, "17:00")))
    assert by_date(result)[TUE] == day_row(work=round((480 - gap) / 60, 2),
                                           focus=round(focus / 60, 2), working=8.0)
    assert result["focus"]["hours"] == round(36 + focus / 60, 2)
    assert result["focus"]["fragmented_hours"] == round(fragmented / 60, 2)
    assert result["focus"]["working_hours"] == 44.0


def test_a_focus_block_overlapping_a_meeting():
    """Tuesday::

        W      09:00 [========================================) 17:00
        sync         10:00 [=====) 11:00              meeting, 3 attendees
        focus              10:30 [=========) 12:00    a focus block (title)
        review                         12:00 [=========) 17:00

        free: 09:00-10:00 (short, fragmented 60), 11:00-12:00 (short, but the block: 60)
        focus = gaps ∪ (F ∩ W − B) = 11:00-12:00 = 60 = protected focus
        time: sync 30 + 15 = 45, focus block 15 + 60 = 75, review 300
    """
    result = report(
        ev("sync", "W sync [do]", at(TUE, "10:00"), at(TUE, "11:00"), attendees=3),
        ev("focus", "W Focus [schedule]", at(TUE, "10:30"), at(TUE, "12:00")),
        ev("review", "W review [do]", at(TUE, "12:00"), at(TUE, "17:00")),
    )
    assert result["focus"] == {"hours": 37.0, "protected_hours": 1.0, "fragmented_hours": 1.0,
                               "working_hours": 44.0, "coverage": 0.84, "target_hours": 10.0,
                               "target_met": True}
    assert result["hours"]["by_quadrant"]["do"] == 5.75  # 45 + 300 min
    assert result["hours"]["by_quadrant"]["schedule"] == 1.25  # 75 min
    assert result["hours"]["meetings"] == 0.75
    assert result["hours"]["double_booked"] == 0.5
    assert by_date(result)[TUE] == day_row(work=7.0, focus=1.0, working=8.0)
    focus = run_audit(frame(
        ev("sync", "W sync [do]", at(TUE, "10:00"), at(TUE, "11:00"), attendees=3),
        ev("focus", "W Focus [schedule]", at(TUE, "10:30"), at(TUE, "12:00")),
        ev("review", "W review [do]", at(TUE, "12:00"), at(TUE, "17:00")),
    ), CONFIG, W13).focus.filter(pl.col("date") == date(2026, 3, 24))
    assert focus.drop("date").row(0, named=True) == {
        "working_minutes": 480.0, "focus_minutes": 60.0, "protected_focus_minutes": 60.0,
        "fragmented_minutes": 60.0, "busy_in_window_minutes": 360.0}


# --- what counts ------------------------------------------------------------------------

COUNTING_ROWS = [
    ev("plain", "L plain [eliminate]", at(MON, "15:00"), at(MON, "16:00")),
    ev("declined", "L declined [eliminate]", at(MON, "09:00"), at(MON, "10:00"),
       response="declined"),
    ev("cancelled", "L cancelled [eliminate]", at(MON, "10:00"), at(MON, "11:00"),
       status="cancelled"),
    ev("free", "L free [eliminate]", at(MON, "11:00"), at(MON, "12:00"), busy=False),
    ev("maybe", "L maybe [eliminate]", at(MON, "12:00"), at(MON, "13:00"),
       response="tentative"),
    ev("held", "L held [eliminate]", at(MON, "13:00"), at(MON, "14:00"), status="tentative"),
    ev("unanswered", "L unanswered [eliminate]", at(MON, "14:00"), at(MON, "15:00"),
       response="needs_action"),
    ev("all-day", "L all day [eliminate]", at(TUE, "00:00"), at(WED, "00:00"), all_day=True),
    ev("twelve", "L twelve [eliminate]", at(SAT, "06:00"), at(SAT, "18:00")),
    # on the 23-hour Sunday, after the clocks jumped: 12.5 h elapsed
    ev("longer", "L longer [eliminate]", at(SUN, "06:00"), at(SUN, "18:30")),
    # declined work after hours on a no-meeting day: no time, no violation
    ev("declined-work", "W declined [do]", at(WED, "18:00"), at(WED, "19:00"),
       response="declined", attendees=4),
]
NEVER = {"declined": "declined", "cancelled": "cancelled", "all-day": "all-day",
         "declined-work": "declined"}


@pytest.mark.parametrize(("counting", "hours", "reasons"), [
    ({}, 16.0,  # plain, maybe, held, unanswered 1 h each, twelve 12 h
     {"free": "free (transparent)", "longer": "longer than 12 h"}),
    ({"include_free": True}, 17.0, {"longer": "longer than 12 h"}),
    ({"include_tentative": False}, 14.0,
     {"free": "free (transparent)", "maybe": "tentative", "held": "tentative",
      "longer": "longer than 12 h"}),
    ({"include_needs_action": False}, 15.0,
     {"free": "free (transparent)", "unanswered": "not answered",
      "longer": "longer than 12 h"}),
    ({"include_free": True, "include_tentative": False, "include_needs_action": False,
      "max_event_hours": 13}, 26.5,  # plain 1, free 1, twelve 12, longer 12.5
     {"maybe": "tentative", "held": "tentative", "unanswered": "not answered"}),
    ({"max_event_hours": 12.5}, 28.5, {"free": "free (transparent)"}),
])
def test_what_counts_follows_the_counting_settings(counting, hours, reasons):
    config = make_config(counting=counting)
    audit = run_audit(frame(*COUNTING_ROWS), config, W13)
    result = build_report(audit)
    check_shape(result)
    expected = dict.fromkeys(r["event_id"] for r in COUNTING_ROWS) | NEVER | reasons
    assert dict(audit.events.select("event_id", "count_reason").iter_rows()) == expected
    assert result["hours"]["total"] == hours
    assert result["hours"]["by_domain"] == {"work": 0.0, "life": hours, "integrated": 0.0,
                                            "unclassified": 0.0}
    assert result["violations"]["count"] == 0
    # only counted time is attributed: every uncounted occurrence has 0 minutes
    minutes = dict(audit.minutes_per_event().select("event_id", "attributed_minutes")
                   .iter_rows())
    assert {e for e, m in minutes.items() if m > 0} == {e for e, r in expected.items()
                                                        if r is None}


# --- focus coverage and the target -------------------------------------------------------

def busy_until_two_hours_left(period: Period, short_day: date | None = None) -> list[dict]:
    """Each working day busy from its window's start to 2 h before its end (1 min more on
    ``short_day``, leaving a 119-minute stretch that is not a gap)."""
    rows = []
    for day in period.days:
        hours = CONFIG.working_hours[WEEKDAYS[day.weekday()]]
        if hours is None:
            continue
        start = datetime.combine(day, hours.start, BERLIN)
        end = datetime.combine(day, hours.end, BERLIN) - timedelta(hours=2)
        if day == short_day:
            end += timedelta(minutes=1)
        rows.append(ev(f"busy-{day}", "W busy [do]", start, end))
    return rows


@pytest.mark.parametrize(("period", "short_day", "focus", "working", "coverage", "target",
                          "met"), [
    (W13, None, 10.0, 44.0, 0.23, 10.0, True),  # 10.0 h ≥ 10.0 h: met
    (W13, date(2026, 3, 27), 8.0, 44.0, 0.18, 10.0, False),
    # 14 days: the target is 10 × 14 / 7 = 20 h
    (Period(date(2026, 3, 23), date(2026, 4, 6), TZ), None, 20.0, 88.0, 0.23, 20.0, True),
    (Period(date(2026, 3, 23), date(2026, 4, 6), TZ), date(2026, 4, 1), 18.0, 88.0, 0.2,
     20.0, False),
    # 3 days (Mon–Wed): 10 × 3 / 7 = 4.2857 h, 6 h of focus
    (Period(date(2026, 3, 23), date(2026, 3, 26), TZ), None, 6.0, 24.0, 0.25, 4.29, True),
])
def test_coverage_and_the_target_scaled_to_the_period(period, short_day, focus, working,
                                                      coverage, target, met):
    result = report(*busy_until_two_hours_left(period, short_day), period=period)
    assert result["focus"] == {
        "hours": focus, "protected_hours": 0.0,
        "fragmented_hours": 0.0 if short_day is None else 1.98,  # 119 min
        "working_hours": working, "coverage": coverage, "target_hours": target,
        "target_met": met}
    assert len(result["days"]) == len(period.days)
    assert result["period"]["to"] == period.end.isoformat()


def test_the_target_follows_the_configuration():
    config = make_config(focus={"target_hours_per_week": 3.5})
    result = report(config=config, period=Period(date(2026, 3, 23), date(2026, 4, 6), TZ))
    assert result["focus"]["target_hours"] == 7.0
    assert result["focus"]["target_met"] is True


# --- the table --------------------------------------------------------------------------

def test_the_table_shows_the_figures():
    result = report(
        ev("release", "W release [do]", at(MON, "16:00"), at(MON, "23:30")),
        ev("A", "W planning [do]", at(TUE, "09:00"), at(TUE, "10:00"), attendees=2),
    )
    table = render_table(result)
    assert table.startswith(f"timeaudit — 2026-03-23 to 2026-03-30 (exclusive), {TZ}\n")
    assert "Counted time    8.50 h   meetings 1.00 h   double-booked 0.00 h" in table
    assert "  work           8.50 h" in table
    assert "  do             8.50 h  100%" in table
    # Mon free 09:00-16:00 and Tue 10:00-17:00: 7 h each; Wed–Fri 28 h: 42 of 44 h (0.95)
    assert "Focus  42.00 h of 44.00 working h (95%); target 10.00 h met" in table
    assert "Boundary violations  3" in table
    assert "  after_hours       300 min" in table
    assert "  protected_time    120 min" in table
    assert "    2026-03-23  late_night        90 min  W release [do]" in table
    assert "2026-03-23   7.50   0.00     0.00      0.00   7.00     8.00     510 min" in table
    assert "2026-03-29   0.00   0.00     0.00      0.00   0.00     0.00       0 min" in table


# --- properties -------------------------------------------------------------------------

def day_bounds(period: Period) -> list[tuple[date, datetime, datetime]]:
    """(date, local midnight, next local midnight) as UTC instants, from zoneinfo."""
    out = []
    for day in period.days:
        first = datetime.combine(day, datetime.min.time(), BERLIN).astimezone(UTC)
        after = datetime.combine(day + timedelta(days=1), datetime.min.time(),
                                 BERLIN).astimezone(UTC)
        out.append((day, first, after))
    return out


def union_minutes(intervals: list[tuple[datetime, datetime]], lo: datetime,
                  hi: datetime) -> float:
    clipped = sorted((max(s, lo), min(e, hi)) for s, e in intervals if min(e, hi) > max(s, lo))
    total, current = 0.0, None
    for s, e in clipped:
        if current is None or s > current[1]:
            if current is not None:
                total += (current[1] - current[0]).total_seconds() / 60
            current = [s, e]
        else:
            current[1] = max(current[1], e)
    if current is not None:
        total += (current[1] - current[0]).total_seconds() / 60
    return total


random_event = st.fixed_dictionaries({
    "offset": st.integers(-6 * 60, 7 * 24 * 60 + 6 * 60),  # minutes from the period start
    "length": st.integers(0, 14 * 60),
    "prefix": st.sampled_from(["W", "L", "I", "U"]),
    "tag": st.sampled_from(["[do]", "[schedule]", "[delegate]", "[eliminate]", ""]),
    "status": st.sampled_from(["confirmed", "confirmed", "tentative", "cancelled"]),
    "response": st.sampled_from(["accepted", "organizer", "tentative", "declined",
                                 "needs_action", "none"]),
    "busy": st.booleans(),
    "kind": st.sampled_from(["event", "event", "focus"]),
    "attendees": st.integers(0, 2),
})


def random_rows(period: Period, draws: list[dict]) -> list[dict]:
    start = period.utc_bounds()[0]
    return [ev(f"e{i}", f"{d['prefix']} e{i} {d['tag']}".strip(),
               start + timedelta(minutes=d["offset"]),
               start + timedelta(minutes=d["offset"] + d["length"]),
               status=d["status"], response=d["response"], busy=d["busy"], kind=d["kind"],
               attendees=d["attendees"])
            for i, d in enumerate(draws)]


def counted(row: dict) -> bool:
    """SPEC §6 with the default [counting] of CONFIG, straight from its words."""
    return (row["status"] != "cancelled" and row["response"] != "declined"
            and row["busy"] and row["end"] - row["start"] <= timedelta(hours=12))


PERIODS = st.sampled_from([W13, W43])


@settings(deadline=None, max_examples=40)
@given(PERIODS, st.lists(random_event, max_size=8))
def test_sums_day_lengths_and_focus_add_up(period: Period, draws: list[dict]):
    rows = random_rows(period, draws)
    audit = run_audit(frame(*rows), CONFIG, period)
    result = build_report(audit)
    check_shape(result)
    busy = [(r["start"], r["end"]) for r in rows if counted(r)]
    days = day_table(audit)
    domains = ["work", "life", "integrated", "unclassified"]
    quadrants = [f"quadrant_{q}" for q in QUADRANT_KEYS]
    for (day, first, after), row in zip(day_bounds(period), days.iter_rows(named=True),
                                        strict=True):
        assert row["date"] == day
        union = union_minutes(busy, first, after)
        length = (after - first).total_seconds() / 60
        assert union <= length
        # unrounded: the attributed minutes of a day are exactly its wall-clock busy time
        assert row["busy_minutes"] == pytest.approx(union, abs=1e-6)
        assert sum(row[d] for d in domains) == pytest.approx(union, abs=1e-6)
        assert sum(row[q] for q in quadrants) == pytest.approx(union, abs=1e-6)
        assert row["meeting_minutes"] <= union + 1e-6
        assert row["double_booked_minutes"] <= union + 1e-6
        # every minute of the window is busy, focus or fragmented
        assert (row["focus_minutes"] + row["fragmented_minutes"]
                + row["busy_in_window_minutes"]) == pytest.approx(row["working_minutes"])
        assert row["protected_focus_minutes"] <= row["focus_minutes"] + 1e-6
    total = union_minutes(busy, *period.utc_bounds()) / 60
    hours = result["hours"]
    assert hours["total"] == pytest.approx(total, abs=0.005 + 1e-9)
    # five roundings to 2 decimals (four parts and the total) may drift by 0.005 each
    assert sum(hours["by_domain"].values()) == pytest.approx(hours["total"], abs=0.025)
    assert sum(hours["by_quadrant"].values()) == pytest.approx(hours["total"], abs=0.03)
    for day, (_, first, after) in zip(result["days"], day_bounds(period), strict=True):
        length = (after - first).total_seconds() / 3600
        assert sum(day[d] for d in domains) <= length + 0.02
        assert day["focus"] <= day["working"]


@settings(deadline=None, max_examples=25)
@given(PERIODS, st.lists(random_event, min_size=2, max_size=8), st.randoms())
def test_the_report_does_not_depend_on_row_order(period: Period, draws: list[dict],
                                                 rnd: random.Random):
    rows = random_rows(period, draws)
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    assert build_report(run_audit(frame(*shuffled), CONFIG, period)) == \
        build_report(run_audit(frame(*rows), CONFIG, period))


@settings(deadline=None, max_examples=25)
@given(PERIODS, st.lists(random_event, max_size=6), st.integers(0, 4),
       st.integers(1, 480), st.data())
def test_work_inside_the_window_is_never_outside_it(period: Period, draws: list[dict],
                                                    weekday: int, length: int,
                                                    data: st.DataObject):
    day = period.start + timedelta(days=weekday)
    hours = CONFIG.working_hours[WEEKDAYS[day.weekday()]]
    assert hours is not None
    opens = datetime.combine(day, hours.start, BERLIN)
    window = (datetime.combine(day, hours.end, BERLIN) - opens) // timedelta(minutes=1)
    offset = data.draw(st.integers(0, window - length), label="offset")
    start = opens + timedelta(minutes=offset)
    moved = ev("moved", "W moved [do]", start, start + timedelta(minutes=length),
               attendees=data.draw(st.integers(0, 2), label="attendees"))
    audit = run_audit(frame(*random_rows(period, draws), moved), CONFIG, period)
    outside = audit.violations.filter(
        (pl.col("event_id") == "moved")
        & pl.col("type").is_in(["after_hours", "late_night", "non_working_day"]))
    assert outside.height == 0, outside


def test_config_round_trip_keeps_what_the_tests_rely_on():
    assert CONFIG.timezone == TZ
    assert CONFIG.counting == replace(CONFIG.counting)
    assert [b.name for b in CONFIG.boundaries.protected] == ["Family dinner", "Lunch walk"]
    assert CONFIG.path == "test.toml"


def test_audit_is_returned_whole():
    audit = run_audit(frame(ev("a", "W a [do]", at(MON, "09:00"), at(MON, "10:00"))),
                      CONFIG, W13)
    assert isinstance(audit, Audit)
    assert audit.busy["date"].to_list() == W13.days
    assert audit.focus["date"].to_list() == W13.days


def test_the_json_rows_written_a_block_at_a_time(monkeypatch: pytest.MonkeyPatch):
    """`Report.write_json` writes the rows in blocks; the text is the same at any block size."""
    import io  # noqa: PLC0415

    from audit import report as report_module  # noqa: PLC0415

    rows = [ev(f"e{i}", f"W late {i} [do]", at(MON, f"{18 + i % 4}:00"), at(MON, "23:00"))
            for i in range(7)]
    audit = run_audit(frame(*rows), CONFIG, W13)
    expected = json.dumps(build_report(audit), indent=2, ensure_ascii=False)
    for block in (1, 2, 3, 100):
        monkeypatch.setattr(report_module, "_BLOCK_ROWS", block)
        out = io.BytesIO()
        make_report(audit).write_json(out)
        assert out.getvalue().decode() == expected
