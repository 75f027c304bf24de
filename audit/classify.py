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
from audit.rules import is_external, local_wall_clock, rule_conditions
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
    """Add ``domain``, ``urgent``, ``important``, ``quadrant``, ``domain_source``,
    ``domain_confident`` and ``reason`` (SPEC §5).

    For each attribute the first source that has an answer decides it: manual override
    (event before series) > user rules (in order) > corrections learned from overrides
    (same series, same title pattern) > calendar default (domain only) > evidence >
    default pack > fallback. For the domain, the evidence and the pack interleave (see
    `_domain_steps` and docs/classification.md): facts about the event come first, then
    keywords, and what the calendar as a whole looks like (`audit.evidence`) last.

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
    # shift titles are read once per distinct title, like the rules' text conditions
    shift = _Matcher(len(user) + len(packed) + len(calendars), "shift",
                     Rule(name="shift", title=SHIFT_TITLE, domain="work"))
    leave = _Matcher(shift.bit + 1, "leave", Rule(name="leave", title=LEAVE_TITLE,
                                                   domain="life"))
    matchers = [*user, *packed, *calendars, shift, leave]
    words = _match_words(frame, matchers, config)
    words_expr = [pl.col(f"{_HELPER}w{j}") for j in range(len(words))]
    # what several chains read is computed once, into a helper column
    # (a helper that reads another helper goes into a later stage)
    helpers: dict[str, pl.Expr] = {_LEAD: _lead_time()}
    later: dict[str, pl.Expr] = {}

    def helper(name: str, expr: pl.Expr, *, stage: int = 0) -> pl.Expr:
        (later if stage else helpers)[f"{_HELPER}{name}"] = expr
        return pl.col(f"{_HELPER}{name}")

    facts = _facts(frame, config, words, shift, leave, helper)
    learned = learned_corrections(frame, overrides)
    pack_domain = _rule_steps(DOMAIN, packed, words_expr, helper, "pack")
    facts["pack"] = helper("pack", pl.when(pack_domain[0].when).then(pack_domain[0].value)
                           if pack_domain else pl.lit(None, pl.String), stage=1)
    facts["pack_reason"] = helper("pack_reason", pack_domain[0].reason if pack_domain
                                  else pl.lit(None, pl.String), stage=1)
    if learned is not None:
        helper("normalized", normalized_title(pl.col(s.TITLE)))

    def steps_for(attribute: str) -> list[_Step]:
        head = [*_override_steps(attribute, overrides, helper),
                *_rule_steps(attribute, user, words_expr, helper, "user"),
                *_correction_steps(attribute, learned, helper)]
        if attribute == DOMAIN:
            return [*head, *_rule_steps(attribute, calendars, words_expr, helper, "calendar"),
                    *_domain_steps(facts)]
        return [*head, *_evidence_steps(attribute, config, facts),
                *_rule_steps(attribute, packed, words_expr, helper, "pack"),
                *_fallback_steps(attribute)]

    # Each chain decides once which step applies (a small integer per row); the value,
    # reason, source and confidence are then looked up by that index (`_pick`).
    domain_steps = steps_for(DOMAIN)
    domain_index = pl.col(_STEP_DOMAIN)
    first = [_pick(domain_steps, "value", domain_index, pl.String).alias(DOMAIN),
             _pick(domain_steps, "reason", domain_index, pl.String)
             .alias(f"{_HELPER}domain_reason"),
             _pick(domain_steps, "source", domain_index, pl.String)
             .fill_null(DomainSource.NONE.value).alias(DOMAIN_SOURCE),
             _pick(domain_steps, "confident", domain_index, pl.Boolean).fill_null(False)
             .alias(CONFIDENT)]
    indices, decided = [], []
    parts: list[pl.Expr] = [pl.lit("domain: "),
                            pl.col(f"{_HELPER}domain_reason").fill_null(pl.lit("no rule matched"))]
    for attribute in (URGENT, IMPORTANT):
        steps = steps_for(attribute)
        name = f"{_HELPER}step_{attribute}"
        indices.append(_index(steps).alias(name))
        decided.append(_pick(steps, "value", pl.col(name), _DTYPES[attribute]).alias(attribute))
        parts += [pl.lit(f"; {attribute}: "),
                  _pick(steps, "reason", pl.col(name), pl.String)
                  .fill_null(pl.lit("no rule matched"))]
    return (frame.lazy()
            .with_columns(pl.lit(w).alias(f"{_HELPER}w{j}") for j, w in enumerate(words))
            .with_columns(expr.alias(name) for name, expr in helpers.items())
            .with_columns(expr.alias(name) for name, expr in later.items())
            .with_columns(_index(domain_steps).alias(_STEP_DOMAIN))
            .with_columns(*first, *indices)
            .with_columns(*decided, pl.concat_str(parts).alias(REASON))
            .with_columns(pl.col(DOMAIN).fill_null(pl.lit(Domain.UNCLASSIFIED.value)),
                          _quadrant().alias(QUADRANT))
            .select(pl.exclude(f"^{_HELPER}.*$"))
            .select(pl.exclude(DOMAIN_SOURCE, CONFIDENT, REASON), DOMAIN_SOURCE, CONFIDENT,
                    REASON))


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


_STEP_DOMAIN = f"{_HELPER}step_domain"  # which step of the domain chain decided


def _index(steps: Sequence[_Step]) -> pl.Expr:
    """One ordered ``when/then`` chain: the number of the first step whose condition holds."""
    if not steps:
        return pl.lit(None, pl.Int16)
    chain: Any = pl
    for number, step in enumerate(steps):
        chain = chain.when(step.when).then(pl.lit(number, pl.Int16))
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
    source = {"user": DomainSource.RULE, "calendar": DomainSource.CALENDAR}.get(
        group, DomainSource.KEYWORDS)
    return [_Step(first.is_not_null(),
                  pl.lit(pl.Series(values, dtype=_DTYPES[attribute])).gather(first),
                  pl.lit(pl.Series(reasons, dtype=pl.String)).gather(first),
                  source, source != DomainSource.KEYWORDS)]


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


def _bit(words: Sequence[pl.Expr], matcher: _Matcher) -> pl.Expr:
    """Whether ``matcher`` matched the row (its bit in the match words)."""
    return (words[matcher.bit // _WORD] & _word_lit(1 << (matcher.bit % _WORD))) != 0


def _facts(frame: pl.DataFrame, config: Config, word_values: Sequence[pl.Series],
           shift: _Matcher, leave: _Matcher, helper: Callable[[str, pl.Expr], pl.Expr]
           ) -> dict[str, pl.Expr]:
    """The evidence `_domain_steps` and `_evidence_steps` read, as helper columns.

    ``colleague`` / ``consumer`` / ``business``: someone other than the owner on a work
    domain / a personal mail domain / any other domain; ``cal_domain``, ``cal_reason``,
    ``rota``: what the event's calendar looks like (`audit.evidence.infer_calendars`);
    ``shift``: a duty on a rota calendar; ``leave``: the owner's own out-of-office or leave
    marker; ``focus``: a focus-time block (Google ``eventType``).
    """
    people = people_frame(frame, config.work_domains, config.owner_emails)
    facts = {name: helper(name, pl.lit(people[name])) for name in PEOPLE}
    words = [pl.col(f"{_HELPER}w{j}") for j in range(len(word_values))]
    shift_title = pl.DataFrame({f"{_HELPER}w{j}": w for j, w in enumerate(word_values)}
                               ).select(_bit(words, shift)).to_series()
    calendars = infer_calendars(frame, config.work_domains, config.owner_emails,
                                people=people, shift=shift_title)
    source = pl.col(s.SOURCE)
    for name, column, dtype in (("cal_domain", "domain", pl.String),
                                ("cal_reason", "evidence", pl.String),
                                ("rota", "rota", pl.Boolean)):
        facts[name] = helper(name, source.replace_strict(
            calendars[s.SOURCE], calendars[column], default=None, return_dtype=dtype))
    organizer = pl.col(s.ORGANIZER)
    own = organizer.is_null() | organizer.is_in(list(config.owner_emails))
    facts["shift"] = helper("shift", _bit(words, shift) & facts["rota"].fill_null(False),
                            stage=1)
    facts["leave"] = helper("leave", own & ((pl.col(s.KIND) == "out_of_office").fill_null(False)
                                            | _bit(words, leave)), stage=1)
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
    calendar, cal_reason = facts["cal_domain"], facts["cal_reason"]
    life_calendar = (calendar == Domain.LIFE.value).fill_null(False)
    work_calendar = (calendar == Domain.WORK.value).fill_null(False)
    pack, pack_reason = facts["pack"], facts["pack_reason"]
    pack_is = {d: (pack == d.value).fill_null(False) for d in Domain}
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
            _Step(short, True, pl.format("short notice (created {})", pl.col(_LEAD)))]


def _fallback_steps(attribute: str) -> list[_Step]:
    """Urgent: created well ahead (not short notice, or evidence would have decided) → not
    urgent. Important: time with a known domain that nothing else judged is time the
    person committed to (accepted, organized or entered themselves) → important; what is
    routine or an errand is the pack's or the person's rules to say."""
    if attribute == IMPORTANT:
        return [_Step(pl.col(_STEP_DOMAIN).is_not_null(), True, "committed time (fallback)")]
    return [_Step(pl.col(s.CREATED).is_not_null(), False,
                  pl.format("planned ahead (created {})", pl.col(_LEAD)))]
