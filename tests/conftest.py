"""Shared fixtures: where the real data are, a clean Panel state, synchronous dask.

Tests that read ``../shared/data`` (real ocean data beside the repository) skip
with a reason when it is absent, as in a user's clone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"

needs_shared = pytest.mark.skipif(not SHARED.is_dir(),
                                  reason=f"real data folder {SHARED} is absent (user clone)")


@pytest.fixture(scope="session")
def shared() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"real data folder {SHARED} is absent (user clone)")
    return SHARED


@pytest.fixture(autouse=True)
def _sync_dask():
    """netCDF-C is not thread-safe: dask runs synchronously in tests."""
    import dask

    with dask.config.set(scheduler="synchronous"):
        yield


@pytest.fixture(autouse=True)
def _reset_panel_state():
    """Each test starts with empty Panel caches and state."""
    yield
    import sys

    if "panel" in sys.modules:
        import panel as pn

        pn.state.clear_caches()
        pn.state.cache.clear()


@pytest.fixture(scope="session")
def realfiles(tmp_path_factory):
    """``realfiles(name)``: path of a minimal file reproducing a real-file quirk
    (writers in ``tests/fixtures_realfiles.py``), written once per session."""
    from tests.fixtures_realfiles import WRITERS

    folder = tmp_path_factory.mktemp("realfiles")
    made: dict[str, Path] = {}

    def make(name: str) -> Path:
        if name not in made:
            made[name] = WRITERS[name](folder)
        return made[name]

    return make


@pytest.fixture(scope="session")
def small_store(tmp_path_factory) -> str:
    """The folder of a demo point store of 20,000 points (seed 3), made once per run; tests
    read it (one that appends makes a store of its own)."""
    from portal.demo.points import generate

    path = tmp_path_factory.mktemp("points") / "store"
    generate(20_000, str(path), seed=3)
    return str(path)


def store_entry(store: str, *variables: str, **metadata):
    """The catalog entry ``pts`` of point store ``store`` with ``variables`` (default TEMP)."""
    from portal.model import DatasetEntry

    return DatasetEntry.from_metadata(
        "pts", "pointstore", {"store": store},
        {"title": "Points", "featureType": "point", **metadata,
         "variables": [{"name": v} for v in variables or ("TEMP",)]})


@pytest.fixture(scope="session")
def small_store_entry(small_store):
    """:func:`small_store` as a catalog entry named ``pts`` (variable TEMP)."""
    return store_entry(small_store)
