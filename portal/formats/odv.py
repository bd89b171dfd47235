"""ODV spreadsheet files (Ocean Data View and SeaDataNet ODV exports) as CF ragged datasets.

An ODV spreadsheet is a tab- or semicolon-separated text table (UTF-8 with or without BOM,
or cp1252/Latin-1) after ``//`` comment lines that carry ``<DataType>``,
``<MissingValueIndicators>``, ``<MetaVariable>``/``<DataVariable>`` declarations and the
SeaDataNet P01 parameter mapping. Station metadata columns (Cruise, Station, Type, time,
Longitude, Latitude, Bot. Depth...) come first and are filled only where a station starts
(ODV semantics: a new station begins when a metadata value changes); data columns follow,
each optionally followed by a ``QV:<scheme>`` flag column. :func:`read_odv` returns a CF
contiguous ragged array (``station`` and ``obs`` dimensions, ``rowSize`` counting each
station's samples) that :func:`portal.processing.normalize.to_observations` reads like
any DSG file; ODV and WOD flags are translated to the generic 0-9 scale so that the QC
presets mean the same thing everywhere, and anything unreadable becomes a
:class:`~portal.errors.SourceUnavailable` naming the file and the problem.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import os
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from portal.errors import SourceUnavailable
from portal.processing.qc import LETTERS, NO_FLAG, SCHEMES

log = logging.getLogger(__name__)

_TYPED = re.compile(r":(METAVAR|PRIMARYVAR)\b.*$", re.IGNORECASE)
_UNITS = re.compile(r"^(.*?)\s*\[([^\[\]]*)\]\s*$")
_SDN_MAP = re.compile(
    r"<subject>SDN:LOCAL:(.*?)</subject>\s*<object>SDN:P01::(\w+)</object>"
    r"(?:\s*<units>SDN:P06::(\w+)</units>)?"
)
_DECLARED = re.compile(r"<(MetaVariable|DataVariable)>\s*label=\"([^\"]*)\"(.*?)</\1>")
_TIME_LABEL = re.compile(r"^(yyyy-mm-dd|mon/day/yr|day/mon/yr|mm/dd/yyyy|dd/mm/yyyy|hh:mm)",
                         re.IGNORECASE)
_BINARY_BYTES = bytes(range(9)) + bytes(range(14, 32))

_META_NAMES = {
    "cruise", "station", "type", "local_cdi_id", "edmo_code", "bot. depth", "bot depth",
    "bottom depth", "originator's cruise", "originator's station", "instrument info",
}
_RESERVED = {
    "rowsize", "station", "obs", "time", "station_time", "latitude", "longitude", "cruise",
    "station_name", "bot_depth", "depth", "pressure",
}
_STANDARD_NAMES = {
    "TEMPPR01": "sea_water_temperature", "TEMPS901": "sea_water_temperature",
    "TEMPST01": "sea_water_temperature", "PSALST01": "sea_water_practical_salinity",
    "PSLTZZ01": "sea_water_practical_salinity", "PSALPR01": "sea_water_practical_salinity",
    "ADEPZZ01": "depth",
}
_DEPTH_CODES = {"ADEPZZ01", "DEPHPR01"}
_PRESSURE_CODES = {"PRESPR01"}
_DBAR = {"dbar", "db", "decibar", "decibars", ""}
_METRES = {"m", "meters", "metres", "meter", "metre", ""}

# ODV flag schemes -> (portal scheme, translation of raw codes, None = keep as is)
_QC_SCHEMES: dict[str, tuple[str, dict[int, int] | None]] = {
    "SEADATANET": ("seadatanet", None),
    "ARGO": ("argo", None),
    "GTSPP": ("generic", None),
    "ODV": ("generic", {0: 1, 1: 0, 4: 3, 8: 4}),
    "WOD": ("generic", {0: 1, **{code: 4 for code in range(1, 10)}}),
    "WOCE": ("generic", {1: 0, 2: 1, 3: 3, 4: 4, 5: 9, 6: 2, 7: 2, 8: 2, 9: 9}),
}
_FLAG_CODES = {str(i): i for i in range(10)} | LETTERS


@dataclass
class _Column:
    """One header label: its position, name without type suffix and units, and role hints."""

    pos: int
    label: str
    name: str
    units: str
    typed: str = ""
    qc: str | None = None  # flag scheme of a QV/QF column ("" when unnamed)
    sample_qc: bool = False


@dataclass
class _Header:
    """What the ``//`` comment lines and the header row say about the table."""

    index: int
    sep: str
    columns: list[_Column]
    comments: list[str]
    missing: tuple[float, ...] = ()
    data_type: str = ""
    p01: dict[str, tuple[str, str]] = field(default_factory=dict)
    meta_labels: set[str] = field(default_factory=set)
    data_labels: set[str] = field(default_factory=set)


