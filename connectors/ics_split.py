"""A cheap look at iCalendar text before parsing: its components as text, and for each
VEVENT the few facts that decide whether a window can see it (docs/ingest.md "Reading only
what the window can see").

Parsing with icalendar costs ≈ 1 ms per VEVENT; unfolding and splitting a 9 MB file into
lines costs ≈ 0.1 s. So the file is split here, one-off events that cannot touch the
window are dropped as text, and only the rest is parsed. Everything here is
conservative: a VEVENT whose times this scanner cannot read is kept (and parsed, and
judged, as before), and a file whose structure it does not recognise is not split at all
(the caller then parses the whole file, which also gives the exact error messages).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# The same unfolding and line splitting as icalendar's `Contentlines.from_ical`
# (icalendar/parser/content_line.py), so a component's text means what it meant there.
_UNFOLD = re.compile(r"(?:(?<!\n)\r\n|(?<![\r\n])\n)(?:\r?\n)*[ \t]")
_NEWLINE = re.compile(r"\r?\n")
_NAME = re.compile(r"[A-Za-z0-9-]+")
_PROPERTY = re.compile(r"[A-Za-z0-9-]+[;:]")
_BOUNDARY = re.compile(r"^(BEGIN|END):([^\n]*)$", re.M | re.I)
_TIME_LINE = re.compile(
    r"^(UID|DTSTART|DTEND|DURATION|RRULE|RDATE|RECURRENCE-ID|EXDATE|BEGIN|END)([;:][^\n]*)$",
    re.M | re.I)
# After the parameters (which may quote colons), the value.
_PARAMETERS_VALUE = re.compile(r';(?:[^:"\n]|"[^"\n]*")*:(.*)')
_DATE_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})Z?)?")
_DURATION = re.compile(
    r"([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?")
# A wall-clock time (floating, TZID, all-day) is a UTC instant within less than a day of
# the same digits read as UTC (icalendar refuses offsets of 24 h or more); a DST gap moves
# a time forward by its length. Two days covers both with room to spare.
MARGIN_US = 2 * 86_400_000_000
_DAY_US = 86_400_000_000
_EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - naive on purpose: wall-clock digits as UTC
_RECURRENCE = frozenset({"RRULE", "RDATE", "RECURRENCE-ID", "EXDATE"})


@dataclass(frozen=True)
class Vevent:
    """One VEVENT of the file, as text, with what the window test needs."""

    index: int           # position among the file's VEVENTs (synthetic UIDs use it)
    text: str            # unfolded content lines, BEGIN … END, each ending in LF
    group: str           # a UID key: two VEVENTs icalendar gives one UID share it
    repeats: bool        # RRULE, RDATE, RECURRENCE-ID or EXDATE: a Series is needed
    span: tuple[int, int] | None  # earliest start, latest end (epoch µs, with margin)


@dataclass
class Split:
    """A calendar file as text: the first VCALENDAR's properties, its VTIMEZONEs, other
    components timeaudit does not read, and the VEVENTs."""

    head: list[str] = field(default_factory=list)
    zones: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    events: list[Vevent] = field(default_factory=list)
    # `groups_in_window`'s index, built on its first call
    _index: _TimeIndex | None = field(default=None, repr=False, compare=False)

    def context(self) -> str:
        """A digest of everything besides a VEVENT that changes how it is read: the
        calendar's properties (X-WR-TIMEZONE) and the zones it defines."""
        digest = hashlib.sha256()
        for part in (*self.head, "\x00", *self.zones):
            digest.update(part.encode("utf-8", "surrogatepass"))
            digest.update(b"\x00")
        return digest.hexdigest()

    def calendar_text(self, events: list[Vevent]) -> str:
        """A VCALENDAR with the head, zones, other components and ``events``."""
        body = [*self.zones, *self.others, *(e.text for e in events)]
        return "BEGIN:VCALENDAR\n" + "".join(line + "\n" for line in self.head) + \
            "".join(body) + "END:VCALENDAR\n"


