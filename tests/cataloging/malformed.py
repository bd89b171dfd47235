"""A corpus of malformed and hostile data files, generated at test time (no binary fixtures).

:func:`build_corpus` writes, into one folder, truncations of NetCDF-4 and NetCDF-3 files at
several offsets, bare format headers (a 13-byte CDF header), files declaring huge
dimensions, a compression bomb (a zlib-compressed HDF5 variable of zeros declaring 4 GiB),
bad units and calendars, all-NaN and all-fill data, fill-value clashes, ragged and empty ODV
files, Parquet files with bad metadata, wrong extensions, links that leave the folder, and
a copy of ``shared/data/edge_cases`` when present. It returns the names it wrote; one good
grid, ``zz_good.nc``, is written beside them.
"""

from __future__ import annotations

import os
import shutil
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

EDGE_CASES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "edge_cases"
GOOD = "zz_good.nc"


def good_grid(path: Path, engine: str = "netcdf4", **attrs) -> None:
    import xarray as xr

    xr.Dataset({"sst": (("latitude", "longitude"), np.random.default_rng(0).random((20, 30)),
                        {"units": "degC", "long_name": "Sea surface temperature"})},
               coords={"latitude": np.linspace(40, 50, 20),
                       "longitude": np.linspace(-10, 0, 30)},
               attrs={"title": "Good grid", **attrs}).to_netcdf(path, engine=engine)


def _nc4(path: Path, build: Callable) -> None:
    import netCDF4

    with netCDF4.Dataset(path, "w") as ds:
        ds.title = path.stem
        build(ds)


def _series(ds, values, **attrs) -> None:
    ds.createDimension("time", len(values))
    time = ds.createVariable("time", "f8", ("time",))
    time.units = attrs.pop("time_units", "days since 2020-01-01")
    time.calendar = attrs.pop("calendar", "standard")
    time[:] = np.arange(len(values))
    for name, start in (("latitude", 40.0), ("longitude", -10.0)):
        coord = ds.createVariable(name, "f8", ("time",))
        coord.units = "degrees_north" if name == "latitude" else "degrees_east"
        coord[:] = start + np.arange(len(values)) * 0.1
    ds.featureType = "trajectory"
    fill = attrs.pop("fill", None)
    var = ds.createVariable("temp", "f4", ("time",), fill_value=fill)
    var.set_auto_maskandscale(False)  # write the values as given, whatever the attributes
    for key, value in attrs.items():
        var.setncattr(key, value)
    var[:] = np.asarray(values, "f4")


def _huge_dims(folder: Path) -> None:
    def huge(ds):
        ds.createDimension("obs", 10**11)
        ds.createVariable("temp", "f4", ("obs",), chunksizes=(1_000_000,),
                          fill_value=-999.0).units = "degC"

    def huge_grid(ds):
        for name in ("latitude", "longitude"):
            ds.createDimension(name, 2**20)
            ds.createVariable(name, "f8", (name,), chunksizes=(2**16,))
        ds.createVariable("sst", "f4", ("latitude", "longitude"),
                          chunksizes=(1024, 1024)).units = "degC"

    _nc4(folder / "huge_dimension.nc", huge)
    _nc4(folder / "huge_grid.nc", huge_grid)


def _bomb(path: Path, chunks: int = 64) -> None:
    """A trajectory whose time, latitude, longitude and temperature each declare 2 GiB of
    float64 zeros, stored as identical 32 MiB zlib chunks (~8 MB on disk)."""
    import h5py

    chunk, names = 2**22, ("time", "latitude", "longitude", "temp")

    def build(ds):
        ds.featureType = "trajectory"
        ds.createDimension("obs", chunks * chunk)
        for name in names:
            var = ds.createVariable(name, "f8", ("obs",), zlib=True, complevel=9,
                                    chunksizes=(chunk,))
            var.units = {"time": "seconds since 2020-01-01", "latitude": "degrees_north",
                         "longitude": "degrees_east"}.get(name, "degC")

    _nc4(path, build)
    packed = zlib.compress(np.zeros(chunk).tobytes(), 9)
    with h5py.File(path, "r+") as h5:
        for name in names:
            for i in range(chunks):
                h5[name].id.write_direct_chunk((i * chunk,), packed)


def _classic_huge_records(path: Path) -> None:
    """A NetCDF-3 file whose header declares 2^31-1 records (numrecs at bytes 4-8)."""
    import xarray as xr

    xr.Dataset({"temp": ("time", np.arange(4.0))},
               coords={"time": np.arange(4.0)}).to_netcdf(
        path, engine="scipy", unlimited_dims=["time"])
    data = bytearray(path.read_bytes())
    data[4:8] = (2**31 - 1).to_bytes(4, "big")
    path.write_bytes(bytes(data))


def _truncations(folder: Path) -> None:
    good_grid(folder / "_src4.nc")
    good_grid(folder / "_src3.nc", engine="scipy")
    for src, offsets in (("_src4.nc", (4, 8, 13, 100, 512, 1024, 2048, 0.25, 0.5, 0.9)),
                         ("_src3.nc", (4, 13, 50, 0.5, 0.95))):
        data = (folder / src).read_bytes()
        for off in offsets:
            cut = int(len(data) * off) if isinstance(off, float) else off
            (folder / f"truncated{src[4]}_{cut}.nc").write_bytes(data[:cut])
        (folder / src).unlink()
    (folder / "header13_cdf1.nc").write_bytes(b"CDF\x01" + bytes(9))
    (folder / "header13_cdf2.nc").write_bytes(b"CDF\x02\x00\x00\x00\x01\xff\xff\xff\xff\x00")
    (folder / "header_hdf5_junk.nc").write_bytes(b"\x89HDF\r\n\x1a\n" + os.urandom(600))


