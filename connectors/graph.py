"""Microsoft 365 / Outlook.com through Microsoft Graph: calendars, incremental sync, reading.

Sync follows "Get incremental changes to events in a calendar view"
(https://learn.microsoft.com/graph/delta-query-events): a full sync asks
``/me/calendars/{id}/calendarView/delta?startDateTime=…&endDateTime=…`` (one item per
occurrence) and follows ``@odata.nextLink`` page by page; the last page carries an
``@odata.deltaLink``, which the next sync requests to receive only what changed (deleted
items as ``{"id": …, "@removed": {…}}``). When Graph no longer knows the delta token (410
Gone, ``syncStateNotFound``, ``resyncRequired``), that calendar is synced in full again.

Throttling (https://learn.microsoft.com/graph/throttling): 429, 503 and 504 are retried
after the ``Retry-After`` seconds Graph sends, else with exponential back-off; so are
dropped connections. Every page of a calendar is fetched before anything is written; the
store then changes in one transaction (`connectors.graph_store.write_sync`), so a sync that
fails half-way leaves that calendar exactly as it was.

HTTP goes through a `Transport` (one function: URL and headers in, status, headers and
body out), so tests replay recorded Graph responses; the real one uses ``requests``.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as day_start
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import polars as pl

from connectors import graph_store
from connectors.graph_frame import graph_events_to_frame
from connectors.graph_store import Calendar
from connectors.progress import SyncProgress, SyncWindow
from core import clock
from core import schema as s
from core.errors import (
    AuditError,
    AuthError,
    CalendarWarning,
    ConnectorError,
    RateLimited,
    UsageError,
)

GRAPH = "https://graph.microsoft.com/v1.0"
GRAPH_ORIGIN = "https://graph.microsoft.com/"
DEFAULT_RETRIES = 4
MAX_WAIT_SECONDS = 120.0  # a Retry-After longer than this is cut to it
PAGE_SIZE = 200  # Prefer: odata.maxpagesize
TIMEOUT_SECONDS = (10, 60)  # connect, read
WINDOW_PAST_DAYS = 396  # about 13 months, as for Google
WINDOW_FUTURE_DAYS = 31
RENEW_AHEAD = timedelta(days=7)
_RETRY_STATUSES = frozenset({429, 503, 504})
_GONE_CODES = frozenset({"syncstatenotfound", "resyncrequired", "syncstateinvalid"})

__all__ = ["Calendar", "GraphClient", "SyncProgress", "SyncResult", "SyncWindow",
           "default_window", "list_calendars", "read_microsoft", "requests_transport",
           "resolve_calendars", "sync"]

# A transport: (url, headers) → (status, response headers, body).
Transport = Callable[[str, Mapping[str, str]], tuple[int, Mapping[str, str], bytes]]


class _RedactURLs(logging.Filter):
    """urllib3 logs request lines, which hold calendar ids and delta tokens; SPEC §10
    keeps those out of logs."""

    _PATH = re.compile(r"(GET|POST) \S+|https?://\S+")

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._PATH.sub("<Microsoft Graph request>", record.getMessage())
        record.args = ()
        return True


def _redact_client_logs() -> None:
    logger = logging.getLogger("urllib3.connectionpool")
    if not any(isinstance(f, _RedactURLs) for f in logger.filters):
        logger.addFilter(_RedactURLs())


_redact_client_logs()


def requests_transport(url: str, headers: Mapping[str, str]
                       ) -> tuple[int, Mapping[str, str], bytes]:
    """The real transport: one GET with ``requests`` and a time-out."""
    import requests  # noqa: PLC0415 - only when syncing

    try:
        response = requests.get(url, headers=dict(headers), timeout=TIMEOUT_SECONDS,
                                allow_redirects=False)
    except requests.RequestException as error:
        raise OSError(type(error).__name__) from None
    return response.status_code, response.headers, response.content


class _Gone(Exception):
    """The delta token is no longer valid: sync the calendar in full."""


def _error_code(body: bytes) -> str:
    try:
        error = json.loads(body.decode("utf-8"))["error"]
        return str(error.get("code") or "")
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        return ""


def _retry_after(headers: Mapping[str, str]) -> float | None:
    for key, value in headers.items():
        if key.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except (TypeError, ValueError):
                return None
    return None


class GraphClient:
    """GET requests to Graph with a bearer token, back-off and one-line errors.

    ``token``: returns a valid access token (default: the saved sign-in,
    `connectors.graph_auth.access_token`); ``sleep`` waits between retries (tests pass a
    recorder); ``account``: the signed-in user's address, the calendars' owner.
    """

    def __init__(self, transport: Transport = requests_transport, *,
                 token: Callable[[], str] | None = None, account: str | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 retries: int = DEFAULT_RETRIES) -> None:
        self.transport, self.sleep, self.retries = transport, sleep, retries
        self.account = account
        self._token = token

    @classmethod
    def signed_in(cls, transport: Transport = requests_transport, *,
                  app_factory: Any = None) -> GraphClient:
        """A client with the saved sign-in (`connectors.graph_auth.TokenSource`)."""
        from connectors.graph_auth import TokenSource  # noqa: PLC0415

        source = TokenSource(app_factory=app_factory)
        return cls(transport, token=source, account=source.username or None)

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            raise AuthError("not signed in to Microsoft: run `timeaudit microsoft login`")
        return {"Authorization": f"Bearer {self._token()}", "Accept": "application/json",
                "Prefer": f'outlook.timezone="UTC", odata.maxpagesize={PAGE_SIZE}'}

    def get(self, url: str, what: str) -> dict[str, Any]:
        """One GET, retried on throttling and dropped connections; every failure is a
        one-line `AuditError` (or `_Gone` for an expired delta token)."""
        unchanged = "nothing was changed locally"
        for attempt in range(self.retries + 1):
            try:
                status, headers, body = self.transport(url, self._headers())
            except OSError as error:
                if attempt < self.retries:
                    self.sleep(self._backoff(attempt, None))
                    continue
                raise ConnectorError(f"cannot reach Microsoft Graph ({error}) for the {what}: "
                                     f"check the connection and try again; {unchanged}"
                                     ) from None
            if status in _RETRY_STATUSES and attempt < self.retries:
                self.sleep(self._backoff(attempt, _retry_after(headers)))
                continue
            if 200 <= status < 300:
                try:
                    data = json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    data = None
                if not isinstance(data, dict):
                    raise ConnectorError(f"Microsoft Graph sent an unreadable answer for the "
                                         f"{what}; {unchanged}: try again")
                return data
            raise self._failure(status, _error_code(body), what)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_WAIT_SECONDS)
        return min(2.0 ** (attempt + 1) * (0.5 + random.random() / 2),  # noqa: S311 - jitter
                   MAX_WAIT_SECONDS)

    def _failure(self, status: int, code: str, what: str) -> Exception:  # noqa: PLR0911
        unchanged = "nothing was changed locally"
        if status == 410 or code.lower() in _GONE_CODES:
            return _Gone()
        if status == 401:
            return AuthError("Microsoft sign-in has expired or was revoked: run `timeaudit "
                             "microsoft login` to sign in again")
        if status == 403:
            return AuthError(f"Microsoft Graph refused to show the {what} (HTTP 403"
                             f"{' ' + code if code else ''}): sign in again with `timeaudit "
                             "microsoft login` and accept Calendars.Read")
        if status == 404:
            return ConnectorError(f"Microsoft Graph does not know the {what} (deleted, or no "
                                  "longer shared with you): choose calendars with `timeaudit "
                                  "microsoft select`")
        if status in _RETRY_STATUSES:
            return RateLimited(f"Microsoft Graph kept refusing requests for the {what} (HTTP "
                               f"{status}) after {self.retries} retries: wait a few minutes "
                               f"and sync again; {unchanged}")
        if status >= 500:
            return ConnectorError(f"Microsoft Graph is failing (HTTP {status}) for the {what}: "
                                  f"try again later; {unchanged}")
        return ConnectorError(f"Microsoft Graph refused the request for the {what} (HTTP "
                              f"{status}{' ' + code if code else ''}); {unchanged}")


@dataclass(frozen=True)
class SyncResult:
    calendar: Calendar
    full: bool
    fetched: int
    stored: int
    removed: int

    def __str__(self) -> str:
        how = "full sync" if self.full else "incremental sync"
        removed = f", {self.removed:,} removed" if self.removed else ""
        return (f"{self.calendar.label}: {how}, {self.fetched:,} received{removed}, "
                f"{self.stored:,} stored")


Progress = Callable[[SyncProgress], None]


def default_window(now: datetime | None = None) -> SyncWindow:
    """About the last 13 months and the next month, from UTC midnights."""
    today = (now or clock.now()).astimezone(UTC).date()
    return SyncWindow(datetime.combine(today - timedelta(days=WINDOW_PAST_DAYS), day_start(),
                                       UTC),
                      datetime.combine(today + timedelta(days=WINDOW_FUTURE_DAYS + 1),
                                       day_start(), UTC))


def list_calendars(client: GraphClient) -> list[Calendar]:
    """The account's calendars (``/me/calendars``, all pages), the default one first."""
    url: str | None = f"{GRAPH}/me/calendars?" + urlencode(
        {"$select": "id,name,isDefaultCalendar,canEdit,owner", "$top": "100"})
    calendars: list[Calendar] = []
    while url:
        page = client.get(url, "calendar list")
        for entry in page.get("value") or ():
            calendar_id = str(entry.get("id") or "")
            if not calendar_id:
                continue
            owner = ((entry.get("owner") or {}).get("address") or "").strip().lower() or None
            calendars.append(Calendar(calendar_id, str(entry.get("name") or calendar_id),
                                      bool(entry.get("isDefaultCalendar")),
                                      bool(entry.get("canEdit")), owner))
        url = page.get("@odata.nextLink")
    return sorted(calendars, key=lambda c: (not c.default, c.name.lower(), c.id))


