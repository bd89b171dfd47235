"""The page and an embed drawn in Chromium through a real nginx reverse proxy under a prefix.

Lives with the browser tests to share their session's Chromium (a second sync Playwright in
the same session would find the first one's event loop running); the proxy fixture is the
server tests' (:mod:`tests.server.test_proxy`).
"""

from __future__ import annotations

from tests.browser.conftest import wait_for_plot
from tests.server.test_proxy import ARTIFACTS, PREFIX, proxied  # noqa: F401 - the fixture


def _open(browser, url: str):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    context.set_default_timeout(120_000)
    page = context.new_page()
    page.errors, page.sockets, page.requests = [], [], []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.on("websocket", lambda ws: page.sockets.append(ws.url))
    page.on("request", lambda req: page.requests.append(req.url))
    page.goto(url)
    return context, page


def test_browser_draws_page_and_embed_through_the_proxy(proxied, browser):  # noqa: F811
    proxy_port, public = proxied
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context, page = _open(browser, f"{public}{PREFIX}/?dataset=grid")
    try:
        wait_for_plot(page, "proxy-page-plot")
        page.screenshot(path=str(ARTIFACTS / "proxy-page.png"))
        links = page.evaluate("""() => { const out = []; const walk = (root) => {
            for (const el of root.querySelectorAll('*')) { if (el.shadowRoot) walk(el.shadowRoot);
              if (el.tagName === 'A' && el.classList.contains('portal-link')) out.push(el.href); } };
            walk(document); return out; }""")
        assert page.sockets and all(u.startswith(f"ws://127.0.0.1:{proxy_port}{PREFIX}/")
                                    for u in page.sockets)
        assert any(u.startswith(f"{public}{PREFIX}/quicklook/grid/") for u in links), links
        assert any(u.startswith(f"{public}{PREFIX}/embed?dataset=grid") for u in links), links
        outside = [u for u in page.requests if u.startswith(public)
                   and not u.startswith(f"{public}{PREFIX}/")]
        assert not outside, outside
        assert not page.errors
    finally:
        context.close()
    context, page = _open(browser, f"{public}{PREFIX}/embed?dataset=grid&kind=map")
    try:
        wait_for_plot(page, "proxy-embed-plot")
        assert page.sockets and not page.errors
    finally:
        context.close()
