"""Benchmark: time from a control change to new pixels, in headless Chromium (issue 12).

Starts a fresh ``odatis-portal serve`` on loopback (the demo catalog unless ``--catalog``),
opens each page (``--path``; by default an Argo profile and map, a mooring series, the SST
grid and the point store of the demo), and for each control the view offers — variable,
QC preset, colormap, depth range — flips it ``--runs`` times between two values, timing from the
change in the browser to the moment the plot's canvas shows different pixels (a sampled
hash of the canvas, polled every 20 ms). The first change of each control is a warm-up
(the server's data cache fills) and is left out. Prints p50/p95 per control against the
issue's goal (≤ 1 s p95 for datasets under 10⁶ samples).

    python bench/bench_controls.py [--catalog FILE] [--runs 8] [--path /?dataset=…]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
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


def _usable(page, control: str) -> bool:
    """Whether the view shows the control enabled (a grid has no QC, a series one line
    no colormap): a control that does not apply is not timed."""
    found = page.locator(f".portal-control-{control}").first
    if not found.count() or not found.is_visible():
        return False
    select = page.locator(f".portal-control-{control} select")
    return not select.count() or select.first.is_enabled()


def _changes(page):
    """(name, function(step)) of the controls the view offers, timed."""
    changes = [("variable", "var", lambda i: _select(page, "var", i % 2)),
               ("qc", "qc", lambda i: _select(page, "qc", 3 if i % 2 else 1)),
               ("colormap", "cmap", lambda i: _select(page, "cmap", 1 + i % 2)),
               ("depth", "depth", lambda i: _drag_depth(page, i))]
    return [(name, change) for name, control, change in changes if _usable(page, control)]


def _time_change(page, change, step: int, timeout: float = 60.0) -> float:
    before = page.evaluate(CANVAS_HASH_JS)
    start = time.perf_counter()
    change(step)
    while time.perf_counter() - start < timeout:
        now = page.evaluate(CANVAS_HASH_JS)
        if now is not None and now != before and page.evaluate(PAINTED_JS, 12):
            return time.perf_counter() - start
        time.sleep(0.02)
    return float("inf")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


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
                  f"goal p95 <= {GOAL_P95_S} s")
            print(f"{'page':48} {'control':10} {'p50':>6} {'p95':>6} {'max':>6}")
            for path in args.path or DEFAULT_PATHS:
                page = browser.new_page(viewport={"width": 1366, "height": 900})
                page.goto(url + path)
                page.wait_for_function(PAINTED_JS, arg=12, timeout=300_000)
                for name, change in _changes(page):
                    _time_change(page, change, 0)  # warm-up: fills the server's caches
                    times = [_time_change(page, change, i) for i in range(1, args.runs + 1)]
                    p95 = percentile(times, 0.95)
                    print(f"{path[2:48]:48} {name:10} {statistics.median(times):6.2f} "
                          f"{p95:6.2f} {max(times):6.2f}  "
                          f"{'OK' if p95 <= GOAL_P95_S else 'MISSED'}", flush=True)
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
