"""Learning from the person's corrections (SPEC §5, issue 11): an override also classifies
the same series and the same title pattern, with a reason naming the correction; the
suggestions ask first for the corrections that settle the most uncertain hours."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl

from audit import config_edit
from audit.config import Config, Rule
from audit.engine import run_audit
from audit.learning import learned_corrections, normalized_title, suggest_corrections
from core.period import Period
from tests.test_classify import MONDAY_9, classify_rows, event, overrides
from tests.test_classify_evidence import CONFIG, read

WEEK = Period(date(2026, 11, 16), date(2026, 11, 23), "Europe/Berlin")


def test_a_title_pattern_has_no_numbers_punctuation_or_emoji() -> None:
    titles = pl.Series(["MGT 08:00-16:00 Cedar Ward", "mgt 07:30–15:30 cedar ward 🏥",
                        "Kita abholen (M)", "打ち合わせ 3/12"])
    assert pl.select(normalized_title(pl.lit(titles))).to_series().to_list() == [
        "mgt cedar ward", "mgt cedar ward", "kita abholen m", "打ち合わせ"]


def test_an_override_classifies_the_same_pattern_and_names_the_correction() -> None:
    rows = [event("Duty 07:00-15:00 Ward 3", event_id="d1"),
            event("Duty 13:30-21:30 Ward 3", event_id="d2"),
            event("duty 21:00–07:30 ward 3 🌙", event_id="d3"),
            event("Duty roster planning", event_id="other")]
    out = classify_rows(*rows, overrides=overrides(("event", "d1", "work", False, True)))
    assert out["important"].to_list()[:3] == [True, True, True]
    # the other title is not like the corrected one (three duties make the calendar look
    # like a rota, which is only a guess)
    assert out["domain_source"].to_list() == ["override", "correction", "correction",
                                              "calendar guess"]
    assert out["domain_confident"].to_list() == [True, True, True, False]
    assert out["reason"][1] == (
        'domain: like "Duty 07:00-15:00 Ward 3" (your correction); urgent: like "Duty '
        '07:00-15:00 Ward 3" (your correction); important: like "Duty 07:00-15:00 Ward 3" '
        "(your correction)")


def test_an_event_override_speaks_for_its_series() -> None:
    rows = [event("Weekly thing", event_id="s@1", series_id="s"),
            event("Weekly thing (moved)", event_id="s@2", series_id="s",
                  start=MONDAY_9 + timedelta(days=7), end=MONDAY_9 + timedelta(days=7, hours=1))]
    out = classify_rows(*rows, overrides=overrides(("event", "s@1", "life", None, None)))
    assert out["domain"].to_list() == ["life", "life"]
    assert out["reason"][1].startswith('domain: like "Weekly thing" (your correction)')


def test_corrections_rank_below_user_rules_and_above_evidence() -> None:
    rows = [event("Standup", event_id="a"), event("Standup", event_id="b"),
            event("Standup", event_id="c", kind="focus")]
    rule = Rule(name="Mine", title="^Standup$", domain="integrated")
    out = classify_rows(*rows, config=Config(rules=(rule,)),
                        overrides=overrides(("event", "a", "life", None, None)))
    assert out["domain"].to_list() == ["life", "integrated", "integrated"]
    out = classify_rows(*rows, overrides=overrides(("event", "a", "life", None, None)))
    assert out["domain"].to_list() == ["life", "life", "life"]  # beats the focus evidence


def test_a_vague_pattern_teaches_nothing() -> None:
    frame = pl.DataFrame([event("1:1", event_id="x")])
    learned = learned_corrections(frame, overrides(("event", "x", "work", None, None)))
    assert learned is not None
    assert learned.filter(pl.col("by") == "title").height == 0  # "" is too vague


def test_a_rule_from_the_dashboard_covers_the_title_whatever_its_numbers() -> None:
    rule = config_edit.rule_for_title("E 07:00-15:00 Ward 3", domain="work", urgent=None,
                                   important=True)
    titles = pl.Series(["E 07:00-15:00 Ward 3", "e 07:30-15:30 ward 12", "E 07:00-15:00"])
    assert titles.str.contains(rule["title"]).to_list() == [True, True, False]


def test_suggestions_ask_first_about_the_most_uncertain_hours(ics_data: Path) -> None:
    events = read(ics_data, "work-account-calendar", "family-calendar-by-name")
    audit = run_audit(events, CONFIG, WEEK)
    suggestions = suggest_corrections(audit.minutes_per_event())
    # confident answers (colleagues, a focus block…) are not asked about
    assert "Leadership weekly" not in suggestions["title"].to_list()
    # a 2 h calendar guess (weight 1) ties with a 4 h keyword guess (weight 0.5); then a
    # 1.5 h calendar guess, then 2.5 h of a keyword guess in five occurrences
    assert suggestions["title"][:4].to_list() == ["Board deck", "Tierpark 🦒",
                                                  "Laternenumzug 🏮", "Kita abholen"]
    assert set(suggestions["why"]) <= {"keywords", "calendar guess", "evidence",
                                       "unclassified"}
    # answering the first one settles it: it is no longer asked
    first = suggestions.row(3, named=True)
    fixed = run_audit(events, CONFIG, WEEK, pl.DataFrame(
        [("series", first["series_id"], "life", False, True)],
        schema=["scope", "key", "domain", "urgent", "important"], orient="row"))
    assert first["title"] not in suggest_corrections(fixed.minutes_per_event())["title"]
