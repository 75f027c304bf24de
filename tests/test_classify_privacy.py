"""Privacy by default (SPEC §9, issue 11): the standard export names an occurrence only
when it is positively work or integrated; everything else is "Personal"."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from audit.engine import run_audit
from audit.export import PERSONAL, export_frames
from core.period import Period
from tests.test_classify_evidence import CONFIG, read

WEEK = Period(date(2026, 11, 16), date(2026, 11, 23), "Europe/Berlin")
NAMED = {"Leadership weekly", "Pipeline", "Greyfield <> Corp", "Greyfield follow-up",
         "Teamabend 🎳",
         "Walk & Talk Chiara 🍂", "Fokuszeit – bitte nicht buchen"}
PRIVATE = {"Kita 🚸", "Privat", "Dr. Lang", "Staff flu jab 💉", "Board deck",
           "Kita abholen", "U10 training ⚽", "Tierpark 🦒", "Courses Biocoop",
           "Laternenumzug 🏮", "Anne & Tom zum Essen", "Samedi", "Yoga", "Cena",
           "Run with Jonas", "E 07:00-15:00 Ward 3", "AL"}


def frames(ics_data: Path, privacy: str) -> dict[str, pl.DataFrame]:
    events = read(ics_data, "work-account-calendar", "family-calendar-by-name",
                  "personal-addresses")
    return export_frames(run_audit(events, CONFIG, WEEK), privacy)


def test_standard_names_only_what_is_positively_work(ics_data: Path) -> None:
    events = frames(ics_data, "standard")["events.csv"]
    titles = set(events["title"])
    assert titles == {*NAMED, PERSONAL}
    personal = events.filter(pl.col("title") == PERSONAL)
    assert set(personal["calendar"]) == {PERSONAL}
    assert personal["reason"].is_null().all()
    assert personal["attendees"].is_null().all()
    assert personal["event_id"].str.starts_with("personal-").all()
    # nothing in any cell says what the hidden titles were
    text = " ".join(str(v) for v in events.rows())
    for title in PRIVATE - {"AL"}:
        assert title not in text, title
    hidden_text = " ".join(str(v) for v in personal.rows())
    for word in ("me@corp.example", "Familie", "gmail", "corp.example", "calendar"):
        assert word not in hidden_text


def test_a_guess_is_personal_even_when_it_is_called_work(ics_data: Path) -> None:
    events = frames(ics_data, "standard")["events.csv"]
    hidden = events.filter(pl.col("title") == PERSONAL)
    # "Board deck" and "Dr. Lang" are work only by their calendar: not named
    assert hidden.filter(pl.col("domain") == "work").height == 2


def test_violations_of_a_guess_are_personal_with_the_same_number(ics_data: Path) -> None:
    out = frames(ics_data, "standard")
    violations, events = out["violations.csv"], out["events.csv"]
    assert violations.height > 0
    assert set(violations["title"]) <= {*NAMED, PERSONAL}
    hidden = violations.filter(pl.col("title") == PERSONAL)
    assert hidden.height > 0  # "Dr. Lang" at 08:00 is before working hours
    assert set(hidden["event_id"]) <= set(events["event_id"])
    assert set(hidden["calendar"]) == {PERSONAL}


def test_full_keeps_every_title(ics_data: Path) -> None:
    events = frames(ics_data, "full")["events.csv"]
    assert PRIVATE - {"E 07:00-15:00 Ward 3", "AL"} <= set(events["title"])
