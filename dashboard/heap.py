"""What the calendars' reads keep in memory stays out of the garbage collector's full passes.

The ICS reader keeps each file split and each series parsed in memory (`connectors.ics`),
and the dashboard's caches keep blocks, audits and weeks: for the 10-year calendar
≈ 370k objects the cyclic garbage collector tracks after the first page, ≈ 30k more per
quarter read. Python's full collection walks all of them whenever the objects moved to
its oldest generation since the last one reach a quarter of it — on that calendar on
every year jump to a year not read yet, 0.25–0.55 s of one core (loaded 2-core machine;
in-process, 8 jumps: a full pass in most of them, before or after the numbers).

So after a read (`keep_read`, called by `dashboard.data.load_block` on a cache miss) every
tracked object moves to the permanent generation (`gc.freeze`), which the collector skips: its
passes then walk what was made since (≈ 30k objects). Objects are still freed when no
longer referenced; only a *cycle* that was frozen and dies later is not collected then.
So `tidy` runs one full pass over everything (`gc.unfreeze`, `gc.collect`) once the
frozen objects have doubled since the last such pass — the collector's own rule, four
times rarer — from the thread that runs after the numbers (`dashboard.data.write_behind`).
In-process on the 10-year calendar, 8 jumps: no full pass among them (0.57–0.64 s a jump
against 0.62–1.0 s); what a full pass found afterwards: ≈ 560 dead objects per read (with
the young generations collected before each freeze; without, more, until `tidy`).
"""

from __future__ import annotations

import gc
import threading

_LOCK = threading.Lock()
# frozen objects after the last full pass, or after the first freeze (0: none yet)
_tidied_at = 0


def keep_read() -> None:
    """After a read: move every tracked object to the permanent generation. Without a
    collection of the young generations first: that cost 0.014–0.025 s before the numbers
    (in-process, 10-year calendar), and what garbage it would have found is left to `tidy`
    with the rest."""
    global _tidied_at  # noqa: PLW0603 - one process-wide count, under _LOCK
    with _LOCK:
        gc.freeze()
        if not _tidied_at:
            _tidied_at = gc.get_freeze_count()


def tidy_due() -> bool:
    return bool(_tidied_at) and gc.get_freeze_count() >= 2 * _tidied_at


def tidy() -> None:
    """One full pass over all objects once the frozen ones have doubled (see the module's
    docstring); what survives is frozen again."""
    global _tidied_at  # noqa: PLW0603 - one process-wide count, under _LOCK
    with _LOCK:
        if not tidy_due():
            return
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _tidied_at = gc.get_freeze_count()
