"""A small format-preserving TOML editor for the keys timeaudit writes into its config.

`tomllib` reads TOML but cannot write it, and no writer ships with the project's
dependencies. The dashboard only ever changes a few known keys, so this module edits the
text *in place*: it locates the statement that defines a key (or the ``[[table]]`` blocks
of an array of tables) and replaces just that value, leaving every comment, blank line,
unknown key and the user's own formatting alone::

    # my hours                      # my hours
    [working_hours]                 [working_hours]
    monday = "09:00-17:30"  # ok →  monday = "08:00-16:00"  # ok
    friday = "09:00-15:00"          friday = "09:00-15:00"

It never guesses: a value written in a form it does not edit (a key inside an inline
table) raises `TomlEditError`, and `audit.settings` compares what `tomllib` reads back
with what was intended before anything is written.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class TomlEditError(ValueError):
    """The text cannot be edited safely (the message says which key and why)."""


# ----------------------------------------------------------------- writing values


def dump_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _basic_string(key)


def _basic_string(text: str) -> str:
    # JSON escapes (\" \\ \n \t \uXXXX) are all valid TOML basic-string escapes; DEL is
    # the one control character JSON leaves alone and TOML forbids raw.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def dump_value(value: Any) -> str:
    """One TOML value (inline form): strings, numbers, booleans, lists and tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TomlEditError(f"{value} cannot be written to the configuration")
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, str):
        # Regular expressions read best as literal strings: a backslash stays one.
        plain = "'" not in value and not any(ord(c) < 32 or ord(c) == 127 for c in value)
        return f"'{value}'" if "\\" in value and plain else _basic_string(value)
    if isinstance(value, Mapping):
        items = ", ".join(f"{dump_key(k)} = {dump_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(dump_value(v) for v in value) + "]"
    raise TomlEditError(f"cannot write {type(value).__name__} values to the configuration")


def dump_table(header: str, values: Mapping[str, Any]) -> str:
    lines = [header] + [f"{dump_key(k)} = {dump_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------- reading the layout


@dataclass
class _KeyValue:
    path: tuple[str, ...]   # relative to the table it sits in
    start: int              # offset of the key's first character
    value_start: int
    value_end: int
    line_end: int           # offset just past the statement's newline (or end of text)


@dataclass
class _Section:
    """The root table or one ``[table]`` / ``[[array]]`` block."""

    name: tuple[str, ...]
    array: bool
    header_start: int       # -1 for the root
    lead_start: int         # comment lines directly above the header belong to it
    header_end: int         # just past the header line
    end: int = 0            # where the next section's lead comments start (or end of text)
    keys: list[_KeyValue] = field(default_factory=list)


class _Scanner:
    """Statements of a TOML document with their offsets (strings and arrays may span lines)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> TomlEditError:
        line = self.text.count("\n", 0, self.pos) + 1
        return TomlEditError(f"line {line}: {what}")

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos:self.pos + n]

    def skip_spaces(self) -> None:
        while self.peek() in (" ", "\t"):
            self.pos += 1

    def skip_blank_and_comments(self) -> None:
        """Inside arrays: whitespace, newlines and comments."""
        while True:
            self.skip_spaces()
            char = self.peek()
            if char in ("\n", "\r"):
                self.pos += 1
            elif char == "#":
                self.to_line_end()
            else:
                return

    def to_line_end(self) -> None:
        end = self.text.find("\n", self.pos)
        self.pos = len(self.text) if end < 0 else end

    def line_end(self) -> int:
        """After a statement: spaces, an optional comment, the newline."""
        self.skip_spaces()
        if self.peek() == "#":
            self.to_line_end()
        if self.peek() == "\r":
            self.pos += 1
        if self.peek() == "\n":
            self.pos += 1
        elif self.pos < len(self.text):
            raise self.fail("unexpected text after a value")
        return self.pos

    def string(self) -> str:
        """A quoted string at ``pos`` (any of the four kinds); returns its raw text."""
        start = self.pos
        delimiter = next(d for d in ('"""', "'''", '"', "'")
                         if self.text.startswith(d, self.pos))
        escapes = delimiter[0] == '"'  # basic strings have escapes, literal ones do not
        self.pos += len(delimiter)
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if escapes and char == "\\":
                self.pos += 2
                continue
            if len(delimiter) == 1 and char == "\n":
                raise self.fail("a string runs past the end of its line")
            if self.text.startswith(delimiter, self.pos):
                if len(delimiter) == 3:
                    # the content may end in one or two quotes: the last three close it
                    run = len(self.text[self.pos:]) - len(self.text[self.pos:].lstrip(char))
                    self.pos += min(run, 5)
                else:
                    self.pos += 1
                return self.text[start:self.pos]
            self.pos += 1
        raise self.fail("a string is not closed")

    def key(self, stop: str) -> tuple[str, ...]:
        """A (dotted) key, up to ``stop`` ("=" or "]")."""
        parts: list[str] = []
        while True:
            self.skip_spaces()
            char = self.peek()
            if char in ('"', "'"):
                raw = self.string()
                parts.append(json.loads(raw) if raw.startswith('"') else raw[1:-1])
            else:
                match = re.compile(r"[A-Za-z0-9_-]+").match(self.text, self.pos)
                if not match:
                    raise self.fail("expected a key")
                parts.append(match.group())
                self.pos = match.end()
            self.skip_spaces()
            if self.peek() == ".":
                self.pos += 1
                continue
            if not self.text.startswith(stop, self.pos):
                raise self.fail(f"expected {stop!r} after a key")
            return tuple(parts)

    def value(self) -> None:
        self.skip_spaces()
        char = self.peek()
        if char in ('"', "'"):
            self.string()
        elif char == "[":
            self._items("]", self.skip_blank_and_comments, self.value, "an array")
        elif char == "{":
            self._items("}", self.skip_spaces, self._pair, "an inline table")
        else:  # number, boolean, date-time: up to a delimiter
            match = re.compile(r"[^,\]}#\r\n]+").match(self.text, self.pos)
            if not match or not match.group().strip():
                raise self.fail("expected a value")
            self.pos = match.start() + len(match.group().rstrip())

    def _pair(self) -> None:
        self.key("=")
        self.pos += 1
        self.value()

    def _items(self, close: str, skip: Callable[[], None], item: Callable[[], None],
               what: str) -> None:
        """``[a, b]`` or ``{k = v}``: items separated by commas, up to ``close``."""
        self.pos += 1
        while True:
            skip()
            if self.peek() == close:
                self.pos += 1
                return
            item()
            skip()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != close:
                raise self.fail(f"expected , or {close} in {what}")


