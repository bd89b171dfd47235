"""Linked views and sections are patched in place: a variable, QC or time change sends
each plot of the layout on screen its new frame (same Bokeh figures and models: new data,
labels, tooltips; the linked views' shared table refilled, its selection cleared, the
layout's title following the sample count); another layout builds new figures."""

from __future__ import annotations

import numpy as np
import param
import pytest

from portal.query import TimeRange
from tests.conftest import needs_shared
from tests.ui.drawing import draw

pytestmark = needs_shared


@pytest.fixture(scope="module")
def argo(shared):
    from portal.cataloging.scan import describe_file

    return describe_file(str(shared / "argo/multiprofile/6901744_prof.nc"), "argo")


def _pane(entry, kind: str, **state):
    from portal.ui.quicklook_pane import QuicklookPane
    from portal.ui.state import ViewState

    return QuicklookPane(state=ViewState(dataset="argo", kind=kind, **state), entry=entry,
                         plot_width=1600)  # the whole layout title (a long one is cut)


def _figures(root) -> list:
    from bokeh.plotting import figure as Figure  # noqa: N812 - the class

    return list(root.select({"type": Figure}))


def _shared_table(root):
    from bokeh.models import ColumnDataSource

    from portal.quicklooks.linked import RING_NAME

    tables = [s for s in root.select({"type": ColumnDataSource}) if RING_NAME in (s.tags or [])]
    assert len(tables) == 1
    return tables[0]


def _tooltips(root) -> str:
    from bokeh.models import HoverTool

    return " ".join(str(t.tooltips) for t in root.select({"type": HoverTool}))


def _title(root) -> str:
    from bokeh.models import Div

    return " ".join(d.text for d in root.select({"type": Div}))


def test_linked_views_take_a_new_variable_and_time_span_in_place(argo):
    from portal.quicklooks.linked import RING_NAME

    pane = _pane(argo, "linked", var="TEMP")
    drawn = draw(pane)
    root = drawn.get_root()
    figures, models = _figures(root), len(list(root.references()))
    table = _shared_table(root)
    table.selected.indices = [0, 1, 2]  # a selection made in the browser
    temperature = float(np.nanmean(table.data["value"]))
    assert "Sea temperature" in _tooltips(root) and "3,290 samples" in _title(root)

    pane.state.var = "PSAL"
    assert draw(pane) is param.Skip  # no new figures: the ones on screen were patched
    assert _figures(root) == figures and _shared_table(root) is table
    assert len(list(root.references())) == models  # no model added (one ring layer still)
    assert len(list(root.select({"name": RING_NAME}))) == 1
    assert 33 < float(np.nanmean(table.data["value"])) < 38 != temperature
    assert "Practical salinity" in _tooltips(root) and "Sea temperature" not in _tooltips(root)
    assert table.selected.indices == []  # the rows it named are other samples now

    pane.state.time = TimeRange.parse("2015-04-01/2015-09-30")
    assert draw(pane) is param.Skip
    rows = len(table.data["value"])
    assert 0 < rows < 3290
    times = np.asarray(table.data["time"], "datetime64[ns]")
    assert times.max() <= np.datetime64("2015-10-01")
    assert f"{rows:,} samples" in _title(root) and "3,290 samples" not in _title(root)


def test_a_section_takes_a_new_variable_in_place_and_another_kind_is_built_anew(argo):
    from bokeh.models import ColorBar

    pane = _pane(argo, "section", var="TEMP")
    drawn = draw(pane)
    root = drawn.get_root()
    figures = _figures(root)
    bar = next(m for m in root.select({"type": ColorBar}))
    assert "Sea temperature" in bar.title

    pane.state.var = "PSAL"
    assert draw(pane) is param.Skip
    assert _figures(root) == figures
    assert "Practical salinity" in bar.title  # the colour bar names the new variable
    assert 33 < bar.color_mapper.low < bar.color_mapper.high < 38

    pane.state.kind = "linked"  # another layout: new figures
    assert draw(pane) is not param.Skip
    pane.state.kind = "section"
    assert draw(pane) is not param.Skip


def test_a_layout_is_patchable_only_when_each_plot_is_static(argo):
    import holoviews as hv

    from portal.ui.patch_layout import layout_patchable

    static = hv.Points([(0, 1)]) + hv.Curve([(0, 1)])
    assert layout_patchable("section", argo, static)
    assert not layout_patchable("map", argo, static)  # maps have their own patcher
    rasterized = hv.DynamicMap(lambda: hv.Image(np.zeros((2, 2)))) + hv.Curve([(0, 1)])
    assert not layout_patchable("section", argo, rasterized)  # drawn again per zoom
