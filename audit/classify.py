"""Classification (SPEC §5): domain, urgent, important, quadrant and a readable reason per event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl

from audit.config import Config, Rule, load_default_rules
from audit.domains import (
    EVENT_SCOPE,
    OVERRIDE_SCHEMA,
    SERIES_SCOPE,
    Domain,
    DomainSource,
    Quadrant,
)
from audit.evidence import LEAVE_TITLE, PEOPLE, SHIFT_TITLE, infer_calendars, people_frame
from audit.learning import learned_corrections, normalized_title
from audit.rules import local_wall_clock, rule_conditions
from core import schema as s

DOMAIN = "domain"
URGENT = "urgent"
IMPORTANT = "important"
QUADRANT = "quadrant"
REASON = "reason"
DOMAIN_SOURCE = "domain_source"  # which tier decided the domain (`DomainSource`)
CONFIDENT = "domain_confident"  # the domain is positively known, not a guess (SPEC §9)
ATTRIBUTES = (DOMAIN, URGENT, IMPORTANT)

# Columns classify_events adds to the event frame (SPEC §3).
CLASSIFIED_SCHEMA = pl.Schema(
    {DOMAIN: pl.String, URGENT: pl.Boolean, IMPORTANT: pl.Boolean, QUADRANT: pl.String,
     DOMAIN_SOURCE: pl.String, CONFIDENT: pl.Boolean, REASON: pl.String}
)

_DTYPES = {DOMAIN: pl.String, URGENT: pl.Boolean, IMPORTANT: pl.Boolean}
_HELPER = "__timeaudit_"  # prefix of the temporary match columns; dropped before returning


@dataclass(frozen=True)
class _Step:
    """One link of a precedence chain: when ``when`` holds, ``value`` decides, for ``reason``.

    ``source`` is the tier (`DomainSource`), ``confident`` whether the answer is positively
    known (an override, a rule, a calendar default, strong evidence) or a guess.
    """

    when: pl.Expr
    value: Any  # an expression, or a constant (cheaper: see `_pick`)
    reason: Any
    source: str = DomainSource.NONE
    confident: Any = False


@dataclass(frozen=True)
class _Matcher:
    """A rule (or calendar default) with the name of its match column and its reason."""

    column: str  # the boolean column of `_rule_matches`: the rule holds for the row
    reason: str
    rule: Rule


def classify_events(events: pl.LazyFrame, config: Config,
                    overrides: pl.DataFrame | None = None, *,
                    default_rules: Sequence[Rule] | None = None) -> pl.LazyFrame:
    """Add ``domain``, ``urgent``, ``important``, ``quadrant``, ``domain_source``,
    ``domain_confident`` and ``reason`` (SPEC §5).

    For each attribute the first source that has an answer decides it: manual override
    (event before series) > user rules (in order) > corrections learned from overrides
    (same series, same title pattern) > calendar default (domain only) > evidence >
    default pack > fallback. For the domain, the evidence and the pack interleave (see
    `_domain_steps` and docs/classification.md): facts about the event come first, then
    keywords, and what the calendar as a whole looks like (`audit.evidence`) last.

    Every rule is evaluated once, into a named boolean column (`_rule_matches`); each
    attribute is then one ordered ``when/then`` chain of steps (`_index`). The input is
    collected here; the decisions stay lazy.
    """
    pack = load_default_rules() if default_rules is None else tuple(default_rules)
    frame = events.lazy().collect()

    def matchers(kind: str, rules: Sequence[Rule], reason: str) -> list[_Matcher]:
        return [_Matcher(f"{_HELPER}{kind}_{i}", reason.format(rule.name), rule)
                for i, rule in enumerate(rules)]

    user = matchers("rule", config.rules, 'rule "{}"')
    packed = matchers("pack", pack, 'default "{}"')
    # calendar defaults are one more kind of rule: a source condition that sets the domain
    calendars = matchers("calendar", [Rule(name=d.source, source=d.source, domain=d.domain)
                                      for d in config.calendars], 'calendar "{}"')
    # shift titles are read once per distinct title, like the rules' text conditions
    shift, leave = matchers("evidence", [Rule(name="shift", title=SHIFT_TITLE, domain="work"),
                                         Rule(name="leave", title=LEAVE_TITLE, domain="life")],
                            "{}")
    rules = [m.rule for m in (*user, *packed, *calendars)]
    # who is in each event, once per distinct organizer and attendee domains; with it
    # whether someone is external, which rules read (per row: ≈ 0.06 s CPU at 1M,
    # benchmarks/engine.py)
    people = people_frame(frame, config.work_domains, config.owner_emails,
                          external=any(r.external is not None for r in rules))
    matches = _rule_matches(frame, [*user, *packed, *calendars, shift, leave], config, people)
    # what several chains read is computed once, into a helper column
    # (a helper that reads another helper goes into a later stage)
    helpers: dict[str, pl.Expr] = dict(zip((_LEAD, _LEAD_UNIT),
                                           _lead_number_and_unit(pl.col(s.START),
                                                                 pl.col(s.CREATED)),
                                           strict=True))
    later: dict[str, pl.Expr] = {}

    def helper(name: str, expr: pl.Expr, *, stage: int = 0) -> pl.Expr:
        (later if stage else helpers)[f"{_HELPER}{name}"] = expr
        return pl.col(f"{_HELPER}{name}")

    facts = _facts(frame, config, people, matches, shift, leave, helper)
    learned = learned_corrections(frame, overrides)
    # the domain the keyword pack gives (its first rule that matches and sets one)
    pack_domain = _rule_steps(DOMAIN, packed)
    # (as the number of that rule: the reason text is looked up by it only where it is
    # written, `_reasons`, and the domain tests are integer tests, not text per row)
    pack_number = helper("pack", _index(pack_domain, matches.answers), stage=1)
    facts["pack_is"] = {d: pack_number.is_in([n for n, step in enumerate(pack_domain)
                                              if step.value == d.value]).fill_null(False)
                        for d in Domain}
    facts["pack_reason"] = _lookup([step.reason for step in pack_domain], pack_number)
    if learned is not None:
        helper("normalized", normalized_title(pl.col(s.TITLE)))

    def steps_for(attribute: str) -> list[_Step]:
        head = [*_override_steps(attribute, overrides, helper),
                *_rule_steps(attribute, user, DomainSource.RULE),
                *_correction_steps(attribute, learned, helper)]
        if attribute == DOMAIN:
            return [*head, *_rule_steps(attribute, calendars, DomainSource.CALENDAR),
                    *_domain_steps(facts)]
        return [*head, *_evidence_steps(attribute, config, facts),
                *_rule_steps(attribute, packed),
                *_fallback_steps(attribute)]

    # Each chain decides once which step applies (a small integer per row); the value,
    # source and confidence are then looked up by that index (`_pick`), the reason text
    # once per distinct combination of steps (`_reasons`).
    domain_steps = steps_for(DOMAIN)
    domain_index = pl.col(_STEP_DOMAIN)
    first = [_pick(domain_steps, "value", domain_index, pl.String).alias(DOMAIN),
             _pick(domain_steps, "source", domain_index, pl.String)
             .fill_null(DomainSource.NONE.value).alias(DOMAIN_SOURCE),
             _pick(domain_steps, "confident", domain_index, pl.Boolean).fill_null(False)
             .alias(CONFIDENT)]
    indices, decided = [], []
    chains = [(DOMAIN, domain_steps, _STEP_DOMAIN)]
    for attribute in (URGENT, IMPORTANT):
        steps = steps_for(attribute)
        name = f"{_HELPER}step_{attribute}"
        indices.append(_index(steps, matches.answers).alias(name))
        decided.append(_pick(steps, "value", pl.col(name), _DTYPES[attribute]).alias(attribute))
        chains.append((attribute, steps, name))
    classified = (frame.lazy()
                  .with_columns(matches.frame.get_columns())
                  .with_columns(matches.lazy.values())
                  .with_columns(expr.alias(name) for name, expr in helpers.items())
                  .with_columns(expr.alias(name) for name, expr in later.items())
                  .with_columns(_index(domain_steps, matches.answers).alias(_STEP_DOMAIN))
                  .with_columns(*first, *indices)
                  .with_columns(*decided)
                  .with_columns(pl.col(DOMAIN).fill_null(pl.lit(Domain.UNCLASSIFIED.value)),
                                _quadrant().alias(QUADRANT))
                  # (a matcher column nothing reads any more is not computed at all)
                  .drop(matches.columns)
                  .collect())
    return (classified.lazy()
            .with_columns(_reasons(classified, chains))
            .select(pl.exclude(f"^{_HELPER}.*$"))
            .select(pl.exclude(DOMAIN_SOURCE, CONFIDENT, REASON), DOMAIN_SOURCE, CONFIDENT,
                    REASON))


def _reasons(frame: pl.DataFrame,
             chains: Sequence[tuple[str, Sequence[_Step], str]]) -> pl.Series:
    """``reason``: "domain: …; urgent: …; important: …", the reason of the step each
    chain (attribute, its steps, the column of its step index) took for the row.

    A row's text depends only on its three step indices and on the columns that the
    reasons of the steps it took read (a calendar's evidence, the lead time…), so it is
    written once per distinct combination of those and joined back: a million rows have
    a few thousand (benchmarks/engine.py at 1M: 3,369 texts of ≈ 108 characters; the
    concatenation per row took ≈ 0.45 s CPU). A column a row's steps do not read is null
    in its key, so it does not multiply the combinations.
    """
    parts: list[pl.Expr] = []
    reads: dict[str, list[pl.Expr]] = {}  # column → the rows that read it
    for number, (attribute, steps, index) in enumerate(chains):
        parts += [pl.lit(f"{'; ' if number else ''}{attribute}: "),
                  _pick(steps, "reason", pl.col(index), pl.String)
                  .fill_null(pl.lit("no rule matched"))]
        dynamic: dict[str, list[int]] = {}
        for step_number, step in enumerate(steps):
            if isinstance(step.reason, pl.Expr):
                for column in step.reason.meta.root_names():
                    dynamic.setdefault(column, []).append(step_number)
        for column, numbers in dynamic.items():
            reads.setdefault(column, []).append(pl.col(index).is_in(numbers).fill_null(False))
    indices = [index for _, _, index in chains]
    keys = frame.select(*indices, *(pl.when(pl.any_horizontal(rows)).then(pl.col(column))
                                    .alias(column) for column, rows in reads.items()))
    number = _combination_number(keys)
    if keys.height == 0:  # (`replace_strict` with nothing to replace keeps the integers)
        return pl.Series(REASON, [], pl.String)
    if number is None:  # the key does not fit one integer: joined back on all its columns
        texts = keys.unique().with_columns(pl.concat_str(parts).alias(REASON))
        return keys.join(texts, on=keys.columns, how="left", nulls_equal=True,
                         maintain_order="left").get_column(REASON)
    numbered = keys.with_columns(number.alias(_COMBINATION))
    texts = (numbered.filter(pl.col(_COMBINATION).is_first_distinct())
             .select(_COMBINATION, pl.concat_str(parts).alias(REASON)))
    return numbered.select(pl.col(_COMBINATION).replace_strict(
        texts[_COMBINATION], texts[REASON], return_dtype=pl.String)).to_series().alias(REASON)


_COMBINATION = f"{_HELPER}combination"


def _combination_number(keys: pl.DataFrame) -> pl.Expr | None:
    """One unsigned integer per row of ``keys`` that is equal exactly where the rows are
    (nulls equal), or None when it would not fit 63 bits or a column is neither integer
    nor text.

    Each column becomes a dense code (0 for null; an integer's offset from the column's
    minimum, a text's number among its distinct values) and the codes are the digits of
    one number in mixed radix. Finding the distinct combinations and looking each row's
    text up by one integer instead of joining on all key columns: benchmarks/engine.py at
    1M, `_reasons` ≈ 0.23 → ≈ 0.11 s wall (classify ≈ 1.1 → 0.85 s CPU), same texts.
    """
    integers = [c for c, dtype in keys.schema.items() if dtype.is_integer() and dtype != pl.UInt64]
    bounds = keys.select(*(pl.col(c).min().cast(pl.Int64).alias(f"{c} min") for c in integers),
                         *(pl.col(c).max().cast(pl.Int64).alias(f"{c} max") for c in integers)
                         ).row(0, named=True) if integers else {}
    number: pl.Expr = pl.lit(0, pl.UInt64)
    size = 1
    for column, dtype in keys.schema.items():
        if column in integers:
            low, high = bounds[f"{column} min"], bounds[f"{column} max"]
            if low is None:  # null throughout
                continue
            radix = high - low + 2
            if radix >= 2**63:
                return None
            code = pl.col(column).cast(pl.Int64) - low + 1
        elif dtype == pl.String:
            values = keys.get_column(column).unique().drop_nulls()
            code = pl.col(column).cast(pl.Enum(values)).to_physical().cast(pl.Int64) + 1
            radix = values.len() + 1
        else:
            return None
        size *= radix
        if size >= 2**63:
            return None
        number = number * radix + code.fill_null(0).cast(pl.UInt64)
    return number


def calendar_defaults(events: pl.DataFrame, config: Config) -> pl.DataFrame:
    """The calendars of ``events`` with the default timeaudit inferred for each (or null)
    and its evidence, and the configured default where the person set one
    (columns ``source``, ``calendar``, ``domain``, ``evidence``, ``configured``)."""
    inferred = infer_calendars(events, config.work_domains, config.owner_emails)
    configured = inferred.select(s.SOURCE).with_columns(
        _first_glob([(d.source, d.domain) for d in config.calendars]).alias("configured"))
    return inferred.join(configured, on=s.SOURCE, how="left", maintain_order="left").select(
        s.SOURCE, s.CALENDAR, "domain", "evidence", "configured")


def _first_glob(pairs: Sequence[tuple[str, str]]) -> pl.Expr:
    # audit.rules reads globs the way rules and [[calendars]] do
    from audit.rules import source_is  # noqa: PLC0415

    chain: Any = pl
    for glob, domain in pairs:
        chain = chain.when(source_is(glob)).then(pl.lit(domain))
    return chain.otherwise(pl.lit(None, pl.String)) if pairs else pl.lit(None, pl.String)


@dataclass(frozen=True)
class _Matches:
    """What `_rule_matches` found.

    ``frame``: per row, the matchers that read more than one text column (one boolean
    column each) and the helper columns ``_HELPER number_<column>`` (a row's value of a
    text column as its number among the distinct values); ``lazy``: the boolean column of
    every other matcher (all its conditions on one text column), as an expression that
    looks its answer up by that number, computed only if something reads it;
    ``answers``: for those, the number column and the answers per distinct value (one
    boolean column per matcher), which `_index` reads a whole run of rules from at once.
    """

    frame: pl.DataFrame
    lazy: dict[str, pl.Expr]
    answers: dict[str, tuple[str, pl.DataFrame]]

    @property
    def columns(self) -> list[str]:
        """The names of all matcher columns."""
        return [*(c for c in self.frame.columns if not c.startswith(_NUMBER)), *self.lazy]

    def get_column(self, name: str) -> pl.Series:
        if name in self.lazy:
            return self.frame.select(self.lazy[name].alias(name)).to_series()
        return self.frame.get_column(name)


_NUMBER = f"{_HELPER}number_"


def _rule_matches(frame: pl.DataFrame, matchers: Sequence[_Matcher],
                  config: Config, people: pl.DataFrame) -> _Matches:
    """One boolean column per matcher (named ``matcher.column``): all its conditions hold.

    A text condition (regex or glob on title, description, location, calendar, source,
    organizer) is evaluated once per *distinct* value of its column: a calendar repeats
    its titles (with ~60 rules on a million rows of 16 titles, per row would be a regex
    search per rule and row). The rows find their value's answer by its number in an
    enum of the distinct values: benchmarks/engine.py at 1M, 0.46 s CPU, where joining
    the answers back by value took 0.90 s.
    """
    rules = [m.rule for m in matchers]
    # what several rules read is computed once, as a helper column
    helpers = {f"{_HELPER}{name}": expr for name, expr, needed in (
        ("local_start", local_wall_clock(s.START, config.timezone),
         any(r.weekdays or r.time for r in rules)),
        ("local_end", local_wall_clock(s.END, config.timezone), any(r.time for r in rules)),
        ("external", pl.lit(people["external"]) if "external" in people.columns else None,
         any(r.external is not None for r in rules)),
    ) if needed}
    text: dict[str, dict[str, list[pl.Expr]]] = {}  # column → matcher → its conditions on it
    per_row: dict[str, list[pl.Expr]] = {m.column: [] for m in matchers}
    for matcher in matchers:
        for column, condition in rule_conditions(
                matcher.rule, timezone=config.timezone, work_domains=config.work_domains,
                **{name.removeprefix(_HELPER): pl.col(name) for name in helpers}):
            if column is None:
                per_row[matcher.column].append(condition)
            else:
                text.setdefault(column, {}).setdefault(matcher.column, []).append(condition)
    lazy: dict[str, pl.Expr] = {}
    answers: dict[str, tuple[str, pl.DataFrame]] = {}
    numbers: list[str] = []
    for column, conditions in text.items():
        values = frame.get_column(column).unique().drop_nulls()
        per_value = values.to_frame().select(pl.all_horizontal(exprs).alias(name)
                                             for name, exprs in conditions.items())
        # a row's value, as its number in ``values`` (an enum), picks its answers
        number = f"{_NUMBER}{column}"
        helpers[number] = pl.col(column).cast(pl.Enum(values)).to_physical()
        numbers.append(number)
        for name in conditions:
            answer = pl.lit(per_value[name]).gather(pl.col(number)).fill_null(False)
            if per_row[name] or sum(name in c for c in text.values()) > 1:
                per_row[name].append(answer)
            else:  # all its conditions read this column
                del per_row[name]
                lazy[name] = answer.alias(name)
                answers[name] = (number, per_value)
    matched = frame.lazy().with_columns(expr.alias(name) for name, expr in helpers.items()).select(
        *numbers,
        *((pl.all_horizontal(conditions) if conditions else pl.repeat(True, pl.len()))
          .alias(name) for name, conditions in per_row.items()),
    ).collect()
    return _Matches(matched, lazy, answers)


_STEP_DOMAIN = f"{_HELPER}step_domain"  # which step of the domain chain decided


def _index(steps: Sequence[_Step],
           answers: dict[str, tuple[str, pl.DataFrame]] | None = None) -> pl.Expr:
    """One ordered ``when/then`` chain: the number of the first step whose condition holds.

    A run of consecutive steps that are matchers on one text column (``answers`` of
    `_Matches`: the keyword pack's rules on titles) is one link: the first of them that
    matches is found per distinct value of the column and looked up per row by the
    value's number (benchmarks/engine.py at 1M: a lookup per chain instead of one per
    rule, and a chain of a few links instead of ~60: ≈ 0.2 s CPU less).
    """
    if not steps:
        return pl.lit(None, pl.Int16)
    answers = answers or {}

    def text_column(step: _Step) -> str | None:
        name = step.when.meta.output_name() if step.when.meta.is_column() else None
        return answers[name][0] if name in answers else None

    links: list[tuple[pl.Expr, pl.Expr]] = []  # (condition, step number)
    number = 0
    while number < len(steps):
        column = text_column(steps[number])
        end = number + 1
        while column is not None and end < len(steps) and text_column(steps[end]) == column:
            end += 1
        if end - number < 2:
            links.append((steps[number].when, pl.lit(number, pl.Int16)))
        else:
            names = [steps[n].when.meta.output_name() for n in range(number, end)]
            per_value = pl.DataFrame([answers[name][1].get_column(name) for name in names])
            first = per_value.select(_index([_Step(pl.col(name), None, None) for name in names])
                                     + number).to_series()
            run = pl.lit(first).gather(pl.col(column))
            links.append((run.is_not_null(), run))
        number = end
    chain: Any = pl
    for condition, value in links:
        chain = chain.when(condition).then(value)
    return chain.otherwise(pl.lit(None, pl.Int16))


def _pick(steps: Sequence[_Step], field: str, index: pl.Expr, dtype: Any) -> pl.Expr:
    """``field`` of the step ``index`` names: constants by one lookup, expressions by a
    chain on the index (a cheap integer comparison per step that has one)."""
    values = [getattr(step, field) for step in steps]
    constants = [None if isinstance(v, pl.Expr) else v for v in values]
    picked = pl.lit(pl.Series(constants or [None], dtype=dtype)).gather(index)
    dynamic = [(number, v) for number, v in enumerate(values) if isinstance(v, pl.Expr)]
    if not dynamic:
        return picked
    chain: Any = pl
    for number, value in dynamic:
        chain = chain.when(index == number).then(value)
    return chain.otherwise(picked)


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
            steps.append(_Step(value.is_not_null(), value, reason, DomainSource.OVERRIDE, True))
    return steps


def _correction_steps(attribute: str, learned: pl.DataFrame | None,
                      helper: Callable[[str, pl.Expr], pl.Expr]) -> list[_Step]:
    """What the person's overrides say about *similar* events (`audit.learning`): the
    other occurrences of a corrected series, then events with the same title pattern."""
    if learned is None:
        return []
    steps = []
    for by, column in (("series", s.SERIES_ID), ("title", f"{_HELPER}normalized")):
        rows = learned.filter((pl.col("by") == by) & pl.col(attribute).is_not_null())
        if rows.height == 0:
            continue
        value = helper(f"learned_{by}_{attribute}", pl.col(column).replace_strict(
            rows["key"], rows[attribute], default=None, return_dtype=_DTYPES[attribute]),
            stage=1)
        reason = pl.col(column).replace_strict(rows["key"], rows["reason"], default=None,
                                               return_dtype=pl.String)
        steps.append(_Step(value.is_not_null(), value, reason, DomainSource.CORRECTION, True))
    return steps


def _rule_steps(attribute: str, matchers: Sequence[_Matcher],
                source: DomainSource = DomainSource.KEYWORDS) -> list[_Step]:
    """One step per rule that sets ``attribute``, in order: the first that matches decides.
    Rules and calendar defaults are confident (the person said so), keywords are not."""
    return [_Step(pl.col(m.column), getattr(m.rule, attribute), m.reason, source,
                  source != DomainSource.KEYWORDS)
            for m in matchers if getattr(m.rule, attribute) is not None]


def _lookup(values: Sequence[Any], number: pl.Expr, dtype: Any = pl.String) -> pl.Expr:
    """``values[number]`` (null where ``number`` is null)."""
    return pl.lit(pl.Series(list(values) or [None], dtype=dtype)).gather(number)


_LEAD = f"{_HELPER}lead"  # the helper column that holds `_lead_number`
_LEAD_UNIT = f"{_HELPER}lead_unit"  # … and `_lead_unit`
_LEAD_UNITS = ("after it started", " min before", " h before", " d before")


def _lead_number_and_unit(start: pl.Expr, created: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """How long before ``start`` the event was created, as a number and the number of
    its unit in ``_LEAD_UNITS`` (0: created after it started, no number). Two integers
    per row: the text (`_lead_time`) is written once per distinct value (`_reasons`)."""
    lead = start - created
    minutes = lead.dt.total_minutes()
    number = (pl.when(minutes < 0).then(None)
              .when(minutes < 60).then(minutes)
              .when(minutes < 48 * 60).then(lead.dt.total_hours())
              .otherwise(lead.dt.total_days()))
    unit = (pl.when(minutes < 0).then(pl.lit(0, pl.Int8))
            .when(minutes < 60).then(pl.lit(1, pl.Int8))
            .when(minutes < 48 * 60).then(pl.lit(2, pl.Int8))
            .otherwise(pl.lit(3, pl.Int8)))
    return number, unit


def _lead_time() -> pl.Expr:
    """How long before its start the event was created, for people: "3 h before"
    (from the helper columns ``_LEAD`` and ``_LEAD_UNIT``)."""
    unit = pl.col(_LEAD_UNIT)
    return (pl.when(unit == 0).then(pl.lit(_LEAD_UNITS[0]))
            .otherwise(pl.concat_str(pl.col(_LEAD).cast(pl.String),
                                     _lookup(_LEAD_UNITS, unit.cast(pl.UInt32)))))


def _facts(frame: pl.DataFrame, config: Config, people: pl.DataFrame, matches: _Matches,
           shift: _Matcher, leave: _Matcher, helper: Callable[[str, pl.Expr], pl.Expr]
           ) -> dict[str, pl.Expr]:
    """The evidence `_domain_steps` and `_evidence_steps` read, as helper columns.

    ``colleague`` / ``consumer`` / ``business``: someone other than the owner on a work
    domain / a personal mail domain / any other domain; ``life_calendar``,
    ``work_calendar``, ``cal_reason``, ``rota``: what the event's calendar looks like
    (`audit.evidence.infer_calendars`);
    ``shift``: a duty on a rota calendar; ``leave``: the owner's own out-of-office or leave
    marker; ``focus``: a focus-time block (Google ``eventType``).
    """
    facts = {name: helper(name, pl.lit(people[name])) for name in PEOPLE}
    shift_title = matches.get_column(shift.column)
    calendars = infer_calendars(frame, config.work_domains, config.owner_emails,
                                people=people, shift=shift_title)
    # a row's calendar, by its number in ``calendars``; what the calendar looks like is
    # looked up by that number (the evidence text only where a reason is written)
    # (by the source's number in an enum of the calendars' sources, as `_rule_matches`
    # numbers text values: at 1M rows ≈ 0.04 s CPU, where `replace_strict` took ≈ 0.08)
    known = calendars.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("number"), s.SOURCE
                             ).drop_nulls(s.SOURCE)
    calendar = helper("calendar", pl.lit(known["number"]).gather(
        pl.col(s.SOURCE).cast(pl.Enum(known[s.SOURCE])).to_physical()))
    facts["cal_reason"] = _lookup(calendars["evidence"], calendar)
    for name, values in (("life_calendar", calendars["domain"] == Domain.LIFE.value),
                         ("work_calendar", calendars["domain"] == Domain.WORK.value),
                         ("rota", calendars["rota"])):
        facts[name] = _lookup(values, calendar, pl.Boolean).fill_null(False)
    organizer = pl.col(s.ORGANIZER)
    own = organizer.is_null() | organizer.is_in(list(config.owner_emails))
    facts["shift"] = helper("shift", pl.col(shift.column) & facts["rota"],
                            stage=1)
    facts["leave"] = helper("leave", own & ((pl.col(s.KIND) == "out_of_office").fill_null(False)
                                            | pl.col(leave.column)), stage=1)
    facts["focus"] = (pl.col(s.KIND) == "focus").fill_null(False)
    return facts


def _domain_steps(facts: dict[str, pl.Expr]) -> list[_Step]:
    """The domain below overrides, rules, corrections and calendar defaults: evidence and
    the keyword pack, interleaved so that the more specific fact wins.

    1. a focus block → work; the owner's own leave → life; a shift on a rota → work;
    2. colleagues in an event that looks like life (a life keyword, or a personal
       calendar) → integrated, a candidate only (not confident);
    3. a keyword for integrated time (a team lunch, mentoring), unless on a personal
       calendar → integrated; then a life keyword → life;
    4. colleagues → work (confident: the people in it say so); external business
       contacts, unless on a personal calendar → work (confident when the domain meets
       colleagues elsewhere in these calendars: a known partner);
    5. a personal calendar → life; a work keyword → work (confident when the calendar is
       a work calendar too: two signs agree); only personal mail addresses → life;
       a work calendar → work.
    """
    work, life, integrated = (d.value for d in (Domain.WORK, Domain.LIFE, Domain.INTEGRATED))
    colleague, consumer, business = facts["colleague"], facts["consumer"], facts["business"]
    cal_reason = facts["cal_reason"]
    life_calendar, work_calendar = facts["life_calendar"], facts["work_calendar"]
    pack_is, pack_reason = facts["pack_is"], facts["pack_reason"]
    yes, no = True, False
    evidence, keywords, guess = (DomainSource.EVIDENCE, DomainSource.KEYWORDS,
                                 DomainSource.CALENDAR_GUESS)
    return [
        _Step(facts["focus"], work, "focus block", evidence, yes),
        _Step(facts["leave"], life, "out of office / leave", evidence, no),
        _Step(facts["shift"], work, pl.format("a shift on a rota ({})", cal_reason),
              evidence, yes),
        _Step(colleague & pack_is[Domain.LIFE], integrated,
              pl.format("with colleagues, and {} says life", pack_reason), evidence, no),
        _Step(colleague & life_calendar, integrated,
              pl.format("with colleagues, on a personal calendar ({})", cal_reason),
              evidence, no),
        _Step(pack_is[Domain.INTEGRATED] & ~life_calendar, integrated, pack_reason, keywords,
              colleague | business | work_calendar),
        _Step(pack_is[Domain.LIFE], life, pack_reason, keywords, no),
        _Step(colleague, work, "with colleagues", evidence, yes),
        # confident only with a known partner (a domain that meets colleagues elsewhere in
        # these calendars): a club or a shop sends invitations too
        _Step(business & ~life_calendar, work, "with external business contacts", evidence,
              facts["partner"]),
        _Step(life_calendar, life, cal_reason, guess, no),
        _Step(pack_is[Domain.WORK], work, pack_reason, keywords, work_calendar),
        # (on a work calendar a personal address is as often a candidate or an investor)
        _Step(consumer & ~work_calendar, life, "only personal mail addresses", evidence, no),
        _Step(work_calendar, work, cal_reason, guess, no),
    ]


def _evidence_steps(attribute: str, config: Config, facts: dict[str, pl.Expr]) -> list[_Step]:
    """Facts about the event itself, which outrank the keyword guesses of the default pack."""
    focus = facts["focus"]
    if attribute == IMPORTANT:
        # an invitation the owner has not accepted is not (yet) a commitment
        undecided = pl.col(s.RESPONSE).is_in(["tentative", "needs_action"]).fill_null(False)
        return [_Step(focus, True, "focus block"),
                _Step(undecided, False, pl.format("not accepted ({})", pl.col(s.RESPONSE))),
                _Step(facts["shift"], True, "a rostered shift")]
    threshold = pl.duration(microseconds=round(config.urgency.short_notice_hours * 3.6e9))
    short = ((pl.col(s.START) - pl.col(s.CREATED)) < threshold).fill_null(False)
    return [_Step(focus, False, "focus block"),
            _Step(short, True, pl.format("short notice (created {})", _lead_time()))]


def _fallback_steps(attribute: str) -> list[_Step]:
    """Urgent: created well ahead (not short notice, or evidence would have decided) → not
    urgent. Important: time with a known domain that nothing else judged is time the
    person committed to (accepted, organized or entered themselves) → important; what is
    routine or an errand is the pack's or the person's rules to say."""
    if attribute == IMPORTANT:
        return [_Step(pl.col(_STEP_DOMAIN).is_not_null(), True, "committed time (fallback)")]
    return [_Step(pl.col(s.CREATED).is_not_null(), False,
                  pl.format("planned ahead (created {})", _lead_time()))]
