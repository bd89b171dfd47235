"""The quicklook pane patches a profile in place: a variable, QC or depth change sends the
new data to the figure on screen (same Bokeh figure: new glyph data, axis label, title,
ranges and tooltips); a change of what is drawn (the colouring) builds a new figure."""

from __future__ import annotations

import param
import pytest

from portal.query import DepthRange
from tests.conftest import needs_shared
from tests.ui.drawing import draw as _draw
from tests.ui.drawing import figure_of as _figure

pytestmark = needs_shared


@pytest.fixture(scope="module")
def argo(shared):
    from portal.cataloging.scan import describe_file

    return describe_file(str(shared / "argo/multiprofile/6901744_prof.nc"), "argo")


def _tooltips(fig) -> dict:
    return dict(next(t for t in fig.tools if type(t).__name__ == "HoverTool").tooltips)


def test_a_profile_control_change_patches_the_figure_on_screen(argo):
    from portal.ui.quicklook_pane import QuicklookPane
    from portal.ui.state import ViewState

    pane = QuicklookPane(state=ViewState(dataset="argo", kind="profile", var="TEMP"), entry=argo)
    drawn = _draw(pane)  # (no __panel__: no page redraws on its own beside these calls)
    drawn.get_root()  # the Bokeh models the browser shows
    fig = _figure(drawn)
    assert "[degree_Celsius]" in fig.xaxis[0].axis_label
    # the file's TEMP spans 3.4-28.7 °C (the axes pad by a tenth of the span)
    assert 0.5 < fig.x_range.start < 3.45 and 28.7 < fig.x_range.end < 31.3

    pane.state.var = "PSAL"
    assert _draw(pane) is param.Skip  # no new figure: the one on screen was patched
    assert _figure(drawn) is fig
    assert "[psu]" in fig.xaxis[0].axis_label
    assert 34.0 < fig.x_range.start < 34.49 and 36.71 < fig.x_range.end < 37.2  # PSAL
    assert fig.y_range.start > fig.y_range.end  # pressure still down
    assert any("[psu]" in label for label in _tooltips(fig))  # the hover names the variable

    pane.state.depth = DepthRange(0.0, 500.0)
    assert _draw(pane) is param.Skip
    assert fig.y_range.start < 560  # refitted to the shallower data
    samples = int(fig.title.text.split(" samples")[0].split()[-1].replace(",", ""))
    pane.state.depth = None
    _draw(pane)
    assert int(fig.title.text.split(" samples")[0].split()[-1].replace(",", "")) > samples

    pane.state.depth = DepthRange(5000.0, 6000.0)  # no sample: an alert replaces the figure
    assert "portal-error" in _draw(pane).css_classes
    pane.state.depth = None
    assert _draw(pane) is not param.Skip  # a new figure, not a patch of the hidden one

    pane.state.color = "qc"  # points coloured by flag: another drawing, a new figure
    assert _draw(pane) is not param.Skip


def test_copy_link_button_carries_its_script_outside_panels_link_registry():
    """The copy-link script sits on the Bokeh button: a link in Panel's registry made Panel
    walk the whole main area (the figure's models too) after every plot swap."""
    from bokeh.document import Document
    from bokeh.models import CustomJS
    from panel.links import Link

    from portal.ui.quicklook_pane import COPY_JS, CopyLinkButton

    button = CopyLinkButton(label="Copy link", done="Copied")
    model = button.get_root(Document())
    (script,) = model.js_event_callbacks["button_click"]
    assert isinstance(script, CustomJS) and script.code == COPY_JS
    assert script.args == {"button": model, "label": "Copy link", "label_done": "Copied"}
    assert button not in Link.registry and not hasattr(model, "done")
