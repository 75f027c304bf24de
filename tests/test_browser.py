"""The dashboard in a real browser: `streamlit run app.py` driven by Chromium (Playwright).

Screenshots go to ``test-artifacts/`` (git-ignored): the sample's last complete week, the
week before it, and the page after a broken upload. Without /usr/bin/chromium the test
is skipped with the reason, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
BROKEN = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART:nonsense\r\n"

pytestmark = pytest.mark.browser


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} — under CI=true the browser test must run")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port with its own user directories."""
    if not CHROMIUM.exists():
        _missing(f"{CHROMIUM} is not installed (apt-get install chromium)")
    port = _free_port()
    env = dict(os.environ)
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env[name] = str(tmp_path / name.lower())
    log = (tmp_path / "streamlit.log").open("wb")
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
               "--server.headless", "true", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read() == b"ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.flush()
                output = (tmp_path / "streamlit.log").read_text(errors="replace")
                pytest.fail(f"streamlit did not come up on {url}:\n{output[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _settle(page: object) -> None:
    """Wait until Streamlit has finished the run and every chart is drawn."""
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                 .every(c => c.querySelector('canvas, svg.marks'))""", timeout=60_000)
    page.wait_for_timeout(800)  # Vega's enter transitions


def _screenshot(page: object, name: str) -> Path:
    """A full-page screenshot: Streamlit scrolls inside the page, so the viewport is
    made as tall as the content first."""
    height = page.evaluate("""() => Math.max(
        document.querySelector('[data-testid="stMain"]').scrollHeight,
        document.querySelector('[data-testid="stSidebarContent"]').scrollHeight)""")
    page.set_viewport_size({"width": 1500, "height": height + 40})
    page.mouse.move(1490, height)  # no tooltip of the last button clicked
    page.wait_for_timeout(800)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1500, "height": 1000})
    return path


def test_the_dashboard_renders_in_chromium(server: str, tmp_path: Path) -> None:
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        _missing("the playwright package is not installed")
    broken = tmp_path / "broken.ics"
    broken.write_bytes(BROKEN)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            failures: list[str] = []
            page.on("pageerror", lambda error: failures.append(str(error)))
            page.goto(server)
            page.wait_for_function(
                """() => document.querySelectorAll('.st-key-kpis [data-testid="stMetric"]')
                         .length === 7""", timeout=60_000)
            page.wait_for_selector('.st-key-matrix [data-testid="stVegaLiteChart"] canvas, '
                                   '.st-key-matrix [data-testid="stVegaLiteChart"] svg',
                                   timeout=60_000)
            _settle(page)
            assert page.locator('[data-testid="stException"]').count() == 0
            first = page.locator('.st-key-kpis [data-testid="stMetricValue"]').all_inner_texts()
            assert _screenshot(page, "dashboard.png").stat().st_size > 50_000

            page.get_by_role("button", name="Previous").click()
            page.wait_for_function(
                """(before) => {
                    const now = [...document.querySelectorAll(
                        '.st-key-kpis [data-testid="stMetricValue"]')].map(e => e.innerText);
                    return now.length === 7 && now.join() !== before.join();
                }""", arg=first, timeout=60_000)
            _settle(page)
            assert page.locator('[data-testid="stException"]').count() == 0
            _screenshot(page, "dashboard-previous-week.png")

            page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
                str(broken))
            alert = page.locator('[data-testid="stAlertContentError"]').filter(
                has_text="broken.ics")
            alert.first.wait_for(timeout=60_000)
            _settle(page)
            assert "not a valid iCalendar file" in alert.first.inner_text() \
                or "broken.ics" in alert.first.inner_text()
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.locator('.st-key-kpis [data-testid="stMetric"]').count() == 7
            _screenshot(page, "dashboard-error.png")
            assert not failures, failures
        finally:
            browser.close()
