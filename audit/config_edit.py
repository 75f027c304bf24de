"""Edits of the user's `timeaudit.toml` (settings saved from the dashboard, rules made from
titles, calendar default domains), written with tomlkit so comments and layout stay.

The file is the one ``timeaudit`` reads when there is no ``./timeaudit.toml``: the user
config directory (`platformdirs`). Only keys of SPEC §4 are written; every write is a
read-modify-write under a lock (two dashboard tabs saving at once both count), is checked
by reading it back (`tomllib` and `audit.config.parse_config`) and replaces the file by a
rename, so a bad value is a `ConfigError` and the file is left untouched.
"""

from __future__ import annotations

import copy
import math
import os
import re
import tempfile
import time
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from audit.config import CONFIG_FILE_NAME, TOO_DEEP, Config, parse_config, read_toml
from audit.domains import DOMAINS
from core.errors import AuditError, ConfigError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt

APP = "timeaudit"
_REGEX_SPECIAL = re.compile(r"([.^$|?*+()\[\]{}\\])")
NEW_FILE = ("# timeaudit settings (SPEC §4). The dashboard updates the keys it manages and "
            "keeps\n# everything else in this file as you wrote it.\n")


def user_config_path() -> Path:
    """The user's ``timeaudit.toml`` (``$XDG_CONFIG_HOME/timeaudit/timeaudit.toml``)."""
    return platformdirs.user_config_path(APP) / CONFIG_FILE_NAME


# ------------------------------------------------------------------ writing files


def private_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, mode=0o700)
    except FileExistsError:
        return  # there already (perhaps made a moment ago by another process)
    path.chmod(0o700)  # mkdir's mode passes through the umask


def atomic_write(path: Path, data: bytes, *, private: bool) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    try:
        if private:
            private_dir(path.parent)
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
            private_dir(path.parent)
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


# ------------------------------------------------------------------ the edits


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


def _item(value: Any) -> Any:
    """``value`` as tomlkit writes it: a regex with backslashes as a literal string."""
    import tomlkit  # noqa: PLC0415 - only when a file is edited

    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} cannot be written to the configuration")
    if isinstance(value, str) and "\\" in value and not any(
            char in {"'", "\x7f"} or (char < " " and char != "\t") for char in value):
        return tomlkit.string(value, literal=True)
    if isinstance(value, list):
        return [_item(item) for item in value]
    if isinstance(value, Mapping):
        return {name: _item(item) for name, item in value.items()}
    return value


def _update_table(table: Any, item: Mapping[str, Any]) -> None:
    """Make the (tomlkit) table hold ``item``, keeping the keys that stay and their comments."""
    for name in [name for name in table if name not in item]:
        del table[name]
    for name, value in item.items():
        if name not in table or table[name].unwrap() != value:
            table[name] = _item(value)


def _set_tables(node: Any, name: str, edit: SetTables) -> None:
    """Apply ``edit`` to the array ``node[name]``: blocks paired with items (by ``match``,
    else by position) are updated in place, the rest removed or appended."""
    import tomlkit  # noqa: PLC0415

    items = [dict(item) for item in edit.items]
    if not items:
        node.pop(name, None)
        return
    current = node.get(name)
    inline = isinstance(current, tomlkit.items.Array)  # written as [{ … }, { … }]: keep that
    if not (inline or isinstance(current, tomlkit.items.AoT)):
        node[name] = current = tomlkit.aot()
    def label(entry: Mapping[str, Any], index: int) -> Any:
        return entry.get(edit.match) if edit.match else index
    wanted = {label(item, i): item for i, item in enumerate(items)}
    for index in reversed(range(len(current))):
        if not isinstance(current[index], Mapping) or label(current[index], index) not in wanted:
            del current[index]
    kept = [label(table, i) for i, table in enumerate(current)]
    if kept != [label(item, i) for i, item in enumerate(items)][:len(kept)]:
        # reordered: rebuild (comments inside the blocks go)
        node[name] = current = tomlkit.array() if inline else tomlkit.aot()
        kept = []
    for index, item in enumerate(items):
        if index >= len(kept):
            current.append(tomlkit.inline_table() if inline else tomlkit.table())
        _update_table(current[index], item)


def edit_text(text: str, edits: Iterable[Edit], *, label: str) -> str:
    """``text`` (a timeaudit.toml) with ``edits`` applied, everything else kept.

    Raises `ConfigError` when the text is not valid TOML or cannot be edited safely; the
    result is verified to read back as exactly the intended data.
    """
    import tomlkit  # noqa: PLC0415

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"not valid TOML: {error}; fix it before saving settings here",
                          file=label) from None
    except RecursionError:
        raise ConfigError(TOO_DEEP, file=label) from None
    edits = list(edits)
    document = tomlkit.parse(text)
    try:
        for given in edits:
            edit = _resolve(given, document.unwrap())
            node = document
            for key in edit.path[:-1]:
                if key not in node:
                    node[key] = tomlkit.table()
                node = node[key]
            if isinstance(edit, SetTables):
                _set_tables(node, edit.path[-1], edit)
            elif _get(node, edit.path[-1:], default=_MISSING) != edit.value:
                node[edit.path[-1]] = _item(edit.value)
        new_text = document.as_string()
        written = tomllib.loads(new_text)
    except (tomlkit.exceptions.TOMLKitError, tomllib.TOMLDecodeError, TypeError,
            ValueError) as error:
        raise ConfigError(f"cannot update the file safely ({error}); edit it by hand",
                          file=label) from None
    if written != apply_edits(data, edits):
        raise ConfigError("cannot update the file safely (it would not read back as "
                          "intended); edit it by hand", file=label)
    return new_text


_MISSING = object()


def read_config_data(path: Path) -> dict[str, Any]:
    """The parsed TOML of ``path`` ({} when it does not exist); `ConfigError` if unusable."""
    return read_toml(path, str(path)) if path.exists() else {}


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
        new_text = edit_text(text or NEW_FILE, edits, label=str(path))
        config = parse_config(tomllib.loads(new_text), file=str(path))
        if new_text != text:
            atomic_write(path, new_text.encode("utf-8"), private=False)
    return config


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
