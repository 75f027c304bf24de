"""The launch warm-up: a fresh server's imports, in a background thread, in two parts.

A fresh server imports Streamlit's script-side modules, Polars, the engine and the
connectors only when the first page asks for the script; the charts (Altair), the events
and meetings sections and pandas (Streamlit's data editor) after that: about 3 s of a cold
first page on a 2-core machine (``python -X importtime``, benchmarks/browser.py).
`dashboard.launch` starts `warm_up` as the server starts, so that the time overlaps with
the browser starting and loading the page. The import lock keeps a page that arrives
earlier from importing anything twice; the thread only imports (no calendar is read, no
socket opened).

The first part is what the week's numbers need (`dashboard.app` imports only that, and the
calendar parser for a first read). The second part waits until a page has sent its numbers
(`numbers_sent`, called by `dashboard.app`), or `REST_AFTER` seconds without a page: a
thread importing Altair and pandas while the page's first run works out the numbers takes
half of the interpreter from it (one runs at a time), so the numbers would wait for them
all the same (docs/dashboard.md, "What runs when").
"""

from __future__ import annotations

import importlib
import threading

# What the week's numbers need, in the order they need it.
FIRST = ("dashboard.app", "icalendar", "recurring_ical_events")
# What the page draws after the numbers: the charts, the events and meetings sections,
# then pandas (imported by Streamlit when the first table editor is drawn).
REST = ("dashboard.charts", "dashboard.events", "dashboard.meetings", "pandas")
REST_AFTER = 30.0  # seconds: no page came, import the rest anyway

_NUMBERS_SENT = threading.Event()


def numbers_sent() -> None:
    """A page's first numbers are out: the rest of the imports may go ahead."""
    _NUMBERS_SENT.set()


def warm_up() -> None:
    """Import `FIRST`, then, once a page has sent its numbers, `REST`."""
    for name in FIRST:
        importlib.import_module(name)
    _NUMBERS_SENT.wait(REST_AFTER)
    for name in REST:
        importlib.import_module(name)


def start() -> None:
    """`warm_up` in a daemon thread (it never keeps the server from stopping)."""
    threading.Thread(target=warm_up, name="timeaudit-warm-up", daemon=True).start()
