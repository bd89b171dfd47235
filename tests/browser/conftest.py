"""Fixtures of the real-browser tests: a test catalog, a served portal, an iframe host page, Chromium.

One session builds a small catalog from real files in ``../shared/data`` (an Argo
multi-profile, a tide-gauge time series, a MODIS SST grid, a dataset whose title
carries ``<script>``, an unreadable file and a generated 2x10^5-point store), starts ``odatis-portal serve`` on a free
loopback port with ``--embed-origin`` set to a second loopback server that hosts an
``<iframe>`` test page, and launches one headless Debian Chromium through Playwright
(``executable_path="/usr/bin/chromium"``, never ``playwright install``). Each test gets
a fresh browser context. Screenshots and the server log are kept under
``artifacts/browser/``; :func:`wait_for_plot` waits for a Bokeh canvas and checks that
the plot holds real, non-blank pixels.
"""

from __future__ import annotations

import html
import http.server
import io
import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.server.conftest import free_port, free_ports  # noqa: F401 - also used by browser tests

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-dev-shm-usage"]
ARTIFACTS = REPO / "artifacts" / "browser"
EVIL_TITLE = 'Evil <script>window.__pwned=1</script> <img src=x onerror="window.__pwned=2">'
EVIL_FACET = '<img src=x onerror="window.__pwned=3">'
PLOT_TIMEOUT_MS = 120_000  # a shared 2-core machine: first plots of a cold server are slow

FILES = {  # dataset id -> file under ../shared/data
    "argo_6901744": "argo/multiprofile/6901744_prof.nc",
    "tidegauge": "dsg/timeseries/netCDF_timeseries_tidegauge.nc",
    "modis_sst": "gridded/MWsstd1day_modis_sst_westus.nc",
}
BAD_FILE = "edge_cases/AG2005040_BadFile.nc"


@dataclass
class Portal:
    """A running portal: its base URL, the iframe host page origin, the catalog ids."""

    url: str
    host_url: str
    ids: list[str] = field(default_factory=list)
    log: Path | None = None


def _entries(store: Path | None = None):
    from portal.model import DatasetEntry

    try:
        from portal.cataloging.scan import describe_file
    except ImportError:  # pragma: no cover - the scanner is optional for these tests
        describe_file = None
    entries = []
    for dataset_id, rel in FILES.items():
        path = str(SHARED_DATA / rel)
        if describe_file is not None:
            entries.append(describe_file(path, dataset_id))
        else:  # pragma: no cover
            entries.append(DatasetEntry.from_metadata(dataset_id, "netcdf", {"urlpath": path},
                                                      {"title": dataset_id}))
    grid = entries[-1]
    entries.append(DatasetEntry.from_metadata(
        "evil", "netcdf", {"urlpath": str(SHARED_DATA / FILES["modis_sst"])},
        {**grid.metadata(), "title": EVIL_TITLE, "summary": "<b>not bold</b>",
         "institution": EVIL_FACET, "platform_type": EVIL_FACET}))
    entries.append(DatasetEntry.from_metadata(
        "badfile", "netcdf", {"urlpath": str(SHARED_DATA / BAD_FILE)},
        {"title": "Unreadable file (test)", "featureType": "grid",
         "variables": [{"name": "sst", "long_name": "Sea surface temperature"}]}))
    if store is not None:
        from portal.pointstore import store_info

        entries.append(DatasetEntry.from_metadata("points", "pointstore", {"store": str(store)},
                                                  store_info(str(store))["metadata"]))
    return entries


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def test_catalog(tmp_path_factory) -> Path:
    """A catalog of real files (plus the hostile and the unreadable entries), written to tmp."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA}")
    missing = [r for r in (*FILES.values(), BAD_FILE) if not (SHARED_DATA / r).is_file()]
    if missing:
        pytest.skip(f"shared test files missing: {', '.join(missing)}")
    from portal.catalog.loader import write_catalog
    from portal.demo.points import generate

    folder = tmp_path_factory.mktemp("browser")
    generate(200_000, str(folder / "points"), seed=5)  # a point store is a dataset too
    path = folder / "catalog.yaml"
    return Path(write_catalog(_entries(folder / "points"), path, title="Browser test catalog"))


def _serve_command() -> list[str]:
    script = Path(sys.executable).with_name("odatis-portal")
    if script.exists():
        return [str(script)]
    found = shutil.which("odatis-portal")
    return [found] if found else [sys.executable, "-m", "portal"]


def _get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return resp.read()


class _HostPage(http.server.BaseHTTPRequestHandler):
    """Serves /frame?...: a page of another origin embedding /embed?... in an 800×500 iframe."""

    portal_url = ""

    def do_GET(self):  # noqa: N802 - http.server's naming
        query = urllib.parse.urlsplit(self.path).query
        src = html.escape(f"{self.portal_url}/embed?{query}", quote=True)
        body = ("<!doctype html><html><head><title>Embedding site</title></head>"
                "<body style='margin:8px;font-family:sans-serif'><h1>Embedding site</h1>"
                f"<iframe id='quicklook' src='{src}' width='800' height='500' "
                "style='border:1px solid #888'></iframe></body></html>").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def embedding_site(port: int, portal_url: str = "") -> http.server.ThreadingHTTPServer:
    """A started loopback site of another origin: ``/frame?QUERY`` (any path) embeds
    ``PORTAL/embed?QUERY`` in an 800×500 iframe. ``server.RequestHandlerClass.portal_url``
    may be set once the portal runs; stop the site with ``server.shutdown()``."""
    handler = type("HostPage", (_HostPage,), {"portal_url": portal_url})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="session")
def portal(test_catalog, artifacts):
    """``odatis-portal serve`` on a free loopback port; yields a :class:`Portal`."""
    port, host_port = free_ports(2)
    host_origin = f"http://127.0.0.1:{host_port}"
    log_path = artifacts / "server.log"
    log = open(log_path, "w")  # noqa: SIM115 - closed after the server stops
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [*_serve_command(), "serve", "--catalog", str(test_catalog), "--port", str(port),
         "--address", "127.0.0.1", "--embed-origin", host_origin],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(REPO))
    url = f"http://127.0.0.1:{port}"
    host = embedding_site(host_port, url)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"portal exited with {proc.returncode}:\n"
                                   + log_path.read_text()[-3000:])
            try:
                _get(f"{url}/health", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("portal did not answer /health within 120 s:\n"
                                       + log_path.read_text()[-3000:]) from None
                time.sleep(0.5)
        _get(f"{url}/?dataset=modis_sst", timeout=120)  # warm: imports the page modules once
        ids = list(FILES) + ["evil", "badfile", "points"]
        yield Portal(url=url, host_url=host_origin, ids=ids, log=log_path)
    finally:
        host.shutdown()
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the whole session."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    """A fresh context and page at 1366×768; page errors are collected in ``page.errors``."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.set_default_timeout(60_000)
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda exc: pg.errors.append(f"{exc} (on {pg.url})"))
    yield pg
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        try:
            pg.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"))
        except Exception:  # noqa: BLE001 - best effort on a broken page
            pass
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


