"""Map PNGs end to end over HTTP (request -> PNG bytes) against their peers, same run.

    python bench/bench_render.py                 # CI size: 10⁶ points, 8·10⁶ grid cells
    python bench/bench_render.py --n 1e8 --grid-cells 1e8 --json out.json

Builds, under ``--work`` (default /tmp), a demo point store of ``--n`` points, a gridded
field of about ``--grid-cells`` cells (one time step, NetCDF-4) and uses the demo catalog's
73-profile Argo float; writes a catalog of the three and starts ``odatis-portal serve`` on
a loopback port. After ``--warmup`` distinct requests per case (imports, kernels, hot columns),
every timed request asks for a view no cache holds (the bbox or the size moves a little
each time): full extent and a 1 % view of the store, a window of the grid, the float's
positions. Peers, in this process: plain Datashader over the same Parquet (dask
``read_parquet`` -> ``Canvas.points`` -> ``tf.shade`` -> PNG), xarray + Matplotlib
``pcolormesh`` for the grid, and the former HoloViews/GeoViews Matplotlib path
(``render_png(build_quicklook(...))``) for every case. Medians of ``--repeat`` runs.

Depth cases (``depth=0/100``, a union of depth bands, and ``depth=0/150``, which cuts the
100–200 band) at full extent and in the 1 % view; their peer is the same Datashader pipeline
with the depth filter applied to the dask frame. ``--cases`` picks cases, ``--peer-repeat``
caps the peers' runs (each is a full scan at 10⁹). The report adds the server's peak RSS
(VmHWM) and the load average before and after.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _timing import cpu_seconds  # bench/ is on sys.path when a benchmark runs

REPO = Path(__file__).resolve().parents[1]
VIEW_1PCT = (-50.0, 30.0, -14.0, 48.0)  # 36° x 18° = 1 % of the globe, North Atlantic
GRID_VIEW = (-40.0, 20.0, 10.0, 60.0)
W, H = 800, 500
DEPTH, DEPTH_CUT = "0/100", "0/150"
CASES = ("full", "view1", "grid", "float", "full_depth", "view1_depth", "full_depth_cut",
         "view1_depth_cut")


def make_inputs(args) -> dict:
    """The point store, the grid file and the catalog (reused when already there)."""
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    store = work / f"bench_render_store_{int(args.n)}"
    from portal.pointstore import STORE_MARKER

    if not (store / STORE_MARKER).exists():
        from portal.demo.points import generate

        generate(int(args.n), str(store), seed=1, overwrite=True)
    grid = work / f"bench_render_grid_{int(args.grid_cells)}.nc"
    if not grid.exists():
        write_grid(grid, int(args.grid_cells))
    return {"store": str(store), "grid": str(grid), "catalog": str(write_catalog(work, store,
                                                                                 grid))}


def write_grid(path: Path, cells: int) -> None:
    """A global SST-like field on a regular lon/lat grid (2:1), NaN over a land-like band."""
    import numpy as np
    import xarray as xr

    ny = int((cells / 2) ** 0.5)
    nx = 2 * ny
    lat = np.linspace(-90 + 90 / ny, 90 - 90 / ny, ny)
    lon = np.linspace(-180 + 180 / nx, 180 - 180 / nx, nx)
    sst = (28 * np.cos(np.radians(lat))[:, None] - 2 + np.sin(np.radians(lon) * 3)[None, :])
    sst = sst.astype("float32")
    sst[:, (lon > 10) & (lon < 40)] = np.nan
    ds = xr.Dataset({"sst": (("time", "lat", "lon"), sst[None])},
                    coords={"time": [np.datetime64("2024-01-01")], "lat": lat, "lon": lon})
    ds["sst"].attrs.update(standard_name="sea_surface_temperature", units="degree_Celsius",
                           long_name="Sea surface temperature")
    ds["lat"].attrs.update(standard_name="latitude", units="degrees_north")
    ds["lon"].attrs.update(standard_name="longitude", units="degrees_east")
    ds.attrs.update(featureType="grid", Conventions="CF-1.8")
    ds.to_netcdf(path, engine="netcdf4",
                 encoding={"sst": {"chunksizes": (1, min(ny, 1024), min(nx, 1024))}})


def write_catalog(work: Path, store: Path, grid: Path) -> Path:
    """A catalog of the three datasets, built from the demo catalog's entries."""
    import yaml

    from portal.demo import ensure_demo_catalog

    demo_path = Path(ensure_demo_catalog())
    demo = yaml.safe_load(demo_path.read_text())
    entries = demo["entries"] if "entries" in demo else demo["sources"]
    points, float_, sst = (dict(entries[k]) for k in ("demo_coriolis_points",
                                                      "demo_argo_atlantic", "demo_sst_biscay"))
    points["kwargs"] = {**points["kwargs"], "store": str(store)}
    float_["kwargs"] = {**float_["kwargs"], "urlpath": str(
        demo_path.parent / float_["kwargs"]["urlpath"].replace("{CATALOG_DIR}/", ""))}
    sst["kwargs"] = {**sst["kwargs"], "urlpath": str(grid)}
    sst["metadata"] = {**sst["metadata"], "bbox": [-180, -90, 180, 90],
                       "title": "Benchmark global SST grid",
                       "variables": [{"name": "sst", "standard_name": "sea_surface_temperature",
                                      "units": "degree_Celsius"}]}
    out = {**demo, "entries": {"points": points, "float": float_, "grid": sst}}
    out.pop("sources", None)
    path = work / "bench_render_catalog.yaml"
    path.write_text(yaml.safe_dump(out, sort_keys=False))
    return path


