"""The dashboard, driven headless with Streamlit's AppTest, and the numbers behind its views.

Every test runs with the isolated user directories of conftest.py, so it starts in sample
mode with an empty store; Streamlit's caches are shared by the tests of this process
(their keys include everything a result depends on).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import altair as alt
import polars as pl
import pyarrow as pa
import pytest
from polars.testing import assert_frame_equal
from streamlit.testing.v1 import AppTest

from audit import config_edit, store
from audit.config import load_config
from audit.engine import audit_window, run_audit, slice_audit
from audit.export import export_frames
from cli.reading import read_sources
from connectors import google_auth
from connectors.google_auth import EXPIRED
from connectors.sources import Sources
from core.errors import AuthError
from core.period import Period, last_complete_week
from dashboard import charts, connections, data, figures

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
SAMPLE_FILES = sorted(SAMPLE.glob("*.ics"))
CONFIG = load_config(SAMPLE / "timeaudit.toml")
KPIS = ["Work hours", "Life hours", "Integrated hours", "Unclassified", "Focus coverage",
        "Boundary violations", "Meeting hours"]

pytestmark = pytest.mark.filterwarnings(
    # Streamlit's AppTest keeps a TemporaryDirectory for the script run and leaves its
    # cleanup to the garbage collector; that ResourceWarning is Streamlit's, not ours.
    "ignore:Implicitly cleaning up <TemporaryDirectory:ResourceWarning",
)


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_frames(at: AppTest) -> list[pl.DataFrame]:
    """The datasets of every chart on the page (as Streamlit sends them, Arrow)."""
    frames = []
    for element in at.get("vega_lite_chart"):
        for dataset in element.proto.datasets:
            frames.append(pl.from_arrow(pa.ipc.open_stream(dataset.data.data).read_all()))
    return frames


def matrix(at: AppTest) -> dict[str, float]:
    frame = next(f for f in chart_frames(at) if "figure" in f.columns)
    return dict(frame.select("quadrant", "hours").iter_rows())


def by_label(elements: object, label: str) -> object:
    """The widget labelled ``label`` (the settings form's keys change with the settings)."""
    return next(element for element in elements if element.label == label)


def uploader(at: AppTest) -> object:
    """The .ics uploader (its key changes after each batch, so it starts empty)."""
    return by_label(at.file_uploader, "Add .ics files")


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def week_audit(start: date) -> object:
    period = Period(start, start + timedelta(days=7), CONFIG.timezone)
    events = read_sources(Sources(ics=SAMPLE_FILES), period=audit_window(period), config=CONFIG)
    return run_audit(events, CONFIG, period, store.load_overrides())


# ------------------------------------------------------------------ the page


def test_renders_the_sample_on_the_last_complete_week(app: AppTest) -> None:
    assert list(metrics(app)) == KPIS
    week = last_complete_week(CONFIG.timezone, CONFIG.week_start)
    assert app.session_state["week_day"] == week.start
    assert "Sample calendars" in app.caption[0].value
    assert len(app.get("vega_lite_chart")) >= 9
    # the figures are the report's: work hours of the week
    expected = figures.weekly_figures(week_audit(week.start)).row(0, named=True)
    assert metrics(app)["Work hours"] == f"{expected['work']:.1f} h"
    assert metrics(app)["Boundary violations"] == str(expected["violations"])
    deltas = {m.label: m.delta for m in app.metric}
    assert all(deltas[label] is not None for label in KPIS)
    assert not config_edit.user_config_path().exists()  # sample mode writes nothing


def charts_by_spec(at: AppTest) -> list[tuple[str, tuple[str, ...], tuple[bytes, ...]]]:
    """Each chart on the page: its spec as sent, its dataset names and their bytes."""
    return [(element.proto.spec, tuple(d.name for d in element.proto.datasets),
             tuple(d.data.data for d in element.proto.datasets))
            for element in at.get("vega_lite_chart")]


def test_a_week_switch_sends_each_chart_the_same_spec_with_new_rows(app: AppTest) -> None:
    """docs/dashboard.md: the browser swaps rows into the charts on the page only when a
    chart's spec and dataset names stay the same; a new name rebuilds the Vega view."""
    before = charts_by_spec(app)
    app.button(key="week_previous").click().run()
    after = charts_by_spec(app)
    assert [names for _, names, _ in after] == [names for _, names, _ in before]
    # a chart whose size follows the week (the focus chart's height: one row per day
    # with events) is rebuilt; every other chart keeps its spec
    changed = [i for i, ((old, _, _), (new, _, _)) in enumerate(zip(before, after, strict=True))
               if old != new]
    assert len(changed) <= 1, changed
    assert all(name.startswith("timeaudit_") for _, names, _ in after for name in names)
    assert sum(old != new for (_, _, old), (_, _, new) in zip(before, after, strict=True)) \
        >= len(after) // 2  # the week's rows did change


def test_the_week_picker_changes_the_figures(app: AppTest) -> None:
    shown = app.session_state["week_day"]
    before = metrics(app)
    app.button(key="week_previous").click().run()
    assert app.session_state["week_day"] == shown - timedelta(days=7)
    after = metrics(app)
    assert after != before
    expected = figures.weekly_figures(week_audit(shown - timedelta(days=7))).row(0, named=True)
    assert after["Work hours"] == f"{expected['work']:.1f} h"
    app.text_input(key="week_text").input(f"{shown:%G-W%V}").run()   # a typed week
    assert metrics(app) == before
    app.button(key="year_previous").click().run()                      # a year back
    assert app.session_state["week_day"] == shown - timedelta(days=364)
    assert app.text_input(key="week_text").value == f"{shown.year - 1}-W{shown:%V}"
    app.text_input(key="week_text").input(shown.isoformat()).run()     # a typed day
    assert metrics(app) == before
    app.text_input(key="week_text").input("next tuesday").run()
    assert errors(app) == ["“next tuesday” is not a week or a day: type 2025-W47 or "
                           "2025-11-19."]
    assert app.text_input(key="week_text").value == "next tuesday"     # kept to fix it
    assert metrics(app) == before
    app.button(key="week_next").click().run()
    assert app.session_state["week_day"] == shown + timedelta(days=7)
    assert not app.exception


def event_rows(at: AppTest) -> list[dict]:
    """The rows of the events table, as the page has them."""
    frame = next(d for d in at.dataframe if d.key == "events_table").value
    return pl.from_pandas(frame).to_dicts()


def select_event(at: AppTest, index: int) -> None:
    at.session_state["events_table"] = {"selection": {"rows": [index], "columns": [],
                                                      "cells": []}}
    at.run()


def test_classifying_one_event_moves_time_in_the_matrix_and_undoes(app: AppTest) -> None:
    before = matrix(app)
    assert before["delegate"] == 0
    index, row = next((i, r) for i, r in enumerate(event_rows(app))
                      if r["urgent"] == "no" and r["important"] == "yes" and not r["series_id"])
    select_event(app, index)
    assert "No event selected." not in [c.value for c in app.caption]
    app.session_state[f"classify_urgent:{row['event_id']}"] = "yes"
    app.session_state[f"classify_important:{row['event_id']}"] = "no"
    app.button(key="classify_event").click().run()   # one action
    assert not app.exception
    after = matrix(app)
    assert after["delegate"] > 0
    assert after["schedule"] == pytest.approx(before["schedule"] - after["delegate"])
    assert app.success[0].value.startswith(f"Classified “{row['title']}”")
    saved = store.load_overrides().row(0, named=True)
    assert saved == {"scope": "event", "key": row["event_id"], "domain": "work",
                     "urgent": True, "important": False}
    assert event_rows(app)[index]["yours"] == "✎ this event"   # marked in the table
    # the overrides list names the event, not its key
    listed = next(d for d in app.dataframe if d.key == "overrides_table").value
    assert listed[["Event", "Applies to", "Urgent"]].values.tolist() == [
        [row["title"], "this event", "yes"]]
    app.run()  # a rerun keeps it (it is in the store) and does not save it twice
    assert matrix(app) == after
    assert store.load_overrides().height == 1
    app.button(key="classify_undo").click().run()    # and undone in one click
    assert store.load_overrides().is_empty()
    assert matrix(app) == before
    assert event_rows(app)[index]["yours"] == ""


def test_classifying_a_whole_series_is_one_action(app: AppTest) -> None:
    rows = event_rows(app)
    index, row = next((i, r) for i, r in enumerate(rows)
                      if r["series_id"] and r["domain"] == "work"
                      and sum(o["series_id"] == r["series_id"] for o in rows) > 1)
    select_event(app, index)
    app.session_state[f"classify_domain:{row['event_id']}"] = "life"
    app.button(key="classify_series").click().run()
    assert store.load_overrides().select("scope", "key", "domain").row(0) == (
        "series", row["series_id"], "life")
    same = [r for r in event_rows(app) if r["series_id"] == row["series_id"]]
    assert len(same) > 1
    assert all(r["domain"] == "life" and r["yours"] == "✎ series" for r in same)
    # undo it from the list of overrides
    app.session_state["overrides_table"] = {"selection": {"rows": [0], "columns": [],
                                                          "cells": []}}
    app.run()
    app.button(key="overrides_remove_button").click().run()
    assert not app.exception
    assert store.load_overrides().is_empty()
    assert all(r["yours"] == "" for r in event_rows(app))


def test_a_bad_upload_shows_an_error_and_the_rest_keeps_working(app: AppTest) -> None:
    before = metrics(app)
    uploader(app).upload("broken.ics", b"BEGIN:VCALENDAR\r\nnot a line\r\n",
                                           "text/calendar")
    app.run()
    assert not app.exception
    assert errors(app) == ["**broken.ics** — not connected: line 2: not a valid iCalendar file: "
                           "Content line could not be parsed into parts: 'not a line': Invalid "
                           "content line"]
    assert metrics(app) == before  # still the sample, still rendering
    assert not connections.load_connections()
    assert not connections.uploads_dir().exists()


def test_an_upload_connects_the_calendar_and_settings_go_to_the_users_file(app: AppTest
                                                                          ) -> None:
    data = (SAMPLE / "work.ics").read_bytes()
    uploader(app).upload("my work.ics", data, "text/calendar")
    app.run()
    assert not app.exception, app.exception
    assert connections.load_connections().files == ("my work.ics",)
    assert "1 calendars" in app.caption[0].value
    picker = next(s for s in app.selectbox if s.key.startswith("domain:ics:my work.ics:"))
    picker.set_value("work").run()
    user = config_edit.user_config_path()
    assert tomllib_load(user)["calendars"] == [{"source": "ics:my work.ics", "domain": "work"}]
    assert next(s for s in app.selectbox if s.key.startswith("domain:ics:my work.ics:")
                ).value == "work"
    by_label(app.text_input, "Monday").input("08:00-16:00")
    app.button(key="FormSubmitter:settings-Save settings").click().run()
    assert not errors(app)
    assert str(load_config(user).working_hours["monday"]) == "08:00-16:00"
    assert by_label(app.text_input, "Monday").value == "08:00-16:00"


def tomllib_load(path: Path) -> dict:
    import tomllib  # noqa: PLC0415

    return tomllib.loads(path.read_text(encoding="utf-8"))


def test_a_dead_link_shows_an_error_and_keeps_the_link(app: AppTest) -> None:
    link = "http://127.0.0.1:9/calendar.ics"  # port 9: nothing listens
    app.text_input(key="link").input(link)
    app.button(key="add_link").click().run()
    assert not app.exception
    [message] = errors(app)
    assert message.startswith("url:127.0.0.1/calendar.ics: cannot reach the server")
    assert app.text_input(key="link").value == link
    assert not connections.load_connections()
    assert list(metrics(app)) == KPIS


def test_a_bad_setting_shows_an_error_and_keeps_what_was_typed(app: AppTest) -> None:
    sample_before = (SAMPLE / "timeaudit.toml").read_bytes()
    before = metrics(app)
    by_label(app.text_input, "Monday").input("9 to 5")
    app.button(key="FormSubmitter:settings-Save settings").click().run()
    assert not app.exception
    assert errors(app) == ['sample_data/timeaudit.toml (sample; changes last for this '
                           'session): working_hours.monday: "9 to 5" is not HH:MM-HH:MM']
    assert by_label(app.text_input, "Monday").value == "9 to 5"
    assert metrics(app) == before
    assert (SAMPLE / "timeaudit.toml").read_bytes() == sample_before


def test_sample_settings_apply_to_the_session_only(app: AppTest) -> None:
    sample_before = (SAMPLE / "timeaudit.toml").read_bytes()
    by_label(app.number_input, "Target (h / week)").set_value(30.0)
    app.button(key="FormSubmitter:settings-Save settings").click().run()
    assert not errors(app)
    focus = next(m for m in app.metric if m.label == "Focus coverage")
    assert "target 30 h a week" in focus.help
    assert (SAMPLE / "timeaudit.toml").read_bytes() == sample_before
    assert not config_edit.user_config_path().exists()


def test_the_export_preview_is_exactly_the_export(app: AppTest) -> None:
    audit = week_audit(app.session_state["week_day"])
    # comparison.csv: against the week before (issue 14)
    before = week_audit(app.session_state["week_day"] - timedelta(days=7))
    for privacy in ("standard", "strict", "full"):
        app.button_group(key="privacy").set_value(privacy).run()
        expected = export_frames(audit, privacy, previous=before)
        assert "comparison.csv" in expected
        previews = {tab.label: tab.dataframe[0] for tab in app.tabs}
        assert list(previews) == list(expected)
        labels = [b.label for b in app.get("download_button")
                  if b.label.endswith(".csv")]  # the one-page report comes after them
        assert labels == [f"Download {name}" for name in expected]
        for name, frame in expected.items():
            got = pl.from_pandas(previews[name].value)
            assert got.columns == frame.columns
            assert_frame_equal(got, frame, check_dtypes=False, check_row_order=False)


def test_a_revoked_google_sign_in_is_a_clear_error(app: AppTest,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    google_auth.write_private(google_auth.token_path(), json.dumps({
        "token": "expired", "refresh_token": "revoked", "client_id": "id",
        "client_secret": "secret", "token_uri": "https://oauth2.googleapis.com/token",
        "scopes": list(google_auth.SCOPES), "expiry": "2020-01-01T00:00:00Z"}).encode())

    def refuse(credentials: object, request: object) -> None:
        raise AuthError(EXPIRED)  # what Google's invalid_grant becomes

    monkeypatch.setattr(google_auth, "refresh", refuse)
    app.run()
    app.button(key="google_sync").click().run()
    assert not app.exception
    assert errors(app) == [EXPIRED]
    assert list(metrics(app)) == KPIS


def test_google_without_a_client_walks_through_getting_one(app: AppTest) -> None:
    page = " ".join(m.value for m in app.markdown)
    assert "First, a client secret." in page
    assert "Desktop app" in page
    assert "console.cloud.google.com" in page
    connect = app.button(key="google_connect")
    assert connect.disabled          # nothing that fails with a terminal command
    client = by_label(app.file_uploader, "Client secret (client_secret_….json)")
    client.upload("my-web-client.json", json.dumps({"web": {"client_id": "x"}}).encode(),
                  "application/json").run()
    assert not app.exception
    [message] = errors(app)
    assert message.startswith("my-web-client.json: an OAuth client of type 'web'; create "
                              "one of type \"Desktop app\"")
    assert not by_label(app.file_uploader, "Client secret (client_secret_….json)").value
    desktop = {"installed": {"client_id": "id", "client_secret": "s",
                             "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                             "token_uri": "https://oauth2.googleapis.com/token"}}
    by_label(app.file_uploader, "Client secret (client_secret_….json)").upload(
        "client_secret_1.json", json.dumps(desktop).encode(), "application/json").run()
    assert not errors(app)
    assert google_auth.client_secrets_path().is_file()
    assert not app.button(key="google_connect").disabled
    assert "First, a client secret." not in " ".join(m.value for m in app.markdown)


def _neutral_calendar(titles: list[str]) -> bytes:
    """One timed event per title in the frozen default week, with nothing that says what
    it is (no attendees, no keyword, a neutral calendar name)."""
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:n{i}@test\r\nSUMMARY:{title}\r\n"
        f"DTSTART:2026111{i}T100000Z\r\nDTEND:2026111{i}T110000Z\r\nEND:VEVENT\r\n"
        for i, title in enumerate(titles))
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
            f"X-WR-CALNAME:Kalender\r\n{events}END:VCALENDAR\r\n").encode()


def test_a_new_calendar_opens_on_its_most_recent_week(app: AppTest) -> None:
    """Its events are all in June 2025; "now" is November 2026: the page moves there."""
    data = _neutral_calendar(["Zephyr", "Quokka"]).replace(b"2026111", b"2025061")
    uploader(app).upload("old.ics", data, "text/calendar")
    app.run()
    assert not app.exception, app.exception
    assert app.session_state["week_day"] == date(2025, 6, 11)  # the latest event's day
    assert "Showing the week of 11 Jun 2025" in " ".join(s.value for s in app.success)
    assert metrics(app)["Unclassified"].startswith("2.0 h")


def test_classifying_a_title_writes_a_rule_and_settles_it(app: AppTest) -> None:
    uploader(app).upload(
        "mine.ics", _neutral_calendar(["Zephyr", "Quokka", "Marmot"]), "text/calendar")
    app.run()
    assert not app.exception, app.exception
    label = next(e.label for e in app.expander if "unclassified titles" in e.label)
    assert label.endswith("(3)")
    app.session_state["rules_editor"] = {
        "edited_rows": {0: {"domain": "life", "urgent": "no", "important": "yes",
                            "add rule": True}},
        "added_rows": [], "deleted_rows": []}
    app.button(key="rules_add").click().run()
    assert not app.exception
    assert any("rule" in s.value for s in app.success), [s.value for s in app.success]
    label = next(e.label for e in app.expander if "unclassified titles" in e.label)
    assert label.endswith("(2)")
    assert len(tomllib_load(config_edit.user_config_path())["rules"]) == 1


def test_the_sample_week_has_nothing_left_to_classify(app: AppTest) -> None:
    """The sample ships its own rules: its weeks are fully classified."""
    label = next(e.label for e in app.expander if "unclassified titles" in e.label)
    assert label.endswith("(0)")


# ------------------------------------------------------------------ the numbers behind


@pytest.fixture(scope="module")
def block() -> tuple[pl.DataFrame, Period]:
    start = last_complete_week(CONFIG.timezone).start - timedelta(weeks=12)
    period = Period(start, start + timedelta(weeks=13), CONFIG.timezone)
    return read_sources(Sources(ics=SAMPLE_FILES), period=period, config=CONFIG), period


def test_a_week_cut_out_of_a_block_is_the_weeks_own_audit(block: tuple) -> None:
    events, period = block
    whole = run_audit(events, CONFIG, period)
    for start in period.days[::7]:
        week = Period(start, start + timedelta(days=7), CONFIG.timezone)
        alone, cut = run_audit(events, CONFIG, week), slice_audit(whole, week)
        for name in ("events", "windows", "violations", "focus", "busy"):
            assert_frame_equal(getattr(cut, name), getattr(alone, name))
        assert_frame_equal(cut.attributed, alone.attributed, check_row_order=False)
        for file, frame in export_frames(alone, "full").items():
            assert_frame_equal(export_frames(cut, "full")[file], frame,
                               check_row_order=file != "events.csv")
        assert_frame_equal(figures.weekly_figures(alone),
                           figures.weekly_figures(whole).filter(pl.col("week") == start))


def test_the_numbers_wait_only_for_the_blocks_of_the_week_and_the_week_before(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The trend's earlier block is audited when the trend is first asked for (after the
    numbers, `load_week`); the numbers' own figures are the trend's rows."""
    chosen = date(2026, 12, 14)  # its block and its previous week's start 2026-11-30;
    assert {data.block_start(day, "monday") for day in (chosen, chosen - timedelta(days=7))} \
        == {date(2026, 11, 30)}  # its trend reaches back into the block before
    audited: list[date] = []
    block_audit = data.block_audit

    def counted(start: date, *args: object) -> object:
        audited.append(start)
        return block_audit(start, *args)

    monkeypatch.setattr(data, "block_audit", counted)
    spec = data.SourceSpec(files=tuple(data.file_entry(p) for p in SAMPLE_FILES))
    period = Period(chosen, chosen + timedelta(days=7), CONFIG.timezone)
    week = data.load_week(spec, CONFIG, "sample", period, store.load_overrides())
    current, previous = week.current, week.previous
    assert audited == [date(2026, 11, 30)]
    trend = week.trend
    assert sorted(audited) == [date(2026, 8, 31), date(2026, 11, 30)]
    assert trend.height == data.TREND_WEEKS
    assert current == trend.filter(pl.col("week") == chosen).row(0, named=True)
    assert previous == trend.filter(
        pl.col("week") == chosen - timedelta(days=7)).row(0, named=True)
    assert week.trend is trend  # worked out once
    assert isinstance(week.warnings, tuple)
    assert len(audited) == 2  # no block audited again


def test_the_trend_across_a_year_of_reading_equals_auditing_each_week() -> None:
    """Weeks in two read-years and several audit blocks: every trend row is what auditing
    that week alone gives."""
    chosen = date(2026, 12, 7)  # a year block starts 2026-11-30: the trend spans two
    assert data.block_start(chosen, "monday", data.READ_WEEKS) == date(2026, 11, 30)
    spec = data.SourceSpec(files=tuple(data.file_entry(p) for p in SAMPLE_FILES))
    period = Period(chosen, chosen + timedelta(days=7), CONFIG.timezone)
    week = data.load_week(spec, CONFIG, "sample", period, store.load_overrides())
    assert week.trend["week"].to_list() == [chosen - timedelta(weeks=i)
                                            for i in range(11, -1, -1)]
    for row in week.trend.iter_rows(named=True):
        alone = figures.weekly_figures(week_audit(row["week"])).row(0, named=True)
        assert row == pytest.approx(alone), row["week"]
    assert_frame_equal(figures.weekly_figures(week.audit),
                       figures.weekly_figures(week_audit(chosen)))
    # the heat map's hours, worked out only when asked (after the numbers), are each
    # week's own hours, across both blocks
    assert callable(week.hourly)
    hours = week.hourly_frame()
    assert set(hours["week"].unique().to_list()) <= set(week.trend["week"].to_list())
    for start in (chosen, chosen - timedelta(weeks=2)):
        assert_frame_equal(hours.filter(pl.col("week") == start).sort("weekday", "hour"),
                           figures.hourly_work(week_audit(start)).sort("weekday", "hour"),
                           check_exact=False)
    assert week.hourly_frame() is hours  # worked out once


def test_focus_segments_add_up_to_the_engines_focus(block: tuple) -> None:
    events, period = block
    audit = run_audit(events, CONFIG, period)
    segments = figures.focus_segments(audit).group_by("date", "kind").agg(
        pl.col("minutes").sum())

    def total(*kinds: str) -> pl.DataFrame:
        return (segments.filter(pl.col("kind").is_in(kinds)).group_by("date")
                .agg(pl.col("minutes").sum()))

    focus = audit.focus.filter(pl.col("working_minutes") > 0)
    for kinds, column in ((("focus time", "scheduled focus"), "focus_minutes"),
                          (("scheduled focus",), "protected_focus_minutes"),
                          (("fragmented",), "fragmented_minutes"),
                          (("meetings and events",), "busy_in_window_minutes")):
        joined = focus.join(total(*kinds), on="date", how="left").with_columns(
            pl.col("minutes").fill_null(0.0))
        assert joined["minutes"].to_list() == pytest.approx(joined[column].to_list()), column


def test_every_chart_is_a_valid_vega_lite_spec(block: tuple) -> None:
    events, period = block
    audit = run_audit(events, CONFIG, period)
    week = slice_audit(audit, Period(period.days[-7], period.end, CONFIG.timezone))
    first = week.period.start
    clock = ["day", "order", "start_h", "end_h"]
    segments = charts.with_order(figures.focus_segments(week), first)
    built = [
        charts.per_day_chart(charts.with_order(figures.per_day(week), first)),
        charts.matrix_chart(charts.matrix_data(figures.quadrants(week))),
        charts.week_timeline_chart(
            charts.days_frame(week.period.days).select(clock),
            charts.with_order(figures.working_bands(week), first),
            charts.with_order(figures.protected_bands(week), first),
            charts.with_order(figures.timeline_pieces(week), first),
            charts.with_order(figures.violation_segments(week), first)),
        charts.focus_timeline_chart(segments, lo=8, hi=18, rows=5),
        charts.focus_bullet_chart(*charts.bullet_data(focus=1, scheduled=1, fragmented=1,
                                                      working=40, target=10)),
        charts.heatmap_chart(charts.heatmap_data(figures.hourly_work(audit)), title="t"),
        *(build(frame) for build, frame in zip(
            charts.TREND_CHARTS,
            charts.trend_frames(charts.trend_data(figures.weekly_figures(audit), first)),
            strict=True)),
    ]
    for chart in built:
        assert isinstance(chart, alt.TopLevelMixin)
        chart.to_dict()  # validates against the Vega-Lite schema


def test_audit_never_imports_streamlit() -> None:
    for path in (ROOT / "audit").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import streamlit" not in text, path
        assert "from streamlit" not in text, path