def _match(text: str, known: Sequence[Calendar]) -> Calendar:
    for calendar in known:
        if calendar.id == text:
            return calendar
    if text.lower() in {"default", "primary"}:
        default = [c for c in known if c.default]
        if default:
            return default[0]
    named = [c for c in known if c.name.lower() == text.lower()]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise UsageError(f"several Microsoft calendars are called {text!r}: name one by its "
                         "id (see `timeaudit microsoft calendars`)")
    raise UsageError(f"unknown Microsoft calendar {text!r}: use an id or a name that "
                     "`timeaudit microsoft calendars` lists, or default")


def resolve_calendars(requested: Sequence[str] | None, known: Sequence[Calendar], *,
                      store_path: str | Path | None = None) -> list[Calendar]:
    """The calendars named (ids, names or ``default``), else the selected ones, else the
    default calendar."""
    if requested:
        return list({c.id: c for c in (_match(t, known) for t in requested)}.values())
    selected = graph_store.selected_ids(store_path)
    if not selected:
        default = [c for c in known if c.default]
        if not default:
            raise AuditError("no default Microsoft calendar known: run `timeaudit microsoft "
                             "sync` (or name calendars)")
        return default[:1]
    by_id = {c.id: c for c in known}
    gone = [i for i in selected if i not in by_id]
    if gone:
        warnings.warn(f"{len(gone)} selected Microsoft calendar(s) no longer in the account "
                      "and skipped: choose again with `timeaudit microsoft select`",
                      CalendarWarning, stacklevel=3)
    chosen = [by_id[i] for i in selected if i in by_id]
    if not chosen:
        raise AuditError("none of the selected Microsoft calendars is in the account: choose "
                         "with `timeaudit microsoft select`")
    return chosen