def split_calendar(text: str) -> Split | None:  # noqa: PLR0911, PLR0912 - one scan
    """The file's components as text, or None when its structure is not the plain one
    (one or more VCALENDARs of components, no VEVENT nested deeper, every BEGIN with its
    END, nothing else outside): then the whole file is parsed as before."""
    if text.count("\r") != text.count("\r\n"):  # a bare CR: icalendar keeps it in a line
        return None
    if "\n " in text or "\n\t" in text:  # the regex costs ≈ 0.2 s on 9 MB: only when folded
        text = _UNFOLD.sub("", text)
    text = text.replace("\r\n", "\n")
    split = Split()
    stack: list[str] = []
    calendars, position, begin = 0, 0, 0
    for match in _BOUNDARY.finditer(text):
        kind = match.group(2).upper()
        if not _NAME.fullmatch(kind):
            return None
        between = text[position:match.start()]
        position = match.end()
        if not stack and between.strip("\n"):
            return None  # text outside a VCALENDAR
        if len(stack) == 1 and not _calendar_lines(split, between, first=calendars == 1):
            return None
        if match.group(1).upper() == "BEGIN":
            if (kind == "VCALENDAR") != (not stack) or (kind == "VEVENT" and len(stack) != 1):
                return None
            stack.append(kind)
            calendars += kind == "VCALENDAR"
            if len(stack) == 2:
                begin = match.start()
        else:
            if not stack or kind != stack.pop():
                return None
            if len(stack) == 1:
                _add_component(split, kind, text[begin:match.end()] + "\n")
    if stack or not calendars or not split.events or text[position:].strip("\n"):
        return None
    return split


def _calendar_lines(split: Split, lines: str, *, first: bool) -> bool:
    """Add a VCALENDAR's property lines to the head (of the first calendar only); False
    for a line that is not a property."""
    for line in lines.split("\n"):
        if not line:
            continue
        if _PROPERTY.match(line) is None:
            return False
        if first:
            split.head.append(line)
    return True


def _add_component(split: Split, kind: str, text: str) -> None:
    if kind == "VTIMEZONE":
        split.zones.append(text)
    elif kind == "VEVENT":
        split.events.append(_vevent(len(split.events), text))
    else:
        split.others.append(text)


def _vevent(index: int, text: str) -> Vevent:
    props: dict[str, str] = {}
    repeats = False
    depth = 0
    for match in _TIME_LINE.finditer(text):
        name = match.group(1).upper()
        if name == "BEGIN":
            depth += 1
        elif name == "END":
            depth -= 1
        elif depth == 1:
            repeats = repeats or name in _RECURRENCE
            if name not in props:
                rest = match.group(2)
                if rest[0] == ":":
                    props[name] = rest[1:]
                else:
                    value = _PARAMETERS_VALUE.match(rest)
                    props[name] = value.group(1) if value else ""
    uid = props.get("UID", "")
    # Coarser than icalendar's UID (escapes and spaces removed, case folded), so two
    # VEVENTs with one UID always share a group; a VEVENT without one (icalendar strips
    # the UID, so also a blank one) is on its own: its synthetic UID has its position.
    group = "u:" + re.sub(r"[\s\\]", "", uid).lower() if uid.strip() else f"n:{index}"
    return Vevent(index, text, group, repeats, _span(props))


def _span(props: dict[str, str]) -> tuple[int, int] | None:
    """Earliest start and latest end any reading of these times can give, or None."""
    start = _instant(props.get("DTSTART"))
    if start is None:
        return None
    first, is_date = start
    ends = [first + _DAY_US if is_date else first]
    if "DTEND" in props:
        end = _instant(props["DTEND"])
        if end is None:
            return None
        ends.append(end[0])
    if "DURATION" in props:
        length = _duration(props["DURATION"])
        if length is None:
            return None
        ends.append(first + length)
    return min(first, *ends) - MARGIN_US, max(ends) + MARGIN_US


def _instant(value: str | None) -> tuple[int, bool] | None:
    """Digits of a DATE or DATE-TIME read as UTC (epoch µs), and whether it is a DATE."""
    if value is None:
        return None
    match = _DATE_TIME.fullmatch(value.strip())
    if match is None:
        return None
    try:
        when = datetime(*(int(part or 0) for part in match.groups()))  # noqa: DTZ001
    except ValueError:
        return None
    return (when - _EPOCH) // timedelta(microseconds=1), match.group(4) is None


