"""A busy or damaged store: waited for or read without writing; one line; nothing lost."""

from __future__ import annotations

import sqlite3
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from audit import store
from cli.main import main
from connectors import google_store
from core import local_store
from core.errors import AuditError

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "timeaudit.sqlite3"
    store.set_override(event_id="e1", domain="life", path=path)
    google_store.set_selection([], path=path)  # the Google tables too
    return path


def _hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another process's long sync: a connection in the middle of a write transaction."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO google_selection VALUES ('being-synced')")
    return holder


def test_reading_while_a_sync_holds_the_write_lock_does_not_wait(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_store, "BUSY_TIMEOUT_SECONDS", 0.1)
    holder = _hold_write_lock(db)
    try:
        started = time.monotonic()
        assert store.load_overrides(db)["key"].to_list() == ["e1"]
        assert google_store.selected_ids(db) == []
        assert google_store.sync_states(db) == {}
        assert time.monotonic() - started < 5
    finally:
        holder.rollback()
        holder.close()


def test_opening_a_complete_store_writes_nothing(db: Path) -> None:
    statements: list[str] = []
    original = sqlite3.connect

    def traced(*args: object, **kwargs: object) -> sqlite3.Connection:
        connection = original(*args, **kwargs)  # type: ignore[arg-type]
        connection.set_trace_callback(statements.append)
        return connection

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sqlite3, "connect", traced)
        google_store.connect(db).close()
    writes = [s for s in statements
              if s.split()[0].upper() in ("CREATE", "INSERT", "BEGIN", "UPDATE", "DELETE")]
    assert writes == []


def test_a_writer_waits_for_the_sync_to_finish(db: Path) -> None:
    holder = _hold_write_lock(db)
    releaser = threading.Timer(0.5, lambda: (holder.commit(), holder.close()))
    releaser.start()
    try:
        store.set_override(event_id="e2", domain="work", path=db)
    finally:
        releaser.join()
    assert store.load_overrides(db)["key"].to_list() == ["e1", "e2"]
    assert google_store.selected_ids(db) == ["being-synced"]


def test_a_store_busy_for_too_long_says_so_and_never_says_discard_it(
        db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_store, "BUSY_TIMEOUT_SECONDS", 0.2)
    holder = _hold_write_lock(db)
    try:
        with pytest.raises(AuditError) as caught:
            store.set_override(event_id="e2", domain="work", path=db)
    finally:
        holder.rollback()
        holder.close()
    message = str(caught.value)
    assert "busy" in message
    assert "try again" in message
    assert "move it away" not in message
    assert "new one" not in message
    assert store.load_overrides(db)["key"].to_list() == ["e1"]


def test_report_runs_while_a_sync_holds_the_write_lock(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    default = store.default_store_path()
    store.set_override(event_id="e1", domain="life")
    google_store.set_selection([])
    monkeypatch.setattr(local_store, "BUSY_TIMEOUT_SECONDS", 0.1)
    holder = _hold_write_lock(default)
    try:
        code = main(["report", "--ics", str(SAMPLE / "work.ics"), "--week", "2026-W47",
                     "--tz", "Europe/Berlin"])
    finally:
        holder.rollback()
        holder.close()
    assert code == 0, capsys.readouterr().err


def _check_unusable(path: Path, capsys: pytest.CaptureFixture[str],
                    monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(store, "default_store_path", lambda: path)
    code = main(["classify", "--list"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1
    assert err.startswith("error: ")
    assert "not a usable timeaudit store" in err
    assert "move it away" not in err
    assert "new one" not in err
    assert "Traceback" not in err
    return err


def test_a_store_that_is_a_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "timeaudit.sqlite3"
    path.mkdir(mode=0o755)
    assert "directory" in _check_unusable(path, capsys, monkeypatch)
    assert path.is_dir()
    assert (path.stat().st_mode & 0o777) == 0o755
    for call in (lambda: store.set_override(event_id="e", domain="work", path=path),
                 lambda: google_store.selected_ids(path)):
        with pytest.raises(AuditError, match="directory"):
            call()


def test_a_store_whose_overrides_have_other_columns(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "timeaudit.sqlite3"
    with closing(sqlite3.connect(path)) as connection, connection:
        connection.execute("CREATE TABLE schema_version (component TEXT PRIMARY KEY, "
                           "version INTEGER NOT NULL)")
        connection.execute("INSERT INTO schema_version VALUES ('overrides', 1)")
        connection.execute("CREATE TABLE overrides (id INTEGER, what TEXT)")
        connection.execute("INSERT INTO overrides VALUES (1, 'keep me')")
    before = path.read_bytes()
    assert "columns" in _check_unusable(path, capsys, monkeypatch)
    with closing(sqlite3.connect(path)) as connection:
        assert connection.execute("SELECT what FROM overrides").fetchall() == [("keep me",)]
    assert len(path.read_bytes()) >= len(before)


def test_a_store_with_a_scribbled_page(db: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    with closing(sqlite3.connect(db)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (page_size,) = connection.execute("PRAGMA page_size").fetchone()
        (root,) = connection.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'overrides'").fetchone()
    data = bytearray(db.read_bytes())
    offset = (root - 1) * page_size
    data[offset:offset + page_size] = b"\xa5" * page_size
    db.write_bytes(bytes(data))
    _check_unusable(db, capsys, monkeypatch)


def test_a_damaged_override_row_is_one_line(db: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with closing(sqlite3.connect(db)) as connection, connection:
        connection.execute("UPDATE overrides SET updated_at = 'yesterday'")
    _check_unusable(db, capsys, monkeypatch)


@pytest.mark.filterwarnings("ignore:Implicitly cleaning up <TemporaryDirectory:ResourceWarning")
@pytest.mark.parametrize("damage", ["directory", "scribbled"])
def test_the_dashboard_starts_on_a_damaged_store_and_says_so(damage: str) -> None:
    from streamlit.testing.v1 import AppTest  # noqa: PLC0415 - slow import

    path = store.default_store_path()
    if damage == "directory":
        path.mkdir(parents=True)
    else:
        path.parent.mkdir(parents=True)
        path.write_bytes(b"SQLite format 3\x00" + b"\xa5" * 8192)
    at = AppTest.from_file("../app.py", default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("not a usable timeaudit store" in e.value for e in at.error)
    assert at.metric  # the week is still shown
