"""On-disk cache of read occurrences (Parquet), so a calendar is parsed once per change.

Entries live under the platformdirs user cache dir (``XDG_CACHE_HOME`` moves it), keyed
by the content hash of the calendar bytes plus everything that changes the frame: the
source name, time zone, window, owner e-mails and the versions of this code and of the
parsing libraries. A changed file has a new hash, so stale entries are never read; old
ones are pruned by age.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

import platformdirs
import polars as pl

from core import __version__
from core.private_file import write_private
from core.schema import EVENT_SCHEMA

# Bump when the mapping from ICS to the frame changes.
FORMAT = 4
MAX_ENTRIES = 256


def cache_dir() -> Path:
    return platformdirs.user_cache_path("timeaudit", appauthor=False) / "ics"


_LIBRARY_NAMES = ("icalendar", "recurring-ical-events", "x-wr-timezone", "polars")


def _library_versions() -> str:
    """The parsing libraries' versions, from their ``NAME-VERSION.dist-info`` folder names:
    `importlib.metadata.version` parses each METADATA file with the e-mail parser (≈ 30 ms
    for the four, on every command that reads a calendar; issue 16); it stays the fallback."""
    wanted = {re.sub(r"[-_.]+", "_", name).lower(): name for name in _LIBRARY_NAMES}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                dist, _, release = name.removesuffix(".dist-info").partition("-")
                key = re.sub(r"[-_.]+", "_", dist).lower()
                if key in wanted and key not in found and release:
                    found[key] = release
    return ",".join(found.get(key) or version(name) for key, name in wanted.items())


LIBRARIES = _library_versions()


def key_for(content: hashlib._Hash, *, source: str, calendar: str | None, zone: str,
            start: datetime, end: datetime, owners: frozenset[str],
            charset: str | None = None) -> str:
    """The entry of one read: ``content`` is the SHA-256 of the file's bytes (the reader
    hashes them once, for this key and for its split of the file), then the window."""
    digest = content.copy()
    digest.update(
        json.dumps([FORMAT, __version__, LIBRARIES, source, calendar, zone, charset,
                    start.isoformat(), end.isoformat(), sorted(owners)]).encode()
    )
    return digest.hexdigest()


# The writes queued by `writes_deferred` in the running thread (None: write at once).
_DEFERRED: ContextVar[list[Callable[[], None]] | None] = ContextVar("_DEFERRED",
                                                                     default=None)


@contextmanager
def writes_deferred() -> Iterator[list[Callable[[], None]]]:
    """Within it, this thread's `store` and `connectors.group_cache.store` queue their
    writes, serialising included, on the list it yields instead of writing: the caller runs
    them later (the dashboard, after the numbers are sent, docs/dashboard.md). Each write
    is atomic and swallows its own failures, so a write that never runs or fails leaves
    the cache as it was."""
    pending: list[Callable[[], None]] = []
    token = _DEFERRED.set(pending)
    try:
        yield pending
    finally:
        _DEFERRED.reset(token)


def write_or_defer(write: Callable[[], None]) -> None:
    """``write()`` now, or queued on the list of the enclosing `writes_deferred`."""
    pending = _DEFERRED.get()
    if pending is None:
        write()
    else:
        pending.append(write)


def load(key: str) -> tuple[pl.DataFrame, list[str]] | None:
    path = cache_dir() / f"{key}.parquet"
    try:
        frame = pl.read_parquet(path)
        messages = json.loads((cache_dir() / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, pl.exceptions.PolarsError):
        return None  # missing or damaged: read the calendar again
    if frame.schema != EVENT_SCHEMA:
        return None
    return frame, messages


def store(key: str, frame: pl.DataFrame, messages: list[str]) -> None:
    """Write an entry atomically (or queue it, `writes_deferred`); a cache that cannot be
    written is not an error."""
    messages = list(messages)  # the caller's list may change before a queued write runs
    directory = cache_dir()  # the folder of now, also for a write that runs later
    write_or_defer(lambda: _store(directory, key, frame, messages))


def _store(directory: Path, key: str, frame: pl.DataFrame, messages: list[str]) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(directory / f"{key}.json", json.dumps(messages).encode())
        parquet = io.BytesIO()
        frame.write_parquet(parquet, compression="zstd")
        write_private(directory / f"{key}.parquet", parquet.getvalue())
        _prune(directory)
    except OSError:
        return


def _prune(directory: Path) -> None:
    entries = sorted(directory.glob("*.parquet"), key=lambda p: p.stat().st_mtime)
    for old in entries[:-MAX_ENTRIES]:
        old.unlink(missing_ok=True)
        old.with_suffix(".json").unlink(missing_ok=True)
