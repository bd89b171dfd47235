"""Plot widths follow the browser's viewport: full width on desktops, what fits on phones."""

from __future__ import annotations

from portal.ui.viewport import MIN_PLOT_WIDTH, ViewportWidth, follow_viewport, plot_width_for


def test_plot_width_for_viewports():
    assert plot_width_for(0, 900, 370) == 900  # not reported yet: the desktop width
    assert plot_width_for(1366, 900, 370) == 900  # room beside the sidebar
    assert plot_width_for(1000, 900, 370) == 1000 - 24 - 370  # a narrow desktop window
    assert plot_width_for(400, 900, 370) == 376  # a phone: the list is stacked above
    assert plot_width_for(200, 900, 370) == MIN_PLOT_WIDTH


class Pane:
    plot_width = 900


def test_follow_viewport_sets_and_restores_the_pane_width():
    probe, pane = ViewportWidth(), Pane()
    follow_viewport(probe, lambda: pane, 900, 370)
    probe.viewport = 400
    assert pane.plot_width == 376
    probe.viewport = 1600
    assert pane.plot_width == 900
