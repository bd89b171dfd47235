"""Benchmark: time from a control change to new pixels, in headless Chromium (issue 12).

Starts a fresh ``odatis-portal serve`` on loopback (the demo catalog unless ``--catalog``),
opens each page (``--path``; by default an Argo profile and map, a mooring series, the SST
grid and the point store of the demo), and for each control the view offers — variable,
QC preset, colormap, depth range, a grid's time step — flips it ``--runs`` times between
two values, timing from the change in the browser to the moment the plot's canvas shows
different pixels (a sampled hash of the canvas, polled every 20 ms). The first change of
each control is a warm-up (the server's data cache fills) and is left out. A control whose
change leaves the pixels as they were once the page is idle again (no progress overlay for
``SETTLE_S``; e.g. the variable of a map coloured by time) is reported as skipped, with that
reason, instead of timing out. Prints a table per page kind (page, control, p50, p95,
max) against the issue's goal (≤ 1 s p95 for datasets under 10⁶ samples), with the
machine's load.

    python bench/bench_controls.py [--catalog FILE] [--runs 8] [--path /?dataset=…]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_page import (  # noqa: E402 - the sibling benchmark's server helpers
    CHROMIUM,
    CHROMIUM_ARGS,
    PAINTED_JS,
    free_port,
    start_server,
    wait_health,
)

GOAL_P95_S = 1.0
DEFAULT_PATHS = ["/?dataset=demo_argo_biscay&kind=profile", "/?dataset=demo_argo_biscay&kind=map",
                 "/?dataset=demo_mooring_biscay&kind=timeseries",
                 "/?dataset=demo_sst_biscay&kind=map", "/?dataset=demo_coriolis_points&kind=map"]

# A hash of a sparse sample of the plot's canvases (through shadow roots); null: none yet.
CANVAS_HASH_JS = """() => {
    const host = (function find(root) {
        for (const el of root.querySelectorAll('*')) {
            if (el.classList && el.classList.contains('portal-plot')) return el;
            if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
        }
        return null;
    })(document);
    if (!host) return null;
    let h = 0, any = false;
    (function walk(root) {
        for (const el of root.querySelectorAll('*')) {
            if (el.tagName === 'CANVAS' && el.width && el.height) {
                const data = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;
                for (let i = 0; i < data.length; i += 4 * 31) {
                    h = (h * 31 + data[i] + 7 * data[i + 1] + 13 * data[i + 2]) | 0;
                }
                any = true;
            }
            if (el.shadowRoot) walk(el.shadowRoot);
        }
    })(host.shadowRoot || host);
    return any ? h : null;
}"""


def _select(page, control: str, index: int) -> None:
    page.locator(f".portal-control-{control} select").first.select_option(index=index)


SET_DEPTH_JS = """(odd) => {
    const m = Bokeh.documents.flatMap(d => [...d._all_models.values()])
        .find(m => m.type === 'RangeSlider' && (m.css_classes || []).includes('portal-control-depth'));
    const span = m.end - m.start, value = [m.start, odd ? m.start + span / 2 : m.end];
    m.value = value; m.value_throttled = value;
}"""


def _drag_depth(page, step: int) -> None:
    """Halve the depth range (odd steps) or restore it, as the slider's release does (the
    Bokeh model's value and value_throttled; Playwright's drags of noUiSlider do not stick)."""
    page.evaluate(SET_DEPTH_JS, bool(step % 2))


def _step(page, step: int) -> None:
    """A grid's time step back (odd steps) or forward again: the player's "previous" and
    "next" buttons (first, previous, pause, play, next, last)."""
    page.locator(".portal-control-step button").nth(1 if step % 2 else 4).click()


def _usable(page, control: str, options: int) -> bool:
    """Whether the view shows the control enabled with the ``options`` the change steps
    through (a grid has no QC, a series one line no colormap, a one-variable grid one
    variable): a control that does not apply is not timed."""
    found = page.locator(f".portal-control-{control}").first
    if not found.count() or not found.is_visible():
        return False
    select = page.locator(f".portal-control-{control} select")
    return not select.count() or (select.first.is_enabled() and select.first.evaluate(
        "s => s.options.length") >= options)


def _changes(page):
    """(name, function(step)) of the controls the view offers, timed."""
    changes = [("variable", "var", 2, lambda i: _select(page, "var", i % 2)),
               ("qc", "qc", 4, lambda i: _select(page, "qc", 3 if i % 2 else 1)),
               ("colormap", "cmap", 3, lambda i: _select(page, "cmap", 1 + i % 2)),
               ("depth", "depth", 0, lambda i: _drag_depth(page, i)),
               ("step", "step", 0, lambda i: _step(page, i))]
    return [(name, change) for name, control, options, change in changes
            if _usable(page, control, options)]


# whether the progress overlay is on a view in the page (replaced models keep their classes)
BUSY_JS = """() => [...Bokeh.index.all_views()].some(v => v.el && v.el.isConnected
    && v.el.classList && v.el.classList.contains('pn-loading'))"""
SETTLE_S = 3.0  # no overlay and no new pixels this long: the change drew nothing new


def _time_change(page, change, step: int, timeout: float = 60.0) -> tuple[float, str]:
    """Seconds from the change to new pixels, and "ok"; or (nan, "unchanged") when the
    page went idle (no progress overlay for ``SETTLE_S``) with the same pixels, or
    (inf, "timeout")."""
    before = page.evaluate(CANVAS_HASH_JS)
    start = time.perf_counter()
    change(step)
    idle_since = None
    while (now_t := time.perf_counter()) - start < timeout:
        now = page.evaluate(CANVAS_HASH_JS)
        if now is not None and now != before and page.evaluate(PAINTED_JS, 12):
            return now_t - start, "ok"
        if now_t - start > 1.0 and not page.evaluate(BUSY_JS):  # 1 s: the overlay's round trip
            idle_since = idle_since or now_t
            if now_t - idle_since > SETTLE_S:
                return float("nan"), "unchanged"
        else:
            idle_since = None
        time.sleep(0.02)
    return float("inf"), "timeout"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def kind_of(path: str) -> str:
    """The page's kind and dataset, from its query string (the table's grouping)."""
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    return f"{query.get('kind', ['default'])[0]} {query.get('dataset', ['?'])[0]}"


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def bench_control(page, change, runs: int) -> tuple[list[float], str]:
    """Times of ``runs`` changes after a warm-up, or ([], reason) when not timed."""
    # warm-up (fills the server's caches) on both values: the page opened with a third one
    # (step 0), which may draw the same as one of them
    statuses = {_time_change(page, change, step)[1] for step in (1, 2)}
    if statuses == {"unchanged"}:
        return [], "skipped: the change draws the same pixels (the view ignores it)"
    times, reasons = [], set()
    for i in range(3, runs + 3):
        seconds, status = _time_change(page, change, i)
        if status == "ok":
            times.append(seconds)
        else:
            reasons.add(status)
    return times, ", ".join(sorted(reasons))


def bench_page(browser, url: str, path: str, runs: int) -> list[tuple]:
    """(page, control, times, note) rows of one page."""
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    try:
        page.goto(url + path)
        page.wait_for_function(PAINTED_JS, arg=12, timeout=300_000)
        rows = []
        for name, change in _changes(page):
            times, note = bench_control(page, change, runs)
            rows.append((path, name, times, note))
            print_row(*rows[-1])
        return rows
    finally:
        page.close()


def print_row(path: str, name: str, times: list[float], note: str) -> None:
    if not times:
        print(f"  {path[2:50]:50} {name:9} {'-':>6} {'-':>6} {'-':>6}  {note}", flush=True)
        return
    p95 = percentile(times, 0.95)
    verdict = "OK" if p95 <= GOAL_P95_S else "MISSED"
    extra = f" ({len(times)} timed; others {note})" if note else ""
    print(f"  {path[2:50]:50} {name:9} {statistics.median(times):6.2f} {p95:6.2f} "
          f"{max(times):6.2f}  {verdict}{extra}  [{load()}]", flush=True)


def print_table(rows: list[tuple]) -> None:
    """The summary, one block per page kind."""
    print(f"\nper kind — seconds to new pixels; goal p95 <= {GOAL_P95_S} s; {load()}")
    by_kind: dict[str, list[tuple]] = {}
    for row in rows:
        by_kind.setdefault(kind_of(row[0]), []).append(row)
    for kind, group in sorted(by_kind.items()):
        print(f"{kind}:")
        print(f"  {'page':50} {'control':9} {'p50':>6} {'p95':>6} {'max':>6}")
        for row in group:
            print_row(*row)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", help="catalog file (default: the demo catalog)")
    parser.add_argument("--path", action="append",
                        help="page to time (repeatable; default: the demo Argo profile, map "
                        "and mooring series, the SST grid and the point store)")
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    port = free_port()
    log_path = Path(tempfile.mkdtemp()) / "server.log"
    proc = start_server(args.catalog, port, port, log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_health(url, proc, log_path)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"control change -> new pixels (s), {args.runs} runs after one warm-up; "
                  f"{load()}")
            rows = [row for path in args.path or DEFAULT_PATHS
                    for row in bench_page(browser, url, path, args.runs)]
            browser.close()
        print_table(rows)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
