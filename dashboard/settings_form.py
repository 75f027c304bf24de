"""The dashboard's settings form: what it holds, its starting values from the configuration,
and the `audit.config_edit` edits that save what the person changed (only that)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from audit.config import WEEKDAYS, Config, TimeRange, canonical_time_range
from audit.config_edit import Edit, SetKey, SetTables
from core.errors import ConfigError


@dataclass(frozen=True)
class SettingsForm:
    """What the dashboard's settings form holds, as the person typed it."""

    timezone: str
    working_hours: Mapping[str, str]          # weekday → "HH:MM-HH:MM" or ""
    late_night: str
    max_workday_hours: float
    no_meeting_days: tuple[str, ...]
    protected: tuple[Mapping[str, Any], ...]  # name, days (text or list), time
    min_block_minutes: int
    target_hours_per_week: float
    owner_emails: tuple[str, ...] = ()
    work_domains: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


def _range_text(value: TimeRange | None) -> str:
    return "" if value is None else str(value)


def form_from_config(config: Config) -> SettingsForm:
    """The form's starting values: the effective configuration."""
    return SettingsForm(
        timezone=config.timezone,
        working_hours={day: _range_text(config.working_hours.get(day)) for day in WEEKDAYS},
        late_night=str(config.boundaries.late_night),
        max_workday_hours=config.boundaries.max_workday_hours,
        no_meeting_days=tuple(config.boundaries.no_meeting_days),
        protected=tuple({"name": b.name, "days": format_days(b.days), "time": str(b.time)}
                        for b in config.boundaries.protected),
        min_block_minutes=config.focus.min_block_minutes,
        target_hours_per_week=config.focus.target_hours_per_week,
        owner_emails=tuple(config.owner_emails),
        work_domains=tuple(config.work_domains),
    )


_DAY_NAMES = {day[:3]: day for day in WEEKDAYS} | {day: day for day in WEEKDAYS} | {
    "tues": "tuesday", "wed": "wednesday", "thur": "thursday", "thurs": "thursday"}


def parse_days(text: str | Sequence[str], key: str, file: str) -> tuple[str, ...]:
    """ "mon-fri", "Mon, Wed, sat" or ["monday", …] → weekday names (in week order)."""
    parts = [text] if isinstance(text, str) else list(text)
    names: set[str] = set()
    for part in (p.strip().lower() for chunk in parts for p in re.split(r"[,;/\s]+", chunk)):
        if not part:
            continue
        first, dash, last = part.partition("-")
        if first not in _DAY_NAMES or (dash and last not in _DAY_NAMES):
            raise ConfigError(f"{part!r} is not a weekday or a range such as mon-fri",
                              key=key, file=file)
        a = WEEKDAYS.index(_DAY_NAMES[first])
        b = WEEKDAYS.index(_DAY_NAMES[last]) if dash else a
        names.update(WEEKDAYS[(a + i) % 7] for i in range((b - a) % 7 + 1))
    if not names:
        raise ConfigError("name at least one weekday, e.g. mon-fri", key=key, file=file)
    return tuple(day for day in WEEKDAYS if day in names)


def format_days(days: Sequence[str]) -> str:
    """Weekday names as the form shows them: "mon-fri", "mon, wed, sat"."""
    indexes = sorted(WEEKDAYS.index(d) for d in days)
    if len(indexes) > 2 and indexes == list(range(indexes[0], indexes[-1] + 1)):
        return f"{WEEKDAYS[indexes[0]][:3]}-{WEEKDAYS[indexes[-1]][:3]}"
    return ", ".join(WEEKDAYS[i][:3] for i in indexes)


def settings_edits(config: Config, form: SettingsForm, *, file: str) -> list[Edit]:
    """The edits that turn the effective ``config`` into what ``form`` says; only what
    changed is written, so defaults a person never touched stay out of their file."""
    before = form_from_config(config)
    wanted: list[tuple[tuple[str, ...], Any, Any]] = [
        (("timezone",), form.timezone.strip(), before.timezone),
        *((("working_hours", day), canonical_time_range(form.working_hours.get(day, "")),
           before.working_hours[day]) for day in WEEKDAYS),
        (("boundaries", "late_night"), canonical_time_range(form.late_night),
         before.late_night),
        (("boundaries", "max_workday_hours"), float(form.max_workday_hours),
         before.max_workday_hours),
        (("boundaries", "no_meeting_days"), list(form.no_meeting_days),
         list(before.no_meeting_days)),
        (("focus", "min_block_minutes"), int(form.min_block_minutes),
         before.min_block_minutes),
        (("focus", "target_hours_per_week"), float(form.target_hours_per_week),
         before.target_hours_per_week),
        (("owner_emails",), list(form.owner_emails), list(before.owner_emails)),
        (("work_domains",), list(form.work_domains), list(before.work_domains)),
    ]
    edits: list[Edit] = [SetKey(path, new) for path, new, old in wanted if new != old]
    protected = _protected_blocks(form.protected, file)
    old_protected = [{"name": b["name"], "days": list(parse_days(b["days"], "", file)),
                      "time": b["time"]} for b in before.protected]
    if protected != old_protected:
        edits.append(SetTables(("boundaries", "protected"), tuple(protected)))
    return edits


def _protected_blocks(rows: Sequence[Mapping[str, Any]], file: str) -> list[dict[str, Any]]:
    """The rows of the protected-time table as ``[[boundaries.protected]]`` items."""
    blocks = []
    for index, block in enumerate(rows, 1):
        key = f"boundaries.protected[{index}]"
        name = str(block.get("name") or "").strip()
        time = canonical_time_range(str(block.get("time") or ""))
        if not name and not time and not block.get("days"):
            continue  # an empty row the person added and left
        if not name:
            raise ConfigError("every protected block needs a name", key=f"{key}.name",
                              file=file)
        days = parse_days(block.get("days") or "", f"{key}.days", file)
        blocks.append({"name": name, "days": list(days), "time": time})
    return blocks


def split_list(text: str) -> tuple[str, ...]:
    """ "a@x.org, b@y.org" (commas, semicolons or whitespace) → ("a@x.org", "b@y.org")."""
    return tuple(part for part in re.split(r"[,;\s]+", text.strip()) if part)
