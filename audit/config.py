"""Configuration (SPEC §4): `timeaudit.toml`, every key optional, defaults as documented.

The dataclasses below are the single description of the configuration; `load_config`
reads and validates a TOML file into them. A wrong key or value raises `ConfigError`
naming the key and the file.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import importlib.resources
import json
import math
import os
import re
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, NoReturn

import platformdirs
import polars as pl

from audit.domains import DOMAINS
from core.errors import ConfigError
from core.period import WEEKDAYS, is_zone
from core.schema import KINDS, RESPONSES

DEFAULT_FOCUS_PATTERN = r"(?i)\b(focus|deep work|heads? down|no meetings)\b"
DEFAULT_DAYS_OFF_PATTERN = r"(?i)\b(vacation|holiday|pto|ooo|out of office|sick)\b"


@dataclass(frozen=True)
class TimeRange:
    """A local wall-clock range "HH:MM-HH:MM"; ``end <= start`` wraps past midnight."""

    start: time
    end: time

    @property
    def wraps(self) -> bool:
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def _default_working_hours() -> dict[str, TimeRange | None]:
    nine_to_half_five = TimeRange(time(9, 0), time(17, 30))
    return {day: (nine_to_half_five if day not in ("saturday", "sunday") else None)
            for day in WEEKDAYS}


@dataclass(frozen=True)
class ProtectedBlock:
    name: str
    days: tuple[str, ...]
    time: TimeRange


@dataclass(frozen=True)
class Boundaries:
    late_night: TimeRange = TimeRange(time(22, 0), time(6, 0))
    max_workday_hours: float = 10.0
    no_meeting_days: tuple[str, ...] = ()
    protected: tuple[ProtectedBlock, ...] = ()


@dataclass(frozen=True)
class Focus:
    min_block_minutes: int = 120
    target_hours_per_week: float = 10.0
    title_pattern: str = DEFAULT_FOCUS_PATTERN


@dataclass(frozen=True)
class Urgency:
    short_notice_hours: float = 48.0


@dataclass(frozen=True)
class Counting:
    include_free: bool = False
    include_tentative: bool = True
    include_needs_action: bool = True
    max_event_hours: float = 12.0


@dataclass(frozen=True)
class DaysOff:
    title_pattern: str = DEFAULT_DAYS_OFF_PATTERN


@dataclass(frozen=True)
class Goals:
    """Weekly budgets (issue 14), scaled to the period like the focus target; None = none.

    ``min_focus_hours_per_week`` unset means ``focus.target_hours_per_week``.
    """

    max_meeting_hours_per_week: float | None = None
    max_after_hours_minutes_per_week: float | None = None
    max_late_night_days_per_week: float | None = None
    min_focus_hours_per_week: float | None = None


@dataclass(frozen=True)
class CalendarDefault:
    source: str
    domain: str


@dataclass(frozen=True)
class Rule:
    """One classification rule (SPEC §5): conditions (all must hold) and what it sets."""

    name: str
    # conditions; None = not given
    title: str | None = None
    description: str | None = None
    location: str | None = None
    calendar: str | None = None
    source: str | None = None
    categories: tuple[str, ...] | None = None
    kind: str | None = None
    response: str | None = None
    organizer: str | None = None
    external: bool | None = None
    min_attendees: int | None = None
    max_attendees: int | None = None
    min_minutes: float | None = None
    max_minutes: float | None = None
    recurring: bool | None = None
    weekdays: tuple[str, ...] | None = None
    time: TimeRange | None = None
    # what it sets; None = leaves the attribute to later rules
    domain: str | None = None
    urgent: bool | None = None
    important: bool | None = None


@dataclass(frozen=True)
class Config:
    timezone: str = "UTC"
    week_start: str = "monday"
    owner_emails: tuple[str, ...] = ()
    work_domains: tuple[str, ...] = ()
    working_hours: dict[str, TimeRange | None] = field(default_factory=_default_working_hours)
    boundaries: Boundaries = Boundaries()
    focus: Focus = Focus()
    urgency: Urgency = Urgency()
    counting: Counting = Counting()
    days_off: DaysOff = DaysOff()
    calendars: tuple[CalendarDefault, ...] = ()
    rules: tuple[Rule, ...] = ()
    goals: Goals = Goals()
    path: str | None = None  # the file it was read from, for error messages


# --- loading and validation -------------------------------------------------------------

CONFIG_FILE_NAME = "timeaudit.toml"
DEFAULT_RULES_FILE = "default_rules.toml"

TOO_DEEP = "not a usable configuration: arrays or tables nested too deeply"
_YEAR_HOURS = 366 * 24


def local_zone_name() -> str:
    """The machine's IANA zone: ``TZ``, else the ``/etc/localtime`` link, else UTC.

    Only names both `zoneinfo` and Polars (chrono-tz) know are returned, so a POSIX
    ``TZ`` string such as ``CET-1CEST`` or an unnamed zone file falls through to UTC.
    """
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(os.readlink("/etc/localtime"))
    with contextlib.suppress(OSError):
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    for candidate in candidates:
        # "/usr/share/zoneinfo/Europe/Berlin" and "../zoneinfo/posix/Europe/Berlin" → name
        name = candidate.rpartition("zoneinfo/")[2].removeprefix("posix/").removeprefix("right/")
        if name and is_zone(name):
            return name
    return "UTC"


def find_config_file(explicit: str | Path | None = None, *, cwd: str | Path | None = None
                     ) -> Path | None:
    """The file to read: ``--config``, else ``./timeaudit.toml``, else the user config dir."""
    located = _locate(explicit, cwd)
    return located[0] if located else None


def _locate(explicit: str | Path | None, cwd: str | Path | None) -> tuple[Path, str] | None:
    """(path, the name error messages use) of the config file, or None for defaults."""
    if explicit is not None:
        return Path(explicit), str(explicit)  # read even if missing: that is an error
    here = Path(cwd) if cwd is not None else Path.cwd()
    if (here / CONFIG_FILE_NAME).is_file():
        return here / CONFIG_FILE_NAME, CONFIG_FILE_NAME
    user = platformdirs.user_config_path("timeaudit") / CONFIG_FILE_NAME
    if user.is_file():
        return user, str(user)
    return None


def load_config(path: str | Path | None = None, *, cwd: str | Path | None = None) -> Config:
    """Read and validate the configuration (SPEC §4); no file at all gives the defaults."""
    located = _locate(path, cwd)
    if located is None:
        return parse_config({}, file="configuration")
    data = _read_toml(*located)
    try:
        return parse_config(data, file=located[1])
    except RecursionError:
        raise ConfigError(TOO_DEEP, file=located[1]) from None


def _read_toml(path: Path, label: str) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise ConfigError(f"cannot read the file: {error.strerror or error}", file=label) from None
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text", file=label) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib's message already ends in "(at line L, column C)"
        raise ConfigError(f"not valid TOML: {error}", file=label) from None
    except RecursionError:
        raise ConfigError(TOO_DEEP, file=label) from None


@functools.cache
def load_default_rules() -> tuple[Rule, ...]:
    """The rule pack shipped with the package (`audit/default_rules.toml`)."""
    text = importlib.resources.files("audit").joinpath(DEFAULT_RULES_FILE).read_text("utf-8")
    data = tomllib.loads(text)
    _check_keys(data, ("rules",), "", DEFAULT_RULES_FILE)
    return _parse_rules(data.get("rules", []), "rules", DEFAULT_RULES_FILE)


def parse_config(data: Mapping[str, Any], *, file: str = "configuration") -> Config:
    """Validate parsed TOML into a `Config`; every problem is a one-line `ConfigError`."""
    values = _parse_table(data, "", file, _TOP_LEVEL)
    values.setdefault("timezone", local_zone_name())
    if "working_hours" in values:
        values["working_hours"] = _default_working_hours() | values["working_hours"]
    return Config(**values, path=file if file != "configuration" else None)


# --- value parsers: each takes (value, dotted key, file) and returns the parsed value ---

Parser = Callable[[Any, str, str], Any]


def _fail(file: str, key: str, message: str) -> NoReturn:
    raise ConfigError(message, key=key or None, file=file)


def _show(value: Any) -> str:
    """A value as the user wrote it in TOML, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    if isinstance(value, dict):
        return "a table"
    return str(value)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _check_keys(table: Mapping[str, Any], allowed: Sequence[str], prefix: str, file: str
                ) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = (f"did you mean {close[0]}?" if close
                    else "valid keys are " + ", ".join(allowed))
            _fail(file, _join(prefix, key), f"unknown key; {hint}")


