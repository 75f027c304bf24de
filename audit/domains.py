"""The words of classification (SPEC §5): domains, quadrants and the shape of overrides."""

from __future__ import annotations

from enum import StrEnum

import polars as pl


class Domain(StrEnum):
    WORK = "work"
    LIFE = "life"
    INTEGRATED = "integrated"  # deliberately serves both: a walking 1:1, a team lunch
    UNCLASSIFIED = "unclassified"


class Quadrant(StrEnum):
    DO = "do"  # urgent and important
    SCHEDULE = "schedule"  # important, not urgent
    DELEGATE = "delegate"  # urgent, not important
    ELIMINATE = "eliminate"  # neither
    UNCLASSIFIED = "unclassified"  # urgent or important unknown


class DomainSource(StrEnum):
    """Which tier of SPEC §5 decided an occurrence's domain (column ``domain_source``)."""

    OVERRIDE = "override"  # the person set it for this event or its series
    RULE = "rule"  # one of the person's [[rules]]
    CORRECTION = "correction"  # like an event the person corrected (same series / title)
    CALENDAR = "calendar"  # a [[calendars]] default the person set
    EVIDENCE = "evidence"  # facts about the event: kind, people in it, leave, a shift
    KEYWORDS = "keywords"  # a keyword of the shipped default pack
    CALENDAR_GUESS = "calendar guess"  # what the calendar as a whole looks like
    NONE = "none"  # nothing decided: unclassified


# What a rule, a calendar default or an override may set; "unclassified" is only an outcome.
DOMAINS: tuple[str, ...] = (Domain.WORK, Domain.LIFE, Domain.INTEGRATED)

EVENT_SCOPE = "event"
SERIES_SCOPE = "series"

# Manual overrides as `classify_events` takes them and `store.load_overrides` returns them:
# one row per (scope, key); key is an event_id (scope "event") or a series_id ("series");
# a null attribute is not overridden.
OVERRIDE_SCHEMA = pl.Schema(
    {
        "scope": pl.String,
        "key": pl.String,
        "domain": pl.String,
        "urgent": pl.Boolean,
        "important": pl.Boolean,
    }
)
