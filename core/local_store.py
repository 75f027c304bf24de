"""The local SQLite file every layer keeps its tables in (one file, readable by the owner only).

One file under ``platformdirs.user_data_path("timeaudit")`` (``$XDG_DATA_HOME`` moves it).
Each component writes its own tables and its own row in ``schema_version``: the engine's
overrides (`audit.store`), and the tables each connector owns (`connectors.google_store`,
`connectors.caldav_store`, `connectors.graph_store`). This module opens the file (WAL,
0600, a bounded wait for a writer) and turns SQLite's errors into one-line `AuditError`s;
a connector's tables are opened through its `Component`.
Every store has the ``schema_version`` and ``overrides`` tables, whoever opened it first.
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import platformdirs

from core.errors import AuditError
from core.schema import UTC_STAMP

STORE_FILE = "timeaudit.sqlite3"

# The overrides table (read and written by `audit.store`) is part of every store; the values
# in the CHECKs are audit.domains.DOMAINS, EVENT_SCOPE and SERIES_SCOPE.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS overrides (
    scope TEXT NOT NULL CHECK (scope IN ('event', 'series')),
    key TEXT NOT NULL,
    domain TEXT NULL CHECK (domain IN ('work', 'life', 'integrated')),
    urgent INTEGER NULL CHECK (urgent IN (0, 1)),
    important INTEGER NULL CHECK (important IN (0, 1)),
    note TEXT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (scope, key)
);
INSERT OR IGNORE INTO schema_version (component, version) VALUES ('overrides', 1);
"""

_OVERRIDE_COLUMNS = ("scope", "key", "domain", "urgent", "important", "note", "updated_at")
# How long a writer waits for another process's write (a Google sync) to finish.
BUSY_TIMEOUT_SECONDS = 30.0


def read_stamp(text: str) -> datetime:
    """An instant the store wrote (`core.schema.utc_stamp`), as an aware UTC datetime."""
    return datetime.strptime(text, UTC_STAMP).replace(tzinfo=UTC)


def default_store_path() -> Path:
    return platformdirs.user_data_path("timeaudit") / STORE_FILE


