"""First use in a real browser: a persona's own calendars uploaded in Chromium, at a
laptop's 1440×900 and a phone's 390×844.

What it checks is what a person would notice: their zone is asked (not silently the
machine's), a typed week applies on Enter, the page logs no Vega warnings, and the phone
layout does not overflow sideways. Screenshots go to ``test-artifacts/`` (git-ignored)
for a person to look at.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from served import KPI_COUNT, chromium, free_port, isolated_env, missing, serving

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
PERSONA = ROOT.parent / "shared" / "personas" / "P2"

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The dashboard on a machine whose own zone is UTC, with user directories of its own."""
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
               "--server.headless", "true", "--server.port", str(port)]
    env = isolated_env(tmp_path, TZ="Etc/UTC", TIMEAUDIT_NOW=os.environ["TIMEAUDIT_NOW"])
    with serving(command, port=port, cwd=ROOT, env=env,
                 log=tmp_path / "streamlit.log") as url:
        yield url


def _settle(page: object) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=90_000)
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                 .every(c => c.querySelector('canvas, svg.marks'))""", timeout=60_000)
    page.wait_for_timeout(800)  # Vega's enter transitions


def _screenshot(page: object, name: str, width: int, height: int) -> None:
    """The viewport as a person sees it, and the whole page (Streamlit scrolls inside)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    full = page.evaluate("""() => Math.max(
        document.querySelector('[data-testid="stMain"]').scrollHeight,
        document.querySelector('[data-testid="stSidebarContent"]')?.scrollHeight || 0)""")
    page.set_viewport_size({"width": width, "height": full + 40})
    page.wait_for_timeout(1000)
    page.screenshot(path=str(ARTIFACTS / f"{name}-full.png"), full_page=True)
    page.set_viewport_size({"width": width, "height": height})


def test_a_persona_uses_the_dashboard_on_a_laptop_and_a_phone(server: str) -> None:
    if not PERSONA.is_dir():
        missing(f"the personas are not at {PERSONA} (../shared beside the repository)")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        console: list[str] = []
        failures: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.on("pageerror", lambda error: failures.append(str(error)))
        page.goto(server)
        page.wait_for_function(
            """(count) => document.querySelectorAll('.st-key-kpis [data-testid="stMetric"]')
                          .length === count""", arg=KPI_COUNT, timeout=90_000)
        _settle(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
            [str(PERSONA / f"{name}.ics") for name in ("work", "privat", "familie")])
        prompt = page.locator(".st-key-zone_prompt")
        prompt.wait_for(timeout=90_000)
        _settle(page)
        # the calendars' zone, asked — not the machine's UTC, silently
        assert "Is your time zone Europe/Berlin?" in prompt.inner_text()
        assert "Etc/UTC" not in page.locator('[data-testid="stCaptionContainer"]').first \
            .inner_text()
        assert page.get_by_text("work.ics — connected.").count() == 1
        assert "vs last week" in page.locator(".st-key-kpis").inner_text()
        _screenshot(page, "first-use-1440", 1440, 900)

        # a typed week applies on Enter (no need to leave the field)
        field = page.get_by_role("textbox", name="Week or day")
        field.fill("2026-W47")
        field.press("Enter")
        page.get_by_text("week 47 of 2026").wait_for(timeout=60_000)
        _settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        _screenshot(page, "week-with-violations-1440", 1440, 900)

        page.set_viewport_size({"width": 390, "height": 844})
        _settle(page)
        overflow = page.evaluate(
            "() => document.querySelector('[data-testid=\"stMain\"]').scrollWidth")
        assert overflow <= 390, f"the phone layout is {overflow} px wide"
        _screenshot(page, "phone-390", 390, 844)

        assert not [line for line in console if "Infinite extent" in line], console
        assert not failures, failures
