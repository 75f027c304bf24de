"""What the command line prints besides reports: sync progress, the list of calendars."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

import click

from core.errors import printable

if TYPE_CHECKING:
    from connectors.progress import SyncProgress


class ProgressPrinter:
    """A one-line progress display of a sync on stderr (pages, events per calendar).

    On a terminal the line is redrawn after every page; otherwise (a log, a pipe) only
    the finished line of each calendar is written. The dashboard passes its own callback.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._width = 0

    def __call__(self, step: SyncProgress) -> None:
        stream = self._stream or sys.stderr  # looked up late: click's runner swaps it
        line = printable(str(step))  # calendar names come from the account
        if stream.isatty():
            padding = " " * max(self._width - len(line), 0)
            stream.write(f"\r{line}{padding}" + ("\n" if step.done else ""))
            self._width = 0 if step.done else len(line)
        elif step.done:
            stream.write(line + "\n")
        stream.flush()


def print_calendars(rows: Sequence[Mapping[str, Any]], header: Mapping[str, str],
                    shown: Mapping[str, Callable[[Mapping[str, Any]], str]], *,
                    footer: str) -> None:
    """The ``calendars`` table of an account: one line a calendar, ``*`` before the
    selected ones, the columns of ``header`` (``shown`` turns a value into its cell), a
    sync time or "never", then ``footer``. Names come from the account: made printable."""
    table = [dict(header)] + [
        {**row, **{key: cell(row) for key, cell in shown.items()},
         "synced_at": row["synced_at"] or "never"} for row in rows]
    widths = {key: max(len(str(line[key])) for line in table) for key in header}
    for index, line in enumerate(table):
        mark = " " if index == 0 else ("*" if rows[index - 1]["selected"] else " ")
        text = f"{mark} " + "  ".join(str(line[key]).ljust(widths[key]) for key in header)
        click.echo(printable(text.rstrip()))
    click.echo("\n" + footer)