def _layout(text: str) -> list[_Section]:
    scanner = _Scanner(text)
    sections = [_Section((), array=False, header_start=-1, lead_start=0, header_end=0)]
    comment_run_start: int | None = None  # first of the comment lines just above here
    while scanner.pos < len(text):
        line_start = scanner.pos
        scanner.skip_spaces()
        char = scanner.peek()
        if char in ("\n", "\r", ""):
            scanner.line_end()
            comment_run_start = None
        elif char == "#":
            scanner.to_line_end()
            scanner.line_end()
            if comment_run_start is None:
                comment_run_start = line_start
        elif char == "[":
            array = scanner.peek(2) == "[["
            scanner.pos += 2 if array else 1
            name = scanner.key("]]" if array else "]")
            scanner.pos += 2 if array else 1
            lead = comment_run_start if comment_run_start is not None else line_start
            sections[-1].end = lead
            sections.append(_Section(name, array, line_start, lead, scanner.line_end()))
            comment_run_start = None
        else:
            path = scanner.key("=")
            scanner.pos += 1
            scanner.skip_spaces()
            value_start = scanner.pos
            scanner.value()
            value_end = scanner.pos
            start = line_start + len(text[line_start:value_start]) - len(
                text[line_start:value_start].lstrip(" \t"))
            sections[-1].keys.append(
                _KeyValue(path, start, value_start, value_end, scanner.line_end()))
            comment_run_start = None
    sections[-1].end = len(text)
    return sections


# ----------------------------------------------------------------- edits


@dataclass(frozen=True)
class _Splice:
    start: int
    end: int
    text: str


def _apply(text: str, splices: list[_Splice]) -> str:
    for splice in sorted(splices, key=lambda s: (s.start, s.end), reverse=True):
        text = text[:splice.start] + splice.text + text[splice.end:]
    return text


