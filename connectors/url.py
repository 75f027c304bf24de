"""Calendars published at a URL: http, https and webcal links.

Google's "secret address in iCal format", Outlook's "publish calendar" and iCloud's
public links are plain HTTP(S) GETs. This module fetches them with a time-out, a size
cap and redirects limited to http(s), and reuses the last copy through ETag /
Last-Modified (a 304 costs no download). When the server cannot be reached and a
previous copy exists, that copy is used with a warning, so a person offline still sees
their week.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from audit import __version__, clock
from audit.errors import CalendarWarning, ConnectorError

TIMEOUT_SECONDS = 30
MAX_BYTES = 50 * 1024 * 1024
MAX_REDIRECTS = 5
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
        for path, content in ((body_path, data), (meta_path, json.dumps(meta).encode())):
            with tempfile.NamedTemporaryFile(dir=path.parent, delete=False) as tmp:
                tmp.write(content)
            os.replace(tmp.name, path)
    except OSError:
        return  # a cache that cannot be written is not an error


def fetch_calendar(
    url: str,
    *,
    timeout: float = TIMEOUT_SECONDS,
    max_bytes: int = MAX_BYTES,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Download:
    """Download a calendar, reusing the previous copy when the server says it is unchanged."""
    target = normalize_url(url)
    source = source_for(target)
    cached = _read_cached(target) if use_cache else None
    request = urllib.request.Request(target, headers={  # noqa: S310 - scheme checked above
        "User-Agent": f"timeaudit/{__version__} (+calendar audit; read-only)",
        "Accept": "text/calendar, */*;q=0.5",
    })
    if cached:
        meta = cached[1]
        if meta.get("etag"):
            request.add_header("If-None-Match", meta["etag"])
        if meta.get("last_modified"):
            request.add_header("If-Modified-Since", meta["last_modified"])
    opener = urllib.request.build_opener(_LimitedRedirects())
    try:
        with opener.open(request, timeout=timeout) as response:
            data = _read_limited(response, max_bytes, source, progress, timeout)
            headers = response.headers
    except urllib.error.HTTPError as error:
        error.close()  # the response behind the error holds a socket
        if error.code == 304 and cached:
            return Download(cached[0], cached[1].get("charset"), source, from_cache=True)
        if 300 <= error.code < 400:
            # urllib itself refuses a redirect to a scheme it does not follow (file:)
            # and gives up after max_redirections; both arrive as a 30x HTTPError.
            target = (error.headers or {}).get("Location") or ""
            scheme = urllib.parse.urlsplit(target).scheme.lower()
            why = (f"redirected to a {scheme}: link, which is not followed"
                   if "not allowed" in str(error.reason) and scheme
                   else f"too many redirects (more than {MAX_REDIRECTS})")
            return _stale_or_raise(cached, source, why)
        return _stale_or_raise(cached, source, f"the server answered {error.code} "
                                               f"{error.reason}")
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        reason = getattr(error, "reason", error)
        return _stale_or_raise(cached, source, f"cannot reach the server ({reason})")
    charset = headers.get_content_charset()
    if use_cache:
        _write_cached(target, data, {
            "etag": headers.get("ETag"),
            "last_modified": headers.get("Last-Modified"),
            "charset": charset,
            "fetched_at": clock.now().isoformat(timespec="seconds"),
        })
    return Download(data, charset, source, from_cache=False)


def _stale_or_raise(cached: tuple[bytes, dict] | None, source: str, reason: str) -> Download:
    """The last good copy with a warning, or a `ConnectorError` when there is none."""
    if cached is None:
        raise ConnectorError(f"{source}: {reason}")
    when = cached[1].get("fetched_at", "in an earlier run")
    warnings.warn(f"{source}: {reason}; using the copy downloaded {when}",
                  CalendarWarning, stacklevel=3)
    return Download(cached[0], cached[1].get("charset"), source, from_cache=True)


def _read_limited(response, max_bytes: int, source: str,
                  progress: Callable[[str], None] | None, timeout: float) -> bytes:
    too_large = ConnectorError(f"{source}: the calendar is larger than {_size(max_bytes)}")
    declared = response.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    chunks, total, reported = [], 0, 0
    # The socket time-out applies to each read; a server that trickles bytes is bounded
    # by this deadline for the whole body.
    deadline = time.monotonic() + timeout * 4
    while chunk := response.read(_CHUNK):
        if time.monotonic() > deadline:
            raise ConnectorError(f"{source}: the download took longer than "
                                 f"{timeout * 4:.0f} s")
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
