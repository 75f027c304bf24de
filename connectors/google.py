"""Google Calendar: the API client, calendar list, incremental sync and reading for a period.

Sync follows Google's "Synchronize resources efficiently" guide
(https://developers.google.com/calendar/api/guides/sync): a full sync asks
`events.list` for the window ``timeMin``..``timeMax`` with ``singleEvents=true`` and
pages through ``nextPageToken``; the last page carries a ``nextSyncToken`` that the next
sync sends instead of the window, receiving only what changed (cancelled items included).
A 410 Gone means the token is no longer valid: that calendar is synced in full again.

Every page of a calendar is fetched before anything is written; the store then changes
in one transaction (`connectors.google_store.write_sync`), so a sync that fails half-way
leaves that calendar exactly as it was. Retries with exponential back-off (429, 403
rate limits, 5xx, connection errors) are the client library's ``execute(num_retries=…)``.

The mapping to the event frame is `connectors.google_frame.events_to_frame`, applied
when reading, to the raw items in the store.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl
from dateutil.relativedelta import relativedelta

from connectors import google_store
from connectors.google_auth import EXPIRED, load_credentials, login, logout
from connectors.google_frame import events_to_frame, item_problem, skipped_warning
from connectors.google_store import Calendar
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
from core.period import resolve_zone

# A retry sleeps rand() × 2^n seconds (n = 1, 2, …): four retries wait 15 s on average,
# at most 30 s, before a sync gives up on a page.
DEFAULT_RETRIES = 4
PAGE_SIZE = 2500  # the largest maxResults events.list accepts
# Only what SPEC §3 needs (https://developers.google.com/calendar/api/guides/performance
# "partial response"); the sync token and page token come back with it.
EVENT_FIELDS = (
    "nextPageToken,nextSyncToken,items(id,status,summary,description,location,colorId,"
    "created,start,end,originalStartTime,recurringEventId,transparency,eventType,"
    "organizer(email,self),attendees(email,self,organizer,resource,responseStatus),"
    "attendeesOmitted)"
)
CALENDAR_FIELDS = "nextPageToken,items(id,summary,summaryOverride,primary,accessRole,timeZone)"
WINDOW_PAST = relativedelta(months=13)
WINDOW_FUTURE = relativedelta(months=1)
# A sync token is reused while its window still reaches this far ahead; then a full sync
# renews the window (instances of old series beyond timeMax were never fetched).
RENEW_AHEAD = timedelta(days=7)
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded",
                           "RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED"})
_SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})
_DISABLED_REASONS = frozenset({"accessNotConfigured", "SERVICE_DISABLED"})

__all__ = [
    "Calendar", "SyncProgress", "SyncResult", "SyncWindow", "build_service",
    "default_window", "events_to_frame", "list_calendars", "load_credentials", "login",
    "logout", "read_google", "resolve_calendars", "sync",
]


class _RedactRequests(logging.Filter):
    """googleapiclient logs retried request URLs, which hold calendar ids (often e-mail
    addresses) and sync tokens; SPEC §10 keeps those out of logs."""

    _URL = re.compile(r"https?://\S+")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = self._URL.sub("<Google Calendar API request>", message)
        record.args = ()
        return True


def _redact_client_logs() -> None:
    for name in ("googleapiclient.http", "googleapiclient.discovery",
                 "googleapiclient.discovery_cache", "google_auth_httplib2"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactRequests) for f in logger.filters):
            logger.addFilter(_RedactRequests())


_redact_client_logs()


@dataclass(frozen=True)
class SyncResult:
    """What one calendar's sync did."""

    calendar: Calendar
    full: bool
    fetched: int  # items Google sent
    stored: int  # events of the calendar in the store now
    removed: int  # occurrences removed by cancellations

    def __str__(self) -> str:
        how = "full sync" if self.full else "incremental sync"
        removed = f", {self.removed:,} removed" if self.removed else ""
        return (f"{self.calendar.label}: {how}, {self.fetched:,} received{removed}, "
                f"{self.stored:,} stored")


Progress = Callable[[SyncProgress], None]


class _Gone(Exception):
    """410 Gone: the sync token is no longer valid (reason fullSyncRequired)."""


def default_window(now: datetime | None = None) -> SyncWindow:
    """The last 13 months and the next month, from UTC midnights."""
    today = (now or clock.now()).astimezone(UTC).date()
    return SyncWindow(datetime.combine(today - WINDOW_PAST, time(), UTC),
                      datetime.combine(today + WINDOW_FUTURE, time(), UTC) + timedelta(days=1))


