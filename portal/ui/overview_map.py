"""The landing map: where the catalog's datasets are, before one is chosen.

One Bokeh figure in Web Mercator with the offline land layer and a box per regional
dataset, coloured by data type; hovering a box names the dataset, clicking it opens the
dataset. Boxes are drawn largest first and a click opens the smallest box under it, so a
mooring inside an ocean-wide grid stays reachable. Global datasets (a box wider than
``GLOBAL_LON`` degrees, e.g. a world point store) would frame the whole map and catch
every click: they are listed as links under the map instead. A box drawn with the
"search box" tool (shift-free drag after choosing it in the toolbar) becomes the search's
``where`` box (:attr:`ViewState.where`, the same one as the typed W,S,E,N field) and stays
drawn as a dashed frame. It is built directly with
Bokeh (no data read, no HoloViews pipeline): the first page shows a plot as fast as a
page can.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import panel as pn
import param

from portal.quicklooks.extent import lon_spans
from portal.ui.state import ViewState, required

if TYPE_CHECKING:
    from bokeh.models import ColumnDataSource

COLOURS = {"profile": "#e4572e", "trajectoryProfile": "#e4572e", "trajectory": "#17a398",
           "timeSeries": "#7b2cbf", "timeSeriesProfile": "#7b2cbf", "grid": "#0b5394",
           "point": "#f3a712"}


GLOBAL_LON = 300.0  # a box at least this wide (degrees) is listed, not drawn


def is_global(entry) -> bool:
    """Whether the entry's box spans (nearly) the whole globe in longitude."""
    if not entry.bbox:
        return False
    west, _south, east, _north = entry.bbox
    return sum(hi - lo for lo, hi in lon_spans(west, east)) >= GLOBAL_LON


@functools.lru_cache(maxsize=1)
def land_patches() -> tuple[list, list]:
    """Land outlines in Web Mercator, simplified for a world view (shared, read-only)."""
    from portal.quicklooks.style import _mercator_xy, land_geometries

    xs, ys = [], []
    for poly in land_geometries():
        ring = np.asarray(poly.simplify(0.3).exterior.coords)
        if len(ring) < 4:
            continue
        x, y = _mercator_xy(ring[:, 0], ring[:, 1])
        xs.append(x.round().tolist())
        ys.append(y.round().tolist())
    return xs, ys


def _area(entry) -> float:
    west, south, east, north = entry.bbox
    return sum(hi - lo for lo, hi in lon_spans(west, east)) * max(north - south, 0.0)


def boxes(entries) -> dict[str, list]:
    """Column data of the regional dataset boxes (at least ~1° so that stations show), in
    Web Mercator metres, largest first (small boxes are drawn on top); global ones are left
    out (see :func:`is_global`)."""
    from portal.quicklooks.style import _mercator_xy

    data: dict[str, list] = {k: [] for k in ("left", "right", "bottom", "top", "id", "title",
                                             "kind", "colour", "alpha", "area")}
    located = [e for e in entries if e.bbox and not is_global(e)]
    for entry in sorted(located, key=_area, reverse=True):
        west, south, east, north = entry.bbox
        pad_y = max(0.0, 0.5 - (north - south) / 2)
        for lo, hi in lon_spans(west, east):
            pad_x = max(0.0, 0.5 - (hi - lo) / 2)
            (left, right), (bottom, top) = _mercator_xy([lo - pad_x, hi + pad_x],
                                                        [south - pad_y, north + pad_y])
            data["left"].append(float(left))
            data["right"].append(float(right))
            data["bottom"].append(float(bottom))
            data["top"].append(float(top))
            data["id"].append(entry.id)
            data["title"].append(entry.title or entry.id)  # Bokeh escapes @fields in tooltips
            data["kind"].append(entry.feature_type)
            data["colour"].append(COLOURS.get(entry.feature_type, "#5b6770"))
            data["alpha"].append(0.3 if east - west < 90 else 0.1)
            data["area"].append(_area(entry))
    return data


def lonlat_box(x0: float, x1: float, y0: float, y1: float):
    """The :class:`~portal.query.BBox` of a rectangle drawn in Web Mercator metres (the
    longitudes wrapped into -180..180; a drag wider than the world is the whole world)."""
    from portal.query import BBox

    radius = 6378137.0
    west, east = sorted(float(np.degrees(v / radius)) for v in (x0, x1))
    south, north = sorted(float(np.degrees(2 * np.arctan(np.exp(v / radius)) - np.pi / 2))
                          for v in (y0, y1))
    if east - west >= 360.0:
        west, east = -180.0, 180.0
    else:
        west, east = ((v + 180.0) % 360.0 - 180.0 for v in (west, east))
        if east == west:
            east = west + 1e-6
    return BBox(round(west, 4), round(max(south, -90.0), 4), round(east, 4),
                round(min(north, 90.0), 4))


def where_frame(where) -> dict[str, list]:
    """Column data of the dashed frame of the search box (one quad a longitude span)."""
    from portal.quicklooks.style import _mercator_xy

    data: dict[str, list] = {k: [] for k in ("left", "right", "bottom", "top")}
    if where is None:
        return data
    for part in where.split():
        (left, right), (bottom, top) = _mercator_xy([part.west, part.east],
                                                    [where.south, where.north])
        for key, value in zip(data, (left, right, bottom, top), strict=True):
            data[key].append(float(value))
    return data


def smallest_hit(data: Mapping[str, Any], indices: list[int]) -> str | None:
    """The id of the smallest box among the hit ones (a click on nested boxes)."""
    if not indices:
        return None
    return data["id"][min(indices, key=lambda i: (data["area"][i], -i))]


