"""`audit.engine.run_audits`: a period and the one before it audited in one pass over
their span (the report and the export since issue 16) equal auditing each alone."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from audit.config import load_config
from audit.engine import audit_window, run_audit, run_audits
from audit.export import export_frames
from audit.report import build_report
from cli.reading import read_sources
from connectors.sources import Sources
from core.period import Period, previous_period

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"
SAMPLE_FILES = sorted(SAMPLE.glob("*.ics"))
CONFIG = load_config(SAMPLE / "timeaudit.toml")
FRAMES = ("events", "windows", "violations", "focus", "busy")


@pytest.mark.parametrize(("start", "end"), [
    (date(2026, 11, 16), date(2026, 11, 23)),   # a week
    (date(2026, 10, 1), date(2026, 11, 1)),     # a month (the previous one is shorter)
    (date(2026, 3, 23), date(2026, 4, 6)),      # two weeks over the spring DST change
    (date(2026, 11, 3), date(2026, 11, 20)),    # 17 days from a Tuesday
])
def test_one_pass_equals_each_period_alone(start: date, end: date) -> None:
    period = Period(start, end, CONFIG.timezone)
    before = previous_period(period)
    assert before is not None
    assert before.end == period.start
    events = read_sources(Sources(ics=SAMPLE_FILES), config=CONFIG, period=Period(
        before.start, audit_window(period).end, CONFIG.timezone))
    together = run_audits(events, CONFIG, (period, before))
    for cut, alone in zip(together, (run_audit(events, CONFIG, period),
                                     run_audit(events, CONFIG, before)), strict=True):
        assert cut.period == alone.period
        for name in FRAMES:
            assert_frame_equal(getattr(cut, name), getattr(alone, name))
        assert_frame_equal(cut.attributed, alone.attributed, check_row_order=False)
        for file, frame in export_frames(alone, "full").items():
            assert_frame_equal(export_frames(cut, "full")[file], frame,
                               check_row_order=file != "events.csv")
    assert build_report(together[0], None, together[1]) == build_report(
        run_audit(events, CONFIG, period), None, run_audit(events, CONFIG, before))


def test_periods_with_a_gap_are_audited_each_alone() -> None:
    week = Period(date(2026, 11, 16), date(2026, 11, 23), CONFIG.timezone)
    earlier = Period(date(2026, 11, 2), date(2026, 11, 9), CONFIG.timezone)
    events = read_sources(Sources(ics=SAMPLE_FILES), config=CONFIG, period=Period(
        earlier.start, week.end + timedelta(days=1), CONFIG.timezone))
    got = run_audits(events, CONFIG, (week, earlier))
    for audit, period in zip(got, (week, earlier), strict=True):
        assert audit.period == period
        assert_frame_equal(audit.violations, run_audit(events, CONFIG, period).violations)
