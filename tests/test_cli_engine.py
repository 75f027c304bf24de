"""`timeaudit report / export / classify / events` through `cli.main.main`, end to end.

Small .ics files and a timeaudit.toml are written into tmp_path; the sample calendars are
read from ``sample_data/``. Overrides go to the isolated XDG data dir of conftest.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import click
import pytest
from report_shape import COMPARED_SHAPE, check_shape

from audit.config import load_config
from audit.engine import audit_window, run_audit
from audit.report import build_report
from audit.store import load_overrides
from cli.main import GC_YOUNGEST, cli, main
from cli.reading import read_sources
from connectors.sources import Sources
from core.period import Period, parse_week

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
WEEK = "2026-W47"  # Mon 16 – Sun 22 November 2026

WORK_ICS = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//timeaudit//cli tests//EN
X-WR-CALNAME:Work
BEGIN:VEVENT
UID:standup@cli.test
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20261116T090000
DTEND;TZID=Europe/Berlin:20261116T093000
RRULE:FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR;COUNT=10
SUMMARY:Team standup
END:VEVENT
BEGIN:VEVENT
UID:client@cli.test
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20261117T180000
DTEND;TZID=Europe/Berlin:20261117T190000
SUMMARY:Client call
END:VEVENT
END:VCALENDAR
"""

FAMILY_ICS = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//timeaudit//cli tests//EN
X-WR-CALNAME:Family
BEGIN:VEVENT
UID:dentist@cli.test
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Berlin:20261118T100000
DTEND;TZID=Europe/Berlin:20261118T110000
SUMMARY:Dentist
LOCATION:Private Street 5
END:VEVENT
END:VCALENDAR
"""

CONFIG_TOML = """\
timezone = "Europe/Berlin"

[working_hours]
monday = "09:00-17:00"
tuesday = "09:00-17:00"
wednesday = "09:00-17:00"
thursday = "09:00-17:00"
friday = "09:00-17:00"
saturday = ""
sunday = ""

[[calendars]]
source = "ics:family.ics"
domain = "life"