def _duration(value: str) -> int | None:
    match = _DURATION.fullmatch(value.strip())
    if match is None or not any(match.groups()[1:]):
        return None
    sign, weeks, days, hours, minutes, seconds = match.groups()
    length = timedelta(weeks=int(weeks or 0), days=int(days or 0), hours=int(hours or 0),
                       minutes=int(minutes or 0), seconds=int(seconds or 0))
    return (-1 if sign == "-" else 1) * (length // timedelta(microseconds=1))


def groups_in_window(split: Split, lo: int, hi: int) -> dict[str, list[Vevent]]:
    """The VEVENTs the window [lo, hi) (epoch µs) may see, by group, in file order.

    A group is dropped only when it is one VEVENT without RRULE, RDATE, RECURRENCE-ID or
    EXDATE whose span ends before ``lo`` or starts at or after ``hi``. A series and its
    overrides, and every VEVENT that shares a UID, stay together (duplicates are decided
    among all of them, as before). The one-off events are looked up in the split's
    `_TimeIndex` (built on the first call), not scanned one by one."""
    index = split._index
    if index is None or index.events != len(split.events):
        index = split._index = _TimeIndex.of(split.events)
    return index.visible(lo, hi)


# A one-off event whose span is at most this long is found by its start in the index; a
# longer one is tested on every window (there are few).
_SHORT_US = 35 * _DAY_US
_BUCKET_US = 7 * _DAY_US


@dataclass(frozen=True)
class _TimeIndex:
    """The groups of a split's VEVENTs in file order, and the one-off events among them
    in buckets by the week their span starts, so a window looks at the buckets it can
    touch instead of every VEVENT (scanning the 26k VEVENTs of the ten-year benchmark
    calendar took 10–30 ms per read; building this takes about as long, once)."""

    events: int                          # len(split.events) it was built from
    groups: list[tuple[str, list[Vevent]]]  # every group, in file order
    always: list[int]                    # positions in ``groups`` every window keeps
    # week (span start // _BUCKET_US) → (span start, span end, position) of the short
    # one-off events
    buckets: dict[int, list[tuple[int, int, int]]]
    long: list[tuple[int, int, int]]     # (span start, span end, position) of the others

    @classmethod
    def of(cls, events: list[Vevent]) -> _TimeIndex:
        grouped: dict[str, list[Vevent]] = {}
        for event in events:
            grouped.setdefault(event.group, []).append(event)
        groups = list(grouped.items())
        always: list[int] = []
        buckets: dict[int, list[tuple[int, int, int]]] = {}
        long: list[tuple[int, int, int]] = []
        for position, (_key, members) in enumerate(groups):
            event = members[0]
            if len(members) != 1 or event.repeats or event.span is None:
                always.append(position)
                continue
            first, last = event.span
            if last - first <= _SHORT_US:
                buckets.setdefault(first // _BUCKET_US, []).append((first, last, position))
            else:
                long.append((first, last, position))
        return cls(len(events), groups, always, buckets, long)

    def visible(self, lo: int, hi: int) -> dict[str, list[Vevent]]:
        """`groups_in_window`: a one-off event is kept when its span ends at or after
        ``lo`` and starts before ``hi``."""
        kept = list(self.always)
        # a short span that ends at or after lo starts at or after lo - _SHORT_US
        low, high = (lo - _SHORT_US) // _BUCKET_US, (hi - 1) // _BUCKET_US
        buckets = self.buckets
        if high - low <= len(buckets):
            weeks: Iterable[int] = range(low, high + 1)
        else:  # a window longer than the calendar
            weeks = [week for week in buckets if low <= week <= high]
        for week in weeks:
            kept.extend(position for first, last, position in buckets.get(week, ())
                        if last >= lo and first < hi)
        kept.extend(position for first, last, position in self.long
                    if last >= lo and first < hi)
        kept.sort()
        groups = self.groups
        return dict(groups[position] for position in kept)


def group_digest(context: str, events: list[Vevent]) -> str:
    """A group's key for the caches: its own text and the calendar's context."""
    digest = hashlib.sha256(context.encode())
    for event in events:
        digest.update(f"\x00{event.group}\x00".encode())
        digest.update(event.text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()
