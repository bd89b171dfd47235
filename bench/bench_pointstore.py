"""Benchmark of the point store against plain Datashader (the issue's targets).

    python bench/bench_pointstore.py            # CI size, 10⁶ points
    python bench/bench_pointstore.py --n 1e8    # stores go to /tmp, never into the repo

Phases run in fresh processes so that each reports its own peak memory (ru_maxrss):
``gen`` builds the store with the demo generator (ingest throughput), ``server`` times our
renders — full extent (overviews), a view of 1 % of the area (pruned row groups, cold then
hot), an ad-hoc depth filter over every point (cold from disk: the store's pages are evicted
from the OS cache with posix_fadvise; then hot: columns in the hot cache), a profile density —
and ``peer`` times plain Datashader (``Canvas.points`` over a dask dataframe read from the same
Parquet, no pruning, no overviews), cold and, when it fits in memory, persisted. Medians of
``--repeat`` runs; figures are printed and, with ``--json``, written.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from _timing import timed  # bench/ is on sys.path when a benchmark runs

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
VIEW_1PCT = (-50.0, 30.0, -14.0, 48.0)  # 36° x 18° = 1 % of the globe, North Atlantic
DEPTH = (500.0, 1500.0)
W, H = 800, 500


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def evict(store: str) -> None:
    """Drop the store's files from the OS page cache (cold-from-disk figures)."""
    for cur, _dirs, files in os.walk(store):
        for f in files:
            fd = os.open(os.path.join(cur, f), os.O_RDONLY)
            try:
                os.fsync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


# ------------------------------------------------------------------------------- phases


def phase_gen(args) -> dict:
    from portal.demo.points import generate

    report = generate(args.n, args.store, seed=1, overwrite=True)
    from portal.pointstore.store import open_store

    s = open_store(args.store)
    size = sum(f.stat().st_size for f in Path(args.store).rglob("*") if f.is_file())
    out = {"points": report.points, "gen_seconds": report.seconds,
           "gen_points_per_s": report.points_per_second, "parts": len(s.parts),
           "row_groups": s.n_row_groups, "row_group_size": s.config["row_group_size"],
           "store_gb": size / 2**30, "gen_peak_rss_gb": peak_rss_gb()}
    out.update(_ingest_real_files())
    return out


def _ingest_real_files() -> dict:
    import tempfile

    from portal.pointstore.ingest import ingest

    files = [SHARED / f for f in ("argo/multiprofile/3902131_Sprof.nc",
                                  "argo/multiprofile/13857_prof.nc",
                                  "argo/multiprofile/6901744_prof.nc",
                                  "dsg/profile/netCDF_vertical_profiles_ctd.nc")]
    files = [str(f) for f in files if f.exists()]
    if not files:
        return {}
    with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
        report = ingest(files, os.path.join(tmp, "s"))
    return {"ingest_files": len(files), "ingest_points": report.rows,
            "ingest_points_per_s": report.points_per_second}


def phase_server(args) -> dict:
    from portal.pointstore.aggregate import profile_density, render_aggregate, warmup

    s, r = args.store, args.repeat
    warmup()
    out: dict = {}
    med, agg = timed(lambda: render_aggregate(s, width=W, height=H), r)
    out.update(full_count_s=med, full_source=agg.attrs["source"], full_level=agg.attrs["level"])
    med, agg = timed(lambda: render_aggregate(s, width=W, height=H, how="mean",
                                              variable="TEMP", qc="good"), r)
    out.update(full_mean_s=med)
    evict(s)
    t0 = time.perf_counter()
    agg = render_aggregate(s, bbox=VIEW_1PCT, width=W, height=H, use_overviews=False)
    out.update(view1_cold_s=time.perf_counter() - t0)
    med, agg = timed(lambda: render_aggregate(s, bbox=VIEW_1PCT, width=W, height=H,
                                              use_overviews=False), r)
    read, total = agg.attrs["row_groups_read"], agg.attrs["row_groups_total"]
    out.update(view1_s=med, view1_points=int(agg.values.sum()), view1_rg_read=read,
               view1_rg_total=total, view1_pruned_pct=100.0 * (1 - read / total),
               view1_compact=agg.attrs.get("compact"))
    evict(s)
    t0 = time.perf_counter()
    agg = render_aggregate(s, width=W, height=H, depth=DEPTH)
    out.update(adhoc_cold_s=time.perf_counter() - t0, adhoc_points_scanned=agg.attrs["points"],
               adhoc_count=int(agg.values.sum()))
    med, agg = timed(lambda: render_aggregate(s, width=W, height=H, depth=DEPTH), r)
    out.update(adhoc_hot_s=med, adhoc_gpts_per_s=agg.attrs["points"] / med / 1e9)
    med, agg = timed(lambda: profile_density(s, bbox=VIEW_1PCT, variable="TEMP", qc="good"), r)
    out.update(density_view1_s=med)
    out["server_peak_rss_gb"] = peak_rss_gb()
    return out