[[rules]]
name = "Work"
title = "(?i)standup|client"
domain = "work"
urgent = false
important = false
"""

def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"work": tmp_path / "work.ics", "family": tmp_path / "family.ics",
             "config": tmp_path / "timeaudit.toml"}
    paths["work"].write_text(WORK_ICS, encoding="utf-8")
    paths["family"].write_text(FAMILY_ICS, encoding="utf-8")
    paths["config"].write_text(CONFIG_TOML, encoding="utf-8")
    return paths


def common(files: dict[str, Path]) -> list[str]:
    return ["--ics", str(files["work"]), "--ics", str(files["family"]),
            "--config", str(files["config"]), "--week", WEEK]


def report_json(capsys: pytest.CaptureFixture[str], args: list[str]) -> dict[str, Any]:
    code, out, err = run(capsys, "report", *args, "--format", "json")
    assert (code, err) == (0, "")
    result = json.loads(out)
    check_shape(result, COMPARED_SHAPE)  # the CLI compares with the previous period
    return result


def expected_report(config_path: Path, ics: list[Path]) -> dict[str, Any]:
    """The same audit through the Python API (what the dashboard calls)."""
    config = load_config(config_path)
    period = parse_week(WEEK, config.timezone)
    before = period.previous()
    events = read_sources(Sources(ics=tuple(ics)),
                          period=Period(before.start, audit_window(period).end, period.timezone),
                          config=config)
    overrides = load_overrides()
    return build_report(run_audit(events, config, period, overrides), None,
                        run_audit(events, config, before, overrides))


# --- report -----------------------------------------------------------------------------

def test_report_json_is_the_report_of_build_report(capsys, files):
    result = report_json(capsys, common(files))
    assert result == expected_report(files["config"], [files["work"], files["family"]])
    # by hand: five 30-minute standups + the client call (18:00-19:00, after hours) = 3.5 h
    # of work; the dentist 1 h of life (calendar default)
    assert result["period"] == {"from": "2026-11-16", "to": "2026-11-23",
                                "timezone": "Europe/Berlin"}
    assert result["hours"]["total"] == 4.5
    assert result["hours"]["by_domain"] == {"work": 3.5, "life": 1.0, "integrated": 0.0,
                                            "unclassified": 0.0}
    assert result["violations"]["items"] == [
        {"date": "2026-11-17", "type": "after_hours", "minutes": 60,
         "event_id": "client@cli.test", "title": "Client call", "calendar": "Work"}]
    # 40 working hours; Mon, Tue, Thu, Fri 7.5 h focus each; on Wednesday the dentist
    # (10-11) leaves 09:30-10:00 (short: fragmented) and 11:00-17:00 (6 h of focus)
    assert result["focus"]["working_hours"] == 40.0
    assert result["focus"]["hours"] == 36.0
    assert result["focus"]["fragmented_hours"] == 0.5


def test_report_json_on_the_sample_calendars(capsys):
    ics = [SAMPLE / "work.ics", SAMPLE / "family.ics", SAMPLE / "side-project.ics"]
    config = SAMPLE / "timeaudit.toml"
    args = [a for path in ics for a in ("--ics", str(path))]
    result = report_json(capsys, [*args, "--config", str(config), "--week", WEEK])
    assert result == expected_report(config, ics)
    assert result["period"]["from"] == "2026-11-16"
    assert len(result["days"]) == 7
    assert result["hours"]["total"] > 0
    assert result["violations"]["count"] == len(result["violations"]["items"]) > 0
    assert sum(result["hours"]["by_domain"].values()) == pytest.approx(
        result["hours"]["total"], abs=0.025)


def test_report_table_shows_the_kpis(capsys, files):
    code, out, err = run(capsys, "report", *common(files))  # table is the default
    assert (code, err) == (0, "")
    assert out.startswith("timeaudit — 2026-11-16 to 2026-11-23 (exclusive), Europe/Berlin\n")
    for line in ("Counted time    4.50 h   meetings 0.00 h   double-booked 0.00 h",
                 "  work           3.50 h", "  life           1.00 h",
                 "  eliminate      3.50 h   78%",
                 "Focus  36.00 h of 40.00 working h (90%); target 10.00 h met",
                 "Boundary violations  1",
                 "  after_hours        60 min",
                 "    2026-11-17  after_hours       60 min  Client call",
                 "2026-11-17   1.50   0.00     0.00      0.00   7.50     8.00      60 min"):
        assert line in out, line
    code, out_explicit, _ = run(capsys, "report", *common(files), "--format", "table")
    assert (code, out_explicit) == (0, out)


# --- events -----------------------------------------------------------------------------

def test_events_have_the_classification_and_its_reason(capsys, files):
    code, out, err = run(capsys, "events", *common(files))
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 7  # five standups, the client call, the dentist
    assert {"domain", "urgent", "important", "quadrant", "reason", "counted", "count_reason",
            "minutes"} <= set(rows[0])
    by_id = {r["event_id"]: r for r in rows}
    assert by_id["client@cli.test"]["reason"] == (
        'domain: rule "Work"; urgent: rule "Work"; important: rule "Work"')
    assert by_id["dentist@cli.test"]["reason"].startswith('domain: calendar "ics:family.ics"')
    assert by_id["dentist@cli.test"]["minutes"] == "60.0"
    code, out, _ = run(capsys, "events", *common(files), "--format", "json")
    assert code == 0
    assert {r["event_id"]: r["reason"] for r in json.loads(out)} == {
        k: r["reason"] for k, r in by_id.items()}


# --- export -----------------------------------------------------------------------------

@pytest.mark.parametrize(("privacy", "names"), [
    # comparison.csv: the previous week's figures and the change (issue 14)
    ("strict", ["summary.csv", "comparison.csv"]),
    ("standard", ["summary.csv", "comparison.csv", "violations.csv", "events.csv"]),
    ("full", ["summary.csv", "comparison.csv", "violations.csv", "events.csv"]),
])
def test_export_writes_the_files_and_prints_their_paths(capsys, files, tmp_path, privacy,
                                                       names):
    out_dir = tmp_path / "out"
    code, out, err = run(capsys, "export", *common(files), "--out", str(out_dir),
                         "--privacy", privacy)
    assert (code, err) == (0, "")
    assert out == "".join(f"{out_dir / name}\n" for name in names)
    assert sorted(p.name for p in out_dir.iterdir()) == sorted(names)
    data = b"".join((out_dir / name).read_bytes() for name in names)
    assert (b"Dentist" in data) == (privacy == "full")
    assert (b"Private Street 5" in data) == (privacy == "full")
    assert (b"Client call" in data) == (privacy != "strict")


def test_export_defaults_to_standard(capsys, files, tmp_path):
    code, out, _ = run(capsys, "export", *common(files), "--out", str(tmp_path / "x"))
    assert code == 0
    assert len(out.splitlines()) == 4
    events = (tmp_path / "x" / "events.csv").read_text(encoding="utf-8")
    assert "Personal" in events
    assert "Dentist" not in events


def test_export_needs_an_out_dir(capsys, files):
    code, _, err = run(capsys, "export", *common(files))
    assert code == 2
    assert "Missing option '--out'" in err


def test_export_into_a_file_is_one_error_line(capsys, files, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("", encoding="utf-8")
    assert run(capsys, "export", *common(files), "--out", str(blocker / "out")) == (
        2, "", f"error: {blocker / 'out'}: cannot write the export: Not a directory\n")


# --- classify ---------------------------------------------------------------------------

def test_an_override_moves_the_hours_and_wins_over_rules(capsys, files):
    before = report_json(capsys, common(files))
    assert run(capsys, "classify", "client@cli.test", "--domain", "life", "--important") == (
        0, "override saved for client@cli.test\n", "")
    after = report_json(capsys, common(files))
    # the rule "Work" said work / not important; the override says life / important
    assert after["hours"]["by_domain"] == {"work": 2.5, "life": 2.0, "integrated": 0.0,
                                           "unclassified": 0.0}
    assert before["hours"]["by_quadrant"]["schedule"] == 0.0
    assert after["hours"]["by_quadrant"]["schedule"] == 1.0  # urgent false (rule) + important
    assert after["hours"]["total"] == before["hours"]["total"]
    assert after["violations"]["count"] == 0  # life time after hours crosses no boundary
    assert after == expected_report(files["config"], [files["work"], files["family"]])
    code, out, _ = run(capsys, "events", *common(files), "--format", "json")
    assert code == 0
    client = next(r for r in json.loads(out) if r["event_id"] == "client@cli.test")
    assert client["reason"] == ("domain: override (this event); urgent: rule \"Work\"; "
                                "important: override (this event)")


def test_a_series_override_from_an_occurrence_id(capsys, files):
    assert run(capsys, "classify", "standup@cli.test@2026-11-18T08:00:00Z", "--series",
               "--domain", "integrated") == (
        0, "override saved for all occurrences of standup@cli.test\n", "")
    result = report_json(capsys, common(files))
    assert result["hours"]["by_domain"] == {"work": 1.0, "life": 1.0, "integrated": 2.5,
                                            "unclassified": 0.0}
    assert [d["integrated"] for d in result["days"]] == [0.5] * 5 + [0.0] * 2


def test_list_and_clear(capsys, files):
    assert run(capsys, "classify", "--list") == (
        0, "scope,key,domain,urgent,important,note,updated_at\n", "")
    run(capsys, "classify", "client@cli.test", "--domain", "life", "--important")
    run(capsys, "classify", "standup@cli.test@2026-11-16T08:00:00Z", "--series",
        "--not-urgent")
    code, out, err = run(capsys, "classify", "--list")
    assert (code, err) == (0, "")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["scope"], r["key"], r["domain"], r["urgent"], r["important"]) for r in rows] == [
        ("event", "client@cli.test", "life", "", "true"),
        ("series", "standup@cli.test", "", "false", "")]
    assert all(r["updated_at"].endswith("Z") for r in rows)

    assert run(capsys, "classify", "client@cli.test", "--clear") == (
        0, "override removed\n", "")
    assert run(capsys, "classify", "client@cli.test", "--clear") == (
        0, "there was no override\n", "")
    assert run(capsys, "classify", "standup@cli.test@2026-11-20T08:00:00Z", "--series",
               "--clear") == (0, "override removed\n", "")
    assert run(capsys, "classify", "--list") == (
        0, "scope,key,domain,urgent,important,note,updated_at\n", "")
    result = report_json(capsys, common(files))
    assert result["hours"]["by_domain"]["work"] == 3.5  # back to the rules


@pytest.mark.parametrize(("args", "message"), [
    ((), "name the occurrence: timeaudit classify EVENT_ID … (or --list)"),
    (("client@cli.test",), "say what to set: --domain, --urgent/--not-urgent or "
                           "--important/--not-important (or --clear)"),
])
def test_classify_usage_errors(capsys, args, message):
    assert run(capsys, "classify", *args) == (2, "", f"error: {message}\n")


def test_classify_refuses_an_unknown_domain(capsys):
    code, out, err = run(capsys, "classify", "x", "--domain", "unclassified")
    assert (code, out) == (2, "")
    assert "Invalid value for '--domain'" in err


# --- configuration errors: the whole stderr line, exit status 2 -------------------------

@pytest.mark.parametrize(("toml", "message"), [
    ('timezon = "Europe/Berlin"\n', "timezon: unknown key; did you mean timezone?"),
    ("[focus]\nmin_blok_minutes = 3\n",
     "focus.min_blok_minutes: unknown key; did you mean min_block_minutes?"),
    ('[working_hours]\nmonday = "9am-5pm"\n',
     'working_hours.monday: "9am-5pm" is not HH:MM-HH:MM'),
    ('[working_hours]\nmonday = "09:00-25:00"\n',
     'working_hours.monday: "09:00-25:00" is not HH:MM-HH:MM'),
    ('[working_hours]\nmonday = "09:00-12:00, 13:00-17:00"\n',
     'working_hours.monday: "09:00-12:00, 13:00-17:00" is not HH:MM-HH:MM'),
    ('[working_hours]\nmonday = "17:00-09:00"\n',
     'working_hours.monday: "17:00-09:00" ends before it starts; working hours may not cross '
     "midnight (end at 23:59 at the latest)"),
    ('[working_hours]\nmonday = "09:00-09:00"\n',
     'working_hours.monday: "09:00-09:00" is empty: the end must differ from the start'),
    ('[boundaries]\nlate_night = "22:00-22:00"\n',
     'boundaries.late_night: "22:00-22:00" is empty: the end must differ from the start'),
    ('[[rules]]\nname = "X"\ntitle = "(unclosed"\ndomain = "work"\n',
     'rules[1].title: "(unclosed" is not a valid regular expression: missing ), '
     "unterminated subpattern at position 0"),
    ('[[rules]]\nname = "X"\ntitle = "(?<=a)b"\ndomain = "work"\n',
     'rules[1].title: "(?<=a)b" is not a regular expression Polars can use: look-around, '
     "including look-ahead and look-behind, is not supported"),
    ('timezone = "Europe/Berlinn"\n',
     'timezone: unknown time zone "Europe/Berlinn"; did you mean Europe/Berlin?'),
    ('timezone = "Mars/Olympus"\n',
     'timezone: unknown time zone "Mars/Olympus"; use an IANA name such as Europe/Berlin'),
    ('timezone = "Europe/Berlin\nx\n',
     "not valid TOML: Illegal character '\\n' (at line 1, column 26)"),
])
@pytest.mark.parametrize("command", ["report", "events", "export"])
def test_bad_configs_are_one_line(capsys, files, tmp_path, toml, message, command):
    bad = tmp_path / "bad.toml"
    bad.write_text(toml, encoding="utf-8")
    args = ["--ics", str(files["work"]), "--config", str(bad), "--week", WEEK]
    if command == "export":
        args += ["--out", str(tmp_path / "out")]
    assert run(capsys, command, *args) == (2, "", f"error: {bad}: {message}\n")
    assert not (tmp_path / "out").exists()


def test_a_missing_config_file(capsys, files, tmp_path):
    missing = tmp_path / "missing.toml"
    assert run(capsys, "report", "--ics", str(files["work"]), "--config", str(missing),
               "--week", WEEK) == (
        2, "", f"error: {missing}: cannot read the file: No such file or directory\n")


def test_an_unknown_zone_on_the_command_line(capsys, files):
    assert run(capsys, "report", *common(files), "--tz", "Mars/Olympus_Mons") == (
        2, "", "error: unknown time zone 'Mars/Olympus_Mons': use an IANA name such as "
               "Europe/Berlin or America/New_York\n")


# --- help -------------------------------------------------------------------------------

def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
    return found


def test_every_command_has_help(capsys):
    commands = all_commands(cli)
    assert {("report",), ("events",), ("export",), ("classify",)} <= set(commands)
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for path in commands:
        assert f"  {path[0]}" in out
        for flag in ("--help", "-h"):
            code, out_command, err = run(capsys, *path, flag)
            assert (code, err) == (0, ""), path
            assert out_command.startswith("Usage: timeaudit " + " ".join(path)), path
            assert "--help" in out_command


def test_a_small_report_runs_in_memory_and_leaves_the_process_as_it_was(capsys, monkeypatch):
    """A small input's audits run on Polars' in-memory engine (chosen by the engine,
    audit/engine.py) and the collector looks at new objects less often while the command
    runs (docs/ingest.md, Speed); both end with the command, and the figures are those of
    the streaming engine."""
    import gc  # noqa: PLC0415
    import os  # noqa: PLC0415

    import polars as pl  # noqa: PLC0415

    from audit import engine  # noqa: PLC0415

    seen = []
    real = engine._run_audits

    def spying(*args, **kwargs):
        seen.append((os.environ.get("POLARS_ENGINE_AFFINITY"), gc.get_threshold()[0]))
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_run_audits", spying)
    state, threshold = pl.Config.state(), gc.get_threshold()
    args = ["--sample", "--week", WEEK]
    small = report_json(capsys, args)
    assert seen == [("in-memory", GC_YOUNGEST)]
    assert (pl.Config.state(), gc.get_threshold()) == (state, threshold)
    assert "POLARS_ENGINE_AFFINITY" not in os.environ
    monkeypatch.setenv("POLARS_ENGINE_AFFINITY", "streaming")  # the person's choice wins
    assert report_json(capsys, args) == small
    assert seen[1] == ("streaming", GC_YOUNGEST)
