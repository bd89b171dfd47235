"""Load test: real websocket sessions and a stream of distinct PNGs against a loopback portal.

Starts ``odatis-portal serve`` on loopback (the demo catalog unless ``--catalog``; or uses
``--url`` of a running one), then for ``--duration`` seconds keeps ``--sessions`` concurrent
Bokeh sessions open (``bokeh.client.pull_session``: the server builds the page, the
document is synced over the websocket). Each session then reports the page ready as a
browser does (the ``document_ready`` event: Panel draws the deferred plot only then) and
waits for its plot, and every ``--interval`` seconds changes a control that redraws the plot
(variable, kind, QC, colouring, a grid's time step) and waits for the new plot: Panel's
progress overlay on the plot goes on, then off once the new figure is in the document.
One thread meanwhile asks for distinct map PNGs back to back (a new size each time, so the
PNG cache never answers). At the end every session is closed and the server's ``/health``
is polled until it reports 0 live sessions.

Prints: errors, page p95 (session opened and document received), first-plot p95 (opened to
the first plot in the document), interaction p95 (control change to the new plot in the
document: server-side work and transfer, not the browser's own drawing — bench_controls.py
measures that in Chromium), PNG p95, the server's RSS growth per 100 PNG requests after
warm-up, live sessions after close, patches the client could not decode (a ``bokeh.client``
limit, not a server error) and the machine's load (uptime). Exit status 1 when there were
errors or sessions stayed alive.

    python bench/bench_load.py                       # CI form: 5 sessions x 30 s
    python bench/bench_load.py --sessions 20 --duration 300 --interval 5
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Tally:
    """What the workers measured (appended under a lock)."""

    page_s: list[float] = field(default_factory=list)
    plot_s: list[float] = field(default_factory=list)
    interaction_s: list[float] = field(default_factory=list)
    png_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    idle: list[str] = field(default_factory=list)  # pages without a control that redraws
    undecoded: list[str] = field(default_factory=list)  # patches bokeh.client could not apply
    rss_mb: list[tuple[int, float]] = field(default_factory=list)  # (png requests, RSS)
    datasets: int = 0  # datasets the PNG stream cycles through
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, value) -> None:
        with self.lock:
            getattr(self, name).append(value)


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str, timeout: float = 60.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def health(url: str) -> dict:
    return json.loads(get(f"{url}/health", timeout=10)[1])


def start_server(catalog: str | None, port: int, num_procs: int, log_path: Path):
    """``python -m portal serve`` from this checkout; the process, once /health answers."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "portal", "serve", "--port", str(port), "--address",
           "127.0.0.1", "--num-procs", str(num_procs)]
    if catalog:
        cmd += ["--catalog", catalog]
    out = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited:\n{log_path.read_text()[-3000:]}")
        try:
            if get(f"http://127.0.0.1:{port}/health", timeout=2)[0] == 200:
                return proc
        except OSError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"server did not start:\n{log_path.read_text()[-3000:]}")


def tree_rss_mb(pid: int) -> float:
    """RSS of ``pid`` and its children (``--num-procs`` forks), in MiB."""
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    total = 0.0
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


# ------------------------------------------------------------------------------ sessions


REDRAWING = ("portal-control-var", "portal-control-kind", "portal-control-qc",
             "portal-control-color", "portal-control-step")  # each redraws (the colormap not)


def _widgets(doc) -> list:
    """The page's visible controls whose change redraws the plot (variable, kind, QC,
    colouring, a grid's time step) and that have something to change to."""
    from bokeh.models import RadioButtonGroup, Select
    from panel.models.widgets import Player

    return [m for m in doc.models
            if getattr(m, "visible", False)
            and set(REDRAWING) & set(getattr(m, "css_classes", None) or ())
            and ((isinstance(m, Select) and len(m.options) > 1)
                 or (isinstance(m, RadioButtonGroup) and len(m.labels) > 1)
                 or (isinstance(m, Player) and m.end > m.start))]


def _change(widget, rng: random.Random) -> None:
    from bokeh.models import RadioButtonGroup, Select

    if isinstance(widget, Select):
        options = [o[0] if isinstance(o, tuple | list) else o for o in widget.options]
        widget.value = rng.choice([o for o in options if o != widget.value] or options)
    elif isinstance(widget, RadioButtonGroup):
        widget.active = rng.choice([i for i in range(len(widget.labels)) if i != widget.active])
    else:  # a grid's time-step player
        widget.value = rng.choice([i for i in range(widget.start, widget.end + 1)
                                   if i != widget.value])