def phase_hot_scale(args) -> dict:
    """The ad-hoc kernel over ``--hot-points`` rows held in memory: the store's hot (compact)
    columns tiled until that size, aggregated in one call exactly as the server does."""
    import numpy as np

    from portal.pointstore import aggregate as A
    from portal.pointstore import cache as hc
    from portal.pointstore import kernels as K
    from portal.pointstore import query as Q
    from portal.pointstore.store import open_store

    st = open_store(args.store)
    spec = Q.make_spec(st, "map", width=W, height=H, depth=DEPTH)
    rows = Q.select_row_groups(st, spec)
    cols = A.columns_for(spec)
    arrays = {c: [] for c in cols}
    blocks_f, blocks_i, base = [], [], 0
    for part in np.unique(st.index["part"][rows]):
        r = rows[st.index["part"][rows] == part]
        loaded = hc.hot_cache().load(st, int(part), r, cols, True)
        P, IP = Q.kernel_params(st, spec, r, loaded, True)
        n = int(st.parts[int(part)]["rows"])
        for c in cols:
            arrays[c].append(loaded.arrays[c][:n])
        IP[:, K.I_START] += base
        IP[:, K.I_STOP] += base
        blocks_f.append(P)
        blocks_i.append(IP)
        base += n
    hc.hot_cache().clear()
    reps = max(1, int(round(args.hot_points / base)))
    big = {}
    for c in cols:
        one = np.concatenate(arrays[c])
        big[c] = np.empty(one.size * reps, one.dtype)
        for k in range(reps):
            big[c][k * one.size:(k + 1) * one.size] = one
        del one
    del arrays
    P = np.concatenate([np.concatenate(blocks_f)] * reps)
    IP = np.concatenate([np.concatenate(blocks_i) + np.array([k * base, k * base] + [0] *
                                                             (K.N_I - 2)) for k in range(reps)])
    acc = A._Accumulator(spec)
    loaded = hc.Loaded(big, np.zeros(0), np.zeros(0))
    med, _ = timed(lambda: acc.add(loaded, P, IP, True, cols), args.repeat)
    total = int((IP[:, K.I_STOP] - IP[:, K.I_START]).sum())
    count = int(acc.result()["count"].sum()) // (args.repeat * reps)
    return {"hot_scaled_points": total, "hot_scaled_s": med, "hot_scaled_reps": reps,
            "hot_scaled_count_per_copy": count, "hot_scaled_peak_rss_gb": peak_rss_gb()}


