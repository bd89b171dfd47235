"""The portal's routes for plain ``panel serve``: ``--plugins portal.server.plugin``.

Panel imports this module before it builds its server and adds :data:`ROUTES` (the
PNG quicklooks, ``/api/datasets``, ``/health``, the allow-listed components route and
the static ``/assets`` folder) beside the apps, under ``--prefix`` like Panel's own
routes. A plugin can only add routes, so importing it also wraps
``BokehTornado.__init__`` (once, process-wide: this module is imported only by a
server that asked for it) to add what ``odatis-portal serve`` adds to its Tornado
application: the ``frame-ancestors`` and security-header transforms, the ``Host``
check against the websocket origins, the allow-listed ``/components`` route, and the URL prefix in the settings
(``PORTAL_PREFIX``) when ``--prefix`` is given and no prefix is configured::

    PORTAL_CATALOGS=catalogs/demo.yaml panel serve portal/server/app.py \
        portal/server/embed.py --index app --plugins portal.server.plugin
"""

from __future__ import annotations

import functools
import os

import tornado.web

from portal.assets import static_dir
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


install()
log_exits(handle_signals=False)  # fatal signals, uncaught errors, every exit; Bokeh stops on SIGTERM
configure_login()
install_sighup()  # SIGHUP reloads the catalog, as under `odatis-portal serve`
ROUTES = [*routes(), static_route()]
