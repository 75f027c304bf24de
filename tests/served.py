"""A real dashboard server for the tests that need one, and the Chromium that reads it.

`serving` starts a command (a Streamlit server on ``port``), waits for
``/_stcore/health`` and stops it afterwards. Without /usr/bin/chromium or playwright,
`chromium` skips with the reason, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
KPI_COUNT = 7  # the week-at-a-glance metrics (dashboard.views.render_kpis)
USER_DIRS = ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")


def missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} — under CI=true the browser test must run")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """The test's environment with user directories of its own under ``home``."""
    env = dict(os.environ)
    for name in USER_DIRS:
        env[name] = str(home / name.lower())
    return {**env, **extra}


@contextmanager
def serving(command: Sequence[str], *, port: int, cwd: Path, env: Mapping[str, str],
            log: Path) -> Iterator[str]:
    """Run ``command`` until the server on 127.0.0.1:``port`` is healthy; its URL."""
    with log.open("wb") as output:
        # its own session: whatever it starts is stopped with it (`stop`)
        process = subprocess.Popen(list(command), cwd=cwd, env=dict(env), stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 90
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                        if answer.read() == b"ok":
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    output.flush()
                    text = log.read_text(errors="replace")
                    pytest.fail(f"the dashboard did not come up on {url}:\n{text[-3000:]}")
                time.sleep(0.3)
            yield url
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """Stop ``process`` as a person would (SIGTERM), then anything left of its session."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (Playwright ``Browser``)."""
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        missing("the playwright package is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_dashboard(browser: Any, url: str, errors: list[str]) -> Any:
    """A page on ``url`` once the KPIs of the week are on it; the page's script errors are
    added to ``errors``."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_function(
        """(count) => document.querySelectorAll('.st-key-kpis [data-testid="stMetric"]')
                      .length === count""", arg=KPI_COUNT, timeout=90_000)
    return page
