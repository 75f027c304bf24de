"""The CalDAV connector against a real server: Radicale on 127.0.0.1, started here.

Each test loads its own calendar into the server through CalDAV and syncs it into its own
(isolated) store: a first sync, then an added, a changed and a deleted event and a moved
recurring instance, by sync-collection (RFC 6578) and by ctag/ETag comparison; an expired
sync token; a server that goes away mid-sync; a wrong password.
"""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from radicale_server import PASSWORD, USER, RadicaleServer, event, running

from audit import store
from connectors import caldav_secret, caldav_store
from connectors.caldav import login, read_caldav, sync
from core.errors import AuthError, ConnectorError

START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
METHODS = {"sync-collection": True, "etag": False}

SERIES = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//timeaudit tests//EN\r
BEGIN:VEVENT\r
UID:standup@tests\r
DTSTAMP:20261101T000000Z\r
SUMMARY:Standup\r
DTSTART:20261116T080000Z\r
DTEND:20261116T081500Z\r
RRULE:FREQ=DAILY;COUNT=3\r
END:VEVENT\r
{override}END:VCALENDAR\r
"""
MOVED = """BEGIN:VEVENT\r
UID:standup@tests\r
DTSTAMP:20261101T000000Z\r
RECURRENCE-ID:20261117T080000Z\r
SUMMARY:Standup (moved)\r
DTSTART:20261117T130000Z\r
DTEND:20261117T131500Z\r
END:VEVENT\r
"""


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RadicaleServer]:
    with running(tmp_path_factory.mktemp("radicale")) as started:
        yield started


def signed_in(server: RadicaleServer, cal_id: str, name: str) -> object:
    """A new calendar on the server; signed in and that calendar selected."""
    calendar = server.make_calendar(cal_id, name)
    result = login(server.url, USER, PASSWORD)
    chosen = [c for c in result.calendars if c.collection_id == cal_id]
    caldav_store.set_selection(chosen)
    return calendar


def read() -> pl.DataFrame:
    return read_caldav(start=START, end=END, tz="UTC", use_cache=False)


def rows(frame: pl.DataFrame) -> list[tuple[str, datetime]]:
    return sorted(frame.select("title", "start").rows())


def test_login_finds_the_principal_and_keeps_the_password_private(
        server: RadicaleServer) -> None:
    server.make_calendar("login-work", "Work")
    result = login(server.url, USER, PASSWORD)
    assert "Work" in [c.name for c in result.calendars]
    # no keyring on a test machine (conftest): a file readable by the owner only
    assert result.account.secret_store == caldav_secret.FILE
    assert "readable by you only" in result.where
    path = caldav_secret.password_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_text() == PASSWORD
    assert PASSWORD.encode() not in store.default_store_path().read_bytes()


class _MemoryKeyring:
    priority = 1

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, user: str, password: str) -> None:
        self.items[service, user] = password

    def get_password(self, service: str, user: str) -> str | None:
        return self.items.get((service, user))

    def delete_password(self, service: str, user: str) -> None:
        del self.items[service, user]


def test_a_usable_keyring_holds_the_password(server: RadicaleServer,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    backend = _MemoryKeyring()
    monkeypatch.setattr(caldav_secret, "_usable_keyring", lambda: backend)
    result = login(server.url, USER, PASSWORD)
    assert (result.account.secret_store, result.where) == ("keyring", "in the system keyring")
    assert list(backend.items.values()) == [PASSWORD]
    assert not caldav_secret.password_path().exists()
    sync([])  # signs in with the password from the keyring (no calendar named: the selection)
    assert caldav_secret.delete_password(server.url, USER)
    assert backend.items == {}


@pytest.mark.parametrize("method", METHODS)
def test_first_sync_then_added_changed_deleted_and_moved(server: RadicaleServer,
                                                         method: str) -> None:
    use_sync_collection = METHODS[method]
    calendar = signed_in(server, f"life-{method}", f"Life {method}")
    calendar.add_event(event("a@tests", "Dentist", "20261116T090000Z", "20261116T100000Z"))
    calendar.add_event(event("b@tests", "Gym", "20261117T170000Z", "20261117T180000Z"))
    calendar.add_event(SERIES.format(override=""))

    (first,) = sync(use_sync_collection=use_sync_collection)
    assert (first.full, first.method, first.fetched, first.stored) == (True, method, 3, 3)
    frame = read()
    assert rows(frame) == [
        ("Dentist", utc(2026, 11, 16, 9)), ("Gym", utc(2026, 11, 17, 17)),
        ("Standup", utc(2026, 11, 16, 8)), ("Standup", utc(2026, 11, 17, 8)),
        ("Standup", utc(2026, 11, 18, 8))]
    assert set(frame["source"]) == {f"caldav:life-{method}"}
    assert set(frame["calendar"]) == {f"Life {method}"}

    (again,) = sync(use_sync_collection=use_sync_collection)
    assert (again.full, again.fetched, again.removed, again.stored) == (False, 0, 0, 3)

    calendar.add_event(event("c@tests", "Lunch", "20261118T110000Z", "20261118T120000Z"))
    changed = calendar.event_by_uid("a@tests")
    changed.data = event("a@tests", "Dentist (later)", "20261116T150000Z", "20261116T160000Z")
    changed.save()
    calendar.event_by_uid("b@tests").delete()
    series = calendar.event_by_uid("standup@tests")
    series.data = SERIES.format(override=MOVED)
    series.save()

    (incremental,) = sync(use_sync_collection=use_sync_collection)
    assert (incremental.full, incremental.fetched, incremental.removed,
            incremental.stored) == (False, 3, 1, 3)
    frame = read()
    assert rows(frame) == [
        ("Dentist (later)", utc(2026, 11, 16, 15)), ("Lunch", utc(2026, 11, 18, 11)),
        ("Standup", utc(2026, 11, 16, 8)), ("Standup", utc(2026, 11, 18, 8)),
        ("Standup (moved)", utc(2026, 11, 17, 13))]
    moved = frame.filter(pl.col("title") == "Standup (moved)").row(0, named=True)
    assert (moved["series_id"], moved["event_id"]) == (
        "standup@tests", "standup@tests@2026-11-17T08:00:00Z")


def test_an_expired_sync_token_means_a_full_listing(server: RadicaleServer) -> None:
    calendar = signed_in(server, "expired", "Expired")
    calendar.add_event(event("x@tests", "Review", "20261119T090000Z", "20261119T100000Z"))
    sync()
    with caldav_store.transaction(None) as connection:
        connection.execute("UPDATE caldav_sync_state SET sync_token = ?",
                           ("http://radicale.org/ns/sync/" + "0" * 64,))
    calendar.event_by_uid("x@tests").delete()
    (result,) = sync()
    assert (result.full, result.method, result.stored) == (True, "sync-collection", 0)
    assert read().height == 0


def _snapshot() -> dict[str, bytes]:
    """The store's files (the database and any -wal/-shm beside it), byte for byte."""
    path = store.default_store_path()
    return {p.name: p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))}


