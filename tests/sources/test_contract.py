"""The source contract: every registered adapter declares and honours it."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from portal.errors import CatalogError, UnsupportedQuicklook
from portal.model import DatasetEntry
from portal.query import QUICKLOOK_KINDS
from portal.sources import (
    AggregatingSource,
    available_sources,
    get_source,
    guess_source,
    is_aggregating,
    open_aggregator,
    registered,
)
from portal.sources.arguments import Argument, check_arguments, resolve_path
from portal.sources.base import KINDS_BY_FEATURE
from portal.sources.versioning import data_version, subsets_on_server
from tests.conftest import needs_shared

NAMES = registered()
KINDS = set(QUICKLOOK_KINDS)  # map, profile, timeseries and the ocean kinds (ts, section...)
ODV_TEXT = """//<Version>ODV Spreadsheet V4.0</Version>
Cruise\tStation\tType\tyyyy-mm-ddThh:mm\tLongitude [degrees_east]\tLatitude [degrees_north]\t\
Depth [m]\tTemperature [C]
C1\t1\tB\t1991-09-03T16:25\t28.3\t43.1\t0\t22.1
"""


def _nc(path: Path, n: int = 5) -> Path:
    import xarray as xr

    xr.Dataset({"t": ("obs", np.arange(n, dtype="f4"))}).to_netcdf(path)
    return path


def _store(path: Path) -> Path:
    path.mkdir()
    (path / "_portal_store.json").write_text("{}")
    return path


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    """One synthetic file (or folder) per local adapter, plus things no adapter opens."""
    (tmp_path / "profile.txt").write_text(ODV_TEXT)
    (tmp_path / "notes.txt").write_text("just some notes\n")
    (tmp_path / "fake.nc").write_text("<html>error</html>\n")
    (tmp_path / "empty.nc").write_bytes(b"")
    (tmp_path / "plain").mkdir()
    return {"netcdf": _nc(tmp_path / "a.nc"), "odv": tmp_path / "profile.txt",
            "pointstore": _store(tmp_path / "store"), None: tmp_path / "notes.txt",
            "fake": tmp_path / "fake.nc", "empty": tmp_path / "empty.nc",
            "plain": tmp_path / "plain"}


# ------------------------------------------------------------------------ declarations


@pytest.mark.parametrize("name", NAMES)
def test_every_adapter_declares_the_contract(name):
    source = get_source(name)
    assert source.name == name
    assert source.arguments and all(isinstance(a, Argument) for a in source.arguments)
    names = [a.name for a in source.arguments]
    assert len(names) == len(set(names)) and "driver" not in names
    assert any(a.required for a in source.arguments)
    assert all(a.doc for a in source.arguments if a.required)
    for feature_type in KINDS_BY_FEATURE:
        entry = DatasetEntry.from_metadata("x", name, {}, {"featureType": feature_type})
        assert set(source.kinds(entry)) <= KINDS


def test_registry_answers_unknown_names_with_a_suggestion():
    with pytest.raises(CatalogError, match="did you mean 'pointstore'"):
        get_source("pointstor")
    with pytest.raises(CatalogError, match="known types: erddap, netcdf"):
        get_source("zzzzzz")
    assert [s.name for s in available_sources()][:3] == ["netcdf", "odv", "pointstore"]


def test_only_the_point_store_aggregates(tmp_path):
    assert [n for n in NAMES if isinstance(get_source(n), AggregatingSource)] == ["pointstore"]
    nc = DatasetEntry.from_metadata("a", "netcdf", {"urlpath": "x.nc"}, {})
    store = DatasetEntry.from_metadata("s", "pointstore", {"store": str(_store(tmp_path / "s"))},
                                       {"featureType": "profile"})
    assert not is_aggregating(nc) and is_aggregating(store)
    assert get_source("pointstore").kinds(store) == ("map", "profile", "ts")
    assert open_aggregator(store).store == str(tmp_path / "s")
    with pytest.raises(UnsupportedQuicklook, match="opened, not aggregated"):
        open_aggregator(nc)


def test_kinds_drop_profile_for_flat_series():
    source = get_source("netcdf")
    flat = DatasetEntry.from_metadata("a", "netcdf", {}, {"featureType": "timeSeries"})
    deep = DatasetEntry.from_metadata("a", "netcdf", {}, {"featureType": "trajectory",
                                                          "vertical_coverage": [0, 500]})
    assert source.kinds(flat) == ("timeseries", "map")
    assert source.kinds(deep) == ("map", "timeseries", "profile", "ts", "section",
                                   "timedepth", "linked")


# ---------------------------------------------------------------------------- guessing


def test_guess_source_on_synthetic_files(files):
    for expected, path in files.items():
        found = guess_source(str(path))
        want = expected if expected in NAMES else None
        assert (found.name if found else None) == want, path
    for name in ("erddap", "opendap"):  # remote sources never claim a local path
        assert not any(get_source(name).guess_can_open(str(p)) for p in files.values())


@needs_shared
@pytest.mark.parametrize(("rel", "expected"), [
    ("gridded/AG2005041_2005041_ssta.nc", "netcdf"),
    ("erddap/tabledap/ArgoFloats_6902746_cycle34.nc", "netcdf"),
    ("odv/sdn_ctd_profile_withBOM.txt", "odv"),
    ("odv/odv4_export_BlackSea_2profiles.txt", "odv"),
    ("edge_cases/AG2005040_BadFile.nc", None),
    ("erddap/info/ArgoFloats_info.json", None),
    ("erddap/tabledap/ArgoFloats_6902746_cycle34.ncHeader.txt", None),
])
def test_guess_source_on_real_files(shared, rel, expected):
    found = guess_source(str(shared / rel))
    assert (found.name if found else None) == expected


def test_args_for_path_round_trip_through_validate(files):
    for name in ("netcdf", "odv", "pointstore"):
        source = get_source(name)
        args = source.args_for_path(str(files[name]))
        assert list(args.values()) == [str(files[name])]
        assert source.validate(DatasetEntry.from_metadata("e", name, args, {})) == []
    with pytest.raises(NotImplementedError):
        get_source("erddap").args_for_path(str(files["netcdf"]))


# -------------------------------------------------------------------------- validating


@pytest.mark.parametrize(("name", "args", "problem"), [
    ("netcdf", {"urlpth": "a.nc"},
     "unknown argument 'urlpth' of driver 'netcdf' — did you mean 'urlpath'?"),
    ("netcdf", {"urlpth": "a.nc"}, "no 'urlpath' in kwargs (the data file, a list of files or "
                                   "a glob pattern)"),
    ("odv", {"urlpath": 3}, "argument 'urlpath' must be a string or a list, got 3"),
    ("pointstore", {"store": "/nowhere", "dask_schedular": "tcp://h:8786"},
     "unknown argument 'dask_schedular' of driver 'pointstore' — did you mean 'dask_scheduler'?"),
    ("pointstore", {"store": "/nowhere"}, "point-store folder not found: /nowhere"),
    ("erddap", {"server": "https://h/erddap", "dataset_id": "x", "protocol": "tabeldap"},
     "argument 'protocol' is 'tabeldap' — did you mean 'tabledap'? (one of: tabledap, griddap)"),
    ("erddap", {"server": "https://h/erddap", "dataset_id": "x", "default_days": True},
     "argument 'default_days' must be an integer or a number, got True"),
    ("erddap", {"server": "ftp://h", "dataset_id": "x"},
     "argument 'server': 'ftp://h' is not an ERDDAP base URL"),
    ("opendap", {"url": "https://h/d", "engine": "pydapp"},
     "argument 'engine' is 'pydapp' — did you mean 'pydap'? (one of: pydap, netcdf4)"),
    ("opendap", {"url": "file:///etc/passwd"}, "argument 'url': 'file:///etc/passwd' is not an "
                                               "OPeNDAP http(s) URL"),
])
def test_validate_reports_bad_arguments(name, args, problem):
    entry = DatasetEntry.from_metadata("e", name, args, {})
    assert problem in get_source(name).validate(entry)


def test_validate_resolves_paths_against_the_catalog_folder(tmp_path):
    _nc(tmp_path / "b.nc")
    source = get_source("netcdf")
    entry = DatasetEntry.from_metadata("e", "netcdf", {"urlpath": "{CATALOG_DIR}/b.nc"}, {})
    assert source.validate(entry, str(tmp_path)) == []
    missing = DatasetEntry.from_metadata("e", "netcdf", {"urlpath": ["b.nc", "c*.nc"]}, {})
    assert source.validate(missing, str(tmp_path)) == [
        f"no file matches 'c*.nc' (pattern {tmp_path / 'c*.nc'})"]


def test_check_arguments_and_resolve_path():
    schema = (Argument("n", (int,), required=True, doc="a count"),)
    assert check_arguments(schema, {"n": 2}) == []
    assert check_arguments(schema, {"n": False}) == ["argument 'n' must be an integer, got False"]
    assert check_arguments(schema, {"m": 1}) == ["unknown argument 'm' (known: n)",
                                                 "no 'n' in kwargs (a count)"]
    assert resolve_path("file:///a/../b.nc", "/c") == "/b.nc"
    assert resolve_path(["x.nc", "https://h/y"], "/c") == ["/c/x.nc", "https://h/y"]


# ---------------------------------------------------------------------------- versions


def test_version_changes_when_a_file_is_rewritten(tmp_path):
    path = _nc(tmp_path / "a.nc")
    entry = DatasetEntry.from_metadata("a", "netcdf", {"urlpath": str(tmp_path / "*.nc")}, {})
    first = data_version(entry)
    assert first and data_version(entry) == first
    _nc(path, n=50)  # a new size
    second = data_version(entry)
    assert second != first
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # same size, touched
    assert data_version(entry) not in (first, second)
    third = data_version(entry)
    _nc(tmp_path / "b.nc")  # one more file in the glob
    assert data_version(entry) not in (first, second, third)


def test_version_of_a_store_follows_its_manifest(tmp_path):
    store = _store(tmp_path / "s")
    entry = DatasetEntry.from_metadata("s", "pointstore", {"store": str(store)}, {})
    first = data_version(entry)
    (store / "_portal_store.json").write_text('{"generation": 2}')
    assert first.startswith("p-") and data_version(entry) != first


def test_remote_sources_subset_on_the_server():
    assert [n for n in NAMES if get_source(n).subsets_on_server] == ["erddap", "opendap"]
    remote = DatasetEntry.from_metadata("r", "opendap", {"url": "https://h/d"}, {})
    assert subsets_on_server(remote) and data_version(remote).startswith("t-")


# -------------------------------------------------------------------- nobody else branches


def test_no_code_outside_sources_branches_on_a_driver_name():
    root = Path(__file__).resolve().parents[2] / "portal"
    drivers = "|".join(NAMES)
    pattern = re.compile(rf"""(source|driver)\s*(==|!=|in)\s*[(\["']+({drivers})["']""")
    offenders = [f"{path.relative_to(root)}:{n}"
                 for path in root.rglob("*.py") if "sources" not in path.parts
                 for n, line in enumerate(path.read_text().splitlines(), 1)
                 if pattern.search(line)]
    assert offenders == []
