"""What a person sets up in the dashboard, kept where the command line finds it too.

Two places, both under the platform's user directories (`platformdirs`):

* **Settings** — working hours, protected blocks, focus, time zone, calendar default
  domains (``[[calendars]]``) and classification rules (``[[rules]]``) — go into the
  user's ``timeaudit.toml`` in the user config directory, the file ``timeaudit`` reads
  when there is no ``./timeaudit.toml``. Only keys of SPEC §4 are written, through the
  format-preserving editor of `audit.toml_edit`, so the person's comments, formatting and
  other keys stay as they were; every write is checked by reading it back (`tomllib` and
  `audit.config.parse_config`) before the file is replaced, so a bad value is a
  `ConfigError` and the file is left untouched.
* **Connections** — uploaded ``.ics`` files (copied into ``calendars/`` in the user data
  directory) and ICS links — are listed in ``connections.json`` beside the local store.
  Links can carry secrets (Google's "secret address"), so the file is private (0600),
  like the store. Google calendars are selected and synced in the store itself
  (`connectors.google_store`).

Nothing here imports Streamlit: the dashboard calls these functions and so can scripts.
"""

from __future__ import annotations

import copy
import json
import os
import re
import tempfile
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from audit.config import (
    CONFIG_FILE_NAME,
    TOO_DEEP,
    WEEKDAYS,
    Config,
    TimeRange,
    canonical_time_range,
    parse_config,
)
from audit.domains import DOMAINS
from audit.toml_edit import TomlEditError, set_tables, set_value
from core.errors import AuditError, ConfigError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

APP = "timeaudit"
CONNECTIONS_FILE = "connections.json"
UPLOADS_DIR = "calendars"
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")
_REGEX_SPECIAL = re.compile(r"([.^$|?*+()\[\]{}\\])")


def user_config_path() -> Path:
    """The user's ``timeaudit.toml`` (``$XDG_CONFIG_HOME/timeaudit/timeaudit.toml``)."""
    return platformdirs.user_config_path(APP) / CONFIG_FILE_NAME


def data_dir() -> Path:
    return platformdirs.user_data_path(APP)


def uploads_dir() -> Path:
    return data_dir() / UPLOADS_DIR


def connections_path() -> Path:
    return data_dir() / CONNECTIONS_FILE


# ------------------------------------------------------------------ writing files


def _private_dir(path: Path) -> None:
    if not path.exists():
        path.mkdir(parents=True, mode=0o700)
        path.chmod(0o700)  # mkdir's mode passes through the umask


def _atomic_write(path: Path, data: bytes, *, private: bool) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    try:
        if private:
            _private_dir(path.parent)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        mode = 0o600 if private or not path.exists() else path.stat().st_mode & 0o777
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.",
                                         delete=False) as tmp:
            try:
                tmp.write(data)
                tmp.flush()
            except OSError:
                tmp.close()
                Path(tmp.name).unlink(missing_ok=True)  # a full disk leaves nothing behind
                raise
        try:
            Path(tmp.name).chmod(mode if private else (mode | 0o600))
            os.replace(tmp.name, path)
        except OSError:
            Path(tmp.name).unlink(missing_ok=True)
            raise
    except OSError as error:
        raise AuditError(f"{path}: cannot save ({error.strerror or error})") from None


# How long a read-modify-write waits for another process's (a second dashboard tab's).
LOCK_TIMEOUT_SECONDS = 30.0


@contextmanager
def locked(path: Path, *, private: bool) -> Iterator[None]:
    """Hold an exclusive lock for a read-modify-write of ``path`` (across processes).

    The lock is a separate file beside it (``.<name>.lock``), so replacing ``path`` by a
    rename keeps the lock; a lock held longer than `LOCK_TIMEOUT_SECONDS` is an error.
    """
    lock_path = path.parent / f".{path.name}.lock"
    try:
        if private:
            _private_dir(path.parent)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise AuditError(f"{path}: cannot save ({error.strerror or error})") from None
    try:
        deadline = time.monotonic() + LOCK_TIMEOUT_SECONDS
        while True:
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                else:
                    msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AuditError(f"{path}: another timeaudit is saving it for more than "
                                     f"{LOCK_TIMEOUT_SECONDS:.0f} s; try again") from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


