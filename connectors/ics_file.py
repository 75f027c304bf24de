"""Reading one calendar's bytes and answering from the cache: the front of `read_ics`.

A read the cache answers (`connectors.cache`: the same bytes, source, zone, window and
owner) needs only the file, its hash and the cached frame; `connectors.ics`, with the
parsing modules it imports (`ics_parse`, `ics_split`, `ics_walk`), is imported on a miss
only (a warm `timeaudit report` then skips ≈ 20 ms of imports; issue 16).
`connectors.ics` re-exports everything here, so its API is unchanged.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors import cache
from core.errors import CalendarWarning, InvalidCalendar, printable
from core.period import local_midnight, resolve_zone

if TYPE_CHECKING:
    import polars as pl

# A calendar larger than this is refused before it is decoded (a 10-year export of a busy
# calendar is ≈ 10 MB; parsing takes ≈ 2 s per MB, and memory ≈ 50 × the size). The same
# limit as for links (connectors.url.MAX_BYTES).
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Read:
    """One read as `read_ics` resolved it: the bytes, their hash, the cache key, and the
    window as UTC instants (what `connectors.ics.read_uncached` needs on a miss)."""

    data: bytes
    content: Any  # hashlib's sha256 of ``data``
    key: str
    source: str
    label: str  # the source as errors name it (the path as the person gave it)
    calendar: str | None
    charset: str | None
    zone: tzinfo
    zone_name: str
    start: datetime
    end: datetime
    owners: frozenset[str]


def _as_instant(value: datetime | date, zone: tzinfo, name: str) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware (or a date)")
    try:
        return value.astimezone(UTC) if isinstance(value, datetime) \
            else local_midnight(value, zone)
    except OverflowError:  # local midnight of 0001-01-01 east of UTC is before year 1
        return datetime.min.replace(tzinfo=UTC) if value.year < 5000 \
            else datetime.max.replace(tzinfo=UTC)


def read_ics(
    path_or_bytes: str | Path | bytes,
    *,
    start: datetime | date,
    end: datetime | date,
    tz: str | tzinfo,
    source: str | None = None,
    owner_emails: Iterable[str] = (),
    calendar: str | None = None,
    charset: str | None = None,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
) -> pl.DataFrame:
    """Read one iCalendar file (a path or its bytes) into the event frame of SPEC §3.

    ``start``/``end``: the window, as aware instants or as local dates in ``tz`` (end
    exclusive); every occurrence that overlaps it is returned, unclipped.
    ``tz``: the audit time zone (floating times and all-day dates are placed in it).
    ``source``: the ``source`` column; default ``ics:<file name>`` (``ics:calendar.ics``
    for bytes). ``owner_emails``: decide ``response`` from the owner's ATTENDEE/ORGANIZER.

    Raises `InvalidCalendar` for a file that cannot be read; warns `CalendarWarning`
    with counts for what was skipped inside a readable file.
    """
    zone = resolve_zone(tz) if isinstance(tz, str) else tz
    zone_name = getattr(zone, "key", None) or str(zone)
    window_start = _as_instant(start, zone, "start")
    window_end = _as_instant(end, zone, "end")
    if isinstance(path_or_bytes, bytes):
        data = path_or_bytes
        source = source or "ics:calendar.ics"
        label = source
    else:
        path = Path(path_or_bytes)
        source = source or f"ics:{path.name}"
        label = printable(str(path))  # errors name the file as the person gave it
        data = read_file_bytes(path, label)
    owners = frozenset(e.strip().lower() for e in owner_emails if e.strip())

    content = hashlib.sha256(data)
    key = cache.key_for(content, source=source, calendar=calendar, zone=zone_name,
                        start=window_start, end=window_end, owners=owners, charset=charset)
    if use_cache:
        hit = cache.load(key)
        if hit is not None:
            frame, messages = hit
            for message in messages:
                warnings.warn(message, CalendarWarning, stacklevel=2)
            return frame

    from connectors.ics import read_uncached  # noqa: PLC0415 - the parsers, on a miss only

    return read_uncached(Read(data, content, key, source, label, calendar, charset, zone,
                              zone_name, window_start, window_end, owners),
                         use_cache=use_cache, progress=progress)


def read_file_bytes(path: Path, source: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES and path.is_file():
            raise InvalidCalendar(_too_large(size), source=source)
        with path.open("rb") as handle:  # a file that grows meanwhile is still bounded
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InvalidCalendar("no such file", source=source) from None
    except IsADirectoryError:
        raise InvalidCalendar("is a directory, not an .ics file", source=source) from None
    except OSError as error:
        raise InvalidCalendar(f"cannot read the file: {error.strerror}", source=source) from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidCalendar(_too_large(len(data)), source=source)
    return data


def _too_large(size: int) -> str:
    return (f"the calendar is {size / 1024 / 1024:,.0f} MB, more than timeaudit reads "
            f"({MAX_FILE_BYTES // 1024 // 1024} MB); export a shorter period")
