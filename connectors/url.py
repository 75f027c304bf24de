"""Calendars published at a URL: http, https and webcal links.

Google's "secret address in iCal format", Outlook's "publish calendar" and iCloud's
public links are plain HTTP(S) GETs. This module fetches them with a time-out, a size
cap and redirects limited to http(s), and reuses the last copy through ETag /
Last-Modified (a 304 costs no download). When the server cannot be reached and a
previous copy exists, that copy is used with a warning, so a person offline still sees
their week.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import re
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import platformdirs

from core import __version__, clock
from core.errors import CalendarWarning, ConnectorError
from core.private_file import write_private

TIMEOUT_SECONDS = 30  # for each read (and to connect)
DEADLINE_SECONDS = 120  # for the whole download: headers, redirects and body
MAX_BYTES = 50 * 1024 * 1024  # of the calendar, after gzip/deflate are decoded
MAX_REDIRECTS = 5
# Content-Encoding values decoded, with the zlib window bits that read them.
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS,
             "deflate": zlib.MAX_WBITS}
_CHUNK = 256 * 1024
# Path segments that are secrets (Google's "private-<hex>", long random tokens) are
# masked in the `source` column, which appears in exports.
_SECRET = re.compile(r"^(private-)?[A-Za-z0-9_\-]{24,}$")


@dataclass(frozen=True)
class Download:
    data: bytes
    charset: str | None
    source: str
    from_cache: bool


def normalize_url(url: str) -> str:
    """webcal:// → https://; anything but http(s) is refused."""
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in ("webcal", "webcals"):
        parts = parts._replace(scheme="https")
    elif scheme not in ("http", "https"):
        raise ConnectorError(
            f"{url}: only http, https and webcal calendar links are supported"
        )
    if not parts.netloc:
        raise ConnectorError(f"{url}: the link has no host name")
    return urllib.parse.urlunsplit(parts)


def source_for(url: str) -> str:
    """``url:<host>/<path>`` (SPEC §3), without the query and with secret tokens masked."""
    parts = urllib.parse.urlsplit(normalize_url(url))
    segments = [
        ("private-…" if seg.startswith("private-") else "…") if _SECRET.match(seg) else seg
        for seg in parts.path.split("/")
    ]
    return f"url:{parts.hostname}{'/'.join(segments)}"


