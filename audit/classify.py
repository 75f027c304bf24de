"""Classification (SPEC §5): domain, urgent, important, quadrant and a readable reason per event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from audit import schema as s
from audit.config import Config, Rule, load_default_rules
from audit.domains import EVENT_SCOPE, OVERRIDE_SCHEMA, SERIES_SCOPE, Domain, Quadrant
from audit.rules import is_external, local_wall_clock, rule_conditions

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


_WORD = 64  # rules per UInt64 word of match bits
_ALL = (1 << _WORD) - 1


@dataclass(frozen=True)
class _Matcher:
    """A rule (or calendar default) with its place in the match bits and its reason."""

    bit: int
    reason: str
    rule: Rule


def classify_events(events: pl.LazyFrame, config: Config,
                    overrides: pl.DataFrame | None = None, *,
                    default_rules: Sequence[Rule] | None = None) -> pl.LazyFrame:
    """Add ``domain``, ``urgent``, ``important``, ``quadrant`` and ``reason`` (SPEC §5).

    For each attribute the first source that has an answer decides it: manual override
    (event before series) > user rules (in order) > calendar default (domain only) >
    evidence > default pack (``default_rules``, the shipped pack when None) > fallback.

    How it stays fast on a million rows: every rule is evaluated once, into one bit of
    UInt64 "match words" (bit i = rule i matches), and each attribute's "first matching
    rule that sets it" is the lowest set bit of the words masked to those rules. A text
    condition (regex or glob on title, description, location, calendar, source,
    organizer) is evaluated once per *distinct* value of its column, not per row: a
    calendar repeats its titles. The input is collected here; the decisions stay lazy.
    """
    pack = load_default_rules() if default_rules is None else tuple(default_rules)
    frame = events.lazy().collect()
    user = [_Matcher(i, f'rule "{rule.name}"', rule) for i, rule in enumerate(config.rules)]
    packed = [_Matcher(len(user) + i, f'default "{rule.name}"', rule)
              for i, rule in enumerate(pack)]
    # calendar defaults are one more kind of rule: a source condition that sets the domain
    calendars = [_Matcher(len(user) + len(packed) + i, f'calendar "{default.source}"',
                          Rule(name=default.source, source=default.source,
                               domain=default.domain))
                 for i, default in enumerate(config.calendars)]
    matchers = [*user, *packed, *calendars]
    words = _match_words(frame, matchers, config)
    words_expr = [pl.col(f"{_HELPER}w{j}") for j in range(len(words))]
    # what several chains read is computed once, into a helper column
    helpers: dict[str, pl.Expr] = {_LEAD: _lead_time()}

    def helper(name: str, expr: pl.Expr) -> pl.Expr:
        helpers[f"{_HELPER}{name}"] = expr
        return pl.col(f"{_HELPER}{name}")

    parts: list[pl.Expr] = []
    decided: list[pl.Expr] = []
    for attribute in ATTRIBUTES:
        steps = [*_override_steps(attribute, overrides, helper),
                 *_rule_steps(attribute, user, words_expr, helper, "user"),
                 *_rule_steps(attribute, calendars, words_expr, helper, "calendar"),
                 *_evidence_steps(attribute, config),
                 *_rule_steps(attribute, packed, words_expr, helper, "pack"),
                 *_fallback_steps(attribute)]
        decided.append(_chain(steps, "value", _DTYPES[attribute]).alias(attribute))
        parts += [pl.lit(f"{'; ' if parts else ''}{attribute}: "),
                  _chain(steps, "reason", pl.String).fill_null(pl.lit("no rule matched"))]
    return (frame.lazy()
            .with_columns(pl.lit(w).alias(f"{_HELPER}w{j}") for j, w in enumerate(words))
            .with_columns(expr.alias(name) for name, expr in helpers.items())
            .with_columns(*decided, pl.concat_str(parts).alias(REASON))
            .with_columns(pl.col(DOMAIN).fill_null(pl.lit(Domain.UNCLASSIFIED.value)),
                          _quadrant().alias(QUADRANT))
            .select(pl.exclude(f"^{_HELPER}.*$"))
            .select(pl.exclude(REASON), pl.col(REASON)))


def _word_lit(value: int) -> pl.Expr:
    return pl.lit(value, dtype=pl.UInt64)


def _match_words(frame: pl.DataFrame, matchers: Sequence[_Matcher],
                 config: Config) -> list[pl.Series]:
    """The match bits of every row: word j holds the matchers with bits 64j..64j+63."""
    count = max(1, -(-len(matchers) // _WORD))
    # what several rules read is computed once, as a helper column
    helpers = {f"{_HELPER}local_start": local_wall_clock(s.START, config.timezone),
               f"{_HELPER}local_end": local_wall_clock(s.END, config.timezone),
               f"{_HELPER}external": is_external(config.work_domains)}
    local_start, local_end, external = (pl.col(name) for name in helpers)
    needed = {f"{_HELPER}local_start": any(m.rule.weekdays or m.rule.time for m in matchers),
              f"{_HELPER}local_end": any(m.rule.time for m in matchers),
              f"{_HELPER}external": any(m.rule.external is not None for m in matchers)}
    by_column: dict[str, list[tuple[int, pl.Expr]]] = {}
    per_row: list[tuple[int, pl.Expr]] = []
    for matcher in matchers:
        for column, condition in rule_conditions(
                matcher.rule, timezone=config.timezone, work_domains=config.work_domains,
                local_start=local_start, local_end=local_end, external=external):
            target = per_row if column is None else by_column.setdefault(column, [])
            target.append((matcher.bit, condition))
    words = [pl.repeat(_ALL, frame.height, dtype=pl.UInt64, eager=True) for _ in range(count)]
    for column, conditions in by_column.items():
        for j, bits in enumerate(_distinct_bits(frame.get_column(column), conditions, count)):
            words[j] = words[j] & bits
    if not per_row:
        return words
    # conditions on the whole row clear their rule's bit where they do not hold
    return list(
        frame.lazy()
        .with_columns(expr.alias(name) for name, expr in helpers.items() if needed[name])
        .select(_clear_bits(pl.lit(word), j, per_row).alias(f"w{j}")
                for j, word in enumerate(words))
        .collect().get_columns()
    )


def _clear_bits(word: pl.Expr, j: int, conditions: Sequence[tuple[int, pl.Expr]]) -> pl.Expr:
    """``word`` (number j) with the bit of each condition cleared where it does not hold."""
    for bit, condition in conditions:
        if bit // _WORD == j:
            word = word & pl.when(condition).then(_word_lit(_ALL)).otherwise(
                _word_lit(_ALL ^ (1 << (bit % _WORD))))
    return word


def _distinct_bits(values: pl.Series, conditions: Sequence[tuple[int, pl.Expr]],
                   count: int) -> list[pl.Series]:
    """Per row, the match bits of ``conditions`` (all reading the column ``values``): set
    where the condition holds, and for every matcher without a condition on it.

    Each condition is evaluated once per distinct value; the rows find their value's bits
    through a 64-bit hash of the value (and the value itself is compared, so a hash
    collision falls back to evaluating every row).
    """
    name = values.name

    def bits_of(frame: pl.DataFrame) -> pl.DataFrame:
        # lazily: the streaming engine spreads even one long expression over the threads
        return frame.lazy().select(
            _clear_bits(_word_lit(_ALL), j, conditions).alias(f"{_HELPER}w{j}")
            for j in range(count)
        ).collect()

    hashes = values.hash(seed=0).alias(f"{_HELPER}h")
    first = hashes.arg_unique()
    distinct = pl.DataFrame([hashes.gather(first), values.gather(first)])
    table = pl.concat([distinct, bits_of(distinct)], how="horizontal")
    found = (pl.DataFrame([hashes]).join(table, on=hashes.name, how="left",
                                         maintain_order="left"))
    if not found.get_column(name).eq_missing(values).all():
        found = bits_of(values.to_frame())
    return [found.get_column(f"{_HELPER}w{j}") for j in range(count)]


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


def _override_steps(attribute: str, overrides: pl.DataFrame | None,
                    helper: Callable[[str, pl.Expr], pl.Expr]) -> list[_Step]:
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
            value = helper(f"override_{scope}_{attribute}", pl.col(column).replace_strict(
                rows["key"], rows[attribute], default=None, return_dtype=_DTYPES[attribute]))
            steps.append(_Step(value.is_not_null(), value, pl.lit(reason)))
    return steps


def _rule_steps(attribute: str, matchers: Sequence[_Matcher], words: Sequence[pl.Expr],
                helper: Callable[[str, pl.Expr], pl.Expr], group: str) -> list[_Step]:
    """One step for a group of rules: the first of them that matches and sets
    ``attribute`` decides it (the lowest set bit of the match words, masked to them)."""
    setting = [m for m in matchers if getattr(m.rule, attribute) is not None]
    if not setting:
        return []
    size = max(m.bit for m in matchers) + 1
    values: list[Any] = [None] * size
    reasons: list[str | None] = [None] * size
    masks = [0] * len(words)
    for m in setting:
        values[m.bit] = getattr(m.rule, attribute)
        reasons[m.bit] = m.reason
        masks[m.bit // _WORD] |= 1 << (m.bit % _WORD)
    index: Any = pl
    for j, (word, mask) in enumerate(zip(words, masks, strict=True)):
        if mask:
            hits = word & _word_lit(mask)
            index = index.when(hits != 0).then(hits.bitwise_trailing_zeros() + j * _WORD)
    first = helper(f"first_{group}_{attribute}", index.otherwise(None))
    return [_Step(first.is_not_null(),
                  pl.lit(pl.Series(values, dtype=_DTYPES[attribute])).gather(first),
                  pl.lit(pl.Series(reasons, dtype=pl.String)).gather(first))]


_LEAD = f"{_HELPER}lead"  # the helper column that holds `_lead_time`


def _lead_time() -> pl.Expr:
    """How long before its start the event was created, for people: "3 h before".

    Built with one number-to-text cast and one concatenation per row; the reasons read
    it from the helper column ``_LEAD``.
    """
    lead = pl.col(s.START) - pl.col(s.CREATED)
    minutes = lead.dt.total_minutes()
    number = (pl.when(minutes < 60).then(minutes)
              .when(minutes < 48 * 60).then(lead.dt.total_hours())
              .otherwise(lead.dt.total_days()))
    unit = (pl.when(minutes < 60).then(pl.lit(" min before"))
            .when(minutes < 48 * 60).then(pl.lit(" h before"))
            .otherwise(pl.lit(" d before")))
    return (pl.when(minutes < 0).then(pl.lit("after it started"))
            .otherwise(pl.concat_str(number.cast(pl.String), unit)))


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
                           pl.format("short notice (created {})", pl.col(_LEAD))))
    return steps


def _fallback_steps(attribute: str) -> list[_Step]:
    """Created well ahead (not short notice, or evidence would have decided): not urgent."""
    if attribute != URGENT:
        return []
    return [_Step(pl.col(s.CREATED).is_not_null(), pl.lit(False),
                  pl.format("planned ahead (created {})", pl.col(_LEAD)))]
