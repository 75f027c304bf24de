"""ICS files and bytes → the normalized event frame (SPEC §3): the public API.

`read_ics` reads one calendar. Parsing and the repairs of producer mistakes live in
`connectors.ics_parse`, the bounded recurrence walk in `connectors.ics_walk`, plain
series expanded as columns in `connectors.ics_plain` (the only modules that use
icalendar, recurring-ical-events, x-wr-timezone and dateutil, each imported inside the
function that needs it); this module holds:

* the public API (`read_ics` and `read_file_bytes`, from `connectors.ics_file` where a
  read the cache answers stops; the bounds other modules import);
* `read_uncached`: the rest of a read, when the cache did not answer;
* the frame: each entry's occurrences paired with its VEVENT's static fields, columns
  built as epoch-microsecond integers, then cast;
* reading a split calendar (`connectors.ics_split`): each UID group parsed and expanded
  once per content, kept in memory and in the disk cache of groups
  (`connectors.group_cache`); whole results are cached as Parquet (`connectors.cache`).
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import threading
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

import polars as pl

from connectors import cache, group_cache, ics_parse, ics_plain, ics_single
from connectors.ics_file import (  # the front of a read: the API, re-exported
    MAX_FILE_BYTES,
    Read,
    _too_large,
    read_file_bytes,
    read_ics,
)
from connectors.ics_parse import (
    _EPOCH,
    _US,
    _Entry,
    _Group,
    _Parsed,
    _prepare,
    _read_static,
    _repair_text,
    _series_errors,
    _Skipped,
    _Static,
    _static_of,
    _stem,
    _utc_us,
    parse_calendar,
)
from connectors.ics_split import Split, group_digest, groups_in_window, split_calendar
from connectors.ics_walk import _WORK, MAX_OCCURRENCES_PER_SERIES, MAX_STEPS_PER_FILE, _Work
from connectors.text import decode_calendar_bytes
from core import schema as s
from core.errors import CalendarWarning, InvalidCalendar

if TYPE_CHECKING:
    import icalendar
    import recurring_ical_events

# icalendar, recurring-ical-events, x-wr-timezone, dateutil and pyarrow are imported where
# a calendar is parsed, not here: a read answered from the cache needs none of them
# (≈ 0.25 s of the 0.8 s a cached `timeaudit report --sample` took; issue 16).

# Floating and all-day times are only known once placed in the audit zone, so the
# libraries are asked for a window wider by the largest UTC offset, then cut exactly.
_WINDOW_SLACK = timedelta(hours=27)


# ------------------------------------------------------------------- the frame


def _occurrence_rows(entries: Iterable[_Entry], skipped: _Skipped, start: datetime,
                     end: datetime, zone: tzinfo, owners: frozenset[str],
                     cols: dict[str, list] | None = None) -> dict[str, list]:
    """Expand every entry over [start, end) into column lists (one entry per occurrence).

    The step budget of the read in progress (`_WORK`) is used when one is set (the caller
    then collects what was cut); otherwise this is a read of its own."""
    cols = defaultdict(list) if cols is None else cols
    statics: dict[int, tuple[_Static, str]] = {}
    span_start, span_end = _moved(start, -_WINDOW_SLACK), _moved(end, _WINDOW_SLACK)
    errors = _series_errors()
    own = _WORK.get() is None
    work = _Work() if own else _WORK.get()
    token = _WORK.set(work) if own else None
    try:
        for entry in entries:
            if entry.single is not None:
                adapter = entry.single
                try:
                    occurrences = [_Single(adapter, adapter.start, adapter.end)]
                except errors:
                    skipped.reasons["invalid recurrence"] += 1
                    continue
                _add_rows(cols, statics, occurrences, False, skipped, zone, owners)
                continue
            try:
                plain = ics_plain.plain_occurrences(entry.series, span_start, span_end) \
                    if entry.recurring else None
                occurrences = list(entry.series.between(span_start, span_end)) \
                    if plain is None else plain
            except errors:
                skipped.reasons["invalid recurrence"] += entry.size
                continue
            if plain is None:
                _add_rows(cols, statics, occurrences, entry.recurring, skipped, zone, owners)
                continue
            for segment in plain:  # rows of the rule's dates, or an override's occurrence
                if isinstance(segment, ics_plain.Rows):
                    _add_plain_rows(cols, segment, skipped, zone, owners)
                else:
                    _add_rows(cols, statics, [segment], True, skipped, zone, owners)
    finally:
        if token is not None:
            _WORK.reset(token)
    if own:
        skipped.cut_series |= work.cut_series - work.file_cut
        skipped.file_cut |= work.file_cut
    return cols


@dataclass(frozen=True, slots=True)
class _Single:
    """The one occurrence of a one-off event, shaped like the library's `Occurrence`."""

    _adapter: Any
    start: date
    end: date


