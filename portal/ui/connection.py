"""What the browser does for itself: the page's language and the lost-connection notice.

Two small scripts attached to each session's Bokeh document (page and embed alike), so
they run without any file or global setting. On ``document_ready`` the ``<html lang>``
attribute takes the session's language (Panel's template writes ``en``; the server's
:class:`~portal.server.handlers.LangTransform` already fixes the first HTML for the
negotiated language, this follows later switches). On ``connection_lost`` — the server
stopped, restarted or the network dropped — a banner says so in the page's language with
a button that reloads the page, instead of a plot left spinning forever.
"""

from __future__ import annotations

from portal.i18n import t

SET_LANG_JS = "document.documentElement.lang = lang;"

LOST_JS = """
if (document.getElementById('portal-disconnected')) { return; }
const box = document.createElement('div');
box.id = 'portal-disconnected';
box.className = 'portal-disconnected';
box.setAttribute('role', 'alert');
box.style.cssText = 'position:fixed;left:50%;top:12px;transform:translateX(-50%);' +
  'z-index:100000;max-width:calc(100vw - 24px);box-sizing:border-box;padding:10px 14px;' +
  'background:#fdecea;color:#611a15;border:1px solid #f5c2c0;border-radius:6px;' +
  'font:14px system-ui,sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.2);display:flex;' +
  'gap:12px;align-items:center;flex-wrap:wrap';
const text = document.createElement('span');
text.textContent = message;
const button = document.createElement('button');
button.type = 'button';
button.textContent = reload;
button.className = 'portal-reload';
button.style.cssText = 'padding:4px 12px;border:1px solid #611a15;border-radius:4px;' +
  'background:#fff;color:#611a15;cursor:pointer;font:inherit';
button.addEventListener('click', () => window.location.reload());
box.append(text, button);
document.body.appendChild(box);
document.querySelectorAll('.pn-loading').forEach(el => el.classList.remove('pn-loading'));
"""


def watch_connection(doc, lang: str) -> None:
    """Attach the language and lost-connection scripts to a session's document."""
    from bokeh.models import CustomJS

    doc.js_on_event("document_ready", CustomJS(args={"lang": lang}, code=SET_LANG_JS))
    doc.js_on_event("connection_lost", CustomJS(
        args={"message": t("disconnected", lang), "reload": t("reload", lang)}, code=LOST_JS))