# ------------------------------------------------------------------------------ public API


def read_odv(path: str, dataset: str = "") -> xr.Dataset:
    """Read one ODV spreadsheet file as a CF contiguous ragged array dataset."""
    fname = os.path.basename(path)
    name = dataset or fname
    lines = _load_text(path, name).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header = _parse_header(lines, fname, name)
    table = _read_rows(lines[header.index + 1:], header, fname, name)
    first_data = _first_data_column(header, table)
    meta = [c for c in header.columns[:first_data] if c.qc is None]
    ids, first = _stations(table, meta)
    data_vars = _obs_variables(table, header, header.columns[first_data:], fname)
    if not data_vars:
        raise SourceUnavailable(f"{fname}: no numeric data column after the station metadata",
                                dataset=name)
    sample_time = "time" in data_vars
    row_times = None if sample_time else _row_times(table, meta, ids)
    if row_times is not None:
        data_vars["time"] = xr.Variable("obs", row_times, {
            "standard_name": "time", "long_name": "time of each sample", "axis": "T"})
    station_vars = _station_variables(first, meta, header, "time" in data_vars, fname)
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


def concat_stations(parts: list[xr.Dataset], dataset: str = "") -> xr.Dataset:
    """Concatenate ragged ODV datasets: stations after stations, samples after samples."""
    if len(parts) == 1:
        return parts[0]
    if any("station_time" in p for p in parts):  # some files have per-sample times
        parts = [p if "station_time" in p else _with_sample_time(p) for p in parts]
    coords = sorted({str(c) for p in parts for c in p.coords})
    parts = [p.reset_coords() for p in parts]
    try:
        stations = xr.concat([p.drop_dims("obs") for p in parts], dim="station", join="outer",
                             combine_attrs="override")
        samples = xr.concat([p.drop_dims("station") for p in parts], dim="obs", join="outer",
                            combine_attrs="override")
        out = xr.merge([stations, samples], combine_attrs="override", join="outer")
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


# ------------------------------------------------------------------------- text and header


def _load_text(path: str, name: str) -> str:
    """The file's text, decoded; SourceUnavailable when missing, empty or binary."""
    fname = os.path.basename(path)
    if not os.path.isfile(path):
        raise SourceUnavailable(f"file not found: {path}", dataset=name,
                                hint="check the catalog path or re-run 'odatis-portal catalog scan'")
    with open(path, "rb") as fh:
        raw = fh.read()
    if not raw.strip():
        raise SourceUnavailable(f"{fname} is empty", dataset=name)
    for bom, codec in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            return raw[len(bom):].decode(codec, errors="replace")
    head = raw[:8192]
    if head.startswith((b"CDF", b"\x89HDF")):
        raise SourceUnavailable(f"{fname} is not a text file (it is NetCDF/HDF5)", dataset=name,
                                hint="declare it with driver: netcdf")
    n_binary = len(head) - len(head.translate(None, _BINARY_BYTES))
    if b"\x00" in head or n_binary > 0.01 * len(head):
        raise SourceUnavailable(f"{fname} is not a text file (binary content)", dataset=name)
    return _decode(raw)


