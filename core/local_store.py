"""The local SQLite file every layer keeps its tables in (one file, readable by the owner only).

One file under ``platformdirs.user_data_path("timeaudit")`` (``$XDG_DATA_HOME`` moves it).
Each component writes its own tables and its own row in ``schema_version``: the engine's
overrides (`audit.store`), and the tables each connector owns (`connectors.google_store`,
`connectors.caldav_store`, `connectors.graph_store`). This module opens the file (WAL,
0600, a bounded wait for a writer) and turns SQLite's errors into one-line `AuditError`s.
Every store has the ``schema_version`` and ``overrides`` tables, whoever opened it first.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

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
    target = Path(path) if path is not None else default_store_path()
    with guard(target):
        _create_private(target)
        connection = sqlite3.connect(target, timeout=BUSY_TIMEOUT_SECONDS)
        try:
            ensure_schema(connection, "overrides", _SCHEMA, {"overrides": _OVERRIDE_COLUMNS})
        except BaseException:
            connection.close()
            raise
    return connection


def connect_component(path: str | Path | None, *, component: str, script: str, version: int,
                      name: str) -> sqlite3.Connection:
    """The store (`connect`) with a connector's tables in it: ``script`` (``CREATE … IF NOT
    EXISTS`` and its ``schema_version`` row) is run, and tables of ``component`` newer than
    ``version`` are an error naming the connector (``name``)."""
    connection = connect(path)
    try:
        with connection:
            connection.executescript(script)
        (found,) = connection.execute(
            "SELECT version FROM schema_version WHERE component = ?", (component,)).fetchone()
    except BaseException:
        connection.close()
        raise
    if found > version:
        connection.close()
        raise AuditError(f"the store's {name} tables are version {found}, newer than this "
                         "timeaudit understands: upgrade timeaudit")
    return connection


@contextmanager
def transaction(connect_to: Callable[[str | Path | None], sqlite3.Connection],
                path: str | Path | None) -> Iterator[sqlite3.Connection]:
    """One transaction on ``connect_to(path)``: committed when the block ends, rolled back
    when it raises."""
    with closing(connect_to(path)) as connection, connection:
        yield connection


@contextmanager
def reading(connect_to: Callable[[str | Path | None], sqlite3.Connection],
            path: str | Path | None) -> Iterator[sqlite3.Connection | None]:
    """A connection to read from, or None when there is no store (reading never creates it)."""
    target = Path(path) if path is not None else default_store_path()
    if not target.exists():
        yield None
        return
    with closing(connect_to(target)) as connection:
        yield connection


def ensure_schema(connection: sqlite3.Connection, component: str, script: str,
                  tables: dict[str, tuple[str, ...]]) -> None:
    """Write ``script`` when the store has no ``component`` row yet; check ``tables``' columns.

    Readers of a complete store only read here (SQLite's WAL lets them run beside a writer).
    """
    if connection.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        connection.execute("PRAGMA journal_mode=WAL")  # readers (the dashboard) never block
    if not _has_component(connection, component):
        with connection:
            connection.executescript("BEGIN IMMEDIATE;" + script)
    for table, columns in tables.items():
        found = tuple(row[1] for row in connection.execute(f"PRAGMA table_info({table})"))
        if found != columns:
            raise sqlite3.DatabaseError(
                f"its table {table} has the columns ({', '.join(found) or 'none'}), not "
                f"({', '.join(columns)})")


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


def _create_private(path: Path) -> None:
    if path.is_dir():
        raise sqlite3.DatabaseError("it is a directory, not a file")
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # mkdir's mode is filtered through the umask
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # SQLite gives the -wal and -shm files the same permissions


