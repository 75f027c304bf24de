"""``python -m dashboard.launch run dashboard/app.py …``: Streamlit, with the dashboard's
modules imported while the browser opens.

A fresh server imports Streamlit's script-side modules, Polars, Altair, the engine and the
connectors only when the first page asks for the script, then pandas when the first table
editor is drawn: about 3 s of a cold first page on a 2-core machine (``python -X importtime``
and py-spy, benchmarks/browser.py). Imported in a background thread as the server starts,
that time overlaps with the browser starting and loading the page. The import lock keeps a
page that arrives earlier from importing anything twice; the thread only imports (no
calendar is read, no socket opened).
"""

from __future__ import annotations

import importlib
import sys
import threading

# In the order a first page needs them: the script's modules up to the week's numbers
# (`dashboard.app` imports only those), the calendar parser (a first read of the sample or
# of a new file), then what the page draws after the numbers (the charts' Altair, the
# events and meetings sections), then pandas (Streamlit's data editor imports it when the
# first one is drawn). A page that asks for the script early waits only for what its
# numbers need, not for Altair and pandas (issue 16).
WARM = ("dashboard.app", "icalendar", "recurring_ical_events", "dashboard.charts",
        "dashboard.events", "dashboard.meetings", "pandas")


def _warm_up() -> None:
    for name in WARM:
        importlib.import_module(name)


def main() -> None:
    from streamlit.web import cli  # noqa: PLC0415 - first, so the thread only adds to it

    threading.Thread(target=_warm_up, name="timeaudit-warm-up", daemon=True).start()
    sys.argv[0] = "streamlit"
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
