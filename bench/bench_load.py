"""Load test: real websocket sessions and a stream of distinct PNGs against a loopback portal.

Starts ``odatis-portal serve`` on loopback (the demo catalog unless ``--catalog``; or uses
``--url`` of a running one; ``--num-procs N`` starts it with N worker processes), then for
``--duration`` seconds keeps ``--sessions`` concurrent Bokeh sessions open, each opened as
a browser opens the page: ``GET /?dataset=…`` (the server builds the session and sends
the page), then the websocket with the page's token (``bokeh.client`` pulls that
session's document; under ``--num-procs`` the websocket may reach another process, which
relays it to the one that built the session; a server without that relay builds it
again). Each session then reports the page ready as a browser does (the
``document_ready`` event: Panel draws the deferred plot only then) and waits for its
plot, and every ``--interval`` seconds changes a control that redraws the plot (variable,
kind, QC, colouring, a grid's time step) and waits for the new plot: Panel's progress
overlay on the plot goes on, then off once the new figure is in the document. One thread
meanwhile asks for distinct map PNGs back to back (a new size each time, so the PNG cache
never answers). At the end every session is closed and every server process's
``/health`` is polled until they report 0 live sessions.

Prints: errors, first-paint p95 (the GET, to its first chunk: the server-rendered first
paint), page p95 (the GET, to the page's last byte), document p95 (and its
document pulled over the websocket), live sessions per process at the peak and RSS per
process, first-plot p95 (opened to the first plot in the document), interaction p95
(control change to the new plot in the document: server-side work and transfer, not the
browser's own drawing — bench_controls.py measures that in Chromium), PNG p95, the
server's memory (sampled every 5 s with its caches' bytes from ``/health``; ``_memory.py``:
the end of the warm-up — the data cache full or ``--warm-up`` seconds —, then the RSS growth
per 100 requests — pages, control changes and PNGs together — with and without the caches'
own growth, memory per live session, the caches held and their bounds), the server's CPU
seconds over the load (all its processes; per request: steadier from run to run than the
latencies, which follow whatever else shares the machine), live sessions after close,
patches the client could not decode (a ``bokeh.client`` limit, not a server error) and the
machine's load (uptime). Exit status 1 when there were errors or sessions stayed alive.

    python bench/bench_load.py                       # CI form: 5 sessions x 30 s
    python bench/bench_load.py --sessions 20 --duration 300 --interval 5 [--num-procs 2]
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
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _memory import Sample, cache_totals, memory_figures, memory_report  # noqa: E402
from _timing import cpu_seconds  # noqa: E402


@dataclass
class Tally:
    """What the workers measured (appended under a lock)."""

    first_paint_s: list[float] = field(default_factory=list)  # GET / to its first chunk
    page_s: list[float] = field(default_factory=list)  # GET / to the page's last byte
    document_s: list[float] = field(default_factory=list)  # ... and its document pulled
    plot_s: list[float] = field(default_factory=list)
    interaction_s: list[float] = field(default_factory=list)
    interaction_by: list[tuple[str, float]] = field(default_factory=list)  # (what changed, s)
    interaction_at: list[tuple[float, float]] = field(default_factory=list)  # (when done, s)
    started: float = 0.0  # time.monotonic() at the run's start
    png_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    idle: list[str] = field(default_factory=list)  # pages without a control that redraws
    undecoded: list[str] = field(default_factory=list)  # patches bokeh.client could not apply
    memory: list[Sample] = field(default_factory=list)  # the server, every 5 s
    sessions_seen: list[dict[int, int]] = field(default_factory=list)  # pid -> live sessions
    datasets: int = 0  # datasets the PNG stream cycles through
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, value) -> None:
        with self.lock:
            getattr(self, name).append(value)

    def requests(self) -> int:
        """Requests answered so far: pages, control changes (to their new plot), PNGs."""
        with self.lock:
            return len(self.page_s) + len(self.interaction_s) + len(self.png_s)


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


def start_server(catalog: str | None, port: int, num_procs: int, log_path: Path,
                 checkout: Path = REPO):
    """``python -m portal serve`` from ``checkout`` (default: this one); the process, once
    /health answers."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join([str(checkout), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "portal", "serve", "--port", str(port), "--address",
           "127.0.0.1", "--num-procs", str(num_procs)]
    if catalog:
        cmd += ["--catalog", catalog]
    out = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=checkout)
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


