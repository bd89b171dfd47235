"""First-use costs paid at server start, not by the first visitors of each kind.

The first figure of a quicklook kind costs more than the next ones: HoloViews and
GeoViews set up their plot classes and option trees, Datashader and Numba compile the
kernels of a glyph (points, lines, quads), TEOS-10 and the colour bars load their tables.
:func:`warm_kinds` builds and renders each Bokeh kind of the page once (profile, time
series, T-S, section and time-depth) on a small synthetic set of profiles (the maps are
warmed by ``serve.warm_up``). Each kind is tried on its own: a failure is logged and the
server starts all the same. :func:`start_process` starts, in each server process (after
``--num-procs`` forked them; under ``odatis-portal serve`` and ``panel serve`` with the
portal's plugin alike), the heap trimmer, the paced full collections and
:func:`warm_catalog`, which reads each local dataset's first quicklook.
"""

from __future__ import annotations

import logging
import time

log = logging.getLogger(__name__)

#: the kinds warmed on synthetic profiles (maps are warmed in ``serve.warm_up``)
#: (not "linked": its three plots of points have no first-use cost of their own to save)
PROFILE_KINDS = ("profile", "timeseries", "ts", "section", "timedepth")


def synthetic_profiles(n_profiles: int = 12, levels: int = 25):
    """Canonical observations of ``n_profiles`` casts of ``levels`` samples each: depth
    ``z``, time, position, a feature number, TEMP and PSAL (with QC flags, CF units and
    standard names, so the T-S diagram finds them)."""
    import numpy as np
    import pandas as pd
    import xarray as xr

    n = n_profiles * levels
    z = np.tile(np.linspace(5.0, 1000.0, levels), n_profiles).astype("float32")
    feature = np.repeat(np.arange(1, n_profiles + 1, dtype="int32"), levels)
    times = np.repeat(pd.date_range("2024-01-01", periods=n_profiles, freq="10D").values,
                      levels)
    lon = np.repeat(np.linspace(-8.0, -5.0, n_profiles), levels)
    lat = np.repeat(np.linspace(44.0, 46.0, n_profiles), levels)
    temp = (15.0 - z / 100.0).astype("float32")
    psal = (35.0 + z / 2000.0).astype("float32")
    flags = np.ones(n, "int8")
    return xr.Dataset(
        {"TEMP": ("obs", temp, {"units": "degree_Celsius", "long_name": "Temperature",
                                "standard_name": "sea_water_temperature"}),
         "TEMP_qc": ("obs", flags), "PSAL_qc": ("obs", flags), "z_qc": ("obs", flags),
         "PSAL": ("obs", psal, {"units": "psu", "long_name": "Salinity",
                                "standard_name": "sea_water_practical_salinity"})},
        coords={"z": ("obs", z, {"units": "dbar", "positive": "down"}),
                "time": ("obs", times), "latitude": ("obs", lat), "longitude": ("obs", lon),
                "feature": ("obs", feature)},
        attrs={"featureType": "profile", "title": "warm-up"})


def warm_kinds(kinds: tuple[str, ...] = PROFILE_KINDS) -> dict[str, float]:
    """Build and render (Bokeh, as the page does) each of ``kinds`` once; the seconds
    each took, for those that worked (the others are logged and skipped)."""
    import holoviews as hv

    from portal.quicklooks import Style, builder, ensure_backends

    ensure_backends()
    obs = synthetic_profiles()
    renderer = hv.renderer("bokeh")
    took: dict[str, float] = {}
    for kind in kinds:
        start = time.perf_counter()
        try:
            element = builder(kind)(obs, variable="TEMP", feature_type="profile",
                                    title="warm-up", style=Style(width=320, height=240))
            renderer.get_plot(element)
        except Exception as exc:  # noqa: BLE001 - warm-up is best effort, never fatal
            log.warning("warm-up of the %s quicklook failed: %s: %s", kind,
                        type(exc).__name__, exc)
            continue
        took[kind] = time.perf_counter() - start
    log.info("warmed up %s", ", ".join(f"{k} {s:.2f} s" for k, s in took.items()))
    return took