def _moved(instant: datetime, by: timedelta) -> datetime:
    """``instant + by``, kept a day inside the years datetime can hold (0001–9999), so
    that the libraries can still convert it to any zone."""
    low, high = datetime(1, 1, 2, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)
    try:
        return min(max(instant + by, low), high)
    except OverflowError:
        return high if by > timedelta(0) else low


def _static_and_uid(statics: dict[int, tuple[_Static, str]], adapter: Any,
                    skipped: _Skipped, zone: tzinfo, owners: frozenset[str],
                    ) -> tuple[_Static, str]:
    """The VEVENT's static fields and UID, read once per VEVENT (the adapter would look the
    UID up in the component for every occurrence)."""
    component = adapter._component
    known = statics.get(id(component))
    if known is None:
        fields = getattr(adapter, "fields", None)  # a one-off event read from its text
        if fields is not None:
            static = _static_of(fields, owners, zone)
        else:
            static = _read_static(component, owners, zone)
            _note_unknown_zone(component, skipped)
        known = statics[id(component)] = (static, adapter.uid)
    return known


def _add_plain_rows(cols: dict[str, list], rows: ics_plain.Rows, skipped: _Skipped,
                    zone: tzinfo, owners: frozenset[str]) -> None:
    """`_add_rows` for the rule's dates of a plain series (`connectors.ics_plain`): the
    same columns from its epoch microseconds. The core's static fields are kept with the
    series for the next window (a dashboard reads a series once per quarter)."""
    statics = rows.plan.statics.setdefault((owners, zone), {})
    static, uid = _static_and_uid(statics, rows.plan.core, skipped, zone, owners)
    n = len(rows.start)
    cols["event_id"].extend(rows.event_id)
    cols["series_id"].extend([uid] * n)
    cols["start"].extend(rows.start)
    cols["end"].extend(map(max, rows.end, rows.start))
    cols["all_day"].extend([False] * n)
    cols["static"].extend([static] * n)


def _add_rows(cols: dict[str, list], statics: dict[int, tuple[_Static, str]],
              occurrences: list,
              recurring: bool, skipped: _Skipped, zone: tzinfo,
              owners: frozenset[str]) -> None:
    for occurrence in occurrences:
        adapter = occurrence._adapter
        static, uid = _static_and_uid(statics, adapter, skipped, zone, owners)
        begin, finish = occurrence.start, occurrence.end
        all_day = not isinstance(begin, datetime)
        try:
            start_us = _utc_us(begin, zone)
            if all_day:
                # DTEND equal to DTSTART on a DATE (Calendar Labs) is shown as one day.
                end_us = _utc_us(finish if finish > begin else begin + timedelta(days=1),
                                 zone)
            else:
                end_us = _utc_us(finish, zone)
            event_id = f"{uid}@{_original_start(occurrence, adapter, zone)}" if recurring \
                else uid
        except OverflowError:  # a time at the end of year 9999 in a zone east of UTC
            skipped.reasons["date out of range"] += 1
            continue
        end_us = max(end_us, start_us)
        cols["event_id"].append(event_id)
        cols["series_id"].append(uid if recurring else None)
        cols["start"].append(start_us)
        cols["end"].append(end_us)
        cols["all_day"].append(all_day)
        cols["static"].append(static)


