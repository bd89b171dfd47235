"""Colour an aggregate last: datashader ``tf.shade`` of a point-store DataArray, as PNG.

The page and the PNG endpoint share the aggregate from :mod:`.aggregate`; this module only
colours it: counts and statistics through a colormap (``eq_hist`` for counts so that a few
crowded pixels don't wash out the map), the QC mix as a blend of good (green), probably good
(light green), bad (red) and other (grey) in proportion to each class's share.
"""

from __future__ import annotations

import io

import xarray as xr

QC_COLORS = {"good": "#1a9850", "probably_good": "#91cf60", "bad": "#d73027", "other": "#9e9e9e",
             "unflagged": "#4575b4"}


def shade(agg: xr.DataArray, cmap: str | list[str] | None = None, how: str | None = None):
    """A datashader Image of an aggregate (2-D statistic, or 3-D QC classes)."""
    import datashader.transfer_functions as tf

    if agg.ndim == 3:
        return tf.shade(agg, color_key=[QC_COLORS[str(c)] for c in agg.coords[agg.dims[-1]].values],
                        how="eq_hist")
    if cmap is None:
        import colorcet  # datashader dependency

        cmap = colorcet.fire if agg.attrs.get("how") == "count" else colorcet.CET_L20
    how = how or ("eq_hist" if agg.attrs.get("how", "count") == "count" else "linear")
    data = agg.where(agg > 0) if agg.attrs.get("how") == "count" else agg
    return tf.shade(data, cmap=cmap, how=how)


def to_png(agg: xr.DataArray, **kwargs) -> bytes:
    """PNG bytes of :func:`shade` (origin at the bottom-left, as on a map)."""
    image = shade(agg, **kwargs).to_pil()
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()
