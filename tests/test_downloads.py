"""Downloads: the selection's values equal the file's, provenance, the size cap before reading."""

from __future__ import annotations

import io
import time

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from portal import downloads
from portal.cataloging.scan import describe_file
from portal.errors import NoDataInSelection, SelectionTooLarge
from portal.query import Query
from portal.settings import Limits


@pytest.fixture(scope="module")
def series(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dl")
    times = pd.date_range("2020-01-01", periods=48, freq="h")
    temp = np.round(np.linspace(10, 14.7, 48), 3)
    flags = np.where(np.arange(48) % 5 == 0, 4, 1).astype("int8")
    ds = xr.Dataset(
        {"TEMP": ("time", temp, {"units": "degC", "standard_name": "sea_water_temperature"}),
         "TEMP_QC": ("time", flags, {"flag_values": np.array([1, 4], "int8"),
                                     "flag_meanings": "good bad"})},
        coords={"time": times, "latitude": 43.2, "longitude": 5.3},
        attrs={"title": "Mooring", "featureType": "timeSeries", "institution": "Test lab"})
    path = folder / "mooring.nc"
    ds.to_netcdf(path)
    return describe_file(str(path), "mooring"), ds


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dlgrid")
    rng = np.random.default_rng(3)
    ds = xr.Dataset(
        {"sst": (("time", "latitude", "longitude"), np.round(rng.random((3, 10, 20)), 4),
                 {"units": "degC", "standard_name": "sea_surface_temperature"})},
        coords={"time": pd.date_range("2021-01-01", periods=3, freq="D"),
                "latitude": np.linspace(40, 49, 10), "longitude": np.linspace(-10, 9, 20)},
        attrs={"title": "Grid"})
    path = folder / "grid.nc"
    ds.to_netcdf(path)
    return describe_file(str(path), "gridded"), ds


def read_csv(selection) -> pd.DataFrame:
    text = "".join(downloads.csv_chunks(selection))
    assert text.startswith("# source_dataset: ")
    return pd.read_csv(io.StringIO(text), comment="#")


def test_csv_of_a_time_window_equals_the_file(series):
    entry, ds = series
    selection = downloads.prepare(entry, Query(time="2020-01-01T10:00Z/2020-01-02T03:00Z"))
    frame = read_csv(selection)
    expected = ds.sel(time=slice("2020-01-01T10:00", "2020-01-02T03:00"))
    assert selection.size == expected.sizes["time"] == len(frame)
    np.testing.assert_array_equal(frame["TEMP"].to_numpy(), expected.TEMP.values)
    assert pd.to_datetime(frame["time"]).dt.tz_localize(None).tolist() == \
        pd.DatetimeIndex(expected.time.values).tolist()


def test_qc_good_drops_flagged_rows_and_qc_all_keeps_them(series):
    entry, ds = series
    good = read_csv(downloads.prepare(entry, Query(qc="good")))
    assert len(good) == int((ds.TEMP_QC == 1).sum())
    np.testing.assert_array_equal(good["TEMP"].to_numpy(), ds.TEMP.values[ds.TEMP_QC == 1])
    assert len(read_csv(downloads.prepare(entry, Query(qc="all")))) == 48


def test_netcdf_carries_values_and_provenance(series, grid):
    entry, ds = grid
    selection = downloads.prepare(entry, Query(bbox="-5,42,0,45", time="2021-01-02"))
    out = xr.open_dataset(io.BytesIO(downloads.netcdf_bytes(selection)), engine="h5netcdf")
    expected = ds.sst.sel(time=["2021-01-02"], latitude=slice(42, 45), longitude=slice(-5, 0))
    np.testing.assert_array_equal(out.sst.values.squeeze(), expected.values.squeeze())
    assert out.attrs["source"] == "grid.nc"  # a file name, never the server's folders
    assert out.attrs["source_kind"] == "netcdf" and "bbox=-5,42,0,45" in out.attrs["portal_query"]
    assert out.attrs["portal_version"] and out.attrs["date_created"].endswith("Z")
    entry, ds = series
    obs = xr.open_dataset(io.BytesIO(downloads.netcdf_bytes(downloads.prepare(entry, Query()))),
                          engine="h5netcdf")
    assert obs.attrs["featureType"] == "point"
    np.testing.assert_array_equal(obs.TEMP.values, ds.TEMP.values)


def test_over_the_cap_is_refused_fast_with_the_estimate(series, grid, monkeypatch):
    monkeypatch.setattr(downloads, "limits", lambda: Limits(max_download_rows=10, max_download_cells=100))
    start = time.perf_counter()
    with pytest.raises(SelectionTooLarge) as info:
        downloads.prepare(series[0], Query())
    assert time.perf_counter() - start < 1.0
    assert info.value.http_status == 413 and "about 48 rows" in str(info.value)
    assert "narrow the time range" in str(info.value)
    with pytest.raises(SelectionTooLarge, match="about 600 cells"):
        downloads.prepare(grid[0], Query())
    assert downloads.prepare(grid[0], Query(bbox="-10,40,-8,44", time="2021-01-01")).size == 15


def test_empty_selection_is_no_data(series):
    with pytest.raises(NoDataInSelection):
        downloads.prepare(series[0], Query(time="1999"))


def test_estimate_is_the_size_check_and_names_a_refusal(series, monkeypatch):
    from portal.settings import Limits

    entry, ds = series
    query = Query(time="2020-01-01T10:00Z/2020-01-02T03:00Z")
    shown = downloads.estimate(entry, query)
    assert shown.size == downloads.prepare(entry, query).size > 0 and not shown.refused
    assert shown.label().startswith(f"≈ {shown.size:,} rows, ~")
    monkeypatch.setattr(downloads, "limits", lambda: Limits(max_download_rows=2))
    refused = downloads.estimate(entry, Query(time="2020-01-01/2020-01-03"))
    assert "over the download limit of 2" in refused.refused and "narrow" in refused.refused


def test_the_size_hint_and_refusals_in_french():
    from portal.ui.download_links import download_links

    shown = downloads.Estimate(12345, "rows", 1_234_567)
    assert shown.label() == "≈ 12,345 rows, ~1.2 MB"
    assert shown.label("fr") == "≈ 12\u202f345 lignes, ~1,2 Mo"
    assert downloads.Estimate(1, "cells", 820).label("fr") == "≈ 1 maille, ~820 o"
    html = download_links(lambda p: p, "x", "var=TEMP", shown, "fr")
    assert "lignes, ~1,2 Mo" in html and "rows" not in html
    too_large = downloads.Estimate(0, "rows", 0, "the selection holds about 48 rows, over …",
                                   over=48_000, cap=10_000)
    french = too_large.refusal("fr")
    assert french.startswith("la sélection compte environ 48\u202f000 lignes")
    assert "10\u202f000" in french and "réduisez la période" in french
    assert too_large.refusal() == too_large.refused
    html = download_links(lambda p: p, "x", "", too_large, "fr")
    assert "téléchargement refusé" in html and "selection" not in html
    empty = downloads.Estimate(0, "rows", 0, "no observation in this selection — widen …")
    assert empty.refusal("fr").startswith("aucune donnée dans cette sélection")


def test_a_refused_estimate_carries_its_figures(series, monkeypatch):
    entry, _ = series
    monkeypatch.setattr(downloads, "limits", lambda: Limits(max_download_rows=2))
    refused = downloads.estimate(entry, Query(time="2020-01-01/2020-01-03"))
    assert refused.cap == 2 and refused.over > 2 and refused.unit == "rows"
    assert f"{refused.over:,} rows" in refused.refused
    from portal.i18n import number

    assert refused.refusal("fr").startswith(
        f"la sélection compte environ {number(refused.over, 'fr')} lignes")