def _note_unknown_zone(component: icalendar.Component, skipped: _Skipped) -> None:
    """A TZID that is neither defined nor known becomes a floating time: say so."""
    prop = component.get("DTSTART")
    value = getattr(prop, "dt", None)
    if isinstance(value, datetime) and value.tzinfo is None and "TZID" in prop.params:
        skipped.unknown_zones.add(str(prop.params["TZID"]))


def _original_start(occurrence: recurring_ical_events.Occurrence,
                    adapter: recurring_ical_events.EventAdapter, zone: tzinfo) -> str:
    """The instance's original start (its RECURRENCE-ID) in UTC ISO form, or a date.

    An override keeps the RECURRENCE-ID it replaces; an instance generated from the rule
    (or from a RANGE=THISANDFUTURE override used as a template) starts where the rule put
    it, before the template's move. All-day instances are identified by their date, which
    does not change with the audit zone.
    """
    is_override_itself = adapter.is_modification() and occurrence.start == adapter.start \
        and occurrence.end == adapter.end
    if is_override_itself:
        original = adapter._component["RECURRENCE-ID"].dt
    else:
        original = occurrence.start - adapter.move_recurrences_by
    if not isinstance(original, datetime):
        return original.isoformat()
    if original.tzinfo is None:
        original = original.replace(tzinfo=zone)
    return s.utc_stamp(original)


_JOIN = "\x1f"


def _string_lists(values: list[list[str]]) -> pl.Series:
    """A List(String) column: the lists joined into one string each and split again by
    Polars (0.05 s for 133k rows; building it from Python lists took 1.7 s, and through
    pyarrow imported pyarrow, numpy and pandas: ≈ 0.6 s)."""
    if any(_JOIN in item for items in values for item in items):
        return pl.Series(values, dtype=pl.List(pl.String))
    joined = pl.Series([_JOIN.join(items) if items else None for items in values],
                       dtype=pl.String)
    return joined.str.split(_JOIN).fill_null([])


# The columns of `_raw_frame`: one row per expanded occurrence, before the window's filter,
# times as epoch microseconds (what the disk cache of groups keeps, connectors.group_cache).
RAW_SCHEMA = pl.Schema({
    s.EVENT_ID: pl.String, s.SERIES_ID: pl.String, s.START: pl.Int64, s.END: pl.Int64,
    s.ALL_DAY: pl.Boolean, s.TITLE: pl.String, s.DESCRIPTION: pl.String,
    s.LOCATION: pl.String, s.STATUS: pl.String, s.RESPONSE: pl.String,
    s.BUSY: pl.Boolean, s.KIND: pl.String, s.ATTENDEES: pl.Int32, s.ORGANIZER: pl.String,
    s.ATTENDEE_DOMAINS: pl.List(pl.String), s.CATEGORIES: pl.List(pl.String),
    s.COLOR: pl.String, s.CREATED: pl.Int64,
})


