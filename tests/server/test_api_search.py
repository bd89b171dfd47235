"""/api/datasets search and /api/datasets/ID/citation: in process and over HTTP."""

from __future__ import annotations

import io
import json

import pytest

from portal.catalog.loader import Catalog
from portal.errors import BadParameter
from portal.server.api import parse_search, search_payload
from tests.catalog.test_search import ENTRIES
from tests.server.conftest import http_get

BASE = "https://data.example.org/portal"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog(entries={e.id: e for e in ENTRIES})


def payload(catalog, base="", **params):
    return search_payload(catalog, {k: [v] if isinstance(v, str) else v
                                    for k, v in params.items()}, base)


def ids(answer) -> list[str]:
    return [d["id"] for d in answer["datasets"]]


def test_no_parameters_list_everything_with_links(catalog):
    answer = payload(catalog, BASE)
    assert answer["count"] == len(ENTRIES) and ids(answer) == [e.id for e in ENTRIES]
    sst = answer["datasets"][3]
    assert sst["title"] == "SST, Aqua MODIS" and sst["source"] == "netcdf"
    assert sst["quicklooks"]["map"] == f"{BASE}/quicklook/sst_grid/map.png"
    assert sst["links"]["thumbnail"].startswith(f"{BASE}/thumbnail/sst_grid.png?width=")
    assert sst["links"]["page"] == f"{BASE}/?dataset=sst_grid"
    assert sst["links"]["embed"] == f"{BASE}/embed?dataset=sst_grid"
    assert sst["links"]["citation"] == f"{BASE}/api/datasets/sst_grid/citation"
    assert answer["facets"]["source"] == {"netcdf": 4, "odv": 1}


def test_text_box_time_and_facets_combine(catalog):
    answer = payload(catalog, q="temperature", bbox="175,-25,-175,-10",
                     time="2011-01-01/2011-02-01", feature_type="timeSeries")
    assert ids(answer) == ["fiji_mooring"]
    assert answer["facets"]["feature_type"] == {"timeSeries": 1}
    either = payload(catalog, institution=["IRD", "NASA"])
    assert ids(either) == ["fiji_mooring", "sst_grid", "no_place"]


def test_nothing_matched_is_an_empty_list_not_everything():
    local = Catalog(entries={e.id: e for e in ENTRIES if e.id != "sst_grid"})  # not global
    for params in ({"bbox": "60,-60,70,-50"}, {"time": "1850/1851"}, {"q": "zzzz"}):
        answer = payload(local, **params)
        assert answer["count"] == 0 and answer["datasets"] == [], params
        assert all(not counts for counts in answer["facets"].values())
    answer = payload(local, eov="Sea ice")
    assert answer["datasets"] == [] and answer["facets"]["eov"]["Subsurface temperature"] == 2


def test_limit_and_offset_page_the_matches(catalog):
    answer = payload(catalog, limit="2", offset="1")
    assert answer["count"] == len(ENTRIES) and ids(answer) == ["fiji_mooring", "med_odv"]


@pytest.mark.parametrize("params, name", [
    ({"bbox": ["1,2,3"]}, "bbox"), ({"bbox": ["0,10,5,5"]}, "bbox"),
    ({"time": ["2020-13-01/"]}, "time"), ({"time": ["2021/2020"]}, "time"),
    ({"limit": ["-1"]}, "limit"), ({"offset": ["x"]}, "offset"),
    ({"colour": ["red"]}, "colour"),
])
def test_bad_parameters_are_named(params, name):
    with pytest.raises(BadParameter) as info:
        parse_search(params)
    assert info.value.parameter == name and info.value.http_status == 400


# ------------------------------------------------------------------------ over HTTP