# ------------------------------------------------------------------------- our server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(catalog: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "portal", "serve", "--catalog", catalog, "--port", str(port),
           "--address", "127.0.0.1"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 240
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode()[-3000:] if proc.stderr else "died")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise RuntimeError("server did not start in 240 s")


def fetch(port: int, dataset: str, **params) -> tuple[float, bytes]:
    """Seconds from request to the last byte of the PNG, and the bytes."""
    query = "&".join(f"{k}={v}" for k, v in params.items())
    url = f"http://127.0.0.1:{port}/quicklook/{dataset}/map.png?{query}"
    t0 = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as resp:
        body = resp.read()
    elapsed = time.perf_counter() - t0
    if not body.startswith(b"\x89PNG"):
        raise RuntimeError(f"{url}: not a PNG")
    return elapsed, body


def bbox_text(bbox, shift: float) -> str:
    w, s, e, n = bbox
    return f"{w + shift:.3f},{s + shift / 2:.3f},{e + shift:.3f},{n + shift / 2:.3f}"


def http_cases(port: int, repeat: int, save: Path | None, warmup: int = 3,
               only: tuple[str, ...] = CASES, pid: int | None = None,
               cpu: dict | None = None) -> dict:
    """Median request -> PNG seconds per case; each request a view no cache holds. With the
    server's ``pid``, ``cpu`` gets each case's mean server CPU seconds per request (less
    sensitive than wall time to other processes on a shared machine)."""
    cases = {
        "full": lambda i: fetch(port, "points", width=W + i, height=H),
        "view1": lambda i: fetch(port, "points", bbox=bbox_text(VIEW_1PCT, 0.05 * i),
                                 width=W, height=H),
        "grid": lambda i: fetch(port, "grid", bbox=bbox_text(GRID_VIEW, 0.05 * i),
                                width=W, height=H),
        "float": lambda i: fetch(port, "float", width=W + i, height=H),
        "full_depth": lambda i: fetch(port, "points", width=W + i, height=H, depth=DEPTH),
        "view1_depth": lambda i: fetch(port, "points", bbox=bbox_text(VIEW_1PCT, 0.05 * i),
                                       width=W, height=H, depth=DEPTH),
        "full_depth_cut": lambda i: fetch(port, "points", width=W + i, height=H,
                                          depth=DEPTH_CUT),
        "view1_depth_cut": lambda i: fetch(port, "points", bbox=bbox_text(VIEW_1PCT, 0.05 * i),
                                           width=W, height=H, depth=DEPTH_CUT),
    }
    out = {}
    for name, call in cases.items():
        if name not in only:
            continue
        for w in range(warmup):  # hot data: imports, kernels, columns, overviews, files
            _, png = call(repeat + 7 + w)
        before = cpu_seconds(pid) if pid else 0.0
        times = [call(i)[0] for i in range(repeat)]
        if pid and cpu is not None:
            cpu[name] = (cpu_seconds(pid) - before) / repeat
        out[name] = statistics.median(times)
        if save:
            (save / f"ours_{name}.png").write_bytes(png)
    return out


# ------------------------------------------------------------------------------ peers


