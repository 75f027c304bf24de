"""Browser benchmark: what a person waits for in the dashboard, in a real Chromium.

    .venv/bin/python benchmarks/browser.py [--vs /work/main] [--n 20] [--only sample]
                                           [--launches K]

A real ``timeaudit dashboard`` server on 127.0.0.1 (the checkout's own ``.venv``, user
directories of its own), driven by Playwright and Debian's ``/usr/bin/chromium`` the way
``tests/served.py`` does it. Not a test: it prints medians and p90s.

Scenarios: the bundled **sample**, and a **10-year** calendar (`benchmarks/ingest.py`'s
generator, 600 series and 25,000 single events, 9 MB) connected as the person's own file.
For each, in this order:

* first launch — a new server with empty caches; navigation → the week's numbers (the
  seven KPI metrics of the chosen week) are on screen. ``--launches K`` makes K of them
  per side (each a new server and new user directories, the sides' order alternating
  launch by launch), the last one kept for the rest;
* navigation — ``--n`` more page loads on the same server (another browser tab);
* week switch — ``--n`` clicks on Previous / Next (alternating 2:1 so new quarters come);
  "numbers" is when the header names the new week and its KPIs are drawn, "settled" when
  the script run has finished; "numbers, page clock" is the same moment measured in the
  page, from the click event (`WATCH_NUMBERS`: without Playwright's own time around it);
* year jump — the picker's year-back button (a year not read yet), then year-ahead (a year
  read before);
* override save — the first event of the week classified life / work (alternating) in the
  panel under the events table, until the run that saved it finished;
* settings save — the weekly focus target changed (a new value each time) and saved.

With ``--vs OTHER`` the same interactions run against a server of the other checkout (its
own ``.venv``) in the same run, interleaved one by one, so both see the same machine load.
Each interaction starts as soon as the previous one's script run has finished, when that
page's browser is often still drawing what came after the numbers (≈ 0.5–1 s of main-thread
work after a year jump on the 10-year calendar): so a side's interaction shares the two
cores with the other side's drawing. ``--settled`` waits before each interaction until
every page is drawn and its browser idle (and 0.3 s more), as a person clicks on a page
they have seen.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from ingest import generate  # noqa: E402 - the benchmark's own module
from served import KPI_COUNT, chromium, free_port, isolated_env, serving  # noqa: E402

TARGETS = {  # issue 16
    "first launch": {"sample": 3.0, "10-year": 8.0},
    "navigation": {"sample": 3.0, "10-year": 3.0},
    "week switch: numbers": {"sample": 0.3, "10-year": 0.3},
    "year jump, new year: numbers": {"sample": 1.0, "10-year": 1.0},
    "year jump, year read before: numbers": {"sample": 1.0, "10-year": 1.0},
}
TIMEOUT = 180_000  # ms
EVENTS_TABLE = "events_table"  # dashboard.events.TABLE

KPIS = '.st-key-kpis [data-testid="stMetricValue"]'
HEADER = '[data-testid="stMain"] [data-testid="stCaptionContainer"]'

# The week's numbers are on screen: the header (the first caption of the main area)
# names another week than before, and the seven KPIs are there and not greyed out as
# stale (Streamlit marks the elements of the previous run `data-stale`).
NUMBERS_SHOWN = """({before, count, header: where, kpis: which}) => {
    const header = document.querySelector(where);
    if (!header || header.innerText === before) return false;
    const kpis = [...document.querySelectorAll(which)];
    return kpis.length === count && kpis.every(k => {
        const box = k.closest('[data-stale]');
        return !box || box.getAttribute('data-stale') !== 'true';
    });
}"""
RUNNING = '[data-testid="stApp"]'


def numbers_arg(before: str) -> dict[str, Any]:
    return {"before": before, "count": KPI_COUNT, "header": HEADER, "kpis": KPIS}


@dataclass
class Side:
    name: str
    checkout: Path
    home: Path
    url: str = ""
    page: Any = None
    times: dict[str, list[float]] = field(default_factory=dict)
    log: Path | None = None  # every measurement as a JSON line (--log)
    scenario: str = ""

    def record(self, what: str, seconds: float) -> None:
        self.times.setdefault(what, []).append(seconds)
        if self.log is not None:
            with self.log.open("a") as out:
                out.write(json.dumps({"scenario": self.scenario, "side": self.name,
                                      "what": what, "seconds": seconds}) + "\n")


def header_text(page: Any) -> str:
    return page.locator(HEADER).first.inner_text()


# Streamlit's app root carries the state of the script run (`data-test-script-state`:
# running, notRunning, …); a MutationObserver notes that a run started, however briefly,
# so its end is not missed.
WATCH = """(selector) => {
    const app = document.querySelector(selector);
    window.__ran = app.getAttribute('data-test-script-state') === 'running';
    if (window.__watch) window.__watch.disconnect();
    window.__watch = new MutationObserver(() => {
        if (app.getAttribute('data-test-script-state') === 'running') window.__ran = true;
    });
    window.__watch.observe(app, {attributes: true});
}"""
FINISHED = """(selector) => window.__ran && document.querySelector(selector)
    .getAttribute('data-test-script-state') !== 'running'"""
IDLE = """(selector) => {
    const state = document.querySelector(selector)?.getAttribute('data-test-script-state');
    return state && state !== 'running' && state !== 'initial';
}"""


# The page is drawn and its browser idle: no script run, every visible chart drawn (as
# `benchmarks/page_timeline.py`'s "page drawn", but a chart in a closed expander or another
# tab is never drawn, and a table below the fold may never get its canvas), then two idle
# callbacks in a row (the main thread had nothing left to do).
DRAWN = """(selector) => {
    const app = document.querySelector(selector);
    const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && charts.every(chart => chart.offsetParent === null
                                 || chart.querySelector('canvas, svg'));
}"""
UNDRAWN = """(selector) => [
    document.querySelector(selector)?.getAttribute('data-test-script-state'),
    ...[...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
        .filter(chart => chart.offsetParent !== null && !chart.querySelector('canvas, svg'))
        .map(chart => 'chart ' + chart.getBoundingClientRect().top)]"""
SETTLE_TIMEOUT = 10_000  # ms; then the interaction starts anyway, with a note
IDLE_TWICE = """() => new Promise(done => requestIdleCallback(
    () => requestIdleCallback(() => done(true), {timeout: 5000}), {timeout: 5000}))"""
SETTLE_PAUSE = 0.3  # s: what a server does after its run (cache writes) has finished too


def settle(pages: list[Any]) -> None:
    """Until every page is drawn and its browser idle (``--settled``), and a moment more."""
    for page in pages:
        try:
            page.wait_for_function(DRAWN, arg=RUNNING, timeout=SETTLE_TIMEOUT, polling=50)
        except Exception as error:  # a benchmark's note, not a failure
            print(f"  a page not drawn after {SETTLE_TIMEOUT / 1000:g} s ({page.url}): "
                  f"{page.evaluate(UNDRAWN, RUNNING)}; {str(error)[:80]}", flush=True)
        page.evaluate(IDLE_TWICE)
    time.sleep(SETTLE_PAUSE)


def watch_runs(page: Any) -> None:
    page.evaluate(WATCH, RUNNING)


def wait_run_finished(page: Any) -> None:
    """Until the script run (or fragment run) started since `watch_runs` has finished."""
    page.wait_for_function(FINISHED, arg=RUNNING, timeout=TIMEOUT, polling=20)


# The same moment on the page's own clock: from the click (the event's time stamp: when the
# browser got it, so a page still busy drawing counts) to the first change of the page
# after which the numbers are shown, seen by a MutationObserver. Without what the wall
# clock above adds around it — Playwright's click (scrolling, actionability checks, round
# trips to the browser: 50–300 ms on a loaded machine, more on a busy page) and polling.
WATCH_NUMBERS = """({source, arg}) => {
    const shown = (0, eval)(source);
    window.__clicked = null;
    window.__shown = null;
    window.addEventListener('click', (event) => {
        // when the browser got the click, not when its page got round to it
        if (window.__clicked === null) window.__clicked = event.timeStamp;
    }, {capture: true, once: true});
    if (window.__numbers) window.__numbers.disconnect();
    window.__numbers = new MutationObserver(() => {
        if (window.__clicked !== null && window.__shown === null && shown(arg)) {
            window.__shown = performance.now();
            window.__numbers.disconnect();
        }
    });
    window.__numbers.observe(document.body, {subtree: true, childList: true,
        characterData: true, attributes: true, attributeFilter: ['data-stale']});
}"""
IN_PAGE = """() => window.__shown === null || window.__clicked === null ? null
    : (window.__shown - window.__clicked) / 1000"""


def timed(page: Any, action: Callable[[], None],
          before: str | None) -> tuple[float, float, float | None]:
    """Seconds until the new week's numbers show (``before``: the header before; None when
    the week does not change: then the run's end counts), until the run finished, and the
    first on the page's own clock (`WATCH_NUMBERS`; None when not measured)."""
    watch_runs(page)
    if before is not None:
        page.evaluate(WATCH_NUMBERS, {"source": NUMBERS_SHOWN, "arg": numbers_arg(before)})
    started = time.perf_counter()
    action()
    if before is not None:
        page.wait_for_function(NUMBERS_SHOWN, arg=numbers_arg(before),
                               timeout=TIMEOUT, polling=20)
        shown = time.perf_counter() - started
    wait_run_finished(page)
    done = time.perf_counter() - started
    in_page = page.evaluate(IN_PAGE) if before is not None else None
    return (shown if before is not None else done), done, in_page


def open_page(browser: Any, url: str) -> tuple[Any, float]:
    """A new tab on the dashboard; seconds until the week's numbers are on it."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    page = context.new_page()
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(NUMBERS_SHOWN, arg=numbers_arg(""),
                           timeout=TIMEOUT, polling=20)
    seconds = time.perf_counter() - started
    page.wait_for_function(IDLE, arg=RUNNING, timeout=TIMEOUT, polling=20)
    return page, seconds


def close(page: Any) -> None:
    context = page.context
    page.close()
    context.close()


# ------------------------------------------------------------------ interactions


def click_week(side: Side, label: str) -> None:
    page = side.page
    shown, done, in_page = timed(
        page, lambda: page.get_by_role("button", name=label).click(), header_text(page))
    side.record("week switch: numbers", shown)
    side.record("week switch: settled", done)
    if in_page is not None:
        side.record("week switch: numbers, page clock", in_page)


def jump_year(side: Side, years: int, what: str) -> None:
    """The picker's "a year back" / "a year ahead" button (52 weeks)."""
    page = side.page
    button = page.locator(f".st-key-year_{'previous' if years < 0 else 'next'} button").first
    shown, done, in_page = timed(page, button.click, header_text(page))
    side.record(f"{what}: numbers", shown)
    side.record(f"{what}: settled", done)
    if in_page is not None:
        side.record(f"{what}: numbers, page clock", in_page)


# The events table is a canvas (Glide data grid): its first row is selected by a click on
# the row's box at its left (dashboard.events.render_events: rows 68 px under a 35 px header).
ROW_BOX = (18, 35 + 68 / 2)


def save_override(side: Side, domain: str) -> None:
    """Classify the first event of the week as ``domain``: select its row (once), pick the
    domain in the panel below the table, then time "Classify this event"."""
    page = side.page
    panel = page.locator(".st-key-classify")
    if not panel.count():
        grid = page.locator(f'.st-key-{EVENTS_TABLE} [data-testid="stDataFrameResizable"]')
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        watch_runs(page)
        page.mouse.click(box["x"] + ROW_BOX[0], box["y"] + ROW_BOX[1])
        wait_run_finished(page)
        panel.wait_for(timeout=TIMEOUT)
    option = panel.locator("button").filter(has_text=re.compile(f"^{domain}$")).first
    watch_runs(page)
    option.click()
    wait_run_finished(page)
    button = panel.get_by_role("button", name="Classify this event")
    _, done, _ = timed(page, button.click, None)
    side.record("override save: settled", done)


def save_settings(side: Side, target: float) -> None:
    page = side.page
    # the form's widgets are new after each save; the old ones may still be on the page
    field_ = page.locator('[data-stale="false"] input[aria-label="Target (h / week)"]').last
    field_.fill(f"{target:g}")
    _, done, _ = timed(page, lambda: page.get_by_role("button", name="Save settings").click(),
                       None)
    side.record("settings save: settled", done)


# ------------------------------------------------------------------ scenarios


def connect_file(home: Path, calendar: Path) -> None:
    """``calendar`` as the person's own connected file, with settings that fit it."""
    data = home / "xdg_data_home" / "timeaudit"
    (data / "calendars").mkdir(parents=True, mode=0o700)
    shutil.copy(calendar, data / "calendars" / calendar.name)
    (data / "connections.json").write_text(json.dumps(
        {"version": 1, "files": [calendar.name], "urls": []}))
    config = home / "xdg_config_home" / "timeaudit" / "timeaudit.toml"
    config.parent.mkdir(parents=True)
    config.write_text('timezone = "Europe/Berlin"\nowner_emails = ["me@example.com"]\n'
                      'work_domains = ["example.com"]\n')


@contextmanager
def server(side: Side) -> Iterator[str]:
    port = free_port()
    # As the README starts it (`timeaudit dashboard`, its own settings), only without
    # opening a browser and on a free port.
    command = [str(side.checkout / ".venv" / "bin" / "timeaudit"), "dashboard",
               "--server.port", str(port), "--server.headless", "true"]
    with serving(command, port=port, cwd=side.home, env=isolated_env(side.home),
                 log=side.home / "streamlit.log") as url:
        yield url


def run_scenario(name: str, sides: list[Side], calendar: Path | None, n: int,
                 navigations: int, launches: int = 1, settled: bool = False) -> None:
    print(f"\n== {name} ==", flush=True)
    try:
        interact(sides, calendar, n, navigations, launches, settled)
    finally:  # what was measured, also when interrupted (Ctrl-C)
        print_table(name, sides)


def first_launch(browser: Any, side: Side, calendar: Path | None) -> None:
    """One more first launch of ``side``: a new server with new user directories (empty
    caches), stopped after its numbers are on screen."""
    launch = Side(side.name, side.checkout, Path(tempfile.mkdtemp(dir=side.home.parent,
                                                                  prefix=f"{side.home.name}-")))
    if calendar is not None:
        connect_file(launch.home, calendar)
    with server(launch) as url:
        page, seconds = open_page(browser, url)
        close(page)
    side.record("first launch", seconds)
    print(f"  {side.name}: first launch {seconds:.2f} s", flush=True)


def interact(sides: list[Side], calendar: Path | None, n: int, navigations: int,
             launches: int = 1, settled: bool = False) -> None:
    with ExitStack() as stack:
        browser = stack.enter_context(chromium())
        for side in sides:
            if calendar is not None:
                connect_file(side.home, calendar)
        # Launches before the kept one, the sides' order alternating (ABBA…): neither side
        # always launches first on a machine that slows down or speeds up.
        for index in range(launches - 1):
            for side in (sides if index % 2 == 0 else sides[::-1]):
                first_launch(browser, side, calendar)
        if launches % 2 == 0:  # the kept launch continues the alternation
            sides = sides[::-1]
        # One at a time, each server started just before its page opens (as `timeaudit
        # dashboard` opens the browser): a first launch has the machine to itself, and no
        # side's server warms up while another side's page loads.
        for side in sides:
            side.url = stack.enter_context(server(side))
            side.page, seconds = open_page(browser, side.url)
            side.record("first launch", seconds)
            print(f"  {side.name}: first launch {seconds:.2f} s", flush=True)

        def each(step: Callable[[Side, int], None], count: int) -> None:
            """``count`` interactions on every side, interleaved; a failure is reported and
            ends that kind of interaction (the others still run)."""
            try:
                for index in range(count):
                    for side in sides:
                        if settled:  # no side's drawing or work left over from before
                            settle([other.page for other in sides])
                        step(side, index)
            except Exception as error:
                print(f"  {step.__name__ if hasattr(step, '__name__') else step}: "
                      f"{type(error).__name__}: {str(error)[:300]}", flush=True)

        def navigate(side: Side, _: int) -> None:
            page, seconds = open_page(browser, side.url)
            side.record("navigation", seconds)
            close(page)

        each(navigate, navigations)
        each(lambda side, i: click_week(side, "Previous" if i % 3 != 2 else "Next"), n)
        jumps = max(2, min(n // 2, 8))
        each(lambda side, _: jump_year(side, -1, "year jump, new year"), jumps)
        each(lambda side, _: jump_year(side, +1, "year jump, year read before"), jumps)
        each(lambda side, i: save_override(side, ("life", "work")[i % 2]), n)
        each(lambda side, i: save_settings(side, 10 + 0.5 * (i + 1)), n)
        for side in sides:
            close(side.page)


def summary(times: list[float]) -> str:
    if not times:
        return "—"
    ordered = sorted(times)
    p90 = ordered[round(0.9 * (len(ordered) - 1))]
    return f"{statistics.median(ordered):6.2f} / {p90:6.2f}"


def print_table(name: str, sides: list[Side]) -> None:
    rows = list(dict.fromkeys(what for side in sides for what in side.times))
    head = " | ".join(f"{side.name} median / p90 (n)" for side in sides)
    print(f"\n| {name}: seconds | {head} | target |")
    print("|---|" + "---|" * len(sides) + "---|")
    for what in rows:
        cells = " | ".join(f"{summary(side.times.get(what, []))} ({len(side.times.get(what, []))})"
                           for side in sides)
        target = TARGETS.get(what, {}).get(name)
        print(f"| {what} | {cells} | {f'≤ {target:g}' if target else ''} |")
    print(flush=True)


def print_logged(log: Path) -> None:
    """The tables of the measurements a ``--log`` file holds."""
    rows = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    for scenario in dict.fromkeys(row["scenario"] for row in rows):
        sides: dict[str, Side] = {}
        for row in rows:
            if row["scenario"] == scenario:
                side = sides.setdefault(row["side"], Side(row["side"], ROOT, ROOT))
                side.times.setdefault(row["what"], []).append(row["seconds"])
        print_table(scenario, list(sides.values()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vs", type=Path, help="another checkout (with its .venv) to run "
                        "side by side, e.g. /work/main")
    parser.add_argument("--n", type=int, default=20, help="interactions of each kind")
    parser.add_argument("--navigations", type=int, help="page loads on a warm server "
                        "(default: --n)")
    parser.add_argument("--only", choices=("sample", "10-year"))
    parser.add_argument("--launches", type=int, default=1, help="first launches per side "
                        "(each a new server with empty caches; default 1)")
    parser.add_argument("--settled", action="store_true", help="before each interaction, "
                        "wait until every side's page is drawn and its browser idle (a "
                        "person clicks on a drawn page; without it a side's interaction "
                        "overlaps the drawing the other side's last one left)")
    parser.add_argument("--log", type=Path, help="append every measurement to this file "
                        "(JSON lines), to print a table from later with --table")
    parser.add_argument("--table", type=Path, help="print the tables of a --log and stop")
    parser.add_argument("--series", type=int, default=600)
    parser.add_argument("--singles", type=int, default=25_000)
    args = parser.parse_args()
    if args.table:
        print_logged(args.table)
        return

    checkouts = [("branch", ROOT)] + ([("vs", args.vs.resolve())] if args.vs else [])
    for _, checkout in checkouts:
        if not (checkout / ".venv" / "bin" / "timeaudit").exists():
            sys.exit(f"{checkout}: no .venv/bin/timeaudit (run python3 tasks.py test --co "
                     "there first)")
    with tempfile.TemporaryDirectory(prefix="browser-bench-") as tmp:
        base = Path(tmp)
        scenarios: list[tuple[str, Path | None]] = []
        if args.only in (None, "sample"):
            scenarios.append(("sample", None))
        if args.only in (None, "10-year"):
            calendar = base / "ten-years.ics"
            generate(calendar, series=args.series, singles=args.singles)
            scenarios.append(("10-year", calendar))
        for name, calendar in scenarios:
            sides = [Side(label, checkout, base / f"{name}-{label}", log=args.log,
                          scenario=name) for label, checkout in checkouts]
            for side in sides:
                side.home.mkdir()
            run_scenario(name, sides, calendar, args.n,
                         args.n if args.navigations is None else args.navigations,
                         max(1, args.launches), args.settled)


if __name__ == "__main__":
    main()