def _bad_metadata(folder: Path) -> None:
    values = np.linspace(10, 12, 10)
    cases = {
        "bad_units.nc": dict(units="degrees_bogus per fortnight"),
        "tex_units.nc": dict(units="$\\frac{a}{$", long_name="$\\alpha_{"),
        "control_chars.nc": dict(units="degC\x1b[31m\x07", long_name="T\r\x1b]0;pwn\x07"),
        "bad_time_units.nc": dict(time_units="days since never"),
        "bad_calendar.nc": dict(calendar="martian"),
        "fill_clash.nc": dict(fill=np.float32(-999.0), missing_value=np.float64(1e30),
                              valid_min=np.float32(5), valid_max=np.float32(1)),
        "fill_string.nc": dict(_Unsigned="maybe", scale_factor="x2", add_offset=np.int8(3)),
    }
    for name, attrs in cases.items():
        _nc4(folder / name, lambda ds, a=attrs: _series(ds, values, **a))
    _nc4(folder / "all_nan.nc", lambda ds: _series(ds, np.full(10, np.nan), units="degC"))
    _nc4(folder / "all_fill.nc", lambda ds: _series(ds, np.full(10, -999.0), units="degC",
                                                    fill=np.float32(-999.0)))
    _nc4(folder / "no_variables.nc", lambda ds: ds.createDimension("x", 3))
    _nc4(folder / "coords_only.nc", lambda ds: ds.createVariable(
        "time", "f8", (ds.createDimension("time", 3).name,)))


def _odv(folder: Path) -> None:
    header = ("//ODV Spreadsheet V4.0\nCruise\tStation\tType\tyyyy-mm-ddThh:mm:ss.sss\t"
              "Longitude [degrees_east]\tLatitude [degrees_north]\tDepth [m]\tTEMP [degC]\n")
    (folder / "ragged_odv.txt").write_text(
        header + "C1\tS1\tB\t2020-01-01T00:00:00\t-5\t45\t0\t12.5\n"
        "C1\tS1\t\t\t\t\t10\n\tonly\ttwo\n" + "x\t" * 40 + "\n")
    (folder / "header_only_odv.txt").write_text(header)
    (folder / "binary_odv.txt").write_bytes(b"//ODV Spreadsheet\n" + os.urandom(400))
    (folder / "huge_line.csv").write_text("a,b\n" + "1," * 200_000 + "\n")


def _parquet(folder: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"longitude": [1.0, 2.0], "latitude": [3.0, 4.0], "temp": [5.0, 6.0]})
    pq.write_table(table, folder / "good_table.parquet")
    data = (folder / "good_table.parquet").read_bytes()
    (folder / "truncated_footer.parquet").write_bytes(data[:-12] + b"PAR1")
    (folder / "magic_only.parquet").write_bytes(b"PAR1" + b"\x00" * 20 + b"PAR1")
    bad = table.replace_schema_metadata({b"pandas": b"{not json", b"geo": b"\xff\xfe"})
    pq.write_table(bad, folder / "bad_metadata.parquet")


def _wrong_extensions(folder: Path) -> None:
    (folder / "image.nc").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(200))
    (folder / "notes.nc").write_text("This is not NetCDF.\n" * 20)
    (folder / "archive.nc").write_bytes(b"PK\x03\x04" + os.urandom(200))
    (folder / "json.parquet").write_text('{"a": 1}')
    good_grid(folder / "netcdf_named.txt")
    (folder / "page.html").write_text("<html><script>alert(1)</script></html>")
    (folder / "empty.nc").write_bytes(b"")
    (folder / "folder.nc").mkdir()


def _links(folder: Path, outside: Path) -> None:
    outside.mkdir(exist_ok=True)
    good_grid(outside / "elsewhere.nc")
    (outside / "secret.txt").write_text("password=hunter2\n")
    (folder / "link_out_good.nc").symlink_to(outside / "elsewhere.nc")
    (folder / "link_out_secret.txt").symlink_to(outside / "secret.txt")
    (folder / "link_etc_passwd.nc").symlink_to("/etc/passwd")
    (folder / "link_dangling.nc").symlink_to(folder / "does_not_exist.nc")
    (folder / "link_loop.nc").symlink_to(folder / "link_loop.nc")
    (folder / "link_dir_out").symlink_to(outside, target_is_directory=True)


def build_corpus(folder: Path, outside: Path) -> list[str]:
    """Write the corpus into ``folder`` (links point into ``outside``); the names written,
    the good grid :data:`GOOD` excluded."""
    folder.mkdir(parents=True, exist_ok=True)
    for step in (_truncations, _huge_dims, _bad_metadata, _odv, _parquet, _wrong_extensions):
        step(folder)
    _bomb(folder / "compression_bomb.nc")
    _classic_huge_records(folder / "classic_huge_records.nc")
    _links(folder, outside)
    if EDGE_CASES.is_dir():
        for src in sorted(EDGE_CASES.iterdir()):
            shutil.copy(src, folder / f"edge_{src.name}")
    names = sorted(p.name for p in folder.iterdir())
    good_grid(folder / GOOD)
    return names
