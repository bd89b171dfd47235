"""A shortened load run (bench/bench_load.py) on loopback: real websocket sessions and a
stream of distinct PNGs give no error and leave no live session; ``serve --num-procs 2``
answers from two processes, each within its memory bound, and serves pages opened as a
browser opens them whichever process their websocket reaches."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.server.conftest import REPO, answering_pids, http_get, serving, small_catalog

MEMORY_BOUND_MB = 2048  # per process: interpreter + plotting stack + both byte-bounded caches


@pytest.fixture(scope="module")
def bench_load():
    """The bench's module; afterwards Bokeh's process-wide ``curdoc()`` patches are put
    back: the bench's client sessions run in this process, and Bokeh's ``patch_curdoc``
    does not pop its entry when a client callback raises, which left a destroyed
    document as every later test's ``curdoc()`` ("Patched curdoc has been previously
    destroyed")."""
    import bokeh.io.doc

    patched = list(bokeh.io.doc._PATCHED_CURDOCS)
    sys.path.insert(0, str(REPO / "bench"))
    try:
        import bench_load

        yield bench_load
    finally:
        sys.path.remove(str(REPO / "bench"))
        bokeh.io.doc._PATCHED_CURDOCS[:] = patched


def track_and_grid(folder: Path) -> Path:
    """The small grid (no control that redraws) and a two-variable glider-like track."""
    import numpy as np
    import pandas as pd
    import xarray as xr

    from portal.catalog.loader import load_catalog, write_catalog
    from portal.cataloging.scan import describe_file

    n = 500
    rng = np.random.default_rng(1)
    track = xr.Dataset(
        {"TEMP": ("obs", rng.uniform(10, 20, n), {"units": "degC", "long_name": "Temperature"}),
         "PSAL": ("obs", rng.uniform(35, 38, n), {"units": "1e-3", "long_name": "Salinity"})},
        coords={"time": ("obs", pd.date_range("2024-01-01", periods=n, freq="h")),
                "latitude": ("obs", np.linspace(43, 44, n)),
                "longitude": ("obs", np.linspace(7, 9, n)),
                "depth": ("obs", rng.uniform(0, 200, n))},
        attrs={"title": "Small track", "featureType": "trajectory"})
    track.to_netcdf(folder / "track.nc")
    entries = [*load_catalog([str(small_catalog(folder))]),
               describe_file(str(folder / "track.nc"), "track")]
    return Path(write_catalog(entries, folder / "load.yaml", title="Load test"))


def test_short_load_has_no_error_and_leaves_no_session(tmp_path, bench_load):
    with serving(track_and_grid(tmp_path), tmp_path) as served:
        figures = bench_load.run(served.url, sessions=3, duration=14, interval=2,
                                 server_pid=served.proc.pid, drain_s=45)
    print(bench_load.report(figures))
    assert figures["errors"] == []
    assert figures["pages"] == 3 and figures["plots"] == 3  # each drew its plot
    assert figures["interactions"] >= 2 and figures["idle_pages"] <= 2 and figures["pngs"] >= 3
    assert figures["live_sessions_after_close"] == 0


def test_two_processes_answer_within_their_memory_bound(tmp_path, bench_load):
    """Pages opened as a browser opens them (GET, then the websocket with the page's token)
    work whichever process each websocket reaches (each drew its plot); both processes
    answer under load; none is left alive after close, in either process."""
    with serving(track_and_grid(tmp_path), tmp_path, "--num-procs", "2") as served:
        seen = answering_pids(served.port)
        assert http_get(served.port, "/quicklook/grid/map.png?width=300&height=200")[0] == 200
        figures = bench_load.run(served.url, sessions=4, duration=6, interval=2,
                                 server_pid=served.proc.pid, drain_s=45, processes=2)
    print(bench_load.report(figures))
    assert len(seen) == 2, seen
    assert served.proc.pid not in seen  # the forked children answer, not the parent
    assert all(0 < rss < MEMORY_BOUND_MB for rss in seen.values()), seen
    assert Path(served.log).exists()
    assert figures["errors"] == [] and figures["plots"] == 4
    assert set(figures["rss_mb_by_process"]) == {served.proc.pid, *seen}
    assert set(figures["sessions_by_process_peak"]) == set(seen)  # both answer under load
    assert figures["live_sessions_after_close"] == 0
