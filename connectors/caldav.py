"""CalDAV (RFC 4791): sign in, list calendars, incremental sync, reading for a window.

Everything on the wire is the `caldav` library. A sync of one calendar:

* where the server supports WebDAV sync-collection (RFC 6578), the stored sync token
  is sent and only what changed comes back (changed hrefs, deleted hrefs); an expired
  token means a full listing;
* elsewhere the calendar's ctag (``CS:getctag``) is compared with the stored one, and
  when it changed, a PROPFIND lists every object's ETag, compared with the stored ETags;
* the changed objects are fetched with calendar-multiget, in batches.

Every request of a calendar is made before anything is written; the store then changes
in one transaction (`connectors.caldav_store.write_sync`), so a sync that fails half-way
(the server goes away, a password changed) leaves that calendar exactly as it was.

The objects are kept as the iCalendar text the server sent and read back through
`connectors.ics.read_ics`, the same mapping as files: one code path for iCalendar data.
The owner is the principal's addresses (``calendar-user-address-set``) plus the
configured owner e-mails.

This module takes plain values (window, zone, owner e-mails); the CLI resolves them.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import polars as pl

from connectors import caldav_secret, caldav_store
from connectors.caldav_store import Account, Calendar, StoredObject
from core import clock
from core import schema as s
from core.errors import AuditError, AuthError, CalendarWarning, ConnectorError, UsageError

TIMEOUT_SECONDS = 30
MULTIGET_BATCH = 100  # hrefs per calendar-multiget REPORT
_CTAG = "{http://calendarserver.org/ns/}getctag"
NOT_SIGNED_IN = ("not signed in to a CalDAV server: run `timeaudit caldav login URL "
                 "--user NAME`")
REFUSED_LOGIN = ("the CalDAV server refused the user name or password: check them (iCloud "
                 "and Fastmail need an app-specific password, docs/caldav.md) and run "
                 "`timeaudit caldav login` again")
_UNCHANGED = "nothing was changed locally"

__all__ = [
    "Calendar", "LoginResult", "SyncProgress", "SyncResult", "list_calendars", "login",
    "logout", "read_caldav", "resolve_calendars", "sync",
]


class _Quiet(logging.Filter):
    """The client logs request URLs and bodies (e-mail addresses in paths, event text);
    SPEC §10 keeps those out of logs: only errors pass, with URLs left out."""

    _URL = re.compile(r"\S+://\S+")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            return False
        record.msg = self._URL.sub("<CalDAV request>", record.getMessage())
        record.args = ()
        return True


_CLIENT_LOGGERS = ("caldav", "niquests", "urllib3", "urllib3_future")


def _quiet_client_logs() -> None:
    """Errors only from the client libraries, URLs left out: set on their top loggers
    (children inherit the level) and on every child that exists once they are imported
    (a filter does not reach a child's records)."""
    names = [n for n in list(logging.root.manager.loggerDict)
             if n in _CLIENT_LOGGERS or n.startswith(tuple(f"{p}." for p in _CLIENT_LOGGERS))]
    for name in {*_CLIENT_LOGGERS, *names}:
        logger = logging.getLogger(name)
        if name in _CLIENT_LOGGERS and logger.level < logging.ERROR:
            logger.setLevel(logging.ERROR)
        if not any(isinstance(f, _Quiet) for f in logger.filters):
            logger.addFilter(_Quiet())


# ------------------------------------------------------------------------- the client


def _client(server_url: str, username: str, password: str) -> Any:
    import caldav  # noqa: PLC0415 - heavy, only when used

    _quiet_client_logs()
    return caldav.DAVClient(url=server_url, username=username, password=password,
                            timeout=TIMEOUT_SECONDS)


# The seam tests (and the dashboard) may replace: (url, user, password) -> DAVClient.
ClientFactory = Callable[[str, str, str], Any]
client_factory: ClientFactory = _client


def _failure(error: BaseException, what: str) -> AuditError:
    """One line for a failed request; every failure is an `AuditError`."""
    from caldav.lib import error as dav_error  # noqa: PLC0415

    if isinstance(error, AuditError):
        return error
    status = getattr(error, "status", None)
    if isinstance(error, dav_error.AuthorizationError) and (
            status in (None, 401) or "unauthorized" in str(getattr(error, "reason", "")).lower()):
        return AuthError(REFUSED_LOGIN)
    if isinstance(error, dav_error.NotFoundError):
        return ConnectorError(f"the CalDAV server does not know the {what} (deleted, or no "
                              "longer shared with you): choose calendars with `timeaudit "
                              f"caldav select`; {_UNCHANGED}")
    if isinstance(error, dav_error.DAVError):
        code = f" (HTTP {status})" if status else ""
        return ConnectorError(f"the CalDAV server refused the request for the {what}{code}; "
                              f"{_UNCHANGED}")
    if isinstance(error, OSError):
        return ConnectorError(f"cannot reach the CalDAV server ({type(error).__name__}) for "
                              f"the {what}: check the address and the connection and try "
                              f"again; {_UNCHANGED}")
    return ConnectorError(f"the CalDAV server sent an answer that cannot be read for the "
                          f"{what} ({type(error).__name__}); {_UNCHANGED}")


def _call(what: str, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    from caldav.lib import error as dav_error  # noqa: PLC0415

    try:
        return function(*args, **kwargs)
    except (dav_error.DAVError, OSError, ValueError, SyntaxError) as error:
        raise _failure(error, what) from None


def _addresses(principal: Any) -> tuple[str, ...]:
    """The principal's e-mail addresses (``mailto:`` entries of calendar-user-address-set)."""
    from caldav.lib import error as dav_error  # noqa: PLC0415

    try:
        hrefs = principal.calendar_user_address_set()
    except (dav_error.DAVError, AssertionError):
        return ()
    found: dict[str, None] = {}
    for href in hrefs or ():
        text = unquote(str(href or "")).strip()
        if text.lower().startswith("mailto:") and "@" in text:
            found[text[7:].strip().lower()] = None
    return tuple(found)


def _name_of(calendar: Any) -> str:
    try:
        name = calendar.get_display_name()
    except Exception:  # a calendar without a readable name keeps its id
        name = None
    path = urlsplit(str(calendar.url)).path.rstrip("/")
    return str(name or unquote(path.rpartition("/")[2]) or "calendar")


def _has_events(calendar: Any) -> bool:
    try:
        components = calendar.get_supported_components()
    except Exception:  # not said: assume it may hold events
        return True
    return not components or "VEVENT" in components


def list_calendars(principal: Any) -> list[Calendar]:
    """The principal's calendars that can hold events, by name."""
    found = _call("calendar list", principal.calendars)
    calendars = [Calendar(str(c.url), _name_of(c)) for c in found if _has_events(c)]
    return sorted(calendars, key=lambda c: (c.name.lower(), c.url))


@dataclass(frozen=True)
class LoginResult:
    account: Account
    calendars: list[Calendar]

    @property
    def where(self) -> str:
        if self.account.secret_store == caldav_secret.KEYRING:
            return "in the system keyring"
        return (f"in {caldav_secret.password_path()} (readable by you only; no usable "
                "system keyring was found)")


def login(server_url: str, username: str, password: str, *,
          store_path: str | Path | None = None) -> LoginResult:
    """Check the credentials against the server, find the principal and its calendars,
    keep the password (`connectors.caldav_secret`) and remember the account."""
    server_url, username = server_url.strip(), username.strip()
    if not server_url or not username:
        raise UsageError("give the CalDAV server's address and your user name")
    if not password:
        raise UsageError("the CalDAV password is empty")
    client = _call("server address", client_factory, server_url, username, password)
    principal = _call("principal", client.principal)
    calendars = list_calendars(principal)
    old = caldav_store.load_account(store_path)
    if old is not None and (old.server_url, old.username) != (server_url, username):
        caldav_secret.delete_password(old.server_url, old.username)
    where = caldav_secret.save_password(server_url, username, password)
    account = Account(server_url, username, str(principal.url), _addresses(principal), where)
    caldav_store.save_account(account, path=store_path)
    with caldav_store.transaction(store_path) as connection:
        caldav_store.save_calendars(connection, calendars, clock.now())
    return LoginResult(account, calendars)


def logout(*, forget_data: bool = False, store_path: str | Path | None = None) -> bool:
    """Delete the saved password (and with ``forget_data`` the account and its events);
    True when there was a sign-in."""
    account = caldav_store.load_account(store_path)
    had = account is not None and caldav_secret.delete_password(account.server_url,
                                                                 account.username)
    if forget_data:
        caldav_store.forget_all(store_path)
    return had


def connect(*, store_path: str | Path | None = None) -> tuple[Account, Any]:
    """The saved account and a principal of it, signed in with the saved password."""
    account = caldav_store.load_account(store_path)
    if account is None:
        raise AuthError(NOT_SIGNED_IN)
    password = caldav_secret.load_password(account.server_url, account.username,
                                           account.secret_store)
    client = _call("server address", client_factory, account.server_url, account.username,
                   password)
    return account, _call("principal", client.principal)


# -------------------------------------------------------------------------- choosing


def _match(text: str, known: Sequence[Calendar]) -> Calendar:
    for calendar in known:
        if text in (calendar.url, calendar.collection_id):
            return calendar
    named = [c for c in known if c.name.lower() == text.lower()]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise UsageError(f"several CalDAV calendars are called {text!r}: name one by its id "
                         "(see `timeaudit caldav calendars`)")
    raise UsageError(f"unknown CalDAV calendar {text!r}: use a name or id that `timeaudit "
                     "caldav calendars` lists")


def resolve_calendars(requested: Sequence[str] | None, known: Sequence[Calendar], *,
                      store_path: str | Path | None = None) -> list[Calendar]:
    """The calendars named (names, ids or URLs), else the selected ones, else all."""
    if requested:
        return list({c.url: c for c in (_match(t, known) for t in requested)}.values())
    selected = caldav_store.selected_urls(store_path)
    if not selected:
        if not known:
            raise AuditError("the CalDAV account has no calendar with events")
        return list(known)
    by_url = {c.url: c for c in known}
    gone = [u for u in selected if u not in by_url]
    if gone:
        noun = "calendar is" if len(gone) == 1 else "calendars are"
        warnings.warn(f"{len(gone)} selected CalDAV {noun} no longer in the account and "
                      "skipped: choose again with `timeaudit caldav select`",
                      CalendarWarning, stacklevel=3)
    chosen = [by_url[u] for u in selected if u in by_url]
    if not chosen:
        raise AuditError("none of the selected CalDAV calendars is in the account: choose "
                         "with `timeaudit caldav select`")
    return chosen


# --------------------------------------------------------------------------- syncing


@dataclass(frozen=True)
class SyncProgress:
    """Where a sync is: for the CLI's progress line and the dashboard's."""

    calendar: Calendar
    index: int  # 1-based position among the calendars being synced
    total: int
    full: bool
    stage: str  # "listing", "fetching", "done"
    objects: int = 0

    @property
    def done(self) -> bool:
        return self.stage == "done"

    def __str__(self) -> str:
        what = "full sync" if self.full else "changes"
        tail = "" if self.done else f", {self.stage} …"
        return (f"[{self.index}/{self.total}] {self.calendar.label}: {what}, "
                f"{self.objects:,} objects{tail}")


@dataclass(frozen=True)
class SyncResult:
    calendar: Calendar
    full: bool
    method: str  # "sync-collection" or "etag"
    fetched: int  # objects downloaded
    removed: int  # objects deleted locally
    stored: int  # objects of the calendar in the store now

    def __str__(self) -> str:
        how = "full sync" if self.full else "incremental sync"
        removed = f", {self.removed:,} removed" if self.removed else ""
        return (f"{self.calendar.label}: {how} ({self.method}), {self.fetched:,} received"
                f"{removed}, {self.stored:,} stored")


Progress = Callable[[SyncProgress], None]


@dataclass
class _Changes:
    full: bool
    method: str
    changed: list[str]  # absolute hrefs to fetch
    removed: list[str]
    sync_token: str | None
    ctag: str | None
    etags: dict[str, str | None]  # href → ETag announced by the listing


def _href(url: Any) -> str:
    """The key of an object: its path, %-decoded (servers and the client differ in which
    characters they escape: ``a@b.ics`` and ``a%40b.ics`` are one object)."""
    return unquote(urlsplit(str(url)).path)


def _etag(props: Any) -> str | None:
    value = (props or {}).get("{DAV:}getetag")
    return str(value) if value else None


def _by_sync_token(dav_calendar: Any, label: str, token: str | None) -> _Changes | None:
    """RFC 6578 sync-collection; None when the server cannot do it."""
    from caldav.lib import error as dav_error  # noqa: PLC0415

    for attempt in ((token, None) if token else (None,)):
        try:
            result = dav_calendar.get_objects_by_sync_token(
                sync_token=attempt, load_objects=False, disable_fallback=True)
        except dav_error.DAVError as error:
            if isinstance(error, dav_error.AuthorizationError) and getattr(
                    error, "status", None) == 401:
                raise AuthError(REFUSED_LOGIN) from None
            if isinstance(error, dav_error.NotFoundError):
                raise _failure(error, label) from None
            continue  # an expired token: list everything; no support: ETags
        except (OSError, ValueError, SyntaxError) as error:
            raise _failure(error, label) from None
        new_token = getattr(result, "sync_token", None)
        if not new_token or str(new_token).startswith("fake-"):
            return None
        deleted = {_href(u) for u in getattr(result, "deleted_urls", ()) or ()}
        etags = {_href(o.url): _etag(getattr(o, "props", None)) for o in result.objects}
        changed = [href for href in etags if href not in deleted]
        return _Changes(full=attempt is None, method="sync-collection", changed=changed,
                        removed=sorted(deleted), sync_token=str(new_token), ctag=None,
                        etags=etags)
    return None


def _by_etags(dav_calendar: Any, label: str, state: caldav_store.SyncState | None,
              stored: dict[str, str | None], full: bool) -> _Changes:
    """ctag, then ETag comparison: for servers without sync-collection."""
    from caldav.elements import dav  # noqa: PLC0415
    from caldav.elements.base import ValuedBaseElement  # noqa: PLC0415

    class GetCtag(ValuedBaseElement):
        tag = _CTAG

    props = _call(label, dav_calendar.get_properties, [GetCtag()])
    ctag = props.get(_CTAG) if isinstance(props, dict) else None
    ctag = str(ctag) if ctag else None
    if not full and state is not None and ctag is not None and ctag == state.ctag:
        return _Changes(False, "etag", [], [], None, ctag, {})
    response = _call(label, dav_calendar.get_properties, [dav.GetEtag()], depth=1,
                     parse_response_xml=False)
    listed = _call(label, response.expand_simple_props, [dav.GetEtag()])
    own = _href(dav_calendar.url).rstrip("/")
    etags: dict[str, str | None] = {}
    for url, values in listed.items():
        href = _href(dav_calendar.url.join(url))
        if href.rstrip("/") == own:
            continue  # the collection itself
        etags[href] = _etag(values)
    if full or state is None:
        return _Changes(True, "etag", list(etags), [], None, ctag, etags)
    changed = [h for h, e in etags.items() if h not in stored or e is None or stored[h] != e]
    removed = [h for h in stored if h not in etags]
    return _Changes(False, "etag", changed, removed, None, ctag, etags)


def _fetch(dav_calendar: Any, label: str, hrefs: Sequence[str],
           etags: dict[str, str | None]) -> dict[str, StoredObject]:
    """calendar-multiget of ``hrefs`` in batches: href → object (VEVENT data only)."""
    from caldav.lib.url import URL  # noqa: PLC0415

    fetched: dict[str, StoredObject] = {}
    for offset in range(0, len(hrefs), MULTIGET_BATCH):
        batch = [dav_calendar.url.join(URL.objectify(quote(h, safe="/@:+,;=")))
                 for h in hrefs[offset:offset + MULTIGET_BATCH]]
        for obj in _call(label, dav_calendar.multiget, batch):
            href = _href(obj.url)
            etag = _etag(getattr(obj, "props", None)) or etags.get(href)
            data = obj.data or ""
            # a task or a journal is remembered by its ETag only: its text is not needed
            keep = data if "BEGIN:VEVENT" in data.upper() else ""
            fetched[href] = StoredObject(href, etag, keep)
    return fetched


def _sync_one(principal: Any, calendar: Calendar, state: caldav_store.SyncState | None, *,
              listed: Sequence[Calendar], full: bool, use_sync_collection: bool,
              store_path: str | Path | None, progress: Progress | None, index: int,
              total: int) -> SyncResult:
    def step(full: bool, stage: str, objects: int = 0) -> None:
        if progress is not None:
            progress(SyncProgress(calendar, index, total, full, stage, objects))

    label = calendar.label
    dav_calendar = _call(label, principal.calendar, cal_id=calendar.url)
    step(full or state is None, "listing")
    changes = None
    if use_sync_collection:
        token = None if full or state is None else state.sync_token
        changes = _by_sync_token(dav_calendar, label, token)
    if changes is None:
        stored = caldav_store.stored_etags(calendar.url, store_path)
        changes = _by_etags(dav_calendar, label, state, stored, full)
    step(changes.full, "fetching", len(changes.changed))
    fetched = _fetch(dav_calendar, label, changes.changed, changes.etags)
    # an href listed as changed but gone meanwhile goes
    removed = [*changes.removed, *(h for h in changes.changed if h not in fetched)]
    counts = caldav_store.write_sync(
        calendar, fetched, removed, full=changes.full, sync_token=changes.sync_token,
        ctag=changes.ctag, listed=listed, path=store_path)
    step(changes.full, "done", counts.stored)
    return SyncResult(calendar, changes.full, changes.method, len(fetched), counts.removed,
                      counts.stored)


def sync(calendars: Sequence[str] | None = None, *, full: bool = False,
         use_sync_collection: bool = True, store_path: str | Path | None = None,
         progress: Progress | None = None) -> list[SyncResult]:
    """Bring the store up to date with the server for the calendars named, else the
    selected (by default all).

    Each calendar is one transaction; when one fails, the ones before it stay synced and
    the error (one line) is raised. ``use_sync_collection=False`` forces the ctag/ETag
    comparison (what servers without RFC 6578 get).
    """
    _account, principal = connect(store_path=store_path)
    listed = list_calendars(principal)
    targets = resolve_calendars(calendars, listed, store_path=store_path)
    states = caldav_store.sync_states(store_path)
    return [
        _sync_one(principal, calendar, states.get(calendar.url), listed=listed, full=full,
                  use_sync_collection=use_sync_collection, store_path=store_path,
                  progress=progress, index=index, total=len(targets))
        for index, calendar in enumerate(targets, 1)
    ]


# --------------------------------------------------------------------------- reading


def merged_calendar(texts: Iterable[str]) -> bytes:
    """One VCALENDAR of the stored objects' VEVENTs and VTIMEZONEs (each TZID once).

    A line-level merge (no parse): the ICS reader parses the result once.
    """
    out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//timeaudit//caldav//EN"]
    zones: set[str] = set()
    for text in texts:
        depth, block, kind = 0, None, ""
        for line in text.splitlines():
            upper = line.upper()
            if upper.startswith("BEGIN:"):
                depth += 1
                if depth == 2:
                    block, kind = [], upper[6:].strip()
            if block is not None:
                block.append(line)
            if upper.startswith("END:"):
                if depth == 2 and block is not None:
                    if kind == "VEVENT":
                        out.extend(block)
                    elif kind == "VTIMEZONE":
                        tzid = next((b.partition(":")[2].strip() for b in block
                                     if b.upper().startswith("TZID")), "")
                        if tzid not in zones:
                            zones.add(tzid)
                            out.extend(block)
                    block = None
                depth -= 1
    out.append("END:VCALENDAR")
    return ("\r\n".join(out) + "\r\n").encode("utf-8")


def read_caldav(calendars: Sequence[str] | None = None, *, start: datetime | date,
                end: datetime | date, tz: str, owner_emails: Iterable[str] = (),
                sync_first: bool = False, store_path: str | Path | None = None,
                progress: Progress | None = None, use_cache: bool = True) -> pl.DataFrame:
    """The stored occurrences overlapping [start, end), as the frame of SPEC §3.

    ``calendars``: names, ids or URLs; None reads the selected calendars (by default all).
    Owner = the principal's addresses plus ``owner_emails``. Reading never contacts the
    server unless ``sync_first``.
    """
    from connectors.ics import read_ics  # noqa: PLC0415 - the one iCalendar mapping

    if sync_first:
        sync(calendars, store_path=store_path, progress=progress)
    account = caldav_store.load_account(store_path)
    known = caldav_store.stored_calendars(store_path)
    if account is None or not known:
        raise AuditError("no CalDAV calendar synced yet: run `timeaudit caldav login`, then "
                         "`timeaudit caldav sync` (or add --sync)")
    targets = resolve_calendars(calendars, known, store_path=store_path)
    states = caldav_store.sync_states(store_path)
    unsynced = [c for c in targets if c.url not in states]
    if len(unsynced) == len(targets):
        names = " and ".join(c.label for c in unsynced)
        raise AuditError(f"the CalDAV {names} has not been synced yet: run `timeaudit "
                         "caldav sync` (or add --sync)")
    for calendar in unsynced:
        warnings.warn(f"caldav: the {calendar.label} has not been synced yet and is left "
                      "out: run `timeaudit caldav sync`", CalendarWarning, stacklevel=2)
    owners = (*account.addresses, *owner_emails)
    frames = []
    for calendar in targets:
        if calendar.url not in states:
            continue
        data = merged_calendar(caldav_store.load_objects(calendar.url, store_path))
        frames.append(read_ics(data, start=start, end=end, tz=tz, owner_emails=owners,
                               source=f"caldav:{calendar.collection_id}",
                               calendar=calendar.name, use_cache=use_cache))
    return s.validate_events(s.merge_events(frames))
