"""Benchmark: the server's own time for one zoom of a point-store map, fast path against
HoloViews' refresh, in one process (the share of ``bench_zoom.py``'s figure spent in Python).

Builds the page's map figure (Bokeh, 1300×520) of ``--dataset`` twice: one as the page
has it (the zoom sets the image's data source directly, :mod:`portal.quicklooks.fast_zoom`),
one whose zoom goes through HoloViews' ``DynamicMap`` refresh as before. Each view of
``--scales`` (fractions of the full extent, around the centre) is first read once, so that
both figures find its data in the hot cache; then both zoom to it (shifted a little: new
edges), taking turns. Prints the wall time of each zoom (stream event to updated Bokeh
models) and the medians, with the machine's load.

    python bench/bench_zoom_server.py [--catalog FILE] [--dataset ID] [--scales 0.2,0.1,...]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's portal


def figure(entry, fast: bool):
    """(plot, RangeXY stream) of the page's map of ``entry``; ``fast`` False: HoloViews'
    refresh answers the zoom, as before the fast path."""
    import holoviews as hv

    from portal.pipeline import build_quicklook
    from portal.query import Query
    from portal.quicklooks import Style
    from portal.quicklooks.fast_zoom import _Zoomer
    from portal.ui.view_tracking import streams_of

    element = build_quicklook(entry, "map", Query(), Style(width=1300, height=520))
    plot = hv.renderer("bokeh").get_plot(element)
    stream = streams_of(element, hv.streams.RangeXY)[0]
    if not fast:
        stream._subscribers = [(p, s) for p, s in stream._subscribers
                               if not isinstance(s, _Zoomer)]
        stream.add_subscriber(plot.refresh, 2)
    return plot, stream


def main(argv: list[str] | None = None) -> int:
    from portal.assets import demo_catalog
    from portal.catalog.loader import load_catalog

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--catalog", help="catalog file (default: the demo catalog)")
    parser.add_argument("--dataset", default="demo_coriolis_points")
    parser.add_argument("--scales", default="0.22,0.13,0.18,0.11,0.15,0.09,0.05,0.076,0.045",
                        help="views, as fractions of the full extent")
    args = parser.parse_args(argv)
    entry = load_catalog(args.catalog or demo_catalog())[args.dataset]
    figs = {"fast path": figure(entry, True), "holoviews": figure(entry, False)}
    handles = figs["fast path"][0].handles
    x0, x1 = handles["x_range"].start, handles["x_range"].end
    y0, y1 = handles["y_range"].start, handles["y_range"].end

    def view(f: float, cx: float, cy: float = 0.55) -> dict:
        w, h = (x1 - x0) * f, (y1 - y0) * f
        left, bottom = x0 + (x1 - x0) * cx - w / 2, y0 + (y1 - y0) * cy - h / 2
        return {"x_range": (left, left + w), "y_range": (bottom, bottom + h)}

    scales = [float(v) for v in args.scales.split(",")]
    for i, f in enumerate(scales):  # the data of each view into the hot cache
        figs["fast path"][1].event(**view(f * 1.02, 0.45 + 0.01 * i))
    times: dict[str, list[float]] = {name: [] for name in figs}
    for i, f in enumerate(scales):
        for name in list(figs) if i % 2 == 0 else list(figs)[::-1]:
            start = time.perf_counter()
            figs[name][1].event(**view(f * 1.01, 0.453 + 0.01 * i, 0.552))
            times[name].append(time.perf_counter() - start)
    print(f"server time per zoom (ms), {args.dataset}, views {scales}; "
          f"load {os.getloadavg()[0]:.2f}")
    for name, values in times.items():
        print(f"{name:10} median {statistics.median(values) * 1000:6.0f}   "
              f"{[round(v * 1000) for v in values]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