def start_process(loop, entries: list) -> None:
    """What each server process runs beside its requests, started on its Tornado ``loop``
    once it serves: freed heap handed back to the system every 10 s, full garbage
    collections between redraws (:mod:`portal.server.collector`) that skip the start-up
    heap (``odatis-portal serve`` froze it before forking; under ``panel serve`` it is
    frozen here), and the warm-up of the first quicklook of ``entries``. After the fork:
    the warm-up's libraries start thread pools (the series' decimation), which a process
    forked after them would wait on for ever."""
    import gc

    from portal.render.png import freeze_startup_heap, start_heap_trimmer
    from portal.server.collector import pace_full_collections

    start_heap_trimmer()
    if not gc.get_freeze_count():  # `panel serve`: its plugin froze nothing before the fork
        freeze_startup_heap()  # before any session: the loop has not run yet here
    pace_full_collections()
    # the first visitors of each dataset find its data read; on the loop, the server
    # answering meanwhile (a process warming first would hold the requests it accepted)
    loop.add_callback(warm_catalog, entries)


async def warm_catalog(entries: list, budget_s: float = 15.0) -> dict[str, float]:
    """Build and render the page's first quicklook of each local dataset (its default
    kind, variable and QC, at the page's plot size) until ``budget_s`` seconds have
    passed: the data they read and the aggregates they draw stay in this process's
    caches, so the first visitors of a dataset do not wait for its read. It runs on the
    server's loop, the server answering meanwhile: each build in a worker thread, each
    render in the pages' render slot (one HoloViews render at a time). Remote datasets
    (ERDDAP, OPeNDAP) are left out: an unreachable server would keep a worker thread
    for its time-outs. The seconds each took; a failure is logged and skipped."""
    import asyncio

    from portal.ui.render_thread import render_slot

    took: dict[str, float] = {}
    end = time.monotonic() + budget_s
    local = [e for e in entries if _local(e)]
    for entry in local:
        if time.monotonic() >= end:
            log.info("catalog warm-up: %.0f s budget spent, %d of %d datasets warmed",
                     budget_s, len(took), len(local))
            break
        start = time.perf_counter()
        try:
            element = await asyncio.to_thread(_first_quicklook, entry)
            async with render_slot():
                await asyncio.to_thread(_render, element)
        except Exception as exc:  # noqa: BLE001 - warm-up is best effort, never fatal
            log.warning("%s: warm-up of its first quicklook failed: %s: %s", entry.id,
                        type(exc).__name__, exc)
            continue
        took[entry.id] = time.perf_counter() - start
    log.info("catalog warmed up: %s", ", ".join(f"{k} {s:.2f} s" for k, s in took.items()))
    return took


def _first_quicklook(entry):
    """The element of the page's first quicklook of ``entry`` (a new page's state)."""
    from portal.pipeline import build_quicklook
    from portal.ui.quicklook_pane import QuicklookPane
    from portal.ui.state import ViewState

    state, size = ViewState(dataset=entry.id), QuicklookPane.param
    style = state.style(width=size.plot_width.default, height=size.plot_height.default)
    return build_quicklook(entry, None, state.query(), style)


def _render(element) -> None:
    """Render as the page does (Bokeh), then let the plot go (its server callbacks stay
    registered with HoloViews otherwise)."""
    import holoviews as hv

    hv.renderer("bokeh").get_plot(element).cleanup()


def _local(entry) -> bool:
    """Whether ``entry`` reads local files (its adapter names what it reads)."""
    from portal.errors import PortalError
    from portal.sources.base import get_source

    try:
        return bool(get_source(entry.source, entry.id).reads)
    except PortalError:
        return False
