"""Engine benchmark: synthetic occurrences through the whole audit (SPEC §5–§9).

    .venv/bin/python benchmarks/engine.py [--sizes 100000 300000 1000000] [--reps 3]
                                          [--distinct-titles N] [--vs ../main]
                                          [--report-dir DIR]

A synthetic frame of N occurrences (≈ 2,000 occurrences a person-year, so 1M is ≈ 500
person-years laid end to end) goes through classification (the shipped default pack +
30 user rules), counting, attribution, boundaries, focus, the report and its JSON text —
what ``timeaudit report --format json`` runs after reading the calendars: the report
object (`audit.report.make_report`) and its text written to a null device as the CLI
writes it to stdout (`Report.write_json`; `Report.to_json` encoded for a checkout from
before that; for a checkout from before
that object, ``build_report`` and ``json.dumps(..., indent=2)``, which that CLI ran; the
old benchmark stopped at ``build_report`` and left the 5-6 s of ``json.dumps`` at 1M
unmeasured; it also called the stages itself and skipped `run_audit`'s sort of the
classified rows, which the CLI pays and which makes its later sorts cheaper). Each size
runs in a fresh child process (peak RSS is per run); it prints the median seconds per stage
and in total (wall, and CPU seconds of all threads: steadier on a shared machine), and
peak memory; with ``--vs CHECKOUT`` it runs that checkout too, alternating, so both see
the same load; with ``--report-dir`` each checkout's report text of its first run is
written there after the clock stops and its sha256 printed (outputs must not change).
Targets (issue 16): ≤ 2 s end to end and ≤ 1.5 GB for 1M on 2 cores.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, os, resource, sys, time
from datetime import UTC, date, datetime, timedelta
import numpy as np
import polars as pl
from core.schema import EVENT_SCHEMA, one_per_occurrence
from audit.config import parse_config
from core.period import Period
from audit import engine
try:  # what `report --format json` runs: the report with its lists as frames, then its text
    from audit.report import make_report
except ImportError:  # a checkout from before the Report object: the dict, then json.dumps
    from audit.report import build_report

    class _DictReport:
        def __init__(self, audit):
            self.document = build_report(audit)

        def to_json(self):
            return json.dumps(self.document, indent=2, ensure_ascii=False)

    make_report = _DictReport

n = int(sys.argv[1])
distinct_titles = int(sys.argv[2])
report_out = sys.argv[3] if len(sys.argv) > 3 else ""
rng = np.random.default_rng(42)
PER_DAY = 2000 / 365  # occurrences per day of one person's calendar
days = int(n / PER_DAY) + 1
first = datetime(2000, 1, 3, tzinfo=UTC)
period = Period(first.date(), first.date() + timedelta(days=days), "Europe/Berlin")

day = rng.integers(0, days, n)
minute = rng.choice(np.arange(6 * 60, 22 * 60, 15), n)
length = rng.choice([15, 30, 45, 60, 90, 120], n)
start_us = (int(first.timestamp()) + day * 86400 + minute * 60) * 1_000_000
titles = np.array(["Standup", "1:1 with Ana", "Sprint planning", "Customer call",
                   "Focus: deep work", "Interview: backend", "Incident review", "Gym",
                   "School run", "Dentist", "Team lunch", "Groceries", "Board prep",
                   "Inbox triage", "Design review", "Family dinner"])
kinds = np.where(rng.random(n) < 0.03, "focus", "event")
frame = pl.DataFrame({
    "source": pl.Series(np.where(rng.random(n) < 0.7, "ics:work.ics", "ics:family.ics")),
    "calendar": "Work",
    "event_id": pl.Series([f"e{i}" for i in range(n)]),
    "series_id": None,
    "title": pl.Series(titles[rng.integers(0, len(titles), n)]),
    "description": None,
    "location": None,
    "start": pl.Series(start_us).cast(pl.Datetime("us", "UTC")),
    "end": pl.Series(start_us + length * 60_000_000).cast(pl.Datetime("us", "UTC")),
    "all_day": rng.random(n) < 0.02,
    "status": pl.Series(np.where(rng.random(n) < 0.03, "cancelled", "confirmed")),
    "response": pl.Series(rng.choice(["organizer", "accepted", "tentative", "declined",
                                      "needs_action", "none"], n)),
    "busy": rng.random(n) > 0.05,
    "kind": pl.Series(kinds),
    "attendees": pl.Series(rng.integers(0, 6, n)).cast(pl.Int32),
    "organizer": "lead@example.com",
    "attendee_domains": pl.Series([["example.com"]] * n),
    "categories": pl.Series([[]] * n, dtype=pl.List(pl.String)),
    "color": None,
    "created": pl.Series(start_us - rng.integers(1, 30 * 86400, n) * 1_000_000)
                 .cast(pl.Datetime("us", "UTC")),
}, schema=EVENT_SCHEMA)
if distinct_titles:
    # Real calendars repeat titles (recurring series) but have far more than 16 of them;
    # classification cost grows with the number of distinct titles. (A separate random
    # stream, so the rest of the workload is the same as without the option.)
    variant = np.random.default_rng(7).integers(0, max(1, distinct_titles // len(titles)), n)
    frame = frame.with_columns(pl.col("title") + " #" + pl.Series(variant).cast(pl.String))
# the readers hand `run_audit` one row per occurrence in time order (every connector ends
# with `core.schema.one_per_occurrence`), and so does this benchmark
frame = one_per_occurrence(frame)
rules = [{"name": f"User rule {i}", "title": f"(?i)project {i}\\b", "domain": "work",
          "important": i % 2 == 0} for i in range(26)]
rules += [{"name": "Kids", "title": "(?i)school|kids", "domain": "life", "important": True},
          {"name": "Externals", "external": True, "min_attendees": 1, "domain": "work"},
          {"name": "Evenings", "time": "19:00-23:00", "weekdays": ["friday"], "domain": "life"},
          {"name": "Family calendar", "calendar": "Fam*", "domain": "life"}]
config = parse_config({"timezone": "Europe/Berlin", "work_domains": ["example.com"],
                       "owner_emails": ["me@example.com"],
                       "boundaries": {"no_meeting_days": ["wednesday"],
                                      "protected": [{"name": "Dinner", "time": "18:00-20:00"}]},
                       "rules": rules}, file="benchmark")

times, cpu = {}, {}
clock = {}


def stage(name):
    # end the stage: wall and CPU seconds since the previous stage ended
    wall, used = time.perf_counter(), time.process_time()
    times[name], cpu[name] = wall - clock["wall"], used - clock["cpu"]
    clock.update(wall=wall, cpu=used)


# The audit runs as the CLI runs it (`audit.engine.run_audit`); a stage ends where the
# next one's function is entered (lazy work is collected between the calls). At >= 100k
# occurrences attribution, the working windows, the boundaries and focus run partly side
# by side in two threads (focus beside the boundaries; since engine6 the windows and
# focus beside attribution and the boundaries), so they are one stage, "sweeps": it
# starts when the first of attribution and the windows is entered and ends when the busy
# summary is.
# (the engine calls `attributed_pieces_and_busy` since engine8; a checkout from before
# calls `attribute_time_and_busy`, and one from before that `attribute_time`)
attribute = next(name for name in ("attributed_pieces_and_busy", "attribute_time_and_busy",
                                   "attribute_time") if hasattr(engine, name))
for function, ends in ((attribute, "classify+count"), ("working_windows", "classify+count"),
                       ("busy_summary", "sweeps")):
    def timed(*args, _wrapped=getattr(engine, function), _ends=ends, **kwargs):
        if _ends not in times:  # the first of the functions that end it
            stage(_ends)
        return _wrapped(*args, **kwargs)
    setattr(engine, function, timed)

clock.update(wall=time.perf_counter(), cpu=time.process_time())
t0, c0 = clock["wall"], clock["cpu"]
audit = engine.run_audit(frame, config, period)
report = make_report(audit)
stage("busy+report")
# what the CLI writes to stdout (here a null device): `Report.write_json` streams it; a
# checkout from before that writes `to_json`'s text, encoded, as click.echo does
with open(os.devnull, "wb") as sink:
    if hasattr(report, "write_json"):
        report.write_json(sink)
    else:
        sink.write(report.to_json().encode())
stage("json")
times["total"], cpu["total"] = time.perf_counter() - t0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if report_out:  # after the clock stopped: the text, to compare checkouts byte for byte
    with open(report_out, "wb") as out:
        if hasattr(report, "write_json"):
            report.write_json(out)
        else:
            out.write(report.to_json().encode())
print(json.dumps({"times": times, "cpu": cpu, "peak_mb": peak, "rows": n,
                  "violations": audit.violations.height}))
"""