def delta_url(calendar: Calendar, window: SyncWindow) -> str:
    return (f"{GRAPH}/me/calendars/{quote(calendar.id, safe='')}/calendarView/delta?"
            + urlencode({"startDateTime": s.utc_stamp(window.start),
                         "endDateTime": s.utc_stamp(window.end)}))


def _fetch(client: GraphClient, calendar: Calendar, url: str,
           report: Callable[[int, int], None]
           ) -> tuple[list[dict[str, Any]], str | None, int]:
    """Every page of one round: (items, deltaLink, pages). Nothing is written here."""
    items: list[dict[str, Any]] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        page = client.get(next_url, calendar.label)
        items.extend(i for i in page.get("value") or () if isinstance(i, dict))
        pages += 1
        report(pages, len(items))
        next_url = _ours(page.get("@odata.nextLink"), calendar)
        if not next_url:
            return items, _ours(page.get("@odata.deltaLink"), calendar), pages
    return items, None, pages


def _ours(link: object, calendar: Calendar) -> str | None:
    """A paging or delta link, if it points at Graph: the bearer token goes nowhere else."""
    if not link:
        return None
    if not isinstance(link, str) or not link.startswith(GRAPH_ORIGIN):
        raise ConnectorError(f"Microsoft Graph sent a link outside graph.microsoft.com for the "
                             f"{calendar.label}; it was not followed and nothing was changed "
                             "locally")
    return link


def _reusable(stored: SyncWindow, wanted: SyncWindow, now: datetime) -> bool:
    return stored.start <= wanted.start and stored.end >= min(wanted.end, now + RENEW_AHEAD)


