"""Benchmark: time from a wheel zoom (or a pan) on a map to new pixels, in headless Chromium.

Starts a fresh ``odatis-portal serve`` on loopback (the demo catalog unless ``--catalog``),
opens ``/?dataset=ID&kind=map`` for each ``--dataset`` in a headless Chromium at 1366×900,
waits for the plot, then performs ``--n-zooms`` gestures at different places of the map:
wheel zooms in and out (one wheel event of ±240 px) and, every fifth gesture, a pan (a
drag of 120 px). Two warm-up gestures come first (the server's code paths and data
caches warm up) and are not counted.

What is measured, in the page's clock (``performance.now()``):

- **start:** the wheel event's dispatch (a capturing ``wheel`` listener on ``window``), or
  for a pan the ``pointerup`` that ends the drag;
- **end, server-drawn maps** (rasterised grids, point stores, dense tracks — the page
  holds a Bokeh ``ColumnDataSource`` with an ``image`` column): the first change of such
  a source after the start (the new image computed by the server for the new view has
  arrived in the page), then two animation frames (Bokeh paints on the next frame), i.e.
  *new data pixels on screen*. The immediate redraw of the old image scaled by the wheel
  is not counted. After the end, the canvas must differ from before the gesture. A view
  whose rows are not in the server's memory may first come as a *preview* from the
  overviews (its title says "PREVIEW"): the first new pixels are then the preview's, and
  **exact** is the time until the image of the exact view is painted (both are printed);
- **end, browser-drawn maps** (a few hundred markers: no server round trip on zoom): the
  first animation frame whose canvas differs from before the gesture.

Prints p50 / p95 / max per dataset and gesture against the targets (issue 12: ≤ 500 ms
p95 for a map zoom; issue 11: ≤ 300 ms on a 10⁹-point store), with the machine's load
(``uptime``). The peer is ``--baseline``: the same gestures, interleaved, against a server
running another checkout of the portal (the code before a change) in the same run. Plain
HoloViews + Datashader over the same Parquet takes 20–24 s per view of the 10⁹ store
(``bench/bench_render.py``), so a page built on it was not timed.

    python bench/bench_zoom.py [--catalog FILE] [--dataset ID ...] [--n-zooms 12] [--short]
                               [--baseline OTHER_CHECKOUT] [--screenshots DIR] [--verbose]
                               [--pause S]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_controls import CANVAS_HASH_JS, percentile  # noqa: E402 - sibling benchmark
from bench_page import (  # noqa: E402 - the sibling benchmark's server helpers
    CHROMIUM,
    CHROMIUM_ARGS,
    PAINTED_JS,
    free_port,
    start_server,
    wait_health,
)

GOAL_MAP_P95_S = 0.5   # issue 12: a map zoom
GOAL_1E9_P95_S = 0.3   # issue 11: a zoom on a 10⁹-point store
DEFAULT_DATASETS = ["demo_coriolis_points", "demo_sst_biscay", "demo_argo_biscay",
                    "demo_glider_ligurian"]
SHORT_DATASETS = ["demo_coriolis_points", "demo_sst_biscay"]

# Installs the probe: gesture start times and the arrival of new server images.
PROBE_JS = """() => {
    if (window.__zoomProbe) return;
    const probe = window.__zoomProbe = {t0: null, tData: null, tPaint: null, tSent: null, n: 0,
                                        tFirstData: null, tFirst: null, previews: 0};
    const start = () => { probe.t0 = performance.now(); probe.tData = null; probe.tPaint = null;
                          probe.tSent = null; probe.tFirstData = null; probe.tFirst = null;
                          probe.previews = 0; };
    const titles = () => Bokeh.documents.flatMap(d => [...d._all_models.values()])
        .filter(m => m.type === 'Title').map(m => m.text).join(' ');
    window.addEventListener('wheel', start, {capture: true});
    window.addEventListener('pointerup', start, {capture: true});
    const isImage = (m) => m && m.type === 'ColumnDataSource' && m.data
        && ('image' in m.data || (m.data.get && m.data.has && m.data.has('image')));
    const hook = (doc) => doc.on_change((ev) => {
        const models = ev.events ? ev.events.map(e => e.model) : [ev.model];
        if (probe.t0 === null || probe.tData !== null || probe.tPaint !== null
            || !models.some(isImage)) return;
        probe.tData = performance.now(); probe.n += 1;
        if (probe.tFirstData === null) probe.tFirstData = probe.tData;
        requestAnimationFrame(() => requestAnimationFrame(() => {
            const now = performance.now();
            if (probe.tFirst === null) probe.tFirst = now;
            if (/PREVIEW|APERÇU/.test(titles())) { probe.previews += 1; probe.tData = null; }
            else probe.tPaint = now; }));
    }, true);
    Bokeh.documents.forEach(hook);
    Bokeh.documents.forEach((doc) => {  // when the zoom's ranges leave for the server
        const stop = doc.interactive_stop.bind(doc);
        doc.interactive_stop = () => { if (probe.tSent === null) probe.tSent = performance.now();
                                       stop(); };
    });
}"""

HAS_IMAGE_JS = """() => Bokeh.documents.flatMap(d => [...d._all_models.values()]).some(m =>
    m.type === 'ColumnDataSource' && m.data && ('image' in m.data
        || (m.data.has && m.data.has('image'))))"""

# Browser-drawn maps: the first frame whose canvas hash differs from `before`.
FIRST_CHANGED_FRAME_JS = """(before) => new Promise((resolve) => {
    const hash = """ + CANVAS_HASH_JS + """;
    const t0 = window.__zoomProbe.t0;
    const tick = () => {
        const now = hash();
        if (now !== null && now !== before) resolve(performance.now() - t0);
        else if (performance.now() - t0 > 30000) resolve(null);
        else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
})"""


def _frame_box(page) -> dict:
    """The plot's largest canvas on screen (its map frame, with the axes)."""
    boxes = [b for b in (c.bounding_box() for c in page.locator(".portal-plot canvas").all())
             if b and b["width"] > 200]
    return max(boxes, key=lambda b: b["width"] * b["height"])


def _gesture(page, box: dict, step: int, rng: random.Random) -> str:
    """One wheel zoom (in, or out every third step) or, every fifth step, a pan."""
    x = box["x"] + box["width"] * rng.uniform(0.3, 0.7)
    y = box["y"] + box["height"] * rng.uniform(0.3, 0.7)
    page.mouse.move(x, y)
    if step % 5 == 4:
        page.mouse.down()
        page.mouse.move(x + 60, y + 30, steps=4)
        page.mouse.move(x + 120, y + 60, steps=4)
        page.mouse.up()
        return "pan"
    page.mouse.wheel(0, 240 if step % 3 == 2 else -240)
    return "zoom"


class Timed(NamedTuple):
    """One gesture: seconds from its start to the first new pixels (a preview's, if one
    came) and to the exact view's pixels (inf when none came), previews shown, and for a
    server-drawn map the split of the first: ranges sent, server answer arrived, painted."""

    kind: str
    first: float
    exact: float
    previews: int = 0
    split: tuple[float, ...] = ()


def _time_gesture(page, box: dict, step: int, rng: random.Random, server_drawn: bool,
                  timeout: float = 60.0) -> Timed:
    before = page.evaluate(CANVAS_HASH_JS)
    kind = _gesture(page, box, step, rng)
    if not server_drawn:
        took = page.evaluate(FIRST_CHANGED_FRAME_JS, before)
        took = float("inf") if took is None else took / 1000
        return Timed(kind, took, took)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = page.evaluate("() => window.__zoomProbe")
        if probe["tPaint"] is not None:
            changed = page.evaluate(CANVAS_HASH_JS) != before
            t0, sent = probe["t0"], probe["tSent"] or probe["t0"]
            split = ((sent - t0) / 1000, (probe["tFirstData"] - sent) / 1000,
                     (probe["tFirst"] - probe["tFirstData"]) / 1000)
            if not changed:
                return Timed(kind, float("inf"), float("inf"), probe["previews"], split)
            return Timed(kind, (probe["tFirst"] - t0) / 1000, (probe["tPaint"] - t0) / 1000,
                         probe["previews"], split)
        time.sleep(0.01)
    probe = page.evaluate("() => window.__zoomProbe")  # no exact view: a preview, maybe
    first = float("inf") if probe["tFirst"] is None else (probe["tFirst"] - probe["t0"]) / 1000
    return Timed(kind, first, float("inf"), probe["previews"])


def peak_rss_gb(pid: int) -> float:
    """The server process's peak resident memory (Linux ``VmHWM``), in GB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return float("nan")


class MapSession:
    """One server's map page of a dataset in the browser, timed gesture by gesture."""

    def __init__(self, browser, url: str, dataset: str, label: str, ws_bytes: bool,
                 verbose: bool = False, pause: float = 0.3) -> None:
        self.name, self.ws_bytes, self.verbose = dataset + label, ws_bytes, verbose
        self.pause = pause
        self.page = page = browser.new_page(viewport={"width": 1366, "height": 900})
        self.received = [0]  # websocket bytes from the server: what one answer weighs
        if ws_bytes:  # off by default: the DevTools frame capture slows the page down
            page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: (
                self.received.__setitem__(0, self.received[0] + len(payload)))))
        page.goto(f"{url}/?dataset={dataset}&kind=map")
        page.wait_for_function(PAINTED_JS, arg=12, timeout=300_000)
        time.sleep(1.0)  # the page's late re-layouts (the browser's width) settle
        page.evaluate(PROBE_JS)
        self.server_drawn = page.evaluate(HAS_IMAGE_JS)
        self.box = _frame_box(page)
        self.rng = random.Random(12)  # every server gets the same gestures
        self.timed: list[Timed] = []
        self.sizes: list[int] = []

    def gesture(self, step: int) -> None:
        """One gesture; steps below 0 are warm-ups, not counted."""
        self.received[0] = 0
        timed = _time_gesture(self.page, self.box, max(step, 0), self.rng, self.server_drawn)
        if self.verbose:
            print(f"  {self.name[:30]:30} step {step:3} {timed.kind:5} first "
                  f"{timed.first * 1000:7.0f} exact {timed.exact * 1000:7.0f} ms"
                  f"{' (preview first)' if timed.previews else ''}  split "
                  + "/".join(f"{v * 1000:.0f}" for v in timed.split), flush=True)
        if step >= 0:
            self.sizes.append(self.received[0])
            self.timed.append(timed)
        time.sleep(self.pause)  # gestures apart, as a user's are: each is timed alone

    def report(self, goal: float) -> None:
        how = "server image" if self.server_drawn else "browser redraw"
        for kind in ("zoom", "pan"):
            timed = [t for t in self.timed if t.kind == kind]
            previews = sum(1 for t in timed if t.previews)
            rows = [("", [t.first for t in timed])]
            if previews:  # the exact pixels of the same gestures, after their previews
                rows.append((f"  exact ({previews} previewed first)", [t.exact for t in timed]))
            for label, values in rows if timed else ():
                p95 = percentile(values, 0.95)
                print(f"{self.name[:34]:34} {kind:5} {how:14} {len(values):3} "
                      f"{statistics.median(values) * 1000:7.0f} {p95 * 1000:7.0f} "
                      f"{max(values) * 1000:7.0f}  {goal * 1000:4.0f}  "
                      f"{'OK' if p95 <= goal else 'MISSED'}{label}", flush=True)
        self.splits = [t.split for t in self.timed if t.split]
        if self.splits:
            sent, server, paint = (statistics.median(part) * 1000
                                   for part in zip(*self.splits, strict=True))
            size = (f"; {statistics.median(self.sizes) / 1024:.0f} KB from the server per "
                    "gesture (uncompressed)" if self.ws_bytes else "")
            print(f"{'':34} medians: ranges sent {sent:.0f}, server answer +{server:.0f}, "
                  f"painted +{paint:.0f} ms{size}", flush=True)


