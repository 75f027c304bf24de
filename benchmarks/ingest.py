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
* change-new-process — the changed file read by a new process whose on-disk cache holds
          the read of the unchanged file (what the CLI pays: nothing on disk is per group).

It prints medians, the ratios against bare, peak memory, and cold time and memory for a
quarter, half and all of the calendar (growth).
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


def measure(variant: str, path: Path, cache_home: Path) -> dict:
    env = dict(os.environ, XDG_CACHE_HOME=str(cache_home))
    result = subprocess.run([sys.executable, "-c", CHILD, variant, str(path)], env=env,
                            capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parent.parent)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--series", type=int, default=600)
    parser.add_argument("--singles", type=int, default=25_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        path = tmpdir / "ten-years.ics"
        generate(path, series=args.series, singles=args.singles)
        print(f"calendar: {path.stat().st_size / 1e6:.1f} MB, {args.series} series, "
              f"{args.singles} single events, window {WINDOW[0]} .. {WINDOW[1]}")
        changed = tmpdir / "ten-years-one-change.ics"
        changed.write_bytes(path.read_bytes().replace(b"SUMMARY:Meeting 17\r\n",
                                                      b"SUMMARY:Meeting 17 (moved)\r\n"))
        variants = ("bare", "cold", "warm", "week", "change", "change-new-process")
        runs: dict[str, list[dict]] = {v: [] for v in variants}
        for rep in range(args.reps):
            cache_home = tmpdir / f"cache-{rep}"
            for variant in variants:  # interleaved; warm reuses cold's cache
                if variant == "change-new-process":
                    runs[variant].append(measure("cold", changed, cache_home))
                elif variant == "week":
                    runs[variant].append(measure("week", path, tmpdir / f"week-{rep}"))
                else:
                    runs[variant].append(measure(variant, path, cache_home))
        rows = {runs[v][0]["rows"] for v in ("cold", "warm", "change")}
        print(f"occurrences: timeaudit {rows}, bare libraries {runs['bare'][0]['rows']}, "
              f"one week {runs['week'][0]['rows']}")
        med = {v: statistics.median(r["seconds"] for r in runs[v]) for v in runs}
        peak = {v: max(r["peak_mb"] for r in runs[v]) for v in runs}
        for v in variants:
            print(f"{v:18s} median {med[v]:7.3f} s   peak RSS {peak[v]:6.0f} MB   "
                  f"runs {[round(r['seconds'], 3) for r in runs[v]]}")
        print(f"first read / bare = {med['cold'] / med['bare']:.2f}  (target <= 0.70)")
        print(f"bare / repeat read = {med['bare'] / med['warm']:.1f}x  (target >= 20x)")
        print(f"one week / bare = {med['week'] / med['bare']:.3f}  (target <= 0.2)")
        print(f"one change, same process / bare = {med['change'] / med['bare']:.3f}  "
              "(target <= 0.05)")
        print(f"one change, new process / bare = "
              f"{med['change-new-process'] / med['bare']:.3f}")

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
