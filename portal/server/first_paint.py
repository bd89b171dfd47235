"""``GET /`` and ``/embed``: the first paint is sent before Panel builds the session.

Panel answers a page request only once the session's document is built: the page's
Python (list, map, quicklook pane) takes a few hundred milliseconds, more under load, and
the browser shows nothing until then. :class:`FirstPaintDocHandler`, Panel's document
handler for the page and embed routes (swapped in by :func:`install`), first writes and
flushes a small ``<head>`` and the first paint (:func:`portal.ui.prepaint.first_paint`, or
:func:`~portal.ui.prepaint.embed_paint`: the quicklook's PNG alone, from the request alone:
its identity's catalog, language and parameters), then lets Panel build
the session and sends Panel's page after it, less what was already sent (the doctype,
``<html>``, ``<head>`` and ``<body>`` tags, and the page's own copy of the first paint).
The rest of Panel's head (styles, scripts) then sits in the body, which browsers accept.
A shared link's PNG starts rendering in a thread at once; the handler waits for it (up to
:data:`WAIT_PNG_S`, the event loop free meanwhile) and sends it into the first paint as a
``data:`` URL before Panel builds the session, which holds the event loop and so would
hold the image's own request too. The PNG rendered first also loads the data Panel's plot
then reads from the data cache.
The request is not streamed where Panel may still answer otherwise (a redirect to add the
prefix's slash, an authorization callback).
"""

from __future__ import annotations

import html
import logging
import re
from typing import Any

import tornado.web
from panel.io.server import DocHandler
from tornado.iostream import StreamClosedError

log = logging.getLogger(__name__)
WAIT_PNG_S = 2.0  # how long the page waits for a shared link's PNG before building Panel's

_HEAD = ("<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
         "<title>{title}</title>\n<style>html, body {{ box-sizing: border-box; "
         "height: 100%; margin: 0; padding: 0; }}</style>\n</head>\n<body>\n")


def rest_of_page(page: str) -> str:
    """Panel's page without the parts the first chunk already sent: the doctype, the
    ``<html>``, ``<head>``/``</head>`` and ``<body>`` tags, and the first paint block
    (between its ``portal-prepaint`` comments)."""
    from portal.ui.prepaint import BEGIN, END

    head = re.search(r"<head[^>]*>(.*?)</head>\s*<body[^>]*>", page, re.S)
    if head is None:  # not the template's page: send it whole
        return page
    rest = head.group(1) + page[head.end():]
    start, end = rest.find(BEGIN), rest.find(END)
    if start >= 0 and end > start:
        rest = rest[:start] + rest[end + len(END):]
    return rest


