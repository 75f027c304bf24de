"""`timeaudit events` and the shared CLI behaviour: exact error lines, exit status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from cli.main import cli, main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    names = cli.list_commands(click.Context(cli))  # with the account commands not loaded yet
    assert {"report", "google", "microsoft", "caldav"} <= set(names)
    for name in names:
        code, out, _ = run(capsys, name, "--help")
        assert code == 0
        assert out.startswith("Usage: timeaudit " + name)


def test_events_json_has_utc_instants(capsys: pytest.CaptureFixture[str], ics_data: Path) -> None:
    code, out, err = run(capsys, "events", "--ics", str(ics_data / "event_duration.ics"),
                         "--from", "2026-11-16", "--to", "2026-11-23", "--tz", "Europe/Berlin",
                         "--format", "json", "--raw")
    assert (code, err) == (0, "")
    rows = json.loads(out)
    assert [(r["start"], r["end"], r["title"]) for r in rows] == [
        ("2026-11-17T13:00:00Z", "2026-11-17T14:30:00Z", "Workshop (DURATION, no DTEND)")]
    assert list(rows[0]) == [
        "source", "calendar", "event_id", "series_id", "title", "description", "location",
        "start", "end", "all_day", "status", "response", "busy", "kind", "attendees",
        "organizer", "attendee_domains", "categories", "color", "created"]


def test_events_are_classified_with_a_reason(capsys: pytest.CaptureFixture[str],
                                             ics_data: Path) -> None:
    code, out, _ = run(capsys, "events", "--ics", str(ics_data / "event_duration.ics"),
                       "--week", "2026-W47", "--tz", "Europe/Berlin", "--format", "json")
    assert code == 0
    (row,) = json.loads(out)
    assert row["domain"] == "work"  # the default pack's "Professional learning" rule
    assert row["reason"].startswith("domain: ")
    assert (row["counted"], row["minutes"]) == (True, 90.0)


def test_events_csv(capsys: pytest.CaptureFixture[str], ics_data: Path) -> None:
    code, out, _ = run(capsys, "events", "--ics", str(ics_data / "owner_responses.ics"),
                       "--week", "2026-W47", "--tz", "Europe/Berlin")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("source,calendar,event_id,series_id,title")
    assert len(lines) == 7
    assert ",Admin; Planning," in out


def test_missing_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nope.ics"
    assert run(capsys, "events", "--ics", str(missing), "--tz", "UTC") == \
        (2, "", f"error: {missing}: no such file\n")


def test_malformed_file(capsys: pytest.CaptureFixture[str], corpus: Path) -> None:
    path = corpus / "malformed" / "unknown__tzoffset-out-of-range.ics"
    assert run(capsys, "events", "--ics", str(path), "--tz", "UTC") == (
        2, "", f"error: {path}, line 7: not a valid iCalendar file: Offset must be less than "
               "24 hours, was +5744\n")


def test_unknown_zone(capsys: pytest.CaptureFixture[str], ics_data: Path) -> None:
    assert run(capsys, "events", "--ics", str(ics_data / "event_duration.ics"),
               "--tz", "Mars/Olympus_Mons") == (
        2, "", "error: unknown time zone 'Mars/Olympus_Mons': use an IANA name such as "
               "Europe/Berlin or America/New_York\n")


@pytest.mark.parametrize(("week", "message"), [
    ("2026-W54", "bad week '2026-W54': 2026 has no week 54"),
    ("47", "bad week '47': write it as YYYY-Www, e.g. 2026-W47"),
])
def test_bad_week(capsys: pytest.CaptureFixture[str], ics_data: Path, week: str,
                  message: str) -> None:
    assert run(capsys, "events", "--ics", str(ics_data / "event_duration.ics"), "--tz", "UTC",
               "--week", week) == (2, "", f"error: {message}\n")


def test_bad_dates(capsys: pytest.CaptureFixture[str], ics_data: Path) -> None:
    path = str(ics_data / "event_duration.ics")
    assert run(capsys, "events", "--ics", path, "--tz", "UTC", "--from", "2026-11-20",
               "--to", "2026-11-16") == \
        (2, "", "error: empty period: --to 2026-11-16 is not after --from 2026-11-20\n")
    assert run(capsys, "events", "--ics", path, "--tz", "UTC", "--from", "yesterday",
               "--to", "2026-11-16") == \
        (2, "", "error: bad date for --from: 'yesterday' (write YYYY-MM-DD)\n")


def test_no_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "events", "--tz", "UTC") == \
        (2, "", "error: no calendar given: name one with --ics FILE, --url LINK, "
                "--google, --microsoft or --caldav (or try --sample)\n")


def test_refused_url_scheme(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "events", "--tz", "UTC", "--url", "ftp://example.com/cal.ics") == \
        (2, "", "error: ftp://example.com/cal.ics: only http, https and webcal calendar links "
                "are supported\n")


def test_skipped_event_is_a_warning_not_an_error(capsys: pytest.CaptureFixture[str],
                                                  corpus: Path) -> None:
    path = corpus / "malformed" / "unknown__invalid-dtstart-value.ics"
    code, _, err = run(capsys, "events", "--ics", str(path), "--tz", "UTC")
    assert code == 0
    assert err == ("warning: ics:unknown__invalid-dtstart-value.ics: skipped 1 malformed "
                   "event (invalid DTSTART: 1)\n")


def test_console_script_prints_no_traceback(tmp_path: Path) -> None:
    """The real entry point, in a child process: one line on stderr, exit 2."""
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from cli.main import main; sys.exit(main())",
         "events", "--ics", str(tmp_path / "missing.ics"), "--tz", "UTC"],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 2
    assert result.stderr == f"error: {tmp_path / 'missing.ics'}: no such file\n"