def _raw_frame(cols: dict[str, list]) -> pl.DataFrame:
    """The expanded rows as a frame (`RAW_SCHEMA`), in their order."""
    statics: list[_Static] = cols.get("static", [])
    if not statics:
        return pl.DataFrame(schema=RAW_SCHEMA)

    # The fields every occurrence of a VEVENT shares are built once per VEVENT and
    # gathered per row (a 10-year file: 547k rows, 26k VEVENTs).
    position: dict[int, int] = {}
    distinct: list[_Static] = []
    rows_static = []
    for static in statics:
        at = position.get(id(static))
        if at is None:
            at = position[id(static)] = len(distinct)
            distinct.append(static)
        rows_static.append(at)

    def column(attr: str) -> list:
        return [getattr(x, attr) for x in distinct]

    shared = pl.DataFrame({
        s.TITLE: pl.Series(column("title"), dtype=pl.String),
        s.DESCRIPTION: pl.Series(column("description"), dtype=pl.String),
        s.LOCATION: pl.Series(column("location"), dtype=pl.String),
        s.STATUS: pl.Series(column("status"), dtype=pl.String),
        s.RESPONSE: pl.Series(column("response"), dtype=pl.String),
        s.BUSY: pl.Series(column("busy"), dtype=pl.Boolean),
        s.KIND: pl.Series(column("kind"), dtype=pl.String),
        s.ATTENDEES: pl.Series(column("attendees"), dtype=pl.Int32),
        s.ORGANIZER: pl.Series(column("organizer"), dtype=pl.String),
        s.ATTENDEE_DOMAINS: _string_lists(column("domains")),
        s.CATEGORIES: _string_lists(column("categories")),
        s.COLOR: pl.Series(column("color"), dtype=pl.String),
        s.CREATED: pl.Series(column("created"), dtype=pl.Int64),
    })[pl.Series(rows_static, dtype=pl.UInt32)]
    return pl.DataFrame({
        s.EVENT_ID: pl.Series(cols["event_id"], dtype=pl.String),
        s.SERIES_ID: pl.Series(cols["series_id"], dtype=pl.String),
        s.START: pl.Series(cols["start"], dtype=pl.Int64),
        s.END: pl.Series(cols["end"], dtype=pl.Int64),
        s.ALL_DAY: pl.Series(cols["all_day"], dtype=pl.Boolean),
    }).hstack(shared)


def _finish_frame(raw: pl.DataFrame, source: str, calendar_name: str, start: datetime,
                  end: datetime) -> pl.DataFrame:
    """The event frame of SPEC §3 from the expanded rows: exactly the occurrences of
    [start, end), one per (event_id, start)."""
    n = raw.height
    if n == 0:
        return s.empty_events()
    frame = pl.DataFrame({
        s.SOURCE: pl.Series([source], dtype=pl.String).new_from_index(0, n),
        s.CALENDAR: pl.Series([calendar_name], dtype=pl.String).new_from_index(0, n),
    }).hstack(raw)
    return (
        frame.with_columns(pl.col(s.START, s.END, s.CREATED).cast(s.UTC_INSTANT))
        .filter(s.overlapping(start, end))  # exactly the occurrences of [start, end)
        .pipe(s.one_per_occurrence)
        .select(s.COLUMNS)
    )


# ------------------------------------------------------------------- public API


def read_uncached(read: Read, *, use_cache: bool = True,
                  progress: Callable[[str], None] | None = None) -> pl.DataFrame:
    """`read_ics` (`connectors.ics_file`) when the cache did not answer: split, parse and
    expand what the window needs, then keep the frame in the cache."""
    data, content, key, source, label = read.data, read.content, read.key, read.source, read.label
    calendar, charset, zone, zone_name = read.calendar, read.charset, read.zone, read.zone_name
    window_start, window_end, owners = read.start, read.end, read.owners
    if len(data) > MAX_FILE_BYTES:
        raise InvalidCalendar(_too_large(len(data)), source=label)
    if progress and len(data) > 1_000_000:
        progress(f"{source}: reading {len(data) / 1e6:.1f} MB")
    with _collector_paused():
        text, split = _split_of(data, content.hexdigest(), charset)
        got = None
        if split is not None:
            got = _read_split(split, source=source, calendar=calendar, zone=zone,
                              zone_name=zone_name, owners=owners, start=window_start,
                              end=window_end, label=label, use_cache=use_cache)
        if got is None:  # a file of unusual structure, or one that does not parse in parts
            text = text or decode_calendar_bytes(data, charset)
            parsed = _prepare(text, source, calendar, zone, label)
            skipped = parsed.fresh_skipped()
            cols = _occurrence_rows(parsed.series, skipped, window_start, window_end, zone,
                                    owners)
            got = _raw_frame(cols), parsed.calendar_name, skipped
    raw, name, skipped = got
    frame = s.validate_events(_finish_frame(raw, source, name, window_start, window_end))
    if progress and len(data) > 1_000_000:
        progress(f"{source}: {frame.height:,} occurrences")
    messages = skipped.warn(source)
    if use_cache:
        cache.store(key, frame, messages)
    return frame


