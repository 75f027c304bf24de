"""One contract for every connector: the same calendar content gives the same frame.

`tests/data/contract/contract.ics` (an Outlook export: Windows zone names) holds a weekly
series with a moved and a cancelled instance, an all-day event, a declined, a tentative and
a free event, attendees on two domains and an event in a Windows zone far from Europe.
Each connector reads that content from where it lives (a file, a link, a recorded API
reply, a real server) and must give the same occurrences in the columns that carry
content; `source`, `calendar` and the ids differ by connector and are not compared.
Each entry of `READERS` reads the content through one connector; `PLATFORM` names the
few values a platform legitimately reports differently (Google: the owner organizes even
an event without guests), and only those.
"""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from radicale_server import PASSWORD, USER, RadicaleServer, running, split_by_uid

from connectors.ics import read_ics
from connectors.url import fetch_calendar
from core import schema as s

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


def read_google_replay() -> pl.DataFrame:
    """The recorded Google reply (tests/data/google/contract.json: events.list with
    singleEvents=true, the series as instances, the cancelled one as Google sends it)
    synced into the test's own store and read back. Google marks the owner itself
    (``self: true`` on me@acme.test), so `read_google` takes no owner addresses."""
    from google_replay import ok, replay  # noqa: PLC0415

    from cli.reading import read_google  # noqa: PLC0415
    from connectors.google import sync  # noqa: PLC0415
    from core.period import Period  # noqa: PLC0415

    service, _ = replay(ok("contract_calendar_list"), ok("contract"))
    sync(service=service, now=datetime(2026, 11, 20, 12, tzinfo=UTC))
    return read_google(period=Period(START.date(), END.date(), ZONE))


_RADICALE: list[RadicaleServer] = []


@pytest.fixture(scope="module", autouse=True)
def _radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A CalDAV server holding the contract content, for `read_caldav`; stopped after."""
    with running(tmp_path_factory.mktemp("radicale")) as server:
        calendar = server.make_calendar("contract", "Contract")
        for text in split_by_uid((CONTRACT / "contract.ics").read_text()):
            calendar.add_event(text)
        _RADICALE.append(server)
        yield
        _RADICALE.clear()


def read_caldav() -> pl.DataFrame:
    from connectors import caldav  # noqa: PLC0415

    (server,) = _RADICALE
    caldav.login(server.url, USER, PASSWORD)
    caldav.sync(["contract"])
    return caldav.read_caldav(["contract"], start=START, end=END, tz=ZONE,
                              owner_emails=OWNER, use_cache=False)


READERS: dict[str, Reader] = {"ics file": read_file, "ics link": read_link,
                              "graph replay": read_graph, "google replay": read_google_replay,
                              "caldav (radicale)": read_caldav}


def google_names_the_owner_as_organizer(expected: pl.DataFrame) -> pl.DataFrame:
    """What Google gives for the same content: a platform difference, not a connector bug.

    Google names an organizer on every event, the calendar's owner for an event without
    guests (``organizer: {email, self: true}``), and the connector maps ``organizer.self``
    to response ``organizer`` (docs/google.md). The ICS file (Outlook's export) has no
    ORGANIZER on those appointments, nor does Graph report one (docs/microsoft.md), so
    they are response ``none`` without an organizer. Only those rows change; every other
    column and row is compared as for the other connectors."""
    appointment = pl.col(s.ORGANIZER).is_null()
    assert expected.filter(appointment)[s.TITLE].to_list() == ["Offsite", "Reminder: expenses"]
    return expected.with_columns(
        pl.when(appointment).then(pl.lit("organizer")).otherwise(pl.col(s.RESPONSE))
        .alias(s.RESPONSE),
        pl.when(appointment).then(pl.lit(OWNER[0])).otherwise(pl.col(s.ORGANIZER))
        .alias(s.ORGANIZER),
    )


# What a connector legitimately gives differently from the ICS file, by connector.
PLATFORM: dict[str, Callable[[pl.DataFrame], pl.DataFrame]] = {
    "google replay": google_names_the_owner_as_organizer}


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
    wanted = PLATFORM.get(connector, lambda frame: frame)(expected)
    assert_frame_equal(content(READERS[connector]()), wanted)
