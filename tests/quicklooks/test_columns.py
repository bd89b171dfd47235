"""Point elements over columns: the arrays themselves, not a stacked copy."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pytest

from portal.quicklooks import columns


def test_the_frame_holds_the_arrays_without_copying_them():
    x, y, c = np.arange(5.0), np.arange(5.0) * 2, np.arange(5, dtype="int32")
    points = columns.points((x, y, c), ["x", hv.Dimension("y", label="Depth")],
                            [hv.Dimension("cvalue", label="Colour")])
    assert isinstance(points, hv.Points)
    assert [d.label for d in points.dimensions()] == ["x", "Depth", "Colour"]
    data = points.data
    assert all(np.shares_memory(data[n].to_numpy(), a) for n, a in zip(
        ["x", "y", "cvalue"], (x, y, c), strict=True))
    assert data["cvalue"].dtype == np.int32
    np.testing.assert_array_equal(points.dimension_values("y"), y)
    assert isinstance(columns.points((x, y), ["x"], ["y"], element="Curve"), hv.Curve)


def test_repeated_names_are_refused():
    with pytest.raises(ValueError, match="repeat"):
        columns.frame(["x", "x"], [np.arange(2), np.arange(2)])
