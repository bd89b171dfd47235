"""The command line cold: ``quicklook`` of small files and ``thumbnails`` of whole catalogs.

    python bench/bench_cli.py                 # demo catalog + a scan of ../shared/data
    python bench/bench_cli.py --repeat 5 --json out.json

Every figure is a fresh ``python -m portal`` process (cold: imports, file opening, drawing),
wall time and CPU time (user + system of the child), median of ``--repeat`` runs. Peers in
the same run: the floor ``python -c "import xarray, matplotlib.figure"`` (what any
Matplotlib PNG of a NetCDF file pays before reading a byte), a plain script that opens the
demo mooring with xarray and saves a pyplot line of it, and the former path —
``render_png(build_quicklook(...))`` through HoloViews/GeoViews — for each case.
``thumbnails`` runs with ``--force`` on the demo catalog and on a catalog of
``../shared/data`` (built with ``catalog scan`` under ``--work``), and reports datasets per
second two ways: over the rendering loop (the command's own figure) and over the whole
cold process. The machine is shared: read wall figures beside the CPU ones (the load
average is printed before and after, with how fast a fresh process gets memory it never
touched: see ``_timing.fresh_memory_gbps``; the thumbnails' ``sys s`` column is mostly
that cost); ``--only`` runs one half.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _timing import machine_line  # bench/ is on sys.path when a benchmark runs

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
PY = sys.executable
OLD_PATH = ("import sys; from portal.catalog.loader import load_catalog; "
            "from portal.pipeline import build_quicklook; from portal.quicklooks import Style; "
            "from portal.render.png import render_png; "
            "e = load_catalog([sys.argv[1]])[sys.argv[2]]; "
            "s = Style(width=900, height=560, interactive=False); "
            "open(sys.argv[4], 'wb').write(render_png(build_quicklook(e, sys.argv[3], None, s),"
            " 900, 560))")


FLOOR_SCRIPT = ("import sys, xarray as xr, matplotlib; matplotlib.use('Agg'); "
                "import matplotlib.pyplot as plt; ds = xr.open_dataset(sys.argv[1]); "
                "v = [k for k in ds.data_vars if ds[k].ndim >= 1][0]; "
                "plt.plot(ds[v].values.ravel()[:100000]); plt.savefig(sys.argv[2])")


def run(cmd: list[str]) -> tuple[float, float, str, float]:
    """(wall s, child CPU s, stdout, child system CPU s) of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{res.stderr[-2000:]}")
    system = after.ru_stime - before.ru_stime
    cpu = (after.ru_utime - before.ru_utime) + system
    return wall, cpu, res.stdout, system


def median_run(cmd: list[str], repeat: int) -> tuple[float, float, str, float]:
    runs = [run(cmd) for _ in range(repeat)]
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs),
            runs[-1][2], statistics.median(r[3] for r in runs))


def cases(demo: str, shared: str | None) -> list[tuple[str, str, str]]:
    """(catalog, dataset, kind): the demo float (map, profile), mooring, glider, grid, and
    real files of ../shared/data when scanned."""
    out = [(demo, "demo_argo_atlantic", "map"), (demo, "demo_argo_atlantic", "profile"),
           (demo, "demo_mooring_biscay", "timeseries"), (demo, "demo_glider_ligurian",
                                                         "timeseries"),
           (demo, "demo_sst_biscay", "map")]
    if shared:
        out += [(shared, "argo_multiprofile_6901744_prof", "profile"),
                (shared, "argo_profiles_d4900590_097", "map"),
                (shared, "dsg_timeseries_netcdf_timeseries_tidegauge", "timeseries"),
                (shared, "gridded_mwsstd1day_modis_sst_westus", "map")]
    return out


