"""Two draws of one quicklook pane that overlap (Panel cancels the previous draw of a
method, but once one was cancelled it forgets the running one): the older draw, finishing
last, shows nothing; the newer one's plot stays, and the overlay is lifted only by it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time

import param


def _grid_entry(folder):
    import numpy as np
    import xarray as xr

    from portal.cataloging.scan import describe_file

    grid = xr.Dataset({"sst": (("latitude", "longitude"), np.zeros((4, 5)))},
                      coords={"latitude": np.linspace(40, 43, 4),
                              "longitude": np.linspace(-5, -1, 5)})
    grid.to_netcdf(folder / "g.nc")
    return describe_file(str(folder / "g.nc"), "g")


def test_an_older_draw_finishing_last_does_not_replace_the_newer(tmp_path, monkeypatch):
    import holoviews as hv

    import portal.pipeline
    from portal.quicklooks import ensure_backends
    from portal.ui.quicklook_pane import QuicklookPane
    from portal.ui.state import ViewState

    ensure_backends()
    started = threading.Event()

    def build(entry, kind, query, style):  # the first (older) build is the slow one
        if not started.is_set():
            started.set()
            time.sleep(0.6)
            return hv.Curve([0, 1], label="older")
        return hv.Curve([1, 0], label="newer")

    monkeypatch.setattr(portal.pipeline, "build_quicklook", build)
    pane = QuicklookPane(state=ViewState(dataset="g", kind="map"), entry=_grid_entry(tmp_path),
                         show_controls=False)
    lifted: list[bool] = []
    monkeypatch.setattr(pane, "_done_after_swap", lambda: lifted.append(True))

    async def both():
        older = asyncio.ensure_future(pane._plot())
        while not started.is_set():
            await asyncio.sleep(0.01)
        return await asyncio.gather(older, pane._plot())

    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # a loop of its own (see the
        older, newer = pool.submit(asyncio.run, both()).result()  # profile pane tests)
    assert older is param.Skip
    assert newer.object.label == "newer" and pane._drawn is newer
    assert lifted == [True]  # by the newer draw only
