"""The progress overlay of a map zoom: shown in the browser when new pixels are slow.

A zoom or pan on a map the server rasterises (grids, point stores, dense tracks) first
shows the old image scaled, then the server's new one. When the new image has not come
:data:`SHOW_AFTER_MS` after the gesture ended, the plot is veiled (a translucent box over
the frame and "Loading…" in the page's language) until it comes. Everything runs in the
browser (Bokeh ``CustomJS`` on the figure's ``RangesUpdate`` event and on the image
source's ``data``): the veil needs no round trip, so it shows even while the server is
busy with the very re-render it announces. A map whose zoom needs no server (markers
drawn by the browser) gets no veil.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from portal.i18n import t

#: issue 12: a zoom slower than 500 ms shows the overlay; the gesture's own end-of-wheel
#: wait (``style.ZOOM_LOD``) and the paint come on top of this delay
SHOW_AFTER_MS = 350
#: lifted anyway after this long (a failed re-render sends no image)
GIVE_UP_MS = 60_000

_SHOW_JS = """
const view = [cb_obj.x0, cb_obj.x1, cb_obj.y0, cb_obj.y1].join();
if (view === box.__portal_zoom_view) return;  // same view: the same image, no new data
box.__portal_zoom_view = view;
clearTimeout(box.__portal_zoom_timer);
clearTimeout(box.__portal_zoom_giveup);
label.x = (cb_obj.x0 + cb_obj.x1) / 2; label.y = (cb_obj.y0 + cb_obj.y1) / 2;
box.__portal_zoom_timer = setTimeout(() => {
    box.visible = true; label.visible = true;
    box.__portal_zoom_giveup = setTimeout(() => { box.visible = false; label.visible = false; },
                                          give_up);
}, delay);
"""
_HIDE_JS = """
clearTimeout(box.__portal_zoom_timer);
clearTimeout(box.__portal_zoom_giveup);
box.visible = false; label.visible = false;
"""


def image_sources(plot) -> list:
    """The ColumnDataSources of the images a HoloViews Bokeh plot (and its layers) draws."""
    plots = [plot, *getattr(plot, "subplots", {}).values()]
    sources = [p.handles.get("source") for p in plots if hasattr(p, "handles")]
    return [s for s in sources if s is not None and "image" in s.data]


def zoom_progress(lang: str = "en") -> Callable[[Any, Any], None]:
    """A HoloViews Bokeh plot hook adding the zoom progress overlay to a map."""

    def hook(plot, _element) -> None:
        from bokeh.models import CustomJS
        from bokeh.models.annotations import BoxAnnotation, Label

        if getattr(plot, "_portal_zoom_progress", False):
            return  # one overlay, however often the hook runs (on every zoom's update)
        plot._portal_zoom_progress = True
        sources = image_sources(plot)
        figure = plot.state
        if not sources:
            return
        box = BoxAnnotation(fill_color="white", fill_alpha=0.55, line_alpha=0, visible=False,
                            level="overlay", name="portal-zoom-progress")
        label = Label(x=0, y=0, text=t("loading", lang), text_align="center",
                      text_baseline="middle", text_font_size="15px", text_color="#0b3d66",
                      visible=False,
                      level="overlay", name="portal-zoom-progress-label",
                      background_fill_color="white", background_fill_alpha=0.85)
        figure.add_layout(box)
        figure.add_layout(label)
        args = {"box": box, "label": label}
        figure.js_on_event("rangesupdate", CustomJS(
            args={**args, "delay": SHOW_AFTER_MS, "give_up": GIVE_UP_MS}, code=_SHOW_JS))
        for source in sources:
            source.js_on_change("data", CustomJS(args=args, code=_HIDE_JS))

    return hook
