"""The disk cache of validated configurations (audit/config_cache.py): a hit equals the
validation, errors are never cached, and a damaged or foreign entry is only a miss."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit import config_cache
from audit.config import load_config
from core.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent

GOOD = """
timezone = "Europe/Berlin"
work_domains = ["example.com"]
[focus]
title_pattern = "(?i)deep"
[[rules]]
name = "standup"
title = "(?i)stand-?up"
domain = "work"
"""


def _entries() -> list[Path]:
    return sorted(config_cache.cache_dir().glob("*.pickle"))


def test_a_second_read_is_a_hit_equal_to_the_validation(tmp_path: Path) -> None:
    path = tmp_path / "timeaudit.toml"
    path.write_text(GOOD, encoding="utf-8")
    first = load_config(path)
    (entry,) = _entries()
    assert entry.stat().st_mode & 0o777 == 0o600
    assert config_cache.cache_dir().stat().st_mode & 0o777 == 0o700
    again = load_config(path)
    assert again == first
    assert again.path == str(path)
    assert len(_entries()) == 1


def test_a_hit_needs_no_pydantic(tmp_path: Path) -> None:
    """A new process reading a configuration validated before never imports pydantic."""
    path = tmp_path / "timeaudit.toml"
    path.write_text(GOOD, encoding="utf-8")
    code = ("import sys; from audit.config import load_config; "
            f"c = load_config({str(path)!r}); "
            "print(c.timezone, len(c.rules), 'pydantic' in sys.modules)")
    env = dict(os.environ)
    outputs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, cwd=ROOT, env=env).stdout.split()
               for _ in range(2)]
    assert outputs[0] == ["Europe/Berlin", "1", "True"]  # validated: pydantic loaded
    assert outputs[1] == ["Europe/Berlin", "1", "False"]  # taken from the cache


def test_errors_are_not_cached_and_keep_their_wording(tmp_path: Path) -> None:
    path = tmp_path / "timeaudit.toml"
    path.write_text('[focus]\ntarget_hours = 3\n', encoding="utf-8")
    messages = []
    for _ in range(2):
        with pytest.raises(ConfigError) as error:
            load_config(path)
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert "did you mean target_hours_per_week?" in messages[0]
    assert _entries() == []


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x05K\x01."])
def test_a_damaged_entry_is_a_miss_and_is_written_again(tmp_path: Path,
                                                        damage: bytes) -> None:
    path = tmp_path / "timeaudit.toml"
    path.write_text(GOOD, encoding="utf-8")
    first = load_config(path)
    (entry,) = _entries()
    entry.write_bytes(damage)  # b"\x80\x05K\x01." is a pickled 1, not a configuration
    assert load_config(path) == first
    assert entry.read_bytes() != damage


def test_an_entry_others_may_write_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "timeaudit.toml"
    path.write_text(GOOD, encoding="utf-8")
    load_config(path)
    (entry,) = _entries()
    entry.chmod(0o666)
    assert config_cache.load(entry.stem, object) is None


def test_the_cache_is_keyed_by_content_and_bounded(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config_cache, "MAX_ENTRIES", 3)
    path = tmp_path / "timeaudit.toml"
    zones = ["Europe/Berlin", "Asia/Tokyo", "America/New_York", "Europe/Paris", "UTC"]
    for zone in zones:
        path.write_text(f'timezone = "{zone}"\n', encoding="utf-8")
        assert load_config(path).timezone == zone
    assert len(_entries()) == 3
    for zone in zones:  # evicted or not, each read gives its own file's zone
        path.write_text(f'timezone = "{zone}"\n', encoding="utf-8")
        assert load_config(path).timezone == zone


def test_no_timezone_key_still_follows_the_machine(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The local zone is looked up on every read, not frozen into the cached entry."""
    path = tmp_path / "timeaudit.toml"
    path.write_text('week_start = "sunday"\n', encoding="utf-8")
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    assert load_config(path).timezone == "Asia/Tokyo"
    monkeypatch.setenv("TZ", "America/Chicago")
    assert load_config(path).timezone == "America/Chicago"
    assert len(_entries()) == 1
