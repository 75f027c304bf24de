"""Reading the calendars an audit names, for its period: the configuration and the period
become the plain values the connectors take (instants, a zone, the owner's addresses).

The connectors never see `Config` or `Period` (tests/test_layers.py); the command line,
its tests and the benchmarks read through these two functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors import sources

if TYPE_CHECKING:
    import polars as pl

    from audit.config import Config
    from core.period import Period


def read_sources(files_and_links: sources.Sources, *, period: Period, config: Config,
                 use_cache: bool = True,
                 progress: Callable[[str], None] | None = None) -> pl.DataFrame:
    """Every occurrence overlapping ``period`` in the ICS files and links, as one frame."""
    start, end = period.utc_bounds()
    return sources.read_sources(files_and_links, start=start, end=end, tz=period.timezone,
                                owner_emails=config.owner_emails, use_cache=use_cache,
                                progress=progress)


def read_google(calendar_ids: Sequence[str] | None = None, *, period: Period,
                config: Config | None = None, sync_first: bool = False,
                store_path: str | Path | None = None, progress: Any = None,
                service: Any = None) -> pl.DataFrame:
    """The synced Google occurrences overlapping ``period`` (`connectors.google.read_google`).

    ``config`` is accepted for symmetry with `read_sources`: Google marks the owner itself
    (``self: true``), so the owner's addresses are not needed.
    """
    del config  # see the docstring
    from connectors import google  # noqa: PLC0415 - a file-only audit never loads it

    start, end = period.utc_bounds()
    return google.read_google(calendar_ids, start=start, end=end, tz=period.timezone,
                              sync_first=sync_first, store_path=store_path,
                              progress=progress, service=service)
