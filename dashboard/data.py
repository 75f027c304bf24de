"""Cached loading for the dashboard: calendars read and audited a quarter at a time.

Switching weeks must neither read calendars again nor audit every week on its own, so
both happen in blocks aligned on a fixed grid of weeks (a week never straddles two)::

    reads    |<--- 13 weeks --->|<--- 13 weeks --->|<--- 13 weeks --->| …
    audits   |<--- 13 weeks --->|<--- 13 weeks --->|<--- 13 weeks --->| …
    trend                 [w-11 … w-1][w]    (12 weeks: one or two blocks)

* `load_block` — a quarter of every source (sources fingerprint, first week, time zone,
  owner e-mails). A quarter, not a year: the ICS reader keeps each file split and each
  series parsed in memory (`connectors.ics`), so a read costs what the window holds —
  for a ten-year calendar, parsing a year's one-off events was most of a jump to a year
  not read yet (≈ 4 s), a quarter's a fraction of it;
* `block_audit` — one `run_audit` per 13-week block, keyed by the settings and by the
  overrides that touch the block's events; the chosen week is cut out of it
  (`audit.engine.slice_audit`: equal to auditing the week alone, which the tests check,
  except that calendar defaults are inferred from the whole block's events,
  docs/classification.md);
* `block_patterns` — that audit regrouped per week (trend figures); `block_hourly` — its
  hourly work (the heat map), only once the heat map asks, after the numbers;
* before the numbers only the blocks of the chosen week and the week before are read and
  audited; the trend's earlier block when the views below the numbers ask (`load_week`).

So moving a week costs a slice and the drawing; stepping into the next quarter costs one
block audit; an override recomputes only the blocks whose events it touches; a settings
change recomputes the one or two blocks on screen. Large, read-only results are resource
caches (shared, not copied on every rerun); small ones are data caches.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import threading
import warnings
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar

import polars as pl
import streamlit as st

from audit.config import WEEKDAYS, Config
from audit.domains import EVENT_SCOPE, SERIES_SCOPE
from audit.engine import Audit, audit_window, run_audit, slice_audit
from connectors import cache
from connectors.ics import read_ics
from connectors.url import fetch_calendar
from core import schema as s
from core.errors import AuditError
from core.period import Period
from dashboard import heap
from dashboard.figures import hourly_work, weekly_figures

READ_WEEKS = 13   # a quarter of calendar read at once
BLOCK_WEEKS = 13  # a quarter audited at once (READ_WEEKS is a multiple of it)
TREND_WEEKS = 12
_ANCHOR = date(2001, 1, 1)  # a Monday
T = TypeVar("T")
# The disk cache writes of the reads so far, written by `write_behind` (see `load_block`).
_PENDING: list[Callable[[], None]] = []
_PENDING_LOCK = threading.Lock()
_WRITER = threading.Lock()  # one writing thread at a time: entries written in read order


@dataclass(frozen=True)
class SourceSpec:
    """What to read, with fingerprints so a changed file or a new sync reads again."""

    files: tuple[tuple[str, str], ...] = ()   # (path, "mtime_ns-size")
    urls: tuple[str, ...] = ()
    google: tuple[tuple[str, str], ...] = ()  # (calendar id, last sync)
    refresh: int = 0                          # bumped by "Reload calendars"
    microsoft: tuple[tuple[str, str], ...] = ()  # (calendar id, last sync)
    caldav: tuple[tuple[str, str], ...] = ()  # (calendar URL, last sync)

    def __bool__(self) -> bool:
        return bool(self.files or self.urls or self.google or self.microsoft or self.caldav)

    def key(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_key(cls, key: str) -> SourceSpec:
        raw = json.loads(key)
        return cls(tuple(map(tuple, raw["files"])), tuple(raw["urls"]),
                   tuple(map(tuple, raw["google"])), raw["refresh"],
                   microsoft=tuple(map(tuple, raw.get("microsoft", ()))),
                   caldav=tuple(map(tuple, raw.get("caldav", ()))))


def file_entry(path: Path) -> tuple[str, str]:
    try:
        info = path.stat()
    except OSError:
        return str(path), "missing"
    return str(path), f"{info.st_mtime_ns}-{info.st_size}"


@dataclass(frozen=True)
class Block:
    start: date
    events: pl.DataFrame
    warnings: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def block_start(day: date, week_start: str, weeks: int = BLOCK_WEEKS) -> date:
    """The first day of the ``weeks``-long block that holds the week starting on ``day``."""
    anchor = _ANCHOR + timedelta(days=WEEKDAYS.index(week_start))
    offset = (day - anchor).days // 7
    return anchor + timedelta(weeks=offset - offset % weeks)


def block_period(start: date, timezone: str, weeks: int = BLOCK_WEEKS) -> Period:
    return Period(start, start + timedelta(weeks=weeks), timezone)


@st.cache_data(show_spinner=False, ttl=3600, max_entries=64)
def fetch_link(url: str, refresh: int) -> tuple[bytes | None, str | None, str, str | None,
                                                tuple[str, ...]]:
    """A calendar link's bytes, once per session of reading (``refresh`` fetches again).

    Returns (data, charset, source, error, warnings); failures are cached too, so a dead
    link costs one time-out, not one per click.
    """
    del refresh  # part of the cache key only
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            got = fetch_calendar(url)
        except AuditError as error:
            return None, None, url, str(error), ()
    return got.data, got.charset, got.source, None, tuple(str(w.message) for w in caught)


@st.cache_resource(show_spinner="Reading your calendars …", max_entries=16)
def load_block(spec_key: str, start: date, timezone: str, owners: tuple[str, ...]) -> Block:
    """Every occurrence of the ``READ_WEEKS`` from ``start`` in every source; a source that fails is
    reported in ``errors`` and the others are still read."""
    spec = SourceSpec.from_key(spec_key)
    period = audit_window(block_period(start, timezone, READ_WEEKS))
    lo, hi = period.utc_bounds()
    common = {"start": lo, "end": hi, "tz": timezone, "owner_emails": owners}
    frames: list[pl.DataFrame] = []
    errors: list[str] = []
    notes: list[str] = []
    # The readers' disk cache writes (≈ 0.03–0.05 s a quarter) wait until the numbers are
    # out (`write_behind`); this process keeps what it read in memory meanwhile.
    with warnings.catch_warnings(record=True) as caught, cache.writes_deferred() as pending:
        warnings.simplefilter("always")
        for path, _ in spec.files:
            try:
                frames.append(read_ics(Path(path), **common))
            except AuditError as error:
                errors.append(str(error))
        for url in spec.urls:
            data, charset, source, error, fetched = fetch_link(url, spec.refresh)
            notes.extend(fetched)
            if error is not None or data is None:
                errors.append(error or f"{url}: nothing was downloaded")
                continue
            try:
                frames.append(read_ics(data, source=source, charset=charset, **common))
            except AuditError as error:
                errors.append(str(error))
        # the synced connectors are imported when used: a first page on files only (the
        # sample) does not wait for them
        if spec.google:
            from connectors.google import read_google  # noqa: PLC0415
            try:
                frames.append(read_google([cid for cid, _ in spec.google], start=lo, end=hi,
                                          tz=timezone))
            except AuditError as error:
                errors.append(str(error))
        if spec.microsoft:
            from connectors.graph import read_microsoft  # noqa: PLC0415
            try:
                frames.append(read_microsoft([cid for cid, _ in spec.microsoft], **common))
            except AuditError as error:
                errors.append(str(error))
        if spec.caldav:
            from connectors.caldav import read_caldav  # noqa: PLC0415
            try:
                frames.append(read_caldav([url for url, _ in spec.caldav], **common))
            except AuditError as error:
                errors.append(str(error))
    with _PENDING_LOCK:
        _PENDING.extend(pending)
    notes.extend(str(w.message) for w in caught)
    events = s.validate_events(s.merge_events(frames))
    heap.keep_read()  # what was read stays out of the collector's full passes (dashboard.heap)
    return Block(start, events, tuple(dict.fromkeys(notes)), tuple(errors))


def write_behind() -> None:
    """Write the queued disk cache entries of `load_block` in a background thread (called
    once the numbers are sent). Each write is atomic and swallows its own failure: one
    that fails, or never runs because the server stops, leaves the cache as it was. The
    same thread runs the garbage collector's full pass when one is due (`dashboard.heap`)."""
    with _PENDING_LOCK:
        if not _PENDING and not heap.tidy_due():
            return
    threading.Thread(target=_write_pending, name="timeaudit-cache-writes",
                     daemon=True).start()