# Python's cyclic garbage collector paused while a calendar is parsed and expanded. A read
# allocates hundreds of thousands of small objects, almost none of them in cycles, and
# each allocation burst triggers collections whose oldest generation walks every object
# the process holds (the dashboard's: Streamlit, the splits and parsed series kept here).
# A new year of a ten-year calendar (two quarters): 0.26–0.49 s of 1.4–1.7 s CPU was
# collection. Reference counting still frees everything else; a cycle made meanwhile
# waits for the next collection. Reads run in several threads (the dashboard): the
# collector is paused while any read runs and enabled again when the last one ends,
# only if it was enabled before the first.
_PAUSE_LOCK = threading.Lock()
_pauses = 0
_was_enabled = False


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    global _pauses, _was_enabled  # noqa: PLW0603 - one pause shared by the reading threads
    with _PAUSE_LOCK:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


# ------------------------------------------------------- reading a split calendar
#
# The file is split into components as text (connectors.ics_split); one-off events the
# window cannot see are dropped unparsed; the rest is grouped by UID (a series with its
# overrides) and each group is parsed, and expanded, once per content: a group's key is
# the digest of its own text and of what else changes its meaning (the calendar's
# properties and VTIMEZONEs, the audit zone, the source). So flipping to another window
# parses only groups not seen yet, and a calendar with one VEVENT changed parses that
# one group again (docs/ingest.md "Caching").


@dataclass
class _Rows:
    """One group's occurrences for one window (and owner set), as column lists."""

    cols: dict[str, list]
    skipped: _Skipped
    steps: int


# In-process caches (the dashboard reads calendars again and again in one process),
# bounded by the text parsed (≈ 50 bytes of objects per byte of text) and by rows.
_GROUPS: OrderedDict[str, _Group] = OrderedDict()
_GROUP_CHARS_LIMIT = 24_000_000
_group_chars = 0
_ROWS: OrderedDict[tuple, _Rows] = OrderedDict()
_ROWS_LIMIT = 2_000_000
_row_count = 0
_NAMES: dict[tuple[str, str | None, str], str] = {}
_LOCK = threading.Lock()  # the dashboard reads calendars from several threads


# The same bytes split once per process: the dashboard reads a file again for every new
# window (another quarter or year), and decoding, repairing and splitting a ten-year
# calendar (≈ 1.5 s) costs more than expanding its series over a quarter. Bounded by the
# bytes of the files kept, least recently used dropped first.
_SPLITS: OrderedDict[tuple[str, str | None], tuple[Split, int]] = OrderedDict()
_SPLIT_BYTES_LIMIT = 64_000_000
_split_bytes = 0


def _split_of(data: bytes, digest: str, charset: str | None) -> tuple[str, Split | None]:
    """The decoded text (``""`` when the split comes from memory) and its split, or None
    for a file of unusual structure; ``digest``: the SHA-256 of ``data``."""
    global _split_bytes  # noqa: PLW0603 - the size of the module's own cache
    key = (digest, charset)
    with _LOCK:
        known = _SPLITS.get(key)
        if known is not None:
            _SPLITS.move_to_end(key)
            return "", known[0]
    text = decode_calendar_bytes(data, charset)
    split = split_calendar(_repair_text(text)) if text.strip() else None
    if split is not None:
        with _LOCK:
            old = _SPLITS.pop(key, None)
            _split_bytes += len(data) - (old[1] if old else 0)
            _SPLITS[key] = (split, len(data))
            while _split_bytes > _SPLIT_BYTES_LIMIT and len(_SPLITS) > 1:
                _key, (_split, size) = _SPLITS.popitem(last=False)
                _split_bytes -= size
    return text, split


