"""The Google connector's tables in the local store: calendars, selection, raw events, sync state.

They live in the local store (`core.local_store`), the SQLite file that also holds the
overrides (`audit.store`), with their own row
``google`` in ``schema_version``. Events are kept as the raw JSON items Google sent and
mapped when read (`connectors.google_frame`), so a mapping fix needs no re-sync.

One sync of one calendar is one transaction (`write_sync`): its events, its calendar
row and its sync token change together or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.google_frame import parse_when, slot
from connectors.progress import SyncWindow
from core import clock
from core import local_store as store
from core.local_store import read_stamp
from core.schema import utc_stamp

GOOGLE_VERSION = 1  # the row _SCHEMA writes into schema_version
# Items are found by a UTC key; all-day dates are keyed at 00:00Z, so a window is widened
# by the largest UTC offset (+14 h, Kiribati) before the exact cut in the frame.
_KEY_SLACK = timedelta(days=1)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS google_calendars (
    calendar_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    is_primary INTEGER NOT NULL CHECK (is_primary IN (0, 1)),
    access_role TEXT NOT NULL,
    time_zone TEXT NULL,
    listed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS google_selection (
    calendar_id TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS google_sync_state (
    calendar_id TEXT PRIMARY KEY,
    sync_token TEXT NULL,
    window_start TEXT NOT NULL,
    window_end TEXT NOT NULL,
    synced_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS google_events (
    calendar_id TEXT NOT NULL,
    google_id TEXT NOT NULL,
    recurring_event_id TEXT NULL,
    start_key TEXT NULL,
    end_key TEXT NULL,
    item TEXT NOT NULL,
    PRIMARY KEY (calendar_id, google_id)
);
CREATE INDEX IF NOT EXISTS google_events_by_start ON google_events (calendar_id, start_key);
INSERT OR IGNORE INTO schema_version (component, version) VALUES ('google', 1);
"""
COMPONENT = store.Component(name="google", label="Google", version=GOOGLE_VERSION,
                            script=_SCHEMA)
TABLES = tuple(COMPONENT.tables)


@dataclass(frozen=True)
class Calendar:
    """One calendar of the account (an entry of `calendarList.list`)."""

    id: str
    name: str
    primary: bool = False
    access_role: str = "reader"
    time_zone: str | None = None

    @property
    def label(self) -> str:
        """How progress and errors name it: never the primary calendar's e-mail address."""
        return "primary calendar" if self.primary else f"calendar {self.name!r}"


@dataclass(frozen=True)
class SyncState:
    """What the last successful sync of a calendar left behind."""

    calendar_id: str
    sync_token: str | None
    window: SyncWindow
    synced_at: datetime


@dataclass(frozen=True)
class WriteCounts:
    stored: int  # events of the calendar in the store afterwards
    changed: int  # items written
    removed: int  # occurrences deleted by cancellations


# The store with the Google tables in it (`core.local_store.Component`): ``connect``,
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
        """INSERT INTO google_calendars (calendar_id, name, is_primary, access_role, time_zone,
                                         listed_at)
           VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (calendar_id) DO UPDATE SET
             name = excluded.name, is_primary = excluded.is_primary,
             access_role = excluded.access_role, time_zone = excluded.time_zone,
             listed_at = excluded.listed_at""",
        [(c.id, c.name, int(c.primary), c.access_role, c.time_zone, utc_stamp(now))
         for c in calendars],
    )


def stored_calendars(path: str | Path | None = None) -> list[Calendar]:
    """The calendars the store knows (listed or synced before), primary first."""
    rows = _rows(
        path, "SELECT calendar_id, name, is_primary, access_role, time_zone FROM google_calendars "
        "ORDER BY is_primary DESC, name, calendar_id")
    return [Calendar(i, n, bool(p), r, z) for i, n, p, r, z in rows]


def selected_ids(path: str | Path | None = None) -> list[str]:
    """The calendars chosen with `set_selection`; empty when none were (→ the primary)."""
    rows = _rows(path, "SELECT calendar_id FROM google_selection ORDER BY calendar_id")
    return [row[0] for row in rows]


def set_selection(calendars: Sequence[Calendar], *, path: str | Path | None = None,
                  now: datetime | None = None) -> None:
    """Replace the selection (and remember the calendars' names)."""
    with transaction(path) as connection:
        save_calendars(connection, calendars, now or clock.now())
        connection.execute("DELETE FROM google_selection")
        connection.executemany("INSERT INTO google_selection (calendar_id) VALUES (?)",
                               [(c.id,) for c in calendars])