class FirstPaintDocHandler(DocHandler):
    """Panel's page handler, streaming the first paint before the session is built."""

    _streamed = False
    _ahead: Any = None  # the shared link's PNG being rendered (an asyncio future)

    def _first_chunk(self) -> str:
        """The head and the first paint for this request; '' when it is not streamed."""
        from panel.config import config

        from portal.i18n import negotiate
        from portal.query import param_value
        from portal.server.auth import request_catalog, request_identity
        from portal.settings import Settings
        from portal.ui.i18n import t
        from portal.ui.page import load_layout
        from portal.ui.prepaint import embed_html, embed_paint, first_paint, prepaint_html

        prefix = self.application.prefix
        if config.authorize_callback or (prefix and self.request.path == prefix
                                         and not prefix.endswith("/")):
            return ""
        args = {k: param_value(self.request.arguments, k) for k in self.request.arguments}
        lang = negotiate(args.get("lang", ""), self.request.headers.get("Accept-Language"))
        catalog = request_catalog(self)
        if self.request.path.rstrip("/").endswith("/embed"):
            lang = args.get("lang", "en") if args.get("lang") in ("en", "fr") else "en"
            paint = embed_paint(catalog, lang, args, load_layout("embed"))
            if paint is None:
                return ""
            body = embed_html(paint)
            title = "ODATIS quicklook"
        else:
            paint = first_paint(catalog, lang, args, load_layout(Settings.from_env().layout),
                                request_identity(self))
            body = prepaint_html(paint)
            title = t("portal_title", lang)
        if paint.plot_request:
            self._render_ahead(catalog, *paint.plot_request)
        return _HEAD.format(lang=lang, title=html.escape(title)) + body

    def _render_ahead(self, catalog, dataset_id: str, kind: str, params: dict) -> None:
        """Start rendering the shared link's PNG in a thread now: the browser asks for it
        only once Panel has built the session (the server answers nothing meanwhile), and
        then finds it in the PNG cache."""
        import asyncio

        from portal.server.handlers import _render_cached, parse_png_args

        query, style_kw = parse_png_args(params)
        future = asyncio.get_running_loop().run_in_executor(
            None, _render_cached, catalog[dataset_id], kind, query,
            tuple(sorted(style_kw.items())))
        future.add_done_callback(lambda f: f.exception())  # its own request reports errors
        self._ahead = future

    async def _inline_png(self) -> str:
        """A script putting the shared link's PNG into the first paint as a ``data:`` URL,
        once rendered (at most :data:`WAIT_PNG_S`; '' if later or failed): its own request
        would wait until Panel has built the session."""
        import asyncio
        import base64

        try:
            png = await asyncio.wait_for(asyncio.shield(self._ahead), WAIT_PNG_S)
        except Exception:  # noqa: BLE001 - too slow or failed: the <img> asks the PNG route
            return ""
        data = base64.b64encode(png).decode("ascii")
        return ("<script>(function () { var img = document.querySelector("
                f"'#portal-prepaint .pp-plot'); if (img) {{ img.src = 'data:image/png;base64,"
                f"{data}'; }} }})();</script>\n")

    @tornado.web.authenticated  # as Panel's: a required sign-in redirects before any byte
    async def get(self, *args: Any, **kwargs: Any) -> None:
        from portal.server.balance import SETTINGS_KEY

        balancer = self.application.settings.get(SETTINGS_KEY)  # --num-procs: a load
        if balancer is not None:
            balancer.page_started()
        try:
            await self._get(*args, **kwargs)
        except StreamClosedError:  # the visitor went elsewhere while the page streamed
            log.info("%s: the visitor left before the page was sent", self.request.uri)
        finally:
            if balancer is not None:
                balancer.page_done()

    async def _get(self, *args: Any, **kwargs: Any) -> None:
        try:
            first = self._first_chunk()
        except Exception:  # noqa: BLE001 - Panel's page alone, as without this handler
            log.exception("first paint of %s not streamed", self.request.uri)
            first = ""
        if first:
            self.set_header("Content-Type", "text/html")
            self.set_header("Cache-Control", "no-store")
            self.write(first)
            self._streamed = True
            await self.flush()
            if self._ahead is not None and (script := await self._inline_png()):
                self.write(script)
                await self.flush()
        done = super().get(*args, **kwargs)  # wrapped by Panel's @authenticated
        if done is not None:
            await done

    def write(self, chunk: Any) -> None:
        if self._streamed and isinstance(chunk, str) and chunk.lstrip().startswith("<!DOCTYPE"):
            chunk = rest_of_page(chunk)
        super().write(chunk)


def install(app, base_path: str = "") -> int:
    """Serve the page and embed routes (``/`` and ``/embed`` under ``base_path``, the
    prefix) of Panel's Tornado ``app`` with :class:`FirstPaintDocHandler`; every other route
    is left as it is. Returns how many rules were changed (Tornado may list a route twice)."""
    import re as re_

    from tornado.routing import PathMatches

    paths = {f"{base_path}/?$", f"{re_.escape(base_path)}/?$", f"{base_path}/embed/?$",
             f"{re_.escape(base_path)}/embed/?$"}
    changed = 0
    for rule in _rules(app):
        if (isinstance(rule.matcher, PathMatches) and rule.target is DocHandler
                and rule.matcher.regex.pattern in paths):
            rule.target = FirstPaintDocHandler
            changed += 1
    return changed


def _rules(app) -> list:
    """Every URL rule of ``app``, inside its host rules too."""
    found: list = []
    for rule in app.default_router.rules + app.wildcard_router.rules:
        target = rule.target
        found.extend(getattr(target, "rules", [rule]))
    return found
