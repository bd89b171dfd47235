"""ERDDAP entries through the replay server give the same quicklook data as the files."""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest

from portal.errors import NoDataInSelection, UnsupportedQuicklook
from portal.formats.netcdf import open_netcdf_file
from portal.model import DatasetEntry, Query
from portal.processing.normalize import to_grid, to_observations
from portal.remote.sizing import SelectionTooLarge
from portal.sources import open_dataset

from .servers import ERDDAP_DIR


def entry(server: str, dataset_id: str, protocol: str, entry_id: str = "e", **args):
    args = {"server": server, "dataset_id": dataset_id, "protocol": protocol, **args}
    return DatasetEntry.from_metadata(entry_id, "erddap", args, {"title": dataset_id})


def recorded(rel: str):
    return open_netcdf_file(os.path.join(ERDDAP_DIR, rel))


def same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind in "fc":
        return np.array_equal(a, b, equal_nan=True)
    return np.array_equal(a, b)


def assert_same_observations(got, expected, variable):
    """Same observations; ``feature`` compared as groups (flat answers get profile ids)."""
    raw = expected
    got, expected = to_observations(got, variable), to_observations(expected, variable)
    assert got.sizes == expected.sizes
    for name in expected.variables:
        if name != "feature":
            assert same(got[name].values, expected[name].values), name
    ids = [n for n, v in raw.variables.items() if v.attrs.get("cf_role") and v.dims == ("row",)]
    if ids:  # one feature per distinct (platform, cycle) of the recorded answer
        import pandas as pd

        groups = pd.DataFrame({n: raw[n].values for n in ids}).drop_duplicates()
        assert len(np.unique(got["feature"].values)) == len(groups) > 1


def query_parts(url: str) -> tuple[list[str], list[str]]:
    query = urlsplit(url).query
    first, *rest = query.split("&")
    return unquote(first).split(","), [unquote(p) for p in rest]


def test_tabledap_subset_on_server_and_same_data(erddap):
    e = entry(erddap.url, "ArgoFloats", "tabledap")
    query = Query(variable="temp", time=("2004-01-01", "2004-01-31"),
                  bbox=(-20.0, 0.0, -16.0, 1.0), depth=(0.0, 100.0))
    ds = open_dataset(e, query)
    (req,) = erddap.data_requests()
    assert req.path == "/erddap/tabledap/ArgoFloats.nc"
    variables, constraints = query_parts(ds.attrs["source_url"])
    assert variables[:6] == ["time", "latitude", "longitude", "pres", "temp", "temp_qc"]
    assert constraints == [
        "time>=1072915200.0", "time<=1075593599.999999", "latitude>=0.0", "latitude<=1.0",
        "longitude>=-20.0", "longitude<=-16.0", "pres>=0.0", "pres<=100.0"]
    assert "portal-test@example.org" in req.user_agent and "odatis-portal/" in req.user_agent
    assert_same_observations(ds, recorded("tabledap/ArgoFloats_box_2004-01.nc"), "temp")


def test_repeated_quicklook_costs_no_upstream_request(erddap):
    e = entry(erddap.url, "ArgoFloats", "tabledap")
    query = Query(variable="temp", time=("2004-01-01", "2004-01-31"))
    first = open_dataset(e, query)
    count = len(erddap.requests)
    second = open_dataset(e, query)
    assert len(erddap.requests) == count == 2  # info + data, once
    assert same(first["temp"].values, second["temp"].values)


def test_cache_place_and_time_to_live(erddap, remote_env, monkeypatch):
    e = entry(erddap.url, "ArgoFloats", "tabledap")
    query = Query(variable="temp", time=("2004-01-01", "2004-01-31"))
    open_dataset(e, query)
    files = os.listdir(os.path.join(remote_env["PORTAL_CACHE_DIR"], "files"))
    assert len(files) == 1 and files[0].endswith(".nc")
    monkeypatch.setenv("PORTAL_CACHE_TTL_S", "0")  # no cache: every quicklook asks again
    open_dataset(e, query)
    open_dataset(e, query)
    assert len(erddap.data_requests()) == 3


def test_ncCF_timeseries(erddap):
    e = entry(erddap.url, "pmelTao5dayIso", "tabledap", default_days=0)
    ds = open_dataset(e, Query(variable="ISO_6"))
    assert urlsplit(ds.attrs["source_url"]).path.endswith("/pmelTao5dayIso.ncCF")
    assert_same_observations(ds, recorded("tabledap/pmelTao5dayIso_ncCF_timeseries.nc"), "ISO_6")
    assert to_observations(ds, "ISO_6").attrs["featureType"] == "timeSeries"


def test_csv_response(erddap):
    import pandas as pd

    e = entry(erddap.url, "erdCinpKfmBT", "tabledap", response="csv", default_days=0)
    ds = open_dataset(e, Query(variable="Aplysia_californica_Mean_Density"))
    frame = pd.read_csv(os.path.join(ERDDAP_DIR, "tabledap/erdCinpKfmBT_2007-06-24_2007-07-01.csv"),
                        skiprows=[1])
    obs = to_observations(ds, "Aplysia_californica_Mean_Density")
    assert obs.sizes["obs"] == len(frame)
    assert same(obs["Aplysia_californica_Mean_Density"].values,
                frame["Aplysia_californica_Mean_Density"].to_numpy())
    assert same(obs["latitude"].values, frame["latitude"].to_numpy())
    assert str(obs["time"].values[0]).startswith("2007-07-01")