def _parse_table(value: Any, key: str, file: str, spec: Mapping[str, Parser]
                 ) -> dict[str, Any]:
    """Check a table's keys against ``spec`` and parse the values that are given."""
    if not isinstance(value, Mapping):
        _fail(file, key, f"expected a table, got {_show(value)}")
    _check_keys(value, tuple(spec), key, file)
    return {name: spec[name](item, _join(key, name), file) for name, item in value.items()}


def _section(cls: type, spec: Mapping[str, Parser]) -> Parser:
    return lambda value, key, file: cls(**_parse_table(value, key, file, spec))


def _table_list(parse_one: Parser) -> Parser:
    """An array of tables (``[[name]]``); items are keyed name[1], name[2]… for people."""
    def parse(value: Any, key: str, file: str) -> tuple[Any, ...]:
        if not isinstance(value, list):
            _fail(file, key, f"expected an array of tables ([[{key}]]), got {_show(value)}")
        return tuple(parse_one(item, f"{key}[{i}]", file) for i, item in enumerate(value, 1))
    return parse


def _require(values: Mapping[str, Any], names: Sequence[str], key: str, file: str,
             what: str) -> None:
    for name in names:
        if name not in values:
            _fail(file, _join(key, name), f"missing: every {what} needs a {name}")


def _string(value: Any, key: str, file: str) -> str:
    if not isinstance(value, str):
        _fail(file, key, f"expected a string, got {_show(value)}")
    return value


