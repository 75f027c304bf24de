"""Messages never carry terminal escapes; library logs stay quiet unless --verbose and never
show request URLs (tokens, calendar ids)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from google_replay import failing, ok, replay

from cli import google_commands
from cli.main import LIBRARY_LOGGERS, _show_warning, main
from core.errors import CalendarWarning, printable

ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e"


def test_printable_escapes_every_control_character() -> None:
    assert printable("a\x1b]0;t\x07b") == "a\\x1b]0;t\\x07b"
    assert printable("\x00\x7f\x85\x9b\u202e\u2066") == "\\x00\\x7f\\x85\\x9b\\u202e\\u2066"
    assert printable("Müller 東京 ok") == "Müller 東京 ok"
    for code in [*range(0x20), *range(0x7f, 0xa0)]:
        if code != 0x09:  # a tab is only white space
            assert chr(code) not in printable(f"x{chr(code)}y")
    assert printable("a\tb") == "a\tb"


def test_an_error_line_carries_no_escape(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / f"cal{ESCAPES}.ics"
    code = main(["report", "--ics", str(missing), "--week", "2026-W47"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert "\\x1b]0;pwned\\x07" in err
    assert not any(ch in err[:-1] for ch in "\x1b\x07\x9b\u202e\n")


def test_a_click_error_carries_no_escape(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", f"--bogus{ESCAPES}"])
    err = capsys.readouterr().err
    assert code == 2
    assert not any(ch in err for ch in "\x1b\x07\x9b\u202e")


def test_a_warning_line_carries_no_escape(capsys: pytest.CaptureFixture[str]) -> None:
    _show_warning(CalendarWarning(f"skipped {ESCAPES}"), CalendarWarning, "f.py", 1)
    err = capsys.readouterr().err
    assert err.startswith("warning: skipped \\x1b]0;pwned")
    assert not any(ch in err[:-1] for ch in "\x1b\x07\x9b\u202e\n")


def test_warnings_from_a_command_are_escaped(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from audit import store  # noqa: PLC0415

    real = store.list_overrides

    def noisy(*_: object, **__: object) -> object:
        warnings.warn(f"a calendar says {ESCAPES}", CalendarWarning, stacklevel=1)
        return real()

    monkeypatch.setattr(store, "list_overrides", noisy)
    assert main(["classify", "--list"]) == 0
    err = capsys.readouterr().err
    assert "warning: a calendar says \\x1b]0;pwned" in err
    assert "\x1b" not in err


@pytest.fixture
def debug_root() -> Iterator[list[str]]:
    """A process whose root logger shows everything (as some environments configure)."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    root = logging.getLogger()
    handler, level = Collect(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield lines
    root.removeHandler(handler)
    root.setLevel(level)


def _sync_failing(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    service, _ = replay(ok("calendar_list"), failing(404, "error_500_backend_error"))
    monkeypatch.setattr(google_commands, "service_factory", lambda: service)
    return main([*args, "google", "sync"])


def test_library_logs_are_quiet_without_verbose(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        debug_root: list[str]) -> None:
    code = _sync_failing(monkeypatch)
    err = capsys.readouterr().err
    assert code == 2
    assert [line for line in debug_root if "URL being requested" in line] == []
    assert "URL being requested" not in err
    assert "https://" not in err
    assert "ada@example.com" not in err


def test_verbose_shows_library_logs_without_urls(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        debug_root: list[str]) -> None:
    code = _sync_failing(monkeypatch, "--verbose")
    err = capsys.readouterr().err
    assert code == 2
    assert "log: googleapiclient.discovery: URL being requested: GET" in err
    assert "https://" not in err
    assert "ada@example.com" not in err
    assert "ada%40example.com" not in err
    assert debug_root == []  # not twice (the root's handler does not see them)


def test_main_leaves_the_logging_of_the_process_as_it_was(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    before = [(logging.getLogger(n).level, logging.getLogger(n).propagate,
               list(logging.getLogger(n).handlers)) for n in LIBRARY_LOGGERS]
    _sync_failing(monkeypatch, "--verbose")
    capsys.readouterr()
    after = [(logging.getLogger(n).level, logging.getLogger(n).propagate,
              list(logging.getLogger(n).handlers)) for n in LIBRARY_LOGGERS]
    assert after == before


def test_calendar_names_from_the_account_are_escaped(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import json  # noqa: PLC0415

    from google_replay import JSON, body  # noqa: PLC0415

    listing = json.loads(body("calendar_list"))
    for entry in listing["items"]:
        entry["summary"] = f"Team{ESCAPES}"
        entry.pop("summaryOverride", None)
    answer = ({"status": "200", "content-type": JSON}, json.dumps(listing))
    for args in (["google", "calendars"], ["google", "select", "--all"]):
        service, _ = replay(answer)
        monkeypatch.setattr(google_commands, "service_factory", lambda s=service: s)
        assert main(args) == 0
        out = capsys.readouterr().out
        assert "Team\\x1b]0;pwned" in out
        assert "\x1b" not in out
