"""The normalized event frame (SPEC §3), defined once: column names, dtypes, a validator.

One row is one *occurrence*: recurring series are expanded over the requested window.

Time semantics:

* ``start`` and ``end`` are UTC instants (``Datetime("us", "UTC")``); ``end`` is
  exclusive, and ``end >= start`` always holds (a timed event with neither DTEND nor
  DURATION has zero length).
* All-day events (``all_day = True``) start at local midnight of their first day and end
  at local midnight of the day after their last day, *in the audit time zone*; so a
  one-day event on a 23-hour DST day is 23 hours long.
* Floating times (no zone) are wall-clock times in the audit time zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import polars as pl

SOURCE = "source"
CALENDAR = "calendar"
EVENT_ID = "event_id"
SERIES_ID = "series_id"
TITLE = "title"
DESCRIPTION = "description"
LOCATION = "location"
START = "start"
END = "end"
ALL_DAY = "all_day"
STATUS = "status"
RESPONSE = "response"
BUSY = "busy"
KIND = "kind"
ATTENDEES = "attendees"
ORGANIZER = "organizer"
ATTENDEE_DOMAINS = "attendee_domains"
CATEGORIES = "categories"
COLOR = "color"
CREATED = "created"

UTC_INSTANT = pl.Datetime("us", "UTC")
# Instants written as text: the original start in a recurring occurrence's event_id
# (``uid@2026-11-16T09:00:00Z``), the command line's JSON, the local store. UTC, seconds.
UTC_STAMP = "%Y-%m-%dT%H:%M:%SZ"

EVENT_SCHEMA = pl.Schema(
    {
        SOURCE: pl.String,
        CALENDAR: pl.String,
        EVENT_ID: pl.String,
        SERIES_ID: pl.String,
        TITLE: pl.String,
        DESCRIPTION: pl.String,
        LOCATION: pl.String,
        START: UTC_INSTANT,
        END: UTC_INSTANT,
        ALL_DAY: pl.Boolean,
        STATUS: pl.String,
        RESPONSE: pl.String,
        BUSY: pl.Boolean,
        KIND: pl.String,
        ATTENDEES: pl.Int32,
        ORGANIZER: pl.String,
        ATTENDEE_DOMAINS: pl.List(pl.String),
        CATEGORIES: pl.List(pl.String),
        COLOR: pl.String,
        CREATED: UTC_INSTANT,
    }
)

COLUMNS: tuple[str, ...] = tuple(EVENT_SCHEMA.names())

STATUSES = frozenset({"confirmed", "tentative", "cancelled"})
RESPONSES = frozenset({"organizer", "accepted", "tentative", "declined", "needs_action", "none"})
KINDS = frozenset({"event", "focus", "out_of_office", "working_location"})

# Columns that must never be null; the rest are nullable as SPEC §3 says.
REQUIRED = (SOURCE, CALENDAR, EVENT_ID, TITLE, START, END, ALL_DAY, STATUS, RESPONSE, BUSY,
            KIND, ATTENDEES, ATTENDEE_DOMAINS, CATEGORIES)


def utc_stamp(moment: datetime) -> str:
    """``moment`` (an aware datetime) as `UTC_STAMP` text, e.g. ``2026-11-16T09:00:00Z``."""
    return moment.astimezone(UTC).strftime(UTC_STAMP)


def overlapping(start: datetime, end: datetime) -> pl.Expr:
    """The occurrences that overlap [start, end); a zero-length one when it starts inside
    (docs/ingest.md "The window"). ``start`` and ``end`` are aware instants.

        window            [start ─────────── end)
        kept           ├──┼──┤      ├────┤     ├─┼──┤       │  (zero length, inside)
        left out  ├──┤                           ├───┤       (end ≤ start, or ≥ end)

    With ``end >= start`` (SPEC §3), "ends after ``start`` or starts at/after it" is the
    same as "ends after ``start``, or is zero-length and starts inside".
    """
    lo, hi = pl.lit(start).cast(UTC_INSTANT), pl.lit(end).cast(UTC_INSTANT)
    return (pl.col(START) < hi) & ((pl.col(END) > lo) | (pl.col(START) >= lo))


def one_per_occurrence(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per (event_id, start), the first one kept, in time order.

    The same occurrence can arrive twice: a meeting in a shared team calendar and in the
    person's own, an instance listed by a series and by an override. The first source
    named wins.
    """
    return (frame.unique(subset=[EVENT_ID, START], keep="first", maintain_order=True)
            .sort(START, END, EVENT_ID))


def merge_events(frames: Iterable[pl.DataFrame]) -> pl.DataFrame:
    """Event frames concatenated, one row per occurrence (`one_per_occurrence`)."""
    frames = list(frames)
    if not frames:
        return empty_events()
    return one_per_occurrence(pl.concat(frames, how="vertical"))


def empty_events() -> pl.DataFrame:
    """An event frame with no rows."""
    return pl.DataFrame(schema=EVENT_SCHEMA)


def validate_events(frame: pl.DataFrame) -> pl.DataFrame:
    """Check a connector's output against SPEC §3 and return it unchanged.

    Raises ``ValueError`` naming the first problem: this guards the border between
    connectors and the engine, so a failure here is a bug in a connector.
    """
    if frame.schema != EVENT_SCHEMA:
        expected = dict(EVENT_SCHEMA.items())
        actual = dict(frame.schema.items())
        missing = [c for c in expected if c not in actual]
        extra = [c for c in actual if c not in expected]
        wrong = [f"{c}: {actual[c]} (want {expected[c]})"
                 for c in expected if c in actual and actual[c] != expected[c]]
        order = list(actual) != list(expected) and not (missing or extra or wrong)
        raise ValueError(
            "event frame does not match SPEC §3: "
            + "; ".join(
                part for part in (
                    f"missing {missing}" if missing else "",
                    f"unexpected {extra}" if extra else "",
                    f"wrong types {wrong}" if wrong else "",
                    "columns out of order" if order else "",
                ) if part
            )
        )
    if frame.height == 0:
        return frame
    problems = frame.select(
        *(pl.col(c).null_count().alias(f"null {c}") for c in REQUIRED),
        (pl.col(END) < pl.col(START)).sum().alias("end before start"),
        (~pl.col(STATUS).is_in(sorted(STATUSES))).sum().alias("unknown status"),
        (~pl.col(RESPONSE).is_in(sorted(RESPONSES))).sum().alias("unknown response"),
        (~pl.col(KIND).is_in(sorted(KINDS))).sum().alias("unknown kind"),
        (pl.col(ATTENDEES) < 0).sum().alias("negative attendees"),
    ).row(0, named=True)
    bad = {name: n for name, n in problems.items() if n}
    if bad:
        raise ValueError(f"event frame violates SPEC §3: {bad}")
    return frame
