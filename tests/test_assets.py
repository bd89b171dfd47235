"""Package data through portal.assets: the repository top in a checkout (the installed
wheel's ``portal/_data`` is checked by tests/test_wheel.py)."""

from __future__ import annotations

from pathlib import Path

from portal import assets

REPO = Path(__file__).resolve().parents[1]


def test_checkout_reads_the_repository_top():
    assert assets.root() == REPO
    assert assets.static_dir() == REPO / "static" and assets.layouts_dir() == REPO / "layouts"
    assert assets.land_geojson().stat().st_size > 100_000
    assert (assets.layouts_dir() / "portal.yaml").is_file()
    assert assets.demo_catalog() == REPO / "catalogs" / "demo.yaml"
    assert not assets.is_packaged(assets.demo_catalog())


def test_every_asset_ships_in_the_wheel():
    """pyproject's force-include lists what portal/assets.py reads."""
    import tomllib

    include = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["hatch"]["build"][
        "targets"]["wheel"]["force-include"]
    assert include == {"static": "portal/_data/static", "layouts": "portal/_data/layouts",
                       "catalogs/demo.yaml": "portal/_data/catalogs/demo.yaml"}