def _decode(raw: bytes) -> str:
    """UTF-8 (BOM stripped), else cp1252, else Latin-1 (which never fails)."""
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace")
    for codec in ("utf-8", "cp1252"):
        try:
            return raw.decode(codec)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _parse_header(lines: list[str], fname: str, name: str) -> _Header:
    """Comment lines, header row, separator and the header's declarations."""
    comments: list[str] = []
    index = 0
    for index, line in enumerate(lines):  # noqa: B007 - index is used after the loop
        text = line.strip()
        if text.startswith("//"):
            comments.append(text[2:].rstrip("\t ;"))
        elif text:
            break
    else:
        raise SourceUnavailable(f"{fname}: no ODV header row (only comments or blank lines)",
                                dataset=name)
    sep = _separator(lines[index])
    columns = [_parse_column(i, label) for i, label in enumerate(lines[index].split(sep))]
    if _find(columns, _is_longitude) is None or _find(columns, _is_latitude) is None:
        shown = lines[index].strip()[:80]
        raise SourceUnavailable(
            f"{fname}: no ODV header row with Longitude/Latitude columns found "
            f"(first non-comment line: {shown!r})", dataset=name,
            hint="is this an ODV spreadsheet export?")
    header = _Header(index=index, sep=sep, columns=columns, comments=comments)
    _read_declarations(header, "\n".join(comments))
    return header


def _separator(line: str) -> str:
    """Tab or semicolon (whichever the header row uses more), comma as a last resort."""
    counts = {sep: line.count(sep) for sep in ("\t", ";", ",")}
    if counts["\t"] or counts[";"]:
        return "\t" if counts["\t"] >= counts[";"] else ";"
    return ","


def _read_declarations(header: _Header, text: str) -> None:
    """Fill missing values, data type, P01 mapping and declared variables from comments."""
    found = re.search(r"<MissingValueIndicators>(.*?)</MissingValueIndicators>", text)
    if found:
        values = pd.to_numeric(pd.Series(re.split(r"[\s,;]+", found.group(1).strip())),
                               errors="coerce").dropna()
        header.missing = tuple(float(v) for v in values)
    found = re.search(r"<DataType>(.*?)</DataType>", text)
    header.data_type = found.group(1).strip() if found else ""
    for subject, p01, p06 in _SDN_MAP.findall(text):
        header.p01[subject.strip().lower()] = (p01, p06 or "")
    for kind, label, rest in _DECLARED.findall(text):
        (header.meta_labels if kind == "MetaVariable" else header.data_labels).add(label)
        codes = re.search(r"SDN:P01::(\w+)", rest)
        key = _parse_column(0, label).name.lower()
        if kind == "DataVariable" and codes and key not in header.p01:
            units = re.search(r"SDN:P06::(\w+)", rest)
            header.p01[key] = (codes.group(1), units.group(1) if units else "")


def _parse_column(pos: int, label: str) -> _Column:
    """Split ``Temperature [C]:METAVAR:FLOAT:4`` into name, units and type; spot QV columns."""
    label = label.strip()
    typed = _TYPED.search(label)
    base = label[: typed.start()] if typed else label
    parts = base.split(":")
    if parts[0].strip().upper() in ("QV", "QF"):
        scheme = parts[1].strip().upper() if len(parts) > 1 else ""
        sample = parts[-1].strip().upper() == "SAMPLE"
        return _Column(pos, label, base, "", qc=scheme if scheme != "SAMPLE" else "",
                       sample_qc=sample)
    found = _UNITS.match(base)
    name, units = (found.group(1), found.group(2)) if found else (base, "")
    return _Column(pos, label, name.strip(), units.strip(),
                   typed=typed.group(1).upper() if typed else "")


def _find(columns: list[_Column], test) -> _Column | None:
    return next((c for c in columns if c.qc is None and test(c)), None)


def _is_longitude(col: _Column) -> bool:
    low = col.name.lower()
    return low in ("lon", "long") or low.startswith("longitude")


