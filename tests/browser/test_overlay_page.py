"""A two-source combined view in Chromium: a local Argo file and the loopback ERDDAP.

``/?datasets=argo_local,erddap_argo&kind=map`` draws one plot whose Bokeh legend holds an
entry for each source (both drawn, none "not drawn"), with a chip per dataset; removing a
chip updates the URL. Screenshot in ``artifacts/browser/overlay_map.png``.
"""

from __future__ import annotations

import pytest

from tests.remote.servers import ERDDAPReplay
from tests.server.conftest import serving
from tests.server.test_overlay_png import overlay_catalog

from .conftest import PLOT_TIMEOUT_MS, wait_for_plot

LEGEND_JS = """() => [...(window.Bokeh ? Bokeh.index.all_views() : [])]
    .filter(v => v.model.type === 'Figure' && v.el.isConnected)
    .flatMap(v => v.model.renderers ? [v.model] : [])
    .flatMap(f => [...f.center, ...f.left, ...f.right, ...f.below, ...f.above])
    .filter(m => m.type === 'Legend').flatMap(l => l.items)
    .map(i => (i.label && (i.label.value || i.label.field)) || '')"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("overlay-page")
    with ERDDAPReplay() as erddap, serving(overlay_catalog(folder, erddap.url), folder) as srv:
        yield srv


def test_two_source_overlay_draws_both_legend_entries(served, page, artifacts):
    page.goto(f"{served.url}/?datasets=argo_local,erddap_argo&kind=map")
    wait_for_plot(page, "overlay_map")
    page.wait_for_function(f"() => ({LEGEND_JS})().length >= 2", timeout=PLOT_TIMEOUT_MS)
    labels = page.evaluate(LEGEND_JS)
    assert any("Argo float 6901744" in label for label in labels), labels
    assert any("Argo floats via ERDDAP" in label for label in labels), labels
    assert not any("not drawn" in label for label in labels), labels
    chips = page.locator(".portal-chip-erddap_argo button")
    chips.click()
    page.wait_for_function("() => !location.search.includes('erddap_argo')",
                           timeout=PLOT_TIMEOUT_MS)
    assert "datasets=argo_local" in page.url
