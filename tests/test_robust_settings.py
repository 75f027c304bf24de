"""Read-modify-writes of connections.json and the config file are serialised (a lock)."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from audit import config_edit
from core.errors import AuditError
from dashboard import connections

ROOT = Path(__file__).resolve().parent.parent

ADD_LINKS = """
import sys
from dashboard import connections
for i in range(30):
    connections.add_url(f"https://example.org/{sys.argv[1]}/{i}.ics")
"""

ADD_RULES = """
import sys
from audit import config_edit
path = config_edit.user_config_path()
for i in range(15):
    rule = config_edit.rule_for_title(f"title {sys.argv[1]} {i}", domain="work", urgent=None,
                                   important=None)
    config_edit.save_config(path, [config_edit.AddRules((rule,))])
"""


def _run_at_once(script: str, processes: int) -> None:
    running = [subprocess.Popen([sys.executable, "-c", script, str(n)], cwd=ROOT)
               for n in range(processes)]
    assert [p.wait(timeout=240) for p in running] == [0] * processes


def test_three_processes_adding_thirty_links_each_keep_all_ninety() -> None:
    _run_at_once(ADD_LINKS, 3)
    urls = connections.load_connections().urls
    assert len(urls) == 90
    assert len(set(urls)) == 90


def test_two_processes_saving_fifteen_rules_each_keep_all_thirty() -> None:
    _run_at_once(ADD_RULES, 2)
    data = tomllib.loads(config_edit.user_config_path().read_text(encoding="utf-8"))
    names = [rule["name"] for rule in data["rules"]]
    assert len(names) == 30
    assert len(set(names)) == 30


def test_added_rules_are_made_unique_against_the_file_as_saved() -> None:
    path = config_edit.user_config_path()
    rule = config_edit.rule_for_title("Gym", domain="life", urgent=None, important=None)
    config_edit.save_config(path, [config_edit.AddRules((rule,))])
    config_edit.save_config(path, [config_edit.AddRules((rule,))])
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert [r["name"] for r in data["rules"]] == ["Title: Gym", "Title: Gym (2)"]


def test_a_calendar_domain_is_set_against_the_file_as_saved() -> None:
    path = config_edit.user_config_path()
    config_edit.save_config(path, [config_edit.SetCalendarDomain("ics:a.ics", "work")])
    config_edit.save_config(path, [config_edit.SetCalendarDomain("ics:b.ics", "life")])
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert config_edit.calendar_domains(data) == {"ics:a.ics": "work", "ics:b.ics": "life"}


def test_a_lock_held_too_long_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_edit, "LOCK_TIMEOUT_SECONDS", 0.2)
    with config_edit.locked(connections.connections_path(), private=True), \
            pytest.raises(AuditError, match="another timeaudit is saving it"):
        # a second descriptor is a second lock owner, as another process would be
        connections.add_url("https://example.org/x.ics")
    connections.add_url("https://example.org/x.ics")
    assert connections.load_connections().urls == ("https://example.org/x.ics",)


@pytest.mark.parametrize("files", [None, 3, "a.ics", [1, 2], {"a": 1}])
def test_connections_with_files_not_a_list_is_a_clear_error(files: object) -> None:
    path = connections.connections_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": 1, "files": files, "urls": []}), encoding="utf-8")
    with pytest.raises(AuditError) as caught:
        connections.load_connections()
    message = str(caught.value)
    assert "'files' should be a list" in message
    assert "\n" not in message
    with pytest.raises(AuditError):  # adding a link does not overwrite what is there
        connections.add_url("https://example.org/x.ics")
    assert json.loads(path.read_text(encoding="utf-8"))["files"] == files


@pytest.mark.filterwarnings("ignore:Implicitly cleaning up <TemporaryDirectory:ResourceWarning")
def test_the_dashboard_says_connections_json_is_unusable() -> None:
    from streamlit.testing.v1 import AppTest  # noqa: PLC0415 - slow import

    path = connections.connections_path()
    path.parent.mkdir(parents=True)
    path.write_text('{"version": 1, "files": null, "urls": 7}', encoding="utf-8")
    at = AppTest.from_file("../app.py", default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("should be a list" in e.value for e in at.error), [e.value for e in at.error]


@pytest.mark.parametrize("name", ["../../../etc/passwd.ics", "/etc/x.ics", "a/b.ics", ""])
def test_connections_name_only_uploaded_copies(name: str) -> None:
    path = connections.connections_path()
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": 1, "files": [name], "urls": []}), encoding="utf-8")
    with pytest.raises(AuditError, match="is not the name of an uploaded calendar"):
        connections.load_connections()


class _FullDisk:
    """A temporary file whose writes fail as on a full disk."""

    def __init__(self, real: object) -> None:
        self.real = real

    def __enter__(self) -> _FullDisk:
        self.name = self.real.__enter__().name  # type: ignore[attr-defined]
        return self

    def __exit__(self, *args: object) -> None:
        self.real.__exit__(*args)  # type: ignore[attr-defined]

    def write(self, _data: bytes) -> int:
        raise OSError(28, "No space left on device")

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.real.close()  # type: ignore[attr-defined]


def test_a_full_disk_keeps_the_settings_file_and_leaves_no_temporary(
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = config_edit.user_config_path()
    config_edit.save_config(path, [config_edit.SetKey(("timezone",), "Europe/Berlin")])
    before = path.read_bytes()
    real = config_edit.tempfile.NamedTemporaryFile
    monkeypatch.setattr(config_edit.tempfile, "NamedTemporaryFile",
                        lambda **kw: _FullDisk(real(**kw)))
    with pytest.raises(AuditError, match="No space left on device"):
        config_edit.save_config(path, [config_edit.SetKey(("timezone",), "UTC")])
    with pytest.raises(AuditError, match="No space left on device"):
        connections.add_url("https://example.org/x.ics")
    assert path.read_bytes() == before
    leftovers = [p.name for d in (path.parent, connections.data_dir()) if d.exists()
                 for p in d.iterdir() if not p.name.endswith(".lock")
                 and p.name not in (path.name,)]
    assert leftovers == []