def _is_latitude(col: _Column) -> bool:
    low = col.name.lower()
    return low == "lat" or low.startswith("latitude")


# ---------------------------------------------------------------------------- table layout


def _read_rows(lines: list[str], header: _Header, fname: str, name: str) -> pd.DataFrame:
    """Data rows as stripped strings, NaN where blank, one column per header label
    (``//`` lines anywhere are skipped: ODV puts ``<History>`` lines between stations)."""
    sep = header.sep
    body = [ln for ln in lines if ln.strip(" \t;,") and not ln.lstrip().startswith("//")]
    if not body:
        raise SourceUnavailable(f"{fname}: ODV header row but no data rows", dataset=name)
    width = len(header.columns)
    widest = max(ln.count(sep) for ln in body) + 1
    table = pd.read_csv(io.StringIO("\n".join(body)), sep=sep, header=None,
                        names=range(max(width, widest)), dtype=str, keep_default_na=False,
                        na_filter=False, quoting=csv.QUOTE_NONE, engine="c")
    if widest > width:
        extra = table.iloc[:, width:].apply(lambda s: s.str.strip().ne("").sum()).sum()
        if extra:
            log.warning("%s: %d cells beyond the %d header columns ignored", fname, extra, width)
        table = table.iloc[:, :width]
    table = table.apply(lambda column: column.str.strip())
    return table.where(table != "")


def _is_meta(col: _Column, header: _Header) -> bool:
    low = col.name.lower()
    return (col.typed == "METAVAR" or col.label in header.meta_labels
            or col.name in header.meta_labels or low in _META_NAMES
            or bool(_TIME_LABEL.match(col.name)) or _is_longitude(col) or _is_latitude(col))


def _first_data_column(header: _Header, table: pd.DataFrame) -> int:
    """Position of the first data column: everything before it is station metadata."""
    cols = header.columns
    declared = [c.pos for c in cols if c.qc is None and (
        c.typed == "PRIMARYVAR" or c.label in header.data_labels or c.name in header.data_labels)]
    if declared:
        return min(declared)
    flagged = [c.pos - 1 for c in cols if c.qc is not None and c.pos > 0
               and cols[c.pos - 1].qc is None and not _is_meta(cols[c.pos - 1], header)]
    lon, lat = _find(cols, _is_longitude), _find(cols, _is_latitude)
    limit = max(min(flagged, default=len(cols)), lon.pos + 1, lat.pos + 1)
    start = max(c.pos for c in cols[:limit] if c.qc is None and _is_meta(c, header)) + 1
    continuation = table[lon.pos].isna() & table[lat.pos].isna()
    if not continuation.any():
        return start
    on_continuation = table.loc[continuation].notna().any().to_numpy()
    filled = [c.qc is None and bool(on_continuation[c.pos]) for c in cols]
    while start < len(cols) and (cols[start].qc is not None or (
            not filled[start] and any(filled[start + 1:]))):
        start += 1
    return start


def _stations(table: pd.DataFrame, meta: list[_Column]) -> tuple[np.ndarray, pd.DataFrame]:
    """Station index of every row and each station's metadata (first non-blank values).

    As in ODV, blank cells repeat the value above and a row starts a new station when a
    metadata value changes; a changing time alone starts one only on rows that carry
    other metadata (EcoPart repeats the time of each depth bin on continuation rows).
    """
    block = table[[c.pos for c in meta]]
    timed = [c.pos for c in meta if _TIME_LABEL.match(c.name)]
    rows = np.flatnonzero(block.drop(columns=timed).notna().any(axis=1).to_numpy())
    new = np.zeros(len(table), dtype=bool)
    new[0] = True
    if rows.size > 1:  # only rows with non-time metadata can start a station
        key = block.iloc[rows].ffill().fillna("").to_numpy(dtype=object)
        new[rows[1:]] = (key[1:] != key[:-1]).any(axis=1)
    ids = np.cumsum(new) - 1
    first = block.groupby(ids).first().reindex(range(int(ids[-1]) + 1))
    return ids, first


