"""Period over period (issue 14): the change against the previous period of the same
length, in JSON (``previous``, ``change``), the table and ``comparison.csv``; and no focus
coverage or verdict for a period without working time.

The calendar of `test_periods_grouped` (Europe/Berlin, 09:00-17:00 Monday to Friday,
focus target 10 h a week, gaps from 120 min)::

    October 2026    Thu 1 ··· Fri 23  Sun 25 (DST ends)  Thu 29: W meeting 10-11  Sat 31: W 10-11
    November 2026   Mon 2 – Fri 6 vacation (Tue 3: W e-mail 20:00-20:30)
                    Mon 9: W workshop 09-17 (3 attendees)
"""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from report_shape import COMPARED_SHAPE, TYPES, check_shape
from test_periods_grouped import CONFIG, EVENTS, TZ

from audit.compare import comparison_frame
from audit.engine import run_audit
from audit.export import export_frames
from audit.report import build_report, render_table
from cli.main import main
from core.period import Period, period_label, previous_period


def audited(start: date, end: date):
    period = Period(start, end, TZ)
    before = previous_period(period)
    return run_audit(EVENTS, CONFIG, period), run_audit(EVENTS, CONFIG, before)


def no_types(**minutes: int) -> dict[str, int]:
    return {kind: minutes.get(kind, 0) for kind in TYPES}


@pytest.mark.parametrize(("start", "end", "before", "label"), [
    # a week: the 7 days before
    (date(2026, 11, 9), date(2026, 11, 16), (date(2026, 11, 2), date(2026, 11, 9)),
     "2026-W46"),
    # a month: the calendar month before (31 days before a 30-day month)
    (date(2026, 11, 1), date(2026, 12, 1), (date(2026, 10, 1), date(2026, 11, 1)), "2026-11"),
    (date(2026, 3, 1), date(2026, 4, 1), (date(2026, 2, 1), date(2026, 3, 1)), "2026-03"),
    # a quarter: the quarter before, across a year
    (date(2026, 1, 1), date(2026, 4, 1), (date(2025, 10, 1), date(2026, 1, 1)), "2026-Q1"),
    # a custom span: the same number of days before
    (date(2026, 11, 4), date(2026, 11, 14), (date(2026, 10, 25), date(2026, 11, 4)),
     "2026-11-04 to 2026-11-14"),
    # a year is twelve whole months: the year before
    (date(2026, 1, 1), date(2027, 1, 1), (date(2025, 1, 1), date(2026, 1, 1)),
     "2026-01-01 to 2027-01-01"),
])
def test_the_previous_period_has_the_same_length(start, end, before, label):
    period = Period(start, end, TZ)
    assert previous_period(period) == Period(*before, TZ)
    assert period_label(period) == label


def test_no_previous_period_before_the_first_audited_day():
    assert previous_period(Period(date(1900, 1, 1), date(1900, 2, 1), TZ)) is None


def test_a_week_against_a_vacation_week():
    """::

        W45 (previous)  vacation Mon–Fri: no working time → coverage null, no verdict, no
                        focus goal; Tue e-mail 20:00-20:30 on a day off: non_working_day 30
        W46 (this)      Mon workshop 09-17: 8 h, a meeting; focus Tue–Fri 32 of 40 h (0.8)

        change: hours 8 − 0.5 = +7.5; meetings +8; focus +32; coverage null (W45 has none);
                violation minutes 0 − 30 = −30
    """
    audit, before = audited(date(2026, 11, 9), date(2026, 11, 16))
    report = build_report(audit, previous=before)
    check_shape(report, COMPARED_SHAPE)
    previous = report["previous"]
    assert (previous["label"], previous["from"], previous["to"]) == (
        "2026-W45", "2026-11-02", "2026-11-09")
    assert previous["focus"] == {"hours": 0.0, "working_hours": 0.0, "coverage": None,
                                 "target_hours": 10.0, "target_met": None}
    assert previous["goals"] == []
    assert previous["minutes_by_type"] == no_types(non_working_day=30)
    assert report["change"] == {
        "hours": 7.5,
        "by_domain": {"work": 7.5, "life": 0.0, "integrated": 0.0, "unclassified": 0.0},
        "meetings": 8.0, "focus": 32.0, "working_hours": 40.0, "coverage": None,
        "violation_minutes": -30, "minutes_by_type": no_types(non_working_day=-30),
    }


