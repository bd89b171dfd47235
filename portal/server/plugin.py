"""The portal's routes for plain ``panel serve``: ``--plugins portal.server.plugin``.

Panel imports this module before it builds its server and adds :data:`ROUTES` (the
PNG quicklooks, ``/api/datasets``, ``/health``, the allow-listed components route and
the static ``/assets`` folder) beside the apps, under ``--prefix`` like Panel's own
routes. A plugin can only add routes, so importing it also wraps
``BokehTornado.__init__`` (once, process-wide: this module is imported only by a
server that asked for it) to add what ``odatis-portal serve`` adds to its Tornado
application: the ``frame-ancestors`` and security-header transforms, the ``Host``
check against the websocket origins, the allow-listed ``/components`` route, the URL
prefix in the settings (``PORTAL_PREFIX``) when ``--prefix`` is given and no prefix is
configured; and (wrapping ``HTTPServer.add_sockets``), in each process once it has its
sockets (``--num-procs`` forks after Bokeh built the application), the heap trimmer,
paced full collections and catalog warm-up (:func:`portal.server.warmup.start_process`).
Importing it limits glibc's malloc arenas (before the server starts threads) and lets
the portal's log through at INFO (catalog loaded, entries skipped, warm-up), as
``odatis-portal serve`` does::

    PORTAL_CATALOGS=catalogs/demo.yaml panel serve portal/server/app.py \
        portal/server/embed.py --index app --plugins portal.server.plugin
"""

from __future__ import annotations

import functools
import logging
import os

import tornado.web

from portal.assets import static_dir
from portal.render.png import limit_malloc_arenas
from portal.server.context import install_sighup
from portal.server.handlers import routes
from portal.server.lifecycle import log_exits


def static_route() -> tuple:
    """``/assets/…``: the portal's CSS, logos and land layer (``--static-dirs`` not needed)."""
    return (r"/assets/(.*)", tornado.web.StaticFileHandler, {"path": str(static_dir())})


def harden(app: tornado.web.Application, prefix: str, origins) -> None:
    """Give a Tornado application built by ``panel serve`` what ``serve`` gives its own."""
    from portal.server.handlers import FrameAncestorsTransform, LangTransform
    from portal.server.security import SecurityHeadersTransform, allowed_hosts, restrict_hosts

    shadow_components_route(app)
    for transform in (FrameAncestorsTransform, SecurityHeadersTransform, LangTransform):
        if transform not in app.transforms:
            app.add_transform(transform)
    if prefix and not os.environ.get("PORTAL_PREFIX"):
        os.environ["PORTAL_PREFIX"] = prefix  # before any session reads the settings
    restrict_hosts(app, allowed_hosts(origins or ()))


def shadow_components_route(app: tornado.web.Application) -> None:
    """Serve Panel's ``/components/…`` route with the allow-listed handler: ``panel serve``
    puts its own route before the plugin's, and Panel's imports any module named."""
    from panel.io.server import ComponentResourceHandler

    from portal.server.security import ComponentsHandler

    for rule in app.wildcard_router.rules:
        if rule.target is ComponentResourceHandler:
            rule.target = ComponentsHandler


def install() -> None:
    """Wrap ``BokehTornado.__init__`` so every application gets :func:`harden` (idempotent)."""
    from bokeh.server.tornado import BokehTornado

    init = BokehTornado.__init__
    if getattr(init, "_portal_hardened", False):
        return

    @functools.wraps(init)
    def wrapped(self, *args, **kwargs):
        init(self, *args, **kwargs)
        harden(self, self.prefix, getattr(self, "_websocket_origins", ()))

    wrapped._portal_hardened = True  # type: ignore[attr-defined]  # a marker on a function
    BokehTornado.__init__ = wrapped  # type: ignore[method-assign]  # the patch itself
    start_with_sockets()


def start_with_sockets() -> None:
    """Wrap ``HTTPServer.add_sockets``: Bokeh builds its application before the fork
    (``HTTPServer.start(num_procs)``) and hands each process its sockets after it, the
    first moment a process's loop may be touched (an ``IOLoop`` made before the fork
    is shared by the workers: "Cannot start Bokeh server [EEXIST]"). A Bokeh
    application's server then runs :func:`start_once_per_process`."""
    from bokeh.server.tornado import BokehTornado
    from tornado.httpserver import HTTPServer

    add = HTTPServer.add_sockets
    if getattr(add, "_portal_starts", False):
        return

    @functools.wraps(add)
    def wrapped(self, sockets):
        add(self, sockets)
        if isinstance(self.request_callback, BokehTornado):
            start_once_per_process()

    wrapped._portal_starts = True  # type: ignore[attr-defined]  # a marker on a function
    HTTPServer.add_sockets = wrapped  # type: ignore[method-assign]  # the patch itself


def start_once_per_process() -> None:
    """:func:`~portal.server.warmup.start_process` on this process's loop, the first time
    a Bokeh application's server gets its sockets in it (a forked worker starts its
    own), with the catalog's entries; a catalog that does not load is warmed by nothing
    (the page says why)."""
    import tornado.ioloop

    from portal.server.context import catalog
    from portal.server.warmup import start_process

    if os.getpid() in _STARTED:
        return
    _STARTED.add(os.getpid())
    try:
        entries = list(catalog())
    except Exception as exc:  # noqa: BLE001 - the pages name a catalog error themselves
        logging.getLogger(__name__).warning("no catalog warm-up: %s: %s",
                                            type(exc).__name__, exc)
        entries = []
    start_process(tornado.ioloop.IOLoop.current(), entries)


_STARTED: set[int] = set()  # the processes whose services started (pid: a fork starts anew)


def configure_login() -> None:
    """Sign-in from the settings (``login:`` / ``PORTAL_LOGIN_*``), set on ``pn.config``
    before ``panel serve`` reads it; a sign-in without its secrets stops the server here,
    saying which is missing."""
    from portal.errors import PortalError
    from portal.server.auth import check_login, configure_panel
    from portal.settings import current

    try:
        check_login(current())
    except PortalError as exc:
        raise SystemExit(f"odatis-portal: {exc}") from None
    configure_panel(current())


limit_malloc_arenas()  # before the server's threads: freed memory reused across them
if logging.getLogger("portal").level == logging.NOTSET:  # Bokeh leaves the root at WARNING
    logging.getLogger("portal").setLevel(logging.INFO)  # catalog, warm-up: as under `serve`
install()
log_exits(handle_signals=False)  # fatal signals, uncaught errors, every exit; Bokeh stops on SIGTERM
configure_login()
install_sighup()  # SIGHUP reloads the catalog, as under `odatis-portal serve`
ROUTES = [*routes(), static_route()]