@pytest.mark.parametrize("method", METHODS)
def test_a_server_that_goes_away_mid_sync_changes_nothing(tmp_path: Path, method: str) -> None:
    use_sync_collection = METHODS[method]
    with running(tmp_path) as server:
        calendar = signed_in(server, "work", "Work")
        calendar.add_event(event("a@tests", "Planning", "20261116T090000Z",
                                 "20261116T100000Z"))
        sync(use_sync_collection=use_sync_collection)
        before = _snapshot()
        calendar.add_event(event("b@tests", "Retro", "20261117T090000Z", "20261117T100000Z"))
        calendar.event_by_uid("a@tests").delete()

        def stop_when_fetching(step: object) -> None:
            if getattr(step, "stage", "") == "fetching":
                server.stop()  # the listing came; the objects will not

        with pytest.raises(ConnectorError) as caught:
            sync(use_sync_collection=use_sync_collection, progress=stop_when_fetching)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("cannot reach the CalDAV server")
    assert "nothing was changed locally" in message
    assert _snapshot() == before
    assert rows(read()) == [("Planning", utc(2026, 11, 16, 9))]


def test_a_wrong_password_is_one_line_and_keeps_nothing(server: RadicaleServer) -> None:
    with pytest.raises(AuthError) as caught:
        login(server.url, USER, "wrong")
    assert str(caught.value).startswith("the CalDAV server refused the user name or password")
    assert "\n" not in str(caught.value)
    assert not caldav_secret.password_path().exists()
    assert caldav_store.load_account() is None