def children(pid: int) -> list[int]:
    """The processes ``pid`` forked (``--num-procs`` workers)."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def process_rss_mb(pid: int) -> dict[int, float]:
    """RSS in MiB of ``pid`` and of each process it forked (``--num-procs`` workers)."""
    rss: dict[int, float] = {}
    for p in [pid, *children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss[p] = int(line.split()[1]) / 1024
        except OSError:
            pass
    return rss


def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by ``pid`` and each process it forked."""
    return sum(cpu_seconds(p) for p in [pid, *children(pid)])


def tree_rss_mb(pid: int) -> float:
    """RSS of ``pid`` and its children (``--num-procs`` forks), in MiB."""
    return sum(process_rss_mb(pid).values())


def sessions_by_process(url: str, expected: int = 1, tries: int = 40) -> dict[int, int]:
    """Live sessions of each server process (see :func:`processes`)."""
    return {pid: process["sessions"] for pid, process in processes(url, expected, tries).items()}


def processes(url: str, expected: int = 1, tries: int = 40) -> dict[int, dict]:
    """``/health``'s ``process`` of each server process (pid, RSS, live sessions, caches),
    asked from 4 threads at once (under ``--num-procs`` the kernel hands each connection
    to one of them) until ``expected`` processes answered or ``tries`` requests per thread
    were made."""
    seen: dict[int, dict] = {}
    lock = threading.Lock()

    def ask() -> None:
        for _ in range(tries):
            with lock:
                if len(seen) >= expected:
                    return
            try:
                process = health(url)["process"]
            except (OSError, ValueError, KeyError):
                continue
            with lock:
                seen[process["pid"]] = process

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return seen


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


def _control(widget) -> str:
    """The control a change went to, by its CSS class (``var``, ``kind``, ``qc``, ...)."""
    names = [c.removeprefix("portal-control-") for c in getattr(widget, "css_classes", ())
             if c in REDRAWING]
    return names[0] if names else type(widget).__name__