def _write_pending() -> None:
    with _WRITER:  # a second thread waits and writes what came after, in order
        while True:
            with _PENDING_LOCK:
                if not _PENDING:
                    break
                write = _PENDING.pop(0)
            with contextlib.suppress(Exception):  # a cache that cannot be written is no error
                write()
        heap.tidy()


def week_slice(events: pl.DataFrame, period: Period) -> pl.DataFrame:
    """The occurrences that touch ``period`` (the rule `run_audit` applies)."""
    lo, hi = period.utc_bounds()
    return events.filter((pl.col(s.START) < hi)
                         & ((pl.col(s.END) > lo) | (pl.col(s.START) >= lo)))


def relevant_overrides(overrides: pl.DataFrame, events: pl.DataFrame) -> pl.DataFrame:
    """The overrides that apply to some occurrence of ``events``."""
    if overrides.is_empty():
        return overrides
    ids = events[s.EVENT_ID].unique().implode()
    series = events[s.SERIES_ID].drop_nulls().unique().implode()
    return overrides.filter(
        ((pl.col("scope") == EVENT_SCOPE) & pl.col("key").is_in(ids))
        | ((pl.col("scope") == SERIES_SCOPE) & pl.col("key").is_in(series))
    ).sort("scope", "key")


def frame_key(frame: pl.DataFrame) -> str:
    """A short, stable fingerprint of a small frame's content."""
    return hashlib.sha256(frame.write_csv().encode()).hexdigest()[:16]