def build_service(credentials: Any = None, *, http: Any = None) -> Any:
    """A Calendar v3 client from the bundled discovery document (no discovery request).

    ``http``: an `httplib2.Http`-like object (tests pass `HttpMockSequence`); otherwise
    ``credentials`` or the saved sign-in (`load_credentials`) authorise the requests.
    """
    from googleapiclient.discovery import build  # noqa: PLC0415 - heavy, only when used

    if http is not None:
        return build("calendar", "v3", http=http, static_discovery=True, cache_discovery=False)
    return build("calendar", "v3", credentials=credentials or load_credentials(),
                 static_discovery=True, cache_discovery=False)


def _reason(error: Any) -> str:
    try:
        body = json.loads(error.content.decode("utf-8"))["error"]
    except (AttributeError, ValueError, KeyError, TypeError):
        return ""
    details = body.get("errors") or body.get("details") or []
    for detail in details:
        if isinstance(detail, Mapping) and detail.get("reason"):
            return str(detail["reason"])
    return str(body.get("status") or "")


def _failure(error: Any, what: str, num_retries: int) -> Exception:  # noqa: PLR0911 - a table
    status, reason = error.resp.status, _reason(error)
    unchanged = "nothing was changed locally"
    if status == 410:
        return _Gone()
    if status == 401:
        return AuthError(EXPIRED)
    if status == 429 or (status == 403 and reason in _RATE_REASONS):
        return RateLimited(f"Google Calendar kept refusing requests for the {what} (rate "
                           f"limit, HTTP {status}) after {num_retries} retries: wait a few "
                           f"minutes and sync again; {unchanged}")
    if status == 403 and reason in _SCOPE_REASONS:
        return AuthError("Google refused to show your calendars (missing permission): run "
                         "`timeaudit google login` and allow read access to your calendars")
    if status == 403 and reason in _DISABLED_REASONS:
        return ConnectorError("the Google Calendar API is not enabled in your Google Cloud "
                              "project: enable it (docs/google.md, step 2) and try again")
    if status == 404:
        return ConnectorError(f"Google Calendar does not know the {what} (deleted, or no "
                              "longer shared with you): choose calendars with `timeaudit "
                              "google select`")
    if status >= 500:
        return ConnectorError(f"Google Calendar is failing (HTTP {status}) for the {what} "
                              f"after {num_retries} retries: try again later; {unchanged}")
    why = f" {reason}" if reason else ""
    return ConnectorError(f"Google Calendar refused the request for the {what} "
                          f"(HTTP {status}{why}); {unchanged}")


def _execute(request: Any, what: str, num_retries: int) -> dict[str, Any]:
    """Run one request with back-off; every failure becomes a one-line `AuditError`."""
    import httplib2  # noqa: PLC0415
    from google.auth.exceptions import RefreshError, TransportError  # noqa: PLC0415
    from googleapiclient.errors import HttpError  # noqa: PLC0415

    try:
        response = request.execute(num_retries=num_retries)
    except HttpError as error:
        raise _failure(error, what, num_retries) from None
    except RefreshError:
        raise AuthError(EXPIRED) from None
    except (httplib2.HttpLib2Error, TransportError, OSError) as error:
        raise ConnectorError(f"cannot reach Google Calendar ({type(error).__name__}): check "
                             "the connection and try again; nothing was changed locally"
                             ) from None
    except ValueError:
        response = None
    if not isinstance(response, dict):  # the client hands back a body that is not JSON as is
        raise ConnectorError(f"Google Calendar sent an unreadable answer for the {what}; "
                             "nothing was changed locally: try again")
    return response


def list_calendars(service: Any, *, num_retries: int = DEFAULT_RETRIES) -> list[Calendar]:
    """The account's calendars (`calendarList.list`, all pages), primary first."""
    calendars: list[Calendar] = []
    page_token = None
    while True:
        request = service.calendarList().list(maxResults=250, fields=CALENDAR_FIELDS,
                                              pageToken=page_token)
        response = _execute(request, "calendar list", num_retries)
        entries = response.get("items") or []
        for entry in entries if isinstance(entries, list) else ():
            if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str):
                continue  # not a calendar entry this client can use
            calendar_id = entry["id"]
            if not calendar_id:
                continue
            calendars.append(Calendar(
                id=calendar_id,
                # summaryOverride: the name the person gave a calendar shared with them
                name=str(entry.get("summaryOverride") or entry.get("summary") or calendar_id),
                primary=bool(entry.get("primary")),
                access_role=str(entry.get("accessRole") or "reader"),
                time_zone=entry.get("timeZone") if isinstance(entry.get("timeZone"), str)
                else None,
            ))
        page_token = response.get("nextPageToken")
        if not page_token:
            return sorted(calendars, key=lambda c: (not c.primary, c.name.lower(), c.id))


