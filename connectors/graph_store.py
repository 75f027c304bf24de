"""The Microsoft connector's tables in the store: calendars, selection, raw events, delta links.

They live in the local store (`core.local_store`), the SQLite file that also holds the
overrides (`audit.store`), with their own row
``microsoft`` in ``schema_version``. Events are kept as the raw JSON items Graph sent and
mapped when read (`connectors.graph_frame`), so a mapping fix needs no re-sync.

One sync of one calendar is one transaction (`write_sync`): its events, its calendar row
and its delta link change together or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.graph_frame import parse_when
from connectors.progress import SyncWindow
from core import clock
from core import local_store as store
from core.local_store import read_stamp
from core.schema import utc_stamp

MICROSOFT_VERSION = 1
# All-day items are keyed at 00:00Z of their date; a window is widened by a day either
# side (the largest UTC offsets) before the exact cut in the frame.
_KEY_SLACK = timedelta(days=1)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS microsoft_calendars (
    calendar_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    is_default INTEGER NOT NULL CHECK (is_default IN (0, 1)),
    can_edit INTEGER NOT NULL CHECK (can_edit IN (0, 1)),
    owner TEXT NULL,
    listed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS microsoft_selection (
    calendar_id TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS microsoft_sync_state (
    calendar_id TEXT PRIMARY KEY,
    delta_link TEXT NULL,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    account TEXT NULL,
    synced_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS microsoft_events (
    calendar_id TEXT NOT NULL,
    graph_id TEXT NOT NULL,
    series_master_id TEXT NULL,
    start_key TEXT NULL,
    end_key TEXT NULL,
    item TEXT NOT NULL,
    PRIMARY KEY (calendar_id, graph_id)
);
CREATE INDEX IF NOT EXISTS microsoft_events_by_start ON microsoft_events (calendar_id, start_key);
INSERT OR IGNORE INTO schema_version (component, version) VALUES ('microsoft', 1);
"""
COMPONENT = store.Component(name="microsoft", label="Microsoft", version=MICROSOFT_VERSION,
                            script=_SCHEMA)
TABLES = tuple(COMPONENT.tables)


@dataclass(frozen=True)
class Calendar:
    """One calendar of the account (an entry of ``/me/calendars``)."""

    id: str
    name: str
    default: bool = False
    can_edit: bool = False
    owner: str | None = None  # the owner's address (another person's for a shared calendar)

    @property
    def label(self) -> str:
        """How progress and errors name it (never by an e-mail address)."""
        return "default calendar" if self.default else f"calendar {self.name!r}"


@dataclass(frozen=True)
class SyncState:
    calendar_id: str
    delta_link: str | None
    window: SyncWindow
    account: str | None
    synced_at: datetime


@dataclass(frozen=True)
class WriteCounts:
    stored: int  # events of the calendar in the store afterwards
    changed: int  # items written
    removed: int  # items deleted by @removed notices


# The store with the Microsoft tables in it (`core.local_store.Component`): ``connect``,
# ``transaction`` (one sync: committed or rolled back whole), ``_rows`` (a read: never
# writes, no rows when there is nothing to read), ``forget_all`` (every row of these
# tables, no event text left behind in the file).
connect = COMPONENT.connect
transaction = COMPONENT.transaction
_rows = COMPONENT.read_rows
forget_all = COMPONENT.forget


def save_calendars(connection: sqlite3.Connection, calendars: Iterable[Calendar],
                   now: datetime) -> None:
    connection.executemany(
        """INSERT INTO microsoft_calendars (calendar_id, name, is_default, can_edit, owner,
                                            listed_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (calendar_id) DO UPDATE SET
             name = excluded.name, is_default = excluded.is_default,
             can_edit = excluded.can_edit, owner = excluded.owner,
             listed_at = excluded.listed_at""",
        [(c.id, c.name, int(c.default), int(c.can_edit), c.owner, utc_stamp(now))
         for c in calendars],
    )


def stored_calendars(path: str | Path | None = None) -> list[Calendar]:
    rows = _rows(
        path, "SELECT calendar_id, name, is_default, can_edit, owner FROM microsoft_calendars "
        "ORDER BY is_default DESC, name, calendar_id")
    return [Calendar(i, n, bool(d), bool(e), o) for i, n, d, e, o in rows]


def selected_ids(path: str | Path | None = None) -> list[str]:
    rows = _rows(path, "SELECT calendar_id FROM microsoft_selection ORDER BY calendar_id")
    return [row[0] for row in rows]


