"""Start Panel's server with the portal's apps, routes and security headers.

``serve(args)`` is what ``odatis-portal serve`` runs: it writes the settings to
``PORTAL_*`` variables (so forked processes and plain ``panel serve`` agree),
checks the catalogs once, and calls ``pn.serve`` with the page at ``/``, the embed
at ``/embed``, the extra routes, the static folder, websocket origins and the
frame-ancestors transform; websocket messages are deflate-compressed. With
``--num-procs N`` a page's websocket is relayed to the worker that built its session
(:mod:`portal.server.routing`).
"""

from __future__ import annotations

import logging
import os
import urllib.parse

from portal.assets import static_dir
from portal.settings import Settings

log = logging.getLogger(__name__)
#: permessage-deflate level of the page's websocket (see ``serve``: speed over a few % bytes)
WEBSOCKET_COMPRESSION_LEVEL = 1


def page_app():
    from portal.server.auth import session_catalog, session_identity
    from portal.ui.page import portal_page

    return portal_page(session_catalog(), session_identity())


def embed_app():
    from portal.server.auth import session_catalog, session_identity
    from portal.ui.page import embed_page

    return embed_page(session_catalog(), session_identity())


def skip_mathjax() -> None:
    """Leave Bokeh's 1.8 MB MathJax bundle out of every page.

    Panel 1.9 adds it to any page holding an HTML pane, in case the text has LaTeX;
    the portal renders no LaTeX (metadata text is escaped and shown as typed), and
    parsing that bundle delayed the first paint by about 0.3 s. Process-wide and
    read-only after start-up: it changes which files a page lists, nothing per session.
    """
    from panel.io import resources

    if hasattr(resources, "_panel_use_mathjax"):
        resources._panel_use_mathjax = lambda roots: False


