"""Syncing Google calendars into the store, replayed from recorded API responses.

Paging, incremental sync with sync tokens, 410 → full re-sync, retries with back-off,
one transaction per calendar (a failed sync leaves the store byte-for-byte as it was),
and reading the store for a period.
"""

from __future__ import annotations

import json
import sqlite3
import stat
import time
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path

import google_auth_httplib2
import polars as pl
import pytest
from google.oauth2.credentials import Credentials
from google_replay import event_requests, failing, items, ok, replay

from cli.reading import read_google
from connectors import google_store
from connectors.google import (
    EVENT_FIELDS,
    SyncProgress,
    SyncWindow,
    build_service,
    sync,
)
from core.errors import (
    AuditError,
    AuthError,
    CalendarWarning,
    ConnectorError,
    RateLimited,
    UsageError,
)
from core.period import Period

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WEEK = Period(date(2026, 11, 16), date(2026, 11, 23), "Europe/Berlin")
PRIMARY = "ada@example.com"
TEAM = "c_9f3b2a7e41d04c6c8a1f0e5d2b7c3a19@group.calendar.google.com"
FULL_PAGES = (ok("calendar_list"), ok("sync_full_page1"), ok("sync_full_page2"),
              ok("sync_full_page3"))
FIRST_TOKEN = "CPDAlvWDx_kCEPDAlvWDx_kCGAEgwKv3mwI="


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "timeaudit.sqlite3"


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Back-off sleeps, recorded instead of slept (HttpRequest binds time.sleep when made)."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    return slept


def full_sync(db: Path) -> None:
    service, _ = replay(*FULL_PAGES)
    sync(service=service, store_path=db, now=NOW)


def snapshot(db: Path) -> dict[str, bytes]:
    """Every file of the store (the database, and its WAL when there is one), byte for byte."""
    return {p.name: p.read_bytes() for p in sorted(db.parent.iterdir())}


