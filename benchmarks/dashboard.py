"""Dashboard benchmark: server time of a cold start and of switching weeks (AppTest).

    .venv/bin/python benchmarks/dashboard.py [--switches 14] [--series 600] [--singles 25000]

Each scenario runs in a fresh child process with its own user directories, driving
``app.py`` through Streamlit's AppTest (the script runs exactly as under ``streamlit
run``, without the browser). Measured: the seconds of ``AppTest.run()`` — the server's
work for one script run, which is what a person waits for after a click.

* sample, cold — a new process on the sample calendars with an empty cache (first launch
  ever: the calendars are parsed), and again with the disk cache of a previous launch;
* ten years — the 10-year calendar of `benchmarks/ingest.py` (`generate`) uploaded as the
  person's own calendar: the first run, then ``--switches`` clicks on "Previous" and as
  many on "Next" (every 13th one enters a quarter not audited yet, every 52nd a year not
  read yet), then a jump a year back with the date input. Twice: a first launch (the
  calendar is parsed) and a second one in a new process (the disk cache of the first).

Targets (issue 5): cold start on the sample ≤ 3 s; switching weeks ≤ 0.3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
from datetime import timedelta
started = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=600)
imported = time.perf_counter() - started
t = time.perf_counter(); at.run(); first = time.perf_counter() - t
assert not at.exception, [e.value for e in at.exception]
result = {"import": imported, "first": first, "total": time.perf_counter() - started,
          "occurrences": at.caption[0].value}
switches = int(sys.argv[2])
if switches:
    t = time.perf_counter(); at.run(); result["rerun"] = time.perf_counter() - t
    result["previous"], result["next"] = [], []
    for direction in ("previous", "next"):
        for _ in range(switches):
            at.button(key=f"week_{direction}").click()
            t = time.perf_counter(); at.run(); result[direction].append(time.perf_counter() - t)
            result.setdefault("weeks", []).append(
                (str(at.session_state["week_day"]), result[direction][-1]))
            assert not at.exception, [e.value for e in at.exception]
    at.button(key="year_previous").click()  # 52 weeks back
    t = time.perf_counter(); at.run(); result["jump"] = time.perf_counter() - t
    result["metrics"] = {m.label: m.value for m in at.metric}
print("RESULT " + json.dumps(result))
"""


def run_child(xdg: Path, switches: int = 0) -> dict:
    env = dict(os.environ)
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env[name] = str(xdg / name.lower())
    done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT / "app.py"), str(switches)],
                          env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        sys.exit(f"benchmark child failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def connect_ten_years(xdg: Path, series: int, singles: int) -> Path:
    """The generated calendar as the person's own upload, with settings that fit it."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from ingest import generate  # noqa: PLC0415 - the benchmark's own module

    data = xdg / "xdg_data_home" / "timeaudit"
    (data / "calendars").mkdir(parents=True, mode=0o700)
    path = data / "calendars" / "ten-years.ics"
    generate(path, series=series, singles=singles)
    (data / "connections.json").write_text(json.dumps({"version": 1, "files": [path.name],
                                                       "urls": []}))
    config = xdg / "xdg_config_home" / "timeaudit" / "timeaudit.toml"
    config.parent.mkdir(parents=True)
    config.write_text('timezone = "Europe/Berlin"\nowner_emails = ["me@example.com"]\n'
                      'work_domains = ["example.com"]\n')
    return path


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    return (f"median {statistics.median(ordered):.3f} s, p90 "
            f"{ordered[int(0.9 * (len(ordered) - 1))]:.3f} s, max {ordered[-1]:.3f} s "
            f"({len(ordered)} switches)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--switches", type=int, default=30)
    parser.add_argument("--series", type=int, default=600)
    parser.add_argument("--singles", type=int, default=25_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        print("sample calendars, cold start (server time of the first run):")
        for rep in range(args.reps):
            xdg = base / f"sample-{rep}"
            empty = run_child(xdg)
            warm = run_child(xdg)  # a new process, the disk cache of the one before
            print(f"  empty cache: first run {empty['first']:.2f} s (+ {empty['import']:.2f} s "
                  f"importing Streamlit)   disk cache warm: first run {warm['first']:.2f} s")

        print(f"\nten-year calendar ({args.series} series, {args.singles} single events):")
        for second in (False, True):
            xdg = base / "ten-years"
            path = xdg / "xdg_data_home" / "timeaudit" / "calendars" / "ten-years.ics"
            if not second:
                connect_ten_years(xdg, args.series, args.singles)
            result = run_child(xdg, args.switches)
            what = ("second launch: a new process, the disk cache of the first" if second
                    else "first launch: empty cache")
            print(f"  [{what}; {path.stat().st_size / 1e6:.1f} MB]")
            print(f"  first run (parse + first blocks): {result['first']:.2f} s; "
                  f"{result['occurrences']}")
            print(f"  rerun, nothing changed: {result['rerun']:.3f} s")
            switches = result["previous"] + result["next"]
            print(f"  previous week: {summary(result['previous'])}")
            print(f"  next week:     {summary(result['next'])}")
            within = [t for t in switches if t <= 0.3]
            print(f"  all switches:  {summary(switches)}; {len(within)} of {len(switches)} "
                  "≤ 0.3 s")
            slowest = sorted(result["weeks"], key=lambda w: -w[1])[:3]
            print("  slowest switches (to the week of): "
                  + ", ".join(f"{day} {seconds:.2f} s" for day, seconds in slowest))
            print(f"  jump a year back (blocks not read yet): {result['jump']:.2f} s")

if __name__ == "__main__":
    main()
