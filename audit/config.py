"""Configuration (SPEC §4): `timeaudit.toml`, every key optional, defaults as documented.

The dataclasses below are the one declaration of the configuration: each field's type,
default and check (the `Annotated` metadata). `load_config` reads a TOML file and has
pydantic validate it against them; a wrong key or value raises `ConfigError` naming the
key and the file, with "did you mean" for a misspelt key or value. Pydantic is imported
only when a file is validated, so commands that read no configuration do not pay for it.
"""

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
from dataclasses import dataclass, field, fields, replace
from datetime import time
from pathlib import Path
from typing import Annotated, Any

import platformdirs
import polars as pl

from audit.domains import DOMAINS
from core.errors import ConfigError
from core.period import WEEKDAYS, is_zone
from core.schema import KINDS, RESPONSES

DEFAULT_FOCUS_PATTERN = r"(?i)\b(focus|deep work|heads? down|no meetings)\b"
DEFAULT_DAYS_OFF_PATTERN = r"(?i)\b(vacation|holiday|pto|ooo|out of office|sick)\b"

CONFIG_FILE_NAME = "timeaudit.toml"
DEFAULT_RULES_FILE = "default_rules.toml"

TOO_DEEP = "not a usable configuration: arrays or tables nested too deeply"
_YEAR_HOURS = 366 * 24


# --- value checks: each takes the TOML value and returns it parsed, or raises `Invalid` ---


class Invalid(ValueError):
    """A value's problem; ``key`` is the part below the checked value ("[2].name").

    `PARENT` in the message stands for the checked value's own key (rules, calendars…).
    """

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.message, self.key = message, key


class Check:
    """`Annotated` metadata: the field's value is checked (and parsed) by ``parse``.

    ``mode`` is pydantic's: "plain" replaces pydantic's own check, "before" runs ahead of
    it (tables), "after" on its result (a whole rule, the list of rules).
    """

    def __init__(self, parse: Callable[[Any], Any], mode: str = "plain") -> None:
        self.parse, self.mode = parse, mode

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema  # noqa: PLC0415 - only when a file is read

        if self.mode == "plain":
            return core_schema.no_info_plain_validator_function(self.parse)
        wrap = (core_schema.no_info_before_validator_function if self.mode == "before"
                else core_schema.no_info_after_validator_function)
        parse = functools.partial(self.parse, source) if self.mode == "before" else self.parse
        return wrap(parse, handler(source))


