"""Ingest benchmark: timeaudit's ICS reader against the bare libraries' standard path.

    .venv/bin/python benchmarks/ingest.py [--reps 3] [--series 600] [--singles 25000]

It generates a 10-year calendar (recurring series with EXDATEs and overrides, single
events, all-day events, two zones), then measures, in interleaved repetitions, each in a
fresh child process (so caches in memory and peak RSS are per measurement):

* bare  — ``icalendar`` parse + ``recurring_ical_events.of(cal).between(…)`` + reading
          SUMMARY / DTSTART / DTEND of each occurrence (the libraries' standard path);
* cold  — ``read_ics`` with an empty cache (first read);
* warm  — ``read_ics`` again (Parquet cache hit);
* week  — ``read_ics`` of one week (2026-03-02 … 03-09) with an empty cache;
* change — in one process (as the dashboard): the whole window read, then ONE VEVENT's
          SUMMARY changed and the file read again; only the second read is timed (the
          first fills the in-memory caches of parsed groups and their rows);
* change-new-process — the changed file (same name) read by a new process whose on-disk
          cache holds the read of the unchanged file (what the CLI pays).

It prints medians, the ratios against bare, peak memory, and cold time and memory for a
quarter, half and all of the calendar (growth).

``--vs OTHER`` (another checkout with its own .venv) measures OTHER too, interleaved run by
run with this checkout (each with its own cache folders), and prints both and their ratio;
``--variants bare,change-new-process`` measures only those; ``--no-growth`` skips growth.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

WINDOW = (date(2017, 1, 1), date(2027, 1, 1))
ZONES = ("Europe/Berlin", "America/New_York")
TZ_BLOCKS = {
    "Europe/Berlin": ("+0100", "+0200", "CET", "CEST", "-1SU"),
    "America/New_York": ("-0500", "-0400", "EST", "EDT", "2SU"),
}


def vtimezone(name: str) -> str:
    std, dst, std_name, dst_name, _ = TZ_BLOCKS[name]
    if name == "Europe/Berlin":
        to_dst, to_std = "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"
    else:
        to_dst, to_std = "FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", "FREQ=YEARLY;BYMONTH=11;BYDAY=1SU"
    return (
        f"BEGIN:VTIMEZONE\r\nTZID:{name}\r\n"
        f"BEGIN:DAYLIGHT\r\nTZOFFSETFROM:{std}\r\nTZOFFSETTO:{dst}\r\nTZNAME:{dst_name}\r\n"
        f"DTSTART:19700308T020000\r\nRRULE:{to_dst}\r\nEND:DAYLIGHT\r\n"
        f"BEGIN:STANDARD\r\nTZOFFSETFROM:{dst}\r\nTZOFFSETTO:{std}\r\nTZNAME:{std_name}\r\n"
        f"DTSTART:19701101T020000\r\nRRULE:{to_std}\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )


def generate(path: Path, *, series: int, singles: int, seed: int = 7) -> None:
    """A 10-year calendar in two zones; deterministic for a seed."""
    rng = random.Random(seed)
    out = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//timeaudit//benchmark//EN\r\n"
           "X-WR-CALNAME:Benchmark\r\n"]
    out += [vtimezone(z) for z in ZONES]
    first = datetime(2017, 1, 2, tzinfo=UTC)
    span_days = (WINDOW[1] - WINDOW[0]).days

    def stamp(dt: datetime) -> str:
        return dt.strftime("%Y%m%dT%H%M%S")

    def event(uid: str, start: str, end: str, summary: str, extra: str = "") -> str:
        return (f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n{start}\r\n{end}\r\n"
                f"SUMMARY:{summary}\r\nCREATED:20161201T090000Z\r\n"
                "ORGANIZER:mailto:lead@example.com\r\n"
                "ATTENDEE;PARTSTAT=ACCEPTED:mailto:me@example.com\r\n"
                "ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@example.com\r\n"
                f"{extra}END:VEVENT\r\n")

    for i in range(series):
        zone = ZONES[i % 2]
        start = first + timedelta(days=rng.randrange(0, 400), hours=rng.randrange(7, 18))
        length = timedelta(minutes=rng.choice((15, 30, 45, 60, 90)))
        freq = rng.choice(("DAILY;BYDAY=MO,TU,WE,TH,FR", "WEEKLY", "WEEKLY;INTERVAL=2",
                           "MONTHLY"))
        dtstart = f"DTSTART;TZID={zone}:{stamp(start)}"
        dtend = f"DTEND;TZID={zone}:{stamp(start + length)}"
        exdates = "".join(
            f"EXDATE;TZID={zone}:{stamp(start + timedelta(weeks=rng.randrange(1, 500)))}\r\n"
            for _ in range(rng.randrange(0, 6))
        )
        uid = f"series-{i}@bench"
        out.append(event(uid, dtstart, dtend, f"Series {i}",
                         f"RRULE:FREQ={freq}\r\n{exdates}"))
        for k in range(rng.randrange(0, 4)):  # overrides moved by an hour
            original = start + timedelta(weeks=4 * (k + 1))
            moved = original + timedelta(hours=1)
            out.append(event(uid, f"DTSTART;TZID={zone}:{stamp(moved)}",
                             f"DTEND;TZID={zone}:{stamp(moved + length)}", f"Series {i} (moved)",
                             f"RECURRENCE-ID;TZID={zone}:{stamp(original)}\r\n"))
    for j in range(singles):
        start = first + timedelta(days=rng.randrange(span_days), hours=rng.randrange(6, 22),
                                  minutes=rng.choice((0, 15, 30, 45)))
        if j % 10 == 0:  # all-day
            day = start.date()
            out.append(event(f"single-{j}@bench", f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
                             f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
                             f"Day {j}", "TRANSP:TRANSPARENT\r\n"))
        else:
            end = start + timedelta(minutes=rng.choice((30, 60, 90)))
            zone = ZONES[j % 2]
            out.append(event(f"single-{j}@bench", f"DTSTART;TZID={zone}:{stamp(start)}",
                             f"DTEND;TZID={zone}:{stamp(end)}", f"Meeting {j}"))
    out.append("END:VCALENDAR\r\n")
    path.write_text("".join(out), encoding="utf-8")


# ------------------------------------------------------------------ measurements

CHILD = r"""
import json, resource, sys, time
from datetime import date, datetime, UTC
variant, path = sys.argv[1], sys.argv[2]
start, end = date(2017, 1, 1), date(2027, 1, 1)
if variant == "week":
    start, end = date(2026, 3, 2), date(2026, 3, 9)
