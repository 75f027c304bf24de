"""Microsoft Graph sync against recorded responses (tests/data/graph): paging, delta rounds,
deletions, expired delta tokens, throttling, faults half-way (the store stays as it was)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from graph_replay import TOKEN, Replay, client, failing, ok, page, query

from connectors import graph_store
from connectors.graph import (
    GRAPH,
    SyncWindow,
    default_window,
    list_calendars,
    read_microsoft,
    sync,
)
from core import schema as s
from core.errors import AuditError, AuthError, CalendarWarning, ConnectorError, RateLimited

ROOT = Path(__file__).resolve().parent.parent
CAL = page("calendars")["value"][1]["id"]
TEAM = page("calendars")["value"][0]["id"]
NOVEMBER = (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
FULL = (ok("calendars"), ok("sync_full_page1"), ok("sync_full_page2"), ok("sync_full_page3"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "timeaudit.sqlite3"


def full_sync(db: Path) -> Replay:
    replay = Replay(*FULL)
    sync(client=client(replay), store_path=db)
    return replay


def read(db: Path, calendars: list[str] | None = None) -> pl.DataFrame:
    return read_microsoft(calendars, start=NOVEMBER[0], end=NOVEMBER[1], tz="Europe/Berlin",
                          store_path=db)


def snapshot(db: Path) -> dict[str, bytes]:
    """Every file of the store (the database and its WAL), byte for byte."""
    return {p.name: p.read_bytes() for p in sorted(db.parent.iterdir())}


def dump(db: Path) -> dict[str, list[tuple]]:
    with closing(sqlite3.connect(db)) as connection:
        return {t: sorted(connection.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in graph_store.TABLES}


def titles(frame: pl.DataFrame) -> list[str]:
    return frame.filter(pl.col(s.STATUS) != "cancelled")[s.TITLE].to_list()


def test_calendars_are_listed_default_first() -> None:
    replay = Replay(ok("calendars"))
    listed = list_calendars(client(replay))
    assert [(c.name, c.default, c.owner) for c in listed] == [
        ("Calendar", True, "me@acme.test"), ("Team events", False, "colleague@acme.test")]
    assert query(replay.urls[0])["$select"] == "id,name,isDefaultCalendar,canEdit,owner"


def test_full_sync_pages_through_three_pages(db: Path) -> None:
    replay = full_sync(db)
    urls = replay.delta_urls()
    assert len(urls) == 3
    window = default_window()
    assert urls[0].startswith(f"{GRAPH}/me/calendars/{CAL.replace('=', '%3D')}/calendarView/delta?")
    assert query(urls[0]) == {"startDateTime": window.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                              "endDateTime": window.end.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert window.start < NOVEMBER[0] and window.end > NOVEMBER[1]  # noqa: PT018
    assert urls[1] == page("sync_full_page1")["@odata.nextLink"]
    assert urls[2] == page("sync_full_page2")["@odata.nextLink"]
    for _, headers in replay.requests:
        assert headers["Authorization"] == f"Bearer {TOKEN}"
        assert 'outlook.timezone="UTC"' in headers["Prefer"]
    state = graph_store.sync_states(db)[CAL]
    assert state.delta_link == page("sync_full_page3")["@odata.deltaLink"]
    assert state.account == "me@acme.test"
    frame = read(db)
    assert frame.height == 8
    assert set(frame[s.SOURCE].unique()) == {f"microsoft:{CAL}"}
    assert set(frame[s.CALENDAR].unique()) == {"Calendar"}


def test_the_next_sync_resumes_from_the_delta_link(db: Path) -> None:
    full_sync(db)
    replay = Replay(ok("calendars"), ok("sync_changes"))
    (result,) = sync(client=client(replay), store_path=db)
    assert replay.delta_urls() == [page("sync_full_page3")["@odata.deltaLink"]]
    assert (result.full, result.fetched, result.removed, result.stored) == (False, 3, 1, 8)
    assert "incremental sync, 3 received, 1 removed, 8 stored" in str(result)
    frame = read(db)
    assert "Vendor pitch" not in titles(frame)  # @removed
    review = frame.filter(pl.col(s.TITLE) == "Architecture review").row(0, named=True)
    assert review[s.START] == datetime(2026, 11, 11, 10, tzinfo=UTC)
    assert review[s.CATEGORIES] == ["Architecture"]
    dentist = frame.filter(pl.col(s.TITLE) == "Dentist").row(0, named=True)
    assert (dentist[s.KIND], dentist[s.ALL_DAY]) == ("out_of_office", True)
    assert graph_store.sync_states(db)[CAL].delta_link == page("sync_changes")["@odata.deltaLink"]


def test_a_partial_update_is_merged_over_the_stored_event(db: Path) -> None:
    full_sync(db)
    review = next(e for e in page("contract")["value"] if e["subject"] == "Architecture review")
    changes = {"@odata.deltaLink": f"{GRAPH}/me/calendarView/delta?$deltatoken=x2",
               "value": [{"id": review["id"], "subject": "Architecture review (v2)"}]}
    replay = Replay(ok("calendars"), (200, {}, json.dumps(changes).encode()))
    sync(client=client(replay), store_path=db)
    row = read(db).filter(pl.col(s.TITLE) == "Architecture review (v2)").row(0, named=True)
    assert row[s.START] == datetime(2026, 11, 11, 8, tzinfo=UTC)  # kept from before
    assert row[s.RESPONSE] == "tentative"


@pytest.mark.parametrize("stem", ["error_410_sync_state_not_found", "error_410_resync_required"])
def test_an_expired_delta_token_means_a_full_resync(db: Path, stem: str) -> None:
    full_sync(db)
    replay = Replay(ok("calendars"), failing(410, stem), ok("sync_full_after_gone"))
    (result,) = sync(client=client(replay), store_path=db)
    urls = replay.delta_urls()
    assert urls[0] == page("sync_full_page3")["@odata.deltaLink"]
    assert "startDateTime" in query(urls[1])  # a new round over the window
    assert (result.full, result.stored) == (True, 2)
    assert titles(read(db)) == ["Team sync", "Team sync"]
    assert graph_store.sync_states(db)[CAL].delta_link == \
        page("sync_full_after_gone")["@odata.deltaLink"]


def test_throttling_waits_what_retry_after_says(db: Path) -> None:
    sleeps: list[float] = []
    replay = Replay(ok("calendars"), ok("sync_full_page1"),
                    failing(429, "error_429_too_many_requests", Retry_After="7"),
                    failing(503, "error_503_service_unavailable", Retry_After="3"),
                    ok("sync_full_page2"), ok("sync_full_page3"))
    sync(client=client(replay, sleeps), store_path=db)
    assert sleeps == [7.0, 3.0]
    assert replay.urls[2] == replay.urls[3] == replay.urls[4]  # the same page asked again
    assert read(db).height == 8


def test_throttling_without_retry_after_backs_off_exponentially(db: Path) -> None:
    sleeps: list[float] = []
    replay = Replay(ok("calendars"), failing(504, "error_503_service_unavailable"),
                    failing(503, "error_503_service_unavailable"), *FULL[1:])
    sync(client=client(replay, sleeps), store_path=db)
    assert len(sleeps) == 2
    assert 1.0 <= sleeps[0] <= 2.0
    assert 2.0 <= sleeps[1] <= 4.0


def test_throttling_that_does_not_end_is_one_line_and_changes_nothing(db: Path) -> None:
    full_sync(db)
    before = snapshot(db)
    sleeps: list[float] = []
    throttled = [failing(429, "error_429_too_many_requests", Retry_After="30")] * 5
    replay = Replay(ok("calendars"), *throttled)
    with pytest.raises(RateLimited) as caught:
        sync(client=client(replay, sleeps), store_path=db, full=True)
    assert sleeps == [30.0] * 4
    assert str(caught.value) == (
        "Microsoft Graph kept refusing requests for the default calendar (HTTP 429) after 4 "
        "retries: wait a few minutes and sync again; nothing was changed locally")
    assert snapshot(db) == before


def test_an_interrupted_sync_leaves_the_store_byte_for_byte(db: Path) -> None:
    full_sync(db)
    before = snapshot(db)
    replay = Replay(ok("calendars"), ok("sync_changes"))  # only the first page of a round…
    replay.answers[1] = (200, {}, json.dumps({**page("sync_changes"), "@odata.deltaLink": None,
                                              "@odata.nextLink": f"{GRAPH}/next"}).encode())
    replay.answers.append(KeyboardInterrupt())  # …then Ctrl-C
    with pytest.raises(KeyboardInterrupt):
        sync(client=client(replay), store_path=db)
    assert snapshot(db) == before


def test_a_killed_sync_leaves_the_store_as_it_was(db: Path) -> None:
    """A sync process killed (SIGKILL) between two pages: the store is what it was."""
    full_sync(db)
    before = dump(db)
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT / 'tests')!r})
        from graph_replay import Replay, client, ok
        from connectors.graph import sync

        class Killing(Replay):
            def __call__(self, url, headers):
                if len(self.requests) == 3:
                    os.kill(os.getpid(), signal.SIGKILL)
                return super().__call__(url, headers)

        replay = Killing(ok("calendars"), ok("sync_full_page1"), ok("sync_full_page2"),
                         ok("sync_full_page3"))
        sync(client=client(replay), store_path={str(db)!r}, full=True)
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert dump(db) == before


def test_connection_lost_is_retried_then_one_line(db: Path) -> None:
    full_sync(db)
    before = snapshot(db)
    sleeps: list[float] = []
    replay = Replay(ok("calendars"), *[OSError("ConnectionError")] * 5)
    with pytest.raises(ConnectorError, match="cannot reach Microsoft Graph") as caught:
        sync(client=client(replay, sleeps), store_path=db)
    assert len(sleeps) == 4
    assert "\n" not in str(caught.value)
    assert snapshot(db) == before


@pytest.mark.parametrize(("status", "stem", "error", "message"), [
    (401, "error_401_invalid_token", AuthError, "expired or was revoked"),
    (404, "error_404_item_not_found", ConnectorError, "does not know the default calendar"),
    (500, "error_503_service_unavailable", ConnectorError, "is failing \\(HTTP 500\\)"),
])
def test_refusals_are_one_line(db: Path, status: int, stem: str, error: type[Exception],
                               message: str) -> None:
    replay = Replay(ok("calendars"), failing(status, stem))
    with pytest.raises(error, match=message) as caught:
        sync(client=client(replay), store_path=db)
    assert "\n" not in str(caught.value)
    assert CAL not in str(caught.value)
    assert graph_store.sync_states(db) == {}


def test_an_unreadable_page_changes_nothing(db: Path) -> None:
    full_sync(db)
    before = snapshot(db)
    replay = Replay(ok("calendars"), (200, {}, b"<html>proxy error</html>"))
    with pytest.raises(ConnectorError, match="unreadable answer"):
        sync(client=client(replay), store_path=db, full=True)
    assert snapshot(db) == before


def test_the_delta_link_is_reused_until_the_window_runs_out(db: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    full_sync(db)
    monkeypatch.setenv("TIMEAUDIT_NOW", "2027-01-01T12:00:00Z")  # the window ends 22 Dec
    replay = Replay(*FULL)
    (result,) = sync(client=client(replay), store_path=db)
    assert result.full
    assert "startDateTime" in query(replay.delta_urls()[0])


def test_selection_names_and_reading_several_calendars(db: Path) -> None:
    graph_store.set_selection([graph_store.Calendar(CAL, "Calendar", True),
                               graph_store.Calendar(TEAM, "Team events")], path=db)
    replay = Replay(ok("calendars"), *FULL[1:], ok("sync_full_after_gone"))
    results = sync(client=client(replay), store_path=db)
    assert [r.calendar.name for r in results] == ["Calendar", "Team events"]
    assert TEAM.replace("=", "%3D") in replay.delta_urls()[-1]
    both = read(db)
    assert both.height == 8  # the team calendar's two events are the same occurrences: once
    assert read(db, ["Team events"]).height == 2
    assert read(db, ["default"]).height == 8
    with pytest.raises(AuditError, match="unknown Microsoft calendar"):
        read(db, ["Holidays"])


def test_reading_before_any_sync_says_what_to_do(db: Path) -> None:
    with pytest.raises(AuditError, match="timeaudit microsoft sync"):
        read(db)


def test_a_period_outside_the_synced_window_warns(db: Path) -> None:
    full_sync(db)
    with pytest.warns(CalendarWarning, match="events outside that may be missing"):
        read_microsoft(None, start=datetime(2027, 3, 1, tzinfo=UTC),
                       end=datetime(2027, 3, 8, tzinfo=UTC), tz="Europe/Berlin", store_path=db)


def test_an_explicit_window_is_asked_for(db: Path) -> None:
    window = SyncWindow(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    replay = Replay(*FULL)
    sync(client=client(replay), store_path=db, window=window)
    assert query(replay.delta_urls()[0]) == {"startDateTime": "2026-11-01T00:00:00Z",
                                             "endDateTime": "2026-12-01T00:00:00Z"}


def test_links_outside_graph_are_not_followed(db: Path) -> None:
    elsewhere = {**page("sync_full_page1"), "@odata.nextLink": "https://evil.test/steal"}
    replay = Replay(ok("calendars"), (200, {}, json.dumps(elsewhere).encode()))
    with pytest.raises(ConnectorError, match=r"outside graph\.microsoft\.com"):
        sync(client=client(replay), store_path=db)
    assert len(replay.requests) == 2
    assert graph_store.sync_states(db) == {}


def test_request_urls_are_kept_out_of_logs(caplog: pytest.LogCaptureFixture) -> None:
    import logging  # noqa: PLC0415

    from connectors.graph import _RedactURLs  # noqa: PLC0415

    link = page("sync_full_page3")["@odata.deltaLink"]
    args = ("https", "graph.microsoft.com", 443, "GET",
            link.removeprefix("https://graph.microsoft.com"), "HTTP/1.1", 200, 1234)
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        logging.getLogger("urllib3.connectionpool").debug('%s://%s:%s "%s %s %s" %s %s', *args)
    # whatever else filters urllib3's records (the CalDAV connector drops them below
    # ERROR), no request line reaches the log
    assert "deltatoken" not in caplog.text
    assert CAL not in caplog.text
    # and the Graph filter itself rewrites a request line it lets through
    record = logging.LogRecord("urllib3.connectionpool", logging.DEBUG, __file__, 1,
                               '%s://%s:%s "%s %s %s" %s %s', args, None)
    assert _RedactURLs().filter(record)
    assert "deltatoken" not in record.getMessage()
    assert "<Microsoft Graph request>" in record.getMessage()
