"""Point elements over columns, without a copy.

HoloViews turns a tuple of arrays into a pandas ``DataFrame`` that stacks them into one
block: a copy of every column at each build (40 ms for 5×10⁵ samples of a T-S diagram,
and again for each colouring). A frame made of the arrays themselves (``copy=False``; pandas
copies on write) costs nothing, and HoloViews and Datashader read it as they would the
stacked one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def frame(dims: Sequence[Any], arrays: Sequence[Any]) -> Any:
    """A ``DataFrame`` of ``arrays`` named after ``dims`` (HoloViews dimensions or names)."""
    import holoviews as hv
    import numpy as np
    import pandas as pd

    names = [hv.Dimension(d).name for d in dims]
    if len(set(names)) != len(names):
        raise ValueError(f"dimension names repeat: {names}")
    return pd.DataFrame({n: np.asarray(a) for n, a in zip(names, arrays, strict=True)},
                        copy=False)


def points(arrays: Sequence[Any], kdims: Sequence[Any], vdims: Sequence[Any] = (),
           element: str = "Points", **params: Any) -> Any:
    """``hv.Points`` (or ``element``: "Scatter", "Curve") of ``arrays``, in the order of
    ``kdims`` then ``vdims``, without stacking them into one block."""
    import holoviews as hv

    kdims, vdims = list(kdims), list(vdims)
    return getattr(hv, element)(frame(kdims + vdims, arrays), kdims=kdims, vdims=vdims,
                                **params)
