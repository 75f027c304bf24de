"""Meeting analytics (issue 14): what the meeting time of a period was made of.

A **meeting** is a counted occurrence with at least one other person (SPEC §6). Every
figure starts from the attributed pieces of `audit.accounting` (one row per meeting and
local date, with its equal share of overlapping time), so meeting hours here add up to
``hours.meetings`` of the report. A meeting is counted once, on its first piece in the
period (the piece that starts at its clipped start)::

    period            |Mon ------------|Tue ------------|
    meeting                       [=========)
    pieces                        [===)[====)    count 1, hours = both shares

Splits (each meeting is in exactly one part of each):

* size, counting the owner: **1:1** = 2 people, **small** = 3–8, **large** = 9 or more;
* **recurring** (it belongs to a series) or **one-off**;
* organised **by me** (``response = organizer``) or **by others**;
* **external** when some attendee's domain is not a work domain (as the ``external``
  rule condition), else **colleagues**.

``attendee_hours`` = wall-clock hours of each meeting within the period × its people
(the owner included): what the meetings cost everyone in them, not only the owner.

**Back-to-back**: a meeting whose gap to the previous meeting (the latest end among
meetings that started before it) or to the next meeting (the next start) is under 5
minutes; overlaps are gaps below zero::

    A [=====)          B starts 3 min after A ends: A and B are back-to-back;
    B         [=====)  C starts 10 min after B: C is not (but B already is)
    C                    [===)

**Outside working hours**: work-domain meetings (as for boundaries, §7: life and
integrated time are the person's choice) with wall-clock time outside the working
windows of their day (a non-working day has none); hours = that time.

**Series** (the cut list): recurring meetings grouped by ``series_id``: occurrences,
attributed hours, share of all meeting hours, and the hours in the first and second
half of the period — each half ``days // 2`` days long, so for an odd number of days
the middle day is in neither half (it still counts in ``hours``); ``trend`` = "up",
"down" or "flat" as the second half's hours (rounded) compare with the first's.

**People and domains**: only people at a work domain, never the owner. The calendar
frame keeps no attendee addresses (SPEC §3), so people are the **organisers** of the
meetings; domains are the attendee domains of work and integrated meetings (a meeting
counts in full for each of its domains). Ten of each, most hours first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import polars as pl

from audit.accounting import (
    ATTRIBUTED_MINUTES,
    DATE,
    DOMAIN,
    MINUTES,
    PIECE_END,
    PIECE_START,
    is_meeting,
)
from audit.boundaries import WINDOW_END, WINDOW_START, WORKING
from audit.engine import Audit
from audit.intervals import with_columns_of
from audit.rules import work_domain_regex
from core.schema import (
    ATTENDEE_DOMAINS,
    ATTENDEES,
    END,
    EVENT_ID,
    ORGANIZER,
    RESPONSE,
    SERIES_ID,
    START,
    TITLE,
)

BACK_TO_BACK_GAP = timedelta(minutes=5)
OCCURRENCE = "_occurrence"
TOP = 10

SPLITS: dict[str, dict[str, pl.Expr]] = {
    "by_size": {
        "one_on_one": pl.col(ATTENDEES) == 1,
        "small": pl.col(ATTENDEES).is_between(2, 7),
        "large": pl.col(ATTENDEES) >= 8,
    },
    "by_recurrence": {
        "recurring": pl.col(SERIES_ID).is_not_null(),
        "one_off": pl.col(SERIES_ID).is_null(),
    },
    "by_organizer": {
        "me": pl.col(RESPONSE) == "organizer",
        "others": pl.col(RESPONSE) != "organizer",
    },
    "by_audience": {
        "colleagues": ~pl.col("_external"),
        "external": pl.col("_external"),
    },
}
TRENDS = ("up", "down", "flat")


def _hours(minutes: float) -> float:
    return round(minutes / 60, 2)


def meeting_pieces(audit: Audit) -> pl.LazyFrame:
    """The attributed pieces of meetings, with ``_first`` (the meeting's first piece in
    the period: it counts the meeting once) and ``_external``."""
    first_instant, _ = audit.period.utc_bounds()
    # the occurrences' columns of meeting pieces only (`audit.engine.Audit.pieces_with`)
    meetings = audit.pieces_with(ATTENDEES).filter(is_meeting())
    pieces = with_columns_of(audit.window_events, meetings, START, END, EVENT_ID, SERIES_ID,
                             TITLE, RESPONSE, ORGANIZER, ATTENDEE_DOMAINS, DOMAIN)
    return (
        pieces.lazy()
        .select(DATE, PIECE_START, PIECE_END, START, END, EVENT_ID, SERIES_ID, TITLE,
                RESPONSE, ORGANIZER, ATTENDEES, ATTENDEE_DOMAINS, DOMAIN, MINUTES,
                ATTRIBUTED_MINUTES)
        .with_columns(
            (pl.col(PIECE_START) == pl.max_horizontal(START, pl.lit(first_instant)))
            .alias("_first"),
            _external(audit.events, audit.config.work_domains).alias("_external"),
            # one integer per occurrence, so grouping and joining compare no strings
            pl.struct(EVENT_ID, START).hash().alias(OCCURRENCE),
        )
    )


def _external(events: pl.DataFrame, work_domains: Sequence[str]) -> pl.Expr:
    """`audit.rules.is_external`, with the domain test run once per distinct domain."""
    # the distinct domains from the exploded lists, not from the distinct lists first:
    # hashing 1M lists cost ≈ 0.05 s CPU more at 1M occurrences (benchmarks/engine.py)
    domains = events.get_column(ATTENDEE_DOMAINS).explode().unique().drop_nulls()
    outsiders = domains.filter(~domains.str.contains(work_domain_regex(work_domains)))
    return (pl.col(ATTENDEE_DOMAINS).list.eval(pl.element().is_in(outsiders.implode()))
            .list.any().fill_null(False))


def _count_hours(mask: pl.Expr, name: str) -> list[pl.Expr]:
    return [pl.col("_first").filter(mask).sum().alias(f"{name}.count"),
            pl.col(ATTRIBUTED_MINUTES).filter(mask).sum().alias(f"{name}.minutes")]


def _totals(pieces: pl.LazyFrame) -> pl.LazyFrame:
    """One row: count and minutes of every split, the total and the attendee minutes."""
    people = (pl.col(ATTENDEES) + 1).cast(pl.Float64)
    return pieces.select(
        *_count_hours(pl.lit(True), "all"),
        (pl.col(MINUTES) * people).sum().alias("attendee_minutes"),
        *(expr for split, parts in SPLITS.items() for part, mask in parts.items()
          for expr in _count_hours(mask, f"{split}.{part}")),
    )


def _back_to_back(pieces: pl.LazyFrame) -> pl.LazyFrame:
    """The occurrence keys of every back-to-back meeting (whole occurrences).

    Sorted by start alone: meetings that start at the same instant overlap, so they are
    back-to-back whichever comes first (the gap from one to the other is negative).
    """
    gap = pl.lit(BACK_TO_BACK_GAP)
    occurrences = (
        pieces.filter(pl.col("_first")).select(OCCURRENCE, START, END).sort(START)
    )
    before = pl.col(START) - pl.col(END).cum_max().shift(1)
    after = pl.col(START).shift(-1) - pl.col(END)
    return occurrences.filter((before < gap).fill_null(False) | (after < gap).fill_null(False)
                              ).select(OCCURRENCE)


def _outside_minutes(pieces: pl.LazyFrame, windows: pl.DataFrame) -> pl.LazyFrame:
    """Per work-meeting piece (``_row``): wall-clock minutes outside the day's windows."""
    work = pieces.filter(pl.col(DOMAIN) == "work").with_row_index("_row")
    inside = (
        work.select("_row", DATE, PIECE_START, PIECE_END)
        .join(windows.lazy().filter(pl.col(WORKING)).select(DATE, WINDOW_START, WINDOW_END),
              on=DATE, how="inner")
        .select("_row", (pl.min_horizontal(PIECE_END, WINDOW_END)
                         - pl.max_horizontal(PIECE_START, WINDOW_START))
                .dt.total_microseconds().clip(lower_bound=0).alias("_in_us"))
        .group_by("_row").agg(pl.col("_in_us").sum())
    )
    return (
        work.join(inside, on="_row", how="left")
        .with_columns((pl.col(MINUTES) - pl.col("_in_us").fill_null(0) / 60e6)
                      .clip(lower_bound=0.0).alias("_outside"))
        .select(OCCURRENCE, "_outside")
    )


