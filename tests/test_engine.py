"""`run_audit` on a frame wider than the period gives what the period's own frame gives."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from audit.config import load_config
from audit.engine import audit_window, run_audit
from audit.report import build_report
from cli.reading import read_sources
from connectors.sources import Sources
from core.period import Period, parse_week

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.mark.parametrize("week", ["2026-W30", "2026-W33", "2026-W38"])
def test_a_wider_frame_audits_like_the_weeks_own(week: str) -> None:
    """The dashboard reads a quarter once and audits weeks of it (a Polars panic once
    came from pushing the period filter into classification)."""
    config = load_config(SAMPLE / "timeaudit.toml")
    sources = Sources(ics=sorted(SAMPLE.glob("*.ics")))
    quarter = Period(date(2026, 7, 6), date(2026, 10, 5), config.timezone)
    period = parse_week(week, config.timezone)
    wide = read_sources(sources, period=quarter, config=config)
    narrow = read_sources(sources, period=audit_window(period), config=config)
    assert build_report(run_audit(wide, config, period)) == \
        build_report(run_audit(narrow, config, period))
