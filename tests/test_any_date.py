"""The dashboard and `timeaudit report` on the sample give a believable week on any date.

"Now" (core.clock) is frozen at dates that are hard for calendars. On each, the page opens
on the last complete week before "now", its figures are the engine's for that week, and
the week is a real one: counted work and life time, boundary violations and focus time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

import pytest
import timeaudit_sample
from streamlit.testing.v1 import AppTest

from audit import store
from audit.config import load_config
from audit.engine import audit_window, run_audit
from cli.reading import read_sources
from connectors.sources import Sources
from core import clock
from core.period import Period
from dashboard import figures

CONFIG = load_config(timeaudit_sample.CONFIG)

# "now" → the Monday of the week the dashboard and the report open on
DATES = {
    # the last Sunday of March 2027, 03:30 CEST: clocks went forward an hour ago, and the
    # week that just ended is the one with the 23-hour day
    "dst-change": ("2027-03-29T01:30:00+02:00", date(2027, 3, 22)),
    # 2032 has an ISO week 53 that ends on New Year's Day+1, 2033
    "week-53-new-year": ("2033-01-03T08:00:00+01:00", date(2032, 12, 27)),
    # Wednesday 1 March 2028: the week before holds the leap day
    "leap-day": ("2028-03-01T09:00:00+01:00", date(2028, 2, 21)),
    "leap-day-week": ("2028-03-06T09:00:00+01:00", date(2028, 2, 28)),
    # years after the sample's one-off events end (January 2029)
    "years-later": ("2035-06-13T18:00:00+02:00", date(2035, 6, 4)),
    # just before midnight UTC on New Year's Eve, already 2027 in Berlin
    "new-year-utc-vs-local": ("2026-12-31T23:30:00Z", date(2026, 12, 21)),
}

pytestmark = pytest.mark.filterwarnings(
    "ignore:Implicitly cleaning up <TemporaryDirectory:ResourceWarning",
)


def engine_week(monday: date) -> dict:
    period = Period(monday, monday + timedelta(days=7), CONFIG.timezone)
    events = read_sources(Sources(ics=timeaudit_sample.CALENDARS), period=audit_window(period),
                          config=CONFIG)
    return figures.weekly_figures(run_audit(events, CONFIG, period, store.load_overrides())
                                  ).row(0, named=True)


@pytest.mark.parametrize("case", DATES)
def test_the_dashboard_opens_on_a_believable_week(case: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    now, monday = DATES[case]
    monkeypatch.setenv(clock.ENV, now)
    at = AppTest.from_file("../app.py", default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["week_day"] == monday
    shown = {m.label: m.value for m in at.metric}
    expected = engine_week(monday)
    assert shown["Work hours"] == f"{expected['work']:.1f} h"
    assert shown["Life hours"] == f"{expected['life']:.1f} h"
    assert shown["Boundary violations"] == str(expected["violations"])
    if case == "new-year-utc-vs-local":
        # Christmas week: the sample person is on holiday; the page still shows their week
        assert expected["life"] > 5
        return
    assert expected["work"] > 10
    assert expected["life"] > 5
    assert expected["violations"] > 0
    assert expected["focus"] > 0


@pytest.mark.parametrize("case", ["dst-change", "week-53-new-year", "years-later"])
def test_report_defaults_to_the_last_complete_week(case: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    now, monday = DATES[case]
    monkeypatch.setenv(clock.ENV, now)
    done = subprocess.run([sys.executable, "-m", "cli", "report", "--sample",
                           "--format", "json"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["period"]["from"] == monday.isoformat()
    expected = engine_week(monday)
    assert report["hours"]["by_domain"]["work"] == pytest.approx(expected["work"], abs=0.01)
    assert report["violations"]["count"] == expected["violations"]
    assert report["focus"]["hours"] > 0
    assert len(report["days"]) == 7
    if case == "dst-change":
        # the Sunday of the change has 23 hours; the report still has seven local days
        assert report["days"][-1]["date"] == "2027-03-28"
