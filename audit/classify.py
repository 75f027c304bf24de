"""Classification (SPEC §5): domain, urgent, important, quadrant and a readable reason per event."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from audit import schema as s
from audit.config import Config, Rule, load_default_rules
from audit.domains import EVENT_SCOPE, OVERRIDE_SCHEMA, SERIES_SCOPE, Domain, Quadrant
from audit.rules import compile_rule, source_is

DOMAIN = "domain"
URGENT = "urgent"
IMPORTANT = "important"
QUADRANT = "quadrant"
REASON = "reason"
ATTRIBUTES = (DOMAIN, URGENT, IMPORTANT)

# Columns classify_events adds to the event frame (SPEC §3).
CLASSIFIED_SCHEMA = pl.Schema(
    {DOMAIN: pl.String, URGENT: pl.Boolean, IMPORTANT: pl.Boolean, QUADRANT: pl.String,
     REASON: pl.String}
)

_DTYPES = {DOMAIN: pl.String, URGENT: pl.Boolean, IMPORTANT: pl.Boolean}
_HELPER = "__timeaudit_"  # prefix of the temporary match columns; dropped before returning


@dataclass(frozen=True)
class _Step:
    """One link of a precedence chain: when ``when`` holds, ``value`` decides, for ``reason``."""

    when: pl.Expr
    value: pl.Expr
    reason: pl.Expr


def classify_events(events: pl.LazyFrame, config: Config,
                    overrides: pl.DataFrame | None = None, *,
                    default_rules: Sequence[Rule] | None = None) -> pl.LazyFrame:
    """Add ``domain``, ``urgent``, ``important``, ``quadrant`` and ``reason`` (SPEC §5).

    For each attribute the first source that has an answer decides it: manual override
    (event before series) > user rules (in order) > calendar default (domain only) >
    evidence > default pack (``default_rules``, the shipped pack when None) > fallback.
    """
    pack = load_default_rules() if default_rules is None else tuple(default_rules)
    rules = [(f"{_HELPER}user{i}", f'rule "{rule.name}"', rule)
             for i, rule in enumerate(config.rules)]
    packed = [(f"{_HELPER}pack{i}", f'default "{rule.name}"', rule) for i, rule in enumerate(pack)]
    # Each rule is evaluated once into a column that all three chains then read.
    matches = [compile_rule(rule, timezone=config.timezone, work_domains=config.work_domains)
               .alias(column) for column, _, rule in rules + packed]
    decided: list[pl.Expr] = []
    reasons: list[pl.Expr] = []
    for attribute in ATTRIBUTES:
        steps = [*_override_steps(attribute, overrides),
                 *_rule_steps(attribute, rules),
                 *_calendar_steps(attribute, config),
                 *_evidence_steps(attribute, config),
                 *_rule_steps(attribute, packed),
                 *_fallback_steps(attribute)]
        decided.append(_chain(steps, "value", _DTYPES[attribute]).alias(attribute))
        reasons.append(pl.lit(f"{attribute}: ") + _chain(steps, "reason", pl.String)
                       .fill_null(pl.lit("no rule matched")))
    return (events
            .with_columns(matches)
            .with_columns(*decided, pl.concat_str(reasons, separator="; ").alias(REASON))
            .with_columns(pl.col(DOMAIN).fill_null(pl.lit(Domain.UNCLASSIFIED.value)),
                          _quadrant().alias(QUADRANT))
            .select(pl.exclude(f"^{_HELPER}.*$"))
            .select(pl.exclude(REASON), pl.col(REASON)))


def _chain(steps: Sequence[_Step], field: str, dtype: Any) -> pl.Expr:
    """One ordered ``when/then`` chain: the first step whose condition holds decides."""
    none = pl.lit(None, dtype=dtype)
    if not steps:
        return none
    chain: Any = pl
    for step in steps:
        chain = chain.when(step.when).then(getattr(step, field))
    return chain.otherwise(none)


def _quadrant() -> pl.Expr:
    urgent, important = pl.col(URGENT), pl.col(IMPORTANT)
    unknown = urgent.is_null() | important.is_null()
    return (pl.when(unknown).then(pl.lit(Quadrant.UNCLASSIFIED.value))
            .when(urgent & important).then(pl.lit(Quadrant.DO.value))
            .when(important).then(pl.lit(Quadrant.SCHEDULE.value))
            .when(urgent).then(pl.lit(Quadrant.DELEGATE.value))
            .otherwise(pl.lit(Quadrant.ELIMINATE.value)))


def _override_steps(attribute: str, overrides: pl.DataFrame | None) -> list[_Step]:
    """Event-level overrides beat series-level ones; a null attribute is not overridden."""
    if overrides is None or overrides.height == 0:
        return []
    table = (overrides.select(OVERRIDE_SCHEMA.names()).cast(dict(OVERRIDE_SCHEMA))
             .filter(pl.col(attribute).is_not_null())
             .unique(subset=["scope", "key"], keep="last", maintain_order=True))
    steps = []
    for scope, column, reason in ((EVENT_SCOPE, s.EVENT_ID, "override (this event)"),
                                  (SERIES_SCOPE, s.SERIES_ID, "override (all occurrences)")):
        rows = table.filter(pl.col("scope") == scope)
        if rows.height:
            value = pl.col(column).replace_strict(rows["key"], rows[attribute], default=None,
                                                  return_dtype=_DTYPES[attribute])
            steps.append(_Step(value.is_not_null(), value, pl.lit(reason)))
    return steps


def _rule_steps(attribute: str, rules: Sequence[tuple[str, str, Rule]]) -> list[_Step]:
    return [_Step(pl.col(column), pl.lit(getattr(rule, attribute), dtype=_DTYPES[attribute]),
                  pl.lit(reason))
            for column, reason, rule in rules if getattr(rule, attribute) is not None]


def _calendar_steps(attribute: str, config: Config) -> list[_Step]:
    if attribute != DOMAIN:
        return []
    return [_Step(source_is(default.source), pl.lit(default.domain),
                  pl.lit(f'calendar "{default.source}"')) for default in config.calendars]


def _lead_time() -> pl.Expr:
    """How long before its start the event was created, for people: "3 h before"."""
    lead = pl.col(s.START) - pl.col(s.CREATED)
    minutes = lead.dt.total_minutes()
    return (pl.when(minutes < 0).then(pl.lit("after it started"))
            .when(minutes < 60).then(pl.format("{} min before", minutes))
            .when(minutes < 48 * 60).then(pl.format("{} h before", lead.dt.total_hours()))
            .otherwise(pl.format("{} d before", lead.dt.total_days())))


def _evidence_steps(attribute: str, config: Config) -> list[_Step]:
    """Facts about the event itself, which outrank the keyword guesses of the default pack."""
    focus = (pl.col(s.KIND) == "focus").fill_null(False)
    focus_value = {DOMAIN: Domain.WORK.value, URGENT: False, IMPORTANT: True}[attribute]
    steps = [_Step(focus, pl.lit(focus_value, dtype=_DTYPES[attribute]),
                   pl.lit("focus block"))]
    if attribute == URGENT:
        threshold = pl.duration(microseconds=round(config.urgency.short_notice_hours * 3.6e9))
        short = ((pl.col(s.START) - pl.col(s.CREATED)) < threshold).fill_null(False)
        steps.append(_Step(short, pl.lit(True),
                           pl.format("short notice (created {})", _lead_time())))
    return steps


def _fallback_steps(attribute: str) -> list[_Step]:
    """Created well ahead (not short notice, or evidence would have decided): not urgent."""
    if attribute != URGENT:
        return []
    return [_Step(pl.col(s.CREATED).is_not_null(), pl.lit(False),
                  pl.format("planned ahead (created {})", _lead_time()))]
