"""Learning from corrections, simulated: how right the domain gets after a few corrections.

    .venv/bin/python benchmarks/corrections.py PERSONA_DIR [--max 10] [--from DATE --to DATE]
                                               [--plain-calendars]

A labelled persona folder holds its calendars (``*.ics``), ``timeaudit.toml`` (day-one
settings) and ``labels.csv`` (uid, …, domain, important, urgent). The script audits the
period, then up to ``--max`` times takes the first suggestion of
`audit.learning.suggest_corrections` (what the dashboard asks the person first) whose
label has an answer, and applies that label as the person would: an override of the
occurrence's series (or of the occurrence when it has none). Overrides live in memory
here; nothing is written to the store. It prints the share of labelled counted hours
whose domain is right before and after each correction, the way
``../shared/personas/score.py`` counts it (labels by UID: series_id, else event_id).
"""

from __future__ import annotations

import argparse
import csv
import re
from datetime import date
from pathlib import Path

import polars as pl

from audit.config import load_config
from audit.domains import OVERRIDE_SCHEMA
from audit.engine import run_audit
from audit.learning import suggest_corrections
from cli.reading import read_sources
from connectors.sources import Sources
from core.period import Period

INSTANT = re.compile(r"@\d{4}-\d{2}-\d{2}(T[0-9:]+Z?)?$")


def as_bool(text: str) -> bool | None:
    return None if text.strip() == "" else text.strip().lower() in ("true", "1", "yes")


def label_of(row: dict, labels: dict[str, dict]) -> dict | None:
    uid = row["series_id"] or row["event_id"]
    return labels.get(uid) or labels.get(INSTANT.sub("", row["event_id"]))


def domain_right(events: pl.DataFrame, labels: dict[str, dict]) -> tuple[float, float]:
    """(% of labelled counted hours with the right domain, % of counted hours unclassified)."""
    right = labelled = unknown = total = 0.0
    for row in events.filter(pl.col("counted")).iter_rows(named=True):
        label = label_of(row, labels)
        if label is None:
            continue
        hours = row["attributed_minutes"] / 60
        total += hours
        unknown += hours if row["domain"] == "unclassified" else 0
        if label["domain"] in ("work", "life", "integrated"):
            labelled += hours
            right += hours if row["domain"] == label["domain"] else 0
    return 100 * right / (labelled or 1), 100 * unknown / (total or 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("persona", type=Path)
    parser.add_argument("--max", type=int, default=10, help="corrections at most")
    parser.add_argument("--from", dest="start", default="2026-10-26")
    parser.add_argument("--to", dest="end", default="2026-11-23")
    parser.add_argument("--plain-calendars", action="store_true",
                        help="name every calendar \"Calendar\" and merge them into one source "
                             "(a harder start: no calendar names to go on)")
    args = parser.parse_args()

    config = load_config(args.persona / "timeaudit.toml")
    period = Period(date.fromisoformat(args.start), date.fromisoformat(args.end),
                    config.timezone)
    with (args.persona / "labels.csv").open(encoding="utf-8") as handle:
        labels = {row["uid"]: row for row in csv.DictReader(handle)}
    events = read_sources(Sources(ics=sorted(args.persona.glob("*.ics"))), period=period,
                          config=config, use_cache=False)
    if args.plain_calendars:
        events = events.with_columns(pl.lit("Calendar").alias("calendar"),
                                     pl.lit("ics:calendar.ics").alias("source"))
    overrides: list[tuple] = []
    asked: set[str] = set()

    def audit() -> pl.DataFrame:
        table = pl.DataFrame(overrides, schema=OVERRIDE_SCHEMA, orient="row")
        return run_audit(events, config, period, table).minutes_per_event()

    current = audit()
    right, unknown = domain_right(current, labels)
    print(f"{args.persona.name}: before: domain {right:.1f}% right, {unknown:.1f}% unclassified")
    for number in range(1, args.max + 1):
        suggestions = suggest_corrections(current, limit=50)
        chosen = None
        for row in suggestions.iter_rows(named=True):
            key = row["series_id"] or row["event_id"]
            if key in asked:
                continue
            asked.add(key)
            label = label_of(row, labels)
            if label is not None and label["domain"]:
                chosen = row, label
                break
        if chosen is None:
            print("  no more suggestions with a labelled answer")
            break
        row, label = chosen
        scope, key = ("series", row["series_id"]) if row["series_id"] else (
            "event", row["event_id"])
        overrides.append((scope, key, label["domain"], as_bool(label["urgent"]),
                          as_bool(label["important"])))
        current = audit()
        right, unknown = domain_right(current, labels)
        print(f"  {number:2d}. {row['title'][:40]:40} ({row['hours']:.1f} h, {row['why']}) "
              f"→ {label['domain']:10}  domain {right:.1f}% right, {unknown:.1f}% unclassified")
    print(f"{args.persona.name}: after {len(overrides)} corrections: domain {right:.1f}% right")


if __name__ == "__main__":
    main()