def _nonempty(value: Any, key: str, file: str) -> str:
    if not _string(value, key, file).strip():
        _fail(file, key, "may not be empty")
    return value.strip()


def _boolean(value: Any, key: str, file: str) -> bool:
    if not isinstance(value, bool):
        _fail(file, key, f"expected true or false, got {_show(value)}")
    return value


def _number(*, maximum: float, integer: bool = False, positive: bool = False,
            unit: str = "") -> Parser:
    """A finite number from 0 (or above 0) up to ``maximum`` (what the key can mean)."""
    def parse(value: Any, key: str, file: str) -> float | int:
        allowed = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, allowed):
            kind = "a whole number" if integer else "a number"
            _fail(file, key, f"expected {kind}, got {_show(value)}")
        if not math.isfinite(value):
            _fail(file, key, f"expected a finite number, got {_show(value)}")
        if value < 0 or (positive and value == 0):
            _fail(file, key, f"{_show(value)} must be {'above' if positive else 'at least'} 0")
        if value > maximum:
            _fail(file, key, f"{_show(value)} is more than {maximum:g}{unit}, the most it can "
                  "mean")
        return value if integer else float(value)
    return parse


def _choice(options: Sequence[str], what: str) -> Parser:
    def parse(value: Any, key: str, file: str) -> str:
        text = _string(value, key, file)
        if text.lower() not in options:
            close = difflib.get_close_matches(text.lower(), options, n=1)
            hint = f"did you mean {close[0]}?" if close else "use one of " + ", ".join(options)
            _fail(file, key, f"{_show(value)} is not {what}; {hint}")
        return text.lower()
    return parse


_weekday = _choice(WEEKDAYS, "a weekday")
_domain = _choice(tuple(map(str, DOMAINS)), "a domain")


def _list_of(item: Parser, *, single_ok: bool = False) -> Parser:
    def parse(value: Any, key: str, file: str) -> tuple[Any, ...]:
        if single_ok and isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            _fail(file, key, f"expected a list, got {_show(value)}")
        return tuple(item(v, f"{key}[{i}]", file) for i, v in enumerate(value, 1))
    return parse


def _email(value: Any, key: str, file: str) -> str:
    text = _nonempty(value, key, file).lower()
    if text.count("@") != 1 or text.startswith("@") or text.endswith("@"):
        _fail(file, key, f"{_show(value)} is not an e-mail address")
    return text


def _mail_domain(value: Any, key: str, file: str) -> str:
    text = _nonempty(value, key, file).lower()
    if "@" in text or any(c.isspace() for c in text):
        _fail(file, key, f"{_show(value)} is not a domain name such as example.com")
    return text


def _zone(value: Any, key: str, file: str) -> str:
    name = _nonempty(value, key, file)
    if not is_zone(name):
        close = [zone for zone in difflib.get_close_matches(
            name, sorted(zoneinfo.available_timezones()), n=3) if zone != name and is_zone(zone)]
        hint = f"did you mean {close[0]}?" if close else "use an IANA name such as Europe/Berlin"
        _fail(file, key, f"unknown time zone {_show(value)}; {hint}")
    return name