@st.cache_resource(show_spinner=False, max_entries=16)
def block_audit(start: date, timezone: str, spec_key: str, config_key: str,
                overrides_key: str, _events: pl.DataFrame, _config: Config,
                _overrides: pl.DataFrame) -> Audit:
    """The audit of a whole block in one `run_audit` call; weeks are sliced out of it
    (`audit.engine.slice_audit`). The underscore arguments are not hashed: the keys
    before them say everything they depend on. A resource cache, not a data cache: the
    audit is read-only and large, and a data cache would copy it on every rerun."""
    del spec_key, config_key, overrides_key
    return run_audit(_events, _config, block_period(start, timezone), _overrides)


@st.cache_data(show_spinner=False, max_entries=32)
def block_patterns(start: date, timezone: str, spec_key: str, config_key: str,
                   overrides_key: str, _audit: Audit) -> pl.DataFrame:
    """Per-week figures of a block (the trend, and the numbers' comparisons)."""
    del start, timezone, spec_key, config_key, overrides_key
    return weekly_figures(_audit)


@st.cache_data(show_spinner=False, max_entries=32)
def block_hourly(start: date, timezone: str, spec_key: str, config_key: str,
                 overrides_key: str, _audit: Audit) -> pl.DataFrame:
    """Hourly work of a block (the heat map): worked out when the heat map asks for it,
    after the numbers (`Week.hourly_frame`)."""
    del start, timezone, spec_key, config_key, overrides_key
    return hourly_work(_audit)


@dataclass(frozen=True)
class Week:
    """Everything the views show for the chosen week.

    What only the views below the numbers need may be left for later: a field given as a
    function is worked out when first asked (`trend`, `hourly_frame`, `warnings`,
    `errors`), after the numbers (`load_week`)."""

    period: Period
    audit: Audit
    # `weekly_figures` of the 12 weeks ending with the chosen one (`trend`)
    trend_frame: pl.DataFrame | Callable[[], pl.DataFrame]
    # `hourly_work` of those weeks (`hourly_frame`)
    hourly: pl.DataFrame | Callable[[], pl.DataFrame]
    read_warnings: tuple[str, ...] | Callable[[], tuple[str, ...]]  # (`warnings`)
    read_errors: tuple[str, ...] | Callable[[], tuple[str, ...]]    # (`errors`)
    previous_audit: Audit | None = None  # the week before (the report's comparison)
    # a fingerprint of everything the above depends on (sources, settings, overrides,
    # week): the views keep what they derive from a week under it (`derived`); "" for a
    # week not kept by `kept_week` (nothing kept)
    key: str = ""
    # `weekly_figures` of the chosen and the previous week at least (`current`,
    # `previous`), known before the numbers; None: take them from `trend`
    near: pl.DataFrame | None = None

    def hourly_frame(self) -> pl.DataFrame:
        """`hourly`, worked out now if it was left for later (`load_week`)."""
        return _now(self.hourly)

    @property
    def trend(self) -> pl.DataFrame:
        return _now(self.trend_frame)

    @property
    def warnings(self) -> tuple[str, ...]:
        return _now(self.read_warnings)

    @property
    def errors(self) -> tuple[str, ...]:
        return _now(self.read_errors)

    @property
    def current(self) -> dict:
        figures = self.trend if self.near is None else self.near
        rows = figures.filter(pl.col("week") == self.period.start)
        return rows.row(0, named=True)

    @property
    def previous(self) -> dict | None:
        figures = self.trend if self.near is None else self.near
        rows = figures.filter(pl.col("week") == self.period.start - timedelta(days=7))
        return rows.row(0, named=True) if rows.height else None


