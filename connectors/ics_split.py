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
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# The same unfolding and line splitting as icalendar's `Contentlines.from_ical`
# (icalendar/parser/content_line.py), so a component's text means what it meant there.
_UNFOLD = re.compile(r"(?:(?<!\n)\r\n|(?<![\r\n])\n)(?:\r?\n)*[ \t]")
_NEWLINE = re.compile(r"\r?\n")
_NAME = re.compile(r"[A-Za-z0-9-]+")
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
    text: str            # unfolded content lines, BEGIN … END, each ending in CRLF
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
        return "BEGIN:VCALENDAR\r\n" + "".join(line + "\r\n" for line in self.head) + \
            "".join(body) + "END:VCALENDAR\r\n"


def split_calendar(text: str) -> Split | None:  # noqa: PLR0911, PLR0912 - one scan, one exit per defect
    """The file's components as text, or None when its structure is not the plain one
    (one or more VCALENDARs of components, no VEVENT nested deeper, every BEGIN with its
    END): then the whole file is parsed as before."""
    if "\r" in _NEWLINE.sub("", text):  # a bare CR: icalendar keeps it inside a line
        return None
    lines = [line for line in _NEWLINE.split(_UNFOLD.sub("", text)) if line]
    split = Split()
    stack: list[str] = []
    calendars = 0
    block: list[str] = []
    for line in lines:
        name, value = _name_value(line)
        if name is None:
            if len(stack) < 2:
                return None
            block.append(line)
            continue
        if name == "BEGIN":
            kind = value.upper()
            if not _NAME.fullmatch(kind) or (kind == "VCALENDAR") != (not stack) or \
                    (kind == "VEVENT" and len(stack) != 1):
                return None
            stack.append(kind)
            if kind == "VCALENDAR":
                calendars += 1
            elif len(stack) == 2:
                block = []
        elif name == "END":
            if not stack or value.upper() != stack[-1]:
                return None
            kind = stack.pop()
            if len(stack) == 1:
                block.append(line)
                _add_component(split, kind, "".join(part + "\r\n" for part in block))
                continue
        elif not stack:
            return None
        elif len(stack) == 1:
            if calendars == 1:
                split.head.append(line)
            continue
        block.append(line)
    if stack or not calendars or not split.events:
        return None
    return split


def _name_value(line: str) -> tuple[str | None, str]:
    """A content line's name (upper case) and value; None for a line without a name."""
    match = _NAME.match(line)
    if match is None:
        return None, ""
    rest = line[match.end():]
    if not rest or rest[0] not in ";:":
        return None, ""
    if rest[0] == ":":
        return match.group().upper(), rest[1:]
    # parameters: the value starts at the first colon outside double quotes
    quoted = False
    for position, char in enumerate(rest):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return match.group().upper(), rest[position + 1:]
    return match.group().upper(), ""


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
    for line in text.split("\r\n")[1:-2]:
        name, value = _name_value(line)
        if name == "BEGIN":
            depth += 1
        elif name == "END":
            depth -= 1
        elif depth == 0 and name is not None:
            repeats = repeats or name in _RECURRENCE
            props.setdefault(name, value)
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
    among all of them, as before)."""
    groups: dict[str, list[Vevent]] = {}
    for event in split.events:
        groups.setdefault(event.group, []).append(event)
    visible = {}
    for key, events in groups.items():
        if len(events) == 1 and not events[0].repeats and events[0].span is not None:
            first, last = events[0].span
            if last < lo or first >= hi:
                continue
        visible[key] = events
    return visible


def group_digest(context: str, events: list[Vevent]) -> str:
    """A group's key for the caches: its own text and the calendar's context."""
    digest = hashlib.sha256(context.encode())
    for event in events:
        digest.update(f"\x00{event.group}\x00".encode())
        digest.update(event.text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()