def _row_times(table: pd.DataFrame, meta: list[_Column], ids: np.ndarray) -> np.ndarray | None:
    """Per-row times when an ISO time metadata column changes within stations, else None."""
    iso = _find(meta, lambda c: c.name.lower().startswith("yyyy-mm-dd"))
    if iso is None:
        return None
    text = table[iso.pos].ffill()
    if not (text.groupby(ids).nunique() > 1).any():
        return None
    return _datetimes(text)


# ------------------------------------------------------------------------------- variables


def _to_float(values: pd.Series, missing: tuple[float, ...]) -> tuple[np.ndarray, int, int]:
    """Floats (NaN for blanks, missing-value indicators and bad cells), #filled, #bad."""
    filled = int(values.notna().sum())
    try:  # Arrow's cast is ~15x faster than to_numeric; it refuses any bad cell
        num = values.astype("float64[pyarrow]").to_numpy("float64", na_value=np.nan)
    except (TypeError, ValueError, ImportError):
        num = _coerced(values)
    bad = filled - int(np.isfinite(num).sum())
    if bad and values.str.contains(",", regex=False).any():
        alt = _coerced(values.str.replace(",", ".", regex=False))
        if np.isfinite(alt).sum() > np.isfinite(num).sum():
            num, bad = alt, filled - int(np.isfinite(alt).sum())
    if missing:
        num = np.where(np.isin(num, missing), np.nan, num)
    return num, filled, bad


def _coerced(values: pd.Series) -> np.ndarray:
    num = pd.to_numeric(values, errors="coerce")
    return num.to_numpy(dtype="float64", na_value=np.nan)


def _datetimes(values: pd.Series) -> np.ndarray:
    """ISO 8601 text (with or without seconds, ``T`` or space) as datetime64[ns], NaT if bad."""
    parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
    return parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")


def _station_time(first: pd.DataFrame, meta: list[_Column]) -> np.ndarray | None:
    """Station times from an ISO column, or from ODV's ``mon/day/yr`` + ``hh:mm`` columns."""
    iso = _find(meta, lambda c: c.name.lower().startswith("yyyy-mm-dd"))
    if iso is not None:
        return _datetimes(first[iso.pos])
    formats = {"mon/day/yr": "%m/%d/%Y", "mm/dd/yyyy": "%m/%d/%Y", "day/mon/yr": "%d/%m/%Y",
               "dd/mm/yyyy": "%d/%m/%Y"}
    date = _find(meta, lambda c: c.name.lower() in formats)
    if date is None:
        return None
    clock = _find(meta, lambda c: c.name.lower().startswith("hh:mm"))
    text = first[date.pos].fillna("")
    fmt = formats[date.name.lower()]
    if clock is not None:
        text, fmt = text + " " + first[clock.pos].fillna("00:00").str.slice(0, 5), fmt + " %H:%M"
    parsed = pd.to_datetime(text.str.strip(), format=fmt, errors="coerce")
    return parsed.to_numpy(dtype="datetime64[ns]")


def _station_labels(first: pd.DataFrame, meta: list[_Column]) -> dict[str, xr.Variable]:
    """cruise and station_name (Station, else Site) as strings, "" where absent."""
    out: dict[str, xr.Variable] = {}
    for key, names in (("cruise", ("cruise",)), ("station_name", ("station", "site"))):
        col = next((c for n in names for c in meta if c.name.lower() == n), None)
        values = first[col.pos].fillna("") if col is not None else pd.Series([""] * len(first))
        out[key] = xr.Variable("station", values.to_numpy(dtype=str), {"long_name": key})
    return out


