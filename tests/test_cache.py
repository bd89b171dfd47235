"""Byte-bounded caches, and pipeline caches that follow the data version of local files."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from portal import cache as pc
from portal.cache import ByteLRU, sizeof
from portal.model import DatasetEntry, Query
from portal.pipeline import load_view


@pytest.fixture(autouse=True)
def _fresh_caches():
    pc.reset()
    yield
    pc.reset()


# -- ByteLRU -------------------------------------------------------------------------------


def test_byte_bound_evicts_least_recently_used():
    cache = ByteLRU(3_500)
    for name in "abc":
        assert cache.put(name, np.zeros(100))  # 800 bytes + overhead each
    assert cache.get("a") is not None  # a is now the most recently used
    cache.put("d", np.zeros(100))
    assert "b" not in cache and {"a", "c", "d"} <= {k for k in "abcd" if k in cache}
    assert cache.stats.nbytes <= 3_500 and cache.stats.items == 3


def test_value_larger_than_the_bound_is_not_stored():
    cache = ByteLRU(10_000)
    cache.put("small", b"x" * 100)
    assert not cache.put("big", np.zeros(2_000))  # 16 kB
    assert "big" not in cache and "small" in cache
    assert cache.get_or_compute("big", lambda: b"y" * 20_000) == b"y" * 20_000
    assert "big" not in cache


def test_hits_and_misses_are_counted():
    cache = ByteLRU(10_000)
    calls = []
    for _ in range(3):
        cache.get_or_compute("k", lambda: calls.append(1) or b"v")
    assert len(calls) == 1
    assert (cache.stats.hits, cache.stats.misses) == (2, 1)


def test_sizes_are_measured():
    assert sizeof(np.zeros(1000)) >= 8000
    assert sizeof(b"x" * 5000) >= 5000
    assert sizeof(pd.DataFrame({"a": np.zeros(1000)})) >= 8000
    loaded = xr.Dataset({"v": ("x", np.zeros(10_000))})
    assert sizeof(loaded) >= 80_000
    assert sizeof(loaded.chunk({"x": 1000})) < 1000  # dask-backed: nothing in memory yet
    assert sizeof({"cell": np.zeros(1000, np.int64), "n": np.zeros(1000)}) >= 16_000


def test_a_field_named_nbytes_is_not_the_memory_held():
    """A download estimate says its CSV would take 300 MB; it holds a few numbers. Sized by
    that field, 24 estimates had filled the 2 GB data cache and pushed every view out."""
    from portal.downloads import Estimate

    assert sizeof(Estimate(3_000_000, "rows", 300_000_000)) < 10_000


def test_bounds_come_from_the_settings(monkeypatch):
    monkeypatch.setattr(pc, "setting", lambda name: {"png_cache_bytes": 1234.0,
                                                      "data_cache_bytes": 5678.0}[name])
    pc.reset()
    assert pc.png_cache().max_bytes == 1234 and pc.data_cache().max_bytes == 5678


# -- the pipeline follows the file ---------------------------------------------------------


def write_grid(path, offset: float) -> None:
    """A small SST grid (2 times, 5 x 6 cells) whose values are ``offset`` + index."""
    values = offset + np.arange(2 * 5 * 6, dtype="float32").reshape(2, 5, 6)
    ds = xr.Dataset(
        {"sst": (("time", "latitude", "longitude"), values,
                 {"standard_name": "sea_surface_temperature", "units": "degree_C"})},
        coords={"time": ("time", [0.0, 1.0], {"units": "days since 2020-01-01"}),
                "latitude": ("latitude", np.linspace(40, 44, 5), {"units": "degrees_north"}),
                "longitude": ("longitude", np.linspace(-6, -1, 6), {"units": "degrees_east"})})
    ds.to_netcdf(path)


@pytest.fixture
def grid_entry(tmp_path):
    path = tmp_path / "sst.nc"
    write_grid(path, 10.0)
    entry = DatasetEntry.from_metadata("sst", "netcdf", {"urlpath": str(path)},
                                       {"featureType": "grid", "variables": [{"name": "sst"}]})
    return entry, path


def test_changed_file_shows_new_data(grid_entry, tmp_path):
    entry, path = grid_entry
    before = load_view(entry, "map", Query()).data
    assert float(before.min()) == 40.0  # latest time step: 10 + 30
    assert load_view(entry, "map", Query()) is load_view(entry, "map", Query())
    stamp = os.stat(path).st_mtime_ns
    new = tmp_path / "new.nc"  # the file is rewritten (in place) by another tool
    write_grid(new, 100.0)
    with open(path, "wb") as fh:
        fh.write(new.read_bytes())
    os.utime(path, ns=(stamp + 10**9, stamp + 10**9))
    after = load_view(entry, "map", Query()).data
    assert float(after.min()) == 130.0


def test_new_bbox_only_resubsets(grid_entry, monkeypatch):
    import portal.sources

    entry, _ = grid_entry
    opens = []
    real = portal.sources.open_dataset
    monkeypatch.setattr(portal.sources, "open_dataset",
                        lambda e, q=None: opens.append(q) or real(e, q))
    whole = load_view(entry, "map", Query()).data
    part = load_view(entry, "map", Query(bbox=(-5.5, 40.5, -2.5, 43.5))).data
    later = load_view(entry, "map", Query(time=("2020-01-01", "2020-01-01"))).data
    assert len(opens) == 1
    assert part.shape == (3, 3) and whole.shape == (5, 6)
    assert float(later.max()) == 10.0 + 29  # first time step only



def test_failure_cache_is_bounded_expires_and_keeps_no_traceback():
    import time

    import pytest

    from portal.cache import FailureCache
    from portal.errors import BadParameter

    failures = FailureCache(max_bytes=4000, ttl_s=0.3)
    calls = []

    def bad():
        calls.append(1)
        raise BadParameter("var: too many", parameter="var")

    for _ in range(3):
        with pytest.raises(BadParameter, match="var: too many") as info:
            failures.get_or_compute("k", bad)
        assert info.value.parameter == "var"
    assert len(calls) == 1
    time.sleep(0.35)
    with pytest.raises(BadParameter):
        failures.get_or_compute("k", bad)
    assert len(calls) == 2  # expired: computed again
    for i in range(100):
        failures.remember(i, BadParameter(f"bad {i}"))
    assert 0 < len(failures) < 20  # bounded in bytes
    with pytest.raises(ZeroDivisionError):  # not a PortalError: not remembered
        failures.get_or_compute("z", lambda: 1 / 0)
    assert "z" not in failures._lru


def test_a_lazy_dataset_that_loads_later_counts_against_the_bound(tmp_path):
    xr.Dataset({"v": ("x", np.arange(100_000.0))}).to_netcdf(tmp_path / "big.nc")
    cache = ByteLRU(500_000)
    opened = xr.open_dataset(tmp_path / "big.nc")  # lazy: measured at a few bytes
    cache.put("opened", opened)
    cache.put("small", np.zeros(1000))
    assert cache.stats.nbytes < 100_000
    opened["v"].values  # noqa: B018 - xarray keeps what it read (800 kB) in the dataset
    assert cache.get("opened") is opened  # measured again on its hit: over the bound
    assert "small" not in cache and cache.stats.nbytes >= 800_000
    cache.put("other", np.zeros(1000))  # on insertion too: the loaded dataset goes
    assert "opened" not in cache and cache.stats.nbytes <= 500_000
    opened.close()


def test_views_in_memory_are_not_measured_again_on_every_insertion(monkeypatch):
    cache = ByteLRU(10**9)
    for i in range(40):  # computed views: every variable in memory
        cache.put(i, xr.Dataset({"v": ("obs", np.arange(1000.0))}))
    measured = []
    real = pc.sizeof
    monkeypatch.setattr(pc, "sizeof", lambda value: measured.append(1) or real(value))
    cache.put("new", xr.Dataset({"v": ("obs", np.arange(10.0))}))
    assert cache.get(3) is not None
    assert len(measured) <= 2  # the new value only, not the 40 others (nor the hit)
    assert cache.stats.nbytes == sum(real(cache.get(k)) for k in [*range(40), "new"])


# -- derived: values computed from shared read-only arrays ---------------------------------


def _counting(value):
    calls = []

    def compute():
        calls.append(1)
        return value

    return compute, calls


def test_derived_is_computed_once_per_array_set_and_shallow_copies_hit():
    obs = xr.Dataset({"t": ("obs", np.arange(1000.0))})
    compute, calls = _counting(np.ones(10))
    first = pc.derived("x", [v.data for v in obs.variables.values()], compute)
    copy = obs.assign_attrs(platform_id="P1")  # what the pipeline hands a builder
    again = pc.derived("x", [v.data for v in copy.variables.values()], compute)
    assert again is first and len(calls) == 1
    assert pc.data_cache().stats.nbytes >= first.nbytes  # counted in bytes
    equal = xr.Dataset({"t": ("obs", np.arange(1000.0))})  # same values, other arrays
    pc.derived("x", [v.data for v in equal.variables.values()], compute)
    pc.derived("y", [v.data for v in obs.variables.values()], compute)  # another name
    pc.derived("x", [v.data for v in obs.variables.values()], compute, extra="other")
    assert len(calls) == 4


def test_derived_never_answers_for_a_recycled_id():
    import weakref

    a, other = np.zeros(5), np.zeros(5)
    # an entry left by an array that died, whose id the new array happens to reuse
    pc.data_cache().put(("derived", "x", (id(a),), ()), ((weakref.ref(other),), "stale"))
    compute, calls = _counting("fresh")
    assert pc.derived("x", [a], compute) == "fresh" and calls == [1]
    assert pc.derived("x", [a], compute) == "fresh" and calls == [1]  # now stored for a


def test_derived_does_not_cache_lazy_arrays():
    import dask.array as da

    compute, calls = _counting("v")
    lazy = da.zeros(10, chunks=5)
    pc.derived("x", [lazy], compute)
    pc.derived("x", [lazy], compute)
    pc.derived("x", [], compute)
    assert len(calls) == 3 and len(pc.data_cache()) == 0
