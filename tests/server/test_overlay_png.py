"""``/quicklook/overlay/KIND.png?datasets=…`` over HTTP: several sources on one image.

One served catalog holds real files of ``../shared/data`` (an Argo multi-profile, a
tide-gauge series, a MODIS SST grid) and an ERDDAP tabledap entry answered by the loopback
ERDDAP replay: map, time-series and profile overlays render; unknown ids are one 404
naming them; more than five ids a 400; a source that fails leaves the others drawn.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.conftest import SHARED, needs_shared
from tests.remote.servers import ERDDAPReplay

from .conftest import http_get, serving

pytestmark = needs_shared

FILES = {"argo_local": "argo/multiprofile/6901744_prof.nc",
         "tidegauge": "dsg/timeseries/netCDF_timeseries_tidegauge.nc",
         "modis_sst": "gridded/MWsstd1day_modis_sst_westus.nc"}


def erddap_entry(url: str, dataset_id: str = "erddap_argo"):
    from portal.model import DatasetEntry

    return DatasetEntry.from_metadata(
        dataset_id, "erddap", {"server": url, "dataset_id": "ArgoFloats", "protocol": "tabledap"},
        {"title": "Argo floats via ERDDAP", "institution": "Argo GDAC", "featureType": "profile",
         "variables": [{"name": "temp", "units": "degree_Celsius", "long_name": "Temperature",
                        "standard_name": "sea_water_temperature"}]})


def store_entry(store: Path):
    """A small demo point store, as the catalog lists one."""
    from portal.demo.points import generate
    from portal.model import DatasetEntry
    from portal.pointstore import store_info

    if not store.exists():
        generate(20_000, str(store), seed=5)
    return DatasetEntry.from_metadata("points", "pointstore", {"store": str(store)},
                                      store_info(str(store))["metadata"])


def overlay_catalog(folder: Path, erddap_url: str) -> Path:
    """Local files and one loopback ERDDAP entry, written as a catalog in ``folder``."""
    from portal.catalog.loader import write_catalog
    from portal.cataloging.scan import describe_file

    entries = [describe_file(str(SHARED / rel), i) for i, rel in FILES.items()]
    entries.append(erddap_entry(erddap_url))
    entries.append(erddap_entry("http://127.0.0.1:9/erddap", "erddap_down"))  # closed port
    entries.append(store_entry(folder / "points"))
    return Path(write_catalog(entries, folder / "overlay.yaml", title="Overlay tests"))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("overlay")
    with ERDDAPReplay() as erddap, serving(overlay_catalog(folder, erddap.url), folder) as srv:
        yield srv


def _png(served, path: str):
    status, headers, body = http_get(served.port, path, timeout=180)
    assert status == 200, body[:300]
    assert headers["content-type"] == "image/png"
    from PIL import Image

    image = Image.open(io.BytesIO(body)).convert("RGB")
    return image, len(set(image.getdata()))


@pytest.mark.parametrize("kind,ids", [("map", "modis_sst,argo_local,erddap_argo"),
                                      ("profile", "argo_local,erddap_argo"),
                                      ("timeseries", "tidegauge,argo_local")])
def test_overlay_png_of_each_kind(served, kind, ids):
    image, colours = _png(served, f"/quicklook/overlay/{kind}.png?datasets={ids}"
                                  "&width=700&height=450")
    assert image.size == (700, 450)
    assert colours > 50  # a drawn plot, not a blank or an error tile


def test_palette_colours_of_both_sources_are_drawn(served):
    from portal.overlay import PALETTE

    image, _ = _png(served, "/quicklook/overlay/profile.png?datasets=argo_local,erddap_argo")
    seen = set(image.getdata())
    for hex_colour in PALETTE[:2]:
        rgb = tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
        assert rgb in seen, hex_colour


@pytest.mark.parametrize("kind", ["profile", "timeseries"])
def test_a_point_store_draws_on_profile_and_time_series_axes(served, kind, tmp_path):
    """The store's density (greys) under the Argo profiles, or its binned mean over a
    min–max band beside the tide gauge: drawn in the PNG, not a "not drawn" legend entry."""
    from portal.overlay import PALETTE

    first = "argo_local" if kind == "profile" else "tidegauge"  # Argo: no time series
    image, colours = _png(served, f"/quicklook/overlay/{kind}.png?datasets={first},points"
                                  "&width=700&height=450")
    image.save(Path(__file__).resolve().parents[2] / "artifacts" / f"overlay_store_{kind}.png")
    seen = set(image.getdata())
    rgb = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in PALETTE[:2]]
    assert rgb[0] in seen and colours > 50  # the first source's colour
    if kind == "profile":  # the density's greys: many distinct grey levels
        greys = {p for p in seen if p[0] == p[1] == p[2] and 40 < p[0] < 230}
        assert len(greys) > 8
    else:  # the store's mean line in its palette colour, over its band (25 % of it)
        band = tuple(round(0.25 * c + 0.75 * 255) for c in rgb[1])
        assert rgb[1] in seen
        assert any(max(abs(a - b) for a, b in zip(p, band, strict=True)) <= 3 for p in seen)


def test_unknown_ids_are_one_404_naming_them(served):
    status, _, body = http_get(served.port, "/quicklook/overlay/map.png"
                                            "?datasets=argo_local,nope1,nope2")
    assert status == 404 and b"nope1" in body and b"nope2" in body


def test_more_than_five_is_a_400(served):
    ids = ",".join(["argo_local", "tidegauge", "modis_sst", "erddap_argo", "a", "b"])
    status, _, body = http_get(served.port, f"/quicklook/overlay/map.png?datasets={ids}")
    assert status == 400 and b"datasets" in body


def test_a_failing_source_leaves_the_others_drawn(served):
    _, colours = _png(served, "/quicklook/overlay/map.png?datasets=argo_local,erddap_down")
    assert colours > 50
    status, _, body = http_get(served.port, "/quicklook/overlay/timeseries.png"
                                            "?datasets=modis_sst,erddap_down")
    assert status in (400, 404, 502, 504) and b"none of the datasets" in body
