"""`dashboard.heap`: what a read keeps is frozen, and a frozen cycle that dies is still
collected by the full pass once the frozen objects have doubled."""

from __future__ import annotations

import gc
import weakref

import pytest

from dashboard import heap


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(heap, "_tidied_at", 0)
    yield
    gc.unfreeze()  # leave the process as the other tests expect it
    gc.collect()


def test_a_read_freezes_what_is_alive(fresh: None) -> None:
    kept = [_Node() for _ in range(100)]
    assert not heap.tidy_due()  # nothing frozen yet: nothing due
    heap.keep_read()
    assert gc.get_freeze_count() >= len(kept)
    assert heap.tidy_due() is False  # the first freeze is the yardstick


def test_a_frozen_cycle_that_dies_is_collected_once_the_heap_doubled(
        fresh: None, monkeypatch: pytest.MonkeyPatch) -> None:
    node = _Node()
    dead = weakref.ref(node)
    heap.keep_read()
    del node
    gc.collect()  # an ordinary full pass skips the permanent generation
    assert dead() is not None
    heap.tidy()  # not due: the frozen objects have not doubled
    assert dead() is not None
    monkeypatch.setattr(heap, "_tidied_at", gc.get_freeze_count() // 2)
    assert heap.tidy_due()
    heap.tidy()
    assert dead() is None
    assert heap._tidied_at > 0
    assert not heap.tidy_due()
