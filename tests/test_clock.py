"""The one clock (core.clock): frozen through TIMEAUDIT_NOW, bad values are one clear line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import clock
from core.errors import UsageError
from core.period import resolve_period


def test_the_suite_runs_at_a_frozen_instant() -> None:
    assert clock.now() == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_a_frozen_instant_with_an_offset_is_read_as_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENV, "2027-03-28T03:30:00+02:00")
    assert clock.now() == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_without_a_frozen_instant_it_is_the_real_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(clock.ENV)
    before = datetime.now(UTC)
    assert before <= clock.now() <= datetime.now(UTC)


@pytest.mark.parametrize(("value", "words"), [
    ("yesterday", "not an ISO-8601 instant"),
    ("2026-11-20T12:00:00", "has no zone"),
])
def test_a_bad_frozen_instant_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, value: str,
                                               words: str) -> None:
    monkeypatch.setenv(clock.ENV, value)
    with pytest.raises(UsageError, match=words):
        clock.now()


def test_the_default_period_follows_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(clock.ENV, "2028-03-01T00:30:00+01:00")  # the day after a leap day
    period = resolve_period(timezone="Europe/Berlin")
    assert (period.start.isoformat(), period.end.isoformat()) == ("2028-02-21", "2028-02-28")
