"""The JSON shape of SPEC §9 `report --format json`, checked strictly (keys in order, types)."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

TYPES = ("non_working_day", "late_night", "after_hours",
         "protected_time", "no_meeting_day", "long_day")

FLOAT, INT, BOOL, STR, DATE = "float", "int", "bool", "str", "date"
NULL = "|null"  # FLOAT + NULL: a float or null
DOMAIN_KEYS = ("work", "life", "integrated", "unclassified")
QUADRANT_KEYS = ("do", "schedule", "delegate", "eliminate", "unclassified")
COUNT_HOURS = {"count": INT, "hours": FLOAT}
GOAL = {"goal": STR, "kind": STR, "unit": STR, "limit": FLOAT, "actual": FLOAT, "met": BOOL,
        "margin": FLOAT}
MEETINGS: dict[str, Any] = {
    "count": INT, "hours": FLOAT, "attendee_hours": FLOAT,
    "by_size": dict.fromkeys(("one_on_one", "small", "large"), COUNT_HOURS),
    "by_recurrence": dict.fromkeys(("recurring", "one_off"), COUNT_HOURS),
    "by_organizer": dict.fromkeys(("me", "others"), COUNT_HOURS),
    "by_audience": dict.fromkeys(("colleagues", "external"), COUNT_HOURS),
    "back_to_back": COUNT_HOURS,
    "outside_working_hours": COUNT_HOURS,
    "series": [{"series_id": STR, "title": STR, "count": INT, "hours": FLOAT, "share": FLOAT,
                "first_half_hours": FLOAT, "second_half_hours": FLOAT, "trend": STR}],
    "people": [{"person": STR, "count": INT, "hours": FLOAT}],
    "domains": [{"domain": STR, "count": INT, "hours": FLOAT}],
}
SHAPE: dict[str, Any] = {
    "period": {"from": DATE, "to": DATE, "timezone": STR},
    "hours": {
        "total": FLOAT,
        "by_domain": dict.fromkeys(DOMAIN_KEYS, FLOAT),
        "by_quadrant": dict.fromkeys(QUADRANT_KEYS, FLOAT),
        "meetings": FLOAT,
        "double_booked": FLOAT,
    },
    "focus": {"hours": FLOAT, "protected_hours": FLOAT, "fragmented_hours": FLOAT,
              # issue 14: null (no coverage, no verdict) without working time
              "working_hours": FLOAT, "coverage": FLOAT + NULL, "target_hours": FLOAT,
              "target_met": BOOL + NULL},
    "violations": {
        "count": INT,
        "minutes_by_type": dict.fromkeys(TYPES, INT),
        "items": [{"date": DATE, "type": STR, "minutes": INT, "event_id": STR,
                   "title": STR, "calendar": STR}],
    },
    "days": [{"date": DATE, **dict.fromkeys(DOMAIN_KEYS, FLOAT), "focus": FLOAT,
              "working": FLOAT, "violation_minutes": INT}],
    # issue 14: after every key of SPEC §9
    "meetings": MEETINGS,
    "goals": [GOAL],
}


CHANGE = {"hours": FLOAT + NULL, "meetings": FLOAT + NULL, "focus": FLOAT + NULL,
          "violation_minutes": INT + NULL}
GROUP = {"label": STR, "from": DATE, "to": DATE, "hours": FLOAT,
         "by_domain": dict.fromkeys(DOMAIN_KEYS, FLOAT), "meetings": FLOAT,
         "focus": {"hours": FLOAT, "working_hours": FLOAT, "coverage": FLOAT + NULL,
                   "target_hours": FLOAT, "target_met": BOOL + NULL},
         "violation_minutes": INT, "minutes_by_type": dict.fromkeys(TYPES, INT),
         "goals": [GOAL],
         "change": CHANGE}
# `report --by day|week|month`: the report and its groups
GROUPED_SHAPE: dict[str, Any] = {**SHAPE, "groups": [GROUP]}
# issue 14, period over period: the previous period as a group, and the change
PREVIOUS = {key: value for key, value in GROUP.items() if key != "change"}
CHANGE_FROM_PREVIOUS = {
    "hours": FLOAT, "by_domain": dict.fromkeys(DOMAIN_KEYS, FLOAT), "meetings": FLOAT,
    "focus": FLOAT, "working_hours": FLOAT, "coverage": FLOAT + NULL,
    "violation_minutes": INT, "minutes_by_type": dict.fromkeys(TYPES, INT)}
COMPARED_SHAPE: dict[str, Any] = {**SHAPE, "previous": PREVIOUS, "change": CHANGE_FROM_PREVIOUS}
# what `timeaudit report --by …` prints: compared, then the groups
COMPARED_GROUPED_SHAPE: dict[str, Any] = {**COMPARED_SHAPE, "groups": [GROUP]}


def check_shape(value: Any, shape: Any = SHAPE, where: str = "report") -> None:
    """``value`` has exactly the keys (in SPEC order), nesting and value types of ``shape``."""
    if isinstance(shape, str) and shape.endswith(NULL):
        if value is not None:
            check_shape(value, shape.removesuffix(NULL), where)
    elif isinstance(shape, dict):
        assert isinstance(value, dict), where
        assert list(value) == list(shape), f"{where}: keys {list(value)}"
        for key, inner in shape.items():
            check_shape(value[key], inner, f"{where}.{key}")
    elif isinstance(shape, list):
        assert isinstance(value, list), where
        for i, item in enumerate(value):
            check_shape(item, shape[0], f"{where}[{i}]")
    elif shape == FLOAT:
        assert type(value) is float, f"{where}: {value!r}"
        assert math.isfinite(value), f"{where}: {value!r}"
        assert value == round(value, 2), f"{where}: {value!r}"
    elif shape == INT:
        assert type(value) is int, f"{where}: {value!r}"
    elif shape == BOOL:
        assert type(value) is bool, f"{where}: {value!r}"
    elif shape == STR:
        assert type(value) is str, f"{where}: {value!r}"
    else:
        assert type(value) is str, where
        assert date.fromisoformat(value).isoformat() == value, f"{where}: {value!r}"
