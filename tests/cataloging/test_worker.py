"""Untrusted files are read in a bounded child: a stalling, crashing or truncated file
is skipped with a reason and the rest of the catalog is written."""

from __future__ import annotations

import argparse
import shutil
import time

import numpy as np
import pytest

from portal.cataloging.scan import ScanSkip


def _huge(path) -> None:
    """A NetCDF-4 file of a few KB declaring a 10^11-long dimension of fill values."""
    import netCDF4

    with netCDF4.Dataset(path, "w") as ds:
        ds.title = "huge"
        ds.createDimension("obs", 10**11)
        var = ds.createVariable("temp", "f4", ("obs",), chunksizes=(1_000_000,),
                                fill_value=-999.0)
        var.units = "degC"


def _good(path) -> None:
    import xarray as xr

    xr.Dataset({"sst": (("latitude", "longitude"), np.random.default_rng(0).random((20, 30)),
                        {"units": "degC"})},
               coords={"latitude": np.linspace(40, 50, 20),
                       "longitude": np.linspace(-10, 0, 30)},
               attrs={"title": "Good grid"}).to_netcdf(path, engine="netcdf4")


@pytest.fixture(scope="module")
def reader():
    from portal.cataloging.worker import IsolatedReader

    with IsolatedReader(timeout_s=8, memory_mb=1024) as r:
        yield r


def test_huge_dimension_is_stopped_and_the_reader_recovers(reader, tmp_path):
    _huge(tmp_path / "huge.nc")
    _good(tmp_path / "good.nc")
    start = time.monotonic()
    with pytest.raises(ScanSkip, match="longer than 8 s|more than 1024 MB|allocate"):
        reader.describe(str(tmp_path / "huge.nc"), "huge")
    assert time.monotonic() - start < 15
    assert reader.describe(str(tmp_path / "good.nc"), "good").title == "Good grid"


def test_truncated_file_is_skipped_with_a_reason(reader, tmp_path):
    _good(tmp_path / "good.nc")
    data = (tmp_path / "good.nc").read_bytes()
    for cut in (13, 600, len(data) // 2):
        (tmp_path / f"cut{cut}.nc").write_bytes(data[:cut])
        with pytest.raises(ScanSkip) as info:
            reader.describe(str(tmp_path / f"cut{cut}.nc"), "cut")
        assert str(info.value)


def test_a_file_that_kills_its_reader_is_reported(reader, tmp_path):
    """As when the C library aborts on a crafted file: the child dies mid-read."""
    import os
    import signal
    import threading

    _huge(tmp_path / "huge.nc")
    _good(tmp_path / "good.nc")
    reader.describe(str(tmp_path / "good.nc"), "good")  # the child is up
    pid = reader._proc.pid
    threading.Timer(1.0, os.kill, (pid, signal.SIGABRT)).start()
    with pytest.raises(ScanSkip, match=r"crashed its reader \(SIGABRT\)"):
        reader.describe(str(tmp_path / "huge.nc"), "huge")
    assert reader.describe(str(tmp_path / "good.nc"), "good").title == "Good grid"


def test_catalog_scan_writes_the_rest(tmp_path, capsys):
    from portal.catalog.loader import load_catalog
    from portal.cataloging.scan import run_scan

    folder = tmp_path / "data"
    folder.mkdir()
    _huge(folder / "a_huge.nc")
    _good(folder / "b_good.nc")
    data = (folder / "b_good.nc").read_bytes()
    (folder / "c_truncated.nc").write_bytes(data[: len(data) // 2])
    shutil.copy(folder / "b_good.nc", folder / "d_good.nc")
    import portal.cataloging.worker as worker

    worker.TIMEOUT_S = 8.0
    try:
        status = run_scan(argparse.Namespace(dir=str(folder), output=str(tmp_path / "c.yaml")))
    finally:
        worker.TIMEOUT_S = 60.0
    out = capsys.readouterr().out
    assert status == 0, out
    assert "skipped  a_huge.nc" in out and "skipped  c_truncated.nc" in out
    assert sorted(load_catalog([str(tmp_path / "c.yaml")]).entries) == ["b_good", "d_good"]
