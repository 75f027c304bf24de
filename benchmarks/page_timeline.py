"""Where a page load's time goes: a timeline of fresh tabs in a real Chromium.

    .venv/bin/python benchmarks/page_timeline.py [--vs /work/main] [--n 5]

Serves the dashboard on the bundled sample (this checkout, and with ``--vs`` another one
with its own ``.venv``) and the hello-world anchor (`benchmarks/anchor_page.py`), each
warmed by one load, then opens ``--n`` fresh browser contexts on each, interleaved. For
every load, milliseconds since navigation on the page's own clock (median of the loads):

* html — the HTML has arrived; ws — the websocket is open; first msg — the server's
  first message; kpis in DOM — the seven KPI values are in the page (MutationObserver);
  kpis painted — the next frame after that (requestAnimationFrame + a task: what a
  long script task in between delays); page drawn — the script run is over and every
  chart has drawn and every visible table has its canvas;
* the first load of each server is its first launch (a new server, empty caches), the
  ``--n`` after it are navigations on the warm server;
* js MB / requests — scripts fetched; long tasks — main-thread tasks over 50 ms, summed.

Not a test, and not what the issue's table quotes (`benchmarks/browser.py` is): the tool
that finds what sits between the server's first message and the numbers on screen.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from served import KPI_COUNT, chromium, free_port, isolated_env, serving  # noqa: E402

TIMEOUT = 180_000  # ms

# Installed before the page's own scripts: wraps WebSocket to time its messages, watches
# long tasks, and notes when the KPIs are in the page, painted, and the page is drawn.
PROBE = """(count) => {
  const T = window.__timeline = {messages: 0, longtasks: 0};
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const socket = new Native(...args);
    socket.addEventListener('open', () => { T.ws = performance.now(); });
    socket.addEventListener('message', () => {
      T.messages += 1;
      if (T.first === undefined) T.first = performance.now();
    });
    return socket;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) T.longtasks += entry.duration;
  }).observe({type: 'longtask', buffered: true});
  const kpis = '.st-key-kpis [data-testid="stMetricValue"]';
  const watch = () => {
    const observer = new MutationObserver(() => {
      if (document.querySelectorAll(kpis).length !== count) return;
      T.kpis = performance.now();
      requestAnimationFrame(() => setTimeout(() => { T.painted = performance.now(); }, 0));
      observer.disconnect();
    });
    observer.observe(document.documentElement, {subtree: true, childList: true,
                                                 characterData: true});
  };
  if (document.documentElement) watch();
  else document.addEventListener('DOMContentLoaded', watch);
  const drawn = setInterval(() => {
    if (T.painted === undefined) return;
    const app = document.querySelector('[data-testid="stApp"]');
    const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
    const grids = [...document.querySelectorAll('[data-testid="stDataFrame"]')];
    if (app && app.getAttribute('data-test-script-state') === 'notRunning'
        && charts.every(chart => chart.querySelector('canvas, svg'))
        && grids.every(grid => grid.offsetParent === null || grid.querySelector('canvas'))) {
      T.drawn = performance.now();
      clearInterval(drawn);
    }
  }, 20);
}"""
READ = """() => {
  const scripts = performance.getEntriesByType('resource')
    .filter(entry => entry.name.split('?')[0].endsWith('.js'));
  return {...window.__timeline,
          html: performance.getEntriesByType('navigation')[0].responseEnd,
          js_mb: scripts.reduce((sum, entry) => sum + entry.encodedBodySize, 0) / 1e6,
          js_requests: scripts.length};
}"""
COLUMNS = (("html", "html"), ("ws", "ws"), ("first", "first msg"), ("kpis", "kpis in DOM"),
           ("painted", "kpis painted"), ("drawn", "page drawn"), ("longtasks", "long tasks"),
           ("js_mb", "js MB"), ("js_requests", "js requests"), ("messages", "messages"))


def load(browser: Any, url: str) -> dict[str, float]:
    """One navigation in a fresh browser context (no cache, no cookies)."""
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        context.add_init_script(f"({PROBE})({KPI_COUNT})")
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("() => window.__timeline.drawn !== undefined",
                               timeout=TIMEOUT, polling=50)
        return page.evaluate(READ)
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vs", type=Path, help="another checkout (with its .venv)")
    parser.add_argument("--n", type=int, default=5, help="loads of each page")
    args = parser.parse_args()
    pages = [("anchor", ROOT, ["streamlit", "run", str(ROOT / "benchmarks" / "anchor_page.py"),
                               "--server.address", "127.0.0.1",
                               "--browser.gatherUsageStats", "false",
                               "--client.toolbarMode", "minimal"]),
             ("branch", ROOT, ["timeaudit", "dashboard"])]
    if args.vs:
        pages.append(("vs", args.vs.resolve(), ["timeaudit", "dashboard"]))
    loads: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in pages}
    with tempfile.TemporaryDirectory(prefix="page-timeline-") as tmp, ExitStack() as stack:
        urls = {}
        for name, checkout, command in pages:
            home, port = Path(tmp) / name, free_port()
            home.mkdir()
            urls[name] = stack.enter_context(serving(
                [str(checkout / ".venv" / "bin" / command[0]), *command[1:],
                 "--server.port", str(port), "--server.headless", "true",
                 "--server.fileWatcherType", "none"],
                port=port, cwd=home, env=isolated_env(home), log=home / "streamlit.log"))
        browser = stack.enter_context(chromium())
        first = {name: load(browser, url) for name, url in urls.items()}  # one at a time
        for _ in range(args.n):
            for name, url in urls.items():
                loads[name].append(load(browser, url))
    print(f"\n| ms since navigation (median of {args.n} on a warm server) | "
          + " | ".join(title for _, title in COLUMNS) + " |")
    print("|---|" + "---:|" * len(COLUMNS))
    rows = [(f"{name}: first launch", [first[name]]) for name in urls]
    rows += [(f"{name}: navigation", measured) for name, measured in loads.items()]
    for title, measured in rows:
        cells = (statistics.median(load.get(key, float("nan")) for load in measured)
                 for key, _ in COLUMNS)
        print(f"| {title} | " + " | ".join(
            f"{cell:.2f}" if key == "js_mb" else f"{cell:.0f}"
            for (key, _), cell in zip(COLUMNS, cells, strict=True)) + " |")


if __name__ == "__main__":
    main()