# ------------------------------------------------------------------ configuration edits


@dataclass(frozen=True)
class SetKey:
    """Set one key, e.g. ``SetKey(("focus", "min_block_minutes"), 90)``."""

    path: tuple[str, ...]
    value: Any


@dataclass(frozen=True)
class SetTables:
    """Make an array of tables (``[[calendars]]``, ``[[rules]]`` …) hold ``items``;
    ``match`` pairs existing blocks with items by that key so their comments stay."""

    path: tuple[str, ...]
    items: tuple[Mapping[str, Any], ...]
    match: str | None = None


@dataclass(frozen=True)
class AddRules:
    """Append rules to ``[[rules]]`` (names made unique against the file as saved)."""

    rules: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class SetCalendarDomain:
    """Set (None: remove) the default domain of one calendar in ``[[calendars]]``."""

    source: str
    domain: str | None


Edit = SetKey | SetTables | AddRules | SetCalendarDomain


def _resolve(edit: Edit, data: Mapping[str, Any]) -> SetKey | SetTables:
    """An edit that depends on the file's current content, made concrete against ``data``
    (the content read under the save lock, so concurrent saves add up)."""
    if isinstance(edit, AddRules):
        return rules_edit(data, edit.rules)
    if isinstance(edit, SetCalendarDomain):
        return calendar_domain_edit(data, edit.source, edit.domain)
    return edit


def _get(data: Mapping[str, Any], path: Sequence[str], default: Any = None) -> Any:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return node


def apply_edits(data: Mapping[str, Any], edits: Iterable[Edit]) -> dict[str, Any]:
    """``data`` (parsed TOML) with ``edits`` applied; ``data`` itself is not changed."""
    result = copy.deepcopy(dict(data))
    for given in edits:
        edit = _resolve(given, result)
        node = result
        for key in edit.path[:-1]:
            node = node.setdefault(key, {})
        if isinstance(edit, SetTables) and not edit.items:
            node.pop(edit.path[-1], None)  # no [[blocks]] left: the key is gone
            continue
        value = edit.value if isinstance(edit, SetKey) else [dict(i) for i in edit.items]
        node[edit.path[-1]] = copy.deepcopy(value)
    return result


def edit_text(text: str, edits: Iterable[Edit], *, label: str) -> str:
    """``text`` (a timeaudit.toml) with ``edits`` applied, everything else kept.

    Raises `ConfigError` when the text is not valid TOML or cannot be edited safely; the
    result is verified to read back as exactly the intended data.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"not valid TOML: {error}; fix it before saving settings here",
                          file=label) from None
    except RecursionError:
        raise ConfigError(TOO_DEEP, file=label) from None
    edits = list(edits)
    new_text = text
    try:
        for given in edits:
            current = tomllib.loads(new_text)
            edit = _resolve(given, current)
            if isinstance(edit, SetKey):
                if _get(current, edit.path, default=_MISSING) != edit.value:
                    new_text = set_value(new_text, edit.path, edit.value)
            else:
                existing = _get(current, edit.path, default=[])
                if list(existing) != [dict(i) for i in edit.items]:
                    new_text = set_tables(new_text, edit.path, edit.items, existing,
                                          match=edit.match)
        written = tomllib.loads(new_text)
    except (TomlEditError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot update the file safely ({error}); edit it by hand",
                          file=label) from None
    if written != apply_edits(data, edits):
        raise ConfigError("cannot update the file safely (it would not read back as "
                          "intended); edit it by hand", file=label)
    return new_text


class _Missing:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Missing)

    def __hash__(self) -> int:
        return 0


_MISSING = _Missing()


def read_config_data(path: Path) -> dict[str, Any]:
    """The parsed TOML of ``path`` ({} when it does not exist); `ConfigError` if unusable."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return {}
    except OSError as error:
        raise ConfigError(f"cannot read the file: {error.strerror or error}",
                          file=str(path)) from None
    except UnicodeDecodeError:
        raise ConfigError("is not UTF-8 text", file=str(path)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"not valid TOML: {error}", file=str(path)) from None
    except RecursionError:
        raise ConfigError(TOO_DEEP, file=str(path)) from None


