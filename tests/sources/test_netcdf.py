"""Local NetCDF source: single files, aggregations, bad files."""

from __future__ import annotations

import numpy as np
import pytest

from portal.errors import CatalogError, SourceUnavailable
from portal.model import DatasetEntry
from portal.sources import get_source, open_dataset
from tests.conftest import needs_shared


@needs_shared
def test_glob_aggregates_daily_grids_along_time(shared):
    pattern = str(shared / "gridded/AG20050*_ssta.nc")
    entry = DatasetEntry.from_metadata("ag", "netcdf", {"urlpath": pattern}, {})
    ds = open_dataset(entry)
    assert ds.sizes["time"] == 2
    assert str(ds.time.values[0])[:10] < str(ds.time.values[1])[:10]
    one = open_dataset(DatasetEntry.from_metadata(
        "ag1", "netcdf", {"urlpath": str(shared / "gridded/AG2005041_2005041_ssta.nc")}, {}))
    np.testing.assert_allclose(ds.AGssta.isel(time=1).values, one.AGssta.isel(time=0).values,
                               equal_nan=True)


@needs_shared
def test_unreadable_files_name_the_file(shared, tmp_path):
    bad = DatasetEntry.from_metadata(
        "bad", "netcdf", {"urlpath": str(shared / "edge_cases/AG2005040_BadFile.nc")}, {})
    with pytest.raises(SourceUnavailable, match="AG2005040_BadFile.nc is not a NetCDF file"):
        open_dataset(bad)
    truncated = tmp_path / "cut.nc"
    truncated.write_bytes((shared / "argo/profiles/R13857_001.nc").read_bytes()[:5000])
    cut = DatasetEntry.from_metadata("cut", "netcdf", {"urlpath": str(truncated)}, {})
    with pytest.raises(SourceUnavailable, match="cut"):
        open_dataset(cut).load()


def test_missing_file_and_unknown_driver():
    gone = DatasetEntry.from_metadata("gone", "netcdf", {"urlpath": "/nonexistent/x.nc"}, {})
    with pytest.raises(SourceUnavailable, match="file not found"):
        open_dataset(gone)
    with pytest.raises(CatalogError, match="did you mean 'netcdf'"):
        get_source("netcdff")
