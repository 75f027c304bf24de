"""Budgets in ``[goals]`` (issue 14): met or missed with the margin, scaled to the period.

Europe/Berlin, 2026-W13 (Mon 23 – Sun 29 March), working hours 09:00-17:00 Monday to
Friday (40 h), late night 22:00-06:00. Titles starting "W " are work (a user rule).
"""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from report_shape import check_shape

from audit.config import Goals, parse_config
from audit.engine import run_audit
from audit.export import export_frames
from audit.report import build_report, render_table
from core.errors import ConfigError
from core.period import Period
from core.schema import EVENT_SCHEMA

TZ = "Europe/Berlin"
BERLIN = ZoneInfo(TZ)
W13 = Period(date(2026, 3, 23), date(2026, 3, 30), TZ)
APRIL = Period(date(2026, 4, 1), date(2026, 5, 1), TZ)
MON, TUE, WED, THU, FRI, SAT, SUN = (f"2026-03-{d}" for d in range(23, 30))
SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "timeaudit.toml"
BASE: dict[str, Any] = {
    "timezone": TZ,
    "working_hours": {"monday": "09:00-17:00", "tuesday": "09:00-17:00",
                      "wednesday": "09:00-17:00", "thursday": "09:00-17:00",
                      "friday": "09:00-17:00", "saturday": "", "sunday": ""},
    "boundaries": {"late_night": "22:00-06:00"},
    "focus": {"min_block_minutes": 120, "target_hours_per_week": 10},
    "rules": [{"name": "Work", "title": "^W ", "domain": "work"}],
}
GOALS = {"max_meeting_hours_per_week": 3, "max_after_hours_minutes_per_week": 120,
         "max_late_night_days_per_week": 1, "min_focus_hours_per_week": 20}


def config(goals: dict[str, Any] | None = None) -> Any:
    return parse_config({**BASE, **({"goals": goals} if goals is not None else {})},
                        file="test.toml")


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=BERLIN)


def ev(event_id: str, day: str, start: str, end: str, **fields: Any) -> dict:
    return {
        "source": "ics:test.ics", "calendar": "Test", "event_id": event_id, "series_id": None,
        "title": f"W {event_id}", "description": None, "location": None,
        "start": at(day, start), "end": at(day, end), "all_day": False,
        "status": "confirmed", "response": "accepted", "busy": True, "kind": "event",
        "attendees": 0, "organizer": None, "attendee_domains": [], "categories": [],
        "color": None, "created": None, **fields,
    }


WEEK = pl.DataFrame([
    ev("planning", MON, "09:00", "11:00", attendees=2),
    ev("review", TUE, "13:00", "15:00", attendees=3),
    ev("evening", TUE, "18:00", "19:00"),
    ev("incident", WED, "22:30", "23:30"),
    ev("email", THU, "23:00", "23:30"),
    ev("weekend", SAT, "10:00", "10:30"),
], schema=EVENT_SCHEMA)


def goals(frame: pl.DataFrame, goals_config: dict[str, Any] | None,
          period: Period = W13) -> dict[str, dict[str, Any]]:
    report = build_report(run_audit(frame, config(goals_config), period))
    check_shape(report)
    return {row.pop("goal"): row for row in report["goals"]}


def test_a_week_over_three_budgets_and_within_the_focus_goal():
    """::

        Mon  09:00 [planning, 2 people) 11:00            meeting 2 h; free 11-17: focus 6 h
        Tue  13:00 [review) 15:00   18:00 [evening) 19:00  meeting 2 h, after hours 60;
                                                          free 09-13 and 15-17: focus 6 h
        Wed  22:30 [incident) 23:30                       late night 60 (night 1)
        Thu  23:00 [email) 23:30                          late night 30 (night 2)
        Sat  10:00 [weekend) 10:30                        non-working day 30
        Wed–Fri free: focus 24 h

    meetings 4 h of at most 3 → missed by 1; outside hours 60 + 60 + 30 + 30 = 180 min of
    at most 120 → missed by 60; late nights 2 of at most 1 → missed by 1; focus 36 h of
    at least 20 → 16 to spare.
    """
    assert goals(WEEK, GOALS) == {
        "meeting_hours": {"kind": "max", "unit": "h", "limit": 3.0, "actual": 4.0,
                          "met": False, "margin": -1.0},
        "outside_hours_minutes": {"kind": "max", "unit": "min", "limit": 120.0,
                                  "actual": 180.0, "met": False, "margin": -60.0},
        "late_night_days": {"kind": "max", "unit": "days", "limit": 1.0, "actual": 2.0,
                            "met": False, "margin": -1.0},
        "focus_hours": {"kind": "min", "unit": "h", "limit": 20.0, "actual": 36.0,
                        "met": True, "margin": 16.0},
    }


def test_a_budget_met_exactly_is_met():
    result = goals(WEEK, {"max_meeting_hours_per_week": 4, "max_late_night_days_per_week": 2})
    assert (result["meeting_hours"]["met"], result["meeting_hours"]["margin"]) == (True, 0.0)
    assert (result["late_night_days"]["met"], result["late_night_days"]["margin"]) == \
        (True, 0.0)


