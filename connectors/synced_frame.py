"""The event frame of rows mapped from a synced calendar's items (Google, Microsoft 365).

Both mappers (`connectors.google_frame`, `connectors.graph_frame`) make one dict per
occurrence with the columns of `_arrow_types`; the frame is built through Arrow arrays of
those types, then checked against the event schema.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from core import schema as s


@functools.cache
def _arrow_types() -> dict[str, Any]:
    """The Arrow type of each mapped column. pyarrow is imported here, when a synced
    calendar is mapped: the dashboard's first page imports the mappers (the stores name
    the accounts) but reads no synced calendar (≈ 0.1 s of imports; issue 16)."""
    import pyarrow as pa  # noqa: PLC0415 - see the docstring

    return {
        s.EVENT_ID: pa.string(), s.SERIES_ID: pa.string(), s.TITLE: pa.string(),
        s.DESCRIPTION: pa.string(), s.LOCATION: pa.string(), s.START: pa.int64(),
        s.END: pa.int64(), s.ALL_DAY: pa.bool_(), s.STATUS: pa.string(), s.RESPONSE: pa.string(),
        s.BUSY: pa.bool_(), s.KIND: pa.string(), s.ATTENDEES: pa.int32(),
        s.ORGANIZER: pa.string(), s.ATTENDEE_DOMAINS: pa.list_(pa.string()),
        s.CATEGORIES: pa.list_(pa.string()), s.COLOR: pa.string(), s.CREATED: pa.int64(),
    }


def rows_to_events(rows: Sequence[Mapping[str, Any]], *, source: str,
                   calendar: str) -> pl.DataFrame:
    """The events of ``rows`` (one mapped dict per occurrence) from ``calendar`` of
    ``source``, in the event schema."""
    if not rows:
        return s.empty_events()
    n = len(rows)
    import pyarrow as pa  # noqa: PLC0415 - see `_arrow_types`

    columns = {name: pa.array([row[name] for row in rows], kind)
               for name, kind in _arrow_types().items()}
    table = pa.table({
        s.SOURCE: pa.array([source] * n, pa.string()),
        s.CALENDAR: pa.array([calendar] * n, pa.string()),
        **columns,
    })
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return s.validate_events(
        frame.with_columns(pl.col(s.START, s.END, s.CREATED).cast(s.UTC_INSTANT))
        .pipe(s.one_per_occurrence)
        .select(s.COLUMNS)
    )