def test_the_vacation_week_itself_has_no_focus_coverage_or_verdict():
    audit, _ = audited(date(2026, 11, 2), date(2026, 11, 9))
    report = build_report(audit)
    assert report["focus"] == {"hours": 0.0, "protected_hours": 0.0, "fragmented_hours": 0.0,
                               "working_hours": 0.0, "coverage": None, "target_hours": 10.0,
                               "target_met": None}
    assert [g["goal"] for g in report["goals"]] == []  # no focus goal to miss
    table = render_table(report)
    assert "Focus  no working time in this period (days off): no coverage, no target" in table


def test_a_month_against_the_month_before():
    """::

        October   22 weekdays = 176 working h; Thu 29 meeting 10-11 leaves 09-10 (60 min,
                  fragmented): focus 21 × 8 + 6 = 174 h, 174 / 176 = 0.99; hours 1 + 1 = 2;
                  Sat 31 work: non_working_day 60
        November  21 weekdays, 5 of them vacation = 128 working h; Mon 9 workshop:
                  focus 15 × 8 = 120 h, 120 / 128 = 0.94; hours 0.5 + 8 = 8.5;
                  e-mail on a day off: non_working_day 30

        change: hours +6.5, meetings 8 − 1 = +7, focus 120 − 174 = −54, working −48,
                coverage 0.94 − 0.99 = −0.05, violation minutes 30 − 60 = −30
    """
    audit, before = audited(date(2026, 11, 1), date(2026, 12, 1))
    report = build_report(audit, previous=before)
    assert report["focus"]["coverage"] == 0.94
    previous = report["previous"]
    assert (previous["label"], previous["hours"], previous["meetings"]) == ("2026-10", 2.0, 1.0)
    assert previous["focus"] == {"hours": 174.0, "working_hours": 176.0, "coverage": 0.99,
                                 "target_hours": 44.29, "target_met": True}
    change = report["change"]
    assert (change["hours"], change["meetings"], change["focus"], change["working_hours"],
            change["coverage"], change["violation_minutes"]) == (6.5, 7.0, -54.0, -48.0,
                                                                 -0.05, -30)
    table = render_table(report)
    assert "Against the previous period (2026-10, 2026-10-01 to 2026-11-01)" in table
    assert "  counted hours              8.50      2.00     +6.50 h" in table
    assert "  focus coverage             0.94      0.99     -0.05" in table
    assert "    non_working_day         30.00     60.00    -30.00 min" in table


def test_comparison_csv_holds_both_periods_and_the_change():
    audit, before = audited(date(2026, 11, 1), date(2026, 12, 1))
    frame = comparison_frame(audit, before)
    assert frame.select("period", "from", "to", "hours", "focus", "focus_coverage",
                        "change_hours", "change_focus", "change_violation_minutes").rows() == [
        ("2026-10", "2026-10-01", "2026-11-01", 2.0, 174.0, 0.99, None, None, None),
        ("2026-11", "2026-11-01", "2026-12-01", 8.5, 120.0, 0.94, 6.5, -54.0, -30),
    ]
    # figures only, so at every privacy level
    assert "comparison.csv" in export_frames(audit, "strict", previous=before)
    assert "comparison.csv" not in export_frames(audit, "strict")


def test_cli_report_and_export_compare_with_the_previous_period(capsys, tmp_path):
    """The weekly review on Wednesdays 4, 11, 18, 25 November (1 h each), nothing in
    October: +4 h against October."""
    from test_periods_grouped import ICS  # noqa: PLC0415

    (tmp_path / "work.ics").write_text(ICS, encoding="utf-8")
    (tmp_path / "timeaudit.toml").write_text(
        'timezone = "Europe/Berlin"\n[[rules]]\nname = "Work"\ntitle = "^W "\n'
        'domain = "work"\n', encoding="utf-8")
    common = ["--ics", str(tmp_path / "work.ics"), "--config", str(tmp_path / "timeaudit.toml"),
              "--month", "2026-11"]
    assert main(["report", *common, "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    check_shape(result, COMPARED_SHAPE)
    assert (result["previous"]["label"], result["previous"]["hours"],
            result["change"]["hours"]) == ("2026-10", 0.0, 4.0)
    assert main(["export", *common, "--out", str(tmp_path / "out"), "--privacy", "strict"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["comparison.csv",
                                                                    "summary.csv"]
    rows = pl.read_csv(tmp_path / "out" / "comparison.csv")
    assert rows["period"].to_list() == ["2026-10", "2026-11"]
    assert rows["change_hours"].to_list() == [None, 4.0]
