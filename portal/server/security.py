"""Request-level protections of the portal's Tornado server.

Panel's ``/components/<module>/…`` route imports the module named in the URL, so
any importable module's top level (a CLI ``__main__``, ``this``) could be run by
one anonymous GET: :class:`ComponentsHandler` replaces it and serves component
resources only from modules that are already imported and belong to the plotting
packages, never importing anything. :func:`restrict_hosts` answers 403 to any
request (HTTP or websocket) whose ``Host`` is not an allowed host name, which stops
DNS rebinding (Tornado skips the websocket origin check when ``Origin`` equals
``Host``). :class:`SecurityHeadersTransform` adds ``X-Content-Type-Options: nosniff``
and a ``Cache-Control`` to every response that sets none.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable

import tornado.web
from panel.io.server import ComponentResourceHandler

COMPONENT_PACKAGES = ("panel", "bokeh", "holoviews", "geoviews")


def component_module_allowed(name: str) -> bool:
    """Whether ``/components/NAME/…`` may serve resources of module ``NAME``.

    Only modules already imported by the server (so no top level runs) whose top
    package is one of :data:`COMPONENT_PACKAGES`, and never a ``__main__``.
    """
    parts = name.split(".")
    return (parts[0] in COMPONENT_PACKAGES and "__main__" not in parts
            and all(p.isidentifier() for p in parts) and name in sys.modules)


class ComponentsHandler(ComponentResourceHandler):
    """Panel's component-resource route with an allow-list of modules (404 otherwise)."""

    def parse_url_path(self, path: str) -> str:
        if not component_module_allowed(path.split("/", 1)[0]):
            raise tornado.web.HTTPError(404, "Module not found")
        return super().parse_url_path(path)


def component_route() -> tuple:
    """The route that must come before Panel's own ``/components/(.*)``."""
    return (r"/components/(.*)", ComponentsHandler, {})


def allowed_hosts(origins: Iterable[str]) -> tuple[str, ...]:
    """Host names (no port) from websocket origins like ``host:port`` or ``https://host``;
    ``("*",)`` when any origin is allowed."""
    hosts: list[str] = []
    for origin in origins:
        host = re.sub(r"^[a-z]+://", "", origin.strip().lower()).split("/", 1)[0]
        if host == "*":
            return ("*",)
        host = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0]
        if host and host not in hosts:
            hosts.append(host)
    return tuple(hosts)


class ForbiddenHostHandler(tornado.web.RequestHandler):
    """403 for a request whose Host header is not one of the portal's names; 404 for one
    that names the portal but a path no route serves (it falls through to here too)."""

    def initialize(self, allowed: str = "$^") -> None:
        self.allowed = allowed

    def prepare(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        if re.match(self.allowed, self.request.host_name):
            self.set_status(404)
            self.finish("404: no such page here (see /api/datasets for what is served)\n")
            return
        self.set_status(403)
        self.finish("403: this host name is not served here\n")


def restrict_hosts(app: tornado.web.Application, hosts: Iterable[str],
                   exempt: list | None = None) -> None:
    """Route requests with another ``Host`` (HTTP and websocket alike) to a 403.

    Tornado's application router tries host rules in order; the catch-all rule that
    holds every route is narrowed to the allowed names and a final rule answers 403,
    except for the ``exempt`` routes (``/health``: probes ask by IP address).
    """
    from tornado.routing import AnyMatches, HostMatches, Rule

    names = tuple(hosts)
    if "*" in names or not names:
        return
    router = app.default_router
    last = router.rules[-1]
    pattern = "(" + "|".join(re.escape(h) for h in names) + ")$"
    router.rules[-1] = Rule(HostMatches(pattern), last.target, last.target_kwargs, last.name)
    router.add_rules([(AnyMatches(), [*(exempt or []), (r".*", ForbiddenHostHandler,
                                                        {"allowed": pattern})])])


class SecurityHeadersTransform(tornado.web.OutputTransform):
    """``X-Content-Type-Options: nosniff`` on every response, and ``Cache-Control``
    where the handler set none: ``no-store`` for errors, ``no-cache`` otherwise (pages,
    API and websocket handshakes are revalidated; PNGs and static files set their own)."""

    def transform_first_chunk(self, status_code, headers, chunk, finishing):
        headers["X-Content-Type-Options"] = "nosniff"
        if "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store" if status_code >= 400 else "no-cache"
        return status_code, headers, chunk