def test_csvp_response(erddap):
    import pandas as pd

    e = entry(erddap.url, "amelia-20180501T0000", "tabledap", response="csvp",
              variables=["temperature"])
    ds = open_dataset(e, Query(time=("2018-05-08", "2018-05-13")))
    assert urlsplit(ds.attrs["source_url"]).path.endswith("/amelia-20180501T0000.csvp")
    frame = pd.read_csv(os.path.join(ERDDAP_DIR, "tabledap",
                                     "amelia-20180501T0000_glider_temperature.csvp"))
    assert same(ds["temperature"].values, frame["temperature (Celsius)"].to_numpy())
    assert ds["temperature"].attrs["units"] == "Celsius"
    assert ds["time"].dtype == "datetime64[ns]"
    assert str(ds["time"].values[0]) == "2018-05-08T00:32:38.000000000"


def test_default_window_is_the_last_days(erddap):
    e = entry(erddap.url, "ArgoFloats", "tabledap", default_days=10)
    ds = open_dataset(e, Query(variable="temp"))
    _, constraints = query_parts(ds.attrs["source_url"])
    times = [float(c.split("=")[1]) for c in constraints if c.startswith("time")]
    assert len(times) == 2 and times[1] - times[0] == pytest.approx(10 * 86400.0)


def test_griddap_bbox_and_same_grid(erddap):
    e = entry(erddap.url, "GEBCO_2020", "griddap")
    ds = open_dataset(e, Query(bbox=(90.0, -60.0, 100.0, -55.0)))
    assert unquote(urlsplit(ds.attrs["source_url"]).query) == \
        "elevation[(-60.0):1:(-55.0)][(90.0):1:(100.0)]"
    expected = to_grid(recorded("griddap/GEBCO_2020_subset.nc"))
    got = to_grid(ds)
    assert got.shape == expected.shape and same(got.values, expected.values)


def test_griddap_time_axis_and_all_nan_answer(erddap):
    e = entry(erddap.url, "erdQMekm14day", "griddap")
    ds = open_dataset(e, Query(variable="u_current", time=("2015-12-28", "2016-01-01")))
    query = unquote(urlsplit(ds.attrs["source_url"]).query)
    assert query.startswith("u_current[(2015-12-28T00:00:00Z):1:(2016-01-01T00:00:00Z)]"
                            "[(0.0):1:(0.0)][(23.0):1:(24.0)][(88.0):1:(90.0)]")
    got = to_grid(ds, "u_current")
    assert got.shape == (5, 1, 5, 9) and bool(np.isnan(got.values).all())


def test_griddap_over_the_cap_strides(erddap, monkeypatch):
    monkeypatch.setenv("PORTAL_OPENDAP_MAX_MB", "0.1")
    ds = open_dataset(entry(erddap.url, "GEBCO_2020", "griddap"), Query())
    query = unquote(urlsplit(ds.attrs["source_url"]).query)
    assert query.count(":3:") == 2  # 313 × 1009 int16 ≈ 632 kB → every 3rd point: 71 kB
    assert "latitude every 3" in ds.attrs["portal_reduced"]


def test_griddap_over_the_cap_refused(erddap, monkeypatch):
    monkeypatch.setenv("PORTAL_OPENDAP_MAX_MB", "0.1")
    monkeypatch.setenv("PORTAL_OPENDAP_OVERSIZE", "refuse")
    with pytest.raises(SelectionTooLarge) as info:
        open_dataset(entry(erddap.url, "GEBCO_2020", "griddap", "gebco"), Query())
    text = str(info.value)
    assert text.startswith("gebco: elevation in this selection is about 632 kB")
    assert "over the 105 kB limit" in text and "smaller area" in text
    assert not erddap.data_requests()


def test_griddap_selection_outside_range(erddap):
    with pytest.raises(NoDataInSelection):
        open_dataset(entry(erddap.url, "GEBCO_2020", "griddap"), Query(bbox=(0, 0, 10, 10)))
    assert not erddap.data_requests()


def test_unknown_variable_is_refused_before_any_request(erddap):
    with pytest.raises(UnsupportedQuicklook) as info:
        open_dataset(entry(erddap.url, "ArgoFloats", "tabledap"),
                     Query(variable='temp&longitude>=0&x="'))
    assert "is not in this dataset" in str(info.value) and "choose one of: temp" in str(info.value)
    assert not erddap.data_requests()


def test_constraint_values_in_url_are_only_numbers(erddap):
    e = entry(erddap.url, "ArgoFloats", "tabledap")
    ds = open_dataset(e, Query(variable="psal", time=("2004-01-01T00:00:00+02:00", None)))
    variables, constraints = query_parts(ds.attrs["source_url"])
    assert "psal" in variables and "psal_qc" in variables
    assert constraints == ["time>=1072908000.0"]  # +02:00 converted to UTC, no end