def bench_quicklook(demo: str, shared: str | None, work: Path, repeat: int) -> list[dict]:
    rows = []
    floor = median_run([PY, "-c", "import xarray, matplotlib.figure"], repeat)
    rows.append({"case": "floor: import xarray, matplotlib.figure", "wall_s": floor[0],
                 "cpu_s": floor[1]})
    mooring = str(Path(demo).parent.parent / "data" / "demo" / "mooring_biscay_1min.nc")
    plain = median_run([PY, "-c", FLOOR_SCRIPT, mooring, str(work / "floor.png")], repeat)
    rows.append({"case": "floor: xr.open_dataset + pyplot line + savefig", "wall_s": plain[0],
                 "cpu_s": plain[1]})
    for catalog, dataset, kind in cases(demo, shared):
        out = str(work / f"{dataset}-{kind}.png")
        new = median_run([PY, "-m", "portal", "quicklook", dataset, "--catalog", catalog,
                          "--kind", kind, "-o", out], repeat)
        old = median_run([PY, "-c", OLD_PATH, catalog, dataset, kind, out + ".old.png"],
                         max(1, repeat // 2))
        rows.append({"case": f"quicklook {dataset} {kind}", "wall_s": new[0], "cpu_s": new[1],
                     "old_wall_s": old[0], "old_cpu_s": old[1]})
    return rows


def bench_thumbnails(catalog: str, work: Path, repeat: int) -> dict:
    out = str(work / ("thumbs-" + Path(catalog).stem))
    wall, cpu, stdout, system = median_run([PY, "-m", "portal", "thumbnails", "--catalog",
                                            catalog, "-o", out, "--force"], repeat)
    found = re.search(r"(\d+) written.*\(([\d.]+) s", stdout)
    written, loop_s = (int(found[1]), float(found[2])) if found else (0, float("nan"))
    return {"case": f"thumbnails {Path(catalog).name}", "datasets": written,
            "loop_s": loop_s, "loop_rate": written / loop_s if loop_s else 0.0,
            "wall_s": wall, "cpu_s": cpu, "sys_s": system, "cold_rate": written / wall,
            "cold_cpu_rate": written / cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", default="/tmp/bench_cli")
    parser.add_argument("--json")
    parser.add_argument("--only", choices=("quicklook", "thumbnails"),
                        help="run one half (a short run on a loaded machine)")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    demo = run([PY, "-m", "portal", "demo"])[2].split(": ", 1)[1].strip()
    shared = None
    if SHARED.is_dir():
        shared = str(work / "shared.yaml")
        if not Path(shared).exists():
            run([PY, "-m", "portal", "catalog", "scan", str(SHARED), "-o", shared])
    print(machine_line())
    rows = bench_quicklook(demo, shared, work, args.repeat) if args.only != "thumbnails" else []
    if rows:
        print(f"{'cold process':58} {'wall s':>7} {'cpu s':>6} {'old wall':>9} {'old cpu':>8}")
    for r in rows:
        old = (f"{r['old_wall_s']:9.2f} {r['old_cpu_s']:8.2f}" if "old_wall_s" in r else "")
        print(f"{r['case'][:58]:58} {r['wall_s']:7.2f} {r['cpu_s']:6.2f} {old}")
    thumbs = [bench_thumbnails(c, work, args.repeat) for c in (demo, shared)
              if c and args.only != "quicklook"]
    print(f"\n{'thumbnails --force, one cold process':40} {'n':>4} {'loop/s':>7} "
          f"{'wall s':>7} {'cpu s':>6} {'sys s':>6} {'cold/s':>7} {'cpu/s':>6}")
    for t in thumbs:
        print(f"{t['case'][:40]:40} {t['datasets']:4d} {t['loop_rate']:7.1f} {t['wall_s']:7.2f} "
              f"{t['cpu_s']:6.2f} {t['sys_s']:6.2f} {t['cold_rate']:7.1f} "
              f"{t['cold_cpu_rate']:6.1f}")
    print(machine_line())
    if args.json:
        Path(args.json).write_text(json.dumps({"quicklook": rows, "thumbnails": thumbs},
                                              indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
