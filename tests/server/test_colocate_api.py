"""The colocation over HTTP: ``/api/colocate`` streams CSV equal to xarray on the files,
``/quicklook/colocate.png`` draws, and bad pairs answer 400/404 naming both datasets."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from tests.server.conftest import http_get, serving


@pytest.fixture(scope="module")
def demo_served(tmp_path_factory):
    from portal.demo import ensure_demo_catalog

    catalog = Path(ensure_demo_catalog())
    with serving(catalog, tmp_path_factory.mktemp("coloc")) as served:
        yield served, catalog.parent.parent / "data" / "demo"


def _csv(body: bytes) -> tuple[dict[str, str], pd.DataFrame]:
    text = body.decode()
    meta = dict(line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# "))
    return meta, pd.read_csv(io.StringIO(text), comment="#", parse_dates=["time"])


@pytest.mark.parametrize("method", ["nearest", "linear"])
def test_csv_equals_xarray_on_the_file(demo_served, method):
    served, data = demo_served
    status, headers, body = http_get(
        served.port, f"/api/colocate?grid=demo_sst_biscay&obs=demo_argo_biscay&var_grid=sst"
                     f"&var_obs=TEMP&method={method}&time=2023-08-01/2023-08-31")
    assert status == 200, body[:300]
    assert headers["content-type"].startswith("text/csv")
    meta, rows = _csv(body)
    assert list(rows.columns) == ["time", "latitude", "longitude", "depth", "observed", "gridded"]
    assert meta["grid_dataset"] == "demo_sst_biscay" and meta["obs_dataset"] == "demo_argo_biscay"
    assert meta["method"] == method and "shallowest" in meta["rules"] and meta["n"] == "3"
    raw = xr.open_dataset(data / "sst_biscay_daily_0.1deg.nc")["sst"]
    when = rows.time.dt.tz_convert(None).to_numpy()  # the CSV's times: to the second
    points = {"time": xr.DataArray(when, dims="obs"),
              "lat": xr.DataArray(rows.latitude.to_numpy(), dims="obs"),
              "lon": xr.DataArray(rows.longitude.to_numpy(), dims="obs")}
    expected = (raw.interp(points) if method == "linear"
                else raw.sel(points, method="nearest")).values
    np.testing.assert_allclose(rows.gridded, expected, rtol=1e-6)
    diff = rows.observed - rows.gridded
    assert float(meta["bias_obs_minus_grid"]) == pytest.approx(diff.mean(), rel=1e-5)
    assert float(meta["rmse"]) == pytest.approx(np.sqrt((diff**2).mean()), rel=1e-5)


def test_png_draws(demo_served):
    served, _ = demo_served
    status, headers, body = http_get(
        served.port, "/quicklook/colocate.png?grid=demo_sst_biscay&obs=demo_mooring_biscay"
                     "&method=linear&width=900&height=450")
    assert status == 200, body[:300]
    assert headers["content-type"] == "image/png" and body[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    image = Image.open(io.BytesIO(body))
    assert image.size[0] >= 850 and len(image.convert("RGB").getcolors(1 << 24)) > 50


def test_png_in_french_is_labelled_apart(demo_served):
    """``lang=fr`` reaches the colocation PNG (its French texts: tests/quicklooks/
    test_labels_lang.py): another image than the English one, not the cached English."""
    served, _ = demo_served
    path = ("/quicklook/colocate.png?grid=demo_sst_biscay&obs=demo_mooring_biscay"
            "&method=nearest&width=700&height=400")
    english = http_get(served.port, path)
    french = http_get(served.port, path + "&lang=fr")
    assert english[0] == french[0] == 200
    assert french[2][:8] == b"\x89PNG\r\n\x1a\n" and french[2] != english[2]
    assert http_get(served.port, path)[2] == english[2]


@pytest.mark.parametrize(("query", "status", "words"), [
    ("grid=demo_argo_biscay&obs=demo_mooring_biscay", 400, ["demo_argo_biscay", "not a grid",
                                                            "demo_mooring_biscay"]),
    ("grid=demo_sst_biscay&obs=demo_sst_biscay", 400, ["not an in-situ", "grid=demo_sst_biscay"]),
    ("grid=demo_sst_biscay&obs=demo_argo_atlantic", 404, ["demo_argo_atlantic",
                                                          "demo_sst_biscay"]),
    ("grid=demo_sst_biscay&obs=demo_argo_biscay&time=2024-01-01/2024-02-01", 404,
     ["demo_argo_biscay", "demo_sst_biscay"]),
    ("grid=demo_sst_biscay&obs=nope", 404, ["nope"]),
    ("grid=demo_sst_biscay&obs=demo_argo_biscay&method=cubic", 400, ["method"]),
    ("obs=demo_argo_biscay", 400, ["grid"]),
])
def test_errors_name_both_datasets(demo_served, query, status, words):
    served, _ = demo_served
    for path in (f"/api/colocate?{query}", f"/quicklook/colocate.png?{query}"):
        got, _, body = http_get(served.port, path)
        text = body.decode()
        assert got == status, text
        assert all(w in text for w in words), text


def test_routes_reach_both_servers():
    """``odatis-portal serve`` (routes()) and the ``panel serve`` plugin list both routes
    (the plugin read in a process of its own: importing it patches Bokeh and Tornado for
    the whole process, as ``panel serve`` wants, which this test process must not get)."""
    import subprocess
    import sys

    from portal.server.colocate import ColocateCSVHandler, ColocatePNGHandler
    from portal.server.handlers import routes

    handlers = {route[0]: route[1] for route in routes()}
    assert handlers[r"/api/colocate/?"] is ColocateCSVHandler
    assert handlers[r"/quicklook/colocate\.png"] is ColocatePNGHandler
    code = ("from portal.server.plugin import ROUTES\n"
            "for route in ROUTES: print(route[0], route[1].__name__)\n")
    listed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True).stdout.splitlines()
    assert r"/api/colocate/? ColocateCSVHandler" in listed
    assert r"/quicklook/colocate\.png ColocatePNGHandler" in listed


def test_too_many_observations_answer_413(monkeypatch):  # a query no other test caches
    from portal import colocation
    from portal.catalog.loader import load_catalog
    from portal.demo import ensure_demo_catalog
    from portal.errors import SelectionTooLarge
    from portal.query import Query
    from portal.settings import Limits

    monkeypatch.setattr(colocation, "limits", lambda: Limits(max_download_rows=1000))
    catalog = load_catalog(ensure_demo_catalog())
    with pytest.raises(SelectionTooLarge, match="demo_mooring_biscay.*demo_sst_biscay"):
        colocation.colocate_entries(catalog["demo_sst_biscay"], catalog["demo_mooring_biscay"],
                                    Query(time=("2023-08-02", "2023-08-20")), method="linear")


@pytest.fixture(scope="module")
def restricted_served(tmp_path_factory):
    """The demo grid with copies of the demo float whose data, or whole entry, are restricted."""
    from portal.catalog.loader import load_catalog, write_catalog
    from portal.demo import ensure_demo_catalog
    from portal.model import DatasetEntry

    catalog = load_catalog(ensure_demo_catalog())
    argo = catalog["demo_argo_biscay"]
    meta = argo.metadata()
    entries = [catalog["demo_sst_biscay"],
               DatasetEntry.from_metadata("graphs_only", argo.source, argo.arguments, {
                   **meta, "access": {"graphs": "public", "data": ["staff"]}}),
               DatasetEntry.from_metadata("hidden", argo.source, argo.arguments, {
                   **meta, "access": ["staff"]})]
    folder = tmp_path_factory.mktemp("coloc_access")
    path = write_catalog(entries, folder / "catalog.yaml", title="Colocation access")
    with serving(Path(path), folder) as served:
        yield served


def test_restricted_datasets_follow_the_access_rules(restricted_served):
    port, pair = restricted_served.port, "grid=demo_sst_biscay&obs="
    status, headers, _ = http_get(port, f"/quicklook/colocate.png?{pair}graphs_only")
    assert status == 200 and "private" in headers["cache-control"]  # graphs are public
    assert http_get(port, f"/api/colocate?{pair}graphs_only")[0] == 404  # its data are not
    for path in (f"/quicklook/colocate.png?{pair}hidden", f"/api/colocate?{pair}hidden"):
        status, _, body = http_get(port, path)
        assert status == 404 and b"hidden" in body  # as for an unknown id
