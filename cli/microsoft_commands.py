"""`timeaudit microsoft …`: sign in, list and choose calendars, sync — a thin shell over
`connectors.graph` and `connectors.graph_auth`, which the dashboard can call too.

Errors are `AuditError`s, printed as one line by `cli.main.main`. The connector is
imported inside the commands so `timeaudit --help` stays fast.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING

import click

from cli.output import ProgressPrinter, print_calendars
from connectors import graph_session
from core import clock
from core.errors import UsageError

if TYPE_CHECKING:
    import polars as pl

    from audit.config import Config
    from core.period import Period


print_progress = ProgressPrinter()


@click.group("microsoft", context_settings={"help_option_names": ["-h", "--help"]})
def microsoft() -> None:
    """Microsoft 365 / Outlook.com calendars: sign in (read-only), choose, sync locally."""


@microsoft.command()
@click.option("--client-id", "client_id", metavar="ID",
              help="The application (client) ID of your app registration (remembered; see "
              "docs/microsoft.md).")
@click.option("--tenant", metavar="TENANT",
              help="common (default: work, school and personal accounts), consumers "
              "(Outlook.com), organizations, or your tenant id / domain.")
@click.option("--browser", is_flag=True,
              help="Sign in with a browser on this machine instead of a device code.")
def login(client_id: str | None, tenant: str | None, browser: bool) -> None:
    """Sign in to Microsoft (read-only access to calendars: Calendars.Read)."""
    from connectors.graph_auth import login as sign_in  # noqa: PLC0415

    signed = sign_in(client_id, tenant, device_code=not browser,
                     show=lambda text: click.echo(text, err=True),
                     app_factory=graph_session.app_factory)
    click.echo(f"Signed in; the token cache is in {signed.cache_path} (readable by you only).")
    click.echo("Next: `timeaudit microsoft calendars`, then `timeaudit microsoft sync`.")


@microsoft.command()
@click.option("--forget-data", is_flag=True,
              help="Also delete the synced events, the calendar choice and delta links.")
def logout(forget_data: bool) -> None:
    """Delete the saved Microsoft sign-in from this machine."""
    from connectors.graph_auth import logout as sign_out  # noqa: PLC0415
    from connectors.graph_store import forget_all  # noqa: PLC0415

    had = sign_out()
    click.echo("Signed out: the token cache is deleted." if had else "Not signed in.")
    if forget_data:
        forget_all()
        click.echo("The synced Microsoft events are deleted.")
    click.echo("To revoke access at Microsoft too: https://myapps.microsoft.com (work or "
               "school) or https://account.live.com/consent/Manage (personal)")


@microsoft.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
def calendars(fmt: str) -> None:
    """List the account's calendars and which are selected for sync (*)."""
    from connectors import graph_store  # noqa: PLC0415
    from connectors.graph import list_calendars, resolve_calendars  # noqa: PLC0415
    from core.schema import utc_stamp  # noqa: PLC0415 - fast --help (Polars)

    listed = list_calendars(graph_session.client_factory())
    with graph_store.transaction(None) as connection:
        graph_store.save_calendars(connection, listed, clock.now())
    selected = {c.id for c in resolve_calendars(None, listed)} if listed else set()
    states = graph_store.sync_states()
    rows = [{"id": c.id, "name": c.name, "default": c.default, "can_edit": c.can_edit,
             "selected": c.id in selected,
             "synced_at": (utc_stamp(states[c.id].synced_at)
                           if c.id in states else None)} for c in listed]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    header = {"name": "NAME", "default": "DEFAULT", "synced_at": "LAST SYNC", "id": "ID"}
    print_calendars(rows, header, {"default": lambda row: "yes" if row["default"] else ""},
                    footer="* selected for sync; change with `timeaudit microsoft select`")


@microsoft.command()
@click.argument("calendar_ids", nargs=-1, metavar="CAL...")
@click.option("--all", "select_all", is_flag=True, help="Select every calendar of the account.")
def select(calendar_ids: tuple[str, ...], select_all: bool) -> None:
    """Choose the calendars to sync (ids, names or "default"); default: the default one."""
    from connectors import graph_store  # noqa: PLC0415
    from connectors.graph import list_calendars, resolve_calendars  # noqa: PLC0415

    if bool(calendar_ids) == select_all:
        raise UsageError("name the calendars to select (see `timeaudit microsoft calendars`) "
                         "or give --all, not both")
    listed = list_calendars(graph_session.client_factory())
    chosen = listed if select_all else resolve_calendars(calendar_ids, listed)
    graph_store.set_selection(chosen)
    click.echo(f"Selected {len(chosen)} for sync: " + ", ".join(c.label for c in chosen))


def _day(text: str | None, option: str) -> datetime | None:
    if text is None:
        return None
    try:
        return datetime.combine(date.fromisoformat(text.strip()), time(), UTC)
    except ValueError:
        raise UsageError(f"bad date for {option}: {text!r} (write YYYY-MM-DD)") from None


@microsoft.command()
@click.argument("calendar_ids", nargs=-1, metavar="[CAL...]")
@click.option("--full", is_flag=True, help="Ignore the delta links; fetch everything again.")
@click.option("--from", "start", metavar="DATE",
              help="Start of the window a full sync fetches (UTC date; default: 13 months ago).")
@click.option("--to", "end", metavar="DATE",
              help="End of that window, exclusive (UTC date; default: a month ahead).")
def sync(calendar_ids: tuple[str, ...], full: bool, start: str | None, end: str | None) -> None:
    """Fetch new, changed and deleted events of the selected (or named) calendars."""
    from connectors.graph import SyncWindow, default_window  # noqa: PLC0415
    from connectors.graph import sync as run_sync  # noqa: PLC0415

    window = None
    if start or end:
        default = default_window()
        window = SyncWindow(_day(start, "--from") or default.start,
                            _day(end, "--to") or default.end)
        if window.end <= window.start:
            raise UsageError(f"empty window: --to {end} is not after --from {start}")
    client = graph_session.client_factory()
    for result in run_sync(calendar_ids or None, client=client, window=window,
                           full=full, progress=print_progress):
        click.echo(str(result))


def read_events(calendar_ids: Sequence[str], *, period: Period, config: Config,
                sync_first: bool) -> pl.DataFrame:
    """``--microsoft [CAL]`` for report/events/export: the synced calendars over the period
    (synced first with ``--sync``, the window widened to the period)."""
    from connectors.graph import SyncWindow, default_window, read_microsoft  # noqa: PLC0415
    from connectors.graph import sync as run_sync  # noqa: PLC0415

    start, end = period.utc_bounds()
    if sync_first:
        run_sync(calendar_ids or None, client=graph_session.client_factory(),
                 window=default_window().union(SyncWindow(start, end)),
                 progress=print_progress)
    return read_microsoft(calendar_ids or None, start=start, end=end, tz=period.timezone,
                          owner_emails=config.owner_emails)