def phase_peer(args) -> dict:
    import dask
    import dask.dataframe as dd
    import datashader as ds

    from portal.pointstore.store import open_store

    st = open_store(args.store)
    files = [st.part_file(i) for i in range(len(st.parts))]
    dask.config.set(scheduler="threads")
    r = max(1, min(args.repeat, args.peer_repeat))

    def canvas(bbox=(-180, -90, 180, 90)):
        return ds.Canvas(plot_width=W, plot_height=H, x_range=(bbox[0], bbox[2]),
                         y_range=(bbox[1], bbox[3]))

    def read(cols):
        return dd.read_parquet(files, columns=cols)

    def adhoc(df):
        sel = df[(df.z >= DEPTH[0]) & (df.z <= DEPTH[1])]
        return canvas().points(sel, "longitude", "latitude", agg=ds.count())

    out: dict = {}
    evict(args.store)
    t0 = time.perf_counter()
    canvas(VIEW_1PCT).points(read(["longitude", "latitude"]), "longitude", "latitude",
                             agg=ds.count())
    out["peer_view1_cold_s"] = time.perf_counter() - t0
    out["peer_full_s"], agg = timed(
        lambda: canvas().points(read(["longitude", "latitude"]), "longitude", "latitude",
                                agg=ds.count()), r)
    out["peer_full_points"] = int(agg.values.sum())
    out["peer_view1_s"], agg = timed(
        lambda: canvas(VIEW_1PCT).points(read(["longitude", "latitude"]), "longitude",
                                         "latitude", agg=ds.count()), r)
    out["peer_view1_points"] = int(agg.values.sum())
    evict(args.store)
    t0 = time.perf_counter()
    agg = adhoc(read(["longitude", "latitude", "z"]))
    out["peer_adhoc_cold_s"] = time.perf_counter() - t0
    out["peer_adhoc_parquet_s"], agg = timed(lambda: adhoc(read(["longitude", "latitude", "z"])), r)
    out["peer_adhoc_count"] = int(agg.values.sum())
    if st.n_points * 12 < args.peer_memory_gb * 2**30:
        # columns hot in memory: a dask dataframe over in-memory pandas partitions
        frame = read(["longitude", "latitude", "z"]).compute()
        df = dd.from_pandas(frame, npartitions=4 * (os.cpu_count() or 1))
        out["peer_adhoc_hot_s"], _ = timed(lambda: adhoc(df), r)
        del df, frame
    out["peer_peak_rss_gb"] = peak_rss_gb()
    return out


# ------------------------------------------------------------------------------- driver