def by_minute(changes: list[tuple[float, float]]) -> list[tuple[int, int, float]]:
    """(minute of the run, changes, p95 s) of the interactions ended in each minute: the
    caches' filling shows in the first ones."""
    minutes: dict[int, list[float]] = collections.defaultdict(list)
    for at, took in changes:
        minutes[int(at // 60)].append(took)
    return [(m, len(v), p95(v)) for m, v in sorted(minutes.items())]


def slowest(changes: list[tuple[str, float]], top: int = 6) -> list[tuple[str, int, float]]:
    """The (dataset control) groups whose changes took longest: label, count, p95 seconds,
    slowest first: which redraws set the interaction p95."""
    groups: dict[str, list[float]] = collections.defaultdict(list)
    for label, took in changes:
        groups[label].append(took)
    ranked = sorted(((label, len(v), p95(v)) for label, v in groups.items()),
                    key=lambda g: -g[2])
    return ranked[:top]


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


def has_figure(doc) -> bool:
    """Whether ``doc`` holds a Bokeh plot (a quicklook's figure)."""
    from bokeh.models import Plot

    return any(isinstance(model, Plot) for model in doc.models)


def document_ready(session) -> None:
    """What a browser sends once the page is on screen: Panel then runs the deferred
    loads (the plot) for this session."""
    from bokeh.document.events import MessageSentEvent
    from bokeh.events import DocumentReady

    doc = session.document
    doc.callbacks.trigger_on_change(MessageSentEvent(doc, "bokeh_event", DocumentReady()))


def open_like_a_browser(url: str, dataset: str | None, timeout: float = 120.0):
    """What a browser does: ``GET /?dataset=…`` (the server builds the session and sends
    the page, with its first paint), then the websocket with the page's token, which
    pulls that session's document. Under ``--num-procs`` the websocket may reach another
    process than the page's, which relays it (a server without the relay builds the session
    again there, from the token).
    Returns (the client session, seconds to the first paint's bytes, to the page's last).
    """
    import re

    from bokeh.client.session import ClientSession
    from bokeh.client.util import websocket_url_for_server_url
    from bokeh.util.token import get_session_id

    class PageSession(ClientSession):  # the page's token, not a new one
        page_token = ""

        @property
        def token(self) -> str:
            return self.page_token

    query = f"?{urllib.parse.urlencode({'dataset': dataset})}" if dataset else ""
    start = time.perf_counter()
    with urllib.request.urlopen(f"{url}/{query}", timeout=timeout) as resp:
        status, body = resp.status, resp.read1()  # the first chunk: the first paint
        first_s = time.perf_counter() - start
        body += resp.read()
    page_s = time.perf_counter() - start
    found = re.search(rb'"token":\s*"([^"]+)"', body)
    if status != 200 or found is None:
        raise RuntimeError(f"GET / answered {status} without a session token")
    token = found.group(1).decode()
    session = PageSession(session_id=get_session_id(token),
                          websocket_url=websocket_url_for_server_url(f"{url}/"))
    session.page_token = token
    session.pull()
    return session, first_s, page_s


def session_worker(url: str, until: float, interval: float, tally: Tally, seed: int,
                   dataset: str | None, redraw_s: float = 60.0) -> None:
    """One visitor: open the page of ``dataset``, report it ready (as a browser does), wait
    for its plot; then every ``interval`` s change a control that redraws the plot and wait
    for the new plot (the overlay on, then off); close."""
    asyncio.set_event_loop(asyncio.new_event_loop())  # bokeh.client runs on this thread's loop
    rng = random.Random(seed)
    start = time.perf_counter()
    session = None
    try:
        session, first_s, page_s = open_like_a_browser(url, dataset)
    except Exception as exc:  # noqa: BLE001 - counted and reported
        tally.add("errors", f"session open: {type(exc).__name__}: {exc}")
        return
    tally.add("first_paint_s", first_s)
    tally.add("page_s", page_s)
    tally.add("document_s", time.perf_counter() - start)
    tolerate_undecodable_patches(session, tally)
    try:
        busy = Busy(session.document)
        # the deferred plot's overlay, on from the start; or a plot already drawn
        waiting = bool(busy.on) or has_figure(session.document)
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
            took = time.perf_counter() - start
            tally.add("interaction_s", took)
            tally.add("interaction_by", (f"{dataset} {_control(widget)}", took))
            tally.add("interaction_at", (time.monotonic() - tally.started, took))
    except Exception as exc:  # noqa: BLE001 - counted and reported
        tally.add("errors", f"interaction: {type(exc).__name__}: {exc}")
    finally:
        session.close()


def dataset_ids(url: str) -> list[str]:
    status, body = get(f"{url}/api/datasets")
    return [d["id"] for d in json.loads(body).get("datasets", [])] if status == 200 else []


def png_worker(url: str, until: float, tally: Tally, pause: float = 0.0) -> None:
    """Distinct map PNGs (a new width each time) until ``until``, ``pause`` seconds apart
    (0: back to back)."""
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
        time.sleep(pause)


def wait_sessions_closed(url: str, seconds: float, processes: int = 1) -> int:
    """Live sessions of all ``processes`` (from /health) once they reach 0, or after
    ``seconds``."""
    deadline = time.monotonic() + seconds
    live = -1
    while time.monotonic() < deadline:
        live = sum(sessions_by_process(url, processes).values())
        if live == 0:
            return 0
        time.sleep(1.0)
    return live


def memory_sample(url: str, started: float, requests: int, server_pid: int | None,
                  expected: int = 1) -> tuple[Sample, dict[int, int]]:
    """The server now (RSS, caches, live sessions; see ``_memory.py``) and its live
    sessions per process. RSS: the process tree when ``server_pid`` (started here), else
    the sum of what the processes that answered say."""
    seen = processes(url, expected)
    rss = (tree_rss_mb(server_pid) if server_pid
           else sum(p.get("rss_mb") or 0.0 for p in seen.values()))
    sample = Sample(time.monotonic() - started, requests, rss,
                    cache_totals(list(seen.values())),
                    sum(p["sessions"] for p in seen.values()))
    return sample, {pid: p["sessions"] for pid, p in seen.items()}


def watch_processes(url: str, until: float, tally: Tally, expected: int,
                    server_pid: int | None, started: float) -> None:
    """Every 5 s: the server's memory and live sessions per process (which the kernel
    spread them over)."""
    while time.monotonic() < until:
        try:
            sample, sessions = memory_sample(url, started, tally.requests(), server_pid,
                                             expected)
        except (OSError, ValueError, KeyError) as exc:
            tally.add("errors", f"/health: {type(exc).__name__}: {exc}")
        else:
            tally.add("memory", sample)
            tally.add("sessions_seen", sessions)
        time.sleep(5.0)


# ------------------------------------------------------------------------------ run


def run(url: str, sessions: int, duration: float, interval: float,
        server_pid: int | None, drain_s: float = 60.0, processes: int = 1,
        ramp_s: float | None = None, png_pause: float = 0.0,
        warm_up_s: float | None = None) -> dict:
    """Run the load against ``url``; the figures as a dict (see the module docstring).
    Visitors arrive evenly over ``ramp_s`` seconds (default 0.2 s apart); PNG requests are
    ``png_pause`` seconds apart (0: back to back); the memory's warm-up ends when the data
    cache is full or after ``warm_up_s`` seconds (default: a third of the run)."""
    import logging

    # Bokeh's Figure (without it every quicklook figure was a stand-in, and a patch setting
    # an attribute its first message lacked could not be applied: the "undecodable
    # patches", one of which could hold a redraw's overlay change) and Panel's models
    import bokeh.plotting  # noqa: F401 - registers them: the client decodes the page
    import panel  # noqa: F401

    logging.getLogger("bokeh").setLevel(logging.ERROR)  # the stand-in models' attributes

    tolerate_unknown_models()
    tally = Tally()
    cpu_start = tree_cpu_s(server_pid) if server_pid else None
    started = tally.started = time.monotonic()
    until = started + duration
    ids = dataset_ids(url)
    threads = [threading.Thread(target=session_worker, daemon=True,
                                args=(url, until, interval, tally, i,
                                      ids[i % len(ids)] if ids else None))
               for i in range(sessions)]
    threads.append(threading.Thread(target=png_worker, daemon=True,
                                    args=(url, until, tally, png_pause)))
    threads.append(threading.Thread(target=watch_processes, daemon=True,
                                    args=(url, until, tally, processes, server_pid, started)))
    gap = 0.2 if ramp_s is None else ramp_s / max(sessions, 1)
    for thread in threads:
        thread.start()
        time.sleep(gap)  # visitors arrive over a while, not in one instant
    for thread in threads:
        thread.join(duration + 120)
    rss_end = process_rss_mb(server_pid) if server_pid else {}
    cpu = (tree_cpu_s(server_pid) - cpu_start) if server_pid and cpu_start is not None else None
    wall = time.monotonic() - started
    live = wait_sessions_closed(url, drain_s, processes)
    time.sleep(2.0)  # the server lets the closed sessions' memory go
    closed = memory_sample(url, started, tally.requests(), server_pid, processes)[0]
    memory = memory_figures(tally.memory, duration / 3 if warm_up_s is None else warm_up_s,
                            sessions, closed)
    peak = max(tally.sessions_seen, key=lambda seen: sum(seen.values()), default={})
    return {"errors": tally.errors, "sessions": sessions, "duration_s": duration,
            "arrival_gap_s": gap, "png_pause_s": png_pause,
            "pages": len(tally.page_s), "page_p95_s": p95(tally.page_s),
            "document_p95_s": p95(tally.document_s),
            "first_paint_p95_s": p95(tally.first_paint_s),
            "sessions_by_process_peak": peak, "rss_mb_by_process": rss_end,
            "plots": len(tally.plot_s), "plot_p95_s": p95(tally.plot_s),
            "interactions": len(tally.interaction_s), "idle_pages": len(tally.idle),
            "interaction_p95_s": p95(tally.interaction_s),
            "slowest_changes": slowest(tally.interaction_by),
            "interaction_p95_by_minute": by_minute(tally.interaction_at),
            "pngs": len(tally.png_s), "png_p95_s": p95(tally.png_s),
            "memory": memory, "memory_samples": list(tally.memory), "server_cpu_s": cpu, "load_wall_s": wall,
            "requests": tally.requests(),
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
             f"sessions: {f['sessions']} x {f['duration_s']:g} s, pages opened {f['pages']} "
             f"(arriving {f['arrival_gap_s']:g} s apart; PNGs "
             + (f"{f['png_pause_s']:g} s apart)" if f["png_pause_s"] else "back to back)"),
             f"first paint p95: {f['first_paint_p95_s']:.2f} s (GET /?dataset=…, to the "
             f"first chunk: what the browser shows first)",
             f"page p95: {f['page_p95_s']:.2f} s (GET /?dataset=…, to the page's last byte)",
             f"document p95: {f['document_p95_s']:.2f} s (the page, then its document over "
             f"the websocket)",
             f"live sessions per process at the peak: {f['sessions_by_process_peak']} "
             f"({sum(f['sessions_by_process_peak'].values())} for {f['sessions']} pages; "
             f"more: pages built twice, their websocket having reached another process "
             f"than their GET)",
             "RSS per process at the end (MB): " + ", ".join(
                 f"{pid} {mb:.0f}" for pid, mb in f["rss_mb_by_process"].items()),
             f"first plot p95: {f['plot_p95_s']:.2f} s ({f['plots']} pages: opened, "
             f"reported ready, plot drawn)",
             f"interaction p95: {f['interaction_p95_s']:.2f} s ({f['interactions']} changes, "
             f"each to its new plot; {f['idle_pages']} pages had no control that redraws)",
             *(f"  {label}: p95 {s:.2f} s ({n} changes)"
               for label, n, s in f.get("slowest_changes", [])),
             "  p95 by minute of the run: " + ", ".join(
                 f"{m}: {s:.2f} s ({n})" for m, n, s in f.get("interaction_p95_by_minute", [])),
             f"PNG p95: {f['png_p95_s']:.2f} s ({f['pngs']} distinct PNGs)",
             *memory_report(f["memory"]),
             *cpu_report(f),
             f"live sessions after close: {f['live_sessions_after_close']}",
             f"server patches the client could not decode (not server errors): "
             f"{f['undecoded_patches']}",
             *(f"  {n} x {m}" for m, n in f.get("undecoded_kinds", [])[:3]),
             f"machine: {f['uptime']}"]
    return "\n".join(lines)


def write_samples(samples: list[Sample], path: Path) -> None:
    """The memory samples as CSV: seconds, requests, RSS, caches, RSS less caches (MB),
    live sessions."""
    lines = ["t_s,requests,rss_mb,cache_mb,other_mb,sessions"]
    lines += [f"{s.t_s:.1f},{s.requests},{s.rss_mb:.1f},{s.cache_mb:.1f},{s.other_mb:.1f},"
              f"{s.sessions}" for s in samples]
    path.write_text("\n".join(lines) + "\n")


def cpu_report(f: dict) -> list[str]:
    """The server's CPU over the load (all its processes): steadier from one run to the
    next than the latencies, which follow whatever else the machine runs meanwhile."""
    if f.get("server_cpu_s") is None:
        return []
    cpu, wall, n = f["server_cpu_s"], f["load_wall_s"], max(f["requests"], 1)
    return [f"server CPU: {cpu:.0f} s in {wall:.0f} s ({cpu / wall:.2f} cores of "
            f"{os.cpu_count()}), {1000 * cpu / n:.0f} ms per request (pages, control changes "
            f"and PNGs: {n})"]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=5)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--interval", type=float, default=3.0, help="seconds between changes")
    p.add_argument("--catalog", help="catalog file (default: the demo)")
    p.add_argument("--url", help="a running portal instead of starting one")
    p.add_argument("--num-procs", type=int, default=1)
    p.add_argument("--ramp", type=float, default=None,
                   help="seconds over which the visitors arrive (default: 0.2 s apart)")
    p.add_argument("--png-interval", type=float, default=0.0, dest="png_interval",
                   help="seconds between PNG requests (default 0: back to back)")
    p.add_argument("--warm-up", type=float, default=None, dest="warm_up",
                   help="seconds after which the memory's warm-up ends if the data cache "
                   "is not full by then (default: a third of --duration)")
    p.add_argument("--drain", type=float, default=60.0,
                   help="seconds to wait for the server to drop closed sessions")
    p.add_argument("--samples", type=Path, default=None,
                   help="write the memory samples (every 5 s: time, requests, RSS, caches, "
                   "sessions) to this CSV file, to look at the curve behind the slopes")
    p.add_argument("--checkout", type=Path, default=REPO,
                   help="serve the portal of another checkout (e.g. main before a change, "
                   "for an A/B run on the same machine); default: this one")
    args = p.parse_args(argv)
    proc = None
    url = args.url
    if url is None:
        port = free_port()
        log_path = Path(tempfile.mkdtemp(prefix="bench-load-")) / "server.log"
        proc = start_server(args.catalog, port, args.num_procs, log_path,
                            args.checkout.resolve())
        if args.checkout.resolve() != REPO:
            print(f"serving the checkout {args.checkout.resolve()}")
        url = f"http://127.0.0.1:{port}"
        print(f"server pid {proc.pid} on {url} (log {log_path})")
    try:
        figures = run(url, args.sessions, args.duration, args.interval,
                      proc.pid if proc else None, args.drain, args.num_procs, args.ramp,
                      args.png_interval, args.warm_up)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(report(figures))
    if args.samples is not None:
        write_samples(figures["memory_samples"], args.samples)
    return 1 if figures["errors"] or figures["live_sessions_after_close"] != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
