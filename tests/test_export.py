"""The CSV export of SPEC §9: each privacy level writes only what it allows, safely.

One audit of 2026-W13 in Europe/Berlin holds life events whose titles, locations,
descriptions, UIDs and organizers carry unique marker strings, classified as life by a
rule named "Therapy"; every byte each level writes is searched for the markers. Work
events carry formula-looking and non-ASCII titles, and cross boundaries so they also
appear in violations.csv.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from audit.config import parse_config
from audit.engine import Audit, run_audit
from audit.export import csv_bytes, export_frames, write_export
from audit.report import build_report
from core.errors import AuditError
from core.period import Period
from core.schema import EVENT_SCHEMA

TZ = "Europe/Berlin"
BERLIN = ZoneInfo(TZ)
W13 = Period(date(2026, 3, 23), date(2026, 3, 30), TZ)
MON, TUE, WED, THU = "2026-03-23", "2026-03-24", "2026-03-25", "2026-03-26"

CONFIG = parse_config({
    "timezone": TZ,
    "working_hours": {"monday": "09:00-17:00", "tuesday": "09:00-17:00",
                      "wednesday": "09:00-17:00", "thursday": "09:00-17:00",
                      "friday": "09:00-17:00", "saturday": "", "sunday": ""},
    "calendars": [{"source": "ics:work.ics", "domain": "work"}],
    "rules": [{"name": "Therapy", "title": "SECRET-THERAPY", "domain": "life",
               "urgent": False, "important": True}],
}, file="test.toml")

# What no level below "full" may write (compared case-insensitively, so the rule name
# "Therapy" is covered by "therapy").
LIFE_MARKERS = ("SECRET-THERAPY", "therapy", "Dr. Private Street 5",
                "mailto:private@family.example", "private@family.example", "DESC-SECRET",
                "UID-4711", "series-UID-0815", "doctor-secret@clinic.example",
                "clinic.example")
DESCRIPTION_MARKERS = ("mailto:private@family.example", "DESC-SECRET", "WORK-DESC-9")
WORK_LOCATION = "Room WORK-LOC-7"
WORK_ORGANIZER = "boss@acme.example"
WORK_TITLE = "Quarterly planning WORKTITLE-1"
FORMULAS = ('=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTAB", "\rCR")
NON_ASCII = ("Müller 1:1", "東京 offsite")
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")


def at(day: str, hhmm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=BERLIN)


def ev(event_id: str, title: str, start: datetime, end: datetime, **fields: Any) -> dict:
    return {
        "source": "ics:work.ics", "calendar": "Work", "event_id": event_id, "series_id": None,
        "title": title, "description": None, "location": None, "start": start, "end": end,
        "all_day": False, "status": "confirmed", "response": "accepted", "busy": True,
        "kind": "event", "attendees": 0, "organizer": None, "attendee_domains": [],
        "categories": [], "color": None, "created": None, **fields,
    }


def life(event_id: str, title: str, start: datetime, end: datetime, **fields: Any) -> dict:
    private = {"source": "ics:family.ics", "calendar": "Home",
               "location": "Dr. Private Street 5",
               "description": "Bring the form; mailto:private@family.example DESC-SECRET",
               "organizer": "doctor-secret@clinic.example",
               "attendee_domains": ["clinic.example"], "attendees": 1}
    return ev(event_id, title, start, end, **(private | fields))


ROWS = [
    life("therapy-UID-4711@clinic.example", "SECRET-THERAPY session",
         at(MON, "18:00"), at(MON, "19:00")),
    life("series-UID-0815@2026-03-25T16:00:00Z", "SECRET-THERAPY group",
         at(WED, "17:00"), at(WED, "18:00"), series_id="series-UID-0815"),
    life("retreat-UID-4711", "SECRET-THERAPY retreat", at(THU, "00:00"),
         at("2026-03-27", "00:00"), all_day=True),
    life("cancelled-UID-4711", "SECRET-THERAPY cancelled", at(TUE, "08:00"),
         at(TUE, "09:00"), status="cancelled"),
    ev("planning@acme.example", WORK_TITLE, at(MON, "09:00"), at(MON, "10:00"),
       location=WORK_LOCATION, description="agenda WORK-DESC-9", organizer=WORK_ORGANIZER,
       attendee_domains=["acme.example"], attendees=3),
    # Work after hours overlapping the therapy session: it shares 18:00-19:00 with it.
    ev("late@acme.example", "Late review", at(MON, "17:30"), at(MON, "19:00")),
    # Formula-looking titles, each after hours on Tuesday (so also in violations.csv).
    *(ev(f"formula-{i}@acme.example", title, at(TUE, f"{17 + i}:00"), at(TUE, f"{17 + i}:30"),
         location="=cmd|' /C calc'!A0" if i == 0 else None)
      for i, title in enumerate(FORMULAS)),
    ev("team@acme.example", "Team sync", at(THU, "10:00"), at(THU, "11:00"), calendar="@Team"),
    *(ev(f"utf8-{i}@acme.example", title, at(WED, f"{19 + i}:00"), at(WED, f"{19 + i}:45"))
      for i, title in enumerate(NON_ASCII)),
]


@pytest.fixture(scope="module")
def audit() -> Audit:
    return run_audit(pl.DataFrame(ROWS, schema=EVENT_SCHEMA), CONFIG, W13)


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        header, *rows = csv.reader(handle)
    assert all(len(row) == len(header) for row in rows), path
    return header, rows


def records(path: Path) -> list[dict[str, str]]:
    header, rows = read_csv(path)
    return [dict(zip(header, row, strict=True)) for row in rows]


def written_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def leaks(folder: Path, markers: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(name, marker) for name, data in written_bytes(folder).items()
            for marker in markers if marker.lower().encode() in data.lower()]


SUMMARY_HEADER = ["date", "work", "life", "integrated", "unclassified", "quadrant_do",
                  "quadrant_schedule", "quadrant_delegate", "quadrant_eliminate",
                  "quadrant_unclassified", "focus", "working", "meetings", "focus_coverage",
                  "violation_minutes", "focus_target"]
VIOLATIONS_HEADER = ["date", "type", "minutes", "event_id", "title", "calendar"]
EVENTS_HEADER = ["date", "start", "end", "all_day", "calendar", "event_id", "title", "domain",
                 "urgent", "important", "quadrant", "reason", "counted", "count_reason",
                 "minutes", "attendees", "response", "status", "busy", "kind"]
FULL_EXTRA = ["location", "organizer", "attendee_domains"]


# --- what each level writes -------------------------------------------------------------

def test_the_audit_classifies_the_markers_as_life(audit: Audit):
    domains = dict(audit.events.select("event_id", "domain").iter_rows())
    assert {e for e, d in domains.items() if d == "life"} == {
        "therapy-UID-4711@clinic.example", "series-UID-0815@2026-03-25T16:00:00Z",
        "retreat-UID-4711", "cancelled-UID-4711"}
    assert audit.violations.filter(pl.col("title").str.contains("THERAPY")).height == 0


def test_strict_writes_only_the_summary(audit: Audit, tmp_path: Path):
    written = write_export(audit, tmp_path, "strict")
    assert written == [tmp_path / "summary.csv"]
    assert sorted(written_bytes(tmp_path)) == ["summary.csv"]
    assert leaks(tmp_path, (*LIFE_MARKERS, *DESCRIPTION_MARKERS, WORK_LOCATION,
                            WORK_ORGANIZER, WORK_TITLE, "Late review", *NON_ASCII)) == []


def test_strict_removes_what_a_standard_export_left(audit: Audit, tmp_path: Path):
    write_export(audit, tmp_path, "standard")
    assert sorted(written_bytes(tmp_path)) == ["events.csv", "summary.csv", "violations.csv"]
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")  # not ours: kept
    write_export(audit, tmp_path, "strict")
    assert sorted(written_bytes(tmp_path)) == ["notes.txt", "summary.csv"]
    assert leaks(tmp_path, (WORK_TITLE, "Late review")) == []


def test_standard_hides_life_and_drops_locations(audit: Audit, tmp_path: Path):
    written = write_export(audit, tmp_path, "standard")
    assert written == [tmp_path / n for n in ("summary.csv", "violations.csv", "events.csv")]
    assert sorted(written_bytes(tmp_path)) == ["events.csv", "summary.csv", "violations.csv"]
    assert leaks(tmp_path, (*LIFE_MARKERS, *DESCRIPTION_MARKERS, WORK_LOCATION,
                            WORK_ORGANIZER, "calc")) == []
    events = records(tmp_path / "events.csv")
    titles = {e["title"] for e in events}
    assert {WORK_TITLE, "Late review", *NON_ASCII} <= titles
    personal = [e for e in events if e["domain"] == "life"]
    assert len(personal) == 4
    for row in personal:
        assert row["title"] == "Personal"
        assert row["reason"] == ""
        assert row["event_id"].startswith("personal-")
    work = next(e for e in events if e["title"] == WORK_TITLE)
    assert work["event_id"] == "planning@acme.example"
    assert work["reason"].startswith('domain: calendar "ics:work.ics"')


def test_full_keeps_titles_and_locations_never_descriptions(audit: Audit, tmp_path: Path):
    write_export(audit, tmp_path, "full")
    assert leaks(tmp_path, DESCRIPTION_MARKERS) == []
    events = {e["event_id"]: e for e in records(tmp_path / "events.csv")}
    therapy = events["therapy-UID-4711@clinic.example"]
    assert therapy["title"] == "SECRET-THERAPY session"
    assert therapy["location"] == "Dr. Private Street 5"
    assert therapy["reason"].startswith('domain: rule "Therapy"')
    assert therapy["organizer"] == "doctor-secret@clinic.example"
    assert events["planning@acme.example"]["location"] == WORK_LOCATION
    assert "description" not in next(iter(events.values()))


def test_a_full_export_overwritten_by_standard_keeps_nothing_private(audit: Audit,
                                                                      tmp_path: Path):
    write_export(audit, tmp_path, "full")
    write_export(audit, tmp_path, "standard")
    assert leaks(tmp_path, (*LIFE_MARKERS, WORK_LOCATION)) == []
    assert not any(p.suffix == ".tmp" for p in tmp_path.iterdir())


@pytest.mark.parametrize("privacy", ["strict", "standard", "full"])
def test_export_frames_match_the_files(audit: Audit, tmp_path: Path, privacy: str):
    frames = export_frames(audit, privacy)
    write_export(audit, tmp_path, privacy)
    assert sorted(frames) == sorted(written_bytes(tmp_path))
    for name, frame in frames.items():
        assert (tmp_path / name).read_bytes() == csv_bytes(frame)
        assert "description" not in frame.columns


# --- round trip -------------------------------------------------------------------------

@pytest.mark.parametrize("privacy", ["strict", "standard", "full"])
def test_every_file_reads_back(audit: Audit, tmp_path: Path, privacy: str):
    write_export(audit, tmp_path, privacy)
    header, rows = read_csv(tmp_path / "summary.csv")
    assert header == SUMMARY_HEADER
    assert [r[0] for r in rows] == [*(d.isoformat() for d in W13.days), "week"]
    if privacy == "strict":
        return
    header, rows = read_csv(tmp_path / "violations.csv")
    assert header == VIOLATIONS_HEADER
    assert len(rows) == audit.violations.height > 0
    header, rows = read_csv(tmp_path / "events.csv")
    assert header == EVENTS_HEADER + (FULL_EXTRA if privacy == "full" else [])
    assert len(rows) == audit.events.height == len(ROWS)


def test_summary_matches_the_report(audit: Audit, tmp_path: Path):
    write_export(audit, tmp_path, "strict")
    summary = {r["date"]: r for r in records(tmp_path / "summary.csv")}
    report = build_report(audit)
    for day in report["days"]:
        row = summary[day["date"]]
        for key in ("work", "life", "integrated", "unclassified", "focus", "working"):
            assert float(row[key]) == day[key], (day["date"], key)
        assert int(row["violation_minutes"]) == day["violation_minutes"]
        assert row["focus_target"] == ""
    week = summary["week"]
    for key, value in report["hours"]["by_domain"].items():
        assert float(week[key]) == value, key
    for key, value in report["hours"]["by_quadrant"].items():
        assert float(week[f"quadrant_{key}"]) == value, key
    assert float(week["meetings"]) == report["hours"]["meetings"]
    assert float(week["focus"]) == report["focus"]["hours"]
    assert float(week["working"]) == report["focus"]["working_hours"]
    # (focus_coverage: see test_summary_rounds_like_the_report below)
    assert float(week["focus_target"]) == report["focus"]["target_hours"]
    assert int(week["violation_minutes"]) == sum(
        report["violations"]["minutes_by_type"].values())
    # hand-computed: Monday's late review 17:30-19:00 is after hours; it shares 18-19 with
    # the therapy session (30 min each), so 30 + 30 = 60 min after hours, 30 min of life
    monday = summary[MON]
    assert (float(monday["work"]), float(monday["life"])) == (2.0, 0.5)


def test_violations_csv_has_work_rows_only(audit: Audit, tmp_path: Path):
    write_export(audit, tmp_path, "standard")
    rows = records(tmp_path / "violations.csv")
    assert {(r["date"], r["type"], r["minutes"], r["event_id"]) for r in rows} >= {
        (MON, "after_hours", "60", "late@acme.example"),
        (TUE, "after_hours", "30", "formula-0@acme.example"),
        (WED, "after_hours", "45", "utf8-1@acme.example"),
    }
    assert all(r["calendar"] == "Work" for r in rows)


ROUNDING_ROWS = [
    # work 09:00-11:41 shares 11:40-11:41 with life: 160 + 0.5 = 160.5 min = 2.675 h
    ev("w@acme.example", "Work", at(MON, "09:00"), at(MON, "11:41")),
    life("l@clinic.example", "SECRET-THERAPY", at(MON, "11:40"), at(MON, "12:00")),
    # focus 2220 of 2400 working minutes = 0.925 (W13 with 8-hour days, as in ROWS)
]


@pytest.mark.parametrize(("rows", "column", "key"), [
    (ROUNDING_ROWS, "work", ("hours", "by_domain", "work")),
    (ROWS, "focus_coverage", ("focus", "coverage")),
])
def test_summary_rounds_like_the_report(tmp_path: Path, rows: list[dict], column: str,
                                        key: tuple[str, str] | tuple[str, str, str]):
    audit = run_audit(pl.DataFrame(rows, schema=EVENT_SCHEMA), CONFIG, W13)
    value: Any = build_report(audit)
    for part in key:
        value = value[part]
    write_export(audit, tmp_path, "strict")
    week = {r["date"]: r for r in records(tmp_path / "summary.csv")}["week"]
    assert float(week[column]) == value


# --- spreadsheet safety and text --------------------------------------------------------

@pytest.mark.parametrize("privacy", ["strict", "standard", "full"])
def test_no_cell_starts_like_a_formula(audit: Audit, tmp_path: Path, privacy: str):
    write_export(audit, tmp_path, privacy)
    for path in tmp_path.iterdir():
        header, rows = read_csv(path)
        for row in [header, *rows]:
            for cell in row:
                assert not cell.startswith(DANGEROUS_START), (path.name, cell)


@pytest.mark.parametrize("privacy", ["standard", "full"])
def test_formula_titles_are_neutralized_in_every_csv(audit: Audit, tmp_path: Path,
                                                     privacy: str):
    write_export(audit, tmp_path, privacy)
    quoted = {"'" + title for title in FORMULAS}
    for name in ("events.csv", "violations.csv"):
        titles = {r["title"] for r in records(tmp_path / name)}
        assert quoted <= titles, name
    events = {r["event_id"]: r for r in records(tmp_path / "events.csv")}
    assert events["team@acme.example"]["calendar"] == "'@Team"
    if privacy == "full":
        assert events["formula-0@acme.example"]["location"] == "'=cmd|' /C calc'!A0"


@pytest.mark.parametrize("privacy", ["standard", "full"])
def test_non_ascii_titles_survive(audit: Audit, tmp_path: Path, privacy: str):
    write_export(audit, tmp_path, privacy)
    for name in ("events.csv", "violations.csv"):
        data = (tmp_path / name).read_bytes()
        assert "Müller 1:1".encode() in data
        assert "東京 offsite".encode() in data
        titles = {r["title"] for r in records(tmp_path / name)}
        assert set(NON_ASCII) <= titles


def test_dates_are_iso_and_times_local_with_offset(audit: Audit, tmp_path: Path):
    write_export(audit, tmp_path, "full")
    events = {r["event_id"]: r for r in records(tmp_path / "events.csv")}
    planning = events["planning@acme.example"]
    assert (planning["date"], planning["start"], planning["end"]) == (
        MON, "2026-03-23T09:00:00+01:00", "2026-03-23T10:00:00+01:00")
    assert events["retreat-UID-4711"]["all_day"] == "true"
    assert events["cancelled-UID-4711"]["count_reason"] == "cancelled"


# --- errors -----------------------------------------------------------------------------

def test_an_unknown_privacy_level(audit: Audit, tmp_path: Path):
    with pytest.raises(AuditError) as raised:
        write_export(audit, tmp_path, "secret")
    assert str(raised.value) == "unknown privacy level 'secret': use one of strict, standard, full"
    assert list(tmp_path.iterdir()) == []


def test_an_out_dir_under_a_file(audit: Audit, tmp_path: Path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(AuditError) as raised:
        write_export(audit, blocker / "out", "standard")
    assert str(raised.value) == f"{blocker / 'out'}: cannot write the export: Not a directory"
    assert "\n" not in str(raised.value)


def test_an_out_dir_that_is_a_file(audit: Audit, tmp_path: Path):
    blocker = tmp_path / "export.csv"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(AuditError) as raised:
        write_export(audit, blocker, "strict")
    assert str(raised.value) == f"{blocker}: cannot write the export: File exists"
    assert blocker.read_text(encoding="utf-8") == "x"


def test_a_summary_in_the_way_is_an_error_with_one_line(audit: Audit, tmp_path: Path):
    (tmp_path / "summary.csv").mkdir()  # a folder where the file goes
    with pytest.raises(AuditError) as raised:
        write_export(audit, tmp_path, "strict")
    assert "\n" not in str(raised.value)
    assert str(raised.value).startswith(f"{tmp_path}: cannot write the export: ")


def test_a_failed_export_leaves_no_temporary_file(audit: Audit, tmp_path: Path):
    (tmp_path / "events.csv").mkdir()  # the last file of a full export cannot be replaced
    with pytest.raises(AuditError):
        write_export(audit, tmp_path, "full")
    leftovers = [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"]
    assert leftovers == []
    assert leaks(tmp_path, ("SECRET-THERAPY", "Dr. Private Street 5")) == []


# --- private by default (issue 11): only what is positively work is named ----------------

GUESS_CONFIG = parse_config({"timezone": TZ, "work_domains": ["acme.example"]},
                            file="test.toml")


def test_standard_names_only_positively_work_occurrences():
    rows = [
        # work by its people (a colleague in it): named
        ev("with-ana@acme.example", "Pricing with Ana", at(MON, "09:00"), at(MON, "10:00"),
           organizer="ana@acme.example", attendee_domains=["acme.example"], attendees=1),
        # work only because its calendar is named "Work": a guess, "Personal"
        ev("unknown@x", "GUESS-Lang", at(MON, "10:00"), at(MON, "11:00")),
        # nothing says what it is: unclassified, "Personal"
        ev("unknown2@x", "GUESS-Shah", at(TUE, "18:30"), at(TUE, "19:00"), calendar="Misc",
           source="ics:misc.ics"),
    ]
    audit = run_audit(pl.DataFrame(rows, schema=EVENT_SCHEMA), GUESS_CONFIG, W13)
    events = export_frames(audit, "standard")["events.csv"]
    assert events.select("title", "domain").rows() == [
        ("Pricing with Ana", "work"), ("Personal", "work"), ("Personal", "unclassified")]
    assert events["event_id"].to_list() == ["with-ana@acme.example", "personal-1",
                                            "personal-2"]
    assert events["attendees"].to_list() == [1, None, None]
    full = export_frames(audit, "full")["events.csv"]
    assert full["title"].to_list() == ["Pricing with Ana", "GUESS-Lang", "GUESS-Shah"]


def test_work_by_a_guess_is_personal_in_violations_too():
    # a calendar named "Work" makes its events work, but only as a guess
    rows = [ev("guess@x", "GUESS-late call", at(MON, "19:00"), at(MON, "20:00")),
            ev("sure@acme.example", "Late review with Ana", at(TUE, "19:00"), at(TUE, "20:00"),
               organizer="ana@acme.example", attendee_domains=["acme.example"], attendees=1)]
    audit = run_audit(pl.DataFrame(rows, schema=EVENT_SCHEMA), GUESS_CONFIG, W13)
    assert audit.events["domain"].to_list() == ["work", "work"]
    assert audit.events["domain_confident"].to_list() == [False, True]
    out = export_frames(audit, "standard")
    violations = out["violations.csv"]
    assert violations.select("event_id", "title", "calendar").rows() == [
        ("personal-1", "Personal", "Personal"),
        ("sure@acme.example", "Late review with Ana", "Work")]
    assert out["events.csv"]["event_id"].to_list() == ["personal-1", "sure@acme.example"]