def _now(value: T | Callable[[], T]) -> T:
    return value() if callable(value) else value


def kept_week(spec: SourceSpec, config: Config, config_key: str, period: Period,
              overrides: pl.DataFrame) -> Week:
    """`load_week`, kept per week with its `Week.key`: going back to a week seen before
    costs a look-up, and the views keep what they derive from it (`derived`)."""
    return _kept_week(spec.key(), config_key, period.start, period.end, period.timezone,
                      frame_key(overrides), spec, config, overrides)


@st.cache_resource(show_spinner=False, max_entries=64)
def _kept_week(spec_key: str, config_key: str, start: date, end: date, timezone: str,
               overrides_key: str, _spec: SourceSpec, _config: Config,
               _overrides: pl.DataFrame) -> Week:
    """`kept_week`; the keys before the underscore arguments say everything they hold."""
    week = load_week(_spec, _config, config_key, Period(start, end, timezone), _overrides)
    key = repr((spec_key, config_key, start, end, timezone, overrides_key))
    return dataclasses.replace(week, key=hashlib.sha256(key.encode()).hexdigest()[:16])


def load_week(spec: SourceSpec, config: Config, config_key: str, period: Period,
              overrides: pl.DataFrame) -> Week:
    """The chosen week's audit, with the trend of the weeks before it.

    Only the blocks of the chosen week and of the week before are read and audited now
    (the numbers and their changes); the trend's earlier block — in 11 of 13 week
    positions the 12 weeks reach into one — is read and audited when the views below the
    numbers first ask for the trend, the heat map's hours or the reading notes."""
    timezone, owners = period.timezone, tuple(config.owner_emails)
    spec_key = spec.key()
    weeks = [period.start - timedelta(weeks=i) for i in range(TREND_WEEKS - 1, -1, -1)]
    firsts = list(dict.fromkeys(block_start(week, config.week_start) for week in weeks))
    reads: dict[date, Block] = {}
    audits: dict[date, tuple] = {}

    def audited(first: date) -> tuple:
        """The block from ``first``: its cache keys, then its audit (once per `load_week`)."""
        if first not in audits:
            quarter = block_start(first, config.week_start, READ_WEEKS)
            if quarter not in reads:
                reads[quarter] = load_block(spec_key, quarter, timezone, owners)
            events = week_slice(reads[quarter].events,
                                audit_window(block_period(first, timezone)))
            touching = relevant_overrides(overrides, events)
            keys = (first, timezone, spec_key, config_key, frame_key(touching))
            audits[first] = (*keys, block_audit(*keys, events, config, touching))
        return audits[first]

    before = period.previous()
    chosen, before_first = (block_start(day, config.week_start)
                            for day in (period.start, before.start))
    near = [first for first in firsts if first in (chosen, before_first)]
    near_figures = pl.concat([block_patterns(*audited(first)) for first in near])
    in_range = pl.col("week").is_between(weeks[0], weeks[-1])

    def every_read() -> list[Block]:
        for first in firsts:
            audited(first)
        return [reads[quarter] for quarter in sorted(reads)]

    before_block = audits.get(before_first)
    return Week(
        period=period,
        audit=slice_audit(audited(chosen)[-1], period),
        trend_frame=functools.cache(lambda: pl.concat(
            [block_patterns(*audited(first)) for first in firsts]).filter(in_range).sort("week")),
        # the heat map's hours are not among the numbers: worked out after them, once
        hourly=functools.cache(lambda: pl.concat(
            [block_hourly(*audited(first)) for first in firsts]).filter(in_range)),
        read_warnings=functools.cache(lambda: tuple(dict.fromkeys(
            w for block in every_read() for w in block.warnings))),
        read_errors=functools.cache(lambda: tuple(dict.fromkeys(
            e for block in every_read() for e in block.errors))),
        previous_audit=None if before_block is None else slice_audit(before_block[-1], before),
        near=near_figures,
    )


def derived(week: Week, compute: Callable[..., T], *params: Hashable) -> T:
    """``compute(week, *params)`` — what a view derives from a week — once per week: a week
    seen before is drawn from what was kept. Kept as it is (a resource cache, not copied):
    what it returns must be read, never changed."""
    if not week.key:
        return compute(week, *params)
    return _derived(f"{compute.__module__}.{compute.__qualname__}", week.key, params,
                    compute, week)


@st.cache_resource(show_spinner=False, max_entries=512)
def _derived(name: str, key: str, params: tuple, _compute: Callable[..., T],
             _week: Week) -> T:
    del name, key  # the cache key only (with params)
    return _compute(_week, *params)