def _read_split(split: Split, *, source: str, calendar: str | None, zone: tzinfo,
                zone_name: str, owners: frozenset[str], start: datetime, end: datetime,
                label: str, use_cache: bool = False,
                ) -> tuple[pl.DataFrame, str, _Skipped] | None:
    """(rows as `_raw_frame`, calendar name, what was skipped) of the window, or None when
    the parts do not parse (the whole file is then read as one, which reports the error).

    Each group's rows come from memory, else (``use_cache``) from the disk cache of
    groups, else from parsing and expanding it; the disk entry is then written again."""
    lo, hi = (start - _EPOCH) // _US, (end - _EPOCH) // _US
    visible = groups_in_window(split, lo, hi)
    context = hashlib.sha256(f"{split.context()}\x00{zone_name}\x00{source}".encode()
                             ).hexdigest()
    keys = {group: group_digest(context, events) for group, events in visible.items()}
    with _LOCK:
        known = {key: _GROUPS.get(key) for key in keys.values()}
        known_rows = {key: _ROWS.get((key, owners, lo, hi)) for key in keys.values()}
        for key, group in known.items():
            if group is not None:
                _GROUPS.move_to_end(key)
            if known_rows[key] is not None:
                _ROWS.move_to_end((key, owners, lo, hi))
        name = _NAMES.get((context, calendar, source))
    # The disk is asked only for what memory does not hold (the dashboard's rereads).
    need_disk = use_cache and (name is None or None in known_rows.values())
    entry = group_cache.key_for(source=source, calendar=calendar, zone=zone_name,
                                start=start, end=end, owners=owners) if need_disk else ""
    stored = group_cache.load(entry, RAW_SCHEMA) if need_disk else None
    on_disk = set() if stored is None else {
        key for key in keys.values() if known_rows[key] is None and key in stored.groups}
    name = name or (stored.names.get(context) if stored is not None else None)
    missing = [group for group, key in keys.items()
               if known[key] is None and key not in on_disk]
    if missing or name is None:
        # Plainly simple one-off events are read from their text, the rest by icalendar.
        simple = _simple_groups(split, missing, visible, zone)
        parse = [group for group in missing if group not in simple]
        if parse or name is None:
            parsed = ics_parse._parse_groups(split, [visible[g] for g in parse], source, zone,
                                             label)
            if parsed is None:
                return None
            name, groups = parsed
            name = (calendar or name or _stem(source)).strip() or _stem(source)
            simple.update(zip(parse, groups, strict=True))
        with _LOCK:
            for group in missing:
                known[keys[group]] = simple[group]
                _remember_group(keys[group], simple[group])
    with _LOCK:
        _NAMES[(context, calendar, source)] = name

    disk_steps = 0 if stored is None else sum(stored.groups[key][2] for key in on_disk)
    cols, skipped, counts, cut = _window_rows(
        [(key, known[key], known_rows[key]) for key in keys.values() if key not in on_disk],
        owners=owners, zone=zone, start=start, end=end, steps_taken=disk_steps)
    raw = _raw_frame(cols)
    if stored is not None:
        for key in on_disk:
            for lost in stored.groups[key][3:]:
                if lost is not None:  # most groups lost nothing
                    skipped.merge(_skipped_from_json(lost))
        raw = _gather_rows(raw, counts, stored, list(keys.values()), on_disk)
    if entry and not cut and (len(on_disk) < len(keys) or stored is None):
        _store_groups(entry, raw, keys, known, counts, stored, on_disk, context, name)
    return raw, name, skipped