def save_config(path: Path, edits: Iterable[Edit]) -> Config:
    """Apply ``edits`` to the config file at ``path`` (created when missing).

    The new configuration is validated first; on any problem a `ConfigError` names the
    key and the file, and the file is not touched.
    """
    edits = list(edits)
    with locked(path, private=False):  # edits are applied to the file as it is now
        try:
            text = path.read_bytes().decode("utf-8") if path.exists() else ""
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"cannot read the file: {error}", file=str(path)) from None
        if not text:
            text = ("# timeaudit settings (SPEC §4). The dashboard updates the keys it "
                    "manages and keeps\n# everything else in this file as you wrote it.\n")
        new_text = edit_text(text, edits, label=str(path))
        config = parse_config(tomllib.loads(new_text), file=str(path))
        if new_text != text or not path.exists():
            _atomic_write(path, new_text.encode("utf-8"), private=False)
    return config


# ------------------------------------------------------------------ settings of the form


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


# ------------------------------------------------------------------ calendars and rules


def calendar_domain_edit(data: Mapping[str, Any], source: str, domain: str | None) -> SetTables:
    """Set (or, with None, remove) the default domain of the calendar ``source``."""
    if domain is not None and domain not in DOMAINS:
        raise ConfigError(f"{domain!r} is not a domain; use one of {', '.join(DOMAINS)}",
                          key="calendars.domain")
    items = [dict(entry) for entry in _get(data, ("calendars",), [])]
    found = False
    for entry in items:
        if entry.get("source") == source:
            found = True
            entry["domain"] = domain
    items = [entry for entry in items if entry.get("domain") is not None]
    if not found and domain is not None:
        items.append({"source": source, "domain": domain})
    return SetTables(("calendars",), tuple(items), match="source")


def calendar_domains(data: Mapping[str, Any]) -> dict[str, str]:
    """source → default domain, as ``[[calendars]]`` says (exact sources only)."""
    return {e["source"]: e["domain"] for e in _get(data, ("calendars",), [])
            if isinstance(e, Mapping) and "source" in e and "domain" in e}


def title_pattern(title: str) -> str:
    """A rule pattern that matches this title (any case, surrounding spaces) whatever its
    numbers: a correction of "E 07:00-15:00 Ward 3" also covers "E 07:30-15:30 Ward 3"."""
    # Escape by hand: Python's re.escape also escapes spaces and '-', which the Rust
    # regex engine Polars uses reads differently inside some constructs.
    escaped = _REGEX_SPECIAL.sub(r"\\\1", title.strip())
    return "(?i)^\\s*" + re.sub(r"\d+", r"\\d+", escaped) + "\\s*$"


def rules_edit(data: Mapping[str, Any], new_rules: Sequence[Mapping[str, Any]]) -> SetTables:
    """Append ``new_rules`` to the user's ``[[rules]]`` (names made unique)."""
    existing = [dict(rule) for rule in _get(data, ("rules",), [])]
    names = {rule.get("name") for rule in existing}
    added = []
    for given in new_rules:
        rule = {k: v for k, v in given.items() if v is not None}
        base, number = rule["name"], 2
        while rule["name"] in names:
            rule["name"] = f"{base} ({number})"
            number += 1
        names.add(rule["name"])
        added.append(rule)
    return SetTables(("rules",), tuple(existing + added), match="name")


