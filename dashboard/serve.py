"""How the dashboard server is started: local only, whoever starts it.

``timeaudit dashboard`` and ``python3 tasks.py dashboard`` start Streamlit through
`command`; ``streamlit run app.py`` in a checkout reads the same settings from
``.streamlit/config.toml``. This module does not import Streamlit.

- ``server.address = 127.0.0.1``: the person's calendar is served to this machine only, not
  to everyone on the same Wi-Fi. Streamlit also looks up the machine's public address on the
  internet (to print an "External URL") unless an address is set. A user who wants another
  address passes ``--server.address`` on purpose and wins.
- no usage statistics, no e-mail prompt on the first start.
- no watching of the dashboard's source files: a person does not edit them, and the
  watcher registers every imported module's file after each script run on a cold server
  (docs/dashboard.md, "What runs when"). While developing: ``--server.fileWatcherType auto``.
- the rest of the checkout's ``.streamlit/config.toml`` (a test keeps the two the same), so
  that an installed dashboard looks and behaves like the checkout's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"

SETTINGS = {
    "server.address": "127.0.0.1",
    "browser.gatherUsageStats": "false",
    "server.showEmailPrompt": "false",
    "client.toolbarMode": "minimal",
    "server.maxUploadSize": "50",
    "server.fileWatcherType": "none",
}


def command_line(extra: Sequence[str] = ()) -> list[str]:
    """``python -m dashboard.launch run dashboard/app.py`` (Streamlit's own command line,
    with the dashboard's imports warming up, see `dashboard.launch`) with our settings.

    A setting in ``extra`` (``--server.address 0.0.0.0`` or ``--server.address=…``) replaces
    ours.
    """
    given = {arg.removeprefix("--").split("=", 1)[0] for arg in extra if arg.startswith("--")}
    ours = [part for key, value in SETTINGS.items() if key not in given
            for part in (f"--{key}", value)]
    return [sys.executable, "-m", "dashboard.launch", "run", str(APP), *ours, *extra]


def run(extra: Sequence[str] = ()) -> int:
    """Serve the dashboard until stopped.

    On POSIX the process *becomes* the Streamlit server (``exec``), so stopping
    ``timeaudit dashboard`` (Ctrl-C, a kill, a service manager) stops the server; a child
    process would be left serving the person's calendar. Elsewhere, a child we wait for.
    """
    command = command_line(extra)
    if os.name == "posix":
        os.execv(sys.executable, command)  # noqa: S606 - our interpreter, our app
    return subprocess.call(command)  # noqa: S603 - our interpreter, our app