def connect(path: str | Path | None = None) -> sqlite3.Connection:
    """Open (creating if needed) the store: WAL mode, file 0600, a new parent directory 0700.

    The schema is written only when the store lacks it, so opening a store to read never
    writes (and never waits for a sync that holds the write lock); a writer waits up to
    `BUSY_TIMEOUT_SECONDS` for the lock. A file that is not a usable store is an
    `AuditError` and is left exactly as it was.
    """
    target = _target(path)
    with guard(target):
        _create_private(target)
        connection = sqlite3.connect(target, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            ensure_schema(connection, "overrides", _SCHEMA, {"overrides": _OVERRIDE_COLUMNS})
        except BaseException:
            connection.close()
            raise
    return connection


@dataclass(frozen=True)
class Component:
    """A connector's tables in the store (Google, CalDAV, Microsoft): its row in
    ``schema_version`` (``name``, ``version``) and the ``script`` that creates them
    (``CREATE … IF NOT EXISTS`` and that row). ``label`` names the connector in messages.

    Each store module binds its component's `connect`, `transaction`, `read_rows` and
    `forget`: one way to open a connector's tables for all three."""

    name: str
    label: str
    version: int
    script: str

    @functools.cached_property
    def tables(self) -> dict[str, tuple[str, ...]]:
        """Its tables and their columns, as ``script`` creates them (checked on each open)."""
        with closing(sqlite3.connect(":memory:")) as scratch:
            scratch.executescript(_SCHEMA + self.script)
            names = [name for (name,) in scratch.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")]
            return {name: _columns(scratch, name) for name in names
                    if name not in ("schema_version", "overrides")}

    def connect(self, path: str | Path | None = None) -> sqlite3.Connection:
        """The store (`connect`) with these tables in it: written only when missing, under
        the file guard; tables of a newer version than this timeaudit's are refused."""
        target = _target(path)
        connection = connect(target)
        try:
            with guard(target):
                ensure_schema(connection, self.name, self.script, self.tables)
                _check_component(connection, self)
        except BaseException:
            connection.close()
            raise
        return connection

    @contextmanager
    def transaction(self, path: str | Path | None) -> Iterator[sqlite3.Connection]:
        """One write transaction on the store with these tables: committed when the block
        ends, rolled back when it raises. Missing tables are created in the same
        transaction, so a failed first sync leaves no trace of the connector either."""
        target = _target(path)
        with guard(target), closing(connect(target)) as connection, connection:
            if _has_component(connection, self.name):
                connection.execute("BEGIN IMMEDIATE")
            else:  # executescript would commit an open transaction: the script opens it
                connection.executescript("BEGIN IMMEDIATE;" + self.script)
            _check_component(connection, self)
            yield connection

    @contextmanager
    def reading(self, path: str | Path | None) -> Iterator[sqlite3.Connection | None]:
        """A connection to read these tables, or None when there is no store or it has no
        such tables. Reading never writes: no file, table or journal mode is created (the
        connection is ``query_only``); a newer version of the tables is refused."""
        target = _target(path)
        if not target.exists():
            yield None
            return
        with guard(target), closing(_open_existing(target)) as connection:
            connection.execute("PRAGMA query_only = ON")
            if not _has_component(connection, self.name):
                yield None
                return
            _check_component(connection, self)
            yield connection

    def read_rows(self, path: str | Path | None, sql: str,
                  parameters: tuple[object, ...] = ()) -> list[tuple[Any, ...]]:
        """The rows ``sql`` selects (`reading`): none when there is no store or no such
        tables."""
        with self.reading(path) as connection:
            return [] if connection is None else connection.execute(sql, parameters).fetchall()

    def forget(self, path: str | Path | None = None) -> None:
        """Delete every row of these tables (the ``schema_version`` row stays).

        The freed pages are overwritten (``secure_delete``) and the file is compacted, so
        no event text stays behind in the database file. Nothing is written when there
        are no such tables.
        """
        with self.reading(path) as found:
            if found is None:
                return
        target = _target(path)
        with guard(target), closing(self.connect(target)) as connection:
            connection.execute("PRAGMA secure_delete = ON")
            with connection:
                for table in self.tables:
                    connection.execute(f"DELETE FROM {table}")  # noqa: S608 - our table names
            connection.execute("VACUUM")


def _check_component(connection: sqlite3.Connection, component: Component) -> None:
    """Refuse tables newer than this timeaudit's (before their columns: a newer version
    may have others); then check the columns."""
    (found,) = connection.execute("SELECT version FROM schema_version WHERE component = ?",
                                  (component.name,)).fetchone()
    if found > component.version:
        raise AuditError(f"the store's {component.label} tables are version {found}, newer "
                         "than this timeaudit understands: upgrade timeaudit")
    _check_columns(connection, component.tables)


def _target(path: str | Path | None) -> Path:
    return Path(path) if path is not None else default_store_path()


def ensure_schema(connection: sqlite3.Connection, component: str, script: str,
                  tables: Mapping[str, tuple[str, ...]]) -> None:
    """Write ``script`` when the store has no ``component`` row yet; check ``tables``' columns.

    Readers of a complete store only read here (SQLite's WAL lets them run beside a writer).
    """
    if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        connection.execute("PRAGMA journal_mode=WAL")  # readers (the dashboard) never block
    if not _has_component(connection, component):
        with connection:
            connection.executescript("BEGIN IMMEDIATE;" + script)
    _check_columns(connection, tables)


def _check_columns(connection: sqlite3.Connection,
                   tables: Mapping[str, tuple[str, ...]]) -> None:
    for table, columns in tables.items():
        found = _columns(connection, table)
        if found != columns:
            raise sqlite3.DatabaseError(
                f"its table {table} has the columns ({', '.join(found) or 'none'}), not "
                f"({', '.join(columns)})")


def _columns(connection: sqlite3.Connection, table: str) -> tuple[str, ...]:
    return tuple(row[1] for row in connection.execute(f"PRAGMA table_info({table})"))


def _has_component(connection: sqlite3.Connection, component: str) -> bool:
    (tables,) = connection.execute(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    return bool(tables) and connection.execute(
        "SELECT 1 FROM schema_version WHERE component = ?", (component,)).fetchone() is not None


@contextmanager
def guard(target: Path) -> Iterator[None]:
    """SQLite's errors about the store file as one-line `AuditError`s.

    The advice never loses data: the file holds the overrides and the synced Google data.
    """
    try:
        yield
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise AuditError(
                f"{target}: the store is busy (another timeaudit, such as a sync, is writing "
                f"to it for more than {BUSY_TIMEOUT_SECONDS:.0f} s); try again when it has "
                "finished") from None
        raise unusable(target, error) from None
    except sqlite3.DatabaseError as error:
        raise unusable(target, error) from None
    except OSError as error:
        raise AuditError(f"{target}: cannot open the store ({error.strerror or error})"
                         ) from None


def unusable(target: Path, reason: object) -> AuditError:
    return AuditError(f"{target}: not a usable timeaudit store ({reason}); timeaudit left the "
                      "file as it is (it holds your overrides and synced calendars): keep a "
                      "copy before repairing it")


def _open_existing(path: Path) -> sqlite3.Connection:
    _refuse_directory(path)
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS)


def _refuse_directory(path: Path) -> None:
    if path.is_dir():
        raise sqlite3.DatabaseError("it is a directory, not a file")


def _create_private(path: Path) -> None:
    _refuse_directory(path)
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # mkdir's mode is filtered through the umask
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # SQLite gives the -wal and -shm files the same permissions


