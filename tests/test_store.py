"""The local store: overrides persist per event or series, privately, in WAL mode."""

from __future__ import annotations

import sqlite3
import stat
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from audit import store
from audit.classify import classify_events
from audit.config import Config
from audit.domains import OVERRIDE_SCHEMA
from core.errors import AuditError, UsageError
from core.schema import EVENT_SCHEMA

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "timeaudit.sqlite3"


def test_default_path_follows_xdg_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert store.default_store_path() == tmp_path / "timeaudit" / "timeaudit.sqlite3"
    store.set_override(event_id="e1", domain="life")
    assert store.load_overrides()["key"].to_list() == ["e1"]


def test_file_is_private_and_in_wal_mode(db: Path) -> None:
    store.set_override(event_id="e1", domain="work", path=db)
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    with closing(sqlite3.connect(db)) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute(
            "SELECT version FROM schema_version WHERE component = 'overrides'").fetchone() == (1,)


def test_set_list_and_merge(db: Path) -> None:
    store.set_override(event_id="e1", domain="life", note="school play", path=db, now=NOW)
    store.set_override(event_id="e1", urgent=True, path=db, now=NOW + timedelta(minutes=1))
    store.set_override(series_id="s1", important=False, path=db, now=NOW)
    listed = store.list_overrides(db)
    expected = pl.DataFrame(
        [("event", "e1", "life", True, None, "school play", NOW + timedelta(minutes=1)),
         ("series", "s1", None, None, False, None, NOW)],
        schema=store.LISTED_SCHEMA, orient="row")
    assert_frame_equal(listed, expected)
    assert_frame_equal(store.load_overrides(db), expected.select(OVERRIDE_SCHEMA.names()))


def test_clear(db: Path) -> None:
    store.set_override(event_id="e1", domain="life", urgent=True, path=db)
    assert store.clear_override(event_id="e1", attributes=["domain"], path=db) is True
    assert store.load_overrides(db).row(0) == ("event", "e1", None, True, None)
    assert store.clear_override(event_id="e1", path=db) is True
    assert store.load_overrides(db).height == 0  # nothing left: the row is gone
    assert store.clear_override(event_id="e1", path=db) is False


def test_reading_never_creates_the_store(db: Path) -> None:
    assert store.load_overrides(db).schema == OVERRIDE_SCHEMA
    assert store.list_overrides(db).height == 0
    assert not db.exists()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"domain": "work"}, "an override is for one event (event_id) or for all occurrences of a "
                         "series (series_id): give exactly one"),
    ({"event_id": "e", "series_id": "s", "domain": "work"},
     "an override is for one event (event_id) or for all occurrences of a series (series_id): "
     "give exactly one"),
    ({"event_id": "e", "domain": "home"}, "unknown domain 'home': use one of work, life, "
                                          "integrated"),
    ({"event_id": "e"}, "nothing to override: give a domain, urgent or important"),
])
def test_bad_overrides(db: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError) as caught:
        store.set_override(path=db, **kwargs)  # type: ignore[arg-type]
    assert str(caught.value) == message


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(AuditError, match=r"junk\.sqlite3: not a usable timeaudit store"):
        store.set_override(event_id="e", domain="work", path=path)


def test_other_components_share_the_file(db: Path) -> None:
    store.set_override(event_id="e1", domain="life", path=db)
    with closing(store.connect(db)) as connection, connection:
        connection.execute("CREATE TABLE google_sync (calendar_id TEXT PRIMARY KEY, token TEXT)")
        connection.execute("INSERT INTO schema_version VALUES ('google', 1)")
    assert store.load_overrides(db)["key"].to_list() == ["e1"]


def test_overrides_survive_a_resync_and_event_beats_series(db: Path) -> None:
    store.set_override(series_id="weekly", domain="work", important=True, path=db)
    store.set_override(event_id="weekly@2", domain="integrated", path=db)
    start = datetime(2026, 11, 16, 9, tzinfo=UTC)
    rows = [{"source": "ics:x.ics", "calendar": "X", "event_id": f"weekly@{i}",
             "series_id": "weekly", "title": "Walk", "description": None, "location": None,
             "start": start + timedelta(days=7 * i), "end": start + timedelta(days=7 * i, hours=1),
             "all_day": False, "status": "confirmed", "response": "accepted", "busy": True,
             "kind": "event", "attendees": 1, "organizer": None, "attendee_domains": [],
             "categories": [], "color": None, "created": None} for i in range(3)]
    events = pl.DataFrame(rows, schema=EVENT_SCHEMA)
    out = classify_events(events.lazy(), Config(), store.load_overrides(db),
                          default_rules=()).collect()
    assert out["domain"].to_list() == ["work", "work", "integrated"]
    assert out["important"].to_list() == [True, True, True]
