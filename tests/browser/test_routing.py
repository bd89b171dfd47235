"""Chromium on ``serve --num-procs 2``: pages whose websocket reaches the other process
are relayed to the one that built them (portal/server/routing.py), draw their plot and
redraw it when a control changes; no page is built twice."""

from __future__ import annotations

import json

from tests.browser.conftest import bokeh_axis_labels, distinct_colours, wait_for_plot
from tests.browser.test_page import wait_until
from tests.server.conftest import http_get, serving
from tests.server.test_load import track_and_grid

TABS = 4


def _live_sessions(port: int) -> dict[int, int]:
    seen: dict[int, int] = {}
    for _ in range(40):
        process = json.loads(http_get(port, "/health")[2])["process"]
        seen[process["pid"]] = process["sessions"]
        if len(seen) == 2:
            break
    return seen


def test_pages_work_whichever_process_their_websocket_reaches(browser, artifacts, tmp_path):
    with serving(track_and_grid(tmp_path), tmp_path, "--num-procs", "2") as served:
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        context.set_default_timeout(120_000)
        errors: list[str] = []
        try:
            tabs = [context.new_page() for _ in range(TABS)]
            for tab in tabs:
                tab.on("pageerror", lambda exc: errors.append(str(exc)))
                tab.goto(f"{served.url}/?dataset=track&kind=map")
            for i, tab in enumerate(tabs):
                wait_for_plot(tab, f"routing-tab{i}")
            assert sum(_live_sessions(served.port).values()) == TABS  # none built twice
            for i, tab in enumerate(tabs):  # a control change travels through the relay
                assert any("Temperature" in label for label in bokeh_axis_labels(tab))
                select = tab.locator(".portal-control-var select")
                labels = select.locator("option").all_inner_texts()
                select.select_option(label=next(x for x in labels if "Salinity" in x))
                wait_until(lambda t=tab: any("Salinity" in label for label in
                                             bokeh_axis_labels(t)), 120, what="Salinity")
                tab.wait_for_function(  # the progress overlay gone
                    "() => !document.querySelector('.portal-plot.pn-loading')")
                wait_for_plot(tab, f"routing-tab{i}-changed")
            assert not errors, errors
        finally:
            context.close()
        relayed = served.log.read_text().count("websocket relayed to the worker")
    assert distinct_colours((artifacts / "routing-tab0.png").read_bytes()) >= 12
    print(f"{relayed} of {TABS} websockets relayed")
