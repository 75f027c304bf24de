"""Words people read on the page for the engine's codes (violation types, columns)."""

from __future__ import annotations

import polars as pl

# SPEC §7: the first three split the work outside the working window (each minute has
# exactly one of them); the last three are reported in addition, so their minutes can
# also be in one of the first three.
VIOLATION_LABELS = {
    "non_working_day": "Work on a day off",
    "late_night": "Late night",
    "after_hours": "After hours",
    "protected_time": "In protected time",
    "no_meeting_day": "Meeting on a no-meeting day",
    "long_day": "Long day",
}
SPLIT_TYPES = ("non_working_day", "late_night", "after_hours")
EXTRA_TYPES = ("protected_time", "no_meeting_day", "long_day")
UNKNOWN = "—"  # a value nobody knows (instead of "None")


def violation_label(column: str = "type") -> pl.Expr:
    """The human label of a violation type column."""
    return pl.col(column).cast(pl.String).replace_strict(
        VIOLATION_LABELS, default=pl.col(column).cast(pl.String))


def overlap_note() -> str:
    split = ", ".join(VIOLATION_LABELS[t].lower() for t in SPLIT_TYPES)
    extra = ", ".join(VIOLATION_LABELS[t].lower() for t in EXTRA_TYPES)
    return (f"*{split.capitalize()}* split the work outside your working hours: each "
            f"minute counts once, in one of them. *{extra.capitalize()}* are reported in "
            "addition, so the same minutes can appear twice — an evening meeting can be "
            "after hours and in protected time.")
