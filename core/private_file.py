"""Files only the owner may read: tokens, token caches, passwords (part of the core).

One way to write them, for every connector that keeps a secret.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by the owner only (0600), atomically.

    The file is born 0600 (``os.open`` with that mode) and renamed over the old one, so
    there is no moment at which it has wider permissions, whatever the old file had; its
    folder, when it has to be made, is 0700. A failed write leaves the old file and no
    partial one.
    """
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # mkdir's mode is filtered through the umask
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