def _match(text: str, known: Sequence[Calendar]) -> Calendar:
    for calendar in known:
        if calendar.id == text:
            return calendar
    if text.lower() == "primary":
        primary = [c for c in known if c.primary]
        if primary:
            return primary[0]
    named = [c for c in known if c.name.lower() == text.lower()]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise UsageError(f"several Google calendars are called {text!r}: name one by its id "
                         "(see `timeaudit google calendars`)")
    raise UsageError(f"unknown Google calendar {text!r}: use an id or a name that "
                     "`timeaudit google calendars` lists, or primary")


def resolve_calendars(requested: Sequence[str] | None, known: Sequence[Calendar], *,
                      store_path: str | Path | None = None) -> list[Calendar]:
    """The calendars named (ids, names or ``primary``), else the selected ones, else the
    primary calendar."""
    if requested:
        chosen = {c.id: c for c in (_match(text, known) for text in requested)}
        return list(chosen.values())
    selected = google_store.selected_ids(store_path)
    if not selected:
        primary = [c for c in known if c.primary]
        if not primary:
            raise AuditError("no primary Google calendar known: run `timeaudit google sync` "
                             "(or name calendars)")
        return primary[:1]
    by_id = {c.id: c for c in known}
    gone = [i for i in selected if i not in by_id]
    if gone:
        noun = "calendar is" if len(gone) == 1 else "calendars are"
        warnings.warn(f"{len(gone)} selected Google {noun} no longer in the account and "
                      "skipped: choose again with `timeaudit google select`",
                      CalendarWarning, stacklevel=3)
    chosen_calendars = [by_id[i] for i in selected if i in by_id]
    if not chosen_calendars:
        raise AuditError("none of the selected Google calendars is in the account: choose "
                         "with `timeaudit google select`")
    return chosen_calendars


def _fetch(service: Any, calendar: Calendar, *, sync_token: str | None, window: SyncWindow,
           num_retries: int, report: Callable[[int, int], None]
           ) -> tuple[list[dict[str, Any]], str | None, int]:
    """Every page of one listing: (items, nextSyncToken, pages). Nothing is written here."""
    params: dict[str, Any] = {"calendarId": calendar.id, "singleEvents": True,
                              "maxResults": PAGE_SIZE, "fields": EVENT_FIELDS}
    if sync_token is not None:
        # timeMin/timeMax cannot go with a syncToken; the other parameters must stay
        # those of the full sync that produced it.
        params["syncToken"] = sync_token
    else:
        params["timeMin"], params["timeMax"] = s.utc_stamp(window.start), s.utc_stamp(window.end)
    items: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    page_token, pages = None, 0
    while True:
        request = service.events().list(**params, pageToken=page_token)
        response = _execute(request, calendar.label, num_retries)
        page = response.get("items") or []
        if not isinstance(page, list):
            raise ConnectorError(f"Google Calendar sent an unreadable page for the "
                                 f"{calendar.label}; nothing was changed locally: try again")
        for item in page:  # the border: an item of the wrong shape is never stored
            problem = item_problem(item)
            if problem is None:
                items.append(item)
            else:
                skipped[problem] += 1
        pages += 1
        report(pages, len(items))
        page_token = response.get("nextPageToken")
        if not isinstance(page_token, str | None):
            raise ConnectorError(f"Google Calendar sent an unreadable page for the "
                                 f"{calendar.label}; nothing was changed locally: try again")
        if not page_token:
            skipped_warning(f"Google {calendar.label}", skipped, stacklevel=4)
            token = response.get("nextSyncToken")
            return items, token if isinstance(token, str) else None, pages


def _reusable(stored: SyncWindow, wanted: SyncWindow, now: datetime) -> bool:
    return stored.start <= wanted.start and stored.end >= min(wanted.end, now + RENEW_AHEAD)


def _sync_one(service: Any, calendar: Calendar, state: google_store.SyncState | None, *,
              listed: Sequence[Calendar], wanted: SyncWindow, full: bool, num_retries: int,
              store_path: str | Path | None, progress: Progress | None, index: int, total: int,
              now: datetime) -> SyncResult:
    def step(incremental: bool, pages: int, events: int, done: bool = False) -> None:
        if progress is not None:
            progress(SyncProgress(calendar, index, total, not incremental, pages, events, done))

    incremental = (not full and state is not None and state.sync_token is not None
                   and _reusable(state.window, wanted, now))
    if incremental:
        assert state is not None
        try:
            items, token, pages = _fetch(
                service, calendar, sync_token=state.sync_token, window=state.window,
                num_retries=num_retries, report=lambda p, e: step(True, p, e))
        except _Gone:
            incremental = False  # the token expired: sync this calendar in full
    if not incremental:
        try:
            items, token, pages = _fetch(
                service, calendar, sync_token=None, window=wanted, num_retries=num_retries,
                report=lambda p, e: step(False, p, e))
        except _Gone:
            raise ConnectorError(f"Google Calendar ended the full sync of the {calendar.label} "
                                 "(410 Gone): try again; nothing was changed locally") from None
    # A sync token keeps the window of the full sync that produced it.
    window = state.window if incremental and state is not None else wanted
    counts = google_store.write_sync(calendar, items, full=not incremental, sync_token=token,
                                     window=window, listed=listed, path=store_path, now=now)
    step(incremental, pages, len(items), done=True)
    return SyncResult(calendar, not incremental, len(items), counts.stored, counts.removed)