def _station_variables(first: pd.DataFrame, meta: list[_Column], header: _Header,
                       sample_time: bool, fname: str) -> dict[str, xr.Variable]:
    """cruise, station_name, time (or station_time), latitude, longitude, bot_depth."""
    out = _station_labels(first, meta)
    times = _station_time(first, meta)
    if times is None:
        log.warning("%s: no station date/time column; station times are missing", fname)
        times = np.full(len(first), np.datetime64("NaT"), dtype="datetime64[ns]")
    if sample_time:
        out["station_time"] = xr.Variable("station", times, {"long_name": "station time"})
    else:
        out["time"] = xr.Variable("station", times,
                                  {"standard_name": "time", "long_name": "time", "axis": "T"})
    for key, test, units in (("latitude", _is_latitude, "degrees_north"),
                             ("longitude", _is_longitude, "degrees_east")):
        values, _, bad = _to_float(first[_find(meta, test).pos], header.missing)
        if bad:
            log.warning("%s: %d unreadable %s values", fname, bad, key)
        out[key] = xr.Variable("station", values, {"standard_name": key, "units": units,
                                                   "long_name": key.capitalize()})
    bot = _find(meta, lambda c: c.name.lower().startswith(("bot. depth", "bot depth",
                                                           "bottom depth")))
    if bot is not None:
        out["bot_depth"] = xr.Variable("station", _to_float(first[bot.pos], header.missing)[0], {
            "long_name": "bottom depth", "units": bot.units or "m",
            "standard_name": "sea_floor_depth_below_sea_surface"})
    return out


def _p01(col: _Column, header: _Header) -> tuple[str, str]:
    return header.p01.get(col.name.lower()) or header.p01.get(col.label.lower()) or ("", "")


def _vertical_candidates(cols: list[_Column], header: _Header) -> dict[str, list[_Column]]:
    """Columns that could be the vertical coordinate, by kind (depth first)."""
    found: dict[str, list[_Column]] = {"depth": [], "pressure": []}
    for col in cols:
        code, low, units = _p01(col, header)[0], col.name.lower(), col.units.lower()
        if col.qc is not None:
            continue
        if code in _DEPTH_CODES or (low.startswith("depth") and units in _METRES):
            found["depth"].append(col)
        elif code in _PRESSURE_CODES or (
                (low in ("pres", "press") or low.startswith("pressure")) and units in _DBAR):
            found["pressure"].append(col)
    return found


def _vertical(found: dict[str, list[_Column]]) -> tuple[_Column, str] | None:
    """The vertical coordinate (the primary variable first) and its kind."""
    for kind, group in found.items():
        if group:
            primary = [c for c in group if c.typed == "PRIMARYVAR"]
            return (primary or group)[0], kind
    return None


def _sample_time(cols: list[_Column], header: _Header) -> _Column | None:
    """The per-sample time column of time-series files (``time_ISO8601``, P01 DTUT8601)."""
    return _find(cols, lambda c: _p01(c, header)[0] == "DTUT8601"
                 or c.name.lower().startswith(("time_iso8601", "yyyy-mm-dd")))


def _obs_variables(table: pd.DataFrame, header: _Header, cols: list[_Column],
                   fname: str) -> dict[str, xr.Variable]:
    """Vertical coordinate, per-sample time and measured variables with their flags; the
    other depth/pressure columns go last, so that they are never the default variable."""
    found, when = _vertical_candidates(cols, header), _sample_time(cols, header)
    vertical = _vertical(found)
    chosen = vertical[0] if vertical else None
    spare = {c.pos for group in found.values() for c in group if c is not chosen}
    flags = {c.pos - 1: c for c in cols if c.qc is not None and not c.sample_qc}
    used, out, late = set(_RESERVED), {}, {}
    for col in (c for c in cols if c.qc is None and c.label):
        target = late if col.pos in spare else out
        if when is not None and col.pos == when.pos:
            name = "time"
            target[name] = xr.Variable("obs", _datetimes(table[col.pos]), {
                "standard_name": "time", "long_name": col.name, "axis": "T"})
        else:
            name = vertical[1] if vertical and col is chosen else _unique(col, used)
            target[name] = _measured(table[col.pos], col, header, name, fname)
            if target[name] is None:
                del target[name]
                continue
        if col.pos in flags:
            target[f"{name}_qc"] = _flag_variable(table[col.pos + 1], flags[col.pos], fname)
            target[name].attrs["ancillary_variables"] = f"{name}_qc"
    return {**out, **late}


