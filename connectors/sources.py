"""Several calendars at once: read each source and merge them into one event frame.

The same occurrence present in two calendars (same UID and instant, e.g. a meeting in
both a shared team calendar and the person's own) counts once: the first source named
wins (`core.schema.merge_events`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from connectors.ics_file import read_ics  # connectors.ics and its parsers: on a miss only
from core import schema as s


@dataclass(frozen=True)
class Sources:
    """What to read: ICS files and ICS links (Google comes with its own connector)."""

    ics: Sequence[str | Path] = ()
    urls: Sequence[str] = ()
    names: dict[str, str] = field(default_factory=dict)  # source → calendar name override

    def __bool__(self) -> bool:
        return bool(self.ics or self.urls)


def read_sources(sources: Sources, *, start: datetime, end: datetime, tz: str,
                 owner_emails: Iterable[str] = (), use_cache: bool = True,
                 progress: Callable[[str], None] | None = None) -> pl.DataFrame:
    """Every occurrence overlapping [start, end) in every source, as one frame; ``tz`` is
    the audit time zone, ``owner_emails`` the addresses that are the person audited."""
    common = {"start": start, "end": end, "tz": tz,
              "owner_emails": tuple(owner_emails), "use_cache": use_cache,
              "progress": progress}
    frames = []
    for path in sources.ics:
        name = f"ics:{Path(path).name}"
        frames.append(read_ics(path, calendar=sources.names.get(name), **common))
    if sources.urls:
        # http, ssl and email cost ≈ 15 ms to import: only when a link is read (issue 16)
        from connectors.url import fetch_calendar  # noqa: PLC0415

        for url in sources.urls:
            got = fetch_calendar(url, use_cache=use_cache, progress=progress)
            frames.append(read_ics(got.data, source=got.source, charset=got.charset,
                                   calendar=sources.names.get(got.source), **common))
    return s.validate_events(s.merge_events(frames))