def peer_points(store: str, bbox, repeat: int, save: Path | None, name: str,
                depth: str | None = None) -> float:
    """Plain Datashader over the store's Parquet: read, count, shade, PNG (``depth``
    "MIN/MAX": rows filtered on z first)."""
    import dask
    import dask.dataframe as dd
    import datashader as ds
    import datashader.transfer_functions as tf

    from portal.pointstore.store import open_store

    st = open_store(store)
    files = [st.part_file(i) for i in range(len(st.parts))]
    dask.config.set(scheduler="threads")

    def once(i):
        w, s, e, n = bbox
        canvas = ds.Canvas(plot_width=W, plot_height=H, x_range=(w + 0.05 * i, e + 0.05 * i),
                           y_range=(s, n))
        if depth:
            lo, hi = (float(v) for v in depth.split("/"))
            df = dd.read_parquet(files, columns=["longitude", "latitude", "z"])
            df = df[(df["z"] >= lo) & (df["z"] <= hi)]
        else:
            df = dd.read_parquet(files, columns=["longitude", "latitude"])
        img = tf.shade(canvas.points(df, "longitude", "latitude", agg=ds.count()), how="log")
        buf = io.BytesIO()
        img.to_pil().save(buf, format="PNG")
        return buf.getvalue()

    png = once(repeat + 7)
    if save:
        (save / f"peer_{name}.png").write_bytes(png)
    return _median(once, repeat)


def peer_grid(path: str, repeat: int, save: Path | None, cpu: dict | None = None) -> float:
    """xarray + Matplotlib pcolormesh of the same window, to PNG bytes (``cpu``: its mean
    CPU seconds per run, this process's, under ``peer_grid``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import xarray as xr

    def once(i):
        w, s, e, n = GRID_VIEW
        with xr.open_dataset(path) as ds:
            field = ds["sst"].isel(time=0).sel(lon=slice(w + 0.05 * i, e + 0.05 * i),
                                               lat=slice(s, n)).load()
        fig, ax = plt.subplots(figsize=(W / 100, H / 100), dpi=100)
        mesh = ax.pcolormesh(field.lon, field.lat, field.values, shading="auto")
        fig.colorbar(mesh, ax=ax)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
        return buf.getvalue()

    png = once(repeat + 7)
    if save:
        (save / "peer_grid.png").write_bytes(png)
    before = time.process_time()
    wall = _median(once, repeat)
    if cpu is not None:
        cpu["peer_grid"] = (time.process_time() - before) / repeat
    return wall


def before_path(catalog: str, repeat: int) -> dict:
    """The former PNG path, in process: HoloViews/GeoViews element rendered by Matplotlib."""
    from portal.catalog.loader import load_catalog
    from portal.model import Query
    from portal.pipeline import build_quicklook
    from portal.quicklooks import Style
    from portal.render.png import render_png

    cat = load_catalog(catalog)

    def once(dataset, bbox, i):
        query = Query(bbox=None if bbox is None else tuple(
            float(v) for v in bbox_text(bbox, 0.05 * i).split(",")))
        style = Style(width=W + (i if bbox is None else 0), height=H, interactive=False)
        return render_png(build_quicklook(cat[dataset], "map", query, style), style.width, H)

    cases = {"full": ("points", None), "view1": ("points", VIEW_1PCT),
             "grid": ("grid", GRID_VIEW), "float": ("float", None)}
    out = {}
    for name, (dataset, bbox) in cases.items():
        once(dataset, bbox, repeat + 7)
        out[name] = _median(lambda i, d=dataset, b=bbox: once(d, b, i), repeat)
    return out


def _median(fn, repeat: int) -> float:
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


# ----------------------------------------------------------------------------- driver


def report(fig: dict) -> str:
    rows = [("point store, full extent", "full", "peer_full"),
            ("point store, 1 % view", "view1", "peer_view1"),
            (f"full extent, depth={DEPTH}", "full_depth", "peer_full_depth"),
            (f"1 % view, depth={DEPTH}", "view1_depth", "peer_view1_depth"),
            (f"full extent, depth={DEPTH_CUT}", "full_depth_cut", "peer_full_depth_cut"),
            (f"1 % view, depth={DEPTH_CUT}", "view1_depth_cut", "peer_view1_depth_cut"),
            ("gridded field, window", "grid", "peer_grid"),
            ("float positions (73 profiles)", "float", None)]
    lines = [f"map PNG over HTTP, request -> bytes: {fig['n']:,} points, "
             f"{fig['grid_cells']:,} grid cells, {W}x{H}, median of {fig['repeat']}",
             f"{'case':32s} {'ours (HTTP)':>12s} {'peer':>10s} {'x':>6s} {'before':>10s} "
             f"{'x':>6s}"]
    for label, key, peer in rows:
        if key not in fig["ours"]:
            continue
        ours = fig["ours"][key]
        p = fig.get(peer) if peer else None
        b = fig.get("before", {}).get(key)
        lines.append(f"{label:32s} {_cell(ours):>12s} {_cell(p):>10s} {_ratio(p, ours)} "
                     f"{_cell(b):>10s} {_ratio(b, ours)}")
    cpu = fig.get("cpu", {})
    if "grid" in cpu and "peer_grid" in cpu:
        lines.append(f"gridded field, CPU per image: server {cpu['grid'] * 1e3:.0f} ms, peer "
                     f"{cpu['peer_grid'] * 1e3:.0f} ms ({cpu['peer_grid'] / max(cpu['grid'], 1e-9):.1f}x)")
    lines.append("peer: plain Datashader over the same Parquet (points), xarray + Matplotlib "
                 "pcolormesh (grid); before: the HoloViews/GeoViews Matplotlib path, in process")
    lines.append(f"server peak RSS {fig.get('server_peak_rss_mb', 0):,.0f} MB; load average "
                 f"(1 min) {fig.get('load_before', 0):.2f} before, {fig.get('load_after', 0):.2f} "
                 "after")
    return "\n".join(lines)


def _cell(v: float | None) -> str:
    return f"{v * 1e3:8.1f} ms" if v is not None else f"{'-':>11s}"


def _ratio(v: float | None, ours: float) -> str:
    return f"{v / ours:5.1f}x" if v is not None else f"{'-':>6s}"


def peak_rss_mb(pid: int) -> float:
    """VmHWM (peak resident set) of a live process, in MB (0 where /proc is absent)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    line = next((x for x in text.splitlines() if x.startswith("VmHWM:")), "VmHWM: 0 kB")
    return int(line.split()[1]) / 1024


