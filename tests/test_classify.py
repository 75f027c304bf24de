"""Classification (SPEC §5): precedence, matchers, reasons, quadrants, the default pack."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, time, timedelta
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from audit import classify, rules
from audit.classify import CLASSIFIED_SCHEMA, classify_events
from audit.config import CalendarDefault, Config, Rule, TimeRange, Urgency
from audit.domains import OVERRIDE_SCHEMA, Domain, Quadrant
from core.schema import EVENT_SCHEMA

MONDAY_9 = datetime(2026, 11, 16, 9, tzinfo=UTC)


def event(title: str = "Something", **fields: Any) -> dict[str, Any]:
    """One occurrence of SPEC §3 with plain defaults; ``fields`` override them."""
    row: dict[str, Any] = {
        "source": "ics:work.ics", "calendar": "Calendar", "event_id": title, "series_id": None,
        "title": title, "description": None, "location": None, "start": MONDAY_9,
        "end": MONDAY_9 + timedelta(hours=1), "all_day": False, "status": "confirmed",
        "response": "accepted", "busy": True, "kind": "event", "attendees": 0,
        "organizer": None, "attendee_domains": [], "categories": [], "color": None,
        "created": None,
    }
    row.update(fields)
    return row


def frame(*rows: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=EVENT_SCHEMA)


def classify_rows(*rows: dict[str, Any], config: Config | None = None,
                  overrides: pl.DataFrame | None = None,
                  default_rules: tuple[Rule, ...] | None = ()) -> pl.DataFrame:
    """Classify with no default pack unless a test asks for it."""
    return classify_events(frame(*rows).lazy(), config or Config(), overrides,
                           default_rules=default_rules).collect()


def one(*rows: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return classify_rows(*rows, **kwargs).row(0, named=True)


def overrides(*rows: tuple[str, str, str | None, bool | None, bool | None]) -> pl.DataFrame:
    return pl.DataFrame(list(rows), schema=OVERRIDE_SCHEMA, orient="row")


KIDS = Rule(name="Kids", title="(?i)kids|school", domain="life", important=True)
CREATED_3H = MONDAY_9 - timedelta(hours=3)
CREATED_10D = MONDAY_9 - timedelta(days=10)


# --- output contract ---------------------------------------------------------------------

def test_adds_the_classified_columns_and_keeps_the_rest() -> None:
    out = classify_rows(event("a"), event("b"))
    assert out.columns == [*EVENT_SCHEMA.names(), *CLASSIFIED_SCHEMA.names()]
    assert dict(out.schema) == {**EVENT_SCHEMA, **CLASSIFIED_SCHEMA}
    assert out["event_id"].to_list() == ["a", "b"]


def test_empty_frame() -> None:
    out = classify_events(frame().lazy(), Config()).collect()
    assert out.height == 0
    assert dict(out.schema) == {**EVENT_SCHEMA, **CLASSIFIED_SCHEMA}


def test_the_reason_reads_like_the_spec() -> None:
    out = one(event("1:1 about the kids", created=CREATED_3H), config=Config(rules=(
        Rule(name="Kids", title="(?i)kids", domain="life"),)), default_rules=None)
    assert out["reason"] == ('domain: rule "Kids"; urgent: short notice (created 3 h before); '
                             'important: default "1:1s"')
    assert (out["domain"], out["urgent"], out["important"], out["quadrant"]) == (
        "life", True, True, "do")


def test_nothing_known() -> None:
    out = one(event("Something"))
    assert (out["domain"], out["urgent"], out["important"], out["quadrant"]) == (
        "unclassified", None, None, "unclassified")
    assert out["reason"] == ("domain: no rule matched; urgent: no rule matched; "
                             "important: no rule matched")


# --- precedence, level by level (SPEC §5) -----------------------------------------------

def test_event_override_beats_series_override_beats_user_rule() -> None:
    rows = [event("School run", event_id="e1", series_id="s"),
            event("School run", event_id="e2", series_id="s"),
            event("School run", event_id="e3", series_id=None)]
    out = classify_rows(*rows, config=Config(rules=(KIDS,)), overrides=overrides(
        ("series", "s", "work", None, False), ("event", "e1", "integrated", None, None)))
    assert out["domain"].to_list() == ["integrated", "work", "life"]
    assert out["important"].to_list() == [False, False, True]
    assert out["reason"].to_list() == [
        'domain: override (this event); urgent: no rule matched; '
        'important: override (all occurrences)',
        'domain: override (all occurrences); urgent: no rule matched; '
        'important: override (all occurrences)',
        'domain: rule "Kids"; urgent: no rule matched; important: rule "Kids"',
    ]


def test_user_rules_first_match_per_attribute() -> None:
    config = Config(rules=(
        Rule(name="Only domain", title="Board", domain="work"),
        Rule(name="Both", title="Board", domain="life", important=True),
    ))
    out = one(event("Board meeting"), config=config)
    assert (out["domain"], out["important"]) == ("work", True)
    assert out["reason"] == ('domain: rule "Only domain"; urgent: no rule matched; '
                             'important: rule "Both"')


def test_first_match_across_runs_of_title_rules() -> None:
    # rules on titles alone are looked up as a run, per distinct title (classify._index);
    # a rule on more than the title between them still decides in its place
    config = Config(timezone="UTC", rules=(
        Rule(name="Board", title="(?i)board", important=True),
        Rule(name="Meetings", title="(?i)meeting", important=False, urgent=True),
        Rule(name="Mondays", weekdays=("monday",), important=False),
        Rule(name="Standups", title="(?i)standup", important=True),
        Rule(name="Any meeting", title="meeting", urgent=False),
    ))
    tuesday = MONDAY_9 + timedelta(days=1)
    out = classify_rows(
        event("Board meeting", event_id="a"), event("Team meeting", event_id="b"),
        event("Standup", event_id="c"),
        event("Standup", event_id="d", start=tuesday, end=tuesday + timedelta(hours=1)),
        event(None, event_id="e", start=tuesday, end=tuesday + timedelta(hours=1)),
        config=config)
    decided = {r["event_id"]: (r["important"], r["urgent"], r["reason"].split("; ")[1:])
               for r in out.iter_rows(named=True)}
    assert decided == {
        "a": (True, True, ['urgent: rule "Meetings"', 'important: rule "Board"']),
        "b": (False, True, ['urgent: rule "Meetings"', 'important: rule "Meetings"']),
        "c": (False, None, ["urgent: no rule matched", 'important: rule "Mondays"']),
        "d": (True, None, ["urgent: no rule matched", 'important: rule "Standups"']),
        "e": (None, None, ["urgent: no rule matched", "important: no rule matched"]),
    }


def test_user_rule_beats_calendar_default() -> None:
    config = Config(rules=(KIDS,), calendars=(CalendarDefault("ics:work.ics", "work"),))
    assert one(event("Kids' play"), config=config)["domain"] == "life"
    assert one(event("Budget"), config=config)["domain"] == "work"


def test_calendar_default_is_exact_or_glob_and_beats_evidence() -> None:
    config = Config(calendars=(CalendarDefault("ics:fam*.ics", "life"),))
    out = one(event("Deep work", source="ics:family.ics", kind="focus"), config=config)
    assert (out["domain"], out["urgent"], out["important"]) == ("life", False, True)
    assert out["reason"] == ('domain: calendar "ics:fam*.ics"; urgent: focus block; '
                             "important: focus block")
    assert one(event("x", source="ics:familyXics"), config=config)["domain"] == "unclassified"


def test_evidence_beats_default_pack() -> None:
    # the pack calls "Gym" life; a Google focus-time block is work whatever its title
    out = one(event("Gym", kind="focus", created=CREATED_3H), default_rules=None)
    assert (out["domain"], out["urgent"], out["important"], out["quadrant"]) == (
        "work", False, True, "schedule")
    # short notice makes a routine meeting urgent although the pack says it is not
    out = one(event("Daily standup", created=CREATED_3H), default_rules=None)
    assert (out["urgent"], out["quadrant"]) == (True, "delegate")


def test_default_pack_beats_fallback() -> None:
    out = one(event("SEV1 outage bridge", created=CREATED_10D), default_rules=None)
    assert (out["urgent"], out["important"], out["quadrant"]) == (True, True, "do")
    assert out["reason"] == ('domain: default "Incidents"; urgent: default "Incidents"; '
                             'important: default "Incidents"')


def test_fallback_created_ahead_is_not_urgent() -> None:
    out = one(event("Something", created=CREATED_10D))
    assert out["urgent"] is False
    assert out["reason"] == ("domain: no rule matched; urgent: planned ahead (created 10 d "
                             "before); important: no rule matched")


@pytest.mark.parametrize(("created", "text"), [
    (MONDAY_9 - timedelta(minutes=30), "short notice (created 30 min before)"),
    (MONDAY_9 - timedelta(hours=47, minutes=59), "short notice (created 47 h before)"),
    (MONDAY_9 + timedelta(hours=2), "short notice (created after it started)"),
    (MONDAY_9 - timedelta(hours=48), "planned ahead (created 2 d before)"),
])
def test_notice_texts(created: datetime, text: str) -> None:
    assert f"urgent: {text};" in one(event(created=created))["reason"]


def test_short_notice_threshold_is_configurable() -> None:
    config = Config(urgency=Urgency(short_notice_hours=2))
    assert one(event(created=CREATED_3H), config=config)["urgent"] is False
    assert one(event(created=CREATED_3H))["urgent"] is True


@pytest.mark.parametrize(("urgent", "important", "quadrant"), [
    (True, True, Quadrant.DO), (False, True, Quadrant.SCHEDULE),
    (True, False, Quadrant.DELEGATE), (False, False, Quadrant.ELIMINATE),
    (None, True, Quadrant.UNCLASSIFIED), (True, None, Quadrant.UNCLASSIFIED),
    (None, None, Quadrant.UNCLASSIFIED),
])
def test_quadrant(urgent: bool | None, important: bool | None, quadrant: Quadrant) -> None:
    out = one(event(event_id="e"), overrides=overrides(("event", "e", None, urgent, important)))
    assert out["quadrant"] == quadrant


def test_enum_values() -> None:
    assert [d.value for d in Domain] == ["work", "life", "integrated", "unclassified"]
    assert [q.value for q in Quadrant] == ["do", "schedule", "delegate", "eliminate",
                                           "unclassified"]


# --- matchers -------------------------------------------------------------------------------

def matches(rule: Rule, *rows: dict[str, Any], config: Config | None = None) -> list[bool]:
    """Which rows a rule (setting domain=life, which no evidence gives) matches."""
    base = config or Config()
    config = Config(timezone=base.timezone, work_domains=base.work_domains,
                    rules=(rule,))
    return [d == "life" for d in classify_rows(*rows, config=config)["domain"]]


def rule(**conditions: Any) -> Rule:
    return Rule(name="R", domain="life", **conditions)


def test_text_conditions_are_searched_regexes_and_null_never_matches() -> None:
    assert matches(rule(description="(?i)agenda"), event(description="The AGENDA"),
                   event(description=None)) == [True, False]
    assert matches(rule(location="^Room"), event(location="Room 1"),
                   event(location="Big Room")) == [True, False]


def test_calendar_source_and_organizer_globs() -> None:
    assert matches(rule(calendar="Work"), event(calendar="Work"),
                   event(calendar="Work (old)")) == [True, False]
    assert matches(rule(source="google:*@group.calendar.google.com"),
                   event(source="google:abc@group.calendar.google.com"),
                   event(source="ics:abc.ics")) == [True, False]
    assert matches(rule(organizer="*@Example.com"), event(organizer="boss@example.com"),
                   event(organizer=None), event(organizer="x@example.com.evil")
                   ) == [True, False, False]
    assert matches(rule(calendar="Team [AB]"), event(calendar="Team A"),
                   event(calendar="Team C")) == [True, False]


def test_categories_any_case_insensitive() -> None:
    assert matches(rule(categories=("Family", "kids")), event(categories=["KIDS", "x"]),
                   event(categories=[]), event(categories=["work"])) == [True, False, False]


def test_external_attendees() -> None:
    config = Config(work_domains=("example.com",))
    rows = [event(attendee_domains=["example.com", "eu.example.com"]),
            event(attendee_domains=["example.com", "client.org"]), event(attendee_domains=[])]
    assert matches(rule(external=True), *rows, config=config) == [False, True, False]
    assert matches(rule(external=False), *rows, config=config) == [True, False, True]


def test_counts_kind_response_recurring() -> None:
    rows = [event(attendees=0, kind="focus", response="organizer", series_id="s"),
            event(attendees=3, end=MONDAY_9 + timedelta(minutes=25)),
            event(attendees=12, end=MONDAY_9 + timedelta(hours=3))]
    assert matches(rule(min_attendees=1, max_attendees=5), *rows) == [False, True, False]
    assert matches(rule(max_minutes=30), *rows) == [False, True, False]
    assert matches(rule(min_minutes=60), *rows) == [True, False, True]
    assert matches(rule(kind="focus"), *rows) == [True, False, False]
    assert matches(rule(response="organizer"), *rows) == [True, False, False]
    assert matches(rule(recurring=True), *rows) == [True, False, False]
    assert matches(rule(recurring=False), *rows) == [False, True, True]


def test_weekdays_are_local_to_the_audit_zone() -> None:
    late_sunday_utc = datetime(2026, 11, 15, 23, 30, tzinfo=UTC)  # Monday 00:30 in Berlin
    row = event(start=late_sunday_utc, end=late_sunday_utc + timedelta(minutes=30))
    assert matches(rule(weekdays=("monday",)), row,
                   config=Config(timezone="Europe/Berlin")) == [True]
    assert matches(rule(weekdays=("monday",)), row, config=Config(timezone="UTC")) == [False]


def at(hour: int, minute: int = 0, minutes: int = 60, day: int = 16) -> dict[str, Any]:
    """An event at local wall-clock time in Berlin (CET, UTC+1, in November)."""
    start = datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=1)
    return event(start=start, end=start + timedelta(minutes=minutes))


def test_within_time_overlap_and_wrapping_windows() -> None:
    berlin = Config(timezone="Europe/Berlin")
    evening = rule(time=TimeRange(time(18), time(20)))
    assert matches(evening, at(17), at(17, 30), at(20), at(19, 59, 0), at(12, minutes=24 * 60),
                   config=berlin) == [False, True, False, True, True]
    night = rule(time=TimeRange(time(22), time(6)))
    assert matches(night, at(23), at(3), at(5, 30), at(6), at(21), at(21, minutes=61), at(10),
                   config=berlin) == [True, True, True, False, False, True, False]


def test_within_time_uses_wall_clock_on_a_dst_night() -> None:
    # 2026-03-29 Berlin springs forward at 02:00: 01:00 local = 00:00 UTC, 03:00 local = 01:00 UTC
    start = datetime(2026, 3, 29, 0, tzinfo=UTC)
    row = event(start=start, end=start + timedelta(hours=1))  # 01:00–03:00 local wall clock
    berlin = Config(timezone="Europe/Berlin")
    assert matches(rule(time=TimeRange(time(2, 30), time(4))), row, config=berlin) == [True]
    assert matches(rule(time=TimeRange(time(3), time(4))), row, config=berlin) == [False]


def test_glob_to_regex_is_anchored_and_escapes() -> None:
    assert rules.glob_to_regex("ics:*.ics") == r"(?s)^ics:.*\.ics$"
    assert rules.glob_to_regex("[!a]?") == "(?s)^[^a].$"


# --- the default pack -----------------------------------------------------------------------

@pytest.mark.parametrize(("title", "decided_by", "domain"), [
    ("Daily standup", "Work rituals", "work"),
    ("Sprint planning", "Reviews and planning", "work"),
    ("Sprint retro", "Work rituals", "work"),
    ("Q4 all-hands", "Meetings", "work"),
    ("1:1 Anna / Ben", "1:1s", "work"),
    ("Anna <> Ben 1on1", "1:1s", "work"),
    ("Walking 1:1 with Sam", "Walking 1:1s", "integrated"),
    ("Interview: backend candidate", "Interviews", "work"),
    ("SEV1 outage bridge", "Incidents", "work"),
    ("Incident review: login outage", "Postmortems", "work"),
    ("Pub/Sub design review", "Reviews and planning", "work"),
    ("Dinner with the Acme client", "Customers and partners", "work"),
    ("Dentist", "Health", "life"),
    ("Gym", "Health", "life"),
    ("School pick-up", "Family and kids", "life"),
    ("Wedding planning", "Family and kids", "life"),
    ("Team lunch", "Team social", "integrated"),
    ("Teamabend 🎳", "Team social", "integrated"),
    ("Mentoring session with Priya", "Mentoring", "integrated"),
    ("Groceries", "Errands", "life"),
    ("Dinner with friends", "Social", "life"),
    ("Commute", "Commute", "life"),
    ("Lunch", "Breaks", "life"),
    ("Security training", "Professional learning", "work"),
])
def test_default_pack_titles(title: str, decided_by: str, domain: str) -> None:
    out = one(event(title), default_rules=None)
    assert out["domain"] == domain
    assert out["reason"].startswith(f'domain: default "{decided_by}"')


@pytest.mark.parametrize("title", ["Gymnastics club", "Running the numbers",
                                   "Third-party API", "Holidaymaker API", "Offsite planning"])
def test_default_pack_leaves_unknown_titles_alone(title: str) -> None:
    assert one(event(title), default_rules=None)["domain"] == "unclassified"


def test_user_rules_override_the_default_pack() -> None:
    config = Config(rules=(Rule(name="Gym is work", title="Gym", domain="work"),))
    assert one(event("Gym"), config=config, default_rules=None)["domain"] == "work"


# --- invariants -----------------------------------------------------------------------------

TITLES = ["Daily standup", "1:1 Anna", "Dentist", "School run", "Outage", "Something", "Lunch"]
row_strategy = st.builds(
    lambda title, kind, created_hours, series: (title, kind, created_hours, series),
    st.sampled_from(TITLES), st.sampled_from(["event", "focus"]),
    st.none() | st.integers(-5, 400), st.sampled_from([None, "s1", "s2"]),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(row_strategy, min_size=1, max_size=12).flatmap(
    lambda rows: st.tuples(st.just(rows), st.permutations(range(len(rows))))))
def test_classification_does_not_depend_on_row_order(data: tuple[list[Any], list[int]]) -> None:
    specs, order = data
    rows = [event(title, event_id=f"e{i}", kind=kind, series_id=series,
                  created=None if hours is None else MONDAY_9 - timedelta(hours=hours))
            for i, (title, kind, hours, series) in enumerate(specs)]
    config = Config(rules=(KIDS,), calendars=(CalendarDefault("ics:*", "work"),))
    ovr = overrides(("series", "s1", "life", True, None), ("event", "e0", None, None, False))
    forward = classify_rows(*rows, config=config, overrides=ovr, default_rules=None)
    shuffled = classify_rows(*[rows[i] for i in order], config=config, overrides=ovr,
                             default_rules=None)
    assert_frame_equal(forward, shuffled.sort(pl.col("event_id").str.slice(1).cast(pl.Int64)))


def test_two_hundred_thousand_rows_without_python_per_row(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    for module in (classify, rules):
        source = inspect.getsource(module)
        assert "map_elements" not in source
        assert "map_batches" not in source

    def refuse(*_: Any, **__: Any) -> Any:
        raise AssertionError("classification called Python per row")

    monkeypatch.setattr(pl.Expr, "map_elements", refuse)
    monkeypatch.setattr(pl.Series, "map_elements", refuse)
    seed = frame(*(event(title, created=CREATED_10D if i % 2 else None)
                   for i, title in enumerate(TITLES)))
    big = (seed.sample(200_000, with_replacement=True, seed=7)
           .with_columns(pl.format("e{}", pl.int_range(pl.len())).alias("event_id")))
    config = Config(rules=(KIDS,), timezone="Europe/Berlin",
                    calendars=(CalendarDefault("ics:fam*", "life"),))
    out = classify_events(big.lazy(), config, overrides(("event", "e1", "life", None, None))
                          ).collect()
    assert out.height == 200_000
    assert out["reason"].null_count() == 0
    assert set(out["quadrant"].unique()) <= {q.value for q in Quadrant}


small_int = st.none() | st.integers(-3, 3)
small_unsigned = st.none() | st.integers(0, 5)
key_text = st.none() | st.sampled_from(["", "a", "b", "tentative"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(small_int, small_unsigned, key_text,
                          st.none() | st.integers(-2**40, 2**40)), min_size=1, max_size=30))
def test_combination_number_is_equal_exactly_where_the_keys_are(rows: list[Any]) -> None:
    # `_reasons` writes a text per distinct key and finds a row's by one integer
    # (`_combination_number`) instead of joining on every key column
    keys = pl.DataFrame(rows, schema={"a": pl.Int16, "b": pl.UInt32, "c": pl.String,
                                      "d": pl.Int64}, orient="row")
    number = classify._combination_number(keys)
    assert number is not None
    numbers = keys.select(number.alias("n")).to_series().to_list()
    for i, row in enumerate(rows):
        for j, other in enumerate(rows):
            assert (numbers[i] == numbers[j]) == (row == other)


def test_combination_number_gives_up_where_it_would_not_fit() -> None:
    wide = pl.DataFrame({"a": [-2**62, 2**62], "b": [0, 2**40]})
    assert classify._combination_number(wide) is None
    assert classify._combination_number(pl.DataFrame({"a": [[1], [2]]})) is None
    extremes = pl.DataFrame({"a": [-2**63, 2**63 - 1]}, schema={"a": pl.Int64})
    assert classify._combination_number(extremes) is None
    assert classify._combination_number(pl.DataFrame({"a": [2**64 - 1]}, schema={"a": pl.UInt64})
                                        ) is None
    assert classify._combination_number(pl.DataFrame({"a": [None, None]}, schema={"a": pl.Int8})
                                        ) is not None
