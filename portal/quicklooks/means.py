"""Means of points rasterized by Datashader over one table layout, whatever the column.

Datashader compiles its kernels (Numba, 0.3–0.9 s each) for each new table layout it
aggregates, column names included: a page map or time–depth section of each variable and
colouring (``TEMP``, ``PSAL_qc``, ``year``...) compiled its own on a visitor's time, at
its first use in the server's life, and under load those compiles set the slowest
redraws. :func:`rasterized_mean` aggregates a table of the two coordinates and one
column named :data:`MEAN_COLUMN`, so the kernels compiled once serve every column.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: the one column name every rasterized mean is taken over
MEAN_COLUMN = "value"


def rasterized_mean(points: Any, column: str, **kwargs: Any) -> Any:
    """``rasterize(points, aggregator=mean(column), **kwargs)``, computed over a table of
    the two coordinates and one column named :data:`MEAN_COLUMN` (numbers as float64),
    the result (an Image, or a DynamicMap of them when ``dynamic``) renamed back to
    ``column``'s name, as ``rasterize`` names it."""
    import datashader as ds
    from holoviews.operation.datashader import rasterize

    x, y = points.kdims
    table = pd.DataFrame({x.name: _float64(points.dimension_values(0)),
                          y.name: _float64(points.dimension_values(1)),
                          MEAN_COLUMN: _float64(points.dimension_values(column))})
    canonical = points.clone(table, vdims=[MEAN_COLUMN])
    image = rasterize(canonical, aggregator=ds.mean(MEAN_COLUMN), **kwargs)
    prefix = f"{x.name}_{y.name} "  # HoloViews names the mean "<x>_<y> <column>"
    name = points.get_dimension(column).name
    return image.redim(**{prefix + MEAN_COLUMN: prefix + name})


def _float64(values: Any) -> Any:
    """Numbers as float64 (one kernel for float32 and integer columns too); dates as
    they are."""
    return values.astype("float64") if values.dtype.kind in "fiub" else values