def _line_indent(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    return text[start:offset] if not text[start:offset].strip() else ""


def _ensure_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"


def _find_key(sections: list[_Section], path: tuple[str, ...]
              ) -> tuple[_Section, _KeyValue] | None:
    """The statement whose full path (table + dotted key) is ``path``; arrays excluded."""
    for section in sections:
        if section.array:
            continue
        for entry in section.keys:
            full = section.name + entry.path
            if full == path:
                return section, entry
            if path[:len(full)] == full:
                raise TomlEditError(f"{'.'.join(path)}: {'.'.join(full)} is written as an "
                                    "inline table, which this editor does not change; edit "
                                    "it by hand")
    return None


def _insert_point(text: str, section: _Section) -> tuple[int, str]:
    """Where a new key goes in ``section``, and the indentation to use."""
    if section.keys:
        last = section.keys[-1]
        return last.line_end, _line_indent(text, last.start)
    if section.header_start < 0:  # an empty root: before the first table's comments
        return section.end, ""
    return section.header_end, ""


def set_value(text: str, path: Sequence[str], value: Any) -> str:
    """``text`` with the key ``path`` (e.g. ``("focus", "min_block_minutes")``) set."""
    path = tuple(path)
    text = _ensure_newline(text)
    sections = _layout(text)
    found = _find_key(sections, path)
    if found is not None:
        _, entry = found
        return _apply(text, [_Splice(entry.value_start, entry.value_end, dump_value(value))])
    # the deepest table that exists takes the key (dotted when the key is deeper still)
    for depth in range(len(path) - 1, 0, -1):
        table = [s for s in sections if s.name == path[:depth] and not s.array]
        if table:
            return _insert_key(text, table[0], path[depth:], value)
    if len(path) == 1:
        return _insert_key(text, sections[0], path, value)
    header = "[" + ".".join(dump_key(k) for k in path[:-1]) + "]"
    addition = dump_table(header, {path[-1]: value})
    return text + ("\n" if text.strip() else "") + addition


def _insert_key(text: str, section: _Section, key: tuple[str, ...], value: Any) -> str:
    at, indent = _insert_point(text, section)
    line = f"{indent}{'.'.join(dump_key(k) for k in key)} = {dump_value(value)}\n"
    if section.header_start < 0 and not section.keys and at < len(text):
        line += "\n"  # a new first key of the root, before the first table
    return _apply(text, [_Splice(at, at, line)])


def remove_key(text: str, path: Sequence[str]) -> str:
    """``text`` without the key ``path`` (unchanged when it is not there)."""
    text = _ensure_newline(text)
    found = _find_key(_layout(text), tuple(path))
    if found is None:
        return text
    return _apply(text, [_cut_statement(text, found[1])])


def _cut_statement(text: str, entry: _KeyValue) -> _Splice:
    return _Splice(entry.start - len(_line_indent(text, entry.start)), entry.line_end, "")


def set_tables(text: str, name: Sequence[str], items: Sequence[Mapping[str, Any]],
               current: Sequence[Mapping[str, Any]], *, match: str | None = None) -> str:
    """Make the array of tables ``name`` hold ``items`` (``current`` is what it holds now,
    as `tomllib` read it, in order).

    With ``match``, blocks are paired with items by that key (a calendar's ``source``, a
    rule's ``name``), else by position. A paired block is edited key by key, keeping its
    comments and the formatting of unchanged values; blocks left over are removed with
    the comment lines directly above them; new items are added after the last block.
    """
    name = tuple(name)
    text = _ensure_newline(text)
    sections = _layout(text)
    blocks = [s for s in sections if s.array and s.name == name]
    if not blocks and current:
        # written inline (`protected = [{…}]`): replace the whole value
        if _find_key(sections, name) is None:
            raise TomlEditError(f"{'.'.join(name)}: cannot find where it is written")
        return set_value(text, name, [dict(item) for item in items])
    if len(blocks) != len(current):
        raise TomlEditError(f"{'.'.join(name)}: written partly as [[{'.'.join(name)}]] "
                            "blocks and partly in another form; edit it by hand")
    pairs = _pairs(items, current, match)
    splices: list[_Splice] = []
    for index, block in enumerate(blocks):
        if index not in pairs:
            # The comments above the first block usually describe the whole list: they
            # stay while any block stays.
            keep_lead = index == 0 and bool(pairs)
            splices.append(_Splice(block.header_start if keep_lead else block.lead_start,
                                   block.end, ""))
            continue
        original = text[block.lead_start:block.end]
        edited = _edit_pair(original, name, items[pairs[index]], current[index])
        if edited != original:
            splices.append(_Splice(block.lead_start, block.end, edited))
    paired_items = set(pairs.values())
    new = [item for j, item in enumerate(items) if j not in paired_items]
    if new:
        kept = [b for i, b in enumerate(blocks) if i in pairs]
        at = (kept[-1].keys[-1].line_end if kept[-1].keys else kept[-1].header_end) \
            if kept else len(text)
        addition = "".join("\n" + _table_text(name, item) for item in new)
        splices.append(_Splice(at, at, addition.lstrip("\n") if at == 0 else addition))
    return _apply(text, splices)


def _pairs(items: Sequence[Mapping[str, Any]], current: Sequence[Mapping[str, Any]],
           match: str | None) -> dict[int, int]:
    """Existing block index → item index."""
    if match is None:
        return {i: i for i in range(min(len(items), len(current)))}
    where = {entry.get(match): i for i, entry in enumerate(current)}
    return {where[item.get(match)]: j for j, item in enumerate(items)
            if item.get(match) in where}


def _edit_pair(block: str, name: tuple[str, ...], item: Mapping[str, Any],
               old: Mapping[str, Any]) -> str:
    """One block's text, edited key by key from ``old`` to ``item``."""
    for key in [k for k in old if k not in item]:
        block = _edit_block(block, name, key, None, remove=True)
    for key, value in item.items():
        if key not in old or old[key] != value:
            block = _edit_block(block, name, key, value)
    return block


def _table_text(name: tuple[str, ...], values: Mapping[str, Any]) -> str:
    return dump_table("[[" + ".".join(dump_key(k) for k in name) + "]]", values)


def _edit_block(block: str, name: tuple[str, ...], key: str, value: Any, *,
                remove: bool = False) -> str:
    """Set (or remove) ``key`` inside one ``[[name]]`` block, given as its own text."""
    section = next(s for s in _layout(block) if s.array and s.name == name)
    for entry in section.keys:
        if entry.path == (key,):
            if remove:
                return _apply(block, [_cut_statement(block, entry)])
            return _apply(block, [_Splice(entry.value_start, entry.value_end,
                                          dump_value(value))])
        if entry.path[:1] == (key,):
            raise TomlEditError(f"{'.'.join(name)}.{key}: written as dotted keys; edit it "
                                "by hand")
    if remove:
        return block
    return _insert_key(block, section, (key,), value)
