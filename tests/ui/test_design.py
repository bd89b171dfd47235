"""The page's design: Panel's own, its themes' style-sheet paths read without the disk."""

from __future__ import annotations

import os

import panel as pn
import pytest

from portal.catalog.loader import Catalog
from portal.model import DatasetEntry
from portal.ui.design import plain_paths


@pytest.mark.parametrize("template", ["VanillaTemplate", "FastListTemplate",
                                      "BootstrapTemplate", "MaterialTemplate"])
def test_a_plain_design_gives_each_component_the_same_style_sheets(template):
    panels = plain_paths(getattr(pn.template, template).param.design.default)
    original = panels.__mro__[1]
    widgets = [pn.widgets.Select(options=["a", "b"]), pn.widgets.Button(label="x"),
               pn.pane.HTML("<p>x</p>"), pn.Column()]
    for name in original._themes:
        ours, theirs = panels(theme=name).theme, original(theme=name).theme
        assert (ours.base_css, ours.css) == (theirs.base_css, theirs.css)
        for widget in widgets:
            assert panels._get_modifiers(widget, ours) == original._get_modifiers(widget, theirs)


def test_reading_a_plain_theme_s_paths_looks_nothing_up_on_disk(monkeypatch):
    theme = plain_paths(pn.theme.Design)(theme="default").theme
    assert theme.base_css and os.path.isfile(theme.base_css)
    looked_up: list[str] = []
    real = os.path.isfile
    monkeypatch.setattr(os.path, "isfile", lambda p: looked_up.append(p) or real(p))
    for _ in range(10):
        assert theme.base_css.endswith(".css")
    assert looked_up == []
    assert pn.theme.Design(theme="default").theme.base_css  # Panel's own: looked up
    assert looked_up


def test_the_page_template_uses_the_plain_design():
    from portal.ui.page import PortalPage
    from portal.ui.state import ViewState

    entry = DatasetEntry.from_metadata("grid", "netcdf", {"urlpath": "/nowhere.nc"},
                                       {"title": "A grid", "featureType": "grid"})
    template = PortalPage(state=ViewState(), catalog=Catalog({"grid": entry})).template()
    assert template.design.__module__ == "portal.ui.design"
    assert template.design.__mro__[1] is type(template).param.design.default
