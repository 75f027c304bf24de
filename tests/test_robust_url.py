"""Links that misbehave: a 304 with no copy, trickling servers, short bodies, gzip/deflate.

Every server is started by the test on 127.0.0.1 and stopped by it.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Iterator

import pytest
from test_url import LocalServer, Reply, small_calendar

from connectors.url import DEADLINE_SECONDS, fetch_calendar
from core.errors import ConnectorError


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy from the environment must not see (or swallow) loopback requests."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                 "ALL_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    local = LocalServer()
    yield local
    local.stop()


class RawServer:
    """A TCP server on 127.0.0.1 that answers every connection with ``script``:
    (bytes, seconds to wait after them) pairs.

    Only for a status line and headers sent a byte at a time: an HTTP server library
    (pytest-httpserver, werkzeug) always writes its headers at once.
    """

    def __init__(self, script: list[tuple[bytes, float]]) -> None:
        self.script = script
        self.stopped = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(5)
                try:
                    conn.recv(65536)  # the request
                    for data, pause in self.script:
                        conn.sendall(data)
                        if self.stopped.wait(pause):
                            return
                except OSError:
                    continue  # the client hung up

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cal.ics"

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def raw() -> Iterator[list[RawServer]]:
    started: list[RawServer] = []
    yield started
    for one in started:
        one.stop()


def test_a_304_without_a_cached_copy_is_not_too_many_redirects(server: LocalServer) -> None:
    server.routes["/cal.ics"] = Reply(304, {"ETag": '"v1"'})
    for use_cache in (True, False):
        with pytest.raises(ConnectorError) as caught:
            fetch_calendar(server.url("/cal.ics"), use_cache=use_cache)
        message = str(caught.value)
        assert "304 Not Modified" in message
        assert "no earlier copy" in message
        assert "redirect" not in message


def test_a_redirect_without_a_location_says_so(server: LocalServer) -> None:
    server.routes["/cal.ics"] = Reply(302, {})
    with pytest.raises(ConnectorError, match="302 Found without a new link"):
        fetch_calendar(server.url("/cal.ics"))


def _trickle(text: bytes, pause: float) -> list[tuple[bytes, float]]:
    return [(text[i:i + 1], pause) for i in range(len(text))]


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_server_sending_a_byte_at_a_time_ends_at_the_deadline(
        server: LocalServer, raw: list[RawServer], where: str) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: 100000\r\n\r\n"
    if where == "headers":
        slow = RawServer(_trickle(head * 50, 0.05))
        raw.append(slow)
        link = slow.url()
    else:
        server.routes["/cal.ics"] = Reply(200, {"Content-Type": "text/calendar",
                                                "Content-Length": "100000"},
                                          small_calendar() * 100, pause=0.05)
        link = server.url("/cal.ics")
    started = time.monotonic()
    with pytest.raises(ConnectorError) as caught:
        fetch_calendar(link, timeout=1.0, deadline=1.5, use_cache=False)
    elapsed = time.monotonic() - started
    assert str(caught.value) == "url:127.0.0.1/cal.ics: the download took longer than 2 s"
    assert 1.4 < elapsed < 4


def test_the_default_deadline_is_the_documented_one() -> None:
    assert DEADLINE_SECONDS == 120
    from pathlib import Path  # noqa: PLC0415

    docs = (Path(__file__).resolve().parent.parent / "docs" / "ingest.md").read_text()
    assert "120 s for the whole download" in docs


def test_a_body_shorter_than_its_content_length_is_incomplete(server: LocalServer) -> None:
    body = small_calendar()
    server.routes["/cal.ics"] = Reply(200, {"Content-Type": "text/calendar",
                                            "Content-Length": str(len(body) + 500)},
                                      body, content_length=False)
    with pytest.raises(ConnectorError) as caught:
        fetch_calendar(server.url("/cal.ics"), use_cache=False)
    assert "the download is incomplete" in str(caught.value)
    assert f"of the {len(body) + 500} bytes the server announced" in str(caught.value)


def test_a_short_body_falls_back_to_the_last_complete_copy(server: LocalServer) -> None:
    body = small_calendar()
    server.routes["/cal.ics"] = Reply(200, {"Content-Type": "text/calendar"}, body)
    link = server.url("/cal.ics")
    fetch_calendar(link)
    server.routes["/short.ics"] = Reply(200, {"Content-Length": "99999"}, body[:20],
                                        content_length=False)
    server.routes["/cal.ics"] = Reply(302, {"Location": server.url("/short.ics")})
    with pytest.warns(UserWarning, match="incomplete"):
        got = fetch_calendar(link)
    assert got.from_cache
    assert got.data == body


@pytest.mark.parametrize("encoding", ["gzip", "x-gzip", "deflate", "raw-deflate"])
def test_compressed_bodies_are_decoded(server: LocalServer, encoding: str) -> None:
    body = small_calendar()
    if encoding in ("gzip", "x-gzip"):
        packed = gzip.compress(body)
    elif encoding == "deflate":
        packed = zlib.compress(body)
    else:
        squeezer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
        packed = squeezer.compress(body) + squeezer.flush()
    header = "deflate" if encoding == "raw-deflate" else encoding
    server.routes["/cal.ics"] = Reply(200, {"Content-Encoding": header,
                                            "Content-Type": "text/calendar"}, packed)
    got = fetch_calendar(server.url("/cal.ics"))
    assert got.data == body
    assert server.requests[-1].headers["Accept-Encoding"] == "gzip, deflate"
    again = fetch_calendar(server.url("/cal.ics"), use_cache=True)
    assert again.data == body


def test_a_gzip_bomb_stops_at_the_size_cap(server: LocalServer) -> None:
    server.routes["/cal.ics"] = Reply(200, {"Content-Encoding": "gzip"},
                                      gzip.compress(b"\0" * 5_000_000))
    with pytest.raises(ConnectorError, match="larger than 1 MB"):
        fetch_calendar(server.url("/cal.ics"), max_bytes=1024 * 1024)


@pytest.mark.parametrize(("encoding", "packed", "words"), [
    ("br", b"\x0b\x02\x80hello\x03", "encoded as 'br'"),
    ("gzip", b"not gzip at all", "gzip encoding is damaged"),
    ("gzip", gzip.compress(b"BEGIN:VCALENDAR" * 100)[:-30], "stream ends early"),
])
def test_bad_encodings_are_one_line(server: LocalServer, encoding: str, packed: bytes,
                                    words: str) -> None:
    server.routes["/cal.ics"] = Reply(200, {"Content-Encoding": encoding}, packed)
    with pytest.raises(ConnectorError, match=words):
        fetch_calendar(server.url("/cal.ics"))