def _regex(value: Any, key: str, file: str) -> str:
    """A pattern both Python and Polars (Rust regex: no look-around, no backreferences) take."""
    pattern = _string(value, key, file)
    try:
        re.compile(pattern)
    except re.error as error:
        _fail(file, key, f"{_show(value)} is not a valid regular expression: {error}")
    try:
        pl.select(pl.lit("x").str.contains(pattern))
    except pl.exceptions.PolarsError as error:
        lines = [line for line in str(error).splitlines() if line.startswith("error: ")]
        reason = lines[0].removeprefix("error: ") if lines else "rejected by Polars"
        _fail(file, key, f"{_show(value)} is not a regular expression Polars can use: {reason}")
    return pattern


# What people type for a clock range: "9-17", "9:00–17:30" (en dash), "09:00 - 17:30",
# "9.00-17.30", "9h-17h30". Digits 0-9 only (re.ASCII), not other scripts' digits.
_RANGE = re.compile(r"^\s*(\d{1,2})(?:[:.h](\d{2}))?\s*h?\s*(?:-|\u2013|\u2014)\s*"
                    r"(\d{1,2})(?:[:.h](\d{2}))?\s*h?\s*$", re.ASCII | re.IGNORECASE)


def _clock(hour_text: str, minute_text: str | None, *, end: bool) -> time | None:
    """Hour and minute → time; "24:00" is allowed as an end and means the next midnight."""
    hour, minute = int(hour_text), int(minute_text or 0)
    if end and (hour, minute) == (24, 0):
        return time(0, 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def parse_time_range(text: str) -> tuple[time, time] | None:
    """A typed clock range → (start, end), or None when it is not one.

    The one parser of clock ranges (working hours, late night, protected time), for the
    configuration file and the dashboard alike: ``"9-17"``, ``"9:00–17:30"``,
    ``"09:00 - 17:30"`` and ``"09:00-17:30"`` are all 09:00–17:30; ``str(TimeRange)`` is the
    canonical ``HH:MM-HH:MM`` that is stored.
    """
    match = _RANGE.match(text)
    if not match:
        return None
    start = _clock(match[1], match[2], end=False)
    end = _clock(match[3], match[4], end=True)
    if start is None or end is None:
        return None
    return start, end


def canonical_time_range(text: str) -> str:
    """``text`` in the canonical ``HH:MM-HH:MM`` form when it is a clock range, else
    ``text`` stripped (so the configuration check names what was typed)."""
    parsed = parse_time_range(text)
    return str(TimeRange(*parsed)) if parsed else text.strip()


def _time_range(*, may_wrap: bool) -> Parser:
    def parse(value: Any, key: str, file: str) -> TimeRange:
        text = _string(value, key, file)
        parsed = parse_time_range(text)
        if parsed is None:
            _fail(file, key, f"{_show(value)} is not HH:MM-HH:MM")
        start, end = parsed
        if start == end:
            _fail(file, key, f"{_show(value)} is empty: the end must differ from the start")
        if not may_wrap and end < start:
            _fail(file, key, f"{_show(value)} ends before it starts; working hours may not "
                  "cross midnight (end at 23:59 at the latest)")
        return TimeRange(start, end)
    return parse


def _working_range(value: Any, key: str, file: str) -> TimeRange | None:
    if _string(value, key, file).strip() == "":
        return None  # "" = not a working day
    return _time_range(may_wrap=False)(value, key, file)


def _protected(value: Any, key: str, file: str) -> ProtectedBlock:
    values = _parse_table(value, key, file, _PROTECTED)
    _require(values, ("name", "time"), key, file, "protected block")
    values.setdefault("days", WEEKDAYS)
    return ProtectedBlock(**values)


def _calendar_default(value: Any, key: str, file: str) -> CalendarDefault:
    values = _parse_table(value, key, file, _CALENDAR)
    _require(values, ("source", "domain"), key, file, "[[calendars]] entry")
    return CalendarDefault(**values)


def _rule(value: Any, key: str, file: str) -> Rule:
    values = _parse_table(value, key, file, _RULE)
    _require(values, ("name",), key, file, "rule")
    if all(values.get(name) is None for name in ("domain", "urgent", "important")):
        _fail(file, key, f"rule {_show(values['name'])} sets nothing; give it a domain, "
              "urgent or important")
    for low, high in (("min_attendees", "max_attendees"), ("min_minutes", "max_minutes")):
        if values.get(low, 0) > values.get(high, float("inf")):
            _fail(file, _join(key, low), f"{_show(value[low])} is more than {high}")
    return Rule(**values)


def _parse_rules(value: Any, key: str, file: str) -> tuple[Rule, ...]:
    rules = _table_list(_rule)(value, key, file)
    seen: dict[str, int] = {}
    for index, rule in enumerate(rules, 1):
        if rule.name in seen:
            _fail(file, f"{key}[{index}].name", f"{_show(rule.name)} is already the name of "
                  f"{key}[{seen[rule.name]}]; rule names are shown as reasons, so keep "
                  "them unique")
        seen[rule.name] = index
    return rules


def _glob(value: Any, key: str, file: str) -> str:
    """An exact name or a shell glob (``*``, ``?``, ``[…]``) that Polars can match."""
    # audit.rules builds on this module's dataclasses, so it can only be imported late
    from audit.rules import glob_to_regex  # noqa: PLC0415

    pattern = _nonempty(value, key, file)
    try:
        pl.select(pl.lit("x").str.contains(glob_to_regex(pattern)))
    except pl.exceptions.PolarsError:
        _fail(file, key, f"{_show(value)} is not a valid glob (use *, ? and [abc])")
    return pattern
_weekday_list = _list_of(_weekday)

_PROTECTED: dict[str, Parser] = {
    "name": _nonempty,
    "days": _weekday_list,
    "time": _time_range(may_wrap=True),
}

_CALENDAR: dict[str, Parser] = {"source": _glob, "domain": _domain}

_RULE: dict[str, Parser] = {
    "name": _nonempty,
    "title": _regex,
    "description": _regex,
    "location": _regex,
    "calendar": _glob,
    "source": _glob,
    "categories": _list_of(_nonempty, single_ok=True),
    "kind": _choice(sorted(KINDS), "an event kind"),
    "response": _choice(sorted(RESPONSES), "a response"),
    "organizer": _glob,
    "external": _boolean,
    "min_attendees": _number(integer=True, maximum=100_000),
    "max_attendees": _number(integer=True, maximum=100_000),
    "min_minutes": _number(maximum=_YEAR_HOURS * 60, unit=" minutes (a year)"),
    "max_minutes": _number(maximum=_YEAR_HOURS * 60, unit=" minutes (a year)"),
    "recurring": _boolean,
    "weekdays": _weekday_list,
    "time": _time_range(may_wrap=True),
    "domain": _domain,
    "urgent": _boolean,
    "important": _boolean,
}

_TOP_LEVEL: dict[str, Parser] = {
    "timezone": _zone,
    "week_start": _weekday,
    "owner_emails": _list_of(_email),
    "work_domains": _list_of(_mail_domain),
    "working_hours": lambda value, key, file: _parse_table(
        value, key, file, dict.fromkeys(WEEKDAYS, _working_range)),
    "boundaries": _section(Boundaries, {
        "late_night": _time_range(may_wrap=True),
        "max_workday_hours": _number(positive=True, maximum=24, unit=" hours (a day)"),
        "no_meeting_days": _weekday_list,
        "protected": _table_list(_protected),
    }),
    "focus": _section(Focus, {
        "min_block_minutes": _number(integer=True, positive=True, maximum=24 * 60,
                                     unit=" minutes (a day)"),
        "target_hours_per_week": _number(maximum=7 * 24, unit=" hours (a week)"),
        "title_pattern": _regex,
    }),
    "urgency": _section(Urgency, {
        "short_notice_hours": _number(maximum=_YEAR_HOURS, unit=" hours (a year)")}),
    "counting": _section(Counting, {
        "include_free": _boolean,
        "include_tentative": _boolean,
        "include_needs_action": _boolean,
        "max_event_hours": _number(positive=True, maximum=_YEAR_HOURS,
                                   unit=" hours (a year)"),
    }),
    "days_off": _section(DaysOff, {"title_pattern": _regex}),
    "calendars": _table_list(_calendar_default),
    "rules": _parse_rules,
    "goals": _section(Goals, {
        "max_meeting_hours_per_week": _number(maximum=7 * 24, unit=" hours (a week)"),
        "max_after_hours_minutes_per_week": _number(maximum=7 * 24 * 60,
                                                    unit=" minutes (a week)"),
        "max_late_night_days_per_week": _number(maximum=7, unit=" days (a week)"),
        "min_focus_hours_per_week": _number(maximum=7 * 24, unit=" hours (a week)"),
    }),
}
