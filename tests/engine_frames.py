"""Small event frames for the engine tests: Berlin wall-clock times, one dict per event."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import polars as pl

from core.schema import EVENT_SCHEMA

TZ = "Europe/Berlin"
BERLIN = ZoneInfo(TZ)
# the event frame plus what classification adds and the engine reads
FRAME_SCHEMA = pl.Schema({**EVENT_SCHEMA, "domain": pl.String, "quadrant": pl.String})


def at(day: str, hhmm: str) -> datetime:
    """A Berlin wall-clock time (never one inside a DST gap)."""
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=BERLIN)


def event(event_id: str, start: datetime, end: datetime, **fields: object) -> dict:
    """A counted work event in the "do" quadrant unless ``fields`` say otherwise."""
    return {
        "source": "ics:test.ics", "calendar": "Work", "event_id": event_id, "series_id": None,
        "title": event_id, "description": None, "location": None, "start": start, "end": end,
        "all_day": False, "status": "confirmed", "response": "accepted", "busy": True,
        "kind": "event", "attendees": 0, "organizer": None, "attendee_domains": [],
        "categories": [], "color": None, "created": None, "domain": "work", "quadrant": "do",
        **fields,
    }


def events(*rows: dict) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=FRAME_SCHEMA)
