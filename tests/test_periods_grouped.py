"""Any period, grouped (issue 14): --month, --quarter, --by day|week|month, a vacation week.

Europe/Berlin, working hours 09:00-17:00 Monday to Friday (8 h), focus target 10 h a
week, gaps from 120 min. Titles starting "W " are work (a user rule).
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from report_shape import COMPARED_GROUPED_SHAPE, GROUPED_SHAPE, TYPES, check_shape

from audit.config import parse_config
from audit.engine import run_audit
from audit.report import build_report, render_table
from cli.main import main
from core.errors import UsageError
from core.period import Period, parse_month, parse_quarter, resolve_period
from core.schema import EVENT_SCHEMA

TZ = "Europe/Berlin"
BERLIN = ZoneInfo(TZ)
CONFIG = parse_config({
    "timezone": TZ,
    "working_hours": {"monday": "09:00-17:00", "tuesday": "09:00-17:00",
                      "wednesday": "09:00-17:00", "thursday": "09:00-17:00",
                      "friday": "09:00-17:00", "saturday": "", "sunday": ""},
    "focus": {"min_block_minutes": 120, "target_hours_per_week": 10},
    "rules": [{"name": "Work", "title": "^W ", "domain": "work"}],
}, file="test.toml")
# Wed 28 October – Tue 17 November 2026 (to = Wed 18, exclusive)
PERIOD = Period(date(2026, 10, 28), date(2026, 11, 18), TZ)


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=BERLIN)


def ev(event_id: str, title: str, start: datetime, end: datetime, **fields: Any) -> dict:
    return {
        "source": "ics:test.ics", "calendar": "Test", "event_id": event_id, "series_id": None,
        "title": title, "description": None, "location": None, "start": start, "end": end,
        "all_day": False, "status": "confirmed", "response": "accepted", "busy": True,
        "kind": "event", "attendees": 0, "organizer": None, "attendee_domains": [],
        "categories": [], "color": None, "created": None, **fields,
    }


EVENTS = pl.DataFrame([
    ev("m1", "W meeting", at("2026-10-29", "10:00"), at("2026-10-29", "11:00"), attendees=2),
    ev("sat", "W weekend work", at("2026-10-31", "10:00"), at("2026-10-31", "11:00")),
    ev("vac", "Vacation", at("2026-11-02", "00:00"), at("2026-11-07", "00:00"), all_day=True,
       busy=False),
    ev("mail", "W email", at("2026-11-03", "20:00"), at("2026-11-03", "20:30")),
    ev("day", "W workshop", at("2026-11-09", "09:00"), at("2026-11-09", "17:00"), attendees=3),
], schema=EVENT_SCHEMA)


def grouped(by: str) -> dict[str, Any]:
    result = build_report(run_audit(EVENTS, CONFIG, PERIOD), by)
    check_shape(result, GROUPED_SHAPE)
    return result


def no_types(**minutes: int) -> dict[str, int]:
    return {kind: minutes.get(kind, 0) for kind in TYPES}


def test_weeks_with_a_vacation_week_and_clipped_ends():
    """::

        W44  Wed 28 ─ Sun 1   3 working days (24 h); Thu meeting 10-11 leaves 09-10
                              (60 min, fragmented) and 11-17 (focus): focus 8 + 6 + 8 = 22 h,
                              22 / 24 = 0.92; Sat 10-11 work: non_working_day 60;
                              target 10 × 5/7 = 7.14
        W45  Mon 2 ─ Sun 8    vacation Mon–Fri: no working time → coverage null, no verdict;
                              Tue 20:00-20:30 e-mail on a day off: non_working_day 30
        W46  Mon 9 ─ Sun 15   Mon workshop 09-17 (a meeting): focus Tue–Fri 32 of 40 h
        W47  Mon 16 ─ Tue 17  clipped to the period: 16 h free, target 10 × 2/7 = 2.86
    """
    groups = grouped("week")["groups"]
    assert [(g["label"], g["from"], g["to"]) for g in groups] == [
        ("2026-W44", "2026-10-28", "2026-11-02"), ("2026-W45", "2026-11-02", "2026-11-09"),
        ("2026-W46", "2026-11-09", "2026-11-16"), ("2026-W47", "2026-11-16", "2026-11-18")]
    assert [g["focus"] for g in groups] == [
        {"hours": 22.0, "working_hours": 24.0, "coverage": 0.92, "target_hours": 7.14,
         "target_met": True},
        {"hours": 0.0, "working_hours": 0.0, "coverage": None, "target_hours": 10.0,
         "target_met": None},
        {"hours": 32.0, "working_hours": 40.0, "coverage": 0.8, "target_hours": 10.0,
         "target_met": True},
        {"hours": 16.0, "working_hours": 16.0, "coverage": 1.0, "target_hours": 2.86,
         "target_met": True},
    ]
    assert [(g["hours"], g["meetings"], g["by_domain"]["work"], g["violation_minutes"])
            for g in groups] == [(2.0, 1.0, 2.0, 60), (0.5, 0.0, 0.5, 30),
                                 (8.0, 8.0, 8.0, 0), (0.0, 0.0, 0.0, 0)]
    # without [goals], the focus target is the one goal; a vacation week has none
    assert [[x["goal"] for x in g["goals"]] for g in groups] == [
        ["focus_hours"], [], ["focus_hours"], ["focus_hours"]]
    assert [g["minutes_by_type"] for g in groups] == [
        no_types(non_working_day=60), no_types(non_working_day=30), no_types(), no_types()]
    # week over week
    assert [g["change"] for g in groups] == [
        {"hours": None, "meetings": None, "focus": None, "violation_minutes": None},
        {"hours": -1.5, "meetings": -1.0, "focus": -22.0, "violation_minutes": -30},
        {"hours": 7.5, "meetings": 8.0, "focus": 32.0, "violation_minutes": -30},
        {"hours": -8.0, "meetings": -8.0, "focus": -16.0, "violation_minutes": 0},
    ]


def test_months_add_up_to_the_period():
    """October: Wed 28 – Sat 31 (4 days, target 10 × 4/7 = 5.71); November: 1–17 (17 days,
    target 24.29), focus 32 + 16 = 48 of 40 + 16 = 56 h (0.86)."""
    result = grouped("month")
    october, november = result["groups"]
    assert (october["label"], october["from"], october["to"]) == ("2026-10", "2026-10-28",
                                                                  "2026-11-01")
    assert (november["label"], november["from"], november["to"]) == ("2026-11", "2026-11-01",
                                                                     "2026-11-18")
    assert (october["hours"], october["focus"]["coverage"],
            october["focus"]["target_hours"]) == (2.0, 0.92, 5.71)
    assert (november["hours"], november["meetings"], november["focus"]["hours"],
            november["focus"]["coverage"], november["focus"]["target_hours"]) == \
        (8.5, 8.0, 48.0, 0.86, 24.29)
    assert november["change"] == {"hours": 6.5, "meetings": 7.0, "focus": 26.0,
                                  "violation_minutes": -30}
    assert october["hours"] + november["hours"] == result["hours"]["total"]
    assert october["focus"]["target_hours"] + november["focus"]["target_hours"] == \
        pytest.approx(result["focus"]["target_hours"], abs=0.01)


def test_days_give_one_group_per_date_and_weekends_have_no_coverage():
    groups = grouped("day")["groups"]
    assert [g["label"] for g in groups] == [d.isoformat() for d in PERIOD.days]
    saturday = groups[3]
    assert (saturday["label"], saturday["focus"]["coverage"],
            saturday["focus"]["target_met"]) == ("2026-10-31", None, None)


def test_a_week_starting_on_sunday_is_labelled_by_its_first_day():
    config = parse_config({"timezone": TZ, "week_start": "sunday"}, file="test.toml")
    result = build_report(run_audit(EVENTS, config, PERIOD), "week")
    assert [g["label"] for g in result["groups"]][:2] == ["week of 2026-10-25",
                                                          "week of 2026-11-01"]
    assert result["groups"][0]["from"] == "2026-10-28"


def test_the_table_shows_one_line_per_group_and_a_dash_for_no_coverage():
    table = render_table(grouped("week"))
    assert "2026-W45     2026-11-02    0.50      0.00   0.00         —      30 min     -1.50" \
        in table


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2026-11", date(2026, 11, 1), date(2026, 12, 1)),
    ("2026-12", date(2026, 12, 1), date(2027, 1, 1)),
    ("2028-02", date(2028, 2, 1), date(2028, 3, 1)),
])
def test_a_month(text, start, end):
    assert parse_month(text, TZ) == Period(start, end, TZ)


@pytest.mark.parametrize(("text", "start", "end"), [
    ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1)),
    ("2026-q1", date(2026, 1, 1), date(2026, 4, 1)),
    ("2026Q2", date(2026, 4, 1), date(2026, 7, 1)),
])
def test_a_quarter(text, start, end):
    assert parse_quarter(text, TZ) == Period(start, end, TZ)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"month": "2026-13"}, "bad month '2026-13': write it as YYYY-MM, e.g. 2026-11"),
    ({"month": "11/2026"}, "bad month '11/2026': write it as YYYY-MM, e.g. 2026-11"),
    ({"month": "9999-12"},
     "bad month '9999-12': timeaudit audits dates from 1900-01-01 to 2999-12-31"),
    ({"month": ""}, "bad month '': write it as YYYY-MM, e.g. 2026-11"),
    ({"quarter": "2026-Q5"}, "bad quarter '2026-Q5': write it as YYYY-Qn, e.g. 2026-Q4"),
    ({"quarter": "1899-Q4"},
     "bad quarter '1899-Q4': timeaudit audits dates from 1900-01-01 to 2999-12-31"),
    ({"month": "2026-11", "week": "2026-W47"}, "give one period: --week or --month, not both"),
    ({"quarter": "2026-Q4", "start": "2026-10-01"},
     "give one period: --quarter or --from/--to, not both"),
])
def test_bad_periods_say_what_to_write(kwargs, message):
    with pytest.raises(UsageError) as caught:
        resolve_period(timezone=TZ, **kwargs)
    assert str(caught.value) == message


ICS = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//timeaudit//test//EN
BEGIN:VEVENT
UID:review@test
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20261104T100000
DTEND;TZID=Europe/Berlin:20261104T110000
RRULE:FREQ=WEEKLY;COUNT=4
SUMMARY:W review
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "work.ics").write_text(ICS, encoding="utf-8")
    (tmp_path / "timeaudit.toml").write_text(
        'timezone = "Europe/Berlin"\n[[rules]]\nname = "Work"\ntitle = "^W "\n'
        'domain = "work"\n', encoding="utf-8")
    return {"ics": tmp_path / "work.ics", "config": tmp_path / "timeaudit.toml"}


def test_cli_report_for_a_month_by_week(capsys, files):
    """A weekly hour on Wednesdays 4, 11, 18, 25 November: 4 h in the month, 1 h in each
    of W45–W48, nothing in W44 (Sun 1 Nov) and W49 (Mon 30 Nov)."""
    code = main(["report", "--ics", str(files["ics"]), "--config", str(files["config"]),
                 "--month", "2026-11", "--by", "week", "--format", "json"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    result = json.loads(out)
    check_shape(result, COMPARED_GROUPED_SHAPE)
    assert result["period"] == {"from": "2026-11-01", "to": "2026-12-01", "timezone": TZ}
    assert result["hours"]["total"] == 4.0
    assert [(g["label"], g["hours"]) for g in result["groups"]] == [
        ("2026-W44", 0.0), ("2026-W45", 1.0), ("2026-W46", 1.0), ("2026-W47", 1.0),
        ("2026-W48", 1.0), ("2026-W49", 0.0)]


def test_cli_export_for_a_quarter_by_month_writes_groups_csv(capsys, files, tmp_path):
    out_dir = tmp_path / "out"
    code = main(["export", "--ics", str(files["ics"]), "--config", str(files["config"]),
                 "--quarter", "2026-Q4", "--by", "month", "--out", str(out_dir),
                 "--privacy", "strict"])
    assert code == 0
    assert sorted(p.name for p in out_dir.iterdir()) == ["comparison.csv", "groups.csv",
                                                          "summary.csv"]
    groups = pl.read_csv(out_dir / "groups.csv")
    assert groups["group"].to_list() == ["2026-10", "2026-11", "2026-12"]
    assert groups["hours"].to_list() == [0.0, 4.0, 0.0]
    # the summary keeps its rows: one a day and the period's "week" row
    assert pl.read_csv(out_dir / "summary.csv").height == 92 + 1
    # an export without --by removes the groups of an earlier one
    capsys.readouterr()
    assert main(["export", "--ics", str(files["ics"]), "--config", str(files["config"]),
                 "--month", "2026-11", "--out", str(out_dir), "--privacy", "strict"]) == 0
    assert sorted(p.name for p in out_dir.iterdir()) == ["comparison.csv", "summary.csv"]