def _sync_one(client: GraphClient, calendar: Calendar, *, state: graph_store.SyncState | None,
              wanted: SyncWindow, full: bool, now: datetime, listed: Sequence[Calendar],
              store_path: str | Path | None, report: Callable[[bool, int, int, bool], None]
              ) -> SyncResult:
    fetched: tuple[list[dict[str, Any]], str | None, int] | None = None
    window = wanted
    if (not full and state is not None and state.delta_link
            and _reusable(state.window, wanted, now)):
        try:
            fetched = _fetch(client, calendar, state.delta_link,
                             lambda p, e: report(False, p, e, False))
            window = state.window
        except _Gone:  # the delta token expired: start over with a full sync
            fetched = None
    incremental = fetched is not None
    if fetched is None:
        try:
            fetched = _fetch(client, calendar, delta_url(calendar, wanted),
                             lambda p, e: report(True, p, e, False))
        except _Gone:
            raise ConnectorError(f"Microsoft Graph refused a full sync of the {calendar.label} "
                                 "(sync state not found): try again; nothing was changed "
                                 "locally") from None
    items, link, pages = fetched
    if link is None:
        raise ConnectorError(f"Microsoft Graph ended the sync of the {calendar.label} without "
                             "a delta link; nothing was changed locally: try again")
    counts = graph_store.write_sync(calendar, items, full=not incremental, delta_link=link,
                                    window=window, account=client.account, listed=listed,
                                    path=store_path, now=now)
    report(not incremental, pages, len(items), True)
    return SyncResult(calendar, not incremental, len(items), counts.stored, counts.removed)


def sync(calendar_ids: Sequence[str] | None = None, *, client: GraphClient,
         window: SyncWindow | None = None, full: bool = False,
         store_path: str | Path | None = None, progress: Progress | None = None
         ) -> list[SyncResult]:
    """Sync the named (or selected, or default) calendars into the store.

    Incremental (the stored delta link) while the stored window covers ``window`` (default
    `default_window`) and still reaches a week ahead, unless ``full``. Each calendar is
    one transaction; a failure stops the run with that calendar as it was (those synced
    before it stay synced). ``progress`` is called after every page.
    """
    now = clock.now()
    wanted = window or default_window(now)
    listed = list_calendars(client)
    targets = resolve_calendars(calendar_ids, listed, store_path=store_path)
    states = graph_store.sync_states(store_path)
    results = []
    for index, calendar in enumerate(targets, start=1):
        def report(is_full: bool, pages: int, events: int, done: bool, *,
                   position: int = index, which: Calendar = calendar) -> None:
            if progress is not None:
                progress(SyncProgress(which, position, len(targets), is_full, pages, events,
                                      done))

        results.append(_sync_one(client, calendar, state=states.get(calendar.id),
                                 wanted=wanted, full=full, now=now, listed=listed,
                                 store_path=store_path, report=report))
    return results


def _owners(state: graph_store.SyncState, calendar: Calendar) -> list[str]:
    """The signed-in account (its sign-in name) and, for the default calendar, the
    mailbox's address (which may differ from the sign-in name)."""
    found = [state.account] if state.account else []
    if calendar.default and calendar.owner:
        found.append(calendar.owner)
    return found


def read_microsoft(calendar_ids: Sequence[str] | None = None, *, start: datetime,
                   end: datetime, tz: str, owner_emails: Iterable[str] = (),
                   store_path: str | Path | None = None) -> pl.DataFrame:
    """The synced events of the named (or selected, or default) calendars overlapping
    [start, end), as the frame of SPEC §3. Never contacts Microsoft.

    ``owner_emails`` (the configuration's) are joined by the signed-in account recorded at
    sync, so the owner is never counted as an attendee.
    """
    known = graph_store.stored_calendars(store_path)
    if not known:
        raise AuditError("no Microsoft calendar synced yet: run `timeaudit microsoft sync` "
                         "(or add --sync)")
    targets = resolve_calendars(calendar_ids, known, store_path=store_path)
    states = graph_store.sync_states(store_path)
    unsynced = [c for c in targets if c.id not in states]
    if len(unsynced) == len(targets):
        names = " and ".join(c.label for c in unsynced)
        raise AuditError(f"the Microsoft {names} has not been synced yet: run `timeaudit "
                         "microsoft sync` (or add --sync)")
    for calendar in unsynced:
        warnings.warn(f"microsoft: the {calendar.label} has not been synced yet and is left "
                      "out: run `timeaudit microsoft sync`", CalendarWarning, stacklevel=2)
    owners = list(owner_emails)
    frames = []
    for calendar in targets:
        state = states.get(calendar.id)
        if state is None:
            continue
        if not state.window.covers(SyncWindow(start, end)):
            warnings.warn(
                f"microsoft: the {calendar.label} was synced for {state.window.start:%Y-%m-%d}"
                f" to {state.window.end:%Y-%m-%d}; events outside that may be missing: run "
                f"`timeaudit microsoft sync --from {start:%Y-%m-%d} --to {end:%Y-%m-%d}`",
                CalendarWarning, stacklevel=2)
        items = graph_store.load_items(calendar.id, start, end, path=store_path)
        frame = graph_events_to_frame(
            items, calendar_id=calendar.id, calendar_name=calendar.name, tz=tz,
            owner_emails=[*owners, *_owners(state, calendar)])
        frames.append(frame.filter(s.overlapping(start, end)))
    return s.validate_events(s.merge_events(frames))