class OverviewMap(pn.viewable.Viewer):
    """Boxes of the datasets on a world map; clicking one sets ``state.dataset``."""

    state = required(ViewState)
    entries = param.List(default=[])
    height = param.Integer(default=420)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._source: ColumnDataSource | None = None  # set when the figure is drawn
        self._frame: ColumnDataSource | None = None  # the search box's dashed frame
        self._ids: set[str] | None = None  # None: every entry
        self._global_buttons = pn.FlexBox(sizing_mode="stretch_width")
        self.state.param.watch(lambda _e: self._refresh_globals(), "lang")
        self.state.param.watch(self._on_where, "where")

    def _shown(self) -> list:
        return [e for e in self.entries if self._ids is None or e.id in self._ids]

    def _figure(self):
        from bokeh.models import (
            ColumnDataSource,
            HoverTool,
            MercatorTicker,
            MercatorTickFormatter,
            TapTool,
        )
        from bokeh.plotting import figure

        self._source = ColumnDataSource(boxes(self._shown()))
        from portal.quicklooks.style import _mercator_xy

        (x0, x1), (y0, y1) = _mercator_xy([-180.0, 180.0], [-70.0, 80.0])
        fig = figure(height=self.height, sizing_mode="stretch_width", match_aspect=True,
                     x_range=(float(x0), float(x1)), y_range=(float(y0), float(y1)),
                     tools="pan,wheel_zoom,reset", active_scroll="wheel_zoom",
                     css_classes=["portal-overview"], toolbar_location="right")
        for axis, dim in ((fig.xaxis, "lon"), (fig.yaxis, "lat")):
            axis.ticker = MercatorTicker(dimension=dim)
            axis.formatter = MercatorTickFormatter(dimension=dim)
        xs, ys = land_patches()
        fig.patches(xs, ys, fill_color="#d9d4c7", line_color="#8a8a8a", line_width=0.5)
        quads = fig.quad(left="left", right="right", bottom="bottom", top="top",
                         source=self._source, fill_color="colour", fill_alpha="alpha",
                         line_color="colour", line_width=2, hover_fill_alpha=0.5,
                         hover_line_width=3)
        fig.add_tools(HoverTool(renderers=[quads], tooltips=[("", "@title"), ("", "@kind")]),
                      TapTool(renderers=[quads]))
        self._add_box_tool(fig)
        fig.background_fill_color = "#eef4f8"
        fig.grid.grid_line_alpha = 0.3
        self._source.selected.on_change("indices", self._on_tap)
        return fig

    def _add_box_tool(self, fig) -> None:
        """The "search box" tool: a drag draws the search's ``where`` box. It selects on an
        empty renderer of its own, so drawing never opens the datasets under the box."""
        from bokeh.events import SelectionGeometry
        from bokeh.models import BoxSelectTool, ColumnDataSource

        from portal.ui.i18n import t

        self._frame = ColumnDataSource(where_frame(self.state.where))
        fig.quad(left="left", right="right", bottom="bottom", top="top", source=self._frame,
                 fill_alpha=0.05, fill_color="#222222", line_color="#222222", line_width=2,
                 line_dash="dashed")
        empty = fig.scatter(x=[], y=[], size=0)
        tool = BoxSelectTool(renderers=[empty], dimensions="both", persistent=False,
                             description=t("draw_search_box", self.state.lang))
        fig.add_tools(tool)
        fig.on_event(SelectionGeometry, self._on_drawn)

    def _on_drawn(self, event) -> None:
        geometry = event.geometry
        if geometry.get("type") != "rect" or not event.final:
            return
        self.state.where = lonlat_box(geometry["x0"], geometry["x1"], geometry["y0"],
                                      geometry["y1"])

    def _on_where(self, event) -> None:
        if self._frame is not None:
            self._frame.data = where_frame(event.new)

    def show_only(self, ids: list[str]) -> None:
        """Draw only these datasets (the list's search and facets)."""
        self._ids = set(ids)
        if self._source is not None:
            self._source.selected.indices = []
            self._source.data = boxes(self._shown())
        self._refresh_globals()

    def _on_tap(self, _attr, _old, new) -> None:
        if new and self._source is not None:
            self.open(smallest_hit(dict(self._source.data), list(new)))

    def open(self, dataset: str | None) -> None:
        """Show ``dataset`` (its own default view)."""
        if dataset:
            self.state.param.update(dataset=dataset, var="", kind="", time=None, at="", depth=None,
                                    bbox=None, extent=None, view="")

    def _open_clicked(self, dataset: str, _event: Any) -> None:
        self.open(dataset)

    def _global_links(self) -> list:
        """One button per global dataset shown (they have no box on the map)."""
        from portal.ui.i18n import t

        found = [e for e in self._shown() if is_global(e)]
        if not found:
            return []
        label = pn.pane.HTML(f"<b>{t('global_datasets', self.state.lang)}</b>",
                             margin=(8, 5))
        buttons = []
        for entry in found:
            button = pn.widgets.Button(
                label=f"\u25cb {entry.title or entry.id}", color="primary", variant="outline",
                css_classes=["portal-global-dataset"], margin=(4, 5),
                styles={"border-left": f"4px solid {COLOURS.get(entry.feature_type, '#5b6770')}"})
            button.on_click(functools.partial(self._open_clicked, entry.id))
            buttons.append(button)
        return [label, *buttons]

    def _refresh_globals(self) -> None:
        self._global_buttons.objects = self._global_links()

    def __panel__(self):
        self._refresh_globals()
        return pn.Column(pn.pane.Bokeh(self._figure(), sizing_mode="stretch_width",
                                       css_classes=["portal-overview"]),
                         self._global_buttons, sizing_mode="stretch_width")
