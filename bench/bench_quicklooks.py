"""Benchmarks of the walking skeleton: scan, time-series decimation, profile quicklook.

Prints figures (median of repeats) against the goals of the issue:
- scanning ``../shared/data`` into a catalog;
- decimating a 10⁸-sample series to 1,600 points with the portal's MinMaxLTTB path
  (goal ≤ 50 ms) and, in the same run, HoloViews' default ``downsample1d``
  (``minmax-lttb``) on the same data;
- a profile quicklook of a real Argo float (goal ≤ 50 ms), element build from the
  cached view and the uncached load + build.
``--quick`` uses 10⁶ samples (CI); the default is 10⁸.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from _timing import timed  # bench/ is on sys.path when a benchmark runs

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def bench_scan() -> None:
    if not SHARED.is_dir():
        print("scan: skipped (../shared/data absent)")
        return
    from portal.cataloging.scan import scan_folder

    scan_folder(str(SHARED / "argo"))  # warm imports
    seconds, result = timed(lambda: scan_folder(str(SHARED)), repeat=3)
    print(f"scan ../shared/data: {seconds:.2f} s median, {len(result.entries)} datasets, "
          f"{len(result.skipped)} files skipped")


def bench_decimation(n: int) -> None:
    import holoviews as hv
    from holoviews.operation.downsample import downsample1d

    from portal.processing.decimate import decimate_indices, is_regular, window

    rng = np.random.default_rng(0)
    t = np.arange(n, dtype="int64").astype("datetime64[s]").astype("datetime64[ns]")
    y = np.cumsum(rng.standard_normal(n)).astype("float64")
    y[rng.integers(0, n, 50)] += 500.0  # spikes that must survive
    width = 800
    check_s, regular = timed(lambda: is_regular(t), repeat=1)
    seconds, idx = timed(lambda: decimate_indices(t, y, 2 * width, regular))
    kept_max = np.isclose(y[idx].max(), y.max())
    zoom = window(t, t[n // 3], t[n // 3 + n // 100])
    zseconds, _ = timed(lambda: decimate_indices(t[zoom], y[zoom], 2 * width, regular))
    print(f"decimate {n:,} -> {idx.size:,} points (MinMaxLTTB, portal): {seconds * 1e3:.1f} ms "
          f"median (goal <= 50 ms), max kept: {kept_max}; zoom to 1 %: {zseconds * 1e3:.1f} ms; "
          f"regularity check once per series: {check_s * 1e3:.0f} ms")
    irregular_s, _ = timed(lambda: decimate_indices(t, y, 2 * width, False), repeat=3)
    print(f"decimate {n:,} binning by time (irregular series path): {irregular_s * 1e3:.1f} ms")
    curve = hv.Curve((t, y))
    hv_seconds, out = timed(lambda: downsample1d(curve, algorithm="minmax-lttb", width=width,
                                                 dynamic=False), repeat=3)
    print(f"decimate {n:,} with HoloViews downsample1d(minmax-lttb), same data: "
          f"{hv_seconds * 1e3:.1f} ms median -> {len(out):,} points")


def bench_profile() -> None:
    from portal.cache import data_cache
    from portal.model import DatasetEntry, Query
    from portal.pipeline import _load, build_quicklook, load_view
    from portal.quicklooks import Style, builder
    from portal.sources.versioning import data_version

    path = SHARED / "argo/multiprofile/3902131_Sprof.nc"
    if not path.exists():
        print("profile: skipped (../shared/data absent)")
        return
    entry = DatasetEntry.from_metadata("bench_argo", "netcdf", {"urlpath": str(path)},
                                       {"title": "Argo 3902131", "featureType": "profile"})
    build_quicklook(entry, "profile", Query(variable="TEMP"))  # warm imports and cache
    view = load_view(entry, "profile", Query(variable="TEMP"))
    build = builder("profile")
    seconds, _ = timed(lambda: build(view.data, variable="TEMP", feature_type="profile",
                                     title="Argo", style=Style()), repeat=7)
    version = data_version(entry)
    good = Query(variable="TEMP", qc="good")
    load_s, _ = timed(lambda: (data_cache().clear(), _load(entry, "profile", good, version)),
                      repeat=3)
    subset_s, _ = timed(lambda: _load(entry, "profile", good, version), repeat=3)
    n = view.data.sizes["obs"]
    print(f"profile quicklook ({n:,} samples, 162 profiles): element {seconds * 1e3:.1f} ms "
          f"median from the cached view (goal <= 50 ms); uncached open+select {load_s * 1e3:.0f} ms"
          f"; new selection of the cached dataset {subset_s * 1e3:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10⁶ samples instead of 10⁸")
    parser.add_argument("--n", type=int, default=None, help="samples of the long series")
    args = parser.parse_args(argv)
    import dask

    dask.config.set(scheduler="synchronous")
    n = args.n or (1_000_000 if args.quick else 100_000_000)
    bench_scan()
    bench_decimation(n)
    bench_profile()
    return 0


if __name__ == "__main__":
    sys.exit(main())
