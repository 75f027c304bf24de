"""First use with one's own calendars, in AppTest: a batch upload reports each file, the
person's zone is detected once and asked, the Google walkthrough, the calendar list."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from audit import config_edit
from connectors.zones import declared_zone, majority_zone
from dashboard import connections, zone

ROOT = Path(__file__).resolve().parent.parent
PERSONA = ROOT.parent / "shared" / "personas" / "P2"
BROKEN = b"BEGIN:VCALENDAR\r\nnot a line\r\n"

pytestmark = pytest.mark.filterwarnings(
    "ignore:Implicitly cleaning up <TemporaryDirectory:ResourceWarning")


def calendar(*events: str, head: str = "") -> bytes:
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:e{i}@test\r\nSUMMARY:Event {i}\r\n{event}END:VEVENT\r\n"
        for i, event in enumerate(events))
    return (f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{head}{body}"
            "END:VCALENDAR\r\n").encode()


GOOD = "DTSTART:20261117T090000Z\r\nDTEND:20261117T100000Z\r\n"
BAD_RULE = "DTSTART:20261118T090000Z\r\nDTEND:20261118T100000Z\r\nRRULE:FREQ=SOMETIMES\r\n"


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file("../app.py", default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def uploader(at: AppTest) -> object:
    return next(u for u in at.file_uploader if u.label == "Add .ics files")


def texts(elements: object) -> list[str]:
    return [e.value for e in elements]


def test_a_batch_upload_reports_each_file(app: AppTest) -> None:
    skipped = calendar(GOOD, BAD_RULE, head="X-WR-TIMEZONE:America/Chicago\r\n")
    uploader(app).set_value([("skipped one.ics", skipped, "text/calendar"),
                             ("broken.ics", BROKEN, "text/calendar")]).run()
    assert not app.exception, app.exception
    [connected] = [t for t in texts(app.success) if t.startswith("**skipped one.ics**")]
    assert connected.startswith("**skipped one.ics** — connected.")
    assert "skipped 1 malformed" in connected          # with its warning
    [rejected] = [t for t in texts(app.error) if "broken.ics" in t]
    assert rejected.startswith("**broken.ics** — not connected: line 2: not a valid")
    # the sample does not vanish without a word
    assert any("sample calendars stepped aside" in t for t in texts(app.info))
    assert connections.load_connections().files == ("skipped one.ics",)
    # the uploader starts empty: a rejected file is not listed as if connected
    assert not uploader(app).value
    # a later success clears the stale error
    uploader(app).upload("second.ics", calendar(GOOD), "text/calendar").run()
    assert not [t for t in texts(app.error) if "broken.ics" in t]
    assert [t for t in texts(app.success) if t.startswith("**second.ics** — connected.")]
    assert connections.load_connections().files == ("skipped one.ics", "second.ics")


def test_the_zone_is_detected_from_the_calendars_and_asked_once(app: AppTest) -> None:
    assert "Europe/Berlin" in app.caption[0].value   # the sample's zone
    files = [(f"{n}.ics", (PERSONA / f"{n}.ics").read_bytes(), "text/calendar")
             for n in ("work", "privat", "familie")]
    uploader(app).set_value(files).run()
    assert not app.exception, app.exception
    user = config_edit.user_config_path()
    # never silently the machine's zone: the calendars' own, saved, shown and asked
    assert tomllib.loads(user.read_text(encoding="utf-8"))["timezone"] == "Europe/Berlin"
    assert "Europe/Berlin" in app.caption[0].value
    prompt = [t for t in texts(app.markdown) if "Is your time zone Europe/Berlin?" in t]
    assert prompt
    assert "3 of the 3 calendars you connected say so" in prompt[0]
    # choosing another zone saves it and the question is settled
    app.selectbox(key=zone.CHOICE).set_value("America/New_York").run()
    assert tomllib.loads(user.read_text(encoding="utf-8"))["timezone"] == "America/New_York"
    assert "America/New_York" in app.caption[0].value
    assert not [t for t in texts(app.markdown) if "Is your time zone" in t]
    uploader(app).upload("more.ics", calendar(GOOD), "text/calendar").run()
    assert not [t for t in texts(app.markdown) if "Is your time zone" in t]  # once


def test_without_a_declared_zone_the_machine_zone_is_asked(app: AppTest,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    monkeypatch.setattr(zone, "local_zone_name", lambda: "Asia/Tokyo")
    uploader(app).upload("plain.ics", calendar(GOOD), "text/calendar").run()
    prompt = [t for t in texts(app.markdown) if "Is your time zone Asia/Tokyo?" in t]
    assert prompt
    assert "this computer's zone" in prompt[0]
    app.button(key="zone_confirm").click().run()
    assert not [t for t in texts(app.markdown) if "Is your time zone" in t]
    assert "Time zone: Asia/Tokyo." in " ".join(texts(app.success))


@pytest.mark.parametrize(("head", "zone_name"), [
    ("X-WR-TIMEZONE:Europe/Lisbon\r\n", "Europe/Lisbon"),
    ("X-WR-TIMEZONE:Not/AZone\r\nBEGIN:VTIMEZONE\r\nTZID:Asia/Kolkata\r\nEND:VTIMEZONE\r\n"
     "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\nEND:VTIMEZONE\r\n", "Asia/Kolkata"),
    ("X-WR-TIMEZONE:Europe/\r\n Paris\r\n", "Europe/Paris"),    # a folded line
    ("", None),
])
def test_the_zone_a_calendar_declares(head: str, zone_name: str | None) -> None:
    assert declared_zone(calendar(GOOD, head=head)) == zone_name


def test_the_zone_most_calendars_declare() -> None:
    assert majority_zone(["Europe/Berlin", None, "Europe/Berlin", "Etc/UTC"]) == (
        "Europe/Berlin", 2, 4)
    assert majority_zone([None, None]) == (None, 0, 2)