def rule_for_title(title: str, *, domain: str | None, urgent: bool | None,
                   important: bool | None) -> dict[str, Any]:
    """The rule "Classify the top unclassified titles" writes for one title."""
    if domain is None and urgent is None and important is None:
        raise ConfigError(f"the rule for {title!r} sets nothing; choose a domain, urgent or "
                          "important", key="rules")
    return {"name": f"Title: {title.strip()}", "title": title_pattern(title), "domain": domain,
            "urgent": urgent, "important": important}


# ------------------------------------------------------------------ connections


@dataclass(frozen=True)
class Connections:
    """The calendars the dashboard reads besides Google: uploaded files and links."""

    files: tuple[str, ...] = ()  # file names in uploads_dir()
    urls: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.files or self.urls)

    def paths(self) -> list[Path]:
        return [uploads_dir() / name for name in self.files]


def load_connections(path: Path | None = None) -> Connections:
    target = path or connections_path()
    try:
        raw = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Connections()
    except (OSError, ValueError) as error:
        reason = getattr(error, "strerror", None) or error
        raise AuditError(f"{target}: not a usable list of connections ({reason}); fix the "
                         "file (your uploaded calendars are kept beside it)") from None
    if not isinstance(raw, dict):
        raise AuditError(f"{target}: not a usable list of connections (expected a JSON "
                         "object); fix the file (your uploaded calendars are kept beside it)")
    lists = {}
    for key in ("files", "urls"):
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise AuditError(f"{target}: {key!r} should be a list of texts, not "
                             f"{json.dumps(value)[:40]}; fix the file")
        lists[key] = tuple(value)
    outside = [f for f in lists["files"] if f != safe_file_name(f)]
    if outside:  # only names timeaudit gave its own copies: never a path elsewhere
        raise AuditError(f"{target}: {json.dumps(outside[0])[:60]} is not the name of an "
                         f"uploaded calendar in {UPLOADS_DIR}/; fix the file")
    return Connections(lists["files"], lists["urls"])


def save_connections(connections: Connections, path: Path | None = None) -> None:
    body = {"version": 1, "files": list(connections.files), "urls": list(connections.urls)}
    _atomic_write(path or connections_path(), json.dumps(body, indent=2).encode() + b"\n",
                  private=True)


def _update(change: Callable[[Connections], Connections]) -> None:
    """Apply ``change(current)`` to connections.json: read, change and save under one lock,
    so two dashboards (or tabs) adding links at once keep both."""
    with locked(connections_path(), private=True):
        current = load_connections()
        changed = change(current)
        if changed != current:
            save_connections(changed)


def safe_file_name(name: str) -> str:
    """An uploaded file's name as stored: no folders, no odd characters, ``.ics``."""
    stem = _SAFE_NAME.sub("_", Path(name.replace("\\", "/")).name).strip(" ._") or "calendar"
    return stem if stem.lower().endswith(".ics") else f"{stem}.ics"


def add_upload(name: str, data: bytes) -> str:
    """Keep an uploaded calendar (replacing one of the same name); returns the stored name.

    The caller checks that ``data`` is a readable calendar first.
    """
    stored = safe_file_name(name)
    _private_dir(data_dir())
    _atomic_write(uploads_dir() / stored, data, private=True)
    _update(lambda c: c if stored in c.files else Connections((*c.files, stored), c.urls))
    return stored


def add_url(url: str) -> None:
    _update(lambda c: c if url in c.urls else Connections(c.files, (*c.urls, url)))


def remove_connection(*, file: str | None = None, url: str | None = None) -> None:
    """Forget an uploaded file (and delete its copy) or a link."""
    if file is not None:
        (uploads_dir() / safe_file_name(file)).unlink(missing_ok=True)
    _update(lambda c: Connections(tuple(f for f in c.files if f != file),
                                  tuple(u for u in c.urls if u != url)))