def sync_states(path: str | Path | None = None) -> dict[str, SyncState]:
    rows = _rows(path, "SELECT calendar_id, sync_token, window_start, window_end, synced_at "
                 "FROM google_sync_state")
    try:
        return {cid: SyncState(cid, token, SyncWindow(read_stamp(lo), read_stamp(hi)),
                               read_stamp(at)) for cid, token, lo, hi, at in rows}
    except (TypeError, ValueError) as error:
        target = Path(path) if path is not None else store.default_store_path()
        raise store.unusable(target, f"a sync state it holds is damaged: {error}") from None


def _keys(item: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """UTC sort keys of an item's start and end; all-day dates at 00:00Z."""
    try:
        start = parse_when(slot(item), UTC)
        end = parse_when(item.get("end"), UTC)
    except (ValueError, OverflowError):
        return None, None
    if start is None:
        return None, None
    finish = end[0] if end is not None else start[0]
    return utc_stamp(start[0]), utc_stamp(max(finish, start[0]))


def write_sync(calendar: Calendar, items: Sequence[Mapping[str, Any]], *, full: bool,
               sync_token: str | None, window: SyncWindow, listed: Sequence[Calendar] = (),
               path: str | Path | None = None, now: datetime | None = None) -> WriteCounts:
    """Store what one sync of ``calendar`` fetched, in one transaction.

    A full sync replaces the calendar's events; an incremental one applies changes, and a
    cancelled item removes the stored occurrence (or, for a cancelled recurring event,
    all its instances). A cancelled instance in a full sync is kept when it can be placed
    (a start or an ``originalStartTime``): it shows as cancelled and counts no time.
    ``listed``: the account's calendars as listed for this sync, remembered with it (names
    for reading, choices for `set_selection`).
    """
    now = now or clock.now()
    latest: dict[str, Mapping[str, Any]] = {}
    for item in items:  # an event changed while the pages were read comes twice: last wins
        if item.get("id"):
            latest.pop(str(item["id"]), None)
            latest[str(item["id"])] = item
    upserts, removals = [], []
    for google_id, item in latest.items():
        if item.get("status") == "cancelled" and (not full or not slot(item)):
            removals.append((calendar.id, google_id, google_id))
            continue
        start_key, end_key = _keys(item)
        upserts.append((calendar.id, google_id, item.get("recurringEventId"), start_key,
                        end_key, json.dumps(item, ensure_ascii=False, sort_keys=True)))
    removed = 0
    with transaction(path) as connection:
        save_calendars(connection, [*listed, calendar], now)
        if full:
            connection.execute("DELETE FROM google_events WHERE calendar_id = ?", (calendar.id,))
        for removal in removals:
            removed += connection.execute(
                "DELETE FROM google_events WHERE calendar_id = ? "
                "AND (google_id = ? OR recurring_event_id = ?)", removal).rowcount
        connection.executemany(
            "INSERT OR REPLACE INTO google_events (calendar_id, google_id, recurring_event_id, "
            "start_key, end_key, item) VALUES (?, ?, ?, ?, ?, ?)", upserts)
        connection.execute(
            """INSERT OR REPLACE INTO google_sync_state
               (calendar_id, sync_token, window_start, window_end, synced_at)
               VALUES (?, ?, ?, ?, ?)""",
            (calendar.id, sync_token, utc_stamp(window.start), utc_stamp(window.end),
             utc_stamp(now)))
        (stored,) = connection.execute(
            "SELECT count(*) FROM google_events WHERE calendar_id = ?", (calendar.id,)
        ).fetchone()
    return WriteCounts(stored=stored, changed=len(upserts), removed=removed)


def load_items(calendar_id: str, start: datetime, end: datetime, *,
               path: str | Path | None = None) -> list[dict[str, Any]]:
    """The stored items of a calendar that may overlap [start, end) (a superset: see
    `_KEY_SLACK`); items without a usable start come too, so the mapping can count them."""
    rows = _rows(
        path, "SELECT item FROM google_events WHERE calendar_id = ? AND (start_key IS NULL OR "
        "(start_key < ? AND end_key >= ?)) ORDER BY start_key, google_id",
        (calendar_id, utc_stamp(end + _KEY_SLACK), utc_stamp(start - _KEY_SLACK)))
    items = []
    for (text,) in rows:  # a row damaged on disk is skipped (and counted when mapped)
        try:
            item = json.loads(text)
        except (TypeError, ValueError):
            item = None
        items.append(item if isinstance(item, dict) else {})
    return items
