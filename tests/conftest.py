"""Shared fixtures: the real-world ICS corpus, our own small ICS files, isolated state."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CORPUS = ROOT.parent / "shared" / "ics-corpus"
# "Now" for every test (core.clock): the suite gives the same answer on any day it runs.
# A Friday of the sample's November 2026; tests of other dates set TIMEAUDIT_NOW themselves.
FROZEN_NOW = "2026-11-20T12:00:00Z"


USER_DIRS = ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")


@pytest.fixture(scope="session", autouse=True)
def _isolated_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The same for module- and session-scoped fixtures, which are set up before the
    per-test fixture below: they too never see the real user's directories or today."""
    base = tmp_path_factory.mktemp("xdg-session")
    with pytest.MonkeyPatch.context() as patch:
        for name in USER_DIRS:
            patch.setenv(name, str(base / name.lower()))
        patch.setenv("TIMEAUDIT_NOW", FROZEN_NOW)
        yield


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path_factory: pytest.TempPathFactory,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's cache, config or data directories, and
    every test (and every process it starts) sees the same frozen "now"."""
    monkeypatch.setenv("TIMEAUDIT_NOW", FROZEN_NOW)
    # never the real user's keyring (CalDAV password): no keyring, so the private file
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    base = tmp_path_factory.mktemp("xdg")
    for name in USER_DIRS:
        monkeypatch.setenv(name, str(base / name.lower()))
    from connectors import ics  # noqa: PLC0415

    ics.clear_memory_cache()


@pytest.fixture(autouse=True)
def _no_browser_to_wait_for(request: pytest.FixtureRequest,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest has no browser: a first run need not hold the page back while one fetches
    its scripts (`dashboard.app.FIRST_NUMBERS_ALONE`, a second per new session)."""
    if hasattr(request.module, "AppTest"):
        monkeypatch.setattr("dashboard.app.FIRST_NUMBERS_ALONE", 0.0)


@pytest.fixture(scope="session")
def corpus() -> Path:
    """``../shared/ics-corpus``: skipped with a reason when absent, a failure under CI."""
    if not CORPUS.is_dir():
        message = (f"the shared ICS corpus is not at {CORPUS}; it sits beside the repository "
                   "in the project workspace (clone it there to run these tests)")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + " — under CI=true its absence is a failure")
        pytest.skip(message)
    return CORPUS


@pytest.fixture(scope="session")
def ics_data() -> Path:
    """Our own small ICS files, named after what they show: ``ics_data / "x.ics"``."""
    return DATA / "ics"