def _measured(values: pd.Series, col: _Column, header: _Header, name: str,
              fname: str) -> xr.Variable | None:
    """A float64 data variable with CF/SeaDataNet attributes, or None for text/empty columns."""
    num, filled, bad = _to_float(values, header.missing)
    if filled and bad > 0.1 * filled:
        log.warning("%s: column %r holds text, skipped", fname, col.label)
        return None
    if not filled and name not in ("depth", "pressure"):
        log.debug("%s: column %r is empty, skipped", fname, col.label)
        return None
    attrs = {"long_name": col.name, "units": col.units}
    code, unit = _p01(col, header)
    if code:
        attrs["sdn_parameter_urn"] = f"SDN:P01::{code}"
        if code in _STANDARD_NAMES:
            attrs["standard_name"] = _STANDARD_NAMES[code]
    if unit:
        attrs["sdn_uom_urn"] = f"SDN:P06::{unit}"
    if name == "depth":
        attrs.update(standard_name="depth", positive="down", axis="Z")
        attrs["units"] = "m" if col.units.lower() in _METRES else col.units
    elif name == "pressure":
        attrs.update(standard_name="sea_water_pressure", positive="down", axis="Z")
        attrs["units"] = "dbar" if col.units.lower() in _DBAR else col.units
    return xr.Variable("obs", num, attrs)


def _unique(col: _Column, used: set[str]) -> str:
    """A NetCDF-safe name from the label (letters, digits, underscore), unique ignoring case."""
    text = col.name.replace("\u00b5", "u").replace("\u03bc", "u")
    base = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_") or "variable"
    if base[0].isdigit():
        base = f"v_{base}"
    name, n = base, 2
    while name.lower() in used:
        name, n = f"{base}_{n}", n + 1
    used.add(name.lower())
    return name


def _flag_variable(values: pd.Series, col: _Column, fname: str) -> xr.Variable:
    """int8 flags (-1 = none) on the portal's scale, with ``qc_scheme`` and flag attributes."""
    category = values.str.upper().astype("category").cat
    lut = [_FLAG_CODES.get(str(c), NO_FLAG) for c in category.categories] + [NO_FLAG]
    codes = np.array(lut, dtype="int8")[category.codes.to_numpy()]  # code -1 (blank) -> last
    source = col.qc or "ODV"
    if source not in _QC_SCHEMES:
        log.warning("%s: unknown flag scheme %r, flags kept as generic", fname, col.label)
    scheme, translation = _QC_SCHEMES.get(source, ("generic", None))
    attrs = {"long_name": "SeaDataNet quality flag" if scheme == "seadatanet" else
             "Argo quality flag" if scheme == "argo" else "quality flag",
             "qc_scheme": scheme, "odv_flag_scheme": col.label}
    if translation is not None:
        lut = np.full(len(LETTERS) + 10, NO_FLAG, dtype="int8")
        for raw, mapped in translation.items():
            lut[raw] = mapped
        codes = np.where(codes >= 0, lut[np.clip(codes, 0, lut.size - 1)], NO_FLAG)
        pairs = ", ".join(f"{raw}->{mapped}" for raw, mapped in translation.items())
        attrs["comment"] = f"{source} flags translated to the generic scale ({pairs})"
    table = SCHEMES.get(scheme, SCHEMES["generic"])
    attrs["flag_values"] = np.array(sorted(table), dtype="int8")
    attrs["flag_meanings"] = " ".join(re.sub(r"\W+", "_", table[k]).strip("_") for k in sorted(table))
    return xr.Variable("obs", codes.astype("int8"), attrs)


def _global_attrs(header: _Header, path: str, sample_time: bool, vertical: bool,
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