def set_selection(calendars: Sequence[Calendar], *, path: str | Path | None = None,
                  now: datetime | None = None) -> None:
    with transaction(path) as connection:
        save_calendars(connection, calendars, now or clock.now())
        connection.execute("DELETE FROM microsoft_selection")
        connection.executemany("INSERT INTO microsoft_selection (calendar_id) VALUES (?)",
                               [(c.id,) for c in calendars])


def sync_states(path: str | Path | None = None) -> dict[str, SyncState]:
    rows = _rows(
        path, "SELECT calendar_id, delta_link, window_start, window_end, account, synced_at "
        "FROM microsoft_sync_state")
    return {cid: SyncState(cid, link, SyncWindow(read_stamp(lo), read_stamp(hi)), account,
                           read_stamp(at))
            for cid, link, lo, hi, account, at in rows}


def _keys(item: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """UTC sort keys of an item's start and end; all-day dates at 00:00Z."""
    all_day = bool(item.get("isAllDay"))
    try:
        start = parse_when(item.get("start"), UTC, all_day=all_day)
        end = parse_when(item.get("end"), UTC, all_day=all_day)
    except ValueError:
        return None, None
    if start is None:
        return None, None
    return utc_stamp(start), utc_stamp(max(end or start, start))


def write_sync(calendar: Calendar, items: Sequence[Mapping[str, Any]], *, full: bool,
               delta_link: str | None, window: SyncWindow, account: str | None = None,
               listed: Sequence[Calendar] = (), path: str | Path | None = None,
               now: datetime | None = None) -> WriteCounts:
    """Store what one sync of ``calendar`` fetched, in one transaction.

    A full sync replaces the calendar's events; an incremental one applies the changes: an
    item with ``@removed`` deletes the stored item (a removed series master its
    occurrences too), any other item replaces the stored one, merged over it (Graph may
    send only the changed properties of an updated event).
    """
    now = now or clock.now()
    latest: dict[str, Mapping[str, Any]] = {}
    for item in items:  # an event changed while the pages were read comes twice: last wins
        if item.get("id"):
            latest.pop(str(item["id"]), None)
            latest[str(item["id"])] = item
    removed = changed = 0
    with transaction(path) as connection:
        save_calendars(connection, [*listed, calendar], now)
        if full:
            connection.execute("DELETE FROM microsoft_events WHERE calendar_id = ?",
                               (calendar.id,))
        for graph_id, change in latest.items():
            if "@removed" in change:
                removed += connection.execute(
                    "DELETE FROM microsoft_events WHERE calendar_id = ? "
                    "AND (graph_id = ? OR series_master_id = ?)",
                    (calendar.id, graph_id, graph_id)).rowcount
                continue
            item = change
            if not full:
                row = connection.execute(
                    "SELECT item FROM microsoft_events WHERE calendar_id = ? AND graph_id = ?",
                    (calendar.id, graph_id)).fetchone()
                if row is not None:
                    item = {**json.loads(row[0]), **change}
            start_key, end_key = _keys(item)
            connection.execute(
                "INSERT OR REPLACE INTO microsoft_events (calendar_id, graph_id, "
                "series_master_id, start_key, end_key, item) VALUES (?, ?, ?, ?, ?, ?)",
                (calendar.id, graph_id, item.get("seriesMasterId"), start_key, end_key,
                 json.dumps(item, ensure_ascii=False, sort_keys=True)))
            changed += 1
        connection.execute(
            """INSERT OR REPLACE INTO microsoft_sync_state
               (calendar_id, delta_link, window_start, window_end, account, synced_at)
               VALUES (?, ?, ?, ?, ?, ?)""",
            (calendar.id, delta_link, utc_stamp(window.start), utc_stamp(window.end), account,
             utc_stamp(now)))
        (stored,) = connection.execute(
            "SELECT count(*) FROM microsoft_events WHERE calendar_id = ?", (calendar.id,)
        ).fetchone()
    return WriteCounts(stored=stored, changed=changed, removed=removed)


def load_items(calendar_id: str, start: datetime, end: datetime, *,
               path: str | Path | None = None) -> list[dict[str, Any]]:
    """The stored items of a calendar that may overlap [start, end) (a superset), with
    the series masters (occurrences may take fields from them) and items without a start
    (the mapping counts them)."""
    rows = _rows(
        path, "SELECT item FROM microsoft_events WHERE calendar_id = ? AND (start_key IS NULL "
        "OR (start_key < ? AND end_key >= ?) OR graph_id IN (SELECT series_master_id "
        "FROM microsoft_events WHERE calendar_id = ? AND series_master_id IS NOT NULL)) "
        "ORDER BY start_key, graph_id",
        (calendar_id, utc_stamp(end + _KEY_SLACK), utc_stamp(start - _KEY_SLACK), calendar_id))
    return [json.loads(row[0]) for row in rows]
