"""`timeaudit caldav …`: sign in, list and choose calendars, sync — a thin shell over
`connectors.caldav`, which the dashboard calls too.

Errors are `AuditError`s, printed as one line by `cli.main.main` (exit status 2). The
connector is imported inside the commands so `timeaudit --help` stays fast.
"""

from __future__ import annotations

import json
import sys

import click

from cli.output import ProgressPrinter, print_calendars
from core import clock
from core.errors import UsageError

# The CLI's progress callback for `connectors.caldav.sync` and `read_caldav`.
print_progress = ProgressPrinter()


@click.group("caldav", context_settings={"help_option_names": ["-h", "--help"]})
def caldav() -> None:
    """CalDAV (iCloud, Fastmail, Nextcloud…): sign in (read-only), choose calendars, sync."""


@caldav.command()
@click.argument("server_url", metavar="URL")
@click.option("--user", "username", required=True, metavar="NAME",
              help="Your user name on the server (often your e-mail address).")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from standard input instead of asking for it.")
def login(server_url: str, username: str, password_stdin: bool) -> None:
    """Sign in to a CalDAV server, e.g. https://caldav.icloud.com (see docs/caldav.md).

    Use an app-specific password where the provider offers one (iCloud, Fastmail). It is
    kept in the system keyring, or where there is none, in a file only you can read.
    """
    from connectors.caldav import login as sign_in  # noqa: PLC0415

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password (app-specific where offered)", hide_input=True,
                                default="", show_default=False)
    result = sign_in(server_url, username, password)
    count = len(result.calendars)
    noun = "calendar" if count == 1 else "calendars"
    click.echo(f"Signed in; {count} {noun} with events. The password is {result.where}.")
    click.echo("Next: `timeaudit caldav calendars`, then `timeaudit caldav sync`.")


@caldav.command()
@click.option("--forget-data", is_flag=True,
              help="Also delete the account, the synced events, the choice and sync tokens.")
def logout(forget_data: bool) -> None:
    """Delete the saved CalDAV password from this machine."""
    from connectors.caldav import logout as sign_out  # noqa: PLC0415

    had = sign_out(forget_data=forget_data)
    click.echo("Signed out: the password is deleted." if had else "No password was saved.")
    if forget_data:
        click.echo("The CalDAV account and its synced events are deleted.")


@caldav.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def calendars(fmt: str) -> None:
    """List the account's calendars and which are selected for sync (*)."""
    from connectors import caldav_store  # noqa: PLC0415
    from connectors.caldav import connect, list_calendars, resolve_calendars  # noqa: PLC0415
    from core.schema import utc_stamp  # noqa: PLC0415 - fast --help (Polars)

    _account, principal = connect()
    listed = list_calendars(principal)
    with caldav_store.transaction(None) as connection:
        caldav_store.save_calendars(connection, listed, clock.now())
    selected = {c.url for c in resolve_calendars(None, listed)} if listed else set()
    states = caldav_store.sync_states()
    rows = [{
        "id": c.collection_id, "name": c.name, "url": c.url, "selected": c.url in selected,
        "synced_at": (utc_stamp(states[c.url].synced_at)
                      if c.url in states else None),
    } for c in listed]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    header = {"id": "ID", "name": "NAME", "synced_at": "LAST SYNC"}
    print_calendars(rows, header, {}, footer="* selected for sync (all, until you choose); "
                    "change with `timeaudit caldav select`")


@caldav.command()
@click.argument("names", nargs=-1, metavar="CAL...")
@click.option("--all", "select_all", is_flag=True, help="Select every calendar of the account.")
def select(names: tuple[str, ...], select_all: bool) -> None:
    """Choose the calendars to sync (names or ids); default: all of them."""
    from connectors import caldav_store  # noqa: PLC0415
    from connectors.caldav import connect, list_calendars, resolve_calendars  # noqa: PLC0415

    if bool(names) == select_all:
        raise UsageError("name the calendars to select (see `timeaudit caldav calendars`) or "
                         "give --all, not both")
    _account, principal = connect()
    listed = list_calendars(principal)
    chosen = listed if select_all else resolve_calendars(names, listed)
    caldav_store.set_selection(chosen)
    click.echo(f"Selected {len(chosen)} for sync: " + ", ".join(c.label for c in chosen))


@caldav.command()
@click.argument("names", nargs=-1, metavar="[CAL...]")
@click.option("--full", is_flag=True, help="Ignore the sync tokens; fetch everything again.")
def sync(names: tuple[str, ...], full: bool) -> None:
    """Fetch new, changed and deleted events of the selected (or named) calendars."""
    from connectors.caldav import sync as run_sync  # noqa: PLC0415

    for result in run_sync(names or None, full=full, progress=print_progress):
        click.echo(str(result))
