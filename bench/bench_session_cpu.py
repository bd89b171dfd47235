"""Server CPU per page build and per rebuilt figure, one visitor at a time.

Starts ``odatis-portal serve`` on loopback (the demo catalog unless ``--catalog``; or uses
``--url`` and ``--pid`` of a running one), then for ``--rounds`` rounds opens each page of
``--pages`` as a browser does (``GET /?dataset=…``, the websocket, the page reported ready,
its first plot awaited: helpers of ``bench_load.py``), and changes, one at a time, the
controls whose change builds a new Bokeh figure rather than patching the one on screen:
the quicklook kind, the colouring ("Colour by") and the language. Around each step it reads
the server process's CPU time (user + system, all threads, from ``/proc``): the figure a
busy server pays per visitor, steadier than wall time on a shared machine. Prints the
median and max CPU seconds per step and page, the Bokeh models in each page's document,
and the machine's load. The first round warms caches up and is not counted.

    python bench/bench_session_cpu.py [--rounds 4] [--pages demo_sst_biscay,...]
"""

from __future__ import annotations

import argparse
import random
import signal
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import cpu_seconds as cpu_s  # noqa: E402 - CPU seconds of a process
from bench_load import (  # noqa: E402 - the sibling bench's client helpers
    Busy,
    Tally,
    _uptime,
    document_ready,
    free_port,
    open_like_a_browser,
    pump,
    start_server,
    tolerate_undecodable_patches,
    tolerate_unknown_models,
)

PAGES = ("", "demo_sst_biscay", "demo_mooring_biscay", "demo_argo_biscay",
         "demo_glider_ligurian", "demo_coriolis_points")


def _control(doc, css: str):
    from bokeh.models import RadioButtonGroup, Select

    for model in doc.models:
        if css in (getattr(model, "css_classes", None) or ()) and getattr(model, "visible", True):
            if isinstance(model, Select) and len(model.options) > 1:
                return model
            if isinstance(model, RadioButtonGroup) and len(model.labels) > 1:
                return model
    return None


def _flip(model, rng: random.Random) -> None:
    from bokeh.models import Select

    if isinstance(model, Select):
        options = [o[0] if isinstance(o, tuple | list) else o for o in model.options]
        model.value = rng.choice([o for o in options if o != model.value])
    else:
        model.active = rng.choice([i for i in range(len(model.labels)) if i != model.active])


def visit(url: str, pid: int, dataset: str, rng: random.Random) -> dict[str, float]:
    """CPU seconds of the page build (to its first plot) and of each rebuilding change."""
    cpu: dict[str, float] = {}
    c0 = cpu_s(pid)
    session, _, _ = open_like_a_browser(url, dataset or None)
    tolerate_undecodable_patches(session, Tally())
    try:
        busy = Busy(session.document)
        document_ready(session)
        if dataset:
            pump(session, lambda: busy.started > 0 and busy.idle(), 30)
        else:
            pump(session, lambda: False, 0.5)
        cpu["page"] = cpu_s(pid) - c0
        cpu["models"] = len(session.document.models)
        steps = [("kind", "portal-control-kind"), ("colour", "portal-control-color"),
                 ("lang", "portal-lang")] if dataset else [("lang", "portal-lang")]
        for name, css in steps:
            model = _control(session.document, css)
            if model is None:
                continue
            c0, before = cpu_s(pid), busy.started
            _flip(model, rng)
            # a redraw puts the overlay on within a few seconds, then off; else nothing
            if pump(session, lambda b=before: busy.started > b, 5 if dataset else 0.5):
                pump(session, busy.idle, 30)
            cpu[name] = cpu_s(pid) - c0
        return cpu
    finally:
        session.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", help="catalog file (default: the demo catalog)")
    parser.add_argument("--url", help="a running server (then --pid is required)")
    parser.add_argument("--pid", type=int, help="the running server's process id")
    parser.add_argument("--rounds", type=int, default=4, help="rounds (the first not counted)")
    parser.add_argument("--pages", default=",".join(PAGES),
                        help="dataset ids, comma-separated ('' : the landing page)")
    args = parser.parse_args()
    import logging

    import bokeh.plotting  # noqa: F401 - registers Figure: the client decodes the page
    import panel  # noqa: F401

    logging.getLogger("bokeh").setLevel(logging.ERROR)  # the stand-in models' attributes
    tolerate_unknown_models()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # the server is stopped then too
    proc = None
    if args.url:
        url, pid = args.url.rstrip("/"), args.pid
    else:
        port = free_port()
        log_path = Path(tempfile.gettempdir()) / f"bench_session_cpu_{port}.log"
        proc = start_server(args.catalog, port, 1, log_path)
        url, pid = f"http://127.0.0.1:{port}", proc.pid
    rng = random.Random(1)
    pages = args.pages.split(",")
    seen: dict[str, dict[str, list[float]]] = {p: {} for p in pages}
    try:
        for round_ in range(args.rounds):
            for page in pages:
                figures = visit(url, pid, page, rng)
                print(f"  round {round_} {page or '/'}: " + ", ".join(
                    f"{k} {v:.2f}" for k, v in figures.items()), flush=True)
                if round_:
                    for key, value in figures.items():
                        seen[page].setdefault(key, []).append(value)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    print(f"server CPU s per step, median / max over {args.rounds - 1} rounds "
          f"(load {_uptime()}):")
    for page, steps in seen.items():
        text = ", ".join(
            f"{key} {int(statistics.median(v))}" if key == "models" else
            f"{key} {statistics.median(v):.2f} / {max(v):.2f}" for key, v in steps.items())
        print(f"  {page or '/ (landing)':24s} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
