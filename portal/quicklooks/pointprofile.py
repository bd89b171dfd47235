"""Profile density of a point store: every profile of the selection, value against depth.

Millions of profiles cannot be drawn as lines; their samples are counted instead on a
(value, depth) canvas by the point store's aggregation machinery (the same kernel,
row-group pruning and hot cache as the map), and the count is coloured on a log scale:
where the water masses are, and how they spread. The vertical axis points down. In the
page a ``RangeXY`` stream re-counts the zoomed window at full resolution; hover gives the
number of observations in a cell.
"""

from __future__ import annotations

import numpy as np

from portal.model import Query
from portal.processing.variables import qc_label
from portal.quicklooks import Style
from portal.quicklooks.frames import raster_settled
from portal.quicklooks.pointmap import FROM_LOG10_JS
from portal.quicklooks.style import fit_title, resolve_cmap

CELL_PX = 2  # one cell per 2x2 screen pixels


def _log_image(da, variable: str, units: str, zlabel: str):
    import holoviews as hv
    from bokeh.models import CustomJSHover

    from portal.quicklooks.hover import hover_tool

    counts = da.values.astype("float32")
    with np.errstate(divide="ignore", invalid="ignore"):
        colour = np.where(counts > 0, np.log10(np.maximum(counts, 1e-3)), np.nan)
    xdim = hv.Dimension("value", label=variable + (f" [{units}]" if units else ""))
    ydim = hv.Dimension("z", label=zlabel)
    image = hv.Image((da.x.values, da.y.values, colour.astype("float32")), kdims=[xdim, ydim],
                     vdims=[hv.Dimension("log_count", label="Observations per cell (log10)")])
    tips = [(xdim.label, "$x{0.000}"), (zlabel, "$y{0.0}"), ("Observations", "@image{custom}")]
    tool = hover_tool(tips, not_nan=("@image",),  # no tooltip over empty cells
                      formatters={"@image": CustomJSHover(code=FROM_LOG10_JS)})
    return image.opts(tools=[tool], backend="bokeh")


def build(handle, *, variable: str, query: Query, title: str, style: Style):
    """Density of ``variable`` against depth for all profiles in the query's box and time."""
    import holoviews as hv

    meta = handle.info().get("metadata", {})
    units = next((v.get("units", "") for v in meta.get("variables", [])
                  if v.get("name") == variable), "")
    zlabel = "Pressure [dbar] or depth [m]"  # the store keeps either, positive down
    width, height = max(style.width // CELL_PX, 80), max(style.height // CELL_PX, 60)
    cmap = resolve_cmap("viridis" if style.cmap == "auto" else style.cmap)

    def count(value_range=None, depth_range=None):
        da = handle.profile_density(query, variable=variable, width=width, height=height,
                                    value_range=value_range,
                                    depth_range=depth_range or query.depth)
        n = int(da.sum())
        full = (f"{title} — profile density of {variable}: {n:,} observations "
                f"— {qc_label(query.qc)}")
        return _log_image(da, variable, units, zlabel).opts(
            title=fit_title(full, style.width), cmap=cmap, colorbar=True, backend="bokeh").opts(
            title=full, cmap=cmap, colorbar=True, backend="matplotlib")

    if not style.interactive:
        return count().opts(invert_yaxis=True, aspect=style.width / style.height,
                            backend="matplotlib")

    def on_range(x_range=None, y_range=None):
        if x_range is None or y_range is None or None in (*x_range, *y_range):
            return count()
        low, high = sorted(y_range)
        return count((float(x_range[0]), float(x_range[1])), (max(float(low), 0.0), float(high)))

    dmap = hv.DynamicMap(on_range, streams=[hv.streams.RangeXY()])
    return dmap.opts(invert_yaxis=True, responsive=True, height=style.height, show_grid=True,
                     active_tools=["wheel_zoom"], hooks=[raster_settled], backend="bokeh")
