"""The launch warm-up: a fresh server's imports, part in a background thread, part in the
first page's own run.

A fresh server imports Streamlit's script-side modules, Polars, the engine and the
connectors only when the first page asks for the script; the charts (Altair), the events
and meetings sections and pandas (Streamlit's data editor) after that: about 3 s of a cold
first page on a 2-core machine (``python -X importtime``, benchmarks/browser.py).

* `FIRST`, what the week's numbers need: `dashboard.launch` imports it in a background
  thread (`start`) as the server starts, so that the time overlaps with the browser
  starting and loading the page. A page that arrives earlier waits on the import lock of
  whatever module it needs, so nothing is imported twice; the thread only imports (no
  calendar is read, no socket opened).
* `REST`, what the page draws after the numbers: the first page imports it itself
  (`import_rest`), while its numbers are on screen alone (`dashboard.app`), never in a
  thread. Libraries look up pandas in ``sys.modules`` without importing it (Altair's
  narwhals does, for every chart): a thread still importing pandas while the page draws
  a chart hands them a half-made module, and the page failed with "partially initialized
  module 'pandas' has no attribute 'Timestamp'" in about one first load in six under load.
  tests/test_warm.py keeps `FIRST` free of such modules. One thread at a time runs Python
  anyway, so importing in the page's run while it waits costs the page nothing more.
"""

from __future__ import annotations

import importlib
import threading

# What the week's numbers need, in the order they need it.
FIRST = ("dashboard.app", "icalendar", "recurring_ical_events")
# What the page draws after the numbers: the charts, the events and meetings sections,
# then pandas (imported by Streamlit when the first table editor is drawn).
REST = ("dashboard.charts", "dashboard.events", "dashboard.meetings", "pandas")
# Modules other libraries find through ``sys.modules`` (never imported in a thread).
LOOKED_UP = ("pandas", "numpy", "pyarrow")


def warm_up() -> None:
    """Import `FIRST`."""
    for name in FIRST:
        importlib.import_module(name)


def import_rest() -> None:
    """Import `REST`, in the calling thread (the page's own run)."""
    for name in REST:
        importlib.import_module(name)


def start() -> None:
    """`warm_up` in a daemon thread (it never keeps the server from stopping)."""
    threading.Thread(target=warm_up, name="timeaudit-warm-up", daemon=True).start()
