"""A gridded map says which time step it draws, and steps through time from a slider
whose value is the URL's ``at`` (the same key the PNG route reads)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from portal.model import DatasetEntry
from portal.processing.subset import select_grid
from portal.query import Query, parse_query
from portal.quicklooks.map import grid_step_label


def _grid() -> xr.DataArray:
    times = pd.date_range("2016-10-01T12:00", periods=5, freq="D").values
    values = np.arange(5 * 3 * 4, dtype="float32").reshape(5, 3, 4)
    values[-1] = np.nan  # the last step is empty: the default is the latest valid one
    return xr.DataArray(values, dims=("time", "latitude", "longitude"), name="sst",
                        coords={"time": times, "latitude": [10.0, 11.0, 12.0],
                                "longitude": [1.0, 2.0, 3.0, 4.0]})


def test_the_step_nearest_at_is_drawn_and_named():
    field = select_grid(_grid(), parse_query({"at": "2016-10-03T02:00Z"}))
    assert pd.Timestamp(field.time.values) == pd.Timestamp("2016-10-03T12:00")
    assert float(field.values[0, 0]) == 2 * 12
    assert grid_step_label(field) == "2016-10-03 12:00 UTC, "


def test_without_at_the_latest_valid_step_is_drawn():
    field = select_grid(_grid(), Query())
    assert pd.Timestamp(field.time.values) == pd.Timestamp("2016-10-04T12:00")


def test_at_stays_inside_the_time_window():
    query = parse_query({"time": "2016-10-01/2016-10-02", "at": "2016-10-04T12:00Z"})
    assert pd.Timestamp(select_grid(_grid(), query).time.values).day == 2


@pytest.fixture
def sst_entry(shared):
    from portal.cataloging.scan import describe_file

    return describe_file(str(shared / "gridded/MWsstd1day_modis_sst_westus.nc"),
                         "modis_sst")


def test_the_pane_has_a_time_slider_bound_to_the_url(sst_entry):
    from portal.ui.quicklook_pane import QuicklookPane
    from portal.ui.state import ViewState

    state = ViewState(dataset="modis_sst", at="2016-11-01T11:00Z")
    pane = QuicklookPane(state=state, entry=sst_entry)
    step = pane._widgets["step"]
    assert len(step.options) == 60 and step.value == "2016-11-01T12:00:00Z"  # nearest step
    step.value = step.values[3]
    assert state.at == "2016-10-21T12:00:00Z"
    assert state.quicklook_params()["at"] == "2016-10-21T12:00:00Z"  # PNG and embed links
    assert "level" not in pane._widgets  # one altitude only: no depth slider


def test_observations_get_no_step_slider():
    from portal.ui.controls import grid_axes

    entry = DatasetEntry.from_metadata("p", "netcdf", {"urlpath": "/nowhere.nc"},
                                       {"title": "p", "featureType": "profile"})
    assert grid_axes(entry, Query()) == ([], [])
