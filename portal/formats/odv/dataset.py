"""ODV spreadsheets as CF contiguous ragged arrays: one file, or several concatenated.

:func:`read_odv` chains the jobs of this package — decode the text (:mod:`.text`), parse
the header (:mod:`.header`), lay out the rows in stations (:mod:`.layout`), build the CF
variables (:mod:`.variables`) — and assembles an ``xarray.Dataset`` with ``station`` and
``obs`` dimensions and a ``rowSize`` count of each station's samples, which
:func:`portal.processing.normalize.to_observations` reads like any DSG file. The
featureType comes from the header's ``<DataType>`` or from the layout (per-sample times:
timeSeries; several depths per station: profile). :func:`concat_stations` puts datasets
of several files of one dataset end to end. Anything unreadable raises a
:class:`~portal.errors.SourceUnavailable` naming the file and the problem.
"""

from __future__ import annotations

import os

import numpy as np
import xarray as xr

from portal.errors import SourceUnavailable
from portal.formats.odv.header import Header, parse_header
from portal.formats.odv.layout import first_data_column, read_rows, row_times, stations
from portal.formats.odv.text import load_text, split_lines
from portal.formats.odv.variables import obs_variables, station_variables
from portal.vocab import NO_FLAG


def read_odv(path: str | os.PathLike[str], dataset: str = "") -> xr.Dataset:
    """Read one ODV spreadsheet file as a CF contiguous ragged array dataset."""
    path = os.fspath(path)
    fname = os.path.basename(path)
    name = dataset or fname
    lines = split_lines(load_text(path, name))
    header = parse_header(lines, fname, name)
    table = read_rows(lines[header.index + 1:], header, fname, name)
    first_data = first_data_column(header, table)
    meta = [c for c in header.columns[:first_data] if c.qc is None]
    ids, first = stations(table, meta)
    data_vars = obs_variables(table, header, header.columns[first_data:], fname)
    if not data_vars:
        raise SourceUnavailable(f"{fname}: no numeric data column after the station metadata",
                                dataset=name)
    sample_time = "time" in data_vars
    times = None if sample_time else row_times(table, meta, ids)
    if times is not None:
        data_vars["time"] = xr.Variable("obs", times, {
            "standard_name": "time", "long_name": "time of each sample", "axis": "T"})
    station_vars = station_variables(first, meta, header, "time" in data_vars, fname)
    counts = np.bincount(ids, minlength=len(first)).astype("int32")
    vertical = "depth" in data_vars or "pressure" in data_vars
    return _assemble(station_vars, data_vars, counts,
                     _global_attrs(header, path, sample_time, vertical, counts))


def _assemble(station_vars: dict[str, xr.Variable], data_vars: dict[str, xr.Variable],
              counts: np.ndarray, attrs: dict[str, str]) -> xr.Dataset:
    """The ragged dataset: rowSize, axes as coordinates, cf_role on the station name."""
    station_vars["rowSize"] = xr.Variable(
        "station", counts, {"long_name": "number of samples of each station",
                            "sample_dimension": "obs"})
    ds = xr.Dataset({**station_vars, **data_vars}, attrs=attrs)
    coords = ["time", "station_time", "latitude", "longitude", "depth", "pressure"]
    ds = ds.set_coords([c for c in coords if c in ds.variables])
    role = "timeseries_id" if attrs["featureType"] == "timeSeries" else "profile_id"
    ds["station_name"].attrs["cf_role"] = role
    return ds


def _global_attrs(header: Header, path: str, sample_time: bool, vertical: bool,
                  counts: np.ndarray) -> dict[str, str]:
    """featureType (declared or inferred), title, source file and the header comments."""
    declared = header.data_type.lower()
    if "profile" in declared:
        feature = "profile"
    elif "timeseries" in declared.replace(" ", "").replace("-", ""):
        feature = "timeSeries"
    elif "trajector" in declared:
        feature = "trajectory"
    elif sample_time:
        feature = "timeSeries"
    elif vertical and counts.size and counts.max() > 1:
        feature = "profile"
    else:
        feature = "point"
    return {
        "featureType": feature, "Conventions": "CF-1.8",
        "title": os.path.splitext(os.path.basename(path))[0], "source_file": path,
        "odv_comments": "\n".join(c for c in header.comments if c.strip())[:2000],
    }


def concat_stations(parts: list[xr.Dataset], dataset: str = "") -> xr.Dataset:
    """Concatenate ragged ODV datasets: stations after stations, samples after samples."""
    if len(parts) == 1:
        return parts[0]
    if any("station_time" in p for p in parts):  # some files have per-sample times
        parts = [p if "station_time" in p else _with_sample_time(p) for p in parts]
    coords = sorted({str(c) for p in parts for c in p.coords})
    parts = [p.reset_coords() for p in parts]
    try:
        by_station = xr.concat([p.drop_dims("obs") for p in parts], dim="station",
                               join="outer", combine_attrs="override")
        samples = xr.concat([p.drop_dims("station") for p in parts], dim="obs", join="outer",
                            combine_attrs="override")
        out = xr.merge([by_station, samples], combine_attrs="override", join="outer")
    except Exception as exc:  # noqa: BLE001 - reported with the dataset name
        raise SourceUnavailable(f"cannot concatenate {len(parts)} ODV files: {exc}",
                                dataset=dataset,
                                hint="files of one dataset must share their layout") from exc
    for name in list(out.data_vars):
        if str(name).endswith("_qc") and out[name].dtype.kind == "f":
            out[name] = out[name].fillna(NO_FLAG).astype("int8").assign_attrs(out[name].attrs)
        elif name in ("cruise", "station_name") and out[name].dtype.kind == "O":
            out[name] = out[name].fillna("").astype(str).assign_attrs(out[name].attrs)
    out.attrs["source_file"] = ", ".join(str(p.attrs.get("source_file", "")) for p in parts)
    return out.set_coords(coords)


def _with_sample_time(ds: xr.Dataset) -> xr.Dataset:
    """A profile dataset with its station times repeated on every sample."""
    sample = np.repeat(ds["time"].values, ds["rowSize"].values)
    attrs = dict(ds["time"].attrs)
    ds = ds.rename({"time": "station_time"})
    ds["station_time"].attrs = {"long_name": "station time"}
    ds["time"] = xr.Variable("obs", sample, attrs)
    return ds.set_coords("time")
