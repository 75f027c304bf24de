"""Reading the week in AppTest, with persona P2's own calendars: KPIs that say what they
compare, violations in words, a focus sentence that keeps fragmented time apart, the
unfinished week, the events table, charts that fit a phone, and typed working hours."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from audit import config_edit

ROOT = Path(__file__).resolve().parent.parent
PERSONA = ROOT.parent / "shared" / "personas" / "P2"
KPIS = 7

pytestmark = pytest.mark.filterwarnings(
    "ignore:Implicitly cleaning up <TemporaryDirectory:ResourceWarning")


@pytest.fixture
def app() -> AppTest:
    """The dashboard with P2's three calendars, on week 47 (which has a long day)."""
    if not PERSONA.is_dir():
        pytest.skip(f"the personas are not at {PERSONA}")
    at = AppTest.from_file("../app.py", default_timeout=120)
    at.run()
    uploader = next(u for u in at.file_uploader if u.label == "Add .ics files")
    uploader.set_value([(f"{n}.ics", (PERSONA / f"{n}.ics").read_bytes(), "text/calendar")
                        for n in ("work", "privat", "familie")]).run()
    at.text_input(key="week_text").input("2026-W47").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def frame(at: AppTest, column: str) -> pl.DataFrame:
    """The table with ``column`` (plain tables have no key AppTest can read)."""
    return pl.from_pandas(next(d.value for d in at.dataframe if column in d.value.columns))


def chart_specs(at: AppTest) -> list[dict]:
    return [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]


def test_kpis_say_what_they_compare_with_neutral_sparklines(app: AppTest) -> None:
    metrics = list(app.metric)
    assert len(metrics) == KPIS
    assert all(m.proto.delta_description == "vs last week" for m in metrics)
    assert not any(m.proto.chart_data for m in metrics)   # no red/green sparklines
    sparks = [s for s in chart_specs(app)
              if s.get("height") == 44
              and s.get("encoding", {}).get("y", {}).get("field") == "value"]
    assert len(sparks) == KPIS
    for spark in sparks:
        colours = spark["encoding"]["color"]
        assert {colours["condition"]["value"], colours["value"]} == {"#4A5568", "#C3CAD5"}


def test_trend_axes_stay_readable_at_zero(app: AppTest) -> None:
    axes = [s["encoding"]["y"] for s in chart_specs(app) if s.get("title") == "Work hours"]
    assert len(axes) == 1
    assert all(a["axis"] == {"format": "d", "tickMinStep": 1} for a in axes)
    # issue 14: the minutes of each boundary type are written in a grid of weeks × types
    # (no quantity axis to read), in place of one outside-hours bar chart
    assert [s for s in chart_specs(app) if s.get("title") == "Boundary minutes by type"]


def test_violations_explain_themselves(app: AppTest) -> None:
    summary = frame(app, "Counted")
    assert summary.columns == ["Boundary", "Minutes", "Times", "Counted"]
    assert dict(summary.select("Boundary", "Counted").iter_rows()) == {
        "After hours": "split", "Long day": "in addition"}
    rows = frame(app, "What")
    assert rows.columns == ["Day", "Boundary", "Minutes", "What", "Calendar"]
    long_day = rows.filter(pl.col("Boundary") == "Long day").row(0, named=True)
    assert long_day["What"] == ("The whole day: 10.5 h from first to last work "
                                "(limit 10 h)")
    assert long_day["Calendar"] == ""
    assert not rows["Boundary"].str.contains("_").any()
    captions = " ".join(c.value for c in app.caption)
    assert "are reported in addition" in captions
    assert "Long day" in captions


def test_the_focus_sentence_keeps_fragmented_time_apart(app: AppTest) -> None:
    [sentence] = [m.value for m in app.markdown if "of focus time in" in m.value]
    assert "Not counted as focus:" in sentence
    assert "of it scheduled as focus blocks, " not in sentence


def test_an_unfinished_week_says_it_counts_planned_events(app: AppTest) -> None:
    # "now" is Friday 20 November 2026, 13:00 in Berlin: week 47 is not over
    [note] = [c.value for c in app.caption if c.value.startswith("This week is not over")]
    assert "until Fri 13:00" in note
    assert "planned events still ahead" in note
    app.button(key="week_previous").click().run()
    assert not [c for c in app.caption if c.value.startswith("This week is not over")]


def test_the_events_table_has_full_names_and_no_none(app: AppTest) -> None:
    element = next(d for d in app.dataframe if d.key == "events_table")
    assert element.proto.placeholder == "—"
    columns = {name: json.loads(element.proto.columns)[name].get("label")
               for name in ("when", "shown", "important", "reason")}
    assert columns == {"when": "When", "shown": "Title", "important": "Important",
                       "reason": "Why"}
    widths = json.loads(element.proto.columns)
    assert widths["reason"]["width"] >= 290
    assert element.proto.row_height > 64  # Streamlit wraps texts above 4rem


def test_matrix_texts_fit_their_cells(app: AppTest) -> None:
    matrix = next(s for s in chart_specs(app) if len(s.get("layer", [])) == 5)
    texts = [layer["mark"] for layer in matrix["layer"] if layer["mark"]["type"] == "text"]
    assert len(texts) == 4
    assert all(mark["limit"] == {"expr": "width / 2 - 14"} for mark in texts)


def test_typed_working_hours_are_stored_canonically(app: AppTest) -> None:
    monday = next(t for t in app.text_input if t.label == "Monday")
    tuesday = next(t for t in app.text_input if t.label == "Tuesday")
    monday.input("8:30\u201317:30")
    tuesday.input("9-17")
    app.button(key="FormSubmitter:settings-Save settings").click().run()
    assert not app.error, [e.value for e in app.error]
    saved = tomllib.loads(config_edit.user_config_path().read_text(encoding="utf-8"))
    assert saved["working_hours"] == {"monday": "08:30-17:30", "tuesday": "09:00-17:00"}
    assert next(t for t in app.text_input if t.label == "Tuesday").value == "09:00-17:00"


def test_the_disk_cache_is_written_after_the_numbers(app: AppTest) -> None:
    """The reads' disk cache writes are queued and written by a thread once the numbers
    are out (`dashboard.data.write_behind`): none is lost, none left queued."""
    import threading  # noqa: PLC0415

    from connectors import cache, group_cache  # noqa: PLC0415
    from dashboard import data  # noqa: PLC0415

    for thread in threading.enumerate():
        if thread.name == "timeaudit-cache-writes":
            thread.join(timeout=60)
    assert data._PENDING == []
    assert list(cache.cache_dir().glob("*.parquet"))
    assert list(group_cache.cache_dir().glob("*.groups"))
    assert not list(cache.cache_dir().glob("*.partial"))