def use_system_allocator_for_arrow() -> None:
    """Arrow buffers from the C library's allocator instead of pyarrow's default mimalloc
    pool: a 10⁷-row CSV export spent 3–4 s of system CPU in mimalloc's page handling,
    1.3–1.6 s with the system pool; freed memory also goes where ``malloc_trim`` (after
    renders) hands it back. Process-wide, set once at start-up before any request."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def warm_up() -> None:
    """Import the plotting stack and compile Datashader's kernels before the first
    visitor: the first map otherwise waits seconds for Numba; the other kinds' first
    figures are built once too (:mod:`portal.server.warmup`)."""
    use_system_allocator_for_arrow()
    import numpy as np
    import pandas as pd
    import xarray as xr

    from portal.quicklooks import Style, ensure_backends
    from portal.quicklooks import map as map_
    from portal.ui.bokeh_defaults import memoize_stable_defaults
    from portal.ui.render_thread import per_thread_bokeh_validation

    ensure_backends()
    per_thread_bokeh_validation()  # figures are built in worker threads as well
    memoize_stable_defaults()  # every walk over a document reads them
    import holoviews as hv

    rng = np.random.default_rng(0)
    obs = xr.Dataset({"v": ("obs", rng.random(30_000))},
                     coords={"longitude": ("obs", rng.uniform(-10, 0, 30_000)),
                             "latitude": ("obs", rng.uniform(40, 50, 30_000)),
                             "time": ("obs", pd.date_range("2020", periods=30_000, freq="min")),
                             "feature": ("obs", np.zeros(30_000, "int32"))})
    grid = xr.DataArray(rng.random((20, 30)), dims=("latitude", "longitude"), name="g",
                        coords={"latitude": np.linspace(40, 50, 20),
                                "longitude": np.linspace(-10, 0, 30)})
    for data in (obs, grid):
        element = map_.build(data, variable="v", feature_type="trajectory", title="warm-up",
                             style=Style(width=300, height=200))
        hv.renderer("bokeh").get_plot(element)
    from portal.server.warmup import warm_kinds

    warm_kinds()  # profile, series, T-S, section, time-depth: their first figure's set-up
    from portal.pointstore.aggregate import warmup
    from portal.render.landing import land_png
    from portal.render.png import freeze_startup_heap

    warmup()
    land_png(1024)  # the first paint's landing map, drawn before the first visitor
    freeze_startup_heap()  # renders' garbage is then collected at once, in milliseconds


def _origins(args) -> list[str]:
    origins = list(args.allow_websocket_origin or [])
    own = f"{args.address}:{args.port}"
    if own not in origins:
        origins.append(own)
    public = urllib.parse.urlsplit(getattr(args, "public_url", None) or "").netloc
    if public and public not in origins:  # the browser's Origin behind a reverse proxy
        origins.append(public)
    if args.address in ("localhost", "127.0.0.1"):
        for host in ("localhost", "127.0.0.1"):
            if f"{host}:{args.port}" not in origins:
                origins.append(f"{host}:{args.port}")
    return origins


def settings_for(args, catalogs: tuple[str, ...]) -> Settings:
    """Command-line values over the settings (config file and ``PORTAL_*`` environment:
    ``PORTAL_LAYOUT``, and the origins, scheduler, prefix and public URL when no flag is
    given; the public URL defaults to ``http://ADDRESS:PORT``), written back to the
    environment for the app processes."""
    import dataclasses

    base = Settings.load()
    own = f"http://{getattr(args, 'address', 'localhost')}:{getattr(args, 'port', 5006)}"
    return dataclasses.replace(
        base, catalogs=catalogs,
        embed_origins=tuple(args.embed_origin or base.embed_origins),
        dask_scheduler=getattr(args, "dask_scheduler", None) or base.dask_scheduler,
        prefix=getattr(args, "prefix", None) or base.prefix,
        public_url=getattr(args, "public_url", None) or base.public_url or own)


def serve(args) -> int:
    """Serve until interrupted; returns the exit status."""
    import panel as pn

    from portal.catalog.loader import load_catalog
    from portal.demo.home import prepare_catalogs
    from portal.server.auth import check_login, configure_panel, panel_oauth_kwargs
    from portal.server.handlers import FrameAncestorsTransform, LangTransform, routes
    from portal.server.lifecycle import log_exits, will_fork
    from portal.server.security import SecurityHeadersTransform, allowed_hosts

    log_exits()  # a crash while loading the catalog or warming up is logged too
    from portal.render.png import limit_malloc_arenas

    limit_malloc_arenas()  # before any thread: freed memory reused across threads
    if args.num_procs != 1:
        will_fork()  # SIGTERM to the parent reaches the forked workers
    if getattr(args, "config", None):  # before anything reads the settings
        os.environ["PORTAL_CONFIG"] = os.path.abspath(args.config)
    catalogs = prepare_catalogs(args.catalog or Settings.load().catalogs)
    settings = settings_for(args, catalogs)
    os.environ.update(settings.to_env())
    check_login(settings)  # sign-in on without its secrets: stop here, saying which
    configure_panel(settings)
    from portal.ui.page import load_layout

    load_layout(settings.layout)  # a bad PORTAL_LAYOUT stops here, not in every visitor's page
    catalog = load_catalog(list(catalogs))
    count = len(catalog)
    log.info("serving %d datasets from %s on http://%s:%d%s (public %s)", count,
             ", ".join(catalogs), args.address, args.port, settings.base_path,
             settings.link("/"))
    pn.extension(loading_indicator=True)
    skip_mathjax()
    warm_up()
    from portal.server.context import install_sighup

    install_sighup()  # SIGHUP: reload the catalog (a changed file is picked up anyway)
    from portal.server.routing import bind_private_sockets, route_websockets

    private = bind_private_sockets(args.num_procs)  # before the fork: one per worker
    from portal.server.balance import handoff_channels, shared_loads

    # before the fork too: each worker's load in shared memory, and a channel to hand a
    # page's connection to the least loaded worker
    loads, channels = shared_loads(len(private)), handoff_channels(len(private))
    server = pn.serve(
        {"/": page_app, "embed": embed_app},
        port=args.port, address=args.address, show=args.show,
        websocket_origin=_origins(args), num_procs=args.num_procs,
        extra_patterns=routes(), static_dirs={"assets": str(static_dir())},
        title="ODATIS quicklook portal", prefix=settings.base_path,
        transforms=[FrameAncestorsTransform, SecurityHeadersTransform, LangTransform],
        admin=False, threaded=False, start=False,
        # permessage-deflate: a map update is mostly a float image with empty (NaN) areas;
        # deflate takes a 2.8 MB glider-map update to ~30 KB on the wire. Level 1, not 6: a
        # zoom on a dense 10^9-point store sends 2 x 457 KB of float32, which level 6 took
        # 130 ms to compress (on the event loop, before any byte left) and level 1 29 ms,
        # for 361 KB instead of 345 KB
        websocket_compression_level=WEBSOCKET_COMPRESSION_LEVEL,
        **panel_oauth_kwargs(settings),  # OpenID Connect sign-in when configured
    )
    from portal.server.first_paint import install

    install(server._tornado, settings.base_path)  # GET /: the first paint before the session
    worker = route_websockets(server, private)  # each worker: a page's websocket to its builder
    from portal.server.balance import balance_pages

    balance_pages(server, loads, channels, worker, settings.base_path)  # pages: least loaded
    _run(server, allowed_hosts(_origins(args)), list(catalog))
    return 0


def _run(server, hosts: tuple[str, ...], entries: list | None = None) -> None:
    """Answer only the allowed ``Host`` names (DNS rebinding), then serve until stopped,
    warming the caches with the first page of each of ``entries`` meanwhile. In each
    process, after ``--num-procs`` forked them: the warm-up's libraries start thread
    pools (the series' decimation), which a process forked after them would wait on for
    ever."""
    from portal.server.handlers import HealthHandler
    from portal.server.lifecycle import log_exits
    from portal.server.security import restrict_hosts

    restrict_hosts(server._tornado, hosts, exempt=[(r"/health/?", HealthHandler)])
    loop = server.io_loop
    log_exits(stop=lambda: loop.asyncio_loop.call_soon_threadsafe(loop.stop))  # SIGTERM: clean
    server.start()
    from portal.server.warmup import start_process

    start_process(loop, entries or [])  # in each process: trims, paced collections, warm-up
    try:
        loop.start()
    finally:
        log.info("stopped, pid %d", os.getpid())