def _simple_groups(split: Split, missing: list[str], visible: dict[str, list],
                   zone: tzinfo) -> dict[str, _Group]:
    """The groups of ``missing`` that are plainly simple one-off events, read from their
    text (`connectors.ics_single`)."""
    simple = {}
    if missing and ics_single.text_allowed():
        floating = ics_single.floating_allowed(split)
        for group in missing:
            events = visible[group]
            if len(events) == 1 and (
                    read := ics_single.read_simple(events[0], zone, floating=floating)):
                simple[group] = read
    return simple


def _gather_rows(fresh: pl.DataFrame, counts: dict[str, tuple[int, int, int, _Skipped]],
                 stored: group_cache.Stored, order: list[str], on_disk: set[str],
                 ) -> pl.DataFrame:
    """The rows of every group in ``order``: the fresh ones (``counts``: first row, rows)
    and those of the disk entry. Groups that follow one another in the same frame are
    taken as one slice, so a calendar with one changed VEVENT is three slices, not a
    gather of every row; a calendar whose groups moved around is gathered row by row."""
    if not on_disk:
        return fresh
    runs: list[list] = []  # [frame, first row, rows]
    for key in order:
        frame, (first, count) = ((stored.rows, stored.groups[key][:2]) if key in on_disk
                                 else (fresh, counts[key][:2]))
        if count == 0:
            continue
        if runs and runs[-1][0] is frame and runs[-1][1] + runs[-1][2] == first:
            runs[-1][2] += count
        else:
            runs.append([frame, first, count])
    if not runs:
        return fresh.clear()
    if len(runs) <= _MAX_SLICES:
        return pl.concat([frame.slice(first, count) for frame, first, count in runs],
                         how="vertical", rechunk=False)
    base = fresh.height
    firsts = [first + (base if frame is stored.rows else 0) for frame, first, _n in runs]
    lengths = [count for _frame, _first, count in runs]
    index = pl.select(pl.int_ranges(pl.Series(firsts, dtype=pl.Int64),
                                    pl.Series(firsts, dtype=pl.Int64)
                                    + pl.Series(lengths, dtype=pl.Int64))
                      .explode().cast(pl.UInt32)).to_series()
    return pl.concat([fresh, stored.rows], how="vertical", rechunk=False)[index]


_MAX_SLICES = 256


def _store_groups(entry: str, raw: pl.DataFrame, keys: dict[str, str],
                  known: dict[str, _Group | None],
                  counts: dict[str, tuple[int, int, int, _Skipped]],
                  stored: group_cache.Stored | None, on_disk: set[str], context: str,
                  name: str) -> None:
    """Write the window's disk entry: ``raw`` holds every group's rows in ``keys`` order."""
    groups = []
    for key in keys.values():
        if key in on_disk:
            _first, count, steps, parsed, expanded = stored.groups[key]
        else:
            group = known[key]
            _first, count, steps, own = counts[key]
            parsed = _skipped_to_json(group.skipped) if group is not None else None
            expanded = _skipped_to_json(own)
        groups.append((key, count, steps, parsed, expanded))
    names = {} if stored is None else dict(stored.names)
    names[context] = name
    group_cache.store(entry, raw, groups, names)


def _skipped_to_json(skipped: _Skipped) -> Any:
    if not (skipped.reasons or skipped.assumed or skipped.components or skipped.cut_series
            or skipped.file_cut or skipped.unknown_zones):
        return None
    return [dict(skipped.reasons), dict(skipped.assumed), dict(skipped.components),
            sorted(skipped.cut_series), sorted(skipped.file_cut),
            sorted(skipped.unknown_zones)]


def _skipped_from_json(value: Any) -> _Skipped:
    if value is None:
        return _Skipped()
    reasons, assumed, components, cut_series, file_cut, unknown_zones = value
    return _Skipped(Counter(reasons), Counter(assumed), Counter(components), set(cut_series),
                    set(file_cut), set(unknown_zones))


