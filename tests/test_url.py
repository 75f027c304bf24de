"""ICS links (SPEC §10): a real HTTP server on the loopback interface, no internet.

Every test talks to pytest-httpserver's server bound to 127.0.0.1 on a free port; it
records each request so the tests can check what `fetch_calendar` sent
(conditional headers) as well as what it returned.
"""

from __future__ import annotations

import gc
import re
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.message import Message
from http import HTTPStatus
from pathlib import Path

import platformdirs
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from connectors import url as url_module
from connectors.ics import CalendarWarning, read_ics
from connectors.url import MAX_REDIRECTS, Download, fetch_calendar, normalize_url, source_for
from core import schema as s
from core.errors import ConnectorError

BERLIN = "Europe/Berlin"

SMALL = (
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//timeaudit tests//EN\r\n"
    "X-WR-CALNAME:Team\r\n"
    "BEGIN:VEVENT\r\n"
    "UID:standup@example.com\r\n"
    "DTSTAMP:20260301T000000Z\r\n"
    # 30 March 2026 is the Monday after the switch to summer time in Berlin.
    "DTSTART;TZID=Europe/Berlin:20260323T093000\r\n"
    "DTEND;TZID=Europe/Berlin:20260323T094500\r\n"
    "RRULE:FREQ=WEEKLY;BYDAY=MO\r\n"
    "SUMMARY:{title}\r\n"
    "END:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


def small_calendar(title: str = "Stand-up") -> bytes:
    return SMALL.format(title=title).encode()


# ------------------------------------------------------------------ the local server


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    content_length: bool = True  # False: the body ends when the connection closes
    chunked: bool = False
    pause: float = 0.0  # > 0: the body is sent a byte at a time, this many seconds apart


@dataclass
class Seen:
    path: str
    headers: Message


Route = Reply | Callable[[Message], Reply]


class LocalServer:
    """pytest-httpserver's server on 127.0.0.1 and a free port, answering from ``routes``.

    Its werkzeug server speaks HTTP/1.0 (one thread), so a body without Content-Length
    ends when the connection closes; a ``chunked`` reply is framed here, as on the wire.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.httpd = HTTPServer(host="127.0.0.1")
        self.httpd.expect_request(re.compile(".*")).respond_with_handler(self._answer)
        self.httpd.start()
        self.port = self.httpd.port

    def _answer(self, request: Request) -> Response:
        headers = Message()
        for name, value in request.headers.items():
            headers[name] = value
        path = request.environ["RAW_URI"]  # as sent: not percent-decoded
        self.requests.append(Seen(path, headers))
        route = self.routes.get(path)
        if route is None:
            reply = Reply(404, body=b"not found")
        else:
            reply = route(headers) if callable(route) else route
        body: bytes | Iterator[bytes] = reply.body
        if reply.chunked:
            pieces = [reply.body[i:i + 65536] for i in range(0, len(reply.body), 65536)]
            body = iter([*(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces), b"0\r\n\r\n"])
        elif reply.pause:
            body = (time.sleep(reply.pause) or reply.body[i:i + 1]
                    for i in range(len(reply.body)))
        elif not reply.content_length:
            body = iter([reply.body])  # an iterator: werkzeug sets no Content-Length
        # the reason phrase as http.server writes it ("302 Found"; werkzeug's is upper-case)
        response = Response(body, f"{reply.status} {HTTPStatus(reply.status).phrase}",
                            reply.headers)
        if "Content-Type" not in reply.headers:
            del response.headers["Content-Type"]  # werkzeug's default: not sent here
        if reply.chunked:
            response.headers["Transfer-Encoding"] = "chunked"
        return response

    def url(self, path: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        if self.httpd.is_running():
            self.httpd.stop()


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


def etag_route(body: bytes, etag: str, content_type: str = "text/calendar") -> Route:
    def route(headers: Message) -> Reply:
        if headers.get("If-None-Match") == etag:
            return Reply(304, {"ETag": etag})
        return Reply(200, {"ETag": etag, "Content-Type": content_type}, body)
    return route


def last_modified_route(body: bytes, stamp: str) -> Route:
    def route(headers: Message) -> Reply:
        if headers.get("If-Modified-Since") == stamp:
            return Reply(304, {"Last-Modified": stamp})
        return Reply(200, {"Last-Modified": stamp, "Content-Type": "text/calendar"}, body)
    return route


def url_cache_files() -> list[Path]:
    directory = platformdirs.user_cache_path("timeaudit", appauthor=False) / "urls"
    return sorted(directory.glob("*")) if directory.is_dir() else []


def free_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def connector_error(link: str) -> str:
    """The message of the `ConnectorError` that fetching ``link`` raises.

    Not `pytest.raises(...) as info`: an ExceptionInfo kept in the test's frame is a
    reference cycle, so a response left open inside the error's ``__context__`` would be
    closed only by a later garbage collection, and its ResourceWarning reported against
    some other test. `test_no_socket_is_left_open_after_an_http_error` checks that url.py
    closes those responses.
    """
    try:
        fetch_calendar(link)
    except ConnectorError as error:
        return str(error)
    pytest.fail(f"fetching {link} raised no ConnectorError")


def read_week(download: Download, *, start: date = date(2026, 3, 30),
              end: date = date(2026, 4, 6), tz: str = BERLIN) -> pl.DataFrame:
    return read_ics(download.data, start=start, end=end, tz=tz, source=download.source,
                    charset=download.charset, use_cache=False)


# ------------------------------------------------------------------ download and read


def test_a_corpus_calendar_is_downloaded_and_read(server: LocalServer, corpus: Path) -> None:
    body = (corpus / "exchange__daily-for-one-year.ics").read_bytes()
    server.routes["/work/calendar.ics"] = etag_route(body, '"one-year"')
    got = fetch_calendar(server.url("/work/calendar.ics"))
    assert got == Download(body, None, "url:127.0.0.1/work/calendar.ics", from_cache=False)
    frame = read_ics(got.data, source=got.source, charset=got.charset,
                     start=date(2020, 1, 1), end=date(2025, 1, 1), tz=BERLIN, use_cache=False)
    s.validate_events(frame)
    # EXPECTED.md #25: daily from 2021-11-11 to 2022-11-11 inclusive.
    assert frame.height == 366
    assert frame[s.SOURCE].unique().to_list() == ["url:127.0.0.1/work/calendar.ics"]
    assert frame[s.CALENDAR].unique().to_list() == ["test"]  # X-WR-CALNAME
    assert server.requests[0].headers["Accept"].startswith("text/calendar")
    assert server.requests[0].headers["User-Agent"].startswith("timeaudit/")


def test_a_small_calendar_lands_on_the_right_instant_after_dst(server: LocalServer) -> None:
    server.routes["/cal.ics"] = etag_route(small_calendar(), '"v1"')
    frame = read_week(fetch_calendar(server.url("/cal.ics")))
    assert frame.select(s.TITLE, s.START, s.END, s.CALENDAR).rows() == [
        # 09:30 CEST (UTC+2) on the first Monday of summer time
        ("Stand-up", datetime(2026, 3, 30, 7, 30, tzinfo=UTC),
         datetime(2026, 3, 30, 7, 45, tzinfo=UTC), "Team"),
    ]


# ------------------------------------------------------------------ ETag / Last-Modified


def test_an_unchanged_calendar_is_not_downloaded_again_etag(server: LocalServer) -> None:
    body = small_calendar()
    server.routes["/cal.ics"] = etag_route(body, '"v1"')
    first = fetch_calendar(server.url("/cal.ics"))
    second = fetch_calendar(server.url("/cal.ics"))

    assert first.from_cache is False
    assert "If-None-Match" not in server.requests[0].headers
    assert server.requests[1].headers["If-None-Match"] == '"v1"'
    assert second == Download(body, None, "url:127.0.0.1/cal.ics", from_cache=True)
    assert_frame_equal(read_week(first), read_week(second))


def test_an_unchanged_calendar_is_not_downloaded_again_last_modified(
    server: LocalServer,
) -> None:
    body = small_calendar()
    stamp = "Mon, 02 Mar 2026 08:00:00 GMT"
    server.routes["/cal.ics"] = last_modified_route(body, stamp)
    fetch_calendar(server.url("/cal.ics"))
    second = fetch_calendar(server.url("/cal.ics"))

    assert "If-None-Match" not in server.requests[1].headers  # the server sent no ETag
    assert server.requests[1].headers["If-Modified-Since"] == stamp
    assert second.from_cache is True
    assert second.data == body


def test_a_changed_calendar_with_a_new_etag_is_downloaded_again(server: LocalServer) -> None:
    server.routes["/cal.ics"] = etag_route(small_calendar("Stand-up"), '"v1"')
    fetch_calendar(server.url("/cal.ics"))
    server.routes["/cal.ics"] = etag_route(small_calendar("Daily sync"), '"v2"')

    changed = fetch_calendar(server.url("/cal.ics"))
    assert server.requests[1].headers["If-None-Match"] == '"v1"'
    assert changed.from_cache is False
    assert read_week(changed)[s.TITLE].to_list() == ["Daily sync"]

    # The new copy and its ETag replace the old ones.
    again = fetch_calendar(server.url("/cal.ics"))
    assert server.requests[2].headers["If-None-Match"] == '"v2"'
    assert again.from_cache is True
    assert read_week(again)[s.TITLE].to_list() == ["Daily sync"]


def test_use_cache_false_sends_no_conditional_headers_and_keeps_nothing(
    server: LocalServer,
) -> None:
    server.routes["/cal.ics"] = etag_route(small_calendar(), '"v1"')
    fetch_calendar(server.url("/cal.ics"))  # a copy exists now
    files = url_cache_files()
    assert len(files) == 2  # body and metadata

    got = fetch_calendar(server.url("/cal.ics"), use_cache=False)
    assert got.from_cache is False
    assert "If-None-Match" not in server.requests[1].headers
    assert url_cache_files() == files


def test_the_url_cache_lives_under_xdg_cache_home(server: LocalServer, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    server.routes["/cal.ics"] = etag_route(small_calendar(), '"v1"')
    fetch_calendar(server.url("/cal.ics"))
    assert sorted(p.suffix for p in url_cache_files()) == [".ics", ".json"]
    assert all(tmp_path / "cache" in p.parents for p in url_cache_files())


# ------------------------------------------------------------------ webcal and schemes


@pytest.mark.parametrize(("given", "expected"), [
    ("webcal://example.com/cal.ics", "https://example.com/cal.ics"),
    ("WEBCAL://example.com/cal.ics", "https://example.com/cal.ics"),
    ("webcals://example.com/cal.ics", "https://example.com/cal.ics"),
    ("webcal://127.0.0.1:8080/a/b.ics?x=1", "https://127.0.0.1:8080/a/b.ics?x=1"),
    ("  https://example.com/cal.ics \n", "https://example.com/cal.ics"),
    ("http://example.com/cal.ics", "http://example.com/cal.ics"),
    ("HTTPS://example.com/cal.ics", "https://example.com/cal.ics"),
])
def test_normalize_url(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


@pytest.mark.parametrize("link", [
    "ftp://example.com/cal.ics",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "example.com/cal.ics",
])
def test_other_schemes_are_refused(link: str) -> None:
    with pytest.raises(ConnectorError) as info:
        normalize_url(link)
    assert str(info.value) == (
        f"{link}: only http, https and webcal calendar links are supported"
    )


def test_a_link_without_a_host_is_refused() -> None:
    with pytest.raises(ConnectorError) as info:
        normalize_url("https:///cal.ics")
    assert str(info.value) == "https:///cal.ics: the link has no host name"


@pytest.mark.parametrize("link", ["ftp://127.0.0.1/cal.ics", "file:///etc/passwd"])
def test_fetch_refuses_other_schemes_before_any_request(server: LocalServer,
                                                        link: str) -> None:
    with pytest.raises(ConnectorError) as info:
        fetch_calendar(link)
    assert str(info.value) == (
        f"{link}: only http, https and webcal calendar links are supported"
    )
    assert server.requests == []


def test_a_webcal_link_is_fetched(server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """webcal:// becomes https://; the loopback server speaks plain http, so this test
    lets the (real) mapping run and then downgrades https://127.0.0.1 to http."""
    real = url_module.normalize_url
    given: list[str] = []

    def loopback_http(link: str) -> str:
        given.append(link)
        mapped = real(link)
        if mapped.startswith("https://127.0.0.1:"):
            return "http://" + mapped.removeprefix("https://")
        return mapped

    monkeypatch.setattr(url_module, "normalize_url", loopback_http)
    server.routes["/shared/cal.ics"] = etag_route(small_calendar(), '"v1"')
    got = fetch_calendar(server.url("/shared/cal.ics", scheme="webcal"))
    assert real(given[0]) == server.url("/shared/cal.ics", scheme="https")
    assert got.source == "url:127.0.0.1/shared/cal.ics"
    assert server.requests[0].path == "/shared/cal.ics"
    assert read_week(got)[s.TITLE].to_list() == ["Stand-up"]


# ------------------------------------------------------------------ redirects


def test_redirects_between_http_links_are_followed(server: LocalServer) -> None:
    server.routes["/old.ics"] = Reply(301, {"Location": server.url("/new.ics")})
    server.routes["/new.ics"] = etag_route(small_calendar(), '"v1"')
    got = fetch_calendar(server.url("/old.ics"))
    assert got.source == "url:127.0.0.1/old.ics"  # the link the person gave
    assert [r.path for r in server.requests] == ["/old.ics", "/new.ics"]
    assert read_week(got).height == 1


def test_a_redirect_to_a_file_link_is_refused(server: LocalServer) -> None:
    server.routes["/cal.ics"] = Reply(302, {"Location": "file:///etc/passwd"})
    message = connector_error(server.url("/cal.ics"))
    assert message.startswith("url:127.0.0.1/cal.ics: ")
    assert "root:" not in message
    assert len(server.requests) == 1


def test_a_redirect_to_a_file_link_is_named_as_such(server: LocalServer) -> None:
    server.routes["/cal.ics"] = Reply(302, {"Location": "file:///etc/passwd"})
    assert connector_error(server.url("/cal.ics")) == (
        "url:127.0.0.1/cal.ics: redirected to a file: link, which is not followed"
    )


def test_a_redirect_to_an_ftp_link_is_refused(server: LocalServer) -> None:
    server.routes["/cal.ics"] = Reply(302, {"Location": "ftp://127.0.0.1/cal.ics"})
    assert connector_error(server.url("/cal.ics")) == (
        "url:127.0.0.1/cal.ics: redirected to a ftp: link, which is not followed"
    )


def chain(server: LocalServer, hops: int) -> str:
    """/hop0 → /hop1 → … → /hop<hops> (the calendar); returns the first link."""
    for i in range(hops):
        server.routes[f"/hop{i}"] = Reply(302, {"Location": f"/hop{i + 1}"})
    server.routes[f"/hop{hops}"] = etag_route(small_calendar(), '"v1"')
    return server.url("/hop0")


def test_five_redirects_are_followed(server: LocalServer) -> None:
    got = fetch_calendar(chain(server, MAX_REDIRECTS))
    assert len(server.requests) == MAX_REDIRECTS + 1
    assert read_week(got).height == 1


def test_more_than_five_redirects_fail_cleanly(server: LocalServer) -> None:
    message = connector_error(chain(server, MAX_REDIRECTS + 1))
    assert message == "url:127.0.0.1/hop0: too many redirects (more than 5)"
    assert len(server.requests) == MAX_REDIRECTS + 1  # the last hop is never requested


def test_a_redirect_loop_fails_cleanly(server: LocalServer) -> None:
    server.routes["/a"] = Reply(302, {"Location": "/b"})
    server.routes["/b"] = Reply(302, {"Location": "/a"})
    assert connector_error(server.url("/a")) == (
        "url:127.0.0.1/a: too many redirects (more than 5)"
    )


def test_a_refused_redirect_does_not_show_the_secret_link(server: LocalServer) -> None:
    secret = "private-" + "ab" * 16
    path = f"/calendar/ical/{secret}/basic.ics?key=TOKEN"
    server.routes[path] = Reply(302, {"Location": "ftp://127.0.0.1/cal.ics"})
    message = connector_error(server.url(path))
    assert secret not in message
    assert "TOKEN" not in message


# ------------------------------------------------------------------ size cap

MIB = 1024 * 1024


@pytest.mark.parametrize("framing", ["content-length", "close", "chunked"])
def test_a_calendar_larger_than_the_cap_is_refused(server: LocalServer, framing: str) -> None:
    body = b"X" * (MIB + 1)
    server.routes["/big.ics"] = Reply(200, {"Content-Type": "text/calendar"}, body,
                                      content_length=framing == "content-length",
                                      chunked=framing == "chunked")
    with pytest.raises(ConnectorError) as info:
        fetch_calendar(server.url("/big.ics"), max_bytes=MIB)
    assert str(info.value) == "url:127.0.0.1/big.ics: the calendar is larger than 1 MB"
    assert url_cache_files() == []  # nothing half-downloaded is kept


@pytest.mark.parametrize("framing", ["content-length", "close", "chunked"])
def test_a_calendar_exactly_at_the_cap_is_accepted(server: LocalServer, framing: str) -> None:
    head = small_calendar()
    body = head + b"\r\n" * ((2048 - len(head)) // 2)
    body += b" " * (2048 - len(body))
    server.routes["/cal.ics"] = Reply(200, {}, body,
                                      content_length=framing == "content-length",
                                      chunked=framing == "chunked")
    assert fetch_calendar(server.url("/cal.ics"), max_bytes=2048).data == body


def test_a_small_cap_is_enforced_without_content_length(server: LocalServer) -> None:
    server.routes["/cal.ics"] = Reply(200, {}, small_calendar(), content_length=False)
    with pytest.raises(ConnectorError) as info:
        fetch_calendar(server.url("/cal.ics"), max_bytes=100)
    assert str(info.value) == "url:127.0.0.1/cal.ics: the calendar is larger than 100 bytes"


@pytest.mark.parametrize(("cap", "said"), [(100, "100 bytes"), (64 * 1024, "64 KB"),
                                           (1536 * 1024, "1.5 MB")])
def test_a_small_cap_is_said_in_readable_units(server: LocalServer, cap: int,
                                               said: str) -> None:
    server.routes["/cal.ics"] = Reply(200, {}, small_calendar() + b" " * (2 * MIB))
    with pytest.raises(ConnectorError) as info:
        fetch_calendar(server.url("/cal.ics"), max_bytes=cap)
    assert str(info.value) == f"url:127.0.0.1/cal.ics: the calendar is larger than {said}"


def test_progress_is_reported_for_a_large_download(server: LocalServer) -> None:
    body = small_calendar() + b" " * (3 * MIB)
    server.routes["/cal.ics"] = Reply(200, {}, body)
    messages: list[str] = []
    fetch_calendar(server.url("/cal.ics"), progress=messages.append)
    assert messages
    assert all(re.fullmatch(r"url:127\.0\.0\.1/cal\.ics: downloaded \d+\.\d MB", m)
               for m in messages)


# ------------------------------------------------------------------ charset


def test_a_latin1_calendar_is_decoded_with_the_declared_charset(server: LocalServer,
                                                                corpus: Path) -> None:
    body = (corpus / "google__latin1-encoded-export.ics").read_bytes()
    server.routes["/muell.ics"] = Reply(
        200, {"Content-Type": "text/calendar; charset=ISO-8859-1"}, body)
    got = fetch_calendar(server.url("/muell.ics"))
    assert got.charset == "iso-8859-1"
    # EXPECTED.md #30 counts 2 events on icalevents' window 2017-05-18..19; both are
    # all-day events *on 2017-05-17* (DTEND 20170518), so with SPEC §9's exclusive end
    # the window that holds them is 2017-05-17..18.
    frame = read_ics(got.data, source=got.source, charset=got.charset,
                     start=date(2017, 5, 17), end=date(2017, 5, 18), tz=BERLIN,
                     use_cache=False)
    assert sorted(frame[s.TITLE].to_list()) == ["braune Biotonne", "graue Restmülltonne"]
    assert set(frame[s.LOCATION].to_list()) == {"Luitpoldstraße, Treuchtlingen"}
    assert frame[s.ALL_DAY].all()
    empty = read_ics(got.data, source=got.source, charset=got.charset,
                     start=date(2017, 5, 18), end=date(2017, 5, 19), tz=BERLIN,
                     use_cache=False)
    assert empty.height == 0


def test_the_declared_charset_wins_over_sniffing(server: LocalServer) -> None:
    """"CafÃ©" in ISO-8859-1 is the same bytes as "Café" in UTF-8; the server decides."""
    body = small_calendar("Café")
    server.routes["/utf8.ics"] = Reply(200, {"Content-Type": "text/calendar"}, body)
    server.routes["/latin1.ics"] = Reply(
        200, {"Content-Type": "text/calendar; charset=iso-8859-1"}, body)
    assert read_week(fetch_calendar(server.url("/utf8.ics")))[s.TITLE].to_list() == ["Café"]
    as_latin1 = read_week(fetch_calendar(server.url("/latin1.ics")))
    assert as_latin1[s.TITLE].to_list() == ["CafÃ©"]


def test_the_charset_is_kept_with_the_cached_copy(server: LocalServer, corpus: Path) -> None:
    body = (corpus / "google__latin1-encoded-export.ics").read_bytes()
    server.routes["/muell.ics"] = lambda headers: (
        Reply(304) if headers.get("If-None-Match") == '"m1"' else
        Reply(200, {"ETag": '"m1"', "Content-Type": "text/calendar; charset=ISO-8859-1"},
              body))
    fetch_calendar(server.url("/muell.ics"))
    again = fetch_calendar(server.url("/muell.ics"))
    assert again.from_cache is True
    assert again.charset == "iso-8859-1"


def test_an_unknown_charset_label_falls_back_to_sniffing(server: LocalServer) -> None:
    server.routes["/cal.ics"] = Reply(
        200, {"Content-Type": "text/calendar; charset=x-no-such-charset"},
        small_calendar("Café"))
    got = fetch_calendar(server.url("/cal.ics"))
    assert read_week(got)[s.TITLE].to_list() == ["Café"]


# ------------------------------------------------------------------ offline and errors


def test_an_unreachable_server_falls_back_to_the_last_copy(server: LocalServer) -> None:
    body = small_calendar()
    server.routes["/cal.ics"] = etag_route(body, '"v1"')
    link = server.url("/cal.ics")
    fetch_calendar(link)
    server.stop()

    with pytest.warns(CalendarWarning) as record:
        got = fetch_calendar(link, timeout=5)
    assert got == Download(body, None, "url:127.0.0.1/cal.ics", from_cache=True)
    [warning] = record
    assert re.fullmatch(
        r"url:127\.0\.0\.1/cal\.ics: cannot reach the server \(.+\); using the copy "
        r"downloaded \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00",
        str(warning.message),
    )
    assert warning.filename == __file__  # points at the caller, not at connectors/url.py
    assert read_week(got)[s.TITLE].to_list() == ["Stand-up"]


def test_an_unreachable_server_without_a_copy_is_an_error() -> None:
    link = f"http://127.0.0.1:{free_port()}/cal.ics"
    with pytest.raises(ConnectorError) as info:
        fetch_calendar(link, timeout=5)
    assert re.fullmatch(r"url:127\.0\.0\.1/cal\.ics: cannot reach the server \(.+\)",
                        str(info.value))


def test_a_server_error_without_a_copy_is_an_error(server: LocalServer) -> None:
    server.routes["/cal.ics"] = Reply(500, {}, b"oops")
    assert connector_error(server.url("/cal.ics")) == (
        "url:127.0.0.1/cal.ics: the server answered 500 Internal Server Error"
    )


def test_a_server_error_falls_back_to_the_last_copy(server: LocalServer) -> None:
    server.routes["/cal.ics"] = etag_route(small_calendar(), '"v1"')
    fetch_calendar(server.url("/cal.ics"))
    server.routes["/cal.ics"] = Reply(503, {}, b"maintenance")
    with pytest.warns(CalendarWarning, match=r"^url:127\.0\.0\.1/cal\.ics: the server answered "
                                             r"503 Service Unavailable; using the copy"):
        got = fetch_calendar(server.url("/cal.ics"))
    assert got.from_cache is True


def test_a_server_that_stops_answering_times_out(server: LocalServer) -> None:
    release = threading.Event()

    def stall(_headers: Message) -> Reply:
        release.wait(10)
        return Reply(200, {}, small_calendar())

    server.routes["/slow.ics"] = stall
    try:
        with pytest.raises(ConnectorError) as info:
            fetch_calendar(server.url("/slow.ics"), timeout=0.3)
    finally:
        release.set()
    assert str(info.value) == "url:127.0.0.1/slow.ics: cannot reach the server (timed out)"


@pytest.mark.parametrize("case", ["500", "redirect-to-file", "redirect-to-ftp",
                                  "too-many-redirects"])
def test_no_socket_is_left_open_after_an_http_error(server: LocalServer, case: str) -> None:
    """The response behind an HTTPError holds a socket; the ConnectorError keeps the
    HTTPError alive through ``__context__``, so unless url.py closes it, the socket is
    closed later by the garbage collector with a ResourceWarning."""
    server.routes["/500"] = Reply(500, {}, b"oops")
    server.routes["/redirect-to-file"] = Reply(302, {"Location": "file:///etc/passwd"})
    server.routes["/redirect-to-ftp"] = Reply(302, {"Location": "ftp://127.0.0.1/x"})
    link = chain(server, MAX_REDIRECTS + 1) if case == "too-many-redirects" else \
        server.url(f"/{case}")

    def fetch_and_keep_the_error() -> None:
        failure = None
        try:
            fetch_calendar(link)
        except ConnectorError as error:
            failure = error  # kept to show later: a cycle through the traceback's frame
        assert failure is not None

    gc.collect()
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always", ResourceWarning)
        fetch_and_keep_the_error()
        gc.collect()
    assert [str(w.message) for w in record if w.category is ResourceWarning] == []


def test_a_damaged_cache_entry_is_ignored(server: LocalServer) -> None:
    server.routes["/cal.ics"] = etag_route(small_calendar(), '"v1"')
    fetch_calendar(server.url("/cal.ics"))
    for path in url_cache_files():
        if path.suffix == ".json":
            path.write_text("{not json", encoding="utf-8")
    got = fetch_calendar(server.url("/cal.ics"))
    assert "If-None-Match" not in server.requests[1].headers
    assert got.from_cache is False
    assert got.data == small_calendar()


# ------------------------------------------------------------------ source names


@pytest.mark.parametrize(("link", "expected"), [
    (
        "https://calendar.google.com/calendar/ical/team%40example.com/"
        "private-0123456789abcdef0123456789abcdef/basic.ics",
        "url:calendar.google.com/calendar/ical/team%40example.com/private-…/basic.ics",
    ),
    (
        "webcal://p42-caldav.icloud.com/published/2/"
        "MTYzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MA",
        "url:p42-caldav.icloud.com/published/2/…",
    ),
    ("https://example.com/feed.ics?token=s3cr3t&user=me#frag", "url:example.com/feed.ics"),
    ("https://user:password@Example.COM:8443/Team.ics", "url:example.com/Team.ics"),
    ("http://127.0.0.1:8080/cal.ics", "url:127.0.0.1/cal.ics"),
    ("https://example.com/calendars/team-offsite-2026.ics",
     "url:example.com/calendars/team-offsite-2026.ics"),
])
def test_source_for(link: str, expected: str) -> None:
    assert source_for(link) == expected


def test_source_for_never_shows_the_secret_or_the_query() -> None:
    secret = "private-" + "9f" * 16
    source = source_for(f"https://calendar.google.com/calendar/ical/x/{secret}/basic.ics"
                        "?authuser=1&key=AIzaSy")
    assert secret not in source
    assert "9f9f" not in source
    assert "?" not in source
    assert "AIzaSy" not in source


def test_fetch_names_the_source_without_the_secret(server: LocalServer) -> None:
    secret = "private-" + "ab" * 16
    server.routes[f"/calendar/ical/{secret}/basic.ics?x=1"] = etag_route(small_calendar(), '"1"')
    got = fetch_calendar(server.url(f"/calendar/ical/{secret}/basic.ics?x=1"))
    assert got.source == "url:127.0.0.1/calendar/ical/private-…/basic.ics"
    assert set(read_week(got)[s.SOURCE].to_list()) == {got.source}