def dump(db: Path) -> dict[str, list[tuple]]:
    with closing(sqlite3.connect(db)) as connection:
        return {table: sorted(connection.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
                for table in (*google_store.TABLES, "schema_version", "overrides")}


def stored(db: Path) -> dict[str, dict]:
    with closing(sqlite3.connect(db)) as connection:
        rows = connection.execute("SELECT google_id, item FROM google_events").fetchall()
    return {google_id: json.loads(item) for google_id, item in rows}


def token(db: Path) -> str | None:
    return google_store.sync_states(db)[PRIMARY].sync_token


def test_full_sync_pages_through_three_pages(db: Path) -> None:
    service, http = replay(*FULL_PAGES)
    steps: list[SyncProgress] = []
    [result] = sync(service=service, store_path=db, progress=steps.append, now=NOW)

    first, second, third = event_requests(http)
    assert first == {"singleEvents": "true", "maxResults": "2500", "fields": EVENT_FIELDS,
                     "timeMin": "2025-10-20T00:00:00Z", "timeMax": "2026-12-21T00:00:00Z",
                     "alt": "json"}
    assert second["pageToken"] == json.loads(FULL_PAGES[1][1])["nextPageToken"]
    assert third["pageToken"] == json.loads(FULL_PAGES[2][1])["nextPageToken"]
    assert "syncToken" not in first
    assert [(s.pages, s.events, s.done) for s in steps] == [
        (1, 3, False), (2, 6, False), (3, 8, False), (3, 8, True)]
    assert str(steps[-1]) == "[1/1] primary calendar: full sync, 3 pages, 8 events"
    assert str(result) == "primary calendar: full sync, 8 received, 8 stored"
    assert token(db) == FIRST_TOKEN
    # raw items are stored as Google sent them: a mapping fix needs no re-sync
    assert stored(db)["d3s1v6uu5u8u4p7u0v2r9e5c3no"] == items("sync_full_page1")[1]

    frame = read_google(period=WEEK, store_path=db)
    assert frame.height == 8
    assert frame.select("source", "calendar").unique().rows() == [
        ("google:ada@example.com", "ada@example.com")]
    assert frame.filter(pl.col("kind") == "focus")["title"].to_list() == [
        "Focus: quarterly report"]
    assert frame.filter(pl.col("title") == "Stand-up")["event_id"].to_list() == [
        "9o7v2qs1u4u0l3s6t8n5i1g9jk@2026-11-16T08:30:00Z",
        "9o7v2qs1u4u0l3s6t8n5i1g9jk@2026-11-17T08:30:00Z",
        "9o7v2qs1u4u0l3s6t8n5i1g9jk@2026-11-18T08:30:00Z"]


def test_incremental_sync_adds_changes_and_cancels(db: Path) -> None:
    full_sync(db)
    service, http = replay(ok("calendar_list"), ok("sync_changes"))
    [result] = sync(service=service, store_path=db, now=NOW)

    [request] = event_requests(http)
    assert request["syncToken"] == FIRST_TOKEN
    assert not {"timeMin", "timeMax", "pageToken"} & set(request)
    assert request["singleEvents"] == "true"
    assert str(result) == "primary calendar: incremental sync, 4 received, 2 removed, 7 stored"
    assert token(db) == "CLiW8vqEx_kCELiW8vqEx_kCGAEgwKv3mwI="
    # the window of the full sync that produced the first token is kept
    state = google_store.sync_states(db)[PRIMARY]
    assert state.window == SyncWindow(datetime(2025, 10, 20, tzinfo=UTC),
                                      datetime(2026, 12, 21, tzinfo=UTC))

    frame = read_google(period=WEEK, store_path=db).sort("start")
    titles = frame["title"].to_list()
    assert "School play" not in titles
    assert "Parent-teacher meeting" in titles
    assert frame.filter(pl.col("title") == "Stand-up")["start"].dt.day().to_list() == [16, 17]
    moved = frame.filter(pl.col("event_id") == "c2r0u5tv4v7v3o6v9u1q8f4d2mn").row(0, named=True)
    assert (moved["title"], moved["start"], moved["attendees"], moved["attendee_domains"]) == (
        "Roadmap review (moved)", datetime(2026, 11, 16, 13, tzinfo=UTC), 2,
        ["example.com", "partner.org"])


def test_a_cancelled_recurring_event_removes_all_its_instances(db: Path) -> None:
    full_sync(db)
    notice = {"changes": {"nextSyncToken": "CAE=", "items": [
        {"id": "9o7v2qs1u4u0l3s6t8n5i1g9jk", "status": "cancelled"}]}}
    service, _ = replay(ok("calendar_list"),
                        ({"status": "200"}, json.dumps(notice["changes"])))
    [result] = sync(service=service, store_path=db, now=NOW)
    assert result.removed == 3
    assert not [i for i in stored(db) if i.startswith("9o7v2qs1u4u0l3s6t8n5i1g9jk")]


def test_gone_sync_token_means_a_full_resync(db: Path) -> None:
    full_sync(db)
    service, http = replay(ok("calendar_list"), failing(410, "error_410_full_sync_required"),
                           ok("sync_full_after_gone"))
    [result] = sync(service=service, store_path=db, now=NOW)

    incremental, again = event_requests(http)
    assert incremental["syncToken"] == FIRST_TOKEN
    assert "syncToken" not in again
    assert again["timeMin"] == "2025-10-20T00:00:00Z"
    assert result.full
    assert sorted(stored(db)) == ["d3s1v6uu5u8u4p7u0v2r9e5c3no", "i8v6u1vp0v3v9u2v5u7u4v0t8st"]
    assert token(db) == "CJj7xqSFx_kCEJj7xqSFx_kCGAEgwKv3mwI="


def test_gone_on_a_later_page_of_changes_discards_the_earlier_pages(db: Path) -> None:
    full_sync(db)
    first_page = {**json.loads(ok("sync_changes")[1]), "nextPageToken": "CiAKGjBmOG0z"}
    del first_page["nextSyncToken"]
    service, http = replay(ok("calendar_list"), ({"status": "200"}, json.dumps(first_page)),
                           failing(410, "error_410_full_sync_required"),
                           ok("sync_full_after_gone"))
    [result] = sync(service=service, store_path=db, now=NOW)
    assert [("syncToken" in r, "pageToken" in r) for r in event_requests(http)] == [
        (True, False), (True, True), (False, False)]
    assert result.full
    assert sorted(stored(db)) == ["d3s1v6uu5u8u4p7u0v2r9e5c3no", "i8v6u1vp0v3v9u2v5u7u4v0t8st"]


def test_rate_limit_is_retried_with_back_off(db: Path, sleeps: list[float],
                                             caplog: pytest.LogCaptureFixture) -> None:
    full_sync(db)
    service, http = replay(ok("calendar_list"), failing(429, "error_429_rate_limit_exceeded"),
                           failing(403, "error_403_user_rate_limit_exceeded"),
                           ok("sync_changes"))
    [result] = sync(service=service, store_path=db, now=NOW)
    assert result.stored == 7  # 8 + 1 new - 2 cancelled: the changes came through in the end
    assert len(event_requests(http)) == 3
    assert len(sleeps) == 2
    # the client logs each retry; the calendar id (an e-mail) and the token stay out
    assert "retry 1 of 4" in caplog.text
    assert "ada@example.com" not in caplog.text
    assert FIRST_TOKEN not in caplog.text
    assert 0 <= sleeps[0] <= 2
    assert 0 <= sleeps[1] <= 4


def test_rate_limit_that_does_not_end_is_a_clean_error(db: Path, sleeps: list[float]) -> None:
    full_sync(db)
    before = snapshot(db)
    service, _ = replay(ok("calendar_list"),
                        *[failing(429, "error_429_rate_limit_exceeded")] * 3)
    with pytest.raises(RateLimited) as caught:
        sync(service=service, store_path=db, num_retries=2, now=NOW)
    assert str(caught.value) == (
        "Google Calendar kept refusing requests for the primary calendar (rate limit, HTTP "
        "429) after 2 retries: wait a few minutes and sync again; nothing was changed locally")
    assert snapshot(db) == before
    assert len(sleeps) == 2


def test_server_error_three_times_is_a_clean_error_and_the_store_is_unchanged(
        db: Path, sleeps: list[float]) -> None:
    full_sync(db)
    before, tables = snapshot(db), dump(db)
    service, http = replay(ok("calendar_list"), *[failing(500, "error_500_backend_error")] * 3)
    with pytest.raises(ConnectorError) as caught:
        sync(service=service, store_path=db, num_retries=2, now=NOW)
    assert str(caught.value) == (
        "Google Calendar is failing (HTTP 500) for the primary calendar after 2 retries: try "
        "again later; nothing was changed locally")
    assert len(event_requests(http)) == 3
    assert len(sleeps) == 2
    assert snapshot(db) == before
    assert dump(db) == tables


def test_failure_between_two_pages_leaves_the_store_byte_for_byte(db: Path) -> None:
    full_sync(db)
    before, tables = snapshot(db), dump(db)

    def interrupt(step: SyncProgress) -> None:
        if step.pages == 2:
            raise KeyboardInterrupt  # the person presses Ctrl-C after the second page

    service, _ = replay(*FULL_PAGES)
    with pytest.raises(KeyboardInterrupt):
        sync(service=service, store_path=db, full=True, progress=interrupt, now=NOW)
    assert snapshot(db) == before
    assert dump(db) == tables


def test_unreadable_page_leaves_the_store_unchanged(db: Path) -> None:
    full_sync(db)
    before = snapshot(db)
    service, _ = replay(ok("calendar_list"), ok("sync_full_page1"),
                        ({"status": "200", "content-type": "application/json"}, '{"items": [{'))
    with pytest.raises(ConnectorError, match="unreadable answer for the primary calendar"):
        sync(service=service, store_path=db, full=True, now=NOW)
    assert snapshot(db) == before
    assert token(db) == FIRST_TOKEN


def test_expired_token_during_sync_is_one_line(db: Path) -> None:
    """The real refresh path: the client refreshes before the request, Google says
    invalid_grant (the refresh token expired or was revoked)."""
    credentials = Credentials(
        token="ya29.expired", refresh_token="1//09revoked",
        token_uri="https://oauth2.googleapis.com/token", client_id="id.apps.googleusercontent.com",
        client_secret="GOCSPX-test", expiry=datetime(2026, 11, 1))
    _, http = replay(failing(400, "oauth_invalid_grant"))
    service = build_service(http=google_auth_httplib2.AuthorizedHttp(credentials, http=http))
    with pytest.raises(AuthError) as caught:
        sync(service=service, store_path=db, now=NOW)
    assert str(caught.value) == ("Google sign-in has expired or was revoked: run `timeaudit "
                                 "google login` to sign in again")
    assert "/token" in http.request_sequence[0][0]


def test_missing_scope_asks_to_sign_in_again(db: Path) -> None:
    service, _ = replay(ok("calendar_list"), failing(403, "error_403_insufficient_permissions"))
    with pytest.raises(AuthError, match=r"^Google refused to show your calendars \(missing "):
        sync(service=service, store_path=db, now=NOW)


def test_several_calendars_selection_and_reading(db: Path) -> None:
    with pytest.raises(AuditError) as caught:
        read_google(period=WEEK, store_path=db)
    assert str(caught.value) == ("no Google calendar synced yet: run `timeaudit google sync` "
                                 "(or add --sync)")

    service, http = replay(ok("calendar_list"), ok("sync_full_after_gone"), ok("team_full"))
    results = sync(["primary", "Platform team"], service=service, store_path=db, now=NOW)
    assert [r.calendar.id for r in results] == [PRIMARY, TEAM]
    assert "/calendars/c_9f3b2a7e41d04c6c8a1f0e5d2b7c3a19%40group.calendar.google.com/events" \
        in http.request_sequence[2][0]

    # nothing selected: the primary calendar
    assert read_google(period=WEEK, store_path=db)["source"].unique().to_list() == [
        "google:ada@example.com"]
    google_store.set_selection(google_store.stored_calendars(db), path=db)  # all four
    with pytest.warns(CalendarWarning) as caught:
        both = read_google(period=WEEK, store_path=db)
    assert [str(w.message) for w in caught] == [
        "google: the calendar 'Bob (manager)' has not been synced yet and is left out: run "
        "`timeaudit google sync`",
        "google: the calendar 'Holidays in Germany' has not been synced yet and is left out: "
        "run `timeaudit google sync`"]
    assert both.select("calendar", "title").sort("title").rows() == [
        ("ada@example.com", "Focus: quarterly report"),
        ("ada@example.com", "Offsite planning"),
        ("Platform team", "Platform on-call handover")]
    team = read_google([TEAM], period=WEEK, store_path=db)
    assert team.select("source", "response").row(0) == (f"google:{TEAM}", "organizer")

    with pytest.raises(UsageError) as unknown:
        read_google(["Holidayz"], period=WEEK, store_path=db)
    assert str(unknown.value) == ("unknown Google calendar 'Holidayz': use an id or a name "
                                  "that `timeaudit google calendars` lists, or primary")
    with pytest.raises(AuditError) as unsynced:
        read_google(["Holidays in Germany"], period=WEEK, store_path=db)
    assert str(unsynced.value) == ("the Google calendar 'Holidays in Germany' has not been "
                                   "synced yet: run `timeaudit google sync` (or add --sync)")


def test_period_outside_the_synced_window_warns(db: Path) -> None:
    full_sync(db)
    old = Period(date(2024, 3, 4), date(2024, 3, 11), "Europe/Berlin")
    with pytest.warns(CalendarWarning) as caught:
        frame = read_google(period=old, store_path=db)
    assert frame.height == 0
    assert [str(w.message) for w in caught] == [
        "google: the primary calendar was synced for 2025-10-20 to 2026-12-21; events outside "
        "that may be missing: run `timeaudit google sync --from 2024-03-04 --to 2024-03-11`"]


def test_sync_first_widens_the_window_to_the_period(db: Path) -> None:
    old = Period(date(2024, 3, 4), date(2024, 3, 11), "Europe/Berlin")
    service, http = replay(ok("calendar_list"), ok("sync_full_after_gone"))
    read_google(period=old, sync_first=True, service=service, store_path=db)
    [request] = event_requests(http)
    assert request["timeMin"] == "2024-03-03T23:00:00Z"


def test_token_reused_until_the_window_runs_out(db: Path) -> None:
    full_sync(db)
    later = datetime(2026, 12, 10, tzinfo=UTC)  # the window ends 2026-12-21: 11 days ahead
    service, http = replay(ok("calendar_list"), ok("sync_changes"))
    sync(service=service, store_path=db, now=later)
    assert "syncToken" in event_requests(http)[0]
    renewal = datetime(2026, 12, 15, tzinfo=UTC)  # 6 days ahead: renew with a full sync
    service, http = replay(ok("calendar_list"), ok("sync_full_after_gone"))
    [result] = sync(service=service, store_path=db, now=renewal)
    assert result.full
    assert event_requests(http)[0]["timeMax"] == "2027-01-16T00:00:00Z"


def test_store_file_and_schema_version(db: Path) -> None:
    full_sync(db)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute(
            "SELECT component, version FROM schema_version ORDER BY 1").fetchall() == [
            ("google", 1), ("overrides", 1)]