def tolerate_unknown_models() -> None:
    """Let ``bokeh.client`` decode models it has no class for (the page's own JSComponents
    are built on the server, with generated names): each becomes a DataModel of ``Any``
    properties (a ReactiveESM when it carries layout properties), created once per name (a bench-only patch of Bokeh's Deserializer)."""
    from bokeh.core import serialization
    from bokeh.core.properties import Any as AnyProperty
    from bokeh.model import DataModel, Model
    from panel.models.esm import ReactiveESM

    original = serialization.Deserializer._decode_object_ref
    lock = threading.Lock()

    def decode(self, obj):
        name = obj["name"]
        with lock:
            if name not in Model.model_class_reverse_map:
                attributes = obj.get("attributes") or {}
                layout = {"esm", "stylesheets", "css_classes", "sizing_mode", "margin"}
                base = ReactiveESM if layout & set(attributes) else DataModel
                known = base.properties()
                attrs = {key: AnyProperty() for key in attributes if key not in known}
                if base is ReactiveESM:  # its `data` is a generated DataModel, maybe unset
                    attrs["data"] = AnyProperty()
                with warnings.catch_warnings():  # `data` re-declared on purpose
                    warnings.simplefilter("ignore", RuntimeWarning)
                    type(f"Unknown_{len(Model.model_class_reverse_map)}", (base,),
                         {"__qualified_model__": name, "__module__": __name__, **attrs})
        return original(self, obj)

    serialization.Deserializer._decode_object_ref = decode


class Busy:
    """Which models of a client document show Panel's progress overlay (``pn-loading``):
    the plot's while the server draws it. ``started`` counts overlays turned on."""

    def __init__(self, doc) -> None:
        self.doc = doc
        self.on = {m.id for m in doc.models
                   if "pn-loading" in (getattr(m, "css_classes", None) or ())}
        self.started = 0
        doc.on_change(self._changed)

    def _changed(self, event) -> None:
        if getattr(event, "attr", None) != "css_classes":
            return
        if "pn-loading" in (event.new or ()):
            self.started += event.model.id not in self.on
            self.on.add(event.model.id)
        else:
            self.on.discard(event.model.id)

    def idle(self) -> bool:
        """No overlay on a model still on the page (a replaced plot keeps its own)."""
        self.on = {i for i in self.on if self.doc.get_model_by_id(i) is not None}
        return not self.on


def tolerate_undecodable_patches(session, tally: Tally) -> None:
    """Count, rather than die on, a server patch this client cannot decode (it refers to a
    model an earlier patch defined in a form ``bokeh.client`` could not build): the
    overlay changes that time a redraw come in patches of their own."""
    original = session._handle_patch

    def handle(message) -> None:
        try:
            original(message)
        except Exception as exc:  # noqa: BLE001 - a client-side limit, counted apart
            tally.add("undecoded", f"{type(exc).__name__}: {exc}")

    session._handle_patch = handle


def pump(session, done, timeout: float) -> bool:
    """Run the client's loop (``bokeh.client`` reads the server's patches only while it
    runs) until ``done()`` or ``timeout`` seconds; whether ``done()`` came true."""
    conn = session._connection
    expired: list[bool] = []

    def poke() -> None:  # the loop re-checks only when a message arrives: ask for one
        expired.append(True)
        conn._loop.add_callback(conn.send_message, conn._protocol.create("SERVER-INFO-REQ"))

    handle = conn._loop.call_later(timeout, poke)
    try:
        conn._loop_until(lambda: done() or bool(expired) or not conn.connected)
    finally:
        conn._loop.remove_timeout(handle)
    return done()


def document_ready(session) -> None:
    """What a browser sends once the page is on screen: Panel then runs the deferred
    loads (the plot) for this session."""
    from bokeh.document.events import MessageSentEvent
    from bokeh.events import DocumentReady

    doc = session.document
    doc.callbacks.trigger_on_change(MessageSentEvent(doc, "bokeh_event", DocumentReady()))