def _window_rows(groups: list[tuple[str, _Group, _Rows | None]], *, owners: frozenset[str],
                 zone: tzinfo, start: datetime, end: datetime, steps_taken: int = 0,
                 ) -> tuple[dict[str, list], _Skipped,
                            dict[str, tuple[int, int, int, _Skipped]], bool]:
    """The rows of each group in [start, end): remembered ones, else expanded (and then
    remembered) under one step budget for the read (``steps_taken`` of it already used by
    rows read elsewhere). Also, per group key, (first row, rows, steps, what its
    expansion skipped), and whether the file's budget cut any series."""
    lo, hi = (start - _EPOCH) // _US, (end - _EPOCH) // _US
    skipped = _Skipped()
    cols: dict[str, list] = defaultdict(list)
    counts: dict[str, tuple[int, int, int, _Skipped]] = {}
    work = _Work()
    fresh: list[tuple[tuple, _Rows]] = []
    work.left -= steps_taken
    work.left -= sum(rows.steps for _key, _group, rows in groups if rows is not None)
    token = _WORK.set(work)
    try:
        for key, group, remembered in groups:
            skipped.merge(group.skipped)
            rows_key = (key, owners, lo, hi)
            rows = remembered
            if rows is None:
                left, cut = work.left, set(work.cut_series)
                own = _Skipped()
                group_cols = _occurrence_rows(group.entries, own, start, end, zone, owners)
                own.cut_series |= work.cut_series - cut
                rows = _Rows(group_cols, own, left - work.left)
                fresh.append((rows_key, rows))
            skipped.merge(rows.skipped)
            first = len(cols["start"])
            for column, values in rows.cols.items():
                cols[column].extend(values)
            counts[key] = (first, len(cols["start"]) - first, rows.steps, rows.skipped)
    finally:
        _WORK.reset(token)
    skipped.cut_series -= work.file_cut
    skipped.file_cut |= work.file_cut
    if not work.file_cut:  # rows cut by the file's budget depend on the other groups
        with _LOCK:
            for rows_key, rows in fresh:
                _remember_rows(rows_key, rows)
    return cols, skipped, counts, bool(work.file_cut)



def _remember_group(key: str, group: _Group) -> None:
    global _group_chars  # noqa: PLW0603 - the size of the module's own cache
    _GROUPS[key] = group
    _group_chars += group.chars
    while _group_chars > _GROUP_CHARS_LIMIT and len(_GROUPS) > 1:
        _key, old = _GROUPS.popitem(last=False)
        _group_chars -= old.chars


def _remember_rows(key: tuple, rows: _Rows) -> None:
    global _row_count  # noqa: PLW0603
    old = _ROWS.pop(key, None)
    if old is not None:
        _row_count -= len(old.cols.get("start", ()))
    _ROWS[key] = rows
    _row_count += len(rows.cols.get("start", ()))
    while _row_count > _ROWS_LIMIT and len(_ROWS) > 1:
        _key, old = _ROWS.popitem(last=False)
        _row_count -= len(old.cols.get("start", ()))


def parsed_calendar(data: bytes, *, source: str, calendar: str | None, zone: tzinfo,
                    charset: str | None, label: str | None = None) -> _Parsed:
    """The whole calendar parsed (every VEVENT, whatever the window)."""
    if len(data) > MAX_FILE_BYTES:
        raise InvalidCalendar(_too_large(len(data)), source=label or source)
    return _prepare(decode_calendar_bytes(data, charset), source, calendar, zone,
                    label or source)


def clear_memory_cache() -> None:
    global _group_chars, _row_count, _split_bytes  # noqa: PLW0603
    with _LOCK:
        _SPLITS.clear()
        _split_bytes = 0
        _GROUPS.clear()
        _ROWS.clear()
        _NAMES.clear()
        _group_chars = _row_count = 0


__all__ = [
    "MAX_FILE_BYTES",
    "MAX_OCCURRENCES_PER_SERIES",
    "MAX_STEPS_PER_FILE",
    "CalendarWarning",
    "parse_calendar",
    "read_file_bytes",
    "read_ics",
]