# ------------------------------------------------------------------------------ helpers


def distinct_colours(png: bytes) -> int:
    """How many distinct RGB colours a PNG holds (1 = blank)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return len(image.getcolors(maxcolors=1 << 24) or [])


def settled(action, attempts: int = 6):
    """``action()`` again when a redraw swapped the plot's element out from under it (the
    page redraws once the browser has reported its width; Playwright then says "not
    attached to the DOM")."""
    from playwright.sync_api import Error

    for attempt in range(attempts):
        try:
            return action()
        except Error as exc:
            if "not attached" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.5)
    return None


def wait_for_plot(scope, name: str | None = None, min_colours: int = 12,
                  timeout_ms: int = PLOT_TIMEOUT_MS):
    """Wait for the quicklook's Bokeh canvas in ``scope`` (page or frame) and check its pixels.

    Returns the plot element's locator; saves ``artifacts/browser/NAME.png`` when named.
    """
    plot = scope.locator(".portal-plot").first
    scope.locator(".portal-plot canvas").first.wait_for(state="visible", timeout=timeout_ms)
    settled(plot.scroll_into_view_if_needed)
    deadline = time.monotonic() + 30
    while True:  # the canvas exists before Bokeh has painted it
        png = settled(plot.screenshot)
        colours = distinct_colours(png)
        if colours >= min_colours or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if name:
        (ARTIFACTS / f"{name}.png").write_bytes(png)
    assert colours >= min_colours, f"plot looks blank ({colours} distinct colours)"
    return plot


#: JS function (view, x, y) -> [clientX, clientY] of a data point in a Bokeh figure view
TO_SCREEN_JS = """(v, x, y) => {
    const f = v.frame.bbox, xr = v.model.x_range, yr = v.model.y_range;
    const r = v.canvas_view.el.getBoundingClientRect();
    return [r.left + f.left + (x - xr.start) / (xr.end - xr.start) * f.width,
            r.top + f.top + (yr.end - y) / (yr.end - yr.start) * f.height];
}"""

FIGURES_JS = """() => [...(window.Bokeh ? Bokeh.index.all_views() : [])]
    .filter(v => v.model.type === 'Figure' && v.el.isConnected).map(v => v.model)"""


def bokeh_axis_labels(scope) -> list[str]:
    """Axis and colour-bar titles of the Bokeh figures on screen (replaced plots excluded)."""
    return scope.evaluate(f"""() => ({FIGURES_JS})().flatMap(f => [
        ...[...f.left, ...f.below, ...f.right].map(m => m.axis_label || m.title || ''),
    ]).filter(t => typeof t === 'string' && t)""")


def figure_titles(scope) -> list[str]:
    """Titles of the Bokeh figures on screen."""
    return scope.evaluate(f"""() => ({FIGURES_JS})().map(f => f.title ? f.title.text : '')""")


def figure_ranges(scope, title_part: str) -> list[float] | None:
    """[x0, x1, y0, y1] of the Bokeh figure on screen whose title contains ``title_part``."""
    return scope.evaluate(f"""(part) => {{
        const f = ({FIGURES_JS})().find(f => f.title && (f.title.text || '').includes(part));
        return f ? [f.x_range.start, f.x_range.end, f.y_range.start, f.y_range.end] : null;
    }}""", title_part)


def shadow_text(scope) -> str:
    """All text of the page, shadow roots included (Panel renders into shadow DOM)."""
    return scope.evaluate("""() => {
        const parts = [];
        const walk = (root) => {
            for (const el of root.querySelectorAll('*')) {
                if (el.shadowRoot) walk(el.shadowRoot);
                for (const node of el.childNodes) {
                    if (node.nodeType === 3 && node.textContent.trim()) parts.push(node.textContent);
                }
                if (el.tagName === 'SELECT') parts.push(el.options[el.selectedIndex]?.text || '');
            }
        };
        walk(document);
        return parts.join('\\n');
    }""")
