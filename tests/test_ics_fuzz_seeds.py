"""The seed corpus: every damaged calendar the fuzzer (tests/test_ics_fuzz.py) or a hostile
probe ever found, kept in tests/data/ics/fuzz-seeds/ and run in CI without the shared
corpus. Each must read into a valid frame or raise a one-line, printable
`InvalidCalendar` — in three audit zones and in a window around its own dates and at
the ends of the calendar.

To add a finding: write the failing bytes (Hypothesis prints them, or take them from
`.hypothesis/`) to a file named after what it shows, fix the class of bug, run this test.
"""

from __future__ import annotations

import re
import warnings
from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest

from connectors.ics import CalendarWarning, read_ics
from core import schema as s
from core.errors import InvalidCalendar

SEEDS = Path(__file__).resolve().parent / "data" / "ics" / "fuzz-seeds"
ZONES = ["Europe/Berlin", "America/New_York", "Pacific/Auckland"]


def window(data: bytes) -> tuple[date, date]:
    """A year around the file's middle DTSTART (as tests/test_ics_fuzz.py picks it)."""
    text = data.decode("latin-1")
    days = sorted(
        date(int(m[:4]), int(m[4:6]), int(m[6:8]))
        for m in re.findall(r"^DTSTART[^:\r\n]*:(\d{8})", text, re.M)
        if int(m[:4]) >= 1 and 1 <= int(m[4:6]) <= 12 and 1 <= int(m[6:8]) <= 28
    )
    middle = days[len(days) // 2] if days else date(2020, 1, 1)
    low = max(middle - timedelta(days=60), date(1, 1, 1))
    return low, min(low + timedelta(days=365), date(9999, 12, 31))


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.ics")), ids=lambda p: p.stem)
@pytest.mark.parametrize("tz", ZONES)
def test_a_seed_reads_or_raises_one_printable_line(path: Path, tz: str) -> None:
    data = path.read_bytes()
    for start, end in [window(data), (date(1, 1, 1), date(1, 1, 8)),
                       (date(9999, 12, 24), date(9999, 12, 31))]:
        try:
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always")
                frame = read_ics(data, start=start, end=end, tz=tz, source="ics:seed.ics",
                                 use_cache=False)
        except InvalidCalendar as error:
            message = str(error)
            assert message.startswith("ics:seed.ics")
            assert message.isprintable(), repr(message)
            continue
        finally:
            icalendar.use_zoneinfo()  # a damaged custom zone must not leak to the next
        s.validate_events(frame)
        for warning in record:
            if warning.category is CalendarWarning:
                assert str(warning.message).isprintable(), repr(warning.message)


def test_the_seed_corpus_is_there() -> None:
    assert len(list(SEEDS.glob("*.ics"))) >= 8
