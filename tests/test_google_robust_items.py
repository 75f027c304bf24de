"""Items of the wrong shape from Google: validated at the border, skipped and counted, never
stored; items stored by an older timeaudit never break a report (recorded responses)."""

from __future__ import annotations

import copy
import json
import sqlite3
import warnings
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from google_replay import JSON, items, ok, replay

from cli.reading import read_google
from connectors import google_store
from connectors.google import sync
from core.errors import CalendarWarning, ConnectorError
from core.period import Period

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WEEK = Period(date(2026, 11, 16), date(2026, 11, 23), "Europe/Berlin")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "timeaudit.sqlite3"


def page(page_items: list[Any], **extra: Any) -> tuple[dict[str, str], str]:
    return {"status": "200", "content-type": JSON}, json.dumps(
        {"items": page_items, "nextSyncToken": "token-1", **extra})


def good() -> list[dict[str, Any]]:
    return copy.deepcopy(items("sync_full_page1"))


def bad_items() -> list[Any]:
    template = good()[0]
    start_text = {**template, "id": "start-text", "start": "2026-11-16T10:00:00+01:00"}
    attendees_text = {**template, "id": "attendees-text",
                      "attendees": ["gus@example.com", "eve@example.com"]}
    summary_number = {**template, "id": "summary-number", "summary": 42}
    organizer_text = {**template, "id": "organizer-text", "organizer": "ada@example.com"}
    return ["an item that is a string", None, 7, start_text, attendees_text,
            summary_number, organizer_text]


def stored_ids(db: Path) -> set[str]:
    with closing(sqlite3.connect(db)) as connection:
        return {row[0] for row in connection.execute("SELECT google_id FROM google_events")}


def test_bad_items_are_skipped_counted_and_never_stored(db: Path) -> None:
    service, _ = replay(ok("calendar_list"), page([*bad_items(), *good()]))
    with pytest.warns(CalendarWarning) as caught:
        [result] = sync(service=service, store_path=db, now=NOW)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1
    assert messages[0].startswith("Google primary calendar: skipped 7 malformed events (")
    assert "not an object: 3" in messages[0]
    assert "attendees are not a list of people: 1" in messages[0]
    assert "start is not an object: 1" in messages[0]
    assert "ada@example.com" not in messages[0]  # names the calendar, never the address
    assert result.fetched == len(good())
    assert stored_ids(db) == {item["id"] for item in good()}
    frame = read_google(period=WEEK, store_path=db)
    assert frame.height == len(good())


def test_a_page_whose_items_are_not_a_list_changes_nothing(db: Path) -> None:
    service, _ = replay(ok("calendar_list"), ({"status": "200", "content-type": JSON},
                                              json.dumps({"items": "oops"})))
    with pytest.raises(ConnectorError, match="unreadable page"):
        sync(service=service, store_path=db, now=NOW)
    assert not db.exists() or stored_ids(db) == set()


def test_items_stored_by_an_older_version_are_skipped_when_read(db: Path) -> None:
    service, _ = replay(ok("calendar_list"), page(good()))
    sync(service=service, store_path=db, now=NOW)
    with closing(sqlite3.connect(db)) as connection, connection:
        for number, item in enumerate(bad_items()):
            connection.execute(
                "INSERT INTO google_events VALUES (?, ?, NULL, NULL, NULL, ?)",
                ("ada@example.com", f"old-{number}", json.dumps(item)))
        connection.execute("INSERT INTO google_events VALUES (?, ?, NULL, NULL, NULL, ?)",
                           ("ada@example.com", "torn", "{not json"))
    with pytest.warns(CalendarWarning, match=r"skipped 8 malformed events"):
        frame = read_google(period=WEEK, store_path=db)
    assert frame.height == len(good())


def test_report_google_works_with_bad_items_in_the_store(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from cli.main import main  # noqa: PLC0415

    path = google_store.store.default_store_path()
    service, _ = replay(ok("calendar_list"), page(good()))
    sync(service=service, store_path=path, now=NOW)
    with closing(sqlite3.connect(path)) as connection, connection:
        item = {**good()[0], "id": "old", "attendees": ["gus@example.com"]}
        connection.execute("INSERT INTO google_events VALUES (?, ?, NULL, ?, ?, ?)",
                           ("ada@example.com", "old", "2026-11-16T09:00:00Z",
                            "2026-11-16T10:00:00Z", json.dumps(item)))
    code = main(["report", "--google", "--week", "2026-W47", "--tz", "Europe/Berlin",
                 "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "skipped 1 malformed event (attendees are not a list of people: 1)" in captured.err
    json.loads(captured.out)


@pytest.mark.parametrize("when", [
    {"dateTime": "9999-12-31T23:00:00-05:00"}, {"date": "9999-12-31"},
    {"dateTime": "0001-01-01T00:30:00+01:00"}, {"date": "0001-01-01"}])
def test_items_at_the_ends_of_the_calendar_are_skipped_and_counted(
        db: Path, when: dict[str, str]) -> None:
    edge = {**good()[0], "id": "edge", "start": when, "end": when,
            "created": "9999-12-31T23:59:59-05:00"}
    service, _ = replay(ok("calendar_list"), page([edge, *good()]))
    sync(service=service, store_path=db, now=NOW)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_google(period=WEEK, store_path=db)
    assert frame.height == len(good())
    assert all(w.category is CalendarWarning for w in caught)
    assert all("invalid date or time" in str(w.message) for w in caught)