class _LimitedRedirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        scheme = urllib.parse.urlsplit(newurl).scheme.lower()
        if scheme not in ("http", "https"):
            fp.close()
            # name the link as the source column does: a secret path must not be printed
            raise ConnectorError(f"{source_for(req.full_url)}: redirected to a "
                                 f"{scheme or 'relative'}: link, which is not followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Deadline:
    """One deadline for a whole download: when it passes, every socket the download
    opened is shut down, so a server that trickles bytes (headers or body) cannot keep a
    read going; the per-read time-out alone would let it run for ever."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._timer.cancel()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed
        sock.shutdown(socket.SHUT_RDWR)


def _opener(deadline: _Deadline) -> urllib.request.OpenerDirector:
    """urllib's opener whose connections report their sockets to ``deadline``."""
    class Connection(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    class SecureConnection(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            deadline.watch(self.sock)

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req):
            return self.do_open(Connection, req)

    class SecureHandler(urllib.request.HTTPSHandler):
        def https_open(self, req):
            return self.do_open(SecureConnection, req, context=self._context)

    return urllib.request.build_opener(Handler(), SecureHandler(), _LimitedRedirects())


def _cache_paths(url: str) -> tuple[Path, Path]:
    directory = platformdirs.user_cache_path("timeaudit", appauthor=False) / "urls"
    name = hashlib.sha256(url.encode()).hexdigest()[:32]
    return directory / f"{name}.ics", directory / f"{name}.json"


def _read_cached(url: str) -> tuple[bytes, dict] | None:
    body_path, meta_path = _cache_paths(url)
    try:
        return body_path.read_bytes(), json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write_cached(url: str, data: bytes, meta: dict) -> None:
    body_path, meta_path = _cache_paths(url)
    try:
        body_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(body_path, data)
        write_private(meta_path, json.dumps(meta).encode())
    except OSError:
        return  # a cache that cannot be written is not an error


def fetch_calendar(
    url: str,
    *,
    timeout: float = TIMEOUT_SECONDS,
    deadline: float = DEADLINE_SECONDS,
    max_bytes: int = MAX_BYTES,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Download:
    """Download a calendar, reusing the previous copy when the server says it is unchanged.

    ``timeout`` bounds each read, ``deadline`` the whole download; the body must be as
    long as its Content-Length, and gzip / deflate content encodings are decoded.
    """
    target = normalize_url(url)
    source = source_for(target)
    cached = _read_cached(target) if use_cache else None
    request = urllib.request.Request(target, headers={  # noqa: S310 - scheme checked above
        "User-Agent": f"timeaudit/{__version__} (+calendar audit; read-only)",
        "Accept": "text/calendar, */*;q=0.5",
        "Accept-Encoding": "gzip, deflate",
    })
    if cached:
        meta = cached[1]
        if meta.get("etag"):
            request.add_header("If-None-Match", meta["etag"])
        if meta.get("last_modified"):
            request.add_header("If-Modified-Since", meta["last_modified"])
    try:
        data, headers = _download(request, timeout=timeout, deadline=deadline,
                                  max_bytes=max_bytes, source=source, progress=progress)
    except urllib.error.HTTPError as error:
        error.close()  # the response behind the error holds a socket
        return _http_error(error, cached, source)
    except _Failed as failure:
        return _stale_or_raise(cached, source, str(failure))
    data = _decoded(data, headers.get("Content-Encoding"), max_bytes, source)
    charset = headers.get_content_charset()
    if use_cache:
        _write_cached(target, data, {
            "etag": headers.get("ETag"),
            "last_modified": headers.get("Last-Modified"),
            "charset": charset,
            "fetched_at": clock.now().isoformat(timespec="seconds"),
        })
    return Download(data, charset, source, from_cache=False)


class _Failed(Exception):
    """A download that did not complete; the text says why."""


def _download(request: urllib.request.Request, *, timeout: float, deadline: float,
              max_bytes: int, source: str, progress: Callable[[str], None] | None
              ) -> tuple[bytes, Message]:
    """The raw body and headers; an HTTP error status passes as `HTTPError`, every other
    failure becomes `_Failed`."""
    too_slow = f"the download took longer than {deadline:.0f} s"
    with _Deadline(deadline) as watch:
        try:
            with _opener(watch).open(request, timeout=timeout) as response:
                data = _read_limited(response, max_bytes, source, progress)
                headers = response.headers
        except urllib.error.HTTPError:
            raise
        except TimeoutError as error:
            raise _Failed(too_slow if watch.expired
                          else f"cannot reach the server ({error or 'timed out'})") from None
        except http.client.HTTPException as error:
            raise _Failed(too_slow if watch.expired else "the server broke off the answer "
                          f"({type(error).__name__})") from None
        except (urllib.error.URLError, OSError) as error:
            raise _Failed(too_slow if watch.expired else
                          f"cannot reach the server ({getattr(error, 'reason', error)})"
                          ) from None
        if watch.expired:  # a socket shut at the deadline looks like the end of the body
            raise _Failed(too_slow)
    _check_length(data, headers)
    return data, headers


def _http_error(error: urllib.error.HTTPError, cached: tuple[bytes, dict] | None,
                source: str) -> Download:
    """What an HTTP error status means: the cached copy (304), or a failure."""
    if error.code == 304:
        if cached:
            return Download(cached[0], cached[1].get("charset"), source, from_cache=True)
        raise ConnectorError(f"{source}: the server answered 304 Not Modified, but there is "
                             "no earlier copy here to reuse: try again later")
    if 300 <= error.code < 400:
        # urllib itself refuses a redirect to a scheme it does not follow (file:) and
        # gives up after max_redirections; both arrive as a 30x HTTPError.
        location = (error.headers or {}).get("Location") or ""
        scheme = urllib.parse.urlsplit(location).scheme.lower()
        if "not allowed" in str(error.reason) and scheme:
            why = f"redirected to a {scheme}: link, which is not followed"
        elif location:
            why = f"too many redirects (more than {MAX_REDIRECTS})"
        else:
            why = f"the server answered {error.code} {error.reason} without a new link"
        return _stale_or_raise(cached, source, why)
    return _stale_or_raise(cached, source, f"the server answered {error.code} {error.reason}")


def _check_length(data: bytes, headers: Message) -> None:
    """A body shorter than its Content-Length is incomplete (http.client lets it pass)."""
    declared = (headers.get("Content-Length") or "").strip()
    chunked = "chunked" in (headers.get("Transfer-Encoding") or "").lower()
    if declared.isdigit() and len(data) < int(declared) and not chunked:
        raise _Failed(f"the download is incomplete ({_size(len(data))} of the "
                      f"{_size(int(declared))} the server announced)")


def _decoded(data: bytes, encoding: str | None, max_bytes: int, source: str) -> bytes:
    """The body with its Content-Encoding undone (gzip, deflate), at most ``max_bytes``."""
    codings = [c.strip().lower() for c in (encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding not in _DECODERS:
            raise ConnectorError(f"{source}: the server sent the calendar encoded as "
                                 f"{coding!r}, which timeaudit cannot decode")
        try:
            try:
                decoder = zlib.decompressobj(_DECODERS[coding])
                data = decoder.decompress(data, max_bytes + 1)
            except zlib.error:
                if coding != "deflate":
                    raise
                decoder = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some send
                data = decoder.decompress(data, max_bytes + 1)
        except zlib.error:
            raise ConnectorError(f"{source}: the calendar's {coding} encoding is damaged"
                                 ) from None
        if len(data) > max_bytes or decoder.unconsumed_tail:
            raise ConnectorError(f"{source}: the calendar is larger than {_size(max_bytes)}")
        if not decoder.eof:
            raise ConnectorError(f"{source}: the download is incomplete (the {coding} "
                                 "stream ends early)")
    return data


def _stale_or_raise(cached: tuple[bytes, dict] | None, source: str, reason: str) -> Download:
    """The last good copy with a warning, or a `ConnectorError` when there is none."""
    if cached is None:
        raise ConnectorError(f"{source}: {reason}")
    when = cached[1].get("fetched_at", "in an earlier run")
    warnings.warn(f"{source}: {reason}; using the copy downloaded {when}",
                  CalendarWarning, stacklevel=3)
    return Download(cached[0], cached[1].get("charset"), source, from_cache=True)


def _read_limited(response: http.client.HTTPResponse, max_bytes: int, source: str,
                  progress: Callable[[str], None] | None) -> bytes:
    too_large = ConnectorError(f"{source}: the calendar is larger than {_size(max_bytes)}")
    declared = (response.headers.get("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks, total, reported = [], 0, 0
    # read1: whatever has arrived, so the deadline is looked at between small reads too
    while chunk := response.read1(_CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise too_large
        chunks.append(chunk)
        if progress and total - reported >= 1_000_000:
            reported = total
            progress(f"{source}: downloaded {total / 1e6:.1f} MB")
    return b"".join(chunks)


def _size(n: int) -> str:
    """A byte count as a person reads it: 50 MB, 64 KB, 900 bytes (binary units)."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= factor:
            value = n / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{n} bytes"
