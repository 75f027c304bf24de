"""`timeaudit caldav …` and `--caldav` against a Radicale server started here."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner
from radicale_server import PASSWORD, USER, RadicaleServer, event, running

from cli.caldav_commands import caldav
from cli.main import main

Run = Callable[..., tuple[int, str, str]]
PERIOD = ("--tz", "UTC", "--from", "2026-11-16", "--to", "2026-11-23")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadicaleServer]:
    with running(tmp_path_factory.mktemp("radicale")) as started:
        work = started.make_calendar("work", "Work")
        work.add_event(event("plan@tests", "Planning", "20261116T090000Z", "20261116T100000Z",
                             "ORGANIZER:mailto:me@acme.test\r\n"
                             "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@acme.test\r\n"))
        home = started.make_calendar("home", "Home")
        home.add_event(event("gym@tests", "Gym", "20261117T170000Z", "20261117T180000Z"))
        yield started


@pytest.fixture
def timeaudit(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_every_subcommand_has_help() -> None:
    for name in caldav.commands:
        result = CliRunner().invoke(caldav, [name, "--help"])
        assert result.exit_code == 0
        assert result.stdout.startswith(f"Usage: caldav {name}")


def test_a_wrong_password_is_one_line_and_exit_status_2(server: RadicaleServer,
                                                        timeaudit: Run) -> None:
    code, out, err = timeaudit("caldav", "login", server.url, "--user", USER,
                               "--password-stdin", stdin="wrong\n")
    assert (code, out) == (2, "")
    assert err.startswith("error: the CalDAV server refused the user name or password")
    assert err.count("\n") == 1
    assert "wrong" not in err


def test_an_unreachable_server_is_one_line(timeaudit: Run) -> None:
    code, out, err = timeaudit("caldav", "login", "http://127.0.0.1:9/", "--user", USER,
                               "--password-stdin", stdin="x\n")
    assert (code, out) == (2, "")
    assert err.startswith("error: cannot reach the CalDAV server")
    assert err.count("\n") == 1


def test_login_select_sync_and_read(server: RadicaleServer, timeaudit: Run) -> None:
    code, out, err = timeaudit("caldav", "login", server.url, "--user", USER,
                               "--password-stdin", stdin=PASSWORD + "\n")
    assert (code, err) == (0, "")
    assert "2 calendars with events" in out
    assert "readable by you only" in out  # no keyring on a test machine (conftest)
    assert PASSWORD not in out

    code, out, _ = timeaudit("caldav", "calendars", "--format", "json")
    listed = {r["id"]: r for r in json.loads(out)}
    assert code == 0
    assert {k: (r["name"], r["selected"], r["synced_at"]) for k, r in listed.items()} == {
        "home": ("Home", True, None), "work": ("Work", True, None)}

    assert timeaudit("caldav", "select", "Work")[:2] == (
        0, "Selected 1 for sync: calendar 'Work'\n")
    code, out, err = timeaudit("caldav", "sync")
    assert (code, out) == (0, "calendar 'Work': full sync (sync-collection), 1 received, "
                              "1 stored\n")
    assert "[1/1] calendar 'Work'" in err  # the progress line

    code, out, err = timeaudit("events", "--caldav", "--raw", "--format", "json", *PERIOD)
    assert (code, err) == (0, "")
    (row,) = json.loads(out)
    assert (row["title"], row["source"], row["calendar"], row["response"]) == (
        "Planning", "caldav:work", "Work", "none")

    # the configured owner e-mails decide the response (Radicale has no mailto: address)
    config = server.folder / "timeaudit.toml"
    config.write_text('timezone = "UTC"\nowner_emails = ["me@acme.test"]\n')
    code, out, _ = timeaudit("events", "--caldav", "Work", "--raw", "--format", "json",
                             "--config", str(config), *PERIOD)
    assert (code, json.loads(out)[0]["response"]) == (0, "organizer")

    code, out, err = timeaudit("events", "--caldav", "home", "--raw", "--format", "json",
                               *PERIOD)
    assert code == 2
    assert err == ("error: the CalDAV calendar 'Home' has not been synced yet: run "
                   "`timeaudit caldav sync` (or add --sync)\n")
    code, out, err = timeaudit("events", "--caldav", "home", "--sync", "--raw", "--format",
                               "json", *PERIOD)
    assert code == 0
    assert [r["title"] for r in json.loads(out)] == ["Gym"]

    code, out, _ = timeaudit("report", "--caldav", "--format", "json", *PERIOD)
    assert code == 0
    assert json.loads(out)

    assert timeaudit("caldav", "logout", "--forget-data")[:2] == (
        0, "Signed out: the password is deleted.\nThe CalDAV account and its synced events "
           "are deleted.\n")
    code, out, err = timeaudit("events", "--caldav", *PERIOD)
    assert code == 2
    assert err.startswith("error: no CalDAV calendar synced yet")
    code, out, err = timeaudit("caldav", "sync")
    assert (code, err) == (2, "error: not signed in to a CalDAV server: run `timeaudit "
                              "caldav login URL --user NAME`\n")
