"""The CSV export a person shares with their manager (SPEC §9), private life kept private.

Privacy levels:

* ``strict`` — ``summary.csv`` only (hours per day and for the week, no events at all);
* ``standard`` (default) — also ``violations.csv`` and ``events.csv``. Private by
  default: an occurrence keeps its title only when it is *positively* work or integrated
  (``domain_confident``: an override, a rule, a correction, a calendar default the person
  set, or strong evidence such as colleagues in it — never a keyword guess or an inferred
  calendar alone). Every other occurrence — life, unclassified, uncertain — is called
  "Personal" (title and calendar), carries no reason (a rule's name, such as "Therapy",
  would say what the title hides), no attendee count, and a number (``personal-1``,
  ``personal-2`` … in time order) instead of its UID, in ``violations.csv`` as in
  ``events.csv``; locations, descriptions, organizers and attendee domains are dropped
  for every occurrence;
* ``full`` — titles, locations and reasons kept; descriptions never leave the machine.

Every text cell is neutralized for spreadsheets (`audit.spreadsheet`). Files are UTF-8
with a header row; dates are ISO, times are local ISO-8601 with offset.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path

import polars as pl

from audit.accounting import ATTRIBUTED_MINUTES, COUNT_REASON, COUNTED, DATE
from audit.classify import CONFIDENT
from audit.compare import comparison_frame
from audit.engine import Audit
from audit.goals import goal_rows, goals_frame, has_budgets
from audit.groups import group_rows, groups_frame
from audit.report import (
    DOMAINS,
    QUADRANTS,
    day_table,
    hours_column,
    quadrant_column,
    target_hours,
)
from audit.spreadsheet import safe_frame
from core.errors import AuditError

PRIVACY_LEVELS = ("strict", "standard", "full")
PERSONAL = "Personal"
FILES = ("summary.csv", "violations.csv", "events.csv", "groups.csv", "goals.csv",
         "comparison.csv")


def summary_frame(audit: Audit) -> pl.DataFrame:
    """One row per day and a ``week`` row: hours per domain and quadrant, focus, violations."""
    days = day_table(audit)
    quadrants = [quadrant_column(q) for q in QUADRANTS]
    hours = [*DOMAINS, *quadrants, "focus_minutes", "working_minutes", "meeting_minutes"]
    names = {**{c: c for c in [*DOMAINS, *quadrants]}, "focus_minutes": "focus",
             "working_minutes": "working", "meeting_minutes": "meetings"}
    total = days.select(pl.exclude(DATE).sum()).with_columns(pl.lit("week").alias(DATE))
    rows = pl.concat([days.with_columns(pl.col(DATE).cast(pl.String)),
                      total.select(days.columns)], how="vertical")
    # Rounded exactly as the report rounds (Python's round), so the CSV a manager sees
    # and `timeaudit report` never differ by 0.01; no working time (a weekend, a vacation):
    # no coverage, an empty cell (issue 14).
    working = rows["working_minutes"]
    coverage = [round(f / w, 2) if w > 0 else None for f, w in zip(rows["focus_minutes"], working,
                                                                   strict=True)]
    return pl.DataFrame({
        "date": rows[DATE],
        **{names[c]: hours_column(rows[c]) for c in hours},
        "focus_coverage": pl.Series(coverage, dtype=pl.Float64),
        "violation_minutes": rows["violation_minutes"].round(0, mode="half_to_even")
        .cast(pl.Int64),
    }).with_columns(
        # the focus target applies to the whole period, not to a day
        pl.when(pl.col("date") == "week").then(round(target_hours(audit), 2))
        .otherwise(None).alias("focus_target"),
    )


def shown(audit_events: pl.DataFrame) -> pl.Series:
    """Per occurrence: may a ``standard`` export name it (SPEC §9)? Only what is positively
    work or integrated; life, unclassified and guesses are "Personal"."""
    return audit_events.select(
        (pl.col("domain").is_in(["work", "integrated"]) & pl.col(CONFIDENT)).fill_null(False)
    ).to_series()


def _personal_ids(events: pl.DataFrame) -> pl.DataFrame:
    """``event_id`` → ``personal-N`` for the occurrences a standard export does not name,
    numbered in time order (``events`` is in time order)."""
    hidden = events.select("event_id").with_columns(shown(events).alias("shown"))
    return (hidden.with_columns((~pl.col("shown")).cast(pl.Int64).cum_sum().alias("n"))
            .filter(~pl.col("shown"))
            .select("event_id", (pl.lit("personal-") + pl.col("n").cast(pl.String))
                    .alias("personal_id"))
            .unique("event_id", keep="first", maintain_order=True))


def violations_frame(audit: Audit, privacy: str = "full") -> pl.DataFrame:
    """The rows of SPEC §7; at ``standard``, an occurrence that is not positively work
    (work only by a guess) is "Personal" here too, with its number from events.csv."""
    frame = audit.violations.with_columns(
        pl.col("minutes").round(0).cast(pl.Int64),
        pl.col(DATE).cast(pl.String),
    ).select("date", "type", "minutes", "event_id", "title", "calendar")
    if privacy == "full":
        return frame
    ids = _personal_ids(audit.events)
    personal = pl.col("personal_id").is_not_null()
    return (frame.join(ids, on="event_id", how="left", maintain_order="left")
            .with_columns(pl.when(personal).then(pl.col("personal_id"))
                          .otherwise(pl.col("event_id")).alias("event_id"),
                          *(pl.when(personal).then(pl.lit(PERSONAL)).otherwise(pl.col(c))
                            .alias(c) for c in ("title", "calendar")))
            .drop("personal_id"))


def events_frame(audit: Audit, privacy: str) -> pl.DataFrame:
    """Classified occurrences with their minutes in the period, redacted for ``privacy``."""
    zone = audit.period.timezone
    frame = audit.minutes_per_event()
    # "life" below means "not named in a standard export": everything not positively work
    life = ~pl.lit(shown(frame))
    columns = [
        pl.col("start").dt.convert_time_zone(zone).dt.date().cast(pl.String).alias("date"),
        pl.col("start").dt.convert_time_zone(zone).dt.strftime("%Y-%m-%dT%H:%M:%S%:z"),
        pl.col("end").dt.convert_time_zone(zone).dt.strftime("%Y-%m-%dT%H:%M:%S%:z"),
        "all_day",
        (pl.when(life).then(pl.lit(PERSONAL)).otherwise(pl.col("calendar")).alias("calendar")
         if privacy != "full" else pl.col("calendar")),
        # A UID can be as telling as a title ("therapy-2026@…"): personal occurrences are
        # numbered in time order instead, which says nothing beyond the export itself.
        (pl.when(life).then(pl.lit("personal-") + life.cast(pl.Int64).cum_sum().cast(pl.String))
         .otherwise(pl.col("event_id")).alias("event_id")
         if privacy != "full" else pl.col("event_id")),
        (pl.when(life).then(pl.lit(PERSONAL)).otherwise(pl.col("title")).alias("title")
         if privacy != "full" else pl.col("title")),
        "domain", "urgent", "important", "quadrant",
        (pl.when(life).then(pl.lit(None, pl.String)).otherwise(pl.col("reason"))
         .alias("reason") if privacy != "full" else pl.col("reason")),
        COUNTED, COUNT_REASON,
        (pl.col(ATTRIBUTED_MINUTES)).round(1).alias("minutes"),
        (pl.when(life).then(pl.lit(None, pl.Int32)).otherwise(pl.col("attendees"))
         .alias("attendees") if privacy != "full" else pl.col("attendees")),
        "response", "status", "busy", "kind",
    ]
    if privacy == "full":
        columns += ["location", "organizer",
                    pl.col("attendee_domains").list.join("; ").alias("attendee_domains")]
    return frame.select(columns)


def export_frames(audit: Audit, privacy: str = "standard", by: str | None = None,
                  previous: Audit | None = None) -> dict[str, pl.DataFrame]:
    """The files of the export at ``privacy``, as spreadsheet-safe frames (name → frame);
    with ``by``, also ``groups.csv``, and with ``previous`` (the audit of the period
    before), ``comparison.csv`` (issue 14: figures only, so at every level)."""
    if privacy not in PRIVACY_LEVELS:
        raise AuditError(f"unknown privacy level {privacy!r}: use one of "
                         + ", ".join(PRIVACY_LEVELS))
    frames = {"summary.csv": summary_frame(audit)}
    if by:
        frames["groups.csv"] = groups_frame(group_rows(audit, by))
    if previous is not None:
        frames["comparison.csv"] = comparison_frame(audit, previous)
    if has_budgets(audit):  # issue 14: budgets set in [goals], figures only
        frames["goals.csv"] = goals_frame(goal_rows(audit))
    if privacy != "strict":
        frames["violations.csv"] = violations_frame(audit, privacy)
        frames["events.csv"] = events_frame(audit, privacy)
    return {name: safe_frame(frame) for name, frame in frames.items()}


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """A frame as UTF-8 CSV with a header row (what the dashboard's download serves)."""
    return frame.write_csv().encode("utf-8")


def _write_file(path: Path, data: bytes) -> None:
    """A new file, readable by the owner only (the export may be private)."""
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
        out.write(data)


def _replace_set(directory: Path, contents: dict[str, bytes], remove: tuple[str, ...]) -> None:
    """Make ``directory`` hold ``contents`` (and none of ``remove``) — all or nothing.

    The whole set is written into a hidden staging folder first (a full disk fails
    there, before anything is touched); then the old files are moved aside, the new ones
    moved in, and on any failure the old set is put back. The staging folder never
    outlives the call.
    """
    names = (*contents, *remove)
    for name in names:
        target = directory / name
        if target.is_symlink() or (target.exists() and not target.is_file()):
            raise OSError(errno.EISDIR, f"{name} is in the way (not a regular file)")
    staging = Path(tempfile.mkdtemp(dir=directory, prefix=".export-", suffix=".tmp"))
    try:
        for name, data in contents.items():
            _write_file(staging / name, data)
        aside = staging / "previous"
        aside.mkdir()
        moved: list[str] = []
        placed: list[str] = []
        try:
            for name in names:
                if (directory / name).exists():
                    os.replace(directory / name, aside / name)
                    moved.append(name)
            for name in contents:
                os.replace(staging / name, directory / name)
                placed.append(name)
        except OSError:
            for name in placed:
                (directory / name).unlink(missing_ok=True)
            for name in moved:
                os.replace(aside / name, directory / name)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def write_export(audit: Audit, out_dir: str | Path, privacy: str = "standard",
                 by: str | None = None, previous: Audit | None = None) -> list[Path]:
    """Write the export into ``out_dir`` (created if needed); returns the files written.

    The whole set is written first and then swapped in (`_replace_set`), so a failed
    export leaves the previous set as it was and no temporary file behind; files of a
    stricter level than asked are removed so the folder holds exactly what the level
    allows.
    """
    frames = export_frames(audit, privacy, by, previous)
    directory = Path(out_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _replace_set(directory, {name: csv_bytes(frame) for name, frame in frames.items()},
                     tuple(name for name in FILES if name not in frames))
    except OSError as error:
        raise AuditError(f"{directory}: cannot write the export: "
                         f"{error.strerror or error}") from None
    return [directory / name for name in frames]