def test_http_search_and_errors(served_portal):
    port = served_portal.port
    status, headers, body = http_get(port, "/api/datasets")
    assert status == 200 and headers["content-type"].startswith("application/json")
    answer = json.loads(body)
    assert answer["count"] == 1 and ids(answer) == ["grid"]
    links = answer["datasets"][0]["links"]
    # links start with the configured public URL (serve's default: its own address)
    url = served_portal.url
    assert links["page"] == f"{url}/?dataset=grid"
    assert links["thumbnail"].startswith(f"{url}/thumbnail/grid.png")
    status, headers, body = http_get(port, links["thumbnail"][len(url):])  # the CLI's builder
    assert status == 200 and headers["content-type"] == "image/png"
    from PIL import Image

    with Image.open(io.BytesIO(body)) as image:
        assert image.size == (240, 160)
    assert http_get(port, "/thumbnail/grid.png?width=5000")[0] == 400
    assert http_get(port, "/thumbnail/nope.png")[0] == 404
    other_host = http_get(port, "/api/datasets", {"Host": f"localhost:{port}"})
    assert other_host[0] == 200 and json.loads(other_host[2]) == answer  # never from Host
    status, _, body = http_get(port, "/api/datasets?bbox=-5,42,-4,43&q=small&institution="
                                     "%3Cimg%20src%3Dx%20onerror%3D%22window.__pwned%3D1%22%3E")
    assert status == 200 and ids(json.loads(body)) == ["grid"]
    status, _, body = http_get(port, "/api/datasets?bbox=170,-10,-170,10")
    assert status == 200 and json.loads(body)["datasets"] == []
    status, headers, body = http_get(port, "/api/datasets?bbox=1,2,3")
    assert status == 400 and b"bbox" in body and headers["cache-control"] == "no-store"
    status, _, body = http_get(port, "/api/datasets?time=2020/2019")
    assert status == 400 and b"time" in body


def test_http_citation(served_portal):
    port = served_portal.port
    status, headers, body = http_get(port, "/api/datasets/grid/citation?format=bibtex&lang=fr")
    assert status == 200 and headers["content-type"].startswith("application/x-bibtex")
    assert body.startswith(b"@misc{") and b"title = {{Small grid}}" in body
    assert b"language = {french}" in body
    status, headers, body = http_get(port, "/api/datasets/grid/citation")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    assert b"Small grid." in body and b"Accessed" in body
    assert http_get(port, "/api/datasets/grid/citation?format=ris")[0] == 400
    assert http_get(port, "/api/datasets/nope/citation")[0] == 404


def test_http_downloads_equal_the_file(served_portal):
    import io

    import numpy as np
    import pandas as pd
    import xarray as xr

    port = served_portal.port
    source = xr.open_dataset(served_portal.log.parent / "grid.nc")
    box = source.sst.sel(latitude=slice(42, 45), longitude=slice(-6, -3))
    status, headers, body = http_get(port, "/download/grid.csv?bbox=-6,42,-3,45")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    assert 'filename="grid.csv"' in headers["content-disposition"]
    frame = pd.read_csv(io.BytesIO(body), comment="#")
    assert len(frame) == box.size == int(headers["x-selection-size"])
    expected = box.to_dataframe().reset_index()
    np.testing.assert_allclose(frame["sst"].to_numpy(), expected["sst"].to_numpy(), rtol=1e-15)
    status, headers, body = http_get(port, "/download/grid.nc?bbox=-6,42,-3,45")
    assert status == 200 and headers["content-type"] == "application/x-netcdf"
    out = xr.open_dataset(io.BytesIO(body), engine="h5netcdf")
    np.testing.assert_array_equal(out.sst.values, box.values)
    assert out.attrs["source"] == "grid.nc" and out.attrs["portal_query"] == "bbox=-6,42,-3,45"
    assert http_get(port, "/download/grid.csv?bbox=1,2,3")[0] == 400
    assert http_get(port, "/download/nope.csv")[0] == 404
    assert http_get(port, "/download/grid.csv?bbox=100,0,101,1")[0] == 404  # nothing there