def _series(pieces: pl.LazyFrame, audit: Audit) -> pl.LazyFrame:
    period = audit.period
    half = (period.end - period.start).days // 2
    first_end = period.start + timedelta(days=half)
    second_start = period.end - timedelta(days=half)
    minutes = pl.col(ATTRIBUTED_MINUTES)
    return (
        pieces.filter(pl.col(SERIES_ID).is_not_null())
        .group_by(SERIES_ID)
        .agg(
            # the series is called what its latest occurrence is called
            pl.col(TITLE).sort_by(START).last().alias("title"),
            pl.col("_first").sum().alias("count"),
            minutes.sum().alias("minutes"),
            minutes.filter(pl.col(DATE) < first_end).sum().alias("first"),
            minutes.filter(pl.col(DATE) >= second_start).sum().alias("second"),
        )
        .sort(["minutes", "title", SERIES_ID], descending=[True, False, False])
    )


def _ranked(frame: pl.LazyFrame, key: str) -> pl.LazyFrame:
    return (
        frame.group_by(key)
        .agg(pl.col("_first").sum().alias("count"),
             pl.col(ATTRIBUTED_MINUTES).sum().alias("minutes"))
        .sort(["minutes", key], descending=[True, False])
        .head(TOP)
    )


def _people(pieces: pl.LazyFrame, work_domains: Sequence[str],
            owners: Sequence[str]) -> pl.LazyFrame:
    organizer = pl.col(ORGANIZER).str.to_lowercase()
    # grouped first, so the domain test runs once per organiser, not once per meeting
    ranked = (
        pieces.filter(pl.col(ORGANIZER).is_not_null() & (pl.col(RESPONSE) != "organizer"))
        .group_by(organizer.alias("person"))
        .agg(pl.col("_first").sum().alias("count"),
             pl.col(ATTRIBUTED_MINUTES).sum().alias("minutes"))
    )
    colleague = pl.col("person").str.split("@").list.last().str.contains(
        work_domain_regex(work_domains))
    return (ranked.filter(colleague.fill_null(False) & ~pl.col("person").is_in(list(owners)))
            .sort(["minutes", "person"], descending=[True, False]).head(TOP))


