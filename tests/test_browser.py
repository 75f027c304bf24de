"""The dashboard in a real browser: `streamlit run app.py` driven by Chromium (Playwright).

Screenshots go to ``test-artifacts/`` (git-ignored): the sample's last complete week, the
week before it, and the page after a broken upload. Without /usr/bin/chromium the test
is skipped with the reason, except under CI=true, where that is a failure.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from served import KPI_COUNT, chromium, free_port, isolated_env, open_dashboard, serving

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
BROKEN = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART:nonsense\r\n"

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port with its own user directories."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
               "--server.headless", "true", "--server.port", str(port)]
    with serving(command, port=port, cwd=ROOT, env=isolated_env(tmp_path),
                 log=tmp_path / "streamlit.log") as url:
        yield url


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
    broken = tmp_path / "broken.ics"
    broken.write_bytes(BROKEN)
    with chromium() as browser:
        failures: list[str] = []
        page = open_dashboard(browser, server, failures)
        page.wait_for_selector('.st-key-matrix [data-testid="stVegaLiteChart"] canvas, '
                               '.st-key-matrix [data-testid="stVegaLiteChart"] svg',
                               timeout=60_000)
        _settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        first = page.locator('.st-key-kpis [data-testid="stMetricValue"]').all_inner_texts()
        assert _screenshot(page, "dashboard.png").stat().st_size > 50_000

        page.get_by_role("button", name="Previous").click()
        page.wait_for_function(
            """({before, count}) => {
                const now = [...document.querySelectorAll(
                    '.st-key-kpis [data-testid="stMetricValue"]')].map(e => e.innerText);
                return now.length === count && now.join() !== before.join();
            }""", arg={"before": first, "count": KPI_COUNT}, timeout=60_000)
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
        assert page.locator('.st-key-kpis [data-testid="stMetric"]').count() == KPI_COUNT
        _screenshot(page, "dashboard-error.png")
        assert not failures, failures
