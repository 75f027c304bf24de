"""``python -m dashboard.launch run dashboard/app.py …``: Streamlit, with the dashboard's
modules imported while the browser opens.

A fresh server imports Streamlit's script-side modules, Polars, Altair, the engine and the
connectors only when the first page asks for the script, then pandas when the first table
editor is drawn: about 3 s of a cold first page on a 2-core machine (``python -X importtime``
and py-spy, benchmarks/browser.py). Imported in a background thread as the server starts,
that time overlaps with the browser starting and loading the page. The import lock keeps a
page that arrives earlier from importing anything twice.

Between the two imports the thread also reads and audits the week a new session opens on
(`dashboard.state.warm_first_week`: the bundled sample or the person's own files, nothing
from the network), into the same caches the page's run looks in: the page's first run
then finds the week's numbers instead of working them out (≈ 1.5–3.5 s of a cold first
page, docs/dashboard.md). A page that asks before the thread is done waits for the
thread's read (Streamlit's caches compute a key once), it never reads the same file
twice at once. The thread opens no socket and logs nothing.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time

# In the order a first page needs them: the script's modules, the first week's numbers,
# then pandas (Streamlit's data editor imports it when the first one is drawn, below the
# week's numbers).
WARM = ("dashboard.app", "pandas")
RUNTIME_WAIT = 30.0  # s: the server's runtime is up well before (≈ 0.1 s after the imports)


def _warm_up() -> None:
    importlib.import_module(WARM[0])
    _warm_first_week()
    for name in WARM[1:]:
        importlib.import_module(name)


def _warm_first_week() -> None:
    from streamlit import runtime  # noqa: PLC0415 - imported by the server already

    # Streamlit's data caches live in the runtime: filled before it exists, they would
    # be kept where the page never looks.
    deadline = time.monotonic() + RUNTIME_WAIT
    while not runtime.exists():
        if time.monotonic() > deadline:
            return
        time.sleep(0.02)
    from dashboard import state  # noqa: PLC0415 - imported above

    try:
        state.warm_first_week()
    except Exception:  # the page's own run reads again and reports it
        return


def main() -> None:
    from streamlit.web import cli  # noqa: PLC0415 - first, so the thread only adds to it

    threading.Thread(target=_warm_up, name="timeaudit-warm-up", daemon=True).start()
    sys.argv[0] = "streamlit"
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
