"""Validated configurations kept on disk, so a command that reads an unchanged file does
not import pydantic and check every key and pattern again (≈ 0.1 s of each report; issue 16).

An entry is keyed by the parsed TOML itself (as JSON, key order kept) and by a
fingerprint of the code that validates it (the sources of the modules the checks live
in, the Polars and Python versions: a pattern Polars accepts, a zone Python knows). Only
a configuration that passed validation is stored, so every error is still found, and
worded, by the validation itself. Entries are pickled `Config` objects in the owner's
cache folder (0700; files 0600, written atomically); a missing, damaged or foreign entry
is ignored and written again, never an error. At most `MAX_ENTRIES` are kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import pickle
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs

from core.private_file import write_private

FORMAT = 1  # bump when what is stored changes
MAX_ENTRIES = 32
# The modules whose code decides what a configuration validates to.
_MODULES = ("audit.config", "audit.domains", "core.period", "core.schema", "core.errors")


def cache_dir() -> Path:
    return platformdirs.user_cache_path("timeaudit", appauthor=False) / "config"


@functools.cache
def _fingerprint() -> bytes:
    import polars as pl  # noqa: PLC0415 - already loaded by audit.config

    digest = hashlib.sha256(f"{FORMAT}\x00{sys.version}\x00{pl.__version__}".encode())
    for name in _MODULES:
        digest.update(Path(sys.modules[name].__file__ or "").read_bytes())
    return digest.digest()


def key_for(data: Mapping[str, Any]) -> str | None:
    """The entry's name for parsed TOML ``data``; None when it has values JSON cannot
    spell (TOML dates and times: never valid in a configuration, so never stored)."""
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        return None
    digest = hashlib.sha256(_fingerprint())
    digest.update(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def load(key: str, kind: type) -> Any:
    """The stored object of ``key`` when it is a ``kind``, else None. Only files the
    owner alone can write are read (the folder is the owner's; this is belt and braces
    before unpickling)."""
    path = cache_dir() / f"{key}.pickle"
    try:
        with path.open("rb") as handle:
            status = os.fstat(handle.fileno())
            if status.st_mode & 0o022 or (hasattr(os, "getuid")
                                          and status.st_uid != os.getuid()):
                return None
            value = pickle.load(handle)  # noqa: S301 - our own private file, see above
    except Exception:  # a damaged or old entry (any unpickling error) is only a miss
        return None
    return value if isinstance(value, kind) else None


def store(key: str, value: Any) -> None:
    """Keep ``value`` under ``key``; a cache that cannot be written is not an error."""
    directory = cache_dir()
    try:
        write_private(directory / f"{key}.pickle", pickle.dumps(value, protocol=5))
        entries = sorted(directory.glob("*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in entries[:-MAX_ENTRIES]:
            old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError):
        return
