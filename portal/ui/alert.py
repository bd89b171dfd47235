"""Error messages in the page, always as plain text.

Panel's ``Alert`` renders Markdown, so a dataset id from the URL such as
``[Log in](https://evil.example)`` became a link and ``![x](…)`` an image fetch.
:func:`error_alert` draws the heading and the message as escaped HTML text inside
Panel's alert styling. :func:`public_message` is what a visitor may read: the
portal's own errors say what went wrong; anything else (a library's message may
hold server paths) is a generic line, logged in full on the server.
"""

from __future__ import annotations

import html
import logging

import panel as pn

from portal.errors import NoDataInSelection, PortalError
from portal.errors import public_message as portal_message
from portal.text import clean_text
from portal.ui.i18n import t

log = logging.getLogger(__name__)


class PlainAlert(pn.pane.HTML):
    """An HTML pane with Panel's alert look; its text is escaped by :func:`error_alert`."""

    _stylesheets = [*pn.pane.HTML._stylesheets, *pn.pane.Alert._stylesheets]


def public_message(exc: BaseException, lang: str = "en") -> str:
    """The message a visitor sees for ``exc`` (no traceback, no server detail)."""
    if isinstance(exc, PortalError):
        return clean_text(portal_message(exc))  # server paths stripped
    return t("unexpected_error", lang)


def error_alert(exc: BaseException | None, lang: str, heading: str | None = None) -> PlainAlert:
    """A danger (or, for an empty selection, warning) alert showing ``exc`` as text
    (only the heading when ``exc`` is None)."""
    empty = isinstance(exc, NoDataInSelection)
    heading = heading or t("no_data" if empty else "error", lang)
    body = html.escape(public_message(exc, lang)) if exc is not None else ""
    para = f"<p style='white-space:pre-wrap;margin:6px 0 0 0'>{body}</p>" if body else ""
    return PlainAlert(f"<b>{html.escape(heading)}</b>{para}", sizing_mode="stretch_width",
                      css_classes=["alert", f"alert-{'warning' if empty else 'danger'}",
                                   "portal-error"])


def _log(exc: BaseException, what: str) -> None:
    if isinstance(exc, PortalError):
        log.warning("%s: %s", what, exc)
    else:
        log.error("%s", what, exc_info=exc)


def guarded_pane(state, build):
    """``(pane, notice)`` from ``build()``; when the URL's selection breaks it, the
    selection is dropped and the pane built again below a notice saying so.

    ``pane`` is None (and ``notice`` the error) when even the plain view fails.
    """
    try:
        return build(), None
    except Exception as exc:  # noqa: BLE001 - a bad link must not replace the page
        _log(exc, "view from the link failed")
        state.param.update(time=None, at="", depth=None, bbox=None, extent=None, view="", var="", kind="")
        notice = error_alert(exc if isinstance(exc, PortalError) else None, state.lang,
                             heading=t("view_reset", state.lang))
    try:
        return build(), notice
    except Exception as exc:  # noqa: BLE001
        _log(exc, "view failed")
        return None, error_alert(exc, state.lang)


def failed_page(exc: BaseException, lang: str):
    """The page when nothing else could be built: one message, no traceback."""
    _log(exc, "page failed")
    return pn.Column(error_alert(exc, lang, heading=t("page_failed", lang)),
                     sizing_mode="stretch_width")
