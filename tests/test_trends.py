"""The weekly trend the dashboard draws (issue 14): each boundary type and focus coverage
per week, from the engine (`audit.trends.weekly_trend`), with no coverage for a vacation
week. The calendar of `test_periods_grouped` (see there for the timeline)::

    W44  Wed 28 ─ Sun 1   focus 22 of 24 h (0.92), target 7.14 met; Sat work: days off 60
    W45  Mon 2 ─ Sun 8    vacation: no working time → coverage null, no verdict;
                          Tue e-mail 20:00-20:30: days off 30
    W46  Mon 9 ─ Sun 15   focus 32 of 40 h (0.8), target 10 met
    W47  Mon 16 ─ Tue 17  clipped: focus 16 of 16 h, target 2.86 met
"""

from __future__ import annotations

import altair as alt
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest
from test_periods_grouped import CONFIG, EVENTS, PERIOD

from audit.boundaries import VIOLATION_TYPES
from audit.engine import run_audit
from audit.groups import group_rows
from audit.trends import TREND_COLUMNS, boundary_trend, weekly_trend
from dashboard import charts, figures


def test_each_week_has_focus_coverage_and_every_boundary_type():
    trend = weekly_trend(run_audit(EVENTS, CONFIG, PERIOD))
    assert trend.columns == list(TREND_COLUMNS)
    assert trend.select("days", "focus", "working", "coverage", "focus_target",
                        "target_met", "non_working_day", "outside_minutes").rows() == [
        (5, 22.0, 24.0, 0.92, 7.14, True, 60, 60),
        (7, 0.0, 0.0, None, 10.0, None, 30, 30),
        (7, 32.0, 40.0, 0.8, 10.0, True, 0, 0),
        (2, 16.0, 16.0, 1.0, 2.86, True, 0, 0),
    ]
    assert trend.select(pl.col(VIOLATION_TYPES).exclude("non_working_day").sum()).row(0) == \
        (0,) * 5


def test_the_trend_is_the_report_by_week():
    audit = run_audit(EVENTS, CONFIG, PERIOD)
    trend = weekly_trend(audit)
    for row, group in zip(trend.iter_rows(named=True), group_rows(audit, "week"), strict=True):
        assert row["week"].isoformat() <= group["from"]
        assert {k: row[k] for k in ("focus", "working", "coverage", "focus_target",
                                    "target_met")} == {
            "focus": group["focus"]["hours"], "working": group["focus"]["working_hours"],
            "coverage": group["focus"]["coverage"], "focus_target": group["focus"]["target_hours"],
            "target_met": group["focus"]["target_met"]}
        assert {t: row[t] for t in VIOLATION_TYPES} == group["minutes_by_type"]


def test_the_long_form_lists_every_type_of_every_week():
    long = boundary_trend(weekly_trend(run_audit(EVENTS, CONFIG, PERIOD)))
    assert long.height == 4 * len(VIOLATION_TYPES)
    assert long.filter(pl.col("minutes") > 0).select("type", "minutes").rows() == [
        ("non_working_day", 60), ("non_working_day", 30)]


def test_the_dashboard_draws_the_vacation_week_without_coverage():
    audit = run_audit(EVENTS, CONFIG, PERIOD)
    weeks = figures.weekly_figures(audit)
    assert weeks["coverage"].to_list() == [0.92, None, 0.8, 1.0]
    assert weeks["target_met"].to_list() == [True, None, True, True]
    data = charts.trend_data(weeks, PERIOD.start)
    for build, frame in zip(charts.TREND_CHARTS, charts.trend_frames(data), strict=True):
        chart = build(frame)
        assert isinstance(chart, alt.TopLevelMixin)
        chart.to_dict()  # valid Vega-Lite
    cells = charts.boundary_trend_data(data)
    assert cells.filter(pl.col("minutes") > 0).select("label", "name", "minutes").rows() == [
        ("26 Oct", "days off", 60), ("02 Nov", "days off", 30)]


def _kpis_of_a_vacation_week() -> None:
    """The week-at-a-glance and focus views for W45 (vacation), with W44 before it."""
    from datetime import date  # noqa: PLC0415 - AppTest runs this function's source alone

    from test_periods_grouped import CONFIG, EVENTS, TZ  # noqa: PLC0415

    from audit.engine import run_audit, slice_audit  # noqa: PLC0415
    from core.period import Period  # noqa: PLC0415
    from dashboard import figures, views  # noqa: PLC0415
    from dashboard.data import Week  # noqa: PLC0415

    whole = run_audit(EVENTS, CONFIG, Period(date(2026, 10, 26), date(2026, 11, 16), TZ))
    week = Period(date(2026, 11, 2), date(2026, 11, 9), TZ)
    draw_sparklines = views.render_kpis(Week(week, slice_audit(whole, week),
                                             figures.weekly_figures(whole),
                                             figures.hourly_work(whole), (), ()))
    draw_sparklines()
    views.render_focus(Week(week, slice_audit(whole, week),
                            figures.weekly_figures(whole), figures.hourly_work(whole), (), ()))


@pytest.mark.filterwarnings(
    "ignore:Implicitly cleaning up <TemporaryDirectory:ResourceWarning")
def test_a_vacation_week_shows_no_coverage_and_no_verdict_in_the_dashboard():
    app = AppTest.from_function(_kpis_of_a_vacation_week, default_timeout=120)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    coverage = next(m for m in app.metric if m.label == "Focus coverage")
    assert (coverage.value, coverage.delta) == ("—", "")
    assert coverage.help == "No working time this week (days off): no focus target."
    assert [i.value for i in app.info] == [
        "No working time this week (days off): no focus coverage and no target to meet."]