def test_a_password_changed_after_login_is_one_line_and_changes_nothing(
        server: RadicaleServer) -> None:
    calendar = signed_in(server, "changed-password", "Changed password")
    calendar.add_event(event("a@tests", "Planning", "20261116T090000Z", "20261116T100000Z"))
    sync()
    before = _snapshot()
    caldav_secret.write_private(caldav_secret.password_path(), b"not any more")
    with pytest.raises(AuthError) as caught:
        sync()
    assert "\n" not in str(caught.value)
    assert _snapshot() == before


TASK = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//timeaudit tests//EN\r\nBEGIN:VTODO\r\n"
        "UID:task@tests\r\nDTSTAMP:20261101T000000Z\r\nSUMMARY:Private task\r\n"
        "END:VTODO\r\nEND:VCALENDAR\r\n")


@pytest.mark.parametrize("method", METHODS)
def test_tasks_are_not_stored_and_not_fetched_again(server: RadicaleServer, method: str) -> None:
    calendar = signed_in(server, f"mixed-{method}", "Mixed")
    calendar.add_event(event("a@tests", "Planning", "20261116T090000Z", "20261116T100000Z"))
    calendar.add_todo(TASK)
    (first,) = sync(use_sync_collection=METHODS[method])
    assert (first.fetched, first.stored) == (2, 2)
    assert b"Private task" not in store.default_store_path().read_bytes()
    assert rows(read()) == [("Planning", utc(2026, 11, 16, 9))]
    with caldav_store.transaction(None) as connection:  # the ctag alone would say "same"
        connection.execute("UPDATE caldav_sync_state SET ctag = NULL")
    (again,) = sync(use_sync_collection=METHODS[method])
    assert (again.full, again.fetched, again.stored) == (False, 0, 2)


def test_no_address_user_or_event_text_in_logs(server: RadicaleServer,
                                               caplog: pytest.LogCaptureFixture) -> None:
    calendar = server.make_calendar("logged", "Logged")
    calendar.add_event(event("secret@tests", "Secret title", "20261116T090000Z",
                             "20261116T100000Z"))
    caplog.set_level(logging.DEBUG)
    caplog.clear()  # from here on, only what the connector does
    login(server.url, USER, PASSWORD)
    sync(["logged"])
    assert rows(read_caldav(["logged"], start=START, end=END, tz="UTC")) == [
        ("Secret title", utc(2026, 11, 16, 9))]
    text = "\n".join(r.getMessage() for r in caplog.records)
    for leak in ("127.0.0.1", USER, PASSWORD, "Secret title", "secret@tests"):
        assert leak not in text


def test_one_transaction_per_calendar(tmp_path: Path) -> None:
    """The server goes away while the second calendar syncs: the first one's changes are
    kept, the second calendar is as it was."""
    with running(tmp_path) as server:
        first = server.make_calendar("a-first", "First")
        second = server.make_calendar("b-second", "Second")
        login(server.url, USER, PASSWORD)
        first.add_event(event("one@tests", "One", "20261116T090000Z", "20261116T100000Z"))
        second.add_event(event("two@tests", "Two", "20261117T090000Z", "20261117T100000Z"))
        sync()
        first.add_event(event("three@tests", "Three", "20261118T090000Z",
                              "20261118T100000Z"))
        second.event_by_uid("two@tests").delete()
        second.add_event(event("four@tests", "Four", "20261119T090000Z", "20261119T100000Z"))

        def stop_at_the_second(step: object) -> None:
            if getattr(step, "index", 0) == 2 and getattr(step, "stage", "") == "fetching":
                server.stop()

        with pytest.raises(ConnectorError, match="nothing was changed locally"):
            sync(progress=stop_at_the_second)
    assert rows(read()) == [("One", utc(2026, 11, 16, 9)), ("Three", utc(2026, 11, 18, 9)),
                            ("Two", utc(2026, 11, 17, 9))]