if variant == "change":
    from connectors.ics import read_ics
    read_ics(path, start=start, end=end, tz="Europe/Berlin", use_cache=False)
    data = open(path, "rb").read()
    changed = data.replace(b"SUMMARY:Meeting 17\r\n", b"SUMMARY:Meeting 17 (moved)\r\n")
    assert changed != data
    open(path, "wb").write(changed)
    t = time.perf_counter()
    frame = read_ics(path, start=start, end=end, tz="Europe/Berlin", use_cache=False)
    seconds = time.perf_counter() - t
    open(path, "wb").write(data)
    n = frame.height
elif variant == "bare":
    import icalendar, recurring_ical_events
    t = time.perf_counter()
    cal = icalendar.Calendar.from_ical(open(path, "rb").read())
    n = 0
    for c in recurring_ical_events.of(cal).between(start, end):
        c.get("SUMMARY"); c["DTSTART"].dt; c["DTEND"].dt if "DTEND" in c else None
        n += 1
    seconds = time.perf_counter() - t
else:
    from connectors.ics import read_ics
    t = time.perf_counter()
    frame = read_ics(path, start=start, end=end, tz="Europe/Berlin")
    seconds = time.perf_counter() - t
    n = frame.height
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "rows": n, "peak_mb": peak}))
"""


HERE = Path(__file__).resolve().parent.parent


def measure(variant: str, path: Path, cache_home: Path, checkout: Path = HERE) -> dict:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache_home))
    python = sys.executable if checkout == HERE else str(checkout / ".venv" / "bin" / "python")
    result = subprocess.run([python, "-c", CHILD, variant, str(path)], env=env,
                            capture_output=True, text=True, check=True, cwd=checkout)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _ratios(med: dict[str, float]) -> list[str]:
    lines = []
    if "cold" in med:
        lines.append(f"first read / bare = {med['cold'] / med['bare']:.2f}  (target <= 0.70)")
    if "warm" in med:
        lines.append(f"bare / repeat read = {med['bare'] / med['warm']:.1f}x  (target >= 20x)")
    if "week" in med:
        lines.append(f"one week / bare = {med['week'] / med['bare']:.3f}  (target <= 0.2)")
    if "change" in med:
        lines.append(f"one change, same process / bare = {med['change'] / med['bare']:.3f}  "
                     "(target <= 0.05)")
    if "change-new-process" in med:
        lines.append(f"one change, new process / bare = "
                     f"{med['change-new-process'] / med['bare']:.3f}  (target <= 0.05)")
    return lines


ALL_VARIANTS = ("bare", "cold", "warm", "week", "change", "change-new-process")


def main() -> None:  # noqa: PLR0912, PLR0915 - one table, printed step by step
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--series", type=int, default=600)
    parser.add_argument("--singles", type=int, default=25_000)
    parser.add_argument("--vs", metavar="OTHER", type=Path,
                        help="another checkout (with .venv) measured in the same run")
    parser.add_argument("--variants", default=",".join(ALL_VARIANTS),
                        help="comma-separated, from " + ", ".join(ALL_VARIANTS))
    parser.add_argument("--no-growth", action="store_true")
    args = parser.parse_args()
    variants = tuple(v for v in ALL_VARIANTS if v in args.variants.split(","))
    if "bare" not in variants or ("warm" in variants and "cold" not in variants):
        parser.error("--variants needs bare (the yardstick), and cold with warm")
    checkouts = {"this": HERE} | ({"vs": args.vs.resolve()} if args.vs else {})

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        path = tmpdir / "ten-years.ics"
        generate(path, series=args.series, singles=args.singles)
        print(f"calendar: {path.stat().st_size / 1e6:.1f} MB, {args.series} series, "
              f"{args.singles} single events, window {WINDOW[0]} .. {WINDOW[1]}")
        # the same file name (the source), as when a person's calendar file changes
        changed = tmpdir / "changed" / path.name
        changed.parent.mkdir()
        changed.write_bytes(path.read_bytes().replace(b"SUMMARY:Meeting 17\r\n",
                                                      b"SUMMARY:Meeting 17 (moved)\r\n"))
        runs = {(who, v): [] for who in checkouts for v in variants}
        for rep in range(args.reps):
            for variant in variants:  # interleaved; warm reuses cold's cache
                for who, checkout in checkouts.items():
                    if variant == "bare" and who != "this":
                        continue  # the same libraries' standard path: once is enough
                    cache_home = tmpdir / f"cache-{who}-{rep}"
                    if variant == "change-new-process":
                        if "cold" not in variants:  # the unchanged file's read, untimed
                            measure("cold", path, cache_home, checkout)
                        got = measure("cold", changed, cache_home, checkout)
                    elif variant == "week":
                        got = measure("week", path, tmpdir / f"week-{who}-{rep}", checkout)
                    else:
                        got = measure(variant, path, cache_home, checkout)
                    runs[(who, variant)].append(got)
        if args.vs:
            for variant in variants:
                if variant != "bare":
                    runs[("vs", "bare")] = runs[("this", "bare")]
        for who, checkout in checkouts.items():
            mine = {v: runs[(who, v)] for v in variants}
            print(f"--- {checkout}")
            rows = {mine[v][0]["rows"] for v in ("cold", "warm", "change") if v in mine}
            print(f"occurrences: timeaudit {rows}, bare libraries {mine['bare'][0]['rows']}"
                  + (f", one week {mine['week'][0]['rows']}" if "week" in mine else ""))
            med = {v: statistics.median(r["seconds"] for r in mine[v]) for v in mine}
            peak = {v: max(r["peak_mb"] for r in mine[v]) for v in mine}
            for v in variants:
                print(f"{v:18s} median {med[v]:7.3f} s   peak RSS {peak[v]:6.0f} MB   "
                      f"runs {[round(r['seconds'], 3) for r in mine[v]]}")
            for line in _ratios(med):
                print(line)
        if args.vs:
            print(f"--- this / vs (median of the paired ratios, {args.reps} pairs)")
            for v in variants:
                if v == "bare":
                    continue
                pairs = [a["seconds"] / b["seconds"]
                         for a, b in zip(runs[("this", v)], runs[("vs", v)], strict=True)]
                print(f"{v:18s} {statistics.median(pairs):.3f}")

        if args.no_growth:
            return
        print("growth (cold read):")
        for fraction in (0.25, 0.5, 1.0):
            part = tmpdir / f"part-{fraction}.ics"
            generate(part, series=int(args.series * fraction),
                     singles=int(args.singles * fraction))
            got = measure("cold", part, tmpdir / f"growth-{fraction}")
            print(f"  {fraction:4.0%}: {part.stat().st_size / 1e6:5.1f} MB  {got['rows']:7d} rows"
                  f"  {got['seconds']:6.2f} s  peak {got['peak_mb']:5.0f} MB")


if __name__ == "__main__":
    main()