def sync(calendar_ids: Sequence[str] | None = None, *, service: Any = None,
         window: SyncWindow | None = None, full: bool = False,
         store_path: str | Path | None = None, progress: Progress | None = None,
         num_retries: int = DEFAULT_RETRIES, now: datetime | None = None) -> list[SyncResult]:
    """Bring the store up to date with Google for the calendars named, else the selected.

    ``window``: what a full sync fetches (default `default_window`); a stored sync token
    is reused (incremental sync) while its window covers the start of ``window`` and
    reaches a week ahead, unless ``full``. ``progress`` is called after every page and
    once per calendar with ``done=True``. Each calendar is one transaction; when one
    fails, the ones before it stay synced and the error is raised.
    """
    now = now or clock.now()
    service = service if service is not None else build_service()
    listed = list_calendars(service, num_retries=num_retries)
    targets = resolve_calendars(calendar_ids, listed, store_path=store_path)
    states = google_store.sync_states(store_path)
    wanted = window or default_window(now)
    return [
        _sync_one(service, calendar, states.get(calendar.id), listed=listed, wanted=wanted,
                  full=full, num_retries=num_retries, store_path=store_path,
                  progress=progress, index=index, total=len(targets), now=now)
        for index, calendar in enumerate(targets, 1)
    ]


def read_google(calendar_ids: Sequence[str] | None = None, *, start: datetime, end: datetime,
                tz: str, sync_first: bool = False, store_path: str | Path | None = None,
                progress: Progress | None = None, service: Any = None) -> pl.DataFrame:
    """The stored occurrences overlapping [start, end), as the frame of SPEC §3.

    ``calendar_ids``: ids, names or ``primary``; None reads the selected calendars (by
    default the primary one). ``tz`` is the audit time zone (all-day and floating times).
    ``sync_first`` syncs them before reading, with a window that also covers
    [start, end). Google marks the owner itself (``self: true``), so no owner addresses
    are needed. Reading never contacts Google unless ``sync_first``.
    """
    if sync_first:
        wanted = default_window().union(SyncWindow(start, end))
        sync(calendar_ids, service=service, window=wanted, store_path=store_path,
             progress=progress)
    known = google_store.stored_calendars(store_path)
    if not known:
        raise AuditError("no Google calendar synced yet: run `timeaudit google sync` "
                         "(or add --sync)")
    targets = resolve_calendars(calendar_ids, known, store_path=store_path)
    states = google_store.sync_states(store_path)
    unsynced = [c for c in targets if c.id not in states]
    if len(unsynced) == len(targets):
        names = " and ".join(c.label for c in unsynced)
        raise AuditError(f"the Google {names} has not been synced yet: run `timeaudit google "
                         "sync` (or add --sync)")
    for calendar in unsynced:
        warnings.warn(f"google: the {calendar.label} has not been synced yet and is left "
                      "out: run `timeaudit google sync`", CalendarWarning, stacklevel=2)
    frames = []
    for calendar in targets:
        state = states.get(calendar.id)
        if state is None:
            continue
        if not state.window.covers(SyncWindow(start, end)):
            warnings.warn(
                f"google: the {calendar.label} was synced for {state.window.start:%Y-%m-%d} "
                f"to {state.window.end:%Y-%m-%d}; events outside that may be missing: run "
                f"`timeaudit google sync --from {_local_day(start, tz)} "
                f"--to {_local_day(end, tz)}`",
                CalendarWarning, stacklevel=2)
        items = google_store.load_items(calendar.id, start, end, path=store_path)
        frame = events_to_frame(items, calendar_id=calendar.id, calendar_name=calendar.name,
                                tz=tz)
        frames.append(frame.filter(s.overlapping(start, end)))
    return s.validate_events(s.merge_events(frames))


def _local_day(instant: datetime, tz: str) -> date:
    """The local date of ``instant`` in the zone ``tz`` (a period bound → its day)."""
    return instant.astimezone(resolve_zone(tz)).date()