def run_phase(phase: str, args) -> dict:
    cmd = [sys.executable, __file__, "--phase", phase, "--n", str(args.n), "--store", args.store,
           "--repeat", str(args.repeat), "--peer-repeat", str(args.peer_repeat),
           "--peer-memory-gb", str(args.peer_memory_gb), "--hot-points", str(args.hot_points)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        sys.stderr.write(f"phase {phase} failed\n")
        return {}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report(fig: dict) -> str:
    def ms(key):
        return f"{fig[key] * 1e3:9.1f} ms" if key in fig else "        -"

    lines = [
        f"point store benchmark: {fig['points']:,} points, {fig['parts']} parts, "
        f"{fig['row_groups']:,} row groups of {fig['row_group_size']:,}, {fig['store_gb']:.2f} GB",
        f"  generation     {fig['gen_seconds']:.1f} s = {fig['gen_points_per_s']:,.0f} points/s"
        f" (peak RSS {fig['gen_peak_rss_gb']:.2f} GB)",
    ]
    if "ingest_points" in fig:
        lines.append(f"  file ingest    {fig['ingest_points']:,} points from {fig['ingest_files']}"
                     f" real files = {fig['ingest_points_per_s']:,.0f} points/s")
    rows = [("full-extent count (overviews)", "full_count_s", "peer_full_s", 0.200),
            ("full-extent mean TEMP good", "full_mean_s", None, 0.200),
            ("1 % view, cold from disk", "view1_cold_s", "peer_view1_cold_s", None),
            ("1 % view, hot (peer: Parquet cached)", "view1_s", "peer_view1_s", 0.150),
            ("ad-hoc depth filter, cold from disk", "adhoc_cold_s", "peer_adhoc_cold_s", None),
            ("ad-hoc, hot (peer: Parquet cached)", "adhoc_hot_s", "peer_adhoc_parquet_s", None),
            ("ad-hoc, hot (peer: persisted)", "adhoc_hot_s", "peer_adhoc_hot_s", 1.5),
            ("profile density, 1 % view", "density_view1_s", None, None)]
    lines.append(f"  {'':34s} {'ours':>12s} {'peer':>12s} {'speed-up':>9s} {'target':>8s}")
    for label, ours, peer, target in rows:
        ratio = (f"{fig[peer] / fig[ours]:8.1f}x" if peer in fig and ours in fig
                 and fig[ours] else "        -")
        tgt = f"{target * 1e3:6.0f}ms" if target else ""
        lines.append(f"  {label:34s} {ms(ours)} {ms(peer) if peer else ' ' * 12} {ratio} {tgt}")
    if "view1_rg_read" in fig:
        lines.append(f"  1 % view: {fig['view1_rg_read']}/{fig['view1_rg_total']} row groups "
                     f"read, {fig['view1_pruned_pct']:.1f} % pruned; ad-hoc hot "
                     f"{fig['adhoc_gpts_per_s']:.2f} G points/s over "
                     f"{fig['adhoc_points_scanned']:,} points")
    lines.append(f"  peak RSS: server {fig.get('server_peak_rss_gb', 0):.2f} GB, generator "
                 f"{fig['gen_peak_rss_gb']:.2f} GB, peer {fig.get('peer_peak_rss_gb', 0):.2f} GB")
    if "hot_scaled_s" in fig:
        lines.append(f"  ad-hoc kernel over {fig['hot_scaled_points']:,} in-memory points "
                     f"({fig['hot_scaled_reps']} copies of this store's hot columns): "
                     f"{fig['hot_scaled_s'] * 1e3:.0f} ms = "
                     f"{fig['hot_scaled_points'] / fig['hot_scaled_s'] / 1e9:.2f} G points/s "
                     f"(target 1500 ms at 10⁹), peak RSS {fig['hot_scaled_peak_rss_gb']:.2f} GB")
    if "peer_view1_points" in fig and "view1_points" in fig:
        lines.append(f"  counts vs peer: 1 % view {fig['view1_points']:,} / "
                     f"{fig['peer_view1_points']:,}; ad-hoc {fig['adhoc_count']:,} / "
                     f"{fig['peer_adhoc_count']:,} (compact depth codes: ±half a step at the "
                     "filter bounds)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=lambda t: int(float(t)), default=10**6)
    parser.add_argument("--store", default=None, help="default /tmp/odatis-bench-pointstore-N")
    parser.add_argument("--reuse", action="store_true", help="keep an existing store")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--peer-repeat", type=int, default=3)
    parser.add_argument("--peer-memory-gb", type=float, default=6.0,
                        help="persist the peer's columns in memory only below this size")
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--hot-points", type=lambda t: int(float(t)), default=0,
                        help="also time the ad-hoc kernel over this many in-memory rows "
                        "(the store's hot columns tiled), e.g. 1e9")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--phase", choices=("gen", "server", "peer", "hot"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.store = args.store or f"/tmp/odatis-bench-pointstore-{args.n}"
    if args.phase:
        fn = {"gen": phase_gen, "server": phase_server, "peer": phase_peer,
              "hot": phase_hot_scale}[args.phase]
        print(json.dumps(fn(args)))
        return
    fig: dict = {"n": args.n, "store": args.store}
    if args.reuse and Path(args.store, "_portal_store.json").exists():
        fig.update(json.loads(Path(args.store, "bench-gen.json").read_text()))
    else:
        fig.update(run_phase("gen", args))
        if "points" not in fig:
            raise SystemExit("store generation failed")
        Path(args.store, "bench-gen.json").write_text(json.dumps(fig))
    fig.update(run_phase("server", args))
    if not args.skip_peer:
        fig.update(run_phase("peer", args))
    if args.hot_points:
        fig.update(run_phase("hot", args))
    print(report(fig))
    if args.json:
        Path(args.json).write_text(json.dumps(fig, indent=1))


if __name__ == "__main__":
    main()
