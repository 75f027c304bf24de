"""`timeaudit google …` with an injected Calendar client (recorded responses)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import google_auth_httplib2
import pytest
from click.testing import CliRunner
from google.oauth2.credentials import Credentials
from google_replay import failing, ok, replay

from cli import google_commands
from cli.google_commands import google
from cli.main import cli, main
from connectors import google_store

PRIMARY = "ada@example.com"
TEAM = "c_9f3b2a7e41d04c6c8a1f0e5d2b7c3a19@group.calendar.google.com"


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Make the commands' Calendar client answer with these recorded responses."""

    def use(*responses: tuple[dict[str, str], str]) -> None:
        service, _ = replay(*responses)
        monkeypatch.setattr(google_commands, "service_factory", lambda: service)

    return use


@pytest.fixture
def timeaudit(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
              ) -> Callable[..., tuple[int, str, str]]:
    """The real entry point with the google group added (as cli.main will wire it)."""
    monkeypatch.setitem(cli.commands, "google", google)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def invoke(*args: str) -> Any:
    result = CliRunner().invoke(google, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_every_subcommand_has_help() -> None:
    for name in google.commands:
        result = CliRunner().invoke(google, [name, "--help"])
        assert result.exit_code == 0
        assert result.stdout.startswith(f"Usage: google {name}")


def test_calendars_table(answers: Callable[..., None]) -> None:
    answers(ok("calendar_list"))
    assert invoke("calendars").stdout.splitlines() == [
        "  ID                                                            NAME                 "
        "PRIMARY  ACCESS          LAST SYNC",
        "* ada@example.com                                               ada@example.com      "
        "yes      owner           never",
        "  bob@example.com                                               Bob (manager)        "
        "         freeBusyReader  never",
        "  en.german#holiday@group.v.calendar.google.com                 Holidays in Germany  "
        "         reader          never",
        "  c_9f3b2a7e41d04c6c8a1f0e5d2b7c3a19@group.calendar.google.com  Platform team        "
        "         writer          never",
        "",
        "* selected for sync; change with `timeaudit google select`",
    ]


def test_select_then_calendars_json(answers: Callable[..., None]) -> None:
    answers(ok("calendar_list"))
    assert invoke("select", "primary", "Platform team").stdout == (
        "Selected 2 for sync: primary calendar, calendar 'Platform team'\n")
    assert google_store.selected_ids() == [PRIMARY, TEAM]
    answers(ok("calendar_list"))
    rows = json.loads(invoke("calendars", "--format", "json").stdout)
    assert [(r["id"], r["selected"]) for r in rows] == [
        (PRIMARY, True), ("bob@example.com", False),
        ("en.german#holiday@group.v.calendar.google.com", False), (TEAM, True)]
    answers(ok("calendar_list"))
    assert invoke("select", "--all").stdout.startswith("Selected 4 for sync: ")


def test_sync_prints_progress_on_stderr(answers: Callable[..., None]) -> None:
    answers(ok("calendar_list"), ok("sync_full_page1"), ok("sync_full_page2"),
            ok("sync_full_page3"))
    result = invoke("sync")
    assert result.stdout == "primary calendar: full sync, 8 received, 8 stored\n"
    assert result.stderr == "[1/1] primary calendar: full sync, 3 pages, 8 events\n"
    answers(ok("calendar_list"), ok("sync_changes"))
    result = invoke("sync", "primary")
    assert result.stdout == (
        "primary calendar: incremental sync, 4 received, 2 removed, 7 stored\n")


def test_sync_window_options(answers: Callable[..., None]) -> None:
    answers(ok("calendar_list"), ok("sync_full_after_gone"))
    invoke("sync", "--from", "2026-01-01", "--to", "2026-07-01")
    state = google_store.sync_states()[PRIMARY]
    assert (state.window.start.isoformat(), state.window.end.isoformat()) == (
        "2026-01-01T00:00:00+00:00", "2026-07-01T00:00:00+00:00")


def test_errors_are_one_line(timeaudit: Callable[..., tuple[int, str, str]],
                             answers: Callable[..., None]) -> None:
    assert timeaudit("google", "select") == (2, "", (
        "error: name the calendars to select (see `timeaudit google calendars`) or give "
        "--all, not both\n"))
    answers(ok("calendar_list"))
    assert timeaudit("google", "sync", "Nope") == (2, "", (
        "error: unknown Google calendar 'Nope': use an id or a name that `timeaudit google "
        "calendars` lists, or primary\n"))
    assert timeaudit("google", "sync", "--from", "2026-13-01") == (2, "", (
        "error: bad date for --from: '2026-13-01' (write YYYY-MM-DD)\n"))


def test_not_signed_in(timeaudit: Callable[..., tuple[int, str, str]]) -> None:
    assert timeaudit("google", "calendars") == (2, "", (
        "error: not signed in to Google: run `timeaudit google login --client-secrets FILE`\n"))


def test_revoked_sign_in_is_one_line(timeaudit: Callable[..., tuple[int, str, str]],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = Credentials(
        token="ya29.expired", refresh_token="1//09revoked",
        token_uri="https://oauth2.googleapis.com/token", client_id="id.apps.googleusercontent.com",
        client_secret="GOCSPX-test", expiry=datetime(2026, 11, 1))
    _, http = replay(failing(400, "oauth_invalid_grant"))
    authorised = google_auth_httplib2.AuthorizedHttp(credentials, http=http)
    from connectors.google import build_service  # noqa: PLC0415

    monkeypatch.setattr(google_commands, "service_factory",
                        lambda: build_service(http=authorised))
    assert timeaudit("google", "sync") == (2, "", (
        "error: Google sign-in has expired or was revoked: run `timeaudit google login` to "
        "sign in again\n"))


def test_login_and_logout(monkeypatch: pytest.MonkeyPatch,
                          timeaudit: Callable[..., tuple[int, str, str]]) -> None:
    from connectors import google_auth  # noqa: PLC0415

    seen: dict[str, Any] = {}

    def fake_login(client_secrets: str | None, *, open_browser: bool = True) -> Any:
        seen.update(client_secrets=client_secrets, open_browser=open_browser)
        return google_auth.token_path()

    monkeypatch.setattr(google_auth, "login", fake_login)
    code, out, _ = timeaudit("google", "login", "--client-secrets", "c.json", "--no-browser")
    assert code == 0
    assert seen == {"client_secrets": "c.json", "open_browser": False}
    assert out.startswith("Signed in; the token is in ")
    assert timeaudit("google", "logout")[:2] == (0, (
        "Not signed in.\n"
        "To revoke access at Google too: https://myaccount.google.com/permissions\n"))


def test_logout_can_forget_the_synced_data(answers: Callable[..., None],
                                           timeaudit: Callable[..., tuple[int, str, str]]
                                           ) -> None:
    answers(ok("calendar_list"), ok("sync_full_after_gone"))
    invoke("sync")
    database = google_store.store.default_store_path()
    assert b"Offsite planning" in database.read_bytes()
    code, out, _ = timeaudit("google", "logout", "--forget-data")
    assert code == 0
    assert "The synced Google events are deleted." in out
    assert google_store.stored_calendars() == []
    assert google_store.sync_states() == {}
    assert b"Offsite planning" not in database.read_bytes()
