"""Benchmark: server time of a control change, a figure patched in place against a new one.

In one process, without a browser, for each page (the demo's mooring series, an Argo
float's time–depth section and T-S diagram by default): a quicklook pane draws its plot
and builds its Bokeh models, then a control (variable or QC preset) flips ``--runs`` times.
Each change is timed twice over, interleaved: patched in place (the figure on screen
updated through its pipe: :mod:`portal.ui.patch_series`) and as a new figure (the patcher
reset first, so the pane builds new Bokeh models, as before in-place patching). Wall and
CPU seconds (all threads of the process) per change are printed with the machine's load;
CPU time is the steadier figure on a shared machine.

    python bench/bench_patch.py [--catalog catalogs/demo.yaml] [--runs 8]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import statistics
import time

PAGES = [("demo_mooring_biscay", "timeseries", "var"), ("demo_mooring_biscay", "timeseries", "qc"),
         ("demo_argo_biscay", "timedepth", "var"), ("demo_argo_biscay", "ts", "qc")]


def _draw(pane):
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # a loop of its own, as a session's
        return pool.submit(asyncio.run, pane._draw()).result()


def _change(pane, control: str, step: int, fresh: bool) -> tuple[float, float, bool]:
    """(wall s, CPU s, patched) of one change; ``fresh``: as a new figure."""
    import param

    if fresh:
        pane._patcher.reset()
    names = [v.name for v in pane.entry.variables]
    c0, t0 = time.process_time(), time.perf_counter()
    if control == "var":
        pane.state.var = names[step % 2]
    else:
        pane.state.qc = ("good", "all")[step % 2]
    out = _draw(pane)
    if out is not param.Skip:
        out.get_root()  # the new figure's Bokeh models (the server's off-loop render)
    return time.perf_counter() - t0, time.process_time() - c0, out is param.Skip


def bench(entry, kind: str, control: str, runs: int) -> dict[str, tuple[list, list]]:
    from portal.ui.quicklook_pane import QuicklookPane
    from portal.ui.state import ViewState

    pane = QuicklookPane(state=ViewState(dataset=entry.id, kind=kind), entry=entry)
    _draw(pane).get_root()
    for step in (1, 2):  # warm-up: the data cache
        _change(pane, control, step, fresh=False)
    times: dict[str, tuple[list, list]] = {"patched": ([], []), "new figure": ([], [])}
    for step in range(3, 3 + 2 * runs):
        fresh = bool(step % 2)
        wall, cpu, patched = _change(pane, control, step, fresh)
        if patched == fresh:  # a patch where none was asked for, or the other way round
            raise SystemExit(f"{entry.id} {kind} {control}: patched={patched}, fresh={fresh}")
        times["new figure" if fresh else "patched"][0].append(wall)
        times["new figure" if fresh else "patched"][1].append(cpu)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", default="catalogs/demo.yaml")
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    from portal.catalog.loader import load_catalog
    from portal.quicklooks import ensure_backends

    ensure_backends()
    catalog = load_catalog(args.catalog)
    print(f"server seconds per control change (median, max over {args.runs}); "
          "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for dataset, kind, control in PAGES:
        for how, (wall, cpu) in bench(catalog[dataset], kind, control, args.runs).items():
            print(f"  {dataset:22} {kind:10} {control:4} {how:10}  wall {statistics.median(wall):.3f}"
                  f" {max(wall):.3f}  CPU {statistics.median(cpu):.3f} {max(cpu):.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
