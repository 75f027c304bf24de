"""`timeaudit google …`: sign in, list and choose calendars, sync — a thin shell over
`connectors.google`, which the dashboard calls too.

Errors are `AuditError`s, printed as one line by `cli.main.main`. The connector is
imported inside the commands so `timeaudit --help` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import click

from cli.output import ProgressPrinter, print_calendars
from core import clock
from core.errors import UsageError, printable


def _default_service() -> Any:
    from connectors.google import build_service  # noqa: PLC0415 - fast --help

    return build_service()


# The seam tests (and the dashboard, if it likes) replace: () -> a Calendar v3 client.
service_factory: Callable[[], Any] = _default_service


# The CLI's progress callback for `connectors.google.sync` and `read_google`.
print_progress = ProgressPrinter()


@click.group("google", context_settings={"help_option_names": ["-h", "--help"]})
def google() -> None:
    """Google Calendar: sign in (read-only), choose calendars, sync them locally."""


@google.command()
@click.option("--client-secrets", "client_secrets", metavar="FILE",
              help="The OAuth client JSON of a Desktop app (remembered; see docs/google.md).")
@click.option("--no-browser", is_flag=True,
              help="Do not open a browser; print the sign-in link instead.")
def login(client_secrets: str | None, no_browser: bool) -> None:
    """Sign in to Google in the browser (read-only access to calendars)."""
    from connectors.google_auth import login as sign_in  # noqa: PLC0415

    path = sign_in(client_secrets, open_browser=not no_browser)
    click.echo(f"Signed in; the token is in {path} (readable by you only).")
    click.echo("Next: `timeaudit google calendars`, then `timeaudit google sync`.")


@google.command()
@click.option("--forget-data", is_flag=True,
              help="Also delete the synced events, the calendar choice and sync tokens.")
def logout(forget_data: bool) -> None:
    """Delete the saved Google sign-in from this machine."""
    from connectors.google_auth import logout as sign_out  # noqa: PLC0415
    from connectors.google_store import forget_all  # noqa: PLC0415

    had_token = sign_out()
    click.echo("Signed out: the token is deleted." if had_token else "Not signed in.")
    if forget_data:
        forget_all()
        click.echo("The synced Google events are deleted.")
    click.echo("To revoke access at Google too: https://myaccount.google.com/permissions")


@google.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def calendars(fmt: str) -> None:
    """List the account's calendars and which are selected for sync (*)."""
    from connectors import google_store  # noqa: PLC0415
    from connectors.google import list_calendars, resolve_calendars  # noqa: PLC0415
    from core.schema import utc_stamp  # noqa: PLC0415 - fast --help (Polars)

    listed = list_calendars(service_factory())
    with google_store.transaction(None) as connection:
        google_store.save_calendars(connection, listed, clock.now())
    selected = {c.id for c in resolve_calendars(None, listed)} if listed else set()
    states = google_store.sync_states()
    rows = [{
        "id": c.id, "name": c.name, "primary": c.primary, "access_role": c.access_role,
        "time_zone": c.time_zone, "selected": c.id in selected,
        "synced_at": (utc_stamp(states[c.id].synced_at)
                      if c.id in states else None),
    } for c in listed]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    header = {"id": "ID", "name": "NAME", "primary": "PRIMARY", "access_role": "ACCESS",
              "synced_at": "LAST SYNC"}
    print_calendars(rows, header, {"primary": lambda row: "yes" if row["primary"] else ""},
                    footer="* selected for sync; change with `timeaudit google select`")


@google.command()
@click.argument("calendar_ids", nargs=-1, metavar="CAL...")
@click.option("--all", "select_all", is_flag=True, help="Select every calendar of the account.")
def select(calendar_ids: tuple[str, ...], select_all: bool) -> None:
    """Choose the calendars to sync (ids, names or "primary"); default: the primary one."""
    from connectors import google_store  # noqa: PLC0415
    from connectors.google import list_calendars, resolve_calendars  # noqa: PLC0415

    if bool(calendar_ids) == select_all:
        raise UsageError("name the calendars to select (see `timeaudit google calendars`) or "
                         "give --all, not both")
    listed = list_calendars(service_factory())
    chosen = listed if select_all else resolve_calendars(calendar_ids, listed)
    google_store.set_selection(chosen)
    names = ", ".join(c.label for c in chosen)
    click.echo(printable(f"Selected {len(chosen)} for sync: {names}"))


def _day(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    from core.period import FIRST_DAY, LAST_DAY  # noqa: PLC0415 - fast --help

    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"bad date for {option}: {text!r} (write YYYY-MM-DD)") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise UsageError(f"bad date for {option}: {text!r} is outside the dates timeaudit "
                         f"audits ({FIRST_DAY} to {LAST_DAY})")
    return datetime.combine(day, time(), UTC)


@google.command()
@click.argument("calendar_ids", nargs=-1, metavar="[CAL...]")
@click.option("--full", is_flag=True, help="Ignore the sync tokens; fetch everything again.")
@click.option("--from", "start", metavar="DATE",
              help="Start of the window a full sync fetches (UTC date; default: 13 months ago).")
@click.option("--to", "end", metavar="DATE",
              help="End of that window, exclusive (UTC date; default: a month ahead).")
def sync(calendar_ids: tuple[str, ...], full: bool, start: str | None, end: str | None) -> None:
    """Fetch new and changed events of the selected (or named) calendars."""
    from connectors.google import SyncWindow, default_window  # noqa: PLC0415
    from connectors.google import sync as run_sync  # noqa: PLC0415

    window = None
    if start is not None or end is not None:
        default = default_window()
        window = SyncWindow(_day(start, "--from") or default.start,
                            _day(end, "--to") or default.end)
        if window.end <= window.start:
            raise UsageError(f"empty window: --to {end} is not after --from {start}")
    results = run_sync(calendar_ids or None, service=service_factory(), window=window,
                       full=full, progress=print_progress)
    for result in results:
        click.echo(printable(str(result)))
