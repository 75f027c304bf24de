"""The documented `sample_data/timeaudit.toml` and the configuration's schema say the same keys.

A key added to `audit.config` fails here until the sample documents it (as a key, or named
in a comment, as the rule conditions are), and a key in the sample the schema does not
know fails the sample's validation.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import typing
from pathlib import Path
from typing import Any

from audit.config import Config, parse_config

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "timeaudit.toml"


def _table_class(annotation: Any) -> type | None:
    """The dataclass a field holds (itself, or the items of an array of tables), if any."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if dataclasses.is_dataclass(candidate):
            return candidate  # type: ignore[return-value]
    return None


def schema_keys(cls: type = Config, prefix: str = "") -> set[str]:
    """Every key of the schema, dotted: "boundaries.protected.days", "rules.title"…"""
    keys = set()
    for name, annotation in typing.get_type_hints(cls).items():
        if name == "path":
            continue
        key = f"{prefix}{name}"
        keys.add(key)
        if (table := _table_class(annotation)) is not None:
            keys |= schema_keys(table, f"{key}.")
    return keys | ({f"working_hours.{day}" for day in Config().working_hours}
                   if cls is Config else set())


def sample_keys(value: Any, prefix: str = "") -> set[str]:
    """Every key the sample file sets, dotted the same way (array items merged)."""
    if isinstance(value, list):
        return set().union(*(sample_keys(item, prefix) for item in value))
    if not isinstance(value, dict):
        return set()
    keys = set()
    for name, item in value.items():
        keys.add(f"{prefix}{name}")
        keys |= sample_keys(item, f"{prefix}{name}.")
    return keys


def test_the_sample_is_a_valid_configuration() -> None:
    data = tomllib.loads(SAMPLE.read_text(encoding="utf-8"))
    parse_config(data, file=str(SAMPLE))  # an unknown or misspelt key would raise here
    assert sample_keys(data) <= schema_keys()


def test_every_schema_key_is_documented_in_the_sample() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    written = sample_keys(tomllib.loads(text))
    comments = " ".join(line for line in text.splitlines() if line.lstrip().startswith("#"))
    undocumented = sorted(key for key in schema_keys() if key not in written
                          and not re.search(rf"\b{re.escape(key.rpartition('.')[2])}\b",
                                            comments))
    assert undocumented == [], f"document these keys in {SAMPLE.name}: {undocumented}"


def test_the_schema_walk_sees_nested_tables() -> None:
    keys = schema_keys()
    assert {"boundaries.protected.days", "rules.min_attendees", "calendars.domain",
            "goals.min_focus_hours_per_week", "working_hours.sunday"} <= keys
