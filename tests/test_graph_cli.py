"""`timeaudit microsoft …` and `--microsoft` with an injected Graph client (recorded responses)
and a fake MSAL app, through the real entry point."""

from __future__ import annotations

import csv
import io
import json
import stat
from collections.abc import Callable

import pytest
from click.testing import CliRunner
from graph_replay import Replay, client, failing, ok, page
from test_graph_auth import CLIENT_ID, factory

from cli.main import main
from cli.microsoft_commands import microsoft
from connectors import graph_auth, graph_store
from connectors import graph_session as microsoft_commands

CAL = page("calendars")["value"][1]["id"]
FULL = (ok("calendars"), ok("sync_full_page1"), ok("sync_full_page2"), ok("sync_full_page3"))
WEEK = ("--tz", "Europe/Berlin", "--from", "2026-11-09", "--to", "2026-11-16")

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Replay]:
    def use(*responses: object) -> Replay:
        replay = Replay(*responses)  # type: ignore[arg-type]
        monkeypatch.setattr(microsoft_commands, "client_factory", lambda: client(replay))
        return replay
    return use


@pytest.fixture
def timeaudit(capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err
    return run


def test_every_subcommand_has_help() -> None:
    for name in microsoft.commands:
        result = CliRunner().invoke(microsoft, [name, "--help"])
        assert result.exit_code == 0
        assert result.stdout.startswith(f"Usage: microsoft {name}")


def test_login_with_a_device_code(timeaudit: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    apps: list = []
    monkeypatch.setattr(microsoft_commands, "app_factory", factory(apps))
    code, out, err = timeaudit("microsoft", "login", "--client-id", CLIENT_ID, "--tenant",
                               "consumers")
    assert code == 0, err
    assert "enter the code F7QW3KXLP" in err
    assert "Signed in" in out
    assert apps[0].calls[0] == ("initiate_device_flow", ["Calendars.Read"])
    assert stat.S_IMODE(graph_auth.cache_path().stat().st_mode) == 0o600
    code, out, _ = timeaudit("microsoft", "logout")
    assert (code, out.splitlines()[0]) == (0, "Signed out: the token cache is deleted.")


def test_login_with_a_bad_client_id_is_one_line(timeaudit: Run) -> None:
    code, out, err = timeaudit("microsoft", "login", "--client-id", "my-app")
    assert code == 2
    assert out == ""
    assert err.startswith("error: --client-id 'my-app' is not an application (client) ID")
    assert err.count("\n") == 1


def test_sync_without_sign_in_is_one_line(timeaudit: Run) -> None:
    assert timeaudit("microsoft", "sync") == (
        2, "", f"error: {graph_auth.NOT_SIGNED_IN}\n")


def test_calendars_select_sync_and_report(timeaudit: Run, answers: Callable[..., Replay]
                                          ) -> None:
    answers(ok("calendars"))
    code, out, err = timeaudit("microsoft", "calendars")
    assert code == 0, err
    assert out.splitlines()[1].startswith("* Calendar")  # the default one is selected
    answers(ok("calendars"))
    code, out, _ = timeaudit("microsoft", "calendars", "--format", "json")
    assert [r["name"] for r in json.loads(out)] == ["Calendar", "Team events"]
    answers(ok("calendars"))
    assert timeaudit("microsoft", "select", "default")[0] == 0
    assert graph_store.selected_ids() == [CAL]

    answers(*FULL)
    code, out, err = timeaudit("microsoft", "sync")
    assert code == 0, err
    assert out == "default calendar: full sync, 8 received, 8 stored\n"

    code, out, err = timeaudit("events", "--raw", "--microsoft", *WEEK)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["title"] for r in rows] == ["Team sync", "Vendor pitch", "Architecture review",
                                          "Offsite", "Call with Seattle", "Reminder: expenses"]
    assert {r["source"] for r in rows} == {f"microsoft:{CAL}"}
    code, out, err = timeaudit("report", "--microsoft", "Calendar", "--format", "json", *WEEK)
    assert code == 0, err
    report = json.loads(out)
    assert report["period"]["from"] == "2026-11-09"
    assert report["hours"]["total"] > 0


def test_events_with_sync_first(timeaudit: Run, answers: Callable[..., Replay]) -> None:
    replay = answers(*FULL)
    code, _, err = timeaudit("events", "--raw", "--microsoft", "--sync", *WEEK)
    assert code == 0, err
    assert len(replay.delta_urls()) == 3


def test_a_server_that_fails_is_one_line_and_changes_nothing(
        timeaudit: Run, answers: Callable[..., Replay]) -> None:
    answers(*FULL)
    timeaudit("microsoft", "sync")
    before = graph_store.sync_states()
    answers(ok("calendars"), *[failing(500, "error_503_service_unavailable")])
    code, out, err = timeaudit("microsoft", "sync", "--full")
    assert (code, out) == (2, "")
    assert err == ("error: Microsoft Graph is failing (HTTP 500) for the default calendar: "
                   "try again later; nothing was changed locally\n")
    assert graph_store.sync_states() == before


def test_sync_window_options(timeaudit: Run, answers: Callable[..., Replay]) -> None:
    replay = answers(*FULL)
    code, _, err = timeaudit("microsoft", "sync", "--from", "2026-11-01", "--to", "2026-12-01")
    assert code == 0, err
    assert "startDateTime=2026-11-01T00%3A00%3A00Z" in replay.delta_urls()[0]
    assert timeaudit("microsoft", "sync", "--from", "2026-12-01", "--to", "2026-11-01")[0] == 2
