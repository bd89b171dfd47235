"""Benchmark of the portal page in a real headless Chromium, against the goals of the issue.

Starts a fresh ``odatis-portal serve`` on loopback (the demo catalog unless
``--catalog``) and prints: (1) PNG quicklook requests, cold (first request of a fresh
server process: data load, Matplotlib rendering, imports) and cached (same URL again);
(2) the first page and a shared link in fresh browsers (``--runs`` new Chromium processes,
new profiles: no HTTP cache, no compiled JavaScript), times read from the browser's own
paint records (``PerformanceObserver``: paint and Element Timing) from navigation start:
the first meaningful paint (the server-rendered first paint's title drawn, goal ≤ 0.8 s),
the landing map painted (its PNG), the interactive page ready (Panel's document drawn, the
first paint removed) and the interactive landing map painted; for the shared link
(``--link``), the first drawn quicklook (the first paint's PNG of that view, goal ≤ 1.5 s)
and the interactive plot painted. The server process was started fresh and one plain
HTTP GET of ``/`` imported the page modules before the first run, so run 1 also pays the
data load of the link's dataset (every run is printed). The floor in the same run: a
minimal Panel page with one Bokeh figure and the same template and bundles
(``bench/_floor_app.py``), timed the same way to its painted plot; (3) the websocket bytes a
map update costs after changing the variable (largest frame and total, goal ≤ 250 KB),
captured with Playwright's ``page.on("websocket")``, plus the same for a profile, for
information.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zlib
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-dev-shm-usage"]
GOAL_UPDATE_BYTES = 250 * 1024

# True once the quicklook's Bokeh canvas (under .portal-plot, through shadow roots) shows
# at least `min` distinct colours in a sparse sample of its pixels.
PAINTED_JS = """(arg) => {
    const min = typeof arg === 'number' ? arg : arg.min;
    const cls = typeof arg === 'number' ? 'portal-plot' : arg.cls;
    const host = (function find(root) {
        for (const el of root.querySelectorAll('*')) {
            if (el.classList && el.classList.contains(cls)) return el;
            if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
        }
        return null;
    })(document);
    if (!host) return false;
    const canvases = [];
    (function walk(root) {
        for (const el of root.querySelectorAll('*')) {
            if (el.tagName === 'CANVAS') canvases.push(el);
            if (el.shadowRoot) walk(el.shadowRoot);
        }
    })(host.shadowRoot || host);
    for (const c of canvases) {
        if (!c.width || !c.height) continue;
        const ctx = c.getContext('2d');
        if (!ctx) continue;
        const data = ctx.getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < data.length; i += 4 * 97) {
            seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
            if (seen.size >= min) return true;
        }
    }
    return false;
}"""


class CountingProxy:
    """A loopback TCP proxy counting the bytes the server sends: what crosses the wire."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            for src, dst, count in ((client, upstream, False), (upstream, client, True)):
                threading.Thread(target=self._pump, args=(src, dst, count), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, count: bool) -> None:
        try:
            while data := src.recv(1 << 16):
                if count:
                    with self.lock:
                        self.down += len(data)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, timeout: float = 300.0) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.status, resp.read()


