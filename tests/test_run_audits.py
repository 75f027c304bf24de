"""`audit.engine.run_audits` (the report and the export: a period and the one before it)
equals auditing each alone, and `slice_audit` of a pass over both spans equals each alone
where nothing is inferred from the span (the dashboard's blocks)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from engine_frames import at, event
from polars.testing import assert_frame_equal

from audit import engine
from audit.config import load_config, parse_config
from audit.engine import audit_window, run_audit, run_audits, slice_audit
from audit.export import export_frames
from audit.report import build_report
from cli.reading import read_sources
from connectors.sources import Sources
from core.period import Period, previous_period
from core.schema import EVENT_SCHEMA

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
def test_a_pass_over_both_cut_apart_equals_each_period_alone(start: date, end: date) -> None:
    period = Period(start, end, CONFIG.timezone)
    before = previous_period(period)
    assert before is not None
    assert before.end == period.start
    events = read_sources(Sources(ics=SAMPLE_FILES), config=CONFIG, period=Period(
        before.start, audit_window(period).end, CONFIG.timezone))
    whole = run_audit(events, CONFIG, Period(before.start, period.end, CONFIG.timezone))
    together = tuple(slice_audit(whole, part) for part in (period, before))
    assert [a.period for a in run_audits(events, CONFIG, (period, before))] == [period, before]
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


def test_a_period_is_classified_by_its_own_events_only() -> None:
    """What a calendar looks like is inferred from the audited period alone
    (docs/classification.md), so the week before must not change this week's figures: a
    neutral calendar with colleagues in three meetings of the week before and none this
    week is not "mostly with colleagues" this week by itself (one pass over both weeks made
    this week's event work; alone it is unclassified)."""
    config = parse_config({"timezone": "Europe/Berlin", "work_domains": ["acme.example"]})
    meeting = {"calendar": "Team", "title": "Sync", "attendees": 2,
               "attendee_domains": ["acme.example"]}
    rows = [event(f"before-{day}", at(day, "10:00"), at(day, "11:00"), **meeting)
            for day in ("2026-11-10", "2026-11-11", "2026-11-12")]
    # this week: one meeting without people on the same calendar
    rows.append(event("this-week", at("2026-11-17", "10:00"), at("2026-11-17", "11:00"),
                      calendar="Team", title="Prepare"))
    frame = pl.DataFrame([{k: v for k, v in row.items() if k in EVENT_SCHEMA} for row in rows],
                         schema=EVENT_SCHEMA)
    week = Period(date(2026, 11, 16), date(2026, 11, 23), "Europe/Berlin")
    before = previous_period(week)
    together = run_audits(frame, config, (week, before))
    alone = (run_audit(frame, config, week), run_audit(frame, config, before))
    for cut, single in zip(together, alone, strict=True):
        assert_frame_equal(cut.events, single.events)
    assert build_report(together[0], None, together[1]) == build_report(*alone[:1], None,
                                                                         alone[1])


def test_side_by_side_equals_one_after_the_other(monkeypatch: pytest.MonkeyPatch) -> None:
    """Below `SIDE_BY_SIDE_BELOW` occurrences the periods' audits run in threads; above,
    one after the other: the audits are the same."""
    period = Period(date(2026, 11, 16), date(2026, 11, 23), CONFIG.timezone)
    before = previous_period(period)
    events = read_sources(Sources(ics=SAMPLE_FILES), config=CONFIG, period=Period(
        before.start, audit_window(period).end, CONFIG.timezone))
    assert events.height < engine.SIDE_BY_SIDE_BELOW
    side_by_side = run_audits(events, CONFIG, (period, before))
    monkeypatch.setattr(engine, "SIDE_BY_SIDE_BELOW", 0)
    in_turn = run_audits(events, CONFIG, (period, before))
    for threaded, single in zip(side_by_side, in_turn, strict=True):
        assert threaded.period == single.period
        for name in FRAMES:
            assert_frame_equal(getattr(threaded, name), getattr(single, name))
        # as above: the attributed pieces' order is Polars' (nothing reads it)
        assert_frame_equal(threaded.attributed, single.attributed, check_row_order=False)


def test_a_small_audit_runs_in_memory_and_gives_what_streaming_gives(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`run_audit` chooses Polars' in-memory engine for a small input while it runs (the CLI
    and the dashboard alike), leaves the process as it was, overlapping audits in threads
    included, and the figures are the streaming engine's."""
    import os  # noqa: PLC0415
    import threading  # noqa: PLC0415

    period = Period(date(2026, 11, 16), date(2026, 11, 23), CONFIG.timezone)
    events = read_sources(Sources(ics=SAMPLE_FILES), config=CONFIG,
                          period=audit_window(period))
    seen: list[str | None] = []
    real = engine._run_audit
    inside = threading.Barrier(2)

    def spying(*args, **kwargs):
        seen.append(os.environ.get("POLARS_ENGINE_AFFINITY"))
        inside.wait(timeout=30)  # both audits are running before either ends
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_run_audit", spying)
    state = pl.Config.state()
    got: list[engine.Audit] = []
    other = threading.Thread(target=lambda: got.append(run_audit(events, CONFIG, period)))
    other.start()
    mine = run_audit(events, CONFIG, period)
    other.join()
    assert seen == ["in-memory", "in-memory"]
    assert pl.Config.state() == state
    assert "POLARS_ENGINE_AFFINITY" not in os.environ
    monkeypatch.setattr(engine, "_run_audit", real)
    monkeypatch.setenv("POLARS_ENGINE_AFFINITY", "streaming")  # the person's choice wins
    streaming = run_audit(events, CONFIG, period)
    assert os.environ["POLARS_ENGINE_AFFINITY"] == "streaming"
    for audit in (mine, got[0]):
        for name in FRAMES:
            assert_frame_equal(getattr(audit, name), getattr(streaming, name))
    monkeypatch.setattr(engine, "IN_MEMORY_BELOW", events.height)  # now a large input
    monkeypatch.delenv("POLARS_ENGINE_AFFINITY")
    monkeypatch.setattr(engine, "_run_audit", spying)
    inside = threading.Barrier(1)
    run_audit(events, CONFIG, period)
    assert seen[-1] is None
