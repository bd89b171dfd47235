"""The shared pipeline: kinds, variables, selections, errors and the cache."""

from __future__ import annotations

import numpy as np
import pytest

from portal.errors import NoDataInSelection, SourceUnavailable, UnsupportedQuicklook
from portal.model import DatasetEntry, Query
from portal.pipeline import build_quicklook, load_view, resolve_kind
from tests.conftest import needs_shared

pytestmark = needs_shared


@pytest.fixture
def argo(shared):
    path = shared / "argo/multiprofile/6901744_prof.nc"
    return DatasetEntry.from_metadata(
        "argo", "netcdf", {"urlpath": str(path)},
        {"title": "Argo 6901744", "featureType": "profile", "vertical_coverage": [0, 2000],
         "variables": [{"name": "TEMP"}, {"name": "PSAL"}]})


def test_default_kind_and_variable(argo):
    assert resolve_kind(argo, None) == "map"
    view = load_view(argo, None, Query())
    assert view.variable == "TEMP" and view.kind == "map"


def test_selection_is_applied(argo):
    view = load_view(argo, "profile", Query(variable="PSAL", depth=(100, 500), qc="good",
                                            time=("2015-10-01", "2015-12-31")))
    data = view.data
    assert data.z.min() >= 100 and data.z.max() <= 500
    assert set(np.unique(data["PSAL_qc"].values)) == {1}
    times = data.time.values
    assert times.min() >= np.datetime64("2015-10-01") and times.max() < np.datetime64("2016-01-01")


def test_errors_name_the_dataset(argo, shared):
    with pytest.raises(UnsupportedQuicklook, match="argo: no timeseries quicklook"):
        load_view(argo, "timeseries", Query())
    with pytest.raises(UnsupportedQuicklook, match="unknown variable 'DOXY'"):
        load_view(argo, "map", Query(variable="DOXY"))
    with pytest.raises(NoDataInSelection, match="no valid TEMP values"):
        load_view(argo, "map", Query(time=("1990-01-01", "1990-02-01")))
    bad = DatasetEntry.from_metadata("bad", "netcdf",
                                     {"urlpath": str(shared / "edge_cases/AG2005040_BadFile.nc")},
                                     {"featureType": "grid"})
    with pytest.raises(SourceUnavailable, match="bad: .*not a NetCDF file"):
        load_view(bad, None, Query())


def test_view_is_cached_on_entry_and_query(argo):
    first = load_view(argo, "map", Query(variable="PSAL"))
    again = load_view(argo, "map", Query(variable="PSAL"))
    assert again is first
    other = load_view(argo, "map", Query(variable="PSAL", qc="good"))
    assert other is not first


def test_grid_time_selection(shared):
    entry = DatasetEntry.from_metadata(
        "sst", "netcdf", {"urlpath": str(shared / "gridded/MWsstd1day_modis_sst_westus.nc")},
        {"featureType": "grid"})
    view = load_view(entry, "map", Query(time=("2016-11-01", "2016-11-01")))
    assert view.data.ndim == 2
    assert str(view.data.time.values)[:10] == "2016-11-01"
    import holoviews as hv

    element = build_quicklook(entry, "map", Query())
    static = element[()] if isinstance(element, hv.DynamicMap) else element
    titles = static.traverse(  # the page map's title travels with its frames
        lambda e: hv.Store.lookup_options("bokeh", e, "plot").kwargs.get("title", ""))
    assert any("valid cells" in title for title in titles)