def session_worker(url: str, until: float, interval: float, tally: Tally, seed: int,
                   dataset: str | None, redraw_s: float = 60.0) -> None:
    """One visitor: open the page of ``dataset``, report it ready (as a browser does), wait
    for its plot; then every ``interval`` s change a control that redraws the plot and wait
    for the new plot (the overlay on, then off); close."""
    from bokeh.client import pull_session

    asyncio.set_event_loop(asyncio.new_event_loop())  # bokeh.client runs on this thread's loop
    rng = random.Random(seed)
    start = time.perf_counter()
    session = None
    try:
        session = pull_session(url=f"{url}/", arguments={"dataset": dataset} if dataset else None)
    except Exception as exc:  # noqa: BLE001 - counted and reported
        tally.add("errors", f"session open: {type(exc).__name__}: {exc}")
        return
    tally.add("page_s", time.perf_counter() - start)
    tolerate_undecodable_patches(session, tally)
    try:
        busy = Busy(session.document)
        waiting = bool(busy.on)  # the deferred plot's overlay, on from the start
        document_ready(session)
        if not pump(session, lambda: (waiting or busy.started) and busy.idle(), redraw_s):
            tally.add("errors", f"{dataset}: no plot within {redraw_s:g} s")
            return
        tally.add("plot_s", time.perf_counter() - start)
        while time.monotonic() < until:
            time.sleep(interval * rng.uniform(0.8, 1.2))
            widgets = _widgets(session.document)
            if not session.connected:
                tally.add("errors", "session disconnected")
                return
            if not widgets:  # e.g. a one-variable, one-step grid: the page stays open, idle
                tally.add("idle", dataset)
                time.sleep(max(0.0, until - time.monotonic()))
                return
            start, before = time.perf_counter(), busy.started
            widget = rng.choice(widgets)
            _change(widget, rng)
            if not pump(session, lambda b=before: busy.started > b and busy.idle(), redraw_s):
                tally.add("errors", f"{dataset}: no redraw within {redraw_s:g} s after "
                          f"changing {widget.css_classes}")
                continue
            tally.add("interaction_s", time.perf_counter() - start)
    except Exception as exc:  # noqa: BLE001 - counted and reported
        tally.add("errors", f"interaction: {type(exc).__name__}: {exc}")
    finally:
        session.close()


def dataset_ids(url: str) -> list[str]:
    status, body = get(f"{url}/api/datasets")
    return [d["id"] for d in json.loads(body).get("datasets", [])] if status == 200 else []


def png_worker(url: str, until: float, tally: Tally, server_pid: int | None) -> None:
    """Distinct map PNGs (a new width each time) until ``until``; RSS sampled as it goes."""
    ids = dataset_ids(url)
    if not ids:
        tally.add("errors", "/api/datasets lists no dataset")
        return
    tally.datasets = len(ids)
    n = 0
    while time.monotonic() < until:
        dataset = ids[n % len(ids)]
        width = 300 + n % 500
        start = time.perf_counter()
        try:
            status, body = get(f"{url}/quicklook/{dataset}/map.png?width={width}&height=300")
        except OSError as exc:
            tally.add("errors", f"PNG {dataset}: {exc}")
            continue
        tally.add("png_s", time.perf_counter() - start)
        if status >= 500:  # 4xx: the dataset has no map (a polite refusal, not an error)
            tally.add("errors", f"PNG {dataset} answered {status}: {body[:120]!r}")
        n += 1
        if server_pid and n % 10 == 0:
            tally.add("rss_mb", (n, tree_rss_mb(server_pid)))


def wait_sessions_closed(url: str, seconds: float) -> int:
    """Live sessions reported by /health once they reach 0, or after ``seconds``."""
    deadline = time.monotonic() + seconds
    live = -1
    while time.monotonic() < deadline:
        live = health(url)["process"]["sessions"]
        if live == 0:
            return 0
        time.sleep(1.0)
    return live


# ------------------------------------------------------------------------------ run