def _show(value: Any) -> str:
    """A value as the user wrote it in TOML, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    if isinstance(value, dict):
        return "a table"
    return str(value)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix and key and not key.startswith("[") else prefix + key


def _check_keys(table: Mapping[str, Any], allowed: Sequence[str]) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = (f"did you mean {close[0]}?" if close
                    else "valid keys are " + ", ".join(allowed))
            raise Invalid(f"unknown key; {hint}", key)


def _table(cls: type, value: Any) -> Any:
    """A TOML table for the dataclass ``cls``: no unknown keys, every required key given."""
    if not isinstance(value, Mapping):
        raise Invalid(f"expected a table, got {_show(value)}")
    names = [f.name for f in fields(cls) if f.name != "path"]
    _check_keys(value, names)
    for name in getattr(cls, "REQUIRED", ()):
        if name not in value:
            raise Invalid(f"missing: every {cls.WHAT} needs a {name}", name)
    return {**getattr(cls, "TOML_DEFAULTS", {}), **value}


TABLE = Check(_table, "before")
PARENT = "\x00"  # never in a shown value: _show escapes control characters


def _array_of_tables(_cls: type, value: Any) -> Any:
    if not isinstance(value, list):
        raise Invalid(f"expected an array of tables ([[{PARENT}]]), got {_show(value)}")
    return value


TABLES = Check(_array_of_tables, "before")


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise Invalid(f"expected a string, got {_show(value)}")
    return value


def _nonempty(value: Any) -> str:
    if not _string(value).strip():
        raise Invalid("may not be empty")
    return value.strip()


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(f"expected true or false, got {_show(value)}")
    return value


def number(*, maximum: float, integer: bool = False, positive: bool = False,
           unit: str = "") -> Check:
    """A finite number from 0 (or above 0) up to ``maximum`` (what the key can mean)."""
    def parse(value: Any) -> float | int:
        allowed = (int,) if integer else (int, float)
        if isinstance(value, bool) or not isinstance(value, allowed):
            raise Invalid(f"expected {'a whole number' if integer else 'a number'}, got "
                          f"{_show(value)}")
        if not math.isfinite(value):
            raise Invalid(f"expected a finite number, got {_show(value)}")
        if value < 0 or (positive and value == 0):
            raise Invalid(f"{_show(value)} must be {'above' if positive else 'at least'} 0")
        if value > maximum:
            raise Invalid(f"{_show(value)} is more than {maximum:g}{unit}, the most it can mean")
        return value if integer else float(value)
    return Check(parse)


def _choice(options: Sequence[str], what: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = _string(value)
        if text.lower() not in options:
            close = difflib.get_close_matches(text.lower(), options, n=1)
            hint = f"did you mean {close[0]}?" if close else "use one of " + ", ".join(options)
            raise Invalid(f"{_show(value)} is not {what}; {hint}")
        return text.lower()
    return parse


_weekday = _choice(WEEKDAYS, "a weekday")


def _list_of(item: Callable[[Any], Any], *, single_ok: bool = False) -> Check:
    def parse(value: Any) -> tuple[Any, ...]:
        if single_ok and isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise Invalid(f"expected a list, got {_show(value)}")
        items = []
        for index, each in enumerate(value, 1):
            try:
                items.append(item(each))
            except Invalid as error:
                raise Invalid(error.message, f"[{index}]") from None
        return tuple(items)
    return Check(parse)


def _email(value: Any) -> str:
    text = _nonempty(value).lower()
    if text.count("@") != 1 or text.startswith("@") or text.endswith("@"):
        raise Invalid(f"{_show(value)} is not an e-mail address")
    return text


def _mail_domain(value: Any) -> str:
    text = _nonempty(value).lower()
    if "@" in text or any(c.isspace() for c in text):
        raise Invalid(f"{_show(value)} is not a domain name such as example.com")
    return text


def _zone(value: Any) -> str:
    name = _nonempty(value)
    if not is_zone(name):
        close = [zone for zone in difflib.get_close_matches(
            name, sorted(zoneinfo.available_timezones()), n=3) if zone != name and is_zone(zone)]
        hint = f"did you mean {close[0]}?" if close else "use an IANA name such as Europe/Berlin"
        raise Invalid(f"unknown time zone {_show(value)}; {hint}")
    return name


def _regex(value: Any) -> str:
    """A pattern both Python and Polars (Rust regex: no look-around, no backreferences) take."""
    pattern = _string(value)
    try:
        re.compile(pattern)
    except re.error as error:
        raise Invalid(f"{_show(value)} is not a valid regular expression: {error}") from None
    try:
        pl.select(pl.lit("x").str.contains(pattern))
    except pl.exceptions.PolarsError as error:
        lines = [line for line in str(error).splitlines() if line.startswith("error: ")]
        reason = lines[0].removeprefix("error: ") if lines else "rejected by Polars"
        raise Invalid(f"{_show(value)} is not a regular expression Polars can use: "
                      f"{reason}") from None
    return pattern


def glob_to_regex(glob: str) -> str:
    """An anchored regex for a shell glob: ``*`` any run, ``?`` one character, ``[…]`` a set.

    Written by hand because `fnmatch.translate` emits ``\\Z``, which Rust regex (Polars)
    rejects.
    """
    out, i = [], 0
    while i < len(glob):
        char = glob[i]
        close = glob.find("]", i + 2) if char == "[" else -1
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append(".")
        elif close != -1:
            body = glob[i + 1:close]
            negate = body.startswith("!")
            body = body.removeprefix("!")
            # escape what Rust regex reads as nesting or set operations (&&, ~~) in a class
            for special in "\\[&~":
                body = body.replace(special, "\\" + special)
            out.append(f"[{'^' if negate else ''}{body}]")
            i = close
        else:
            out.append(re.escape(char))
        i += 1
    return "(?s)^" + "".join(out) + "$"


def _glob(value: Any) -> str:
    """An exact name or a shell glob (``*``, ``?``, ``[…]``) that Polars can match."""
    pattern = _nonempty(value)
    try:
        pl.select(pl.lit("x").str.contains(glob_to_regex(pattern)))
    except pl.exceptions.PolarsError:
        raise Invalid(f"{_show(value)} is not a valid glob (use *, ? and [abc])") from None
    return pattern


# --- the declaration ---------------------------------------------------------------------


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


# What people type for a clock range: "9-17", "9:00–17:30" (en dash), "09:00 - 17:30",
# "9.00-17.30", "9h-17h30". Digits 0-9 only (re.ASCII), not other scripts' digits.
# Compiled when first used (≈ 4 ms): a configuration from the cache never needs it.
@functools.cache
def _range() -> re.Pattern[str]:
    return re.compile(r"^\s*(\d{1,2})(?:[:.h](\d{2}))?\s*h?\s*(?:-|\u2013|\u2014)\s*"
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
    match = _range().match(text)
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


def _time_range(value: Any, *, may_wrap: bool = True) -> TimeRange:
    text = _string(value)
    parsed = parse_time_range(text)
    if parsed is None:
        raise Invalid(f"{_show(value)} is not HH:MM-HH:MM")
    start, end = parsed
    if start == end:
        raise Invalid(f"{_show(value)} is empty: the end must differ from the start")
    if not may_wrap and end < start:
        raise Invalid(f"{_show(value)} ends before it starts; working hours may not cross "
                      "midnight (end at 23:59 at the latest)")
    return TimeRange(start, end)


def _default_working_hours() -> dict[str, TimeRange | None]:
    nine_to_half_five = TimeRange(time(9, 0), time(17, 30))
    return {day: (nine_to_half_five if day not in ("saturday", "sunday") else None)
            for day in WEEKDAYS}


def _working_hours(value: Any) -> dict[str, TimeRange | None]:
    """Weekday → range ("" = not a working day); weekdays not given keep the default."""
    if not isinstance(value, Mapping):
        raise Invalid(f"expected a table, got {_show(value)}")
    _check_keys(value, WEEKDAYS)
    hours = _default_working_hours()
    for day, text in value.items():
        try:
            hours[day] = None if _string(text).strip() == "" else _time_range(text,
                                                                             may_wrap=False)
        except Invalid as error:
            raise Invalid(error.message, day) from None
    return hours


Name = Annotated[str, Check(_nonempty)]
Weekday = Annotated[str, Check(_weekday)]
Weekdays = Annotated[tuple[str, ...], _list_of(_weekday)]
Range = Annotated[TimeRange, Check(_time_range)]
Regex = Annotated[str, Check(_regex)]
Glob = Annotated[str, Check(_glob)]
Flag = Annotated[bool, Check(_boolean)]
Domain = Annotated[str, Check(_choice(tuple(map(str, DOMAINS)), "a domain"))]
Hours = Annotated[float, number(maximum=_YEAR_HOURS, unit=" hours (a year)")]
WeekHours = Annotated[float, number(maximum=7 * 24, unit=" hours (a week)")]
Minutes = Annotated[float, number(maximum=_YEAR_HOURS * 60, unit=" minutes (a year)")]
People = Annotated[int, number(integer=True, maximum=100_000)]


@dataclass(frozen=True)
class ProtectedBlock:
    name: Name
    days: Weekdays
    time: Range

    WHAT = "protected block"
    REQUIRED = ("name", "time")
    TOML_DEFAULTS = {"days": list(WEEKDAYS)}  # noqa: RUF012 - read, never changed


@dataclass(frozen=True)
class Boundaries:
    late_night: Range = TimeRange(time(22, 0), time(6, 0))
    max_workday_hours: Annotated[float, number(positive=True, maximum=24,
                                               unit=" hours (a day)")] = 10.0
    no_meeting_days: Weekdays = ()
    protected: Annotated[tuple[Annotated[ProtectedBlock, TABLE], ...], TABLES] = ()


@dataclass(frozen=True)
class Focus:
    min_block_minutes: Annotated[int, number(integer=True, positive=True, maximum=24 * 60,
                                             unit=" minutes (a day)")] = 120
    target_hours_per_week: WeekHours = 10.0
    title_pattern: Regex = DEFAULT_FOCUS_PATTERN


@dataclass(frozen=True)
class Urgency:
    short_notice_hours: Hours = 48.0


@dataclass(frozen=True)
class Counting:
    include_free: Flag = False
    include_tentative: Flag = True
    include_needs_action: Flag = True
    max_event_hours: Annotated[float, number(positive=True, maximum=_YEAR_HOURS,
                                             unit=" hours (a year)")] = 12.0


@dataclass(frozen=True)
class DaysOff:
    title_pattern: Regex = DEFAULT_DAYS_OFF_PATTERN


@dataclass(frozen=True)
class Goals:
    """Weekly budgets (issue 14), scaled to the period like the focus target; None = none.

    ``min_focus_hours_per_week`` unset means ``focus.target_hours_per_week``.
    """

    max_meeting_hours_per_week: WeekHours | None = None
    max_after_hours_minutes_per_week: Annotated[
        float | None, number(maximum=7 * 24 * 60, unit=" minutes (a week)")] = None
    max_late_night_days_per_week: Annotated[
        float | None, number(maximum=7, unit=" days (a week)")] = None
    min_focus_hours_per_week: WeekHours | None = None


@dataclass(frozen=True)
class CalendarDefault:
    source: Glob
    domain: Domain

    WHAT = "[[calendars]] entry"
    REQUIRED = ("source", "domain")


@dataclass(frozen=True)
class Rule:
    """One classification rule (SPEC §5): conditions (all must hold) and what it sets."""

    name: Name
    # conditions; None = not given
    title: Regex | None = None
    description: Regex | None = None
    location: Regex | None = None
    calendar: Glob | None = None
    source: Glob | None = None
    categories: Annotated[tuple[str, ...] | None, _list_of(_nonempty, single_ok=True)] = None
    kind: Annotated[str | None, Check(_choice(sorted(KINDS), "an event kind"))] = None
    response: Annotated[str | None, Check(_choice(sorted(RESPONSES), "a response"))] = None
    organizer: Glob | None = None
    external: Flag | None = None
    min_attendees: People | None = None
    max_attendees: People | None = None
    min_minutes: Minutes | None = None
    max_minutes: Minutes | None = None
    recurring: Flag | None = None
    weekdays: Weekdays | None = None
    time: Range | None = None
    # what it sets; None = leaves the attribute to later rules
    domain: Domain | None = None
    urgent: Flag | None = None
    important: Flag | None = None

    WHAT = "rule"
    REQUIRED = ("name",)


def _check_rule(rule: Rule) -> Rule:
    if rule.domain is None and rule.urgent is None and rule.important is None:
        raise Invalid(f"rule {_show(rule.name)} sets nothing; give it a domain, urgent or "
                      "important")
    for low, high in (("min_attendees", "max_attendees"), ("min_minutes", "max_minutes")):
        low_value, high_value = getattr(rule, low), getattr(rule, high)
        if low_value is not None and high_value is not None and low_value > high_value:
            raise Invalid(f"{low_value:g} is more than {high}", low)
    return rule


def _unique_names(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    seen: dict[str, int] = {}
    for index, rule in enumerate(rules, 1):
        if rule.name in seen:
            raise Invalid(f"{_show(rule.name)} is already the name of {PARENT}[{seen[rule.name]}]"
                          "; rule names are shown as reasons, so keep them unique",
                          f"[{index}].name")
        seen[rule.name] = index
    return rules


@dataclass(frozen=True)
class Config:
    timezone: Annotated[str, Check(_zone)] = "UTC"
    week_start: Weekday = "monday"
    owner_emails: Annotated[tuple[str, ...], _list_of(_email)] = ()
    work_domains: Annotated[tuple[str, ...], _list_of(_mail_domain)] = ()
    working_hours: Annotated[dict[str, TimeRange | None], Check(_working_hours)] = field(
        default_factory=_default_working_hours)
    boundaries: Annotated[Boundaries, TABLE] = Boundaries()
    focus: Annotated[Focus, TABLE] = Focus()
    urgency: Annotated[Urgency, TABLE] = Urgency()
    counting: Annotated[Counting, TABLE] = Counting()
    days_off: Annotated[DaysOff, TABLE] = DaysOff()
    calendars: Annotated[tuple[Annotated[CalendarDefault, TABLE], ...], TABLES] = ()
    rules: Annotated[tuple[Annotated[Rule, TABLE, Check(_check_rule, "after")], ...], TABLES,
                     Check(_unique_names, "after")] = ()
    goals: Annotated[Goals, TABLE] = Goals()
    path: str | None = None  # the file it was read from, for error messages; not a key


# --- loading -----------------------------------------------------------------------------


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
    return parse_config(read_toml(*located), file=located[1])


def read_toml(path: Path, label: str) -> dict[str, Any]:
    """The parsed TOML of ``path``; every problem is a one-line `ConfigError`."""
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
    return parse_config(tomllib.loads(text), file=DEFAULT_RULES_FILE).rules


@functools.cache
def _validator() -> Any:
    from pydantic import TypeAdapter  # noqa: PLC0415 - 60 ms, only when a file is read

    return TypeAdapter(Annotated[Config, TABLE])


def parse_config(data: Mapping[str, Any], *, file: str = "configuration") -> Config:
    """Validate parsed TOML into a `Config`; every problem is a one-line `ConfigError`.

    A configuration validated before (the same parsed TOML, the same code) is taken from
    the disk cache (`audit.config_cache`) without pydantic; only valid ones are kept
    there, so every problem is still found and worded by the validation below."""
    from audit import config_cache  # noqa: PLC0415 - cycle: it names this module

    key = config_cache.key_for(data)
    config = None if key is None else config_cache.load(key, Config)
    if config is None:
        config = _validate(data, file)
        if key is not None:
            config_cache.store(key, config)
    timezone = config.timezone if "timezone" in data else local_zone_name()
    return replace(config, timezone=timezone, path=file if file != "configuration" else None)


def _validate(data: Mapping[str, Any], file: str) -> Config:
    from pydantic import ValidationError  # noqa: PLC0415

    try:
        return _validator().validate_python(data)
    except ValidationError as error:
        raise _config_error(error.errors()[0], file) from None
    except RecursionError:
        raise ConfigError(TOO_DEEP, file=file) from None


def _config_error(error: Mapping[str, Any], file: str) -> ConfigError:
    """pydantic's first error as our one line: the dotted key (rules[1].name) and the text."""
    key = ""
    for part in error["loc"]:
        key = _join(key, f"[{part + 1}]" if isinstance(part, int) else str(part))
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, Invalid):
        message, key = cause.message.replace(PARENT, key), _join(key, cause.key)
    else:  # a check of pydantic's own (none is expected: every field has a Check)
        message = f"{error['msg'][:1].lower()}{error['msg'][1:]}, got {_show(error['input'])}"
    return ConfigError(message, key=key or None, file=file)
