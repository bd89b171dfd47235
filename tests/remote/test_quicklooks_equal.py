"""Remote entries draw the same quicklook data as the same data read from files.

Each pair goes through :func:`portal.pipeline.load_view`, the function the page,
the embed and the PNG renderer share: the remote entry (OPeNDAP server or ERDDAP
replay) and a local ``netcdf`` entry on the file the server serves (or recorded).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from portal.model import DatasetEntry, Query

from .servers import ERDDAP_DIR, SHARED

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def local(path: str, entry_id: str, feature_type: str) -> DatasetEntry:
    return DatasetEntry.from_metadata(entry_id, "netcdf", {"urlpath": path},
                                      {"title": entry_id, "featureType": feature_type})


def same_view(remote: DatasetEntry, path: str, kind: str, query: Query) -> None:
    from portal.pipeline import load_view

    got = load_view(remote, kind, query)
    expected = load_view(local(path, remote.id + "_file", remote.feature_type), kind, query)
    assert (got.variable, got.feature_type, got.kind) == (expected.variable,
                                                          expected.feature_type, expected.kind)
    import xarray as xr

    a, b = got.data, expected.data
    assert type(a) is type(b)
    if isinstance(b, xr.DataArray):
        pairs = {b.name: (a, b)}
    else:
        assert set(a.variables) == set(b.variables)
        pairs = {name: (a[name], b[name]) for name in b.variables}
    for name, (x, y) in pairs.items():
        assert x.dims == y.dims, name
        if name == "feature" and remote.source == "erddap":
            # flat ERDDAP rows are grouped by their cf_role ids; the file has none
            assert len(np.unique(x.values)) > len(np.unique(y.values)) == 1
            continue
        assert np.array_equal(np.asarray(x.values), np.asarray(y.values), equal_nan=True), name


@pytest.mark.parametrize("query", [
    Query(time=("2016-11-01", "2016-11-30")),
    # one day: with several, select_grid picks the latest well-covered step over the whole
    # grid before cutting the bbox, and a server-side subset only holds the bbox
    Query(time=("2016-11-05", "2016-11-05"), bbox=(210.1, 30.2, 210.9, 30.8)),
], ids=["month", "day-bbox"])
def test_opendap_grid_map(dap_server, query):
    rel = "gridded/MWsstd1day_modis_sst_westus.nc"
    entry = DatasetEntry.from_metadata("sst_dap", "opendap", {"url": f"{dap_server.url}/{rel}"},
                                       {"title": "sst", "featureType": "grid"})
    same_view(entry, os.path.join(SHARED, rel), "map", query)


def test_opendap_timeseries(dap_server):
    rel = "dsg/timeseries/netCDF_timeseries_tidegauge.nc"
    entry = DatasetEntry.from_metadata("tide_dap", "opendap", {"url": f"{dap_server.url}/{rel}"},
                                       {"title": "tide", "featureType": "timeSeries"})
    same_view(entry, os.path.join(SHARED, rel), "timeseries", Query())


def test_erddap_tabledap_profile(erddap):
    entry = DatasetEntry.from_metadata(
        "argo_erddap", "erddap",
        {"server": erddap.url, "dataset_id": "ArgoFloats", "protocol": "tabledap"},
        {"title": "argo", "featureType": "trajectoryProfile",
         "variables": [{"name": "temp"}]})
    same_view(entry, os.path.join(ERDDAP_DIR, "tabledap", "ArgoFloats_box_2004-01.nc"),
              "profile", Query(variable="temp", time=("2004-01-01", "2004-01-31")))


def test_erddap_griddap_map(erddap):
    entry = DatasetEntry.from_metadata(
        "gebco_erddap", "erddap",
        {"server": erddap.url, "dataset_id": "GEBCO_2020", "protocol": "griddap"},
        {"title": "gebco", "featureType": "grid"})
    same_view(entry, os.path.join(ERDDAP_DIR, "griddap", "GEBCO_2020_subset.nc"), "map",
              Query(bbox=(85.0, -66.0, 120.0, -55.0)))