def run(url: str, sessions: int, duration: float, interval: float,
        server_pid: int | None, drain_s: float = 60.0) -> dict:
    """Run the load against ``url``; the figures as a dict (see the module docstring)."""
    import logging

    import panel  # noqa: F401 - registers Panel's Bokeh models: the client decodes the page

    logging.getLogger("bokeh").setLevel(logging.ERROR)  # the stand-in models' attributes

    tolerate_unknown_models()
    tally = Tally()
    until = time.monotonic() + duration
    ids = dataset_ids(url)
    threads = [threading.Thread(target=session_worker, daemon=True,
                                args=(url, until, interval, tally, i,
                                      ids[i % len(ids)] if ids else None))
               for i in range(sessions)]
    threads.append(threading.Thread(target=png_worker, args=(url, until, tally, server_pid),
                                    daemon=True))
    for thread in threads:
        thread.start()
        time.sleep(0.2)  # visitors arrive over a second or so, not in one instant
    for thread in threads:
        thread.join(duration + 120)
    live = wait_sessions_closed(url, drain_s)
    warm_up = max(20, 2 * tally.datasets)  # every dataset's data loaded at least twice
    warm = [r for n, r in tally.rss_mb if n >= warm_up]
    counts = [n for n, _ in tally.rss_mb if n >= warm_up]
    growth = ((warm[-1] - warm[0]) / (counts[-1] - counts[0]) * 100
              if len(warm) >= 2 and counts[-1] > counts[0] else float("nan"))
    return {"errors": tally.errors, "sessions": sessions, "duration_s": duration,
            "pages": len(tally.page_s), "page_p95_s": p95(tally.page_s),
            "plots": len(tally.plot_s), "plot_p95_s": p95(tally.plot_s),
            "interactions": len(tally.interaction_s), "idle_pages": len(tally.idle),
            "interaction_p95_s": p95(tally.interaction_s),
            "pngs": len(tally.png_s), "png_p95_s": p95(tally.png_s),
            "rss_growth_mb_per_100": growth,
            "rss_mb_end": tally.rss_mb[-1][1] if tally.rss_mb else float("nan"),
            "live_sessions_after_close": live, "undecoded_patches": len(tally.undecoded),
            "undecoded_kinds": collections.Counter(m[:160] for m in tally.undecoded).most_common(),
            "uptime": _uptime()}


def _uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def report(figures: dict) -> str:
    f = figures
    lines = [f"errors: {len(f['errors'])}", *(f"  {e}" for e in f["errors"][:20]),
             f"sessions: {f['sessions']} x {f['duration_s']:g} s, pages opened {f['pages']}",
             f"page p95: {f['page_p95_s']:.2f} s (document received)",
             f"first plot p95: {f['plot_p95_s']:.2f} s ({f['plots']} pages: opened, "
             f"reported ready, plot drawn)",
             f"interaction p95: {f['interaction_p95_s']:.2f} s ({f['interactions']} changes, "
             f"each to its new plot; {f['idle_pages']} pages had no control that redraws)",
             f"PNG p95: {f['png_p95_s']:.2f} s ({f['pngs']} distinct PNGs)",
             f"RSS growth per 100 requests after warm-up: {f['rss_growth_mb_per_100']:.1f} MB "
             f"(RSS at end {f['rss_mb_end']:.0f} MB)",
             f"live sessions after close: {f['live_sessions_after_close']}",
             f"server patches the client could not decode (not server errors): "
             f"{f['undecoded_patches']}",
             *(f"  {n} x {m}" for m, n in f.get("undecoded_kinds", [])[:3]),
             f"machine: {f['uptime']}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=5)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--interval", type=float, default=3.0, help="seconds between changes")
    p.add_argument("--catalog", help="catalog file (default: the demo)")
    p.add_argument("--url", help="a running portal instead of starting one")
    p.add_argument("--num-procs", type=int, default=1)
    p.add_argument("--drain", type=float, default=60.0,
                   help="seconds to wait for the server to drop closed sessions")
    args = p.parse_args(argv)
    proc = None
    url = args.url
    if url is None:
        port = free_port()
        log_path = Path(tempfile.mkdtemp(prefix="bench-load-")) / "server.log"
        proc = start_server(args.catalog, port, args.num_procs, log_path)
        url = f"http://127.0.0.1:{port}"
        print(f"server pid {proc.pid} on {url} (log {log_path})")
    try:
        figures = run(url, args.sessions, args.duration, args.interval,
                      proc.pid if proc else None, args.drain)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(report(figures))
    return 1 if figures["errors"] or figures["live_sessions_after_close"] != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
