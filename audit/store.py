"""Manual classification overrides that survive a re-sync (SPEC §5), in the local store.

The file, its ``overrides`` table and its errors are `core.local_store`'s; this module
reads and writes the overrides.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path

import polars as pl

from audit.domains import DOMAINS, EVENT_SCOPE, OVERRIDE_SCHEMA, SERIES_SCOPE
from core import clock
from core.errors import UsageError
from core.local_store import connect, default_store_path, guard, unusable
from core.schema import UTC_STAMP, utc_stamp

ATTRIBUTES = ("domain", "urgent", "important")

LISTED_SCHEMA = pl.Schema(
    {**OVERRIDE_SCHEMA, "note": pl.String, "updated_at": pl.Datetime("us", "UTC")}
)


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
    stamp = utc_stamp(now or clock.now())
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
            pl.col("updated_at").str.to_datetime(UTC_STAMP, time_unit="us",
                                                 time_zone="UTC"),
        )
    except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise unusable(target, f"an override it holds is damaged: {reason}") from None


def load_overrides(path: str | Path | None = None) -> pl.DataFrame:
    """The overrides in the shape `classify_events` takes (`audit.domains.OVERRIDE_SCHEMA`)."""
    return list_overrides(path).select(OVERRIDE_SCHEMA.names())