def test_budgets_scale_to_a_month():
    """April: 30 days, so each weekly budget × 30/7: 3 h → 12.86 h, 120 min → 514.29 min,
    1 night → 4.29 nights, 20 h focus → 85.71 h (22 working days × 8 h = 176 h free)."""
    result = goals(WEEK.clear(), GOALS, APRIL)
    assert {name: (row["limit"], row["actual"], row["met"]) for name, row in result.items()} \
        == {"meeting_hours": (12.86, 0.0, True), "outside_hours_minutes": (514.29, 0.0, True),
            "late_night_days": (4.29, 0.0, True), "focus_hours": (85.71, 176.0, True)}


def test_without_goals_only_the_focus_target_is_a_goal_and_agrees_with_the_report():
    report = build_report(run_audit(WEEK, config(), W13))
    (focus_goal,) = report["goals"]
    assert focus_goal == {"goal": "focus_hours", "kind": "min", "unit": "h", "limit": 10.0,
                          "actual": 36.0, "met": True, "margin": 26.0}
    assert focus_goal["limit"] == report["focus"]["target_hours"]
    assert focus_goal["met"] == report["focus"]["target_met"]


def test_the_table_and_the_export_show_the_budgets():
    audit = run_audit(WEEK, config(GOALS), W13)
    table = render_table(build_report(audit))
    assert "  meeting hours             4.00 of at most 3.00 h  missed (by 1.00 h)" in table
    assert "  focus hours              36.00 of at least 20.00 h  met (16.00 h to spare)" \
        in table
    for privacy in ("strict", "standard", "full"):
        frame = export_frames(audit, privacy)["goals.csv"]
        assert frame["goal"].to_list() == ["meeting_hours", "outside_hours_minutes",
                                           "late_night_days", "focus_hours"]
        assert frame["margin"].to_list() == [-1.0, -60.0, -1.0, 16.0]
    # no [goals]: no goals.csv, the export is as it was
    assert "goals.csv" not in export_frames(run_audit(WEEK, config(), W13), "standard")


@pytest.mark.parametrize(("goals_config", "message"), [
    ({"max_meeting_hours_per_week": "lots"},
     'test.toml: goals.max_meeting_hours_per_week: expected a number, got "lots"'),
    ({"max_late_night_days_per_week": -1},
     "test.toml: goals.max_late_night_days_per_week: -1 must be at least 0"),
    ({"max_late_night_days_per_week": 8},
     "test.toml: goals.max_late_night_days_per_week: 8 is more than 7 days (a week), the "
     "most it can mean"),
    ({"max_meetings": 3},
     "test.toml: goals.max_meetings: unknown key; did you mean max_meeting_hours_per_week?"),
])
def test_a_bad_goal_names_the_key_and_the_file(goals_config, message):
    with pytest.raises(ConfigError) as caught:
        config(goals_config)
    assert str(caught.value) == message


def test_the_sample_configuration_documents_every_goal():
    data = tomllib.loads(SAMPLE.read_text(encoding="utf-8"))
    assert set(data["goals"]) == {field.name for field in dataclasses.fields(Goals)}


def test_weekly_groups_show_the_week_that_went_over():
    """Two weeks: W13 as above, then a quiet W14 (30 March – 5 April, 40 h free). Over the
    14 days the limits double (6 h, 240 min, 2 nights, 40 h) and all four are met —
    per week, W13 missed three budgets and W14 none::

        period   meetings 4 ≤ 6   outside 180 ≤ 240   nights 2 ≤ 2   focus 76 ≥ 40
        W13      meetings 4 > 3   outside 180 > 120   nights 2 > 1   focus 36 ≥ 20
        W14      meetings 0 ≤ 3   outside   0 ≤ 120   nights 0 ≤ 1   focus 40 ≥ 20
    """
    two_weeks = Period(date(2026, 3, 23), date(2026, 4, 6), TZ)
    report = build_report(run_audit(WEEK, config(GOALS), two_weeks), "week")
    assert [(g["goal"], g["limit"], g["actual"], g["met"]) for g in report["goals"]] == [
        ("meeting_hours", 6.0, 4.0, True), ("outside_hours_minutes", 240.0, 180.0, True),
        ("late_night_days", 2.0, 2.0, True), ("focus_hours", 40.0, 76.0, True)]
    w13, w14 = report["groups"]
    assert [(g["goal"], g["met"], g["margin"]) for g in w13["goals"]] == [
        ("meeting_hours", False, -1.0), ("outside_hours_minutes", False, -60.0),
        ("late_night_days", False, -1.0), ("focus_hours", True, 16.0)]
    assert [(g["goal"], g["met"], g["margin"]) for g in w14["goals"]] == [
        ("meeting_hours", True, 3.0), ("outside_hours_minutes", True, 120.0),
        ("late_night_days", True, 1.0), ("focus_hours", True, 20.0)]
    assert "missed: meeting hours, outside hours minutes, late night days" in \
        render_table(report)