def run(size: int, distinct_titles: int = 0, checkout: Path = ROOT,
        report_out: Path | None = None) -> dict:
    """One run in a fresh process of ``checkout``'s own virtual environment (writing the
    report's JSON text to ``report_out`` after the measured part, when given)."""
    python = checkout / ".venv" / "bin" / "python"
    result = subprocess.run([str(python), "-c", CHILD, str(size), str(distinct_titles),
                             str(report_out or "")],
                            capture_output=True, text=True, check=True, cwd=checkout)
    return json.loads(result.stdout.strip().splitlines()[-1])


def summary(label: str, runs: list[dict]) -> str:
    """Median wall seconds per stage (CPU seconds in brackets) and the peak memory."""
    stages = list(runs[0]["times"])
    if "json" in stages:  # comparable with the figures of the old benchmark (no JSON text)
        for r in runs:
            for kind in ("times", "cpu"):
                if kind in r:
                    r[kind]["without json"] = r[kind]["total"] - r[kind]["json"]
        stages.append("without json")
    wall = {s: statistics.median(r["times"][s] for r in runs) for s in stages}
    cpu = {s: statistics.median(r["cpu"][s] for r in runs) for s in stages} \
        if all("cpu" in r for r in runs) else None
    totals = [r["times"]["total"] for r in runs]
    spread = f"{min(totals):.2f}-{max(totals):.2f}"

    def part(s: str) -> str:
        return f"{s} {wall[s]:.2f}" + (f" ({cpu[s]:.2f})" if cpu else "")

    return (f"{label}: {part('total')} s, runs {spread}  "
            f"peak RSS {max(r['peak_mb'] for r in runs):5.0f} MB  "
            f"[{'  '.join(part(s) for s in stages if s not in ('total', 'without json'))}]"
            + (f"  {part('without json')}" if "without json" in stages else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 300_000, 1_000_000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--distinct-titles", type=int, default=0, metavar="N",
                        help="give the titles about N distinct values (default: the 16 plain "
                             "titles; classification cost grows with distinct titles)")
    parser.add_argument("--vs", type=Path, metavar="CHECKOUT",
                        help="also run another checkout (e.g. the main one, with its .venv), "
                             "alternating run by run, and print both")
    parser.add_argument("--report-dir", type=Path, metavar="DIR",
                        help="write each checkout's report JSON of its first run at each size "
                             "to DIR (outside the timing) and print their sha256")
    args = parser.parse_args()
    checkouts = [ROOT, *([args.vs.resolve()] if args.vs else [])]
    if args.report_dir:
        args.report_dir.mkdir(parents=True, exist_ok=True)
    for size in args.sizes:
        runs: dict[Path, list[dict]] = {c: [] for c in checkouts}
        for rep in range(args.reps):
            for number, checkout in enumerate(checkouts):  # alternating: the same load for both
                out = (args.report_dir / f"report-{size}-{number}.json"
                       if args.report_dir and rep == 0 else None)
                runs[checkout].append(run(size, args.distinct_titles, checkout, out))
                if out:
                    digest = hashlib.sha256(out.read_bytes()).hexdigest()
                    print(f"{size:>9,} occurrences {checkout}: report sha256 {digest}")
        for checkout in checkouts:
            label = f"{size:>9,} occurrences" + (f" {checkout}" if args.vs else "")
            print(summary(label, runs[checkout]) + f" (median of {args.reps}; CPU s in brackets)")
    print("targets for 1,000,000: <= 2 s end to end, <= 1.5 GB peak (issue 16)")


if __name__ == "__main__":
    main()
