"""Rasterized means over one table layout: the same image as HoloViews' own rasterize of
the column, and no new Datashader kernel for another column name or number type."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portal.quicklooks.means import rasterized_mean


def _points(column: str, dtype: str, seed: int = 0):
    import holoviews as hv

    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x": rng.random(500), "y": rng.random(500),
                       column: (rng.random(500) * 100).astype(dtype), "other": 1})
    return hv.Points(df, ["x", "y"], [hv.Dimension(column, label="Label"), "other"])


@pytest.fixture
def compiles(monkeypatch):
    """Calls that make Numba compile a kernel for new argument types (or a new kernel)."""
    from numba.core.dispatcher import Dispatcher

    calls: list[str] = []
    real = Dispatcher._compile_for_args
    monkeypatch.setattr(Dispatcher, "_compile_for_args",
                        lambda self, *a, **k: calls.append(self.py_func.__name__)
                        or real(self, *a, **k))
    return calls


@pytest.mark.parametrize("dtype", ["float64", "float32", "int32"])
def test_the_mean_is_holoviews_own(dtype):
    import datashader as ds
    from holoviews.operation.datashader import rasterize

    points = _points("TEMP", dtype)
    ours = rasterized_mean(points, "TEMP", width=20, height=10, dynamic=False)
    plain = rasterize(points, aggregator=ds.mean("TEMP"), width=20, height=10, dynamic=False)
    assert ours.vdims == plain.vdims and ours.kdims == plain.kdims
    np.testing.assert_allclose(ours.dimension_values(2), plain.dimension_values(2),
                               rtol=1e-6, equal_nan=True)
    assert ours.bounds.lbrt() == plain.bounds.lbrt()


def test_a_time_axis_stays_a_time_axis():
    """A time–depth section: dates on x, as HoloViews' own rasterize gives them."""
    import datashader as ds
    import holoviews as hv
    from holoviews.operation.datashader import rasterize

    t = pd.date_range("2024-01-01", periods=40, freq="D").values
    points = hv.Points(pd.DataFrame({"time": t, "z": np.linspace(0, 500, 40),
                                     "TEMP": np.linspace(4, 20, 40)}), ["time", "z"], ["TEMP"])
    ours = rasterized_mean(points, "TEMP", width=8, height=4, dynamic=False)
    plain = rasterize(points, aggregator=ds.mean("TEMP"), width=8, height=4, dynamic=False)
    assert ours.vdims == plain.vdims
    assert (ours.dimension_values(0) == plain.dimension_values(0)).all()
    assert ours.dimension_values(0).dtype.kind == "M"
    np.testing.assert_allclose(ours.dimension_values(2), plain.dimension_values(2),
                               equal_nan=True)


def test_another_column_compiles_no_new_kernel(compiles):
    import datashader as ds
    from holoviews.operation.datashader import rasterize

    rasterized_mean(_points("TEMP", "float64"), "TEMP", width=20, height=10, dynamic=False)
    compiles.clear()
    for column, dtype in (("PSAL_qc", "int32"), ("salinity", "float32")):
        rasterized_mean(_points(column, dtype), column, width=20, height=10, dynamic=False)
    assert compiles == []
    rasterize(_points("fresh_name", "float64"), aggregator=ds.mean("fresh_name"), width=20,
              height=10, dynamic=False)
    assert compiles  # HoloViews' own path compiles again for a new column name
