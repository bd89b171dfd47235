"""The PNG route answers bad parameters with 400 naming them, out-of-coverage selections
with a polite 404, and multi-variable maps at once; failures are remembered (bounded)."""

from __future__ import annotations

import pytest

from tests.server.conftest import http_get, serving


def series_catalog(folder):
    """A grid over time and depth with two variables (``series``) beside ``grid``."""
    import numpy as np
    import pandas as pd
    import xarray as xr

    from portal.catalog.loader import write_catalog
    from portal.cataloging.scan import describe_file

    rng = np.random.default_rng(1)
    shape = (6, 3, 20, 30)
    coords = {"time": pd.date_range("2020-01-01", periods=6, freq="D"),
              "depth": [0.0, 10.0, 50.0], "latitude": np.linspace(40, 50, 20),
              "longitude": np.linspace(-10, 0, 30)}
    dims = tuple(coords)
    xr.Dataset({"sst": (dims, rng.random(shape), {"units": "degC", "long_name": "T"}),
                "sss": (dims, 35 + rng.random(shape), {"units": "1e-3", "long_name": "S"})},
               coords=coords, attrs={"title": "Series"}).to_netcdf(folder / "series.nc")
    entry = describe_file(str(folder / "series.nc"), "series")
    return write_catalog([entry], folder / "catalog.yaml", title="PNG route tests")


@pytest.fixture(scope="module")
def served_portal(tmp_path_factory):
    folder = tmp_path_factory.mktemp("png-route")
    with serving(series_catalog(folder), folder) as served:
        yield served


@pytest.mark.parametrize(("query", "parameter"), [
    ("time=NaT/NaT", "time"),
    ("time=NaT", "time"),
    ("time=2020-02-01/2020-01-01", "time"),
    ("depth=NaN/inf", "depth"),
    ("depth=nan/10", "depth"),
    ("depth=10/0", "depth"),
    ("bbox=inf,40,0,50", "bbox"),
    ("bbox=-10,nan,0,50", "bbox"),
    ("bbox=-10,50,0,40", "bbox"),
    ("bbox=-10,40,0", "bbox"),
    ("width=0", "width"),
    ("height=99999", "height"),
])
def test_invalid_values_answer_400_naming_the_parameter(served_portal, query, parameter):
    status, headers, body = http_get(served_portal.port, f"/quicklook/series/map.png?{query}")
    assert status == 400, (query, status, body)
    assert body.decode().startswith(f"{parameter}:"), body
    assert "Traceback" not in body.decode() and "/" not in body.decode().split(":")[0]


@pytest.mark.parametrize("query", [
    "bbox=100,0,110,10",
    "time=1990-01-01/1990-12-31",
    "time=2100-01-01/2100-12-31",
    "depth=5000/6000",
])
def test_out_of_coverage_is_a_polite_404(served_portal, query):
    status, headers, body = http_get(served_portal.port, f"/quicklook/series/map.png?{query}")
    assert status == 404, (query, status, body)
    text = body.decode()
    assert "no " in text.lower() and "Traceback" not in text and "internal" not in text
    assert headers["cache-control"] == "no-store"


def test_multi_variable_map_is_refused_at_once(served_portal):
    import time

    for _ in range(3):
        start = time.monotonic()
        status, _, body = http_get(served_portal.port, "/quicklook/series/map.png?var=sst,sss")
        assert status == 400 and body.decode().startswith("var:"), body
        assert time.monotonic() - start < 2.0
    status, _, body = http_get(served_portal.port, "/quicklook/series/map.png?var=sss")
    assert status == 200 and body.startswith(b"\x89PNG")


def test_failures_are_remembered_keyed_like_the_png_cache(tmp_path, monkeypatch):
    import portal.render.quicklook as quicklook
    from portal import cache
    from portal.catalog.loader import load_catalog
    from portal.errors import NoDataInSelection
    from portal.server.handlers import _render_cached, parse_png_args

    renders = []

    def failing(entry, kind, query, style):
        renders.append((kind, query))
        raise NoDataInSelection("no valid sst values in 1990", dataset=entry.id)

    monkeypatch.setattr(quicklook, "render_quicklook_png", failing)
    cache.reset()
    entry = load_catalog([str(series_catalog(tmp_path))])["series"]
    query, style = parse_png_args({"time": "1990"})
    for _ in range(5):
        with pytest.raises(NoDataInSelection, match="no valid sst values"):
            _render_cached(entry, "map", query, tuple(sorted(style.items())))
    assert len(renders) == 1  # four repeats answered from the failure cache
    other, _ = parse_png_args({"time": "1991"})
    with pytest.raises(NoDataInSelection):
        _render_cached(entry, "map", other, tuple(sorted(style.items())))
    assert len(renders) == 2  # a different key renders
    cache.reset()
