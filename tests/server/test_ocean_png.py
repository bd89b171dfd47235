"""The oceanographer's kinds through the PNG route ``/quicklook/DATASET/KIND.png``: a real
Argo float's T-S diagram, section and time–depth are valid, non-uniform PNGs; a dataset
without salinity or with one level answers with a readable error naming the dataset."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from tests.server.conftest import http_get, serving


def ocean_catalog(folder, shared):
    from portal.catalog.loader import write_catalog
    from portal.cataloging.scan import describe_file

    one_level = xr.Dataset(  # a mooring's single temperature sensor, no salinity
        {"TEMP": ("time", 12 + np.sin(np.arange(200) / 10), {"units": "degree_Celsius",
                                                            "standard_name":
                                                                "sea_water_temperature"})},
        coords={"time": pd.date_range("2024-01-01", periods=200, freq="h"),
                "depth": ((), 12.0, {"units": "m", "positive": "down", "axis": "Z"}),
                "latitude": 47.0, "longitude": -3.0},
        attrs={"title": "One-level mooring", "featureType": "timeSeries"})
    one_level.to_netcdf(folder / "mooring.nc")
    entries = [describe_file(str(shared / "argo" / "multiprofile" / "6901744_prof.nc"), "argo"),
               describe_file(str(folder / "mooring.nc"), "mooring")]
    return write_catalog(entries, folder / "catalog.yaml", title="Ocean kinds")


@pytest.fixture(scope="module")
def served(tmp_path_factory, shared):
    folder = tmp_path_factory.mktemp("ocean-png")
    with serving(ocean_catalog(folder, shared), folder) as server:
        yield server


@pytest.mark.parametrize("kind", ["ts", "section", "timedepth"])
def test_argo_kinds_render_real_pngs(served, kind):
    from PIL import Image

    status, headers, body = http_get(served.port, f"/quicklook/argo/{kind}.png?width=700"
                                                  "&height=450", timeout=180)
    assert status == 200, body[:300]
    assert headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(body)).convert("RGB")
    assert image.size == (700, 450)
    assert len(set(image.getdata())) > 50  # colours, contours, not a blank frame


def test_ts_coloured_by_depth_and_qc(served):
    for color in ("depth", "qc"):
        status, _, body = http_get(served.port, f"/quicklook/argo/ts.png?color={color}",
                                   timeout=180)
        assert status == 200, (color, body[:300])


@pytest.mark.parametrize("kind", ["ts", "timedepth", "section"])
def test_kinds_that_do_not_apply_are_refused_naming_the_dataset(served, kind):
    """No salinity, a single depth: the kind is not offered, and asking for it says so."""
    status, _, body = http_get(served.port, f"/quicklook/mooring/{kind}.png", timeout=120)
    text = body.decode()
    assert status == 400, (status, text)
    assert text.startswith(f"mooring: no {kind} quicklook for a timeSeries dataset"), text
    assert "available: timeseries" in text and "Traceback" not in text
