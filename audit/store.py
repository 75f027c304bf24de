"""The local SQLite store: manual classification overrides that survive a re-sync (SPEC §5).

One file under ``platformdirs.user_data_path("timeaudit")`` (``$XDG_DATA_HOME`` moves it),
readable by the owner only. Other components (the Google connector's sync state) add their
own tables to the same file and record their version in ``schema_version``.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import platformdirs
import polars as pl

from audit.domains import DOMAINS, EVENT_SCOPE, OVERRIDE_SCHEMA, SERIES_SCOPE
from core import clock
from core.errors import AuditError, UsageError

STORE_FILE = "timeaudit.sqlite3"
OVERRIDES_VERSION = 1  # the row _SCHEMA writes into schema_version
ATTRIBUTES = ("domain", "urgent", "important")

# The values in the CHECKs are audit.domains.DOMAINS, EVENT_SCOPE and SERIES_SCOPE.
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

_COLUMNS = ("scope", "key", "domain", "urgent", "important", "note", "updated_at")
# How long a writer waits for another process's write (a Google sync) to finish.
BUSY_TIMEOUT_SECONDS = 30.0

LISTED_SCHEMA = pl.Schema(
    {**OVERRIDE_SCHEMA, "note": pl.String, "updated_at": pl.Datetime("us", "UTC")}
)


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
            ensure_schema(connection, "overrides", _SCHEMA, {"overrides": _COLUMNS})
        except BaseException:
            connection.close()
            raise
    return connection


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


@contextmanager
def _transaction(path: str | Path | None) -> Iterator[sqlite3.Connection]:
    target = Path(path) if path is not None else default_store_path()
    with guard(target), closing(connect(target)) as connection, connection:
        yield connection


def _scope_key(event_id: str | None, series_id: str | None) -> tuple[str, str]:
    if (event_id is None) == (series_id is None):
        raise UsageError("an override is for one event (event_id) or for all occurrences "
                         "of a series (series_id): give exactly one")
    return (EVENT_SCOPE, event_id) if event_id is not None else (SERIES_SCOPE, series_id or "")


def set_override(*, event_id: str | None = None, series_id: str | None = None,
                 domain: str | None = None, urgent: bool | None = None,
                 important: bool | None = None, note: str | None = None,
                 path: str | Path | None = None, now: datetime | None = None) -> None:
    """Override what classification decided; ``None`` keeps an attribute as it was."""
    scope, key = _scope_key(event_id, series_id)
    if domain is not None and domain not in DOMAINS:
        raise UsageError(f"unknown domain {domain!r}: use one of {', '.join(DOMAINS)}")
    if domain is None and urgent is None and important is None:
        raise UsageError("nothing to override: give a domain, urgent or important")
    stamp = (now or clock.now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _transaction(path) as connection:
        connection.execute(
            """INSERT INTO overrides (scope, key, domain, urgent, important, note, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (scope, key) DO UPDATE SET
                 domain = coalesce(excluded.domain, domain),
                 urgent = coalesce(excluded.urgent, urgent),
                 important = coalesce(excluded.important, important),
                 note = coalesce(excluded.note, note),
                 updated_at = excluded.updated_at""",
            (scope, key, domain, urgent, important, note, stamp),
        )


def clear_override(*, event_id: str | None = None, series_id: str | None = None,
                   attributes: Sequence[str] = ATTRIBUTES,
                   path: str | Path | None = None) -> bool:
    """Forget overridden attributes (all by default); True when there was an override."""
    scope, key = _scope_key(event_id, series_id)
    unknown = set(attributes) - set(ATTRIBUTES)
    if unknown:
        raise UsageError(f"cannot clear {sorted(unknown)}: use {', '.join(ATTRIBUTES)}")
    with _transaction(path) as connection:
        # column names come from ATTRIBUTES above, never from the caller's text
        assignments = ", ".join(f"{name} = NULL" for name in attributes)
        changed = connection.execute(
            f"UPDATE overrides SET {assignments} WHERE scope = ? AND key = ?",  # noqa: S608
            (scope, key),
        ).rowcount
        connection.execute(
            "DELETE FROM overrides WHERE scope = ? AND key = ? AND domain IS NULL "
            "AND urgent IS NULL AND important IS NULL", (scope, key))
    return changed > 0


def list_overrides(path: str | Path | None = None) -> pl.DataFrame:
    """Every override with its note and time, sorted by scope and key (for the dashboard)."""
    target = Path(path) if path is not None else default_store_path()
    if not target.exists():  # reading never creates the store
        return pl.DataFrame(schema=LISTED_SCHEMA)
    with guard(target), closing(connect(target)) as connection:
        rows = connection.execute(
            "SELECT scope, key, domain, urgent, important, note, updated_at FROM overrides "
            "ORDER BY scope, key").fetchall()
    try:
        raw = pl.DataFrame(rows, orient="row", schema={
            **OVERRIDE_SCHEMA, "urgent": pl.Int8, "important": pl.Int8, "note": pl.String,
            "updated_at": pl.String})
        return raw.with_columns(
            pl.col("urgent", "important").cast(pl.Boolean),
            pl.col("updated_at").str.to_datetime("%Y-%m-%dT%H:%M:%SZ", time_unit="us",
                                                 time_zone="UTC"),
        )
    except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise unusable(target, f"an override it holds is damaged: {reason}") from None


def load_overrides(path: str | Path | None = None) -> pl.DataFrame:
    """The overrides in the shape `classify_events` takes (`audit.domains.OVERRIDE_SCHEMA`)."""
    return list_overrides(path).select(OVERRIDE_SCHEMA.names())
