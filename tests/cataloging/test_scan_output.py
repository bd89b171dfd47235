"""``catalog scan`` output: metadata cannot drive the operator's terminal."""

from __future__ import annotations

import argparse

import numpy as np


def test_scan_prints_no_control_characters(tmp_path, capsys):
    import xarray as xr

    from portal.cataloging.scan import run_scan

    data = tmp_path / "data"
    data.mkdir()
    xr.Dataset({"sst": (("latitude", "longitude"), np.ones((4, 5)))},
               coords={"latitude": np.arange(4.0), "longitude": np.arange(5.0)},
               attrs={"title": "Evil\x1b[2J\x1b]0;owned\x07 title\rX\x07"}
               ).to_netcdf(data / "grid.nc")
    (data / "broken.nc").write_bytes(b"CDF\x01\x1b[31m" + b"\x00" * 5)
    assert run_scan(argparse.Namespace(dir=str(data), output=str(tmp_path / "c.yaml"))) == 0
    out = capsys.readouterr().out
    assert "Evil title" in out or "Evil titleX" in out
    assert not [c for c in out if ord(c) < 32 and c != "\n"], repr(out)