def peers(fig: dict, inputs: dict, only: tuple[str, ...], repeat: int,
          save: Path | None) -> None:
    """The peers of the cases that ran (each point peer is a full Parquet scan)."""
    world = (-180, -90, 180, 90)
    points = {"full": (world, None), "view1": (VIEW_1PCT, None), "full_depth": (world, DEPTH),
              "view1_depth": (VIEW_1PCT, DEPTH), "full_depth_cut": (world, DEPTH_CUT),
              "view1_depth_cut": (VIEW_1PCT, DEPTH_CUT)}
    for name, (bbox, depth) in points.items():
        if name in only:
            fig[f"peer_{name}"] = peer_points(inputs["store"], bbox, repeat, save, name, depth)
    if "grid" in only:
        fig["peer_grid"] = peer_grid(inputs["grid"], repeat, save, fig.setdefault("cpu", {}))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=float, default=1e6, help="points in the store (default 1e6)")
    p.add_argument("--grid-cells", type=float, default=8e6, dest="grid_cells")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--warmup", type=int, default=3,
                   help="distinct requests per case before timing (the issue's hot data)")
    p.add_argument("--work", default="/tmp", help="where the inputs are built (reused)")
    p.add_argument("--no-before", action="store_true", help="skip the former HoloViews path")
    p.add_argument("--no-peers", action="store_true", dest="no_peers",
                   help="skip the peers (each point peer is a full scan: minutes at 5·10⁹)")
    p.add_argument("--save", help="folder to write one PNG of each case and peer")
    p.add_argument("--json", help="write the figures to this file")
    p.add_argument("--cases", default=",".join(CASES),
                   help=f"comma-separated cases (default all: {','.join(CASES)})")
    p.add_argument("--peer-repeat", type=int, dest="peer_repeat",
                   help="runs of each peer (default --repeat)")
    args = p.parse_args(argv)
    sys.path.insert(0, str(REPO))
    inputs = make_inputs(args)
    save = Path(args.save) if args.save else None
    if save:
        save.mkdir(parents=True, exist_ok=True)
    only = tuple(c for c in args.cases.split(",") if c)
    port = free_port()
    server = start_server(inputs["catalog"], port)
    fig: dict = {"n": int(args.n), "grid_cells": int(args.grid_cells), "repeat": args.repeat,
                 "load_before": os.getloadavg()[0]}
    try:
        fig["ours"] = http_cases(port, args.repeat, save, args.warmup, only, server.pid,
                                 fig.setdefault("cpu", {}))
        fig["server_peak_rss_mb"] = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    if not args.no_peers:
        peers(fig, inputs, only, args.peer_repeat or args.repeat, save)
    fig["load_after"] = os.getloadavg()[0]
    if not args.no_before:
        fig["before"] = before_path(inputs["catalog"], max(1, min(args.repeat, 3)))
    print(report(fig))
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
