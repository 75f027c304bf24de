"""One contract for every connector: the same calendar content gives the same frame.

`tests/data/contract/contract.ics` (an Outlook export: Windows zone names) holds a weekly
series with a moved and a cancelled instance, an all-day event, a declined, a tentative and
a free event, attendees on two domains and an event in a Windows zone far from Europe.
Each connector reads that content from where it lives (a file, a link, a recorded API
reply, a real server) and must give the same occurrences in the columns that carry
content; `source`, `calendar` and the ids differ by connector and are not compared.
Each entry of `READERS` reads the content through one connector.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from audit import schema as s
from connectors.ics import read_ics
from connectors.url import fetch_calendar

CONTRACT = Path(__file__).resolve().parent / "data" / "contract"
START, END = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
ZONE = "Europe/Berlin"
OWNER = ("me@acme.test",)
# the columns that carry the calendar's content (SPEC §3)
CONTENT = [s.TITLE, s.START, s.END, s.ALL_DAY, s.STATUS, s.RESPONSE, s.BUSY, s.KIND,
           s.ATTENDEES, s.ORGANIZER, s.ATTENDEE_DOMAINS]

Reader = Callable[[], pl.DataFrame]


def content(frame: pl.DataFrame) -> pl.DataFrame:
    """What every connector must agree on: the occurrences that take place, by content.

    A cancelled instance is absent from an ICS file (EXDATE) and present with status
    `cancelled` in an API; both mean the same, so cancelled rows are left out."""
    s.validate_events(frame)
    return (frame.filter(pl.col(s.STATUS) != "cancelled")
            .select(CONTENT)
            .with_columns(pl.col(s.ATTENDEE_DOMAINS).list.sort())
            .sort(s.START, s.TITLE))


def read_file() -> pl.DataFrame:
    return read_ics(CONTRACT / "contract.ics", start=START, end=END, tz=ZONE,
                    owner_emails=OWNER, use_cache=False)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@functools.cache
def _served() -> str:
    """The contract folder over HTTP on 127.0.0.1 (for the test session)."""
    handler = functools.partial(_QuietHandler, directory=CONTRACT)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def read_link() -> pl.DataFrame:
    got = fetch_calendar(f"{_served()}/contract.ics", use_cache=False)
    return read_ics(got.data, start=START, end=END, tz=ZONE, owner_emails=OWNER,
                    source=got.source, charset=got.charset, use_cache=False)


def read_graph() -> pl.DataFrame:
    """The recorded Graph reply (tests/data/graph/contract.json: calendarView/delta, the
    series as occurrences) synced into the test's own store and read back."""
    from graph_replay import Replay, client, ok  # noqa: PLC0415

    from connectors.graph import read_microsoft, sync  # noqa: PLC0415

    sync(client=client(Replay(ok("calendars"), ok("contract")), account=OWNER[0]), full=True)
    return read_microsoft(start=START, end=END, tz=ZONE, owner_emails=OWNER)


READERS: dict[str, Reader] = {"ics file": read_file, "ics link": read_link,
                              "graph replay": read_graph}


@pytest.fixture(scope="module")
def expected() -> pl.DataFrame:
    return content(read_file())


def test_the_contract_content_is_what_the_file_says(expected: pl.DataFrame) -> None:
    rows = {(r[s.TITLE], r[s.START].isoformat()): r for r in expected.iter_rows(named=True)}
    # the weekly series: 2 Nov, 9 Nov, the 16th moved to 14:00 CET, the 23rd cancelled
    assert [k for k in rows if k[0].startswith("Team sync")] == [
        ("Team sync", "2026-11-02T09:00:00+00:00"), ("Team sync", "2026-11-09T09:00:00+00:00"),
        ("Team sync (moved)", "2026-11-16T13:00:00+00:00")]
    sync = rows[("Team sync", "2026-11-02T09:00:00+00:00")]
    assert (sync[s.RESPONSE], sync[s.ATTENDEES], sorted(sync[s.ATTENDEE_DOMAINS])) == (
        "organizer", 2, ["acme.test", "bigcorp.test"])
    # 09:00 Pacific Standard Time = 17:00 UTC
    assert ("Call with Seattle", "2026-11-12T17:00:00+00:00") in rows
    # the all-day offsite: Berlin midnight to midnight
    offsite = rows[("Offsite", "2026-11-11T23:00:00+00:00")]
    assert (offsite[s.ALL_DAY], offsite[s.BUSY]) == (True, False)
    assert rows[("Vendor pitch", "2026-11-10T14:00:00+00:00")][s.RESPONSE] == "declined"
    assert rows[("Architecture review", "2026-11-11T08:00:00+00:00")][s.RESPONSE] == \
        "tentative"
    assert rows[("Reminder: expenses", "2026-11-13T15:00:00+00:00")][s.BUSY] is False
    assert expected.height == 8


@pytest.mark.parametrize("connector", READERS)
def test_every_connector_gives_the_same_frame(connector: str, expected: pl.DataFrame) -> None:
    assert_frame_equal(content(READERS[connector]()), expected)
