"""What time it is: the one place timeaudit asks, so that tests can freeze it.

Everything that depends on "today" (the default period, the dashboard's week picker and
its "This week" button, Google sync windows, the stamps written to the local store and the
URL cache) calls `now()` rather than `datetime.now`.

The frozen instant travels in the environment variable ``TIMEAUDIT_NOW`` (an ISO-8601
instant with a zone, e.g. ``2026-11-20T12:00:00Z``), so that it reaches every process a
test starts — the command line, a Streamlit server — and not only the test's own. The
test suite sets it for every test (``tests/conftest.py``); a person never needs to.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from core.errors import UsageError

ENV = "TIMEAUDIT_NOW"


def now() -> datetime:
    """The current instant in UTC (or the frozen one in ``TIMEAUDIT_NOW``)."""
    frozen = os.environ.get(ENV)
    if not frozen:
        return datetime.now(UTC)
    try:
        instant = datetime.fromisoformat(frozen)
    except ValueError:
        raise UsageError(f"{ENV}={frozen!r} is not an ISO-8601 instant "
                         "(write e.g. 2026-11-20T12:00:00Z)") from None
    if instant.tzinfo is None:
        raise UsageError(f"{ENV}={frozen!r} has no zone (end it with Z or +01:00)")
    return instant.astimezone(UTC)
