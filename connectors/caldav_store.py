"""The CalDAV connector's tables in the local store: account, calendars, selection, objects.

They live in the local store (`core.local_store`), the SQLite file that also holds the
overrides (`audit.store`), with their own row
``caldav`` in ``schema_version``. Each calendar object resource is kept as the raw
iCalendar text the server sent (its VEVENTs and VTIMEZONEs) and mapped when read, by
the same ICS reader as files (`connectors.ics.read_ics`), so a mapping fix needs no
re-sync. The password is never here: see `connectors.caldav_secret`.

One sync of one calendar is one transaction (`write_sync`): its objects, its calendar
row and its sync token change together or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from core import clock
from core import local_store as store
from core.local_store import read_stamp
from core.schema import utc_stamp

CALDAV_VERSION = 1  # the row _SCHEMA writes into schema_version

_SCHEMA = """
CREATE TABLE IF NOT EXISTS caldav_account (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    server_url TEXT NOT NULL,
    username TEXT NOT NULL,
    principal_url TEXT NOT NULL,
    addresses TEXT NOT NULL,
    secret_store TEXT NOT NULL,
    signed_in_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS caldav_calendars (
    calendar_url TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    listed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS caldav_selection (
    calendar_url TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS caldav_sync_state (
    calendar_url TEXT PRIMARY KEY,
    sync_token TEXT NULL,
    ctag TEXT NULL,
    synced_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS caldav_objects (
    calendar_url TEXT NOT NULL,
    href TEXT NOT NULL,
    etag TEXT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (calendar_url, href)
);
INSERT OR IGNORE INTO schema_version (component, version) VALUES ('caldav', 1);
"""
COMPONENT = store.Component(name="caldav", label="CalDAV", version=CALDAV_VERSION,
                            script=_SCHEMA)
TABLES = tuple(COMPONENT.tables)


@dataclass(frozen=True)
class Account:
    """Where and as whom to sign in; the principal's own addresses (lower-case e-mails)."""

    server_url: str
    username: str
    principal_url: str
    addresses: tuple[str, ...] = ()
    secret_store: str = "keyring"  # noqa: S105 - where it is: "keyring" or "file"


@dataclass(frozen=True)
class Calendar:
    """One calendar collection of the principal."""

    url: str
    name: str

    @property
    def collection_id(self) -> str:
        """The last segment of the collection's path: ``home``, ``personal``, a UUID…"""
        path = urlsplit(self.url).path.rstrip("/")
        return unquote(path.rpartition("/")[2]) or "calendar"

    @property
    def label(self) -> str:
        return f"calendar {self.name!r}"


@dataclass(frozen=True)
class SyncState:
    calendar_url: str
    sync_token: str | None
    ctag: str | None
    synced_at: datetime


@dataclass(frozen=True)
class StoredObject:
    href: str
    etag: str | None
    data: str


@dataclass(frozen=True)
class WriteCounts:
    stored: int  # objects of the calendar in the store afterwards
    changed: int  # objects written
    removed: int  # objects deleted


# The store with the CalDAV tables in it (`core.local_store.Component`): ``connect``,
# ``transaction`` (one sync: committed or rolled back whole), ``_rows`` (a read: never
# writes, no rows when there is nothing to read), ``forget_all`` (every row of these
# tables, no event text left behind in the file).
connect = COMPONENT.connect
transaction = COMPONENT.transaction
_rows = COMPONENT.read_rows
forget_all = COMPONENT.forget


# ----------------------------------------------------------------------------- account


def save_account(account: Account, *, path: str | Path | None = None,
                 now: datetime | None = None) -> None:
    """Remember the account (a new account forgets the old one's calendars and objects)."""
    with transaction(path) as connection:
        old = connection.execute(
            "SELECT server_url, username FROM caldav_account").fetchone()
        if old is not None and tuple(old) != (account.server_url, account.username):
            for table in TABLES:
                connection.execute(f"DELETE FROM {table}")  # noqa: S608 - our table names
        connection.execute(
            "INSERT OR REPLACE INTO caldav_account (id, server_url, username, principal_url, "
            "addresses, secret_store, signed_in_at) VALUES (1, ?, ?, ?, ?, ?, ?)",
            (account.server_url, account.username, account.principal_url,
             json.dumps(list(account.addresses)), account.secret_store,
             utc_stamp(now or clock.now())))


def load_account(path: str | Path | None = None) -> Account | None:
    found = _rows(path, "SELECT server_url, username, principal_url, addresses, secret_store "
                  "FROM caldav_account")
    row = found[0] if found else None
    if row is None:
        return None
    url, username, principal, addresses, secret = row
    return Account(url, username, principal, tuple(json.loads(addresses)), secret)


# --------------------------------------------------------------------------- calendars


def save_calendars(connection: sqlite3.Connection, calendars: Iterable[Calendar],
                   now: datetime) -> None:
    connection.executemany(
        "INSERT INTO caldav_calendars (calendar_url, name, listed_at) VALUES (?, ?, ?) "
        "ON CONFLICT (calendar_url) DO UPDATE SET name = excluded.name, "
        "listed_at = excluded.listed_at",
        [(c.url, c.name, utc_stamp(now)) for c in calendars])


def stored_calendars(path: str | Path | None = None) -> list[Calendar]:
    rows = _rows(
        path, "SELECT calendar_url, name FROM caldav_calendars ORDER BY name, calendar_url")
    return [Calendar(url, name) for url, name in rows]


def selected_urls(path: str | Path | None = None) -> list[str]:
    """The calendars chosen with `set_selection`; empty when none were (→ all)."""
    rows = _rows(path, "SELECT calendar_url FROM caldav_selection ORDER BY calendar_url")
    return [row[0] for row in rows]


def set_selection(calendars: Sequence[Calendar], *, path: str | Path | None = None,
                  now: datetime | None = None) -> None:
    with transaction(path) as connection:
        save_calendars(connection, calendars, now or clock.now())
        connection.execute("DELETE FROM caldav_selection")
        connection.executemany("INSERT INTO caldav_selection (calendar_url) VALUES (?)",
                               [(c.url,) for c in calendars])


# ------------------------------------------------------------------------------ syncing


def sync_states(path: str | Path | None = None) -> dict[str, SyncState]:
    rows = _rows(path, "SELECT calendar_url, sync_token, ctag, synced_at FROM caldav_sync_state")
    return {url: SyncState(url, token, ctag, read_stamp(at)) for url, token, ctag, at in rows}


def stored_etags(calendar_url: str, path: str | Path | None = None) -> dict[str, str | None]:
    """href → ETag of the calendar's stored objects (for the ETag comparison)."""
    rows = _rows(
        path, "SELECT href, etag FROM caldav_objects WHERE calendar_url = ?", (calendar_url,))
    return dict(rows)


def write_sync(calendar: Calendar, changed: Mapping[str, StoredObject],
               removed: Iterable[str], *, full: bool, sync_token: str | None,
               ctag: str | None, listed: Sequence[Calendar] = (),
               path: str | Path | None = None, now: datetime | None = None) -> WriteCounts:
    """Store what one sync of ``calendar`` fetched, in one transaction.

    A full sync replaces the calendar's objects with ``changed``; an incremental one
    writes ``changed`` (href → object) and deletes the hrefs in ``removed``.
    """
    now = now or clock.now()
    gone = [(calendar.url, href) for href in removed if href not in changed]
    with transaction(path) as connection:
        save_calendars(connection, [*listed, calendar], now)
        if full:
            connection.execute("DELETE FROM caldav_objects WHERE calendar_url = ?",
                               (calendar.url,))
        deleted = sum(connection.execute(
            "DELETE FROM caldav_objects WHERE calendar_url = ? AND href = ?", key).rowcount
            for key in gone)
        connection.executemany(
            "INSERT OR REPLACE INTO caldav_objects (calendar_url, href, etag, data) "
            "VALUES (?, ?, ?, ?)",
            [(calendar.url, href, obj.etag, obj.data) for href, obj in changed.items()])
        connection.execute(
            "INSERT OR REPLACE INTO caldav_sync_state (calendar_url, sync_token, ctag, "
            "synced_at) VALUES (?, ?, ?, ?)", (calendar.url, sync_token, ctag, utc_stamp(now)))
        (stored,) = connection.execute(
            "SELECT count(*) FROM caldav_objects WHERE calendar_url = ?", (calendar.url,)
        ).fetchone()
    return WriteCounts(stored=stored, changed=len(changed), removed=deleted)


def load_objects(calendar_url: str, path: str | Path | None = None) -> list[str]:
    """The stored iCalendar texts of a calendar, in a stable order (by href)."""
    rows = _rows(path, "SELECT data FROM caldav_objects WHERE calendar_url = ? ORDER BY href",
                 (calendar_url,))
    return [row[0] for row in rows]
