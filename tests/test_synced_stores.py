"""The three synced stores (Google, CalDAV, Microsoft) open their tables one way
(`core.local_store.Component`): a read never writes, tables are created only when missing
and in the sync's own transaction, a newer version is refused with one line, and a failed
sync leaves the store as it was."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from audit import store as overrides
from connectors import caldav_store, google_store, graph_store
from connectors.progress import SyncWindow
from core.errors import AuditError

START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
WINDOW = SyncWindow(START, END)
NOW = datetime(2026, 11, 20, tzinfo=UTC)


def timed_item(event_id: str, hour: int) -> dict[str, Any]:
    """A Google/Graph-shaped event (both stores keep the raw JSON)."""
    return {"id": event_id, "status": "confirmed", "subject": "Standup", "summary": "Standup",
            "start": {"dateTime": f"2026-11-16T{hour:02d}:00:00Z"},
            "end": {"dateTime": f"2026-11-16T{hour:02d}:30:00Z"}}


def ics_object(uid: str) -> caldav_store.StoredObject:
    text = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261116T090000Z\r\n"
            "DTEND:20261116T093000Z\r\nSUMMARY:Standup\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    return caldav_store.StoredObject(f"{uid}.ics", f'"{uid}"', text)


@dataclass(frozen=True)
class Synced:
    """One store and how a test syncs into it and reads it back."""

    module: ModuleType
    label: str
    sync: Callable[[Path, str, object], object]  # (path, uid prefix, sync token)
    read: Callable[[Path], list[object]]  # everything its readers return

    def __str__(self) -> str:
        return self.label


GOOGLE_CALENDAR = google_store.Calendar("primary", "Me", primary=True, access_role="owner")
GRAPH_CALENDAR = graph_store.Calendar("c1", "Calendar", default=True, can_edit=True)
CALDAV_CALENDAR = caldav_store.Calendar("https://dav.example/u/home/", "Home")

def json_items_store(module: ModuleType, label: str, calendar: Any, token: str) -> Synced:
    """Google and Microsoft keep the raw JSON items: the same sync and the same readers
    (``token``: the name of the sync's token argument)."""
    return Synced(
        module, label,
        lambda path, uid, value: module.write_sync(
            calendar, [timed_item(f"{uid}1", 9), timed_item(f"{uid}2", 10)], full=True,
            window=WINDOW, path=path, now=NOW, **{token: value}),
        lambda path: [module.stored_calendars(path), module.selected_ids(path),
                      module.sync_states(path),
                      module.load_items(calendar.id, START, END, path=path)])


STORES = [
    json_items_store(google_store, "Google", GOOGLE_CALENDAR, "sync_token"),
    Synced(caldav_store, "CalDAV",
           lambda path, uid, token: caldav_store.write_sync(
               CALDAV_CALENDAR, {f"{uid}{i}.ics": ics_object(f"{uid}{i}") for i in (1, 2)},
               (), full=True, sync_token=token, ctag=None, path=path, now=NOW),
           lambda path: [caldav_store.load_account(path), caldav_store.stored_calendars(path),
                         caldav_store.selected_urls(path), caldav_store.sync_states(path),
                         caldav_store.stored_etags(CALDAV_CALENDAR.url, path),
                         caldav_store.load_objects(CALDAV_CALENDAR.url, path)]),
    json_items_store(graph_store, "Microsoft", GRAPH_CALENDAR, "delta_link"),
]
NOTHING = {"Google": [[], [], {}, []], "CalDAV": [None, [], [], {}, {}, []],
           "Microsoft": [[], [], {}, []]}


def files(folder: Path) -> dict[str, bytes]:
    """Every file in the store's folder (the database and any -wal/-shm), byte for byte."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def tables(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as connection:
        return [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "timeaudit.sqlite3"


@pytest.mark.parametrize("synced", STORES, ids=str)
def test_reading_a_missing_store_creates_nothing(synced: Synced, path: Path) -> None:
    assert synced.read(path) == NOTHING[synced.label]
    assert not path.parent.exists()


@pytest.mark.parametrize("synced", STORES, ids=str)
@pytest.mark.parametrize("start", ["empty file", "overrides only", "another connector"])
def test_reading_a_store_without_its_tables_writes_nothing(synced: Synced, path: Path,
                                                           start: str) -> None:
    path.parent.mkdir()
    if start == "empty file":
        path.touch()
    else:
        overrides.set_override(event_id="e1", domain="life", path=path)
    if start == "another connector":
        other = next(s for s in STORES if s is not synced)
        other.sync(path, "other", "token-0")
    before, names = files(path.parent), tables(path)
    assert synced.read(path) == NOTHING[synced.label]
    assert files(path.parent) == before
    assert tables(path) == names
    assert not any(name.startswith(synced.module.TABLES[0].split("_")[0]) for name in names)


@pytest.mark.parametrize("synced", STORES, ids=str)
def test_reading_a_synced_store_writes_nothing(synced: Synced, path: Path) -> None:
    synced.sync(path, "a", "token-1")
    before = files(path.parent)
    assert synced.read(path) != NOTHING[synced.label]
    assert files(path.parent) == before


@pytest.mark.parametrize("synced", STORES, ids=str)
def test_a_newer_version_of_its_tables_is_refused_in_one_line(synced: Synced,
                                                               path: Path) -> None:
    synced.sync(path, "a", "token-1")
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("UPDATE schema_version SET version = version + 1 "
                           "WHERE component = ?", (synced.module.COMPONENT.name,))
    before = files(path.parent)
    message = (f"the store's {synced.label} tables are version 2, newer than this timeaudit "
               "understands: upgrade timeaudit")
    for attempt in (lambda: synced.read(path), lambda: synced.sync(path, "b", "token-2"),
                    lambda: synced.module.forget_all(path)):
        with pytest.raises(AuditError) as refused:
            attempt()
        assert str(refused.value) == message
    assert files(path.parent) == before


@pytest.mark.parametrize("synced", STORES, ids=str)
def test_a_failed_sync_leaves_the_store_as_it_was(synced: Synced, path: Path) -> None:
    overrides.set_override(event_id="e1", domain="life", path=path)
    synced.sync(path, "a", "token-1")
    before, contents = files(path.parent), synced.read(path)
    # the last statement of the sync (its token) cannot be written: everything before it
    # (the full sync's delete, the new rows) must be rolled back
    with pytest.raises((AuditError, sqlite3.Error)):
        synced.sync(path, "b", object())
    assert files(path.parent) == before
    assert synced.read(path) == contents


@pytest.mark.parametrize("synced", STORES, ids=str)
def test_a_failed_first_sync_leaves_no_tables_behind(synced: Synced, path: Path) -> None:
    overrides.set_override(event_id="e1", domain="life", path=path)
    before, names = files(path.parent), tables(path)
    with pytest.raises((AuditError, sqlite3.Error)):
        synced.sync(path, "b", object())
    assert tables(path) == names
    assert files(path.parent) == before
    synced.sync(path, "b", "token-1")  # and the next sync creates them
    assert set(synced.module.TABLES) <= set(tables(path))
    assert synced.read(path) != NOTHING[synced.label]


@pytest.mark.parametrize("synced", STORES, ids=str)
def test_forgetting_keeps_the_overrides_and_other_connectors(synced: Synced,
                                                             path: Path) -> None:
    overrides.set_override(event_id="e1", domain="life", path=path)
    others = [s for s in STORES if s is not synced]
    for each in STORES:
        each.sync(path, "a", "token-1")
    kept = [other.read(path) for other in others]
    synced.module.forget_all(path)
    assert synced.read(path)[-1] in ([], {})
    assert [other.read(path) for other in others] == kept
    assert overrides.load_overrides(path)["key"].to_list() == ["e1"]
