"""Records every socket bind, connect and name lookup of a Python process (tests only).

A test puts this folder on PYTHONPATH and names a log file in TIMEAUDIT_TEST_SOCKET_LOG;
every Python process started with that environment (the `timeaudit` command and the
Streamlit server it starts) appends one JSON line per event: [event, host, port].
"""

import json
import os
import sys

_LOG = os.environ.get("TIMEAUDIT_TEST_SOCKET_LOG")


def _record(event: str, args: tuple) -> None:
    if event in ("socket.bind", "socket.connect"):
        address = args[1]
    elif event == "socket.getaddrinfo":
        address = (args[0], args[1])
    else:
        return
    if isinstance(address, tuple):
        host, port = address[0], address[1]
        host = host.decode() if isinstance(host, bytes) else host
    else:  # a Unix socket's path
        host, port = f"unix:{address!r}", None
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps([event, host, port]) + "\n")


if _LOG:
    sys.addaudithook(_record)