def start_server(catalog: str | None, port: int, proxy_port: int,
                 log_path: Path) -> subprocess.Popen:
    script = Path(sys.executable).with_name("odatis-portal")
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "portal"]
    cmd += ["serve", "--port", str(port), "--address", "127.0.0.1",
            "--allow-websocket-origin", f"127.0.0.1:{port}",
            "--allow-websocket-origin", f"127.0.0.1:{proxy_port}"]
    if catalog:
        cmd += ["--catalog", catalog]
    log = open(log_path, "w")  # noqa: SIM115 - the child keeps it
    return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO),
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def wait_health(url: str, proc: subprocess.Popen, log_path: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            sys.exit(f"server exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            get(f"{url}/health", timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                sys.exit(f"server not ready after {timeout:.0f} s")
            time.sleep(0.3)


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def bench_png(url: str, dataset: str, kind: str) -> None:
    path = f"/quicklook/{dataset}/{kind}.png?width=800&height=500"
    start = time.perf_counter()
    status, cold = get(url + path)
    t_cold = time.perf_counter() - start
    start = time.perf_counter()
    status2, cached = get(url + path)
    t_cached = time.perf_counter() - start
    same = "same bytes" if cached == cold else "DIFFERENT bytes"
    print(f"  {path}: cold {t_cold:6.2f} s ({len(cold) / 1024:.0f} KB, HTTP {status}), "
          f"cached {t_cached * 1000:6.1f} ms ({same}, HTTP {status2})")


# In every page before its own scripts: the paint times the browser reports, in ms from
# navigation start: "first-contentful-paint" and the Element Timing of the first paint's
# title ("portal-title"), landing map ("portal-map") and shared-link PNG ("portal-plot").
PAINT_TIMES_JS = """window.__paint = {};
new PerformanceObserver(function (list) {
  for (const e of list.getEntries()) { window.__paint[e.name] = e.startTime; }
}).observe({type: 'paint', buffered: true});
new PerformanceObserver(function (list) {
  for (const e of list.getEntries()) {  // the first time each element was drawn
    if (!(e.identifier in window.__paint)) {
      window.__paint[e.identifier] = e.renderTime || e.loadTime; } }
}).observe({type: 'element', buffered: true});"""

# performance.now() once PAINTED_JS holds (false before): the plot's time on the page clock
PAINTED_AT_JS = f"(arg) => ({PAINTED_JS})(arg) ? performance.now() : false"


def _seconds(page, key: str, timeout_ms: int = 120_000) -> float:
    """When the page recorded ``key`` in ``window.__paint`` (s from navigation start)."""
    handle = page.wait_for_function(f"() => window.__paint && window.__paint[{key!r}]",
                                    timeout=timeout_ms, polling=50)
    return float(handle.json_value()) / 1000


def first_plot(pw, url: str, cls: str, prepaint: str | None) -> dict[str, float]:
    """Seconds from navigation start, in a fresh Chromium: ``prepaint`` (``"portal-map"``
    or ``"portal-plot"``: the first paint's image drawn; None: a page without first paint)
    with the first paint's title ("paint") and Panel's page ready ("ready", the first
    paint removed), then the ``cls`` plot painted ("plot")."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.add_init_script(PAINT_TIMES_JS)
        page.goto(url, wait_until="commit")
        times = {}
        if prepaint:
            times["paint"] = _seconds(page, "portal-title")
            times["image"] = _seconds(page, prepaint, 300_000)
        handle = page.wait_for_function(PAINTED_AT_JS, arg={"min": 12, "cls": cls},
                                        timeout=300_000, polling="raf")
        times["plot"] = float(handle.json_value()) / 1000
        times["fcp"] = _seconds(page, "first-contentful-paint")
        if prepaint:
            handle = page.wait_for_function("() => window.portalReadyAt || false",
                                            timeout=300_000, polling=50)
            times["ready"] = float(handle.json_value()) / 1000
        return times
    finally:
        browser.close()


GOAL_PAINT_S, GOAL_QUICKLOOK_S = 0.8, 1.5
_LABELS = {"paint": "first paint (pre-paint title drawn)", "fcp": "first contentful paint",
           "image": "", "ready": "interactive page ready (pre-paint removed)", "plot": ""}


def bench_first_plot(pw, url: str, runs: int, label: str, cls: str = "portal-plot",
                     prepaint: str | None = None, image_label: str = "",
                     plot_label: str = "plot painted") -> dict[str, float]:
    """Medians over ``runs`` fresh browsers of :func:`first_plot`; every run printed."""
    rows = []
    for i in range(runs):
        rows.append(first_plot(pw, url, cls, prepaint))
        print(f"  run {i + 1}: " + ", ".join(f"{k} {v:5.2f} s" for k, v in rows[-1].items()))
    medians = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    labels = {**_LABELS, "image": image_label, "plot": plot_label}
    for key, value in medians.items():
        print(f"  {label}: {labels[key]:45s} median {value:5.2f} s")
    return medians


def deflated(data: bytes) -> int:
    """Bytes of ``data`` under permessage-deflate (raw deflate, level 6, no shared context)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return len(packer.compress(data) + packer.flush(zlib.Z_SYNC_FLUSH))


def update_bytes(pw, url: str, variable_text: str, axis_text: str, proxy: CountingProxy,
                 timeout_s: float):
    """(largest frame, total, deflated, wire bytes, frames, s) after choosing another variable."""
    browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        frames: list[tuple[float, int, int]] = []
        recording = {"on": False}

        def on_ws(ws):
            def received(payload):
                if recording["on"]:
                    data = payload.encode() if isinstance(payload, str) else payload
                    frames.append((time.perf_counter(), len(data), deflated(data)))
            ws.on("framereceived", received)

        page.on("websocket", on_ws)
        page.goto(url)
        page.wait_for_function(PAINTED_JS, arg=12, timeout=300_000, polling="raf")
        page.wait_for_timeout(1500)  # let the first render's messages finish
        select = page.locator(".portal-control-var select")
        labels = select.evaluate("s => [...s.options].map(o => o.text)")
        label = next(lbl for lbl in labels if variable_text in lbl)
        recording["on"] = True
        wire_start = proxy.down
        start = time.perf_counter()
        select.select_option(label=label)
        try:
            page.wait_for_function("""(text) => [...Bokeh.index.all_views()].some(v =>
                v.model.type === 'Figure' && v.el.isConnected && [...v.model.right,
                ...v.model.below, ...v.model.left].some(m => (m.title || m.axis_label || '')
                .toString().toLowerCase().includes(text.toLowerCase())))
                """, arg=axis_text, timeout=timeout_s * 1000)
        except PlaywrightTimeout:
            sizes = [n for _, n, _ in frames]
            return (max(sizes, default=0), sum(sizes), sum(z for _, _, z in frames),
                    proxy.down - wire_start, len(sizes), None)
        while True:  # until the websocket has been quiet for a second
            last = frames[-1][0] if frames else start
            if time.perf_counter() - last > 1.0:
                break
            page.wait_for_timeout(200)
        elapsed = (frames[-1][0] if frames else time.perf_counter()) - start
        sizes = [n for _, n, _ in frames]
        return (max(sizes, default=0), sum(sizes), sum(z for _, _, z in frames),
                proxy.down - wire_start, len(sizes), elapsed)
    finally:
        browser.close()


def bench_update(pw, proxy: CountingProxy, path: str, variable_text: str, axis_text: str,
                 label: str, goal: bool, timeout_s: float = 300) -> None:
    url = f"http://127.0.0.1:{proxy.port}{path}"
    largest, total, packed, wire, count, elapsed = update_bytes(pw, url, variable_text,
                                                                axis_text, proxy, timeout_s)
    redrawn = (f"redrawn in {elapsed:.2f} s" if elapsed is not None
               else f"NOT redrawn within {timeout_s:.0f} s (bytes so far)")
    print(f"  {label} {path}: message {total / 1024:.1f} KB in {count} frames (largest "
          f"{largest / 1024:.1f} KB; {packed / 1024:.1f} KB if deflated frame by frame), "
          f"on the wire {wire / 1024:.1f} KB, {redrawn}")
    if goal:
        print(f"    goal ≤ {GOAL_UPDATE_BYTES // 1024} KB: message "
              f"{verdict(total <= GOAL_UPDATE_BYTES)}, wire {verdict(wire <= GOAL_UPDATE_BYTES)}")


def bench_floor(pw, runs: int) -> None:
    """The same figure for a minimal Panel page (one Bokeh figure, the portal's template
    and bundles): the floor no Panel page goes below on this machine."""
    port = free_port()
    log_path = Path(tempfile.gettempdir()) / f"bench_page_floor_{port}.log"
    log = open(log_path, "w")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen([sys.executable, str(REPO / "bench" / "_floor_app.py"), str(port)],
                            stdout=log, stderr=subprocess.STDOUT, cwd=str(REPO),
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 120
        while True:
            try:
                get(url, timeout=5)
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    print(f"  floor app did not start (log {log_path})")
                    return
                time.sleep(0.3)
        print("floor, same run: a minimal Panel page (one 100-point Bokeh figure, the portal's "
              "template and bundles, no data):")
        medians = bench_first_plot(pw, url, runs, "floor", plot_label="plot painted")
        print(f"  floor: a bare Panel page needs {medians['plot']:.2f} s to its plot")
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def bench_first(pw, url: str, link: str, runs: int, plain: bool = False) -> None:
    """The first page and a shared link, against the goals, and the bare-Panel floor
    (``plain``: a portal without first paint, e.g. an older one: its plots only)."""
    print("first page /: fresh Chromium each run, times from navigation start:")
    home = bench_first_plot(pw, f"{url}/", runs, "/", cls="portal-overview",
                            prepaint=None if plain else "portal-map",
                            image_label="landing map painted (PNG)",
                            plot_label="interactive landing map painted")
    print(f"shared link {link}:")
    shared = bench_first_plot(pw, url + link, runs, "link",
                              prepaint=None if plain else "portal-plot",
                              image_label="first drawn quicklook (PNG)",
                              plot_label="interactive plot painted")
    if plain:
        bench_floor(pw, runs)
        return
    print(f"  goals: first meaningful paint ≤ {GOAL_PAINT_S} s: {home['paint']:.2f} s "
          f"{verdict(home['paint'] <= GOAL_PAINT_S)}; first drawn quicklook ≤ "
          f"{GOAL_QUICKLOOK_S} s: {shared['image']:.2f} s "
          f"{verdict(shared['image'] <= GOAL_QUICKLOOK_S)}")
    bench_floor(pw, runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", help="catalog file (default: the demo catalog)")
    parser.add_argument("--runs", type=int, default=3, help="fresh browsers per figure")
    parser.add_argument("--only", choices=("png", "first", "update"), action="append",
                        help="run only these parts (default: all)")
    parser.add_argument("--map", default="demo_glider_ligurian:salinity:Salinity",
                        help="DATASET:VARIABLE:AXIS-TEXT of the map whose update is measured")
    parser.add_argument("--profile", default="demo_argo_biscay:(PSAL):salinity",
                        help="DATASET:VARIABLE:AXIS-TEXT of the profile update (information)")
    parser.add_argument("--profile-timeout", type=float, default=120,
                        help="seconds to wait for the profile to redraw")
    parser.add_argument("--link", default="/?dataset=demo_sst_biscay&kind=map",
                        help="shared link timed straight to its plot")
    parser.add_argument("--png", default="demo_sst_biscay:map",
                        help="DATASET:KIND of the PNG quicklook request")
    parser.add_argument("--plain", action="store_true",
                        help="the served portal has no first paint (a baseline): plots only")
    args = parser.parse_args()
    if not os.path.exists(CHROMIUM):
        sys.exit(f"{CHROMIUM} not found (apt-get install chromium)")

    port = free_port()
    proxy = CountingProxy(port)
    url = f"http://127.0.0.1:{port}"
    log_path = Path(tempfile.gettempdir()) / f"bench_page_server_{port}.log"
    start = time.perf_counter()
    proc = start_server(args.catalog, port, proxy.port, log_path)
    try:
        wait_health(url, proc, log_path)
        print(f"server: fresh process on {url}, /health after {time.perf_counter() - start:.1f}"
              f" s (log {log_path}); machine load {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} CPUs")
        parts = set(args.only or ("png", "first", "update"))
        if "png" in parts:
            print("PNG quicklook (800×500), first request of the fresh server, then cached:")
            dataset, kind = args.png.split(":")
            bench_png(url, dataset, kind)
            bench_png(url, "demo_mooring_biscay", "timeseries")
        start = time.perf_counter()
        get(f"{url}/")
        print(f"page modules imported by one HTTP GET / ({time.perf_counter() - start:.1f} s)")
        with sync_playwright() as pw:
            if "first" in parts:
                bench_first(pw, url, args.link, args.runs, args.plain)
            if "update" in parts:
                print("websocket bytes received for one update after changing the variable:")
                ds, var, axis = args.map.split(":")
                bench_update(pw, proxy, f"/?dataset={ds}&kind=map", var, axis, "map", True)
                ds, var, axis = args.profile.split(":")
                bench_update(pw, proxy, f"/?dataset={ds}&kind=profile", var, axis,
                             "profile (information)", False, timeout_s=args.profile_timeout)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
