"""On-disk cache of each UID group's expanded rows, so a new process reading a calendar in
which one VEVENT changed parses and expands that one group only (issue 16).

`connectors.cache` keeps whole reads keyed by the file's bytes: any change misses it. This
cache keeps, per read window (source, calendar name given, zone, owners, window, code and
library versions), one entry: the rows of every group the window saw (Arrow IPC, the
columns of `connectors.ics.RAW_SCHEMA`) and, per group, its key — the digest of its own
text and of the calendar's properties, VTIMEZONEs, zone and source, as in memory —, its
row count, the expansion steps it took and what it skipped. A group whose key is in the
entry is not parsed again; the entry is then rewritten with the groups of the new read.

Entries live beside the whole-read cache in the owner's cache folder (0700; files 0600,
written atomically); they hold titles like it does. A missing, damaged or older-format
entry is a miss, never an error. At most `MAX_ENTRIES` entries and `MAX_BYTES` in all
are kept, the least recently written dropped first.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from connectors import cache
from core import __version__
from core.private_file import write_private

FORMAT = 1  # bump when what an entry holds changes
MAX_ENTRIES = 64
MAX_BYTES = 512 * 1024 * 1024
_MAGIC = b"TAGROUPS"
_HEADER = struct.Struct("<8sIQ")  # magic, format, length of the JSON part


def cache_dir() -> Path:
    return cache.cache_dir().parent / "ics-groups"


def key_for(*, source: str, calendar: str | None, zone: str, start: datetime, end: datetime,
            owners: frozenset[str]) -> str:
    """The entry of one read window (not of the file's content: a changed file reuses it)."""
    text = json.dumps([FORMAT, cache.FORMAT, __version__, cache.LIBRARIES, source,
                       calendar, zone, start.isoformat(), end.isoformat(), sorted(owners)])
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Stored:
    """One entry: ``rows`` (every stored group's rows, group after group) and, per group
    key, (first row, row count, steps, skipped while parsing, skipped while expanding)."""

    rows: pl.DataFrame
    groups: dict[str, tuple[int, int, int, Any, Any]]
    names: dict[str, str]  # calendar name per context digest


def load(key: str, schema: pl.Schema) -> Stored | None:
    path = cache_dir() / f"{key}.groups"
    try:
        data = path.read_bytes()
        magic, version, length = _HEADER.unpack_from(data)
        if magic != _MAGIC or version != FORMAT:
            return None
        meta = json.loads(data[_HEADER.size:_HEADER.size + length])
        rows = pl.read_ipc(io.BytesIO(data[_HEADER.size + length:]))
        groups, offset = {}, 0
        for group, count, steps, parsed, expanded in meta["groups"]:
            groups[group] = (offset, count, steps, parsed, expanded)
            offset += count
        names = dict(meta["names"])
    except (OSError, ValueError, KeyError, TypeError, struct.error,
            pl.exceptions.PolarsError):
        return None  # missing, damaged or of another version: the groups are parsed again
    if rows.schema != schema or rows.height != offset:
        return None
    return Stored(rows, groups, names)


def store(key: str, rows: pl.DataFrame,
          groups: Sequence[tuple[str, int, int, Any, Any]], names: dict[str, str]) -> None:
    """Write an entry atomically (``groups`` in the order of ``rows``), or queue it
    (`connectors.cache.writes_deferred`); a cache that cannot be written is not an error."""
    groups, names = list(groups), dict(names)  # the caller's may change before a queued write
    directory = cache_dir()  # the folder of now, also for a write that runs later
    cache.write_or_defer(lambda: _store(directory, key, rows, groups, names))


def _store(directory: Path, key: str, rows: pl.DataFrame,
           groups: list[tuple[str, int, int, Any, Any]], names: dict[str, str]) -> None:
    try:
        meta = json.dumps({"groups": list(groups), "names": names}).encode()
        body = io.BytesIO()
        rows.write_ipc(body, compression="lz4")
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(directory / f"{key}.groups",
                      _HEADER.pack(_MAGIC, FORMAT, len(meta)) + meta + body.getvalue())
        _prune(directory)
    except (OSError, pl.exceptions.PolarsError):
        return


def _prune(directory: Path) -> None:
    entries = sorted(((p.stat().st_mtime, p.stat().st_size, p)
                      for p in directory.glob("*.groups")), reverse=True)
    total = 0
    for index, (_mtime, size, path) in enumerate(entries):
        total += size
        if index >= MAX_ENTRIES or (total > MAX_BYTES and index > 0):
            path.unlink(missing_ok=True)
