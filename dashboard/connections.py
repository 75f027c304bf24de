"""The calendars the dashboard reads besides Google: uploaded ``.ics`` files (copied into
``calendars/`` in the user data directory) and ICS links, listed in ``connections.json``.

Links can carry secrets (Google's "secret address"), so the file is private (0600), like
the store; it is changed under a lock so two dashboards (or tabs) adding links keep both.
Google calendars are selected and synced in the store itself (`connectors.google_store`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from audit.config_edit import APP, atomic_write, locked, private_dir
from core.errors import AuditError

CONNECTIONS_FILE = "connections.json"
UPLOADS_DIR = "calendars"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def data_dir() -> Path:
    return platformdirs.user_data_path(APP)


def uploads_dir() -> Path:
    return data_dir() / UPLOADS_DIR


def connections_path() -> Path:
    return data_dir() / CONNECTIONS_FILE



@dataclass(frozen=True)
class Connections:
    """The calendars the dashboard reads besides Google: uploaded files and links."""

    files: tuple[str, ...] = ()  # file names in uploads_dir()
    urls: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.files or self.urls)

    def paths(self) -> list[Path]:
        return [uploads_dir() / name for name in self.files]


def load_connections(path: Path | None = None) -> Connections:
    target = path or connections_path()
    try:
        raw = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Connections()
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or error
        raise AuditError(f"{target}: not a usable list of connections ({reason}); fix the "
                         "file (your uploaded calendars are kept beside it)") from None
    if not isinstance(raw, dict):
        raise AuditError(f"{target}: not a usable list of connections (expected a JSON "
                         "object); fix the file (your uploaded calendars are kept beside it)")
    lists = {}
    for key in ("files", "urls"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise AuditError(f"{target}: {key!r} should be a list of texts, not "
                             f"{json.dumps(value)[:40]}; fix the file")
        lists[key] = tuple(value)
    outside = [f for f in lists["files"] if f != safe_file_name(f)]
    if outside:  # only names timeaudit gave its own copies: never a path elsewhere
        raise AuditError(f"{target}: {json.dumps(outside[0])[:60]} is not the name of an "
                         f"uploaded calendar in {UPLOADS_DIR}/; fix the file")
    return Connections(lists["files"], lists["urls"])


def save_connections(connections: Connections, path: Path | None = None) -> None:
    body = {"version": 1, "files": list(connections.files), "urls": list(connections.urls)}
    atomic_write(path or connections_path(), json.dumps(body, indent=2).encode() + b"\n",
                  private=True)


def _update(change: Callable[[Connections], Connections]) -> None:
    """Apply ``change(current)`` to connections.json: read, change and save under one lock,
    so two dashboards (or tabs) adding links at once keep both."""
    with locked(connections_path(), private=True):
        current = load_connections()
        changed = change(current)
        if changed != current:
            save_connections(changed)


def safe_file_name(name: str) -> str:
    """An uploaded file's name as stored: no folders, no odd characters, ``.ics``."""
    stem = _SAFE_NAME.sub("_", Path(name.replace("\\", "/")).name).strip(" ._") or "calendar"
    return stem if stem.lower().endswith(".ics") else f"{stem}.ics"


def add_upload(name: str, data: bytes) -> str:
    """Keep an uploaded calendar (replacing one of the same name); returns the stored name.

    The caller checks that ``data`` is a readable calendar first.
    """
    stored = safe_file_name(name)
    private_dir(data_dir())
    atomic_write(uploads_dir() / stored, data, private=True)
    _update(lambda c: c if stored in c.files else Connections((*c.files, stored), c.urls))
    return stored


def add_url(url: str) -> None:
    _update(lambda c: c if url in c.urls else Connections(c.files, (*c.urls, url)))


def remove_connection(*, file: str | None = None, url: str | None = None) -> None:
    """Forget an uploaded file (and delete its copy) or a link."""
    if file is not None:
        (uploads_dir() / safe_file_name(file)).unlink(missing_ok=True)
    _update(lambda c: Connections(tuple(f for f in c.files if f != file),
                                  tuple(u for u in c.urls if u != url)))
