"""Files only the owner may read: tokens, token caches, passwords, cached calendars.

The one atomic file write of timeaudit, for everything it keeps on disk beside the store.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by the owner only (0600), atomically.

    The file is born 0600 (``mkstemp``) and renamed over the old one, so
    there is no moment at which it has wider permissions, whatever the old file had; its
    folder, when it has to be made, is 0700. A failed write leaves the old file and no
    partial one.
    """
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
        path.parent.chmod(0o700)  # mkdir's mode is filtered through the umask
    # mkstemp: a new name each time (two threads may write the same file), born 0600.
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                        suffix=".partial")
    partial = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
