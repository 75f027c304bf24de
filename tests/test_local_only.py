"""The dashboard server listens on 127.0.0.1 only and connects to nothing outside the machine.

Each way of starting it is run for real with a Python audit hook (tests/data/socket_audit)
that records every socket bind, connect and name lookup of the processes; a browser session
runs the app once, so the running server is checked too, not only its start.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from served import chromium, free_port, isolated_env, open_dashboard, serving, stop

ROOT = Path(__file__).resolve().parent.parent
HOOK = Path(__file__).resolve().parent / "data" / "socket_audit"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}

pytestmark = pytest.mark.browser


def _tasks_dashboard(port: int) -> list[str]:
    """`python3 tasks.py dashboard` with this environment instead of installing one."""
    code = ("import sys, tasks; tasks.ensure_environment = lambda flavour: sys.executable; "
            "sys.exit(tasks.dashboard(sys.argv[1:]))")
    return [sys.executable, "-c", code, "--server.headless", "true", "--server.port", str(port)]


STARTS = {
    "timeaudit dashboard": lambda port: [sys.executable, "-m", "cli", "dashboard",
                                         "--server.headless", "true", "--server.port",
                                         str(port)],
    "python3 tasks.py dashboard": _tasks_dashboard,
    # in the checkout, .streamlit/config.toml holds the same settings
    "streamlit run app.py": lambda port: [sys.executable, "-m", "streamlit", "run", "app.py",
                                          "--server.headless", "true", "--server.port",
                                          str(port)],
}


def socket_events(log: Path) -> list[tuple[str, str, int | None]]:
    if not log.exists():
        return []
    return [tuple(json.loads(line)) for line in log.read_text().splitlines()]


def assert_local_only(events: list[tuple[str, str, int | None]], port: int) -> None:
    binds = [(host, p) for event, host, p in events if event == "socket.bind"]
    assert ("127.0.0.1", port) in binds, binds
    outside = [(event, host, p) for event, host, p in events
               if host not in LOOPBACK and not host.startswith("unix:")
               and not (event == "socket.getaddrinfo" and host in ("", "None"))]
    assert not outside, f"non-loopback socket use: {outside}"


@pytest.mark.parametrize("start", STARTS)
def test_the_server_is_local_only(start: str, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "sockets.jsonl"
    env = isolated_env(tmp_path, PYTHONPATH=str(HOOK), TIMEAUDIT_TEST_SOCKET_LOG=str(log))
    output = tmp_path / "server.log"
    with serving(STARTS[start](port), port=port, cwd=ROOT, env=env, log=output) as url:
        with urllib.request.urlopen(url, timeout=10) as page:
            assert b"<html" in page.read().lower()
        if start == "timeaudit dashboard":
            with chromium() as browser:
                failures: list[str] = []
                page = open_dashboard(browser, url, failures)
                page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached",
                                       timeout=60_000)
                assert not failures, failures
    printed = output.read_text(errors="replace")
    assert "Network URL" not in printed
    assert "External URL" not in printed
    assert_local_only(socket_events(log), port)


@pytest.mark.parametrize("start", ["timeaudit dashboard", "python3 tasks.py dashboard"])
def test_stopping_the_command_stops_the_server(start: str, tmp_path: Path) -> None:
    """SIGTERM to the command a person started leaves nothing serving their calendar."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/_stcore/health"
    with (tmp_path / "server.log").open("wb") as output:
        process = subprocess.Popen(STARTS[start](port), cwd=ROOT, env=isolated_env(tmp_path),
                                   stdout=output, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            deadline = time.monotonic() + 90
            while not _answers(url):
                log = (tmp_path / "server.log").read_text(errors="replace")[-2000:]
                assert process.poll() is None, log
                assert time.monotonic() < deadline, log
                time.sleep(0.3)
            process.terminate()
            process.wait(timeout=20)
            time.sleep(1)
            assert not _answers(url), "the server kept running after its command stopped"
        finally:
            stop(process)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.read() == b"ok"
    except OSError:
        return False


def test_another_address_is_the_users_choice() -> None:
    from dashboard import serve  # noqa: PLC0415

    chosen = serve.command_line(["--server.address=0.0.0.0", "--server.port", "9000"])
    assert chosen.count("--server.address") == 0
    assert "--server.address=0.0.0.0" in chosen
    assert chosen[chosen.index("--browser.gatherUsageStats") + 1] == "false"
    default = serve.command_line()
    assert default[default.index("--server.address") + 1] == "127.0.0.1"


def test_the_checkouts_streamlit_config_says_the_same() -> None:
    """`streamlit run app.py` in the checkout reads .streamlit/config.toml instead."""
    import tomllib  # noqa: PLC0415

    from dashboard import serve  # noqa: PLC0415

    with (ROOT / ".streamlit" / "config.toml").open("rb") as file:
        config = tomllib.load(file)
    flat = {f"{section}.{key}": str(value).lower()
            for section, values in config.items() for key, value in values.items()}
    assert flat == serve.SETTINGS