def _domains(pieces: pl.LazyFrame) -> pl.LazyFrame:
    return _ranked(
        pieces.filter(pl.col(DOMAIN).is_in(["work", "integrated"]))
        .select("_first", ATTRIBUTED_MINUTES,
                pl.col(ATTENDEE_DOMAINS).list.unique().alias("domain"))
        .explode("domain").filter(pl.col("domain").is_not_null()),
        "domain",
    )


def _trend(first: float, second: float) -> str:
    a, b = _hours(first), _hours(second)
    return "up" if b > a else "down" if b < a else "flat"


def meeting_report(audit: Audit) -> dict[str, Any]:
    """The ``meetings`` object of the JSON report (see the module docstring)."""
    pieces = meeting_pieces(audit).collect().lazy()
    in_b2b = pieces.join(_back_to_back(pieces), on=OCCURRENCE, how="semi")
    # the parts are independent: one collect runs them side by side
    totals_frame, b2b_frame, outside_frame, series, people, domains = pl.collect_all([
        _totals(pieces),
        in_b2b.select(pl.col("_first").sum(), pl.col(ATTRIBUTED_MINUTES).sum()),
        _outside_minutes(pieces, audit.windows).filter(pl.col("_outside") > 0)
        .select(pl.col(OCCURRENCE).n_unique(), pl.col("_outside").sum()),
        _series(pieces, audit),
        _people(pieces, audit.config.work_domains, audit.config.owner_emails),
        _domains(pieces),
    ])
    totals = totals_frame.row(0, named=True)
    b2b_row, outside = b2b_frame.row(0), outside_frame.row(0)
    total_minutes = totals["all.minutes"]

    def part(name: str) -> dict[str, Any]:
        return {"count": int(totals[f"{name}.count"] or 0),
                "hours": _hours(totals[f"{name}.minutes"] or 0.0)}

    return {
        "count": int(totals["all.count"] or 0),
        "hours": _hours(total_minutes or 0.0),
        "attendee_hours": _hours(totals["attendee_minutes"] or 0.0),
        **{split: {name: part(f"{split}.{name}") for name in parts}
           for split, parts in SPLITS.items()},
        "back_to_back": {"count": int(b2b_row[0] or 0), "hours": _hours(b2b_row[1] or 0.0)},
        "outside_working_hours": {"count": int(outside[0]),
                                  "hours": _hours(outside[1] or 0.0)},
        "series": [
            {"series_id": sid, "title": title, "count": int(count), "hours": _hours(minutes),
             "share": round(minutes / total_minutes, 2) if total_minutes else 0.0,
             "first_half_hours": _hours(first), "second_half_hours": _hours(second),
             "trend": _trend(first, second)}
            for sid, title, count, minutes, first, second in series.iter_rows()
        ],
        "people": [{"person": p, "count": int(c), "hours": _hours(m)}
                   for p, c, m in people.iter_rows()],
        "domains": [{"domain": d, "count": int(c), "hours": _hours(m)}
                    for d, c, m in domains.iter_rows()],
    }
