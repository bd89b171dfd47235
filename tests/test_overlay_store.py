"""A point store on a combined time-series or profile axis: its values binned in time and
its profile density, checked against the store's own rows (brute-force references)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from portal.query import BBox, Query
from portal.quicklooks import Style
from tests.pointstore.conftest import build, make_columns

SELECTION = Query(bbox=BBox(-60.0, -40.0, 60.0, 40.0), depth=(0.0, 500.0), qc="all")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """(catalog entry, reference rows of the selection with a finite TEMP)."""
    from portal.model import DatasetEntry
    from portal.pointstore import store_info

    cols = make_columns(20_000, 7)
    path = build(tmp_path_factory.mktemp("overlay_store") / "store", [cols])
    ref = pd.DataFrame({k: cols[k] for k in ("time", "longitude", "latitude", "z", "TEMP")})
    inside = (ref.longitude.between(-60, 60) & ref.latitude.between(-40, 40)
              & ref.z.between(0, 500) & np.isfinite(ref.TEMP))
    entry = DatasetEntry.from_metadata("pts", "pointstore", {"store": path},
                                       store_info(path)["metadata"])
    return entry, ref[inside]


def test_time_bins_are_the_mean_min_max_of_the_rows_in_each_bin(store):
    from portal import overlay_store
    from portal.sources import open_aggregator

    entry, ref = store
    bins = overlay_store.time_bins(open_aggregator(entry), SELECTION, "TEMP", 50, 1_000_000)
    assert int(bins["count"].sum()) == len(ref) and not bins.attrs["truncated"]
    t = ref.time.to_numpy().astype("datetime64[s]").astype("datetime64[ns]").astype("int64")
    edges = np.linspace(t.min(), t.max() + 1, 51)
    which = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, 49)
    expect = ref.groupby(which).TEMP.agg(["mean", "min", "max", "count"])
    np.testing.assert_allclose(bins.TEMP.values, expect["mean"], rtol=1e-6)
    np.testing.assert_allclose(bins.vmin.values, expect["min"], rtol=1e-6)
    np.testing.assert_allclose(bins.vmax.values, expect["max"], rtol=1e-6)
    capped = overlay_store.time_bins(open_aggregator(entry), SELECTION, "TEMP", 50, 300)
    assert capped.attrs["truncated"] and int(capped["count"].sum()) <= 300


def test_store_joins_profile_and_time_series_axes(store):
    import holoviews as hv

    from portal.overlay import harmonise
    from portal.pipeline import load_layers
    from portal.quicklooks import ensure_backends
    from portal.quicklooks.overlay import build as draw

    ensure_backends()
    entry, ref = store
    (profile,) = load_layers([entry], "profile", SELECTION, Style())
    assert profile.ok and profile.feature_type == "profileDensity", profile.error
    assert int(profile.data.sum()) == len(ref)  # every selected observation counted
    assert "not drawn" not in profile.legend
    plot = draw(harmonise([profile], "profile"), title="t", style=Style())
    images = plot.traverse(lambda e: e, [hv.Image])
    assert len(images) == 1 and np.nanmax(images[0].dimension_values(2)) > 0
    hv.render(plot, backend="bokeh")

    (series,) = load_layers([entry], "timeseries", SELECTION, Style(width=400))
    assert series.ok and series.feature_type == "timeBinned", series.error
    assert int(series.data["count"].sum()) == len(ref)
    plot = draw(harmonise([series], "timeseries"), title="t", style=Style(width=400))
    (curve,) = [e for e in plot.traverse(lambda e: e, [hv.Curve]) if type(e) is hv.Curve]
    np.testing.assert_allclose(curve.dimension_values(1), series.data[series.variable].values)
    (band,) = plot.traverse(lambda e: e, [hv.Area])
    np.testing.assert_allclose(band.dimension_values(1), series.data.vmin.values)
    np.testing.assert_allclose(band.dimension_values(2), series.data.vmax.values)
    hv.render(plot, backend="bokeh")
    hv.render(plot, backend="matplotlib")
