"""timeaudit as people install it: a wheel in a fresh environment, outside any checkout.

The wheel is built from a copy of the checkout, installed with the locked dependencies into
a new venv in a temporary directory, and used from there: `timeaudit --version`,
`timeaudit report --sample` (the same figures as the checkout) and `timeaudit dashboard`,
which must come up on the bundled sample, on 127.0.0.1 only, and render in Chromium.
This needs the package index (as `python3 tasks.py test` itself does).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from served import chromium, free_port, isolated_env, open_dashboard, serving
from test_local_only import HOOK, assert_local_only, socket_events

import core

ROOT = Path(__file__).resolve().parent.parent
NOT_SHIPPED = (".git", ".venv", "build", "*.egg-info", "test-artifacts", "__pycache__",
               ".ruff_cache", ".pytest_cache", ".hypothesis")

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def run(*command: object, cwd: Path) -> str:
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, f"{command}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ folder of a fresh venv holding the wheel and the locked dependencies."""
    base = tmp_path_factory.mktemp("package")
    source = base / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
    wheels = base / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", wheels, source,
        cwd=base)
    [wheel] = wheels.glob("timeaudit-*.whl")
    env = base / "venv"
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--require-hashes", "-r",
        ROOT / "requirements.lock", cwd=base)
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", wheel, cwd=base)
    return env / "bin"


def test_the_installed_command_knows_its_version(installed: Path, tmp_path: Path) -> None:
    assert run(installed / "timeaudit", "--version", cwd=tmp_path).strip() == \
        f"timeaudit, version {core.__version__}"


def test_the_installed_report_on_the_sample_is_the_checkouts(installed: Path,
                                                              tmp_path: Path) -> None:
    args = ["report", "--sample", "--week", "2026-W47", "--format", "json"]
    there = json.loads(run(installed / "timeaudit", *args, cwd=tmp_path))
    here = json.loads(run(sys.executable, "-m", "cli", *args, cwd=ROOT))
    assert there == here
    assert there["hours"]["total"] > 30
    assert there["violations"]["count"] > 0


def test_the_installed_dashboard_opens_on_the_sample(installed: Path, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "sockets.jsonl"
    env = isolated_env(tmp_path, PYTHONPATH=str(HOOK), TIMEAUDIT_TEST_SOCKET_LOG=str(log))
    command = [installed / "timeaudit", "dashboard", "--server.headless", "true",
               "--server.port", str(port)]
    with serving([str(c) for c in command], port=port, cwd=tmp_path, env=env,
                 log=tmp_path / "server.log") as url, chromium() as browser:
        failures: list[str] = []
        page = open_dashboard(browser, url, failures)
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached",
                               timeout=60_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert "Sample calendars" in page.locator("body").inner_text()
        assert not failures, failures
    assert_local_only(socket_events(log), port)
