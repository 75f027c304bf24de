"""Learning from the person's corrections (SPEC §5): an override also classifies similar
events — the other occurrences of its series and events with the same title pattern —
and the corrections that would settle the most uncertain hours are suggested first.

Nothing here leaves the machine: corrections are the overrides of the local store.
"""

from __future__ import annotations

import polars as pl

from audit.domains import EVENT_SCOPE, OVERRIDE_SCHEMA, SERIES_SCOPE
from core import schema as s

ATTRIBUTES = ("domain", "urgent", "important")

# Columns of `learned_corrections`: what to match (``by`` series or title, ``key``), the
# corrected attributes and the reason that names the correction followed.
LEARNED_SCHEMA = pl.Schema({"by": pl.String, "key": pl.String, "domain": pl.String,
                            "urgent": pl.Boolean, "important": pl.Boolean,
                            "reason": pl.String})


def normalized_title(title: pl.Expr) -> pl.Expr:
    """The pattern of a title: lower case, without numbers, times and dates, punctuation
    or emoji ("MGT 08:00-16:00 Cedar Ward" and "MGT 07:30-15:30 Cedar ward" are one)."""
    return (title.str.to_lowercase()
            .str.replace_all(r"\d+", " ")
            .str.replace_all(r"[^\p{L}\p{M}]+", " ")
            .str.strip_chars())


def learned_corrections(events: pl.DataFrame, overrides: pl.DataFrame | None
                        ) -> pl.DataFrame | None:
    """What the overrides teach about the other events of ``events`` (None: nothing).

    For every overridden occurrence in ``events`` (by event or by series): its series
    (an event override speaks for its series too) and its normalized title get the
    corrected attributes. A title pattern shorter than three letters teaches nothing (it
    is too vague), and where corrections of one pattern disagree the latest one counts.
    """
    if overrides is None or overrides.height == 0 or events.height == 0:
        return None
    table = overrides.select(OVERRIDE_SCHEMA.names()).cast(dict(OVERRIDE_SCHEMA))
    events = events.select(pl.col(s.EVENT_ID, s.SERIES_ID, s.TITLE).cast(pl.String))
    corrected = pl.concat([
        events.join(table.filter(pl.col("scope") == scope), left_on=column, right_on="key",
                    how="inner", maintain_order="left")
        .select(s.SERIES_ID, s.TITLE, *ATTRIBUTES, pl.lit(rank).alias("rank"))
        for scope, column, rank in ((EVENT_SCOPE, s.EVENT_ID, 0), (SERIES_SCOPE, s.SERIES_ID, 1))
    ]).with_columns(normalized_title(pl.col(s.TITLE)).alias("pattern"))
    if corrected.height == 0:
        return None
    reason = pl.format('like "{}" (your correction)', pl.col(s.TITLE))
    by_series = (corrected.filter(pl.col(s.SERIES_ID).is_not_null())
                 .sort("rank").unique(s.SERIES_ID, keep="first", maintain_order=True)
                 .select(pl.lit("series").alias("by"), pl.col(s.SERIES_ID).alias("key"),
                         *ATTRIBUTES, reason.alias("reason")))
    by_title = (corrected.filter(pl.col("pattern").str.len_chars() >= 3)
                .sort("rank").unique("pattern", keep="first", maintain_order=True)
                .select(pl.lit("title").alias("by"), pl.col("pattern").alias("key"),
                        *ATTRIBUTES, reason.alias("reason")))
    return pl.concat([by_series, by_title]).cast(dict(LEARNED_SCHEMA))


# What an hour of each kind is worth asking about: an unknown domain counts double a
# calendar guess (which knows nothing of the event itself), a keyword guess half of one
# (a word in the title is a sign about this very event).
_UNKNOWN_WEIGHT = 2.0
_KEYWORD_WEIGHT = 0.5
UNCERTAIN_SOURCES = ("none", "keywords", "calendar guess")


def uncertain() -> pl.Expr:
    """An occurrence whose domain (or quadrant) is unknown or only a guess: a keyword or
    what its calendar looks like (not confirmed by another sign), or a candidate for
    integrated."""
    guess = pl.col("domain_source").is_in(UNCERTAIN_SOURCES) | (pl.col("domain") == "integrated")
    return ((guess & ~pl.col("domain_confident"))
            | (pl.col("quadrant") == "unclassified")).fill_null(True)


def suggest_corrections(events: pl.DataFrame, limit: int = 8, *,
                        minutes: str = "attributed_minutes") -> pl.DataFrame:
    """The corrections that would settle the most unknown or uncertain counted hours, best
    first: one per title pattern (a correction teaches every event with that pattern).
    Unclassified hours weigh 2, calendar guesses and integrated candidates 1, keyword
    guesses 0.5.

    ``events``: classified occurrences with their minutes (`Audit.minutes_per_event`).
    Columns: ``title`` (the one with the most time), ``event_id`` and ``series_id`` of an
    occurrence to correct, ``occurrences``, ``hours``, ``domain``, ``urgent``,
    ``important`` (what timeaudit says now), and ``why`` ("unclassified" or how it guessed).
    """
    counted = events.filter(pl.col("counted") & uncertain())
    if counted.height == 0:
        return pl.DataFrame(schema={
            "title": pl.String, "event_id": pl.String, "series_id": pl.String,
            "occurrences": pl.UInt32, "hours": pl.Float64, "domain": pl.String,
            "urgent": pl.Boolean, "important": pl.Boolean, "why": pl.String})
    unknown = (pl.col("domain") == "unclassified") | (pl.col("quadrant") == "unclassified")
    weight = (pl.when(unknown).then(_UNKNOWN_WEIGHT)
              .when(pl.col("domain_source") == "keywords").then(_KEYWORD_WEIGHT)
              .otherwise(1.0))
    return (
        counted.with_columns(
            normalized_title(pl.col(s.TITLE)).alias("pattern"),
            (pl.col(minutes) * weight).alias("score"),
            pl.when(unknown).then(pl.lit("unclassified"))
            .otherwise(pl.col("domain_source")).alias("why"))
        .sort(minutes, s.START, descending=[True, False])
        .group_by("pattern", maintain_order=True)
        .agg(pl.col(s.TITLE).first(), pl.col(s.EVENT_ID).first(),
             pl.col(s.SERIES_ID).first(), pl.len().alias("occurrences"),
             (pl.col(minutes).sum() / 60).round(2).alias("hours"),
             pl.col("score").sum(), pl.col("domain").first(), pl.col("urgent").first(),
             pl.col("important").first(), pl.col("why").first())
        .sort("score", "title", descending=[True, False])
        .head(limit)
        .select("title", "event_id", "series_id", "occurrences", "hours", "domain",
                "urgent", "important", "why")
    )
