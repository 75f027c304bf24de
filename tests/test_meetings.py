"""Meeting analytics (issue 14, `audit.meetings`) on a small week worked out by hand.

Europe/Berlin, 2026-W13 (Mon 23 – Sun 29 March; the 29th is a 23-hour DST day), working
hours 09:00-17:00 Monday to Friday, work domain acme.example, the owner me@acme.example.
Titles starting "W " are work, "L " life (user rules). People = attendees + the owner.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from report_shape import MEETINGS, check_shape
from streamlit.testing.v1 import AppTest
from timeaudit_sample import CALENDARS
from timeaudit_sample import CONFIG as SAMPLE_CONFIG

from audit.config import load_config, parse_config
from audit.engine import run_audit
from audit.meetings import meeting_report
from audit.report import build_report, render_table
from cli.reading import read_sources
from connectors.sources import Sources
from core.period import Period, last_complete_week
from core.schema import EVENT_SCHEMA
from dashboard.meetings import meeting_summary

TZ = "Europe/Berlin"
BERLIN = ZoneInfo(TZ)
W13 = Period(date(2026, 3, 23), date(2026, 3, 30), TZ)
MON, TUE, WED, THU, FRI, SAT, SUN = (f"2026-03-{d}" for d in range(23, 30))
CONFIG = parse_config({
    "timezone": TZ,
    "owner_emails": ["me@acme.example"],
    "work_domains": ["acme.example"],
    "working_hours": {"monday": "09:00-17:00", "tuesday": "09:00-17:00",
                      "wednesday": "09:00-17:00", "thursday": "09:00-17:00",
                      "friday": "09:00-17:00", "saturday": "", "sunday": ""},
    "rules": [{"name": "Work", "title": "^W ", "domain": "work"},
              {"name": "Life", "title": "^L ", "domain": "life"}],
}, file="test.toml")


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=BERLIN)


def ev(event_id: str, title: str, day: str, start: str, end: str, **fields: Any) -> dict:
    return {
        "source": "ics:test.ics", "calendar": "Test", "event_id": event_id, "series_id": None,
        "title": title, "description": None, "location": None, "start": at(day, start),
        "end": at(day, end), "all_day": False, "status": "confirmed", "response": "accepted",
        "busy": True, "kind": "event", "attendees": 0, "organizer": None,
        "attendee_domains": [], "categories": [], "color": None, "created": None, **fields,
    }


def meetings(*rows: dict, period: Period = W13) -> dict[str, Any]:
    audit = run_audit(pl.DataFrame(list(rows), schema=EVENT_SCHEMA), CONFIG, period)
    result = meeting_report(audit)
    check_shape(result, MEETINGS, "meetings")
    return result


ACME = ["acme.example"]
STANDUP = {"series_id": "standup", "attendees": 6, "organizer": "lead@acme.example",
           "attendee_domains": ACME}
WEEK = [
    *(ev(f"S{day}", "W standup", day, "09:00", "09:15", **STANDUP)
      for day in (MON, TUE, WED, THU, FRI)),
    ev("B", "W 1:1 Ana", MON, "09:18", "09:48", attendees=1, response="organizer",
       organizer="me@acme.example", attendee_domains=ACME),
    ev("C", "W customer call", MON, "10:00", "11:00", attendees=2,
       organizer="sales@acme.example", attendee_domains=["acme.example", "customer.example"]),
    ev("D", "W all hands", MON, "11:00", "12:00", attendees=40, series_id="allhands",
       organizer="ceo@acme.example", attendee_domains=ACME),
    ev("E", "L dinner with friends", MON, "19:00", "21:00", attendees=3,
       organizer="friend@gmail.example", attendee_domains=["gmail.example"]),
    ev("F", "W late call", TUE, "16:30", "18:00", attendees=1,
       organizer="partner@customer.example", attendee_domains=["customer.example"]),
    ev("G", "W saturday sync", SAT, "10:00", "10:30", attendees=1,
       organizer="lead@acme.example", attendee_domains=ACME),
    ev("H", "W review", WED, "14:00", "15:00", attendees=2, organizer="lead@acme.example",
       attendee_domains=ACME),
    ev("I", "W solo work", WED, "14:30", "15:30"),  # not a meeting: nobody else
    ev("J", "W declined", THU, "13:00", "14:00", attendees=5, response="declined"),
]


def test_a_week_of_meetings_in_full():
    """The whole ``meetings`` object, by hand::

        Mon  09:00 S 09:15 ·3 min· 09:18 B 09:48 ·12 min· 10:00 C 11:00 D 12:00 … 19:00 E 21:00
             back-to-back: S (3 min to B), B, C (0 min to D), D; E is life, 7 h later
        Tue  09:00 S 09:15                          16:30 F [17:00 ····· 18:00)  outside 60
        Wed  09:00 S 09:15      14:00 H [15:00)     H shares 14:30-15:00 with I (no one
                                14:30 I [15:30)     else: not a meeting): H = 30 + 15 = 45
        Thu  09:00 S 09:15      13:00 J declined: not counted
        Fri  09:00 S 09:15
        Sat  10:00 G 10:30      a non-working day: outside 30

    minutes: S 5×15 = 75, B 30, C 60, D 60, E 120, F 90, G 30, H 45 → 510 = 8.5 h, 12
    meetings; attendee minutes (wall clock × people): S 5×15×7 = 525, B 30×2, C 60×3,
    D 60×41 = 2460, E 120×4, F 90×2, G 30×2, H 60×3 → 4125 = 68.75 h.
    """
    result = meetings(*WEEK)
    assert result == {
        "count": 12, "hours": 8.5, "attendee_hours": 68.75,
        # 1:1 B 30 + F 90 + G 30; small S 75 + C 60 + E 120 + H 45; large D (41 people)
        "by_size": {"one_on_one": {"count": 3, "hours": 2.5},
                    "small": {"count": 8, "hours": 5.0},
                    "large": {"count": 1, "hours": 1.0}},
        # series: the standups and the all hands
        "by_recurrence": {"recurring": {"count": 6, "hours": 2.25},
                          "one_off": {"count": 6, "hours": 6.25}},
        "by_organizer": {"me": {"count": 1, "hours": 0.5},
                         "others": {"count": 11, "hours": 8.0}},
        # C and F (customer.example), E (gmail.example is not a work domain either)
        "by_audience": {"colleagues": {"count": 9, "hours": 4.0},
                        "external": {"count": 3, "hours": 4.5}},
        "back_to_back": {"count": 4, "hours": 2.75},  # S Mon 15 + B 30 + C 60 + D 60
        "outside_working_hours": {"count": 2, "hours": 1.5},  # F 60 + G 30; E is life
        "series": [
            # halves of 3 days each: Mon–Wed and Fri–Sun (Thursday is the middle day)
            {"series_id": "standup", "title": "W standup", "count": 5, "hours": 1.25,
             "share": 0.15, "first_half_hours": 0.75, "second_half_hours": 0.25,
             "trend": "down"},  # 75 / 510 = 0.147
            {"series_id": "allhands", "title": "W all hands", "count": 1, "hours": 1.0,
             "share": 0.12, "first_half_hours": 1.0, "second_half_hours": 0.0,
             "trend": "down"},  # 60 / 510 = 0.118
        ],
        # organisers at acme.example other than me: lead S 75 + G 30 + H 45 = 150
        "people": [{"person": "lead@acme.example", "count": 7, "hours": 2.5},
                   {"person": "ceo@acme.example", "count": 1, "hours": 1.0},
                   {"person": "sales@acme.example", "count": 1, "hours": 1.0}],
        # work meetings only (E is life): acme S 75 + B 30 + C 60 + D 60 + G 30 + H 45
        "domains": [{"domain": "acme.example", "count": 10, "hours": 5.0},
                    {"domain": "customer.example", "count": 2, "hours": 2.5}],
    }


def test_the_splits_add_up_to_the_meetings_of_the_report():
    audit = run_audit(pl.DataFrame(WEEK, schema=EVENT_SCHEMA), CONFIG, W13)
    report = build_report(audit)
    result = report["meetings"]
    assert result["hours"] == report["hours"]["meetings"]
    for split in ("by_size", "by_recurrence", "by_organizer", "by_audience"):
        parts = result[split].values()
        assert sum(p["count"] for p in parts) == result["count"], split
        assert round(sum(p["hours"] for p in parts), 2) == result["hours"], split


def test_overlapping_meetings_are_back_to_back_and_a_5_minute_gap_is_not():
    """::

        A  10:00 [==========) 11:00
        B        10:30 [==========) 11:30        overlaps A: both back-to-back
        C                             11:35 [====) 12:00   5 min after B: not
        D                                          12:04 [==) 12:30   4 min after C: C, D
    """
    rows = [ev(name, f"W {name}", MON, start, end, attendees=1)
            for name, start, end in (("A", "10:00", "11:00"), ("B", "10:30", "11:30"),
                                     ("C", "11:35", "12:00"), ("D", "12:04", "12:30"))]
    result = meetings(*rows)
    # A 30 + 15, B 15 + 30, C 25, D 26
    assert result["back_to_back"] == {"count": 4, "hours": round((45 + 45 + 25 + 26) / 60, 2)}
    result = meetings(*rows[:3])
    assert result["back_to_back"] == {"count": 2, "hours": 1.5}


def test_a_meeting_across_midnight_counts_once_and_its_time_on_both_days():
    """::

        Mon 23:00 [==== late call ====) Tue 01:00   one meeting, 2 h, all outside hours
    """
    row = ev("X", "W late call", MON, "23:00", "23:30", attendees=1)
    row["end"] = at(TUE, "01:00")
    result = meetings(row)
    assert (result["count"], result["hours"]) == (1, 2.0)
    assert result["outside_working_hours"] == {"count": 1, "hours": 2.0}


def test_a_series_growing_in_the_second_half_of_a_month():
    """April 2026 (30 days): halves 1–15 and 16–30. The weekly sync runs 30 min on the
    2nd and 9th, then 60 min on the 16th, 23rd and 30th: 1.0 h vs 3.0 h, up."""
    april = Period(date(2026, 4, 1), date(2026, 5, 1), TZ)
    rows = [ev(f"s{d}", "W sync", f"2026-04-{d:02d}", "10:00", end, attendees=3,
               series_id="sync")
            for d, end in ((2, "10:30"), (9, "10:30"), (16, "11:00"), (23, "11:00"),
                           (30, "11:00"))]
    (series,) = meetings(*rows, period=april)["series"]
    assert (series["count"], series["hours"], series["first_half_hours"],
            series["second_half_hours"], series["trend"]) == (5, 4.0, 1.0, 3.0, "up")


def test_no_meetings_gives_zeros_and_empty_lists():
    result = meetings(ev("I", "W solo work", MON, "10:00", "11:00"))
    assert result["count"] == 0
    assert result["hours"] == 0.0
    assert result["series"] == result["people"] == result["domains"] == []


def test_the_table_shows_the_meetings_and_the_cut_list():
    table = render_table(build_report(run_audit(pl.DataFrame(WEEK, schema=EVENT_SCHEMA),
                                                CONFIG, W13)))
    assert "Meetings  12, 8.50 h" in table
    assert "back-to-back 4 (2.75 h)" in table
    assert "W standup" in table


def test_meetings_starting_together_are_back_to_back_whatever_their_order():
    """::

        A  10:00 [=====) 10:30
        B  10:00 [===========) 11:00     same start: they overlap, both back-to-back
        C                          12:00 [==) 12:30   alone
    """
    rows = [ev("A", "W a", MON, "10:00", "10:30", attendees=1),
            ev("B", "W b", MON, "10:00", "11:00", attendees=1),
            ev("C", "W c", MON, "12:00", "12:30", attendees=1)]
    # A 15 + B 15 + 30 = 60 min
    assert meetings(*rows)["back_to_back"] == {"count": 2, "hours": 1.0}
    assert meetings(*reversed(rows))["back_to_back"] == {"count": 2, "hours": 1.0}


@pytest.mark.filterwarnings(
    # as in test_app: AppTest leaves its TemporaryDirectory to the garbage collector
    "ignore:Implicitly cleaning up <TemporaryDirectory:ResourceWarning")
def test_the_dashboard_shows_the_meetings_of_the_week():
    """The sample's last complete week in the dashboard (AppTest): the panel's line and
    cut list are `meeting_report` of the same audit, and the one-page report downloads."""
    app = AppTest.from_file("../app.py", default_timeout=120)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    config = load_config(SAMPLE_CONFIG)
    week = last_complete_week(config.timezone, config.week_start)
    events = read_sources(Sources(ics=tuple(str(p) for p in CALENDARS)), period=week,
                          config=config)
    expected = meeting_report(run_audit(events, config, week))
    assert meeting_summary(expected) in [m.value for m in app.markdown]
    cut_list = next(d.value for d in app.dataframe if "trend" in d.value.columns)
    assert list(cut_list["title"]) == [s["title"] for s in expected["series"]]
    labels = [b.label for b in app.get("download_button")]
    assert labels[-2:] == ["Download the one-page report (HTML)",
                           "Download the one-page report (PDF)"]
