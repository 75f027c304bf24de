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


def test_rows_out_of_time_order_audit_like_rows_in_it() -> None:
    """`run_audit` sorts the classified rows only when they are not in time order already
    (the readers give them in order), and cuts the period's events as a slice."""
    import polars as pl  # noqa: PLC0415

    from core.schema import END, EVENT_ID, START  # noqa: PLC0415

    config = load_config(SAMPLE / "timeaudit.toml")
    period = parse_week("2026-W38", config.timezone)
    events = read_sources(Sources(ics=sorted(SAMPLE.glob("*.ics"))),
                          period=audit_window(period), config=config)
    assert events.height > 20
    assert events.equals(events.sort(START, END, EVENT_ID))  # as the readers give them
    shuffled = events.sample(fraction=1.0, shuffle=True, seed=3)
    assert not shuffled.equals(events)
    in_order, out_of_order = run_audit(events, config, period), run_audit(shuffled, config, period)
    assert in_order.events.equals(out_of_order.events)
    assert in_order.events.equals(in_order.events.sort(START, END, EVENT_ID))
    assert build_report(in_order) == build_report(out_of_order)
    assert in_order.events.select(pl.col(START).min()).item() < period.utc_bounds()[1]


def test_the_touching_rows_are_a_filter_when_they_are_not_the_first() -> None:
    """`_touching_rows` slices only when the period's rows come first."""
    from datetime import UTC, datetime, timedelta  # noqa: PLC0415

    import polars as pl  # noqa: PLC0415

    from audit.engine import _touching_rows  # noqa: PLC0415

    period = Period(date(2026, 3, 23), date(2026, 3, 30), "UTC")
    first = datetime(2026, 3, 22, tzinfo=UTC)
    starts = [first + timedelta(days=d) for d in (0, 1, 2, 9)]
    frame = pl.DataFrame({"start": starts, "end": [s + timedelta(hours=1) for s in starts],
                          "event_id": ["a", "b", "c", "d"]})
    assert _touching_rows(frame, period)["event_id"].to_list() == ["b", "c"]
    assert _touching_rows(frame.slice(1), period)["event_id"].to_list() == ["b", "c"]
