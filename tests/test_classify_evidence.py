"""Evidence (SPEC §5, issue 11): what a calendar and an event's people say, with reasons.

Each small calendar under ``tests/data/ics/classify-*.ics`` shows one kind of evidence;
the configuration is what a new user sets on day one (addresses, work domain), no rules.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from audit.classify import calendar_defaults, classify_events
from audit.config import Config, parse_config
from audit.evidence import people_frame
from audit.rules import is_external
from connectors.ics import read_ics
from core.schema import EVENT_SCHEMA

START = datetime(2026, 11, 16, tzinfo=UTC)
END = datetime(2026, 11, 23, tzinfo=UTC)
CONFIG = parse_config({"timezone": "Europe/Berlin", "work_domains": ["corp.example"],
                       "owner_emails": ["me@corp.example", "me@gmail.com"]})


def read(ics_data: Path, *names: str) -> pl.DataFrame:
    return pl.concat([read_ics(ics_data / f"classify-{name}.ics", start=START, end=END,
                               tz="Europe/Berlin", owner_emails=CONFIG.owner_emails)
                      for name in names])


def classified(ics_data: Path, *names: str, config: Config = CONFIG) -> dict[str, dict]:
    out = classify_events(read(ics_data, *names).lazy(), config).collect()
    return {row["title"]: row for row in out.iter_rows(named=True)}


def domain_reason(row: dict) -> str:
    return row["reason"].split(";")[0].removeprefix("domain: ")


def test_a_calendar_named_family_is_life_and_says_so(ics_data: Path) -> None:
    rows = classified(ics_data, "family-calendar-by-name")
    assert {t: r["domain"] for t, r in rows.items()} == {
        "Kita abholen": "life", "U10 training ⚽": "life", "Tierpark 🦒": "life",
        "Courses Biocoop": "life", "Laternenumzug 🏮": "life"}
    # a coach's club invitation comes from a business domain: it is still not work
    assert domain_reason(rows["U10 training ⚽"]) == 'default "Family and kids"'
    assert domain_reason(rows["Courses Biocoop"]) == 'default "Errands"'  # French shopping
    assert domain_reason(rows["Laternenumzug 🏮"]) == (
        'calendar "Familie 🏡" is named like a personal calendar')
    assert rows["Laternenumzug 🏮"]["domain_source"] == "calendar guess"
    assert not any(r["domain_confident"] for r in rows.values())


def test_the_account_of_a_work_address_is_a_work_calendar(ics_data: Path) -> None:
    found = calendar_defaults(read(ics_data, "work-account-calendar"), CONFIG)
    assert found.select("calendar", "domain", "evidence").rows() == [
        ("me@corp.example", "work", 'calendar "me@corp.example" is an account on a work domain')]


def test_people_in_an_event_decide_before_keywords_and_calendar(ics_data: Path) -> None:
    rows = classified(ics_data, "work-account-calendar")
    expected = {
        "Leadership weekly": ("work", "evidence", True, "with colleagues"),
        "Pipeline": ("work", "evidence", True, "with colleagues"),
        # a business partner: the domain meets colleagues in another event
        "Greyfield <> Corp": ("work", "evidence", True, "with external business contacts"),
        # integrated by its words, and confident: colleagues are in it
        "Teamabend 🎳": ("integrated", "keywords", True, 'default "Team social"'),
        "Walk & Talk Chiara 🍂": ("integrated", "keywords", True, 'default "Walking 1:1s"'),
        # work only because of the calendar: a guess
        "Board deck": ("work", "calendar guess", False,
                       'calendar "me@corp.example" is an account on a work domain'),
        # private blocks on the work calendar
        "Kita 🚸": ("life", "keywords", False, 'default "Family and kids"'),
        "Privat": ("life", "keywords", False, 'default "Private"'),
        "Dr. Lang": ("work", "calendar guess", False,
                     'calendar "me@corp.example" is an account on a work domain'),
        # colleagues and a life keyword: a candidate for integrated, not a certainty
        "Staff flu jab 💉": ("integrated", "evidence", False,
                            'with colleagues, and default "Health" says life'),
    }
    got = {t: (r["domain"], r["domain_source"], r["domain_confident"], domain_reason(r))
           for t, r in rows.items() if t in expected}
    assert got == expected
    assert rows["Fokuszeit – bitte nicht buchen"]["domain"] == "work"


def test_a_rota_is_work_and_leave_on_it_is_life(ics_data: Path) -> None:
    rows = classified(ics_data, "shift-rota")
    for title in ("E 07:00-15:00 Ward 3", "L 13:30-21:30 Ward 3", "MGT 08:00-16:00 Ward 3",
                  "N 21:00-07:30 Ward 3"):
        assert (rows[title]["domain"], rows[title]["domain_confident"]) == ("work", True)
        assert domain_reason(rows[title]) == (
            'a shift on a rota (calendar "Employee Online - Staff 1234" is a shift rota '
            "(4 of 4 timed events are shifts))")
        assert rows[title]["important"] is True
    assert (rows["AL"]["domain"], domain_reason(rows["AL"])) == ("life", "out of office / leave")


def test_personal_mail_addresses_and_no_colleagues_make_a_life_calendar(
        ics_data: Path) -> None:
    found = calendar_defaults(read(ics_data, "personal-addresses"), CONFIG)
    assert found.select("domain", "evidence").rows() == [
        ("life", 'calendar "Calendar" is mostly with personal addresses and has no colleagues '
                 "(4 of 5 events with people)")]
    rows = classified(ics_data, "personal-addresses")
    assert rows["Samedi"]["domain"] == "life"
    assert domain_reason(rows["Samedi"]).startswith('calendar "Calendar" is mostly with')
    # a colleague on a personal calendar: integrated, as a candidate
    assert (rows["Run with Jonas"]["domain"], rows["Run with Jonas"]["domain_confident"]) == (
        "integrated", False)


def test_a_configured_calendar_default_is_shown_beside_the_inferred_one(
        ics_data: Path) -> None:
    config = parse_config({"work_domains": ["corp.example"],
                           "calendars": [{"source": "ics:classify-*", "domain": "work"}]})
    found = calendar_defaults(read(ics_data, "family-calendar-by-name"), config)
    assert found.select("domain", "configured").rows() == [("life", "work")]
    rows = classified(ics_data, "family-calendar-by-name", config=config)
    assert {r["domain_source"] for r in rows.values()} == {"calendar"}
    assert all(r["domain_confident"] for r in rows.values())


@pytest.mark.parametrize(("title", "kind", "organizer", "domain"), [
    ("Urlaub", "event", None, "life"),
    ("Congés", "event", None, "life"),
    ("Vacaciones", "event", None, "life"),
    ("有給休暇", "event", None, "life"),
    ("Anything", "out_of_office", None, "life"),
    # a colleague's out-of-office invitation is not the owner's leave
    ("OOO Sophie", "event", "sophie@corp.example", "work"),
])
def test_leave_markers_in_several_languages(title: str, kind: str, organizer: str | None,
                                            domain: str) -> None:
    frame = read_ics_row(title, kind=kind, organizer=organizer)
    out = classify_events(frame.lazy(), CONFIG, default_rules=()).collect()
    assert out["domain"].to_list() == [domain]


def read_ics_row(title: str, **fields: object) -> pl.DataFrame:
    from tests.test_classify import event, frame  # noqa: PLC0415 - one event builder

    attendees = ["corp.example"] if fields.get("organizer") else []
    return frame(event(title, attendee_domains=attendees, attendees=len(attendees), **fields))


def classify_frame(*rows: dict) -> pl.DataFrame:
    from tests.test_classify import frame  # noqa: PLC0415 - one event builder

    return classify_events(frame(*rows).lazy(), CONFIG, default_rules=()).collect()


def test_a_booking_robot_is_not_a_business_contact() -> None:
    from tests.test_classify import event  # noqa: PLC0415

    out = classify_frame(
        event("Table for 4", organizer="noreply@bookings.example", attendees=0),
        event("Contract review", event_id="c", organizer="jo@lawfirm.example",
              attendee_domains=["lawfirm.example"], attendees=1))
    assert out["domain"].to_list() == ["unclassified", "work"]
    # outside a work calendar a business contact makes work, but not a certain one
    assert out["domain_confident"].to_list() == [False, False]


def test_a_calendar_of_bare_duty_codes_is_a_rota() -> None:
    from tests.test_classify import MONDAY_9, event  # noqa: PLC0415

    days = [MONDAY_9 + timedelta(days=i) for i in range(4)]
    out = classify_frame(*(event(code, event_id=code, start=day, end=day + timedelta(hours=8))
                           for code, day in zip(("E", "LD", "N", "E"), days, strict=True)),
                         event("OFF", event_id="off", all_day=True))
    assert out["domain"].to_list() == ["work", "work", "work", "work", "life"]
    assert out["reason"][0].startswith("domain: a shift on a rota")


def test_people_frame_tells_external_like_the_rule_matcher() -> None:
    # classification reads a rule's `external` condition from `people_frame`, worked out
    # once per distinct organizer and attendee domains, instead of per row
    domains = [[], ["example.com"], ["mail.example.com", "gmail.com"], ["acme.org"],
               None, ["example.com"], ["acme.org"]]
    organizers = [None, "me@example.com", "x@acme.org", None, "a@gmail.com", "b@acme.org",
                  None]
    events = pl.DataFrame({"attendee_domains": domains, "organizer": organizers}).select(
        pl.col(name).cast(EVENT_SCHEMA[name]) for name in ("attendee_domains", "organizer"))
    people = people_frame(events, ["example.com"], ["me@example.com"], external=True)
    expected = events.select(is_external(["example.com"]).alias("external")).to_series()
    assert people["external"].to_list() == expected.to_list()
    assert "external" not in people_frame(events, ["example.com"], []).columns