def bench_dataset(browser, urls: dict[str, str], dataset: str, n: int, goal: float,
                  shots: Path | None = None, ws_bytes: bool = False,
                  verbose: bool = False, pause: float = 0.3) -> None:
    """Time ``n`` gestures on the map of ``dataset`` for each server (label -> url). The
    servers take turns gesture by gesture, the first one alternating: each gets the same
    views, and the one going second no more often finds the data in the OS's page cache."""
    sessions = [MapSession(browser, url, dataset, label, ws_bytes, verbose, pause)
                for label, url in urls.items()]
    try:
        for step in range(-2, n):
            for session in sessions if step % 2 == 0 else sessions[::-1]:
                if shots and step == n - 1:
                    session.page.screenshot(path=str(shots / f"{session.name}_before_zoom.png"))
                session.gesture(step)
        for session in sessions:
            if shots:
                session.page.screenshot(path=str(shots / f"{session.name}_after_zoom.png"))
            session.report(goal)
    finally:
        for session in sessions:
            session.page.close()


def _serve(catalog: str | None, code: Path | None):
    """(url, process, log) of a fresh server, running the portal of checkout ``code``
    (None: this one)."""
    port = free_port()
    log_path = Path(tempfile.mkdtemp()) / "server.log"
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = str(code or Path(__file__).resolve().parents[1])
    try:
        proc = start_server(catalog, port, port, log_path)
    finally:
        if saved is None:
            os.environ.pop("PYTHONPATH")
        else:
            os.environ["PYTHONPATH"] = saved
    return f"http://127.0.0.1:{port}", proc, log_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", help="catalog file (default: the demo catalog)")
    parser.add_argument("--dataset", action="append",
                        help="dataset id (repeatable; default: the demo point store, SST "
                        "grid, Argo positions and glider track)")
    parser.add_argument("--n-zooms", type=int, default=12, help="timed gestures per dataset")
    parser.add_argument("--goal-ms", type=float, help="p95 target (default: 500 ms, "
                        "300 ms for a store of 10⁹ points: pass it)")
    parser.add_argument("--screenshots", type=Path,
                        help="folder for a screenshot before and after the last gesture")
    parser.add_argument("--ws-bytes", action="store_true",
                        help="also print the websocket bytes per gesture (slows the page)")
    parser.add_argument("--baseline", type=Path,
                        help="another checkout of the portal (e.g. main before a change): "
                        "its server is timed too, interleaved, as the peer of the same run")
    parser.add_argument("--verbose", action="store_true",
                        help="also print each gesture: first and exact pixels, the split")
    parser.add_argument("--pause", type=float, default=0.3,
                        help="seconds between a gesture's new pixels and the next gesture "
                        "(default 0.3; a user looks longer, and the server prefetches then)")
    parser.add_argument("--short", action="store_true",
                        help="CI form: the demo point store and SST grid, 5 gestures each")
    args = parser.parse_args(argv)
    datasets = args.dataset or (SHORT_DATASETS if args.short else DEFAULT_DATASETS)
    n = 5 if args.short else args.n_zooms
    goal = (args.goal_ms / 1000) if args.goal_ms else GOAL_MAP_P95_S
    servers = {"": _serve(args.catalog, None)}
    if args.baseline:
        servers[" [baseline]"] = _serve(args.catalog, args.baseline)
    try:
        for url, proc, log_path in servers.values():
            wait_health(url, proc, log_path)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            print(f"map gesture -> new pixels (ms), {n} gestures after 2 warm-ups; "
                  f"load {os.getloadavg()[0]:.2f}")
            print(f"{'dataset':34} {'what':5} {'measured':14} {'n':>3} {'p50':>7} {'p95':>7} "
                  f"{'max':>7}  goal")
            urls = {label: url for label, (url, _, _) in servers.items()}
            for dataset in datasets:  # servers interleaved: the same load
                bench_dataset(browser, urls, dataset, n, goal, args.screenshots, args.ws_bytes,
                              args.verbose, args.pause)
            browser.close()
        print(f"load after: {os.getloadavg()[0]:.2f}; server peak RSS " + ", ".join(
            f"{peak_rss_gb(proc.pid):.2f} GB{label}" for label, (_, proc, _) in servers.items()))
    finally:
        for _, proc, _ in servers.values():
            proc.terminate()
            proc.wait(timeout=15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
