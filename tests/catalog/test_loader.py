"""Catalog loading: drivers checked against the source registry, paths resolved by schema."""

from __future__ import annotations

import logging

from portal.catalog.loader import load_catalog, write_catalog
from portal.model import DatasetEntry

HEADER = "version: 2\ndata: {}\naliases: {}\nmetadata: {}\nuser_parameters: {}\nentries:\n"


def entry(name: str, kwargs: str) -> str:
    return (f"  {name}:\n    reader: portal.catalog.readers:PortalReader\n"
            f"    output_instance: xarray:Dataset\n    user_parameters: {{}}\n"
            f"    kwargs: {kwargs}\n    metadata: {{title: {name}}}\n")


def test_unknown_driver_is_refused_with_a_suggestion(tmp_path, caplog):
    path = tmp_path / "cat.yaml"
    path.write_text(HEADER + entry("good", "{driver: netcdf, urlpath: a.nc}")
                    + entry("typo", "{driver: pointstor, store: s}"))
    with caplog.at_level(logging.ERROR, "portal.catalog.loader"):
        cat = load_catalog(path)
    assert list(cat.entries) == ["good"]
    assert "unknown source type 'pointstor'" in caplog.text
    assert "did you mean 'pointstore'?" in caplog.text


def test_path_arguments_of_the_schema_are_resolved_and_written_back(tmp_path):
    path = tmp_path / "cat.yaml"
    path.write_text(HEADER + entry("nc", "{driver: netcdf, urlpath: 'data/a.nc'}")
                    + entry("st", "{driver: pointstore, store: '{CATALOG_DIR}/st', "
                            "dask_scheduler: 'tcp://h:1'}")
                    + entry("dap", "{driver: opendap, url: 'https://h/a/b'}"))
    cat = load_catalog(path)
    assert cat["nc"].arguments == {"urlpath": str(tmp_path / "data" / "a.nc")}
    assert cat["st"].arguments == {"store": str(tmp_path / "st"), "dask_scheduler": "tcp://h:1"}
    assert cat["dap"].arguments == {"url": "https://h/a/b"}
    out = tmp_path / "sub" / "copy.yaml"  # the data are outside its folder: absolute paths
    write_catalog(cat, out)
    assert str(tmp_path / "data" / "a.nc") in out.read_text()
    again = load_catalog(out)
    assert {e.id: e.arguments for e in again} == {e.id: e.arguments for e in cat}


def test_written_local_paths_are_relative_to_the_catalog(tmp_path):
    entry_ = DatasetEntry.from_metadata("a", "odv", {"urlpath": str(tmp_path / "d" / "x.txt")},
                                        {"title": "A"})
    write_catalog([entry_], tmp_path / "c.yaml")
    assert "urlpath: '{CATALOG_DIR}/d/x.txt'" in (tmp_path / "c.yaml").read_text()
