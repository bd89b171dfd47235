"""GET / over loopback HTTP: the first paint is in the HTML before any script, escaped,
for what the visitor may see only, in the visitor's language; a shared link shows its PNG."""

from __future__ import annotations

import base64
import re
import urllib.parse

import pytest

from tests.server.conftest import http_get, serving

EVIL = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'
SECRET = "Embargoed partner grid"


def _catalog(folder):
    import numpy as np
    import xarray as xr

    from portal.catalog.loader import write_catalog
    from portal.cataloging.scan import describe_file
    from portal.model import DatasetEntry

    grid = xr.Dataset(
        {"sst": (("latitude", "longitude"), np.random.default_rng(0).random((20, 30)),
                 {"units": "degC", "long_name": "Sea surface temperature"})},
        coords={"latitude": np.linspace(40, 50, 20), "longitude": np.linspace(-10, 0, 30)},
        attrs={"title": "Open grid"})
    for name in ("open", "evil", "partner"):
        grid.to_netcdf(folder / f"{name}.nc")
    base = describe_file(str(folder / "open.nc"), "open_grid")
    meta = base.metadata()

    def copy(ident: str, name: str, **extra) -> DatasetEntry:
        return DatasetEntry.from_metadata(ident, base.source,
                                          {**base.arguments, "urlpath": str(folder / name)},
                                          {**meta, **extra})

    entries = [base, copy("evil_grid", "evil.nc", title=EVIL),
               copy("partner_grid", "partner.nc", title=SECRET, access=["partners"])]
    return write_catalog(entries, folder / "catalog.yaml", title="First paint tests")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("first_paint")
    with serving(_catalog(folder), folder) as portal:
        yield portal


def _page(served, path: str, headers: dict | None = None) -> str:
    status, head, body = http_get(served.port, path, headers=headers, timeout=120)
    assert status == 200 and head["content-type"].startswith("text/html")
    return body.decode()


def test_first_paint_comes_before_any_script(served):
    text = _page(served, "/")
    assert text.count("<!DOCTYPE html>") == 1 and text.count("id='portal-prepaint'") == 1
    block = text.index("id='portal-prepaint'")
    first_script = min(m.start() for m in re.finditer(r"<script[^>]*\bsrc=", text))
    assert block < first_script  # drawn before BokehJS is even asked for
    paint = text[block:text.index("<!--/portal-prepaint-->")]
    assert "href='?dataset=open_grid'" in paint  # the list and the landing map's boxes
    assert paint.count("data-dataset='open_grid'") == 1
    assert "src='data:image/png;base64," in paint  # the landing map's land, in the page
    assert "data-root-id" in text[block:]  # Panel's page follows in the same response


def test_metadata_is_escaped(served):
    text = _page(served, "/")
    assert "<script>window.__pwned" not in text and "<img src=x onerror" not in text
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;" in text


def test_restricted_dataset_is_absent_for_anonymous(served):
    for path in ("/", "/?dataset=partner_grid", "/?lang=fr"):
        text = _page(served, path)
        assert SECRET not in text
        paint = text.split("id='portal-prepaint'")[1].split("<!--/portal-prepaint-->")[0]
        assert "partner_grid" not in paint  # neither listed nor boxed nor drawn
        assert "open_grid" in paint


def test_french_page(served):
    text = _page(served, "/?lang=fr")
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"fr\">")
    assert "data-count='2 jeux de données'" in text and "Portail d'aperçus ODATIS" in text
    assert "href='?dataset=open_grid&amp;lang=fr'" in text
    text = _page(served, "/", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "<html lang=\"fr\">" in text


def test_shared_link_shows_the_png_of_its_view(served):
    text = _page(served, "/?dataset=open_grid&cmap=viridis")
    src = re.search(r"class='pp-plot' src='([^']+)'", text).group(1).replace("&amp;", "&")
    url = urllib.parse.urlsplit(src)
    assert url.path == "/quicklook/open_grid/map.png"
    params = dict(urllib.parse.parse_qsl(url.query))
    assert params.items() >= {"cmap": "viridis", "width": "900", "height": "520"}.items()
    status, head, png = http_get(served.port, f"{url.path}?{url.query}", timeout=120)
    assert status == 200 and png.startswith(b"\x89PNG")
    inline = re.search(r"img\.src = 'data:image/png;base64,([^']+)'", text)
    if inline:  # rendered within the wait: the same image, in the page
        assert base64.b64decode(inline.group(1)) == png
    assert "Open grid" in text.split("class='pp-plot'")[0]  # the card's title above it


def test_embed_shows_its_png_first(served):
    text = _page(served, "/embed?dataset=open_grid&width=640&height=400")
    block = text.index("id='portal-prepaint'")
    assert block < min(m.start() for m in re.finditer(r"<script[^>]*\bsrc=", text))
    src = re.search(r"class='pp-plot' src='([^']+)'", text).group(1).replace("&amp;", "&")
    assert urllib.parse.urlsplit(src).path == "/quicklook/open_grid/map.png"
    assert "width=640&height=400" in src and "pp-list" not in text  # no chrome
    for path in ("/embed?dataset=partner_grid", "/embed?dataset=nowhere"):
        text = _page(served, path)
        assert "id='portal-prepaint'" not in text and SECRET not in text


def test_a_visitor_leaving_mid_page_is_no_server_error(served):
    """A browser that closes the connection while the page streams (the visitor went
    elsewhere) ends that request quietly: no traceback, and the next page is served."""
    import socket
    import time
    from pathlib import Path

    for _ in range(3):
        with socket.create_connection(("127.0.0.1", served.port), timeout=30) as client:
            client.sendall(b"GET /?dataset=open_grid HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert client.recv(64).startswith(b"HTTP/1.1 200")  # the first paint began
    time.sleep(3.0)
    assert "open_grid" in _page(served, "/?dataset=open_grid")
    log = Path(served.log).read_text()
    assert "Uncaught exception GET /?dataset=open_grid" not in log, log[-3000:]
    assert "left before the page was sent" in log
