"""Loading the demo catalog generates its missing files: beside it in a checkout, in the
data folder when it lies in the installed package; other catalogs are left alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from portal import assets
from portal.catalog.loader import load_catalog
from portal.demo import home

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def small_demo(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_DEMO_SCALE", "0.005")
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "home"))
    checkout = tmp_path / "checkout" / "catalogs"
    checkout.mkdir(parents=True)
    shutil.copy(REPO / "catalogs" / "demo.yaml", checkout / "demo.yaml")
    return checkout / "demo.yaml"


def _all_files_exist(catalog_path: str) -> bool:
    return all(not home._missing([p]) for p in home._data_files(catalog_path))


def test_checkout_catalog_gets_its_files_beside_it(small_demo, tmp_path):
    assert home.is_demo_catalog(small_demo)
    assert home.prepare_catalogs([str(small_demo)]) == (str(small_demo),)
    assert (tmp_path / "checkout" / "data" / "demo" / "9900001_prof.nc").is_file()
    assert _all_files_exist(str(small_demo))
    assert not (tmp_path / "home").exists()
    assert "demo_argo_biscay" in load_catalog(str(small_demo))


def test_packaged_catalog_is_copied_to_the_data_folder(small_demo, tmp_path, monkeypatch):
    monkeypatch.setattr(assets, "is_packaged", lambda path: True)
    used = home.prepare_catalog(small_demo)
    assert used == str(tmp_path / "home" / "catalogs" / "demo.yaml")
    assert _all_files_exist(used) and not (tmp_path / "checkout" / "data").exists()
    assert Path(used).read_text() == small_demo.read_text()
    assert home.prepare_catalog(small_demo) == used  # second time: nothing to generate


def test_other_catalogs_are_left_alone(tmp_path):
    other = tmp_path / "mine.yaml"
    other.write_text("version: 2\nmetadata: {title: mine}\nentries:\n  a:\n    kwargs:\n"
                     "      urlpath: '{CATALOG_DIR}/missing.nc'\n")
    assert not home.is_demo_catalog(other)
    assert home.prepare_catalog(other) == str(other)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.yaml"]


def test_committed_demo_catalog_is_marked():
    assert home.is_demo_catalog(assets.demo_catalog())
