"""ODV table layout: rows as text cells, which columns are station metadata, and the
column roles (time, position, vertical coordinate) that the CF assembly needs.

The body is read with pandas as strings (``//`` lines between stations skipped, cells
beyond the header width dropped with a warning). Station metadata columns (Cruise,
Station, Type, dates, Longitude, Latitude, Bot. Depth, anything declared ``METAVAR`` or
``<MetaVariable>``) come first; :func:`first_data_column` finds where the data begin even
when the header does not say so. As in ODV, a blank metadata cell repeats the value
above and a row starts a new station when a metadata value changes (:func:`stations`).
:func:`to_float` and :func:`datetimes` convert text cells (decimal commas, missing-value
indicators, ISO 8601 with or without seconds).
"""

from __future__ import annotations

import csv
import io
import logging
import re

import numpy as np
import pandas as pd

from portal.errors import SourceUnavailable
from portal.formats.odv.header import Column, Header, find, is_latitude, is_longitude
from portal.vocab import P01_DEPTH_CODES, P01_PRESSURE_CODES, P01_TIME_CODE

log = logging.getLogger(__name__)

TIME_LABEL = re.compile(r"^(yyyy-mm-dd|mon/day/yr|day/mon/yr|mm/dd/yyyy|dd/mm/yyyy|hh:mm)",
                        re.IGNORECASE)
_META_NAMES = {
    "cruise", "station", "type", "local_cdi_id", "edmo_code", "bot. depth", "bot depth",
    "bottom depth", "originator's cruise", "originator's station", "instrument info",
}
DBAR_UNITS = {"dbar", "db", "decibar", "decibars", ""}
METRE_UNITS = {"m", "meters", "metres", "meter", "metre", ""}


def read_rows(lines: list[str], header: Header, fname: str, name: str) -> pd.DataFrame:
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


def is_meta(col: Column, header: Header) -> bool:
    """Whether a column holds station metadata (declared, typed or by its usual name)."""
    low = col.name.lower()
    return (col.typed == "METAVAR" or col.label in header.meta_labels
            or col.name in header.meta_labels or low in _META_NAMES
            or bool(TIME_LABEL.match(col.name)) or is_longitude(col) or is_latitude(col))


def first_data_column(header: Header, table: pd.DataFrame) -> int:
    """Position of the first data column: everything before it is station metadata."""
    cols = header.columns
    declared = [c.pos for c in cols if c.qc is None and (
        c.typed == "PRIMARYVAR" or c.label in header.data_labels or c.name in header.data_labels)]
    if declared:
        return min(declared)
    flagged = [c.pos - 1 for c in cols if c.qc is not None and c.pos > 0
               and cols[c.pos - 1].qc is None and not is_meta(cols[c.pos - 1], header)]
    lon, lat = find(cols, is_longitude), find(cols, is_latitude)
    assert lon is not None and lat is not None  # parse_header refuses headers without them
    limit = max(min(flagged, default=len(cols)), lon.pos + 1, lat.pos + 1)
    start = max(c.pos for c in cols[:limit] if c.qc is None and is_meta(c, header)) + 1
    continuation = table[lon.pos].isna() & table[lat.pos].isna()
    if not continuation.any():
        return start
    on_continuation = table.loc[continuation].notna().any().to_numpy()
    filled = [c.qc is None and bool(on_continuation[c.pos]) for c in cols]
    while start < len(cols) and (cols[start].qc is not None or (
            not filled[start] and any(filled[start + 1:]))):
        start += 1
    return start


def stations(table: pd.DataFrame, meta: list[Column]) -> tuple[np.ndarray, pd.DataFrame]:
    """Station index of every row and each station's metadata (first non-blank values).

    As in ODV, blank cells repeat the value above and a row starts a new station when a
    metadata value changes; a changing time alone starts one only on rows that carry
    other metadata (EcoPart repeats the time of each depth bin on continuation rows).
    """
    block = table[[c.pos for c in meta]]
    timed = [c.pos for c in meta if TIME_LABEL.match(c.name)]
    rows = np.flatnonzero(block.drop(columns=timed).notna().any(axis=1).to_numpy())
    new = np.zeros(len(table), dtype=bool)
    new[0] = True
    if rows.size > 1:  # only rows with non-time metadata can start a station
        key = block.iloc[rows].ffill().fillna("").to_numpy(dtype=object)
        new[rows[1:]] = (key[1:] != key[:-1]).any(axis=1)
    ids = np.cumsum(new) - 1
    first = block.groupby(ids).first().reindex(range(int(ids[-1]) + 1))
    return ids, first


def iso_time_column(meta: list[Column]) -> Column | None:
    """The ``yyyy-mm-ddThh:mm…`` metadata column, if any."""
    return find(meta, lambda c: c.name.lower().startswith("yyyy-mm-dd"))


def row_times(table: pd.DataFrame, meta: list[Column], ids: np.ndarray) -> np.ndarray | None:
    """Per-row times when an ISO time metadata column changes within stations, else None."""
    iso = iso_time_column(meta)
    if iso is None:
        return None
    text = table[iso.pos].ffill()
    if not (text.groupby(ids).nunique() > 1).any():
        return None
    return datetimes(text)


def vertical_candidates(cols: list[Column], header: Header) -> dict[str, list[Column]]:
    """Columns that could be the vertical coordinate, by kind (depth first)."""
    found: dict[str, list[Column]] = {"depth": [], "pressure": []}
    for col in cols:
        code, low, units = header.p01_of(col)[0], col.name.lower(), col.units.lower()
        if col.qc is not None:
            continue
        if code in P01_DEPTH_CODES or (low.startswith("depth") and units in METRE_UNITS):
            found["depth"].append(col)
        elif code in P01_PRESSURE_CODES or (
                (low in ("pres", "press") or low.startswith("pressure")) and units in DBAR_UNITS):
            found["pressure"].append(col)
    return found


def vertical(found: dict[str, list[Column]]) -> tuple[Column, str] | None:
    """The vertical coordinate (the primary variable first) and its kind."""
    for kind, group in found.items():
        if group:
            primary = [c for c in group if c.typed == "PRIMARYVAR"]
            return (primary or group)[0], kind
    return None


def sample_time_column(cols: list[Column], header: Header) -> Column | None:
    """The per-sample time column of time-series files (``time_ISO8601``, P01 DTUT8601)."""
    return find(cols, lambda c: header.p01_of(c)[0] == P01_TIME_CODE
                or c.name.lower().startswith(("time_iso8601", "yyyy-mm-dd")))


def to_float(values: pd.Series, missing: tuple[float, ...]) -> tuple[np.ndarray, int, int]:
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
    return np.asarray(num.to_numpy(dtype="float64", na_value=np.nan))


def datetimes(values: pd.Series) -> np.ndarray:
    """ISO 8601 text (with or without seconds, ``T`` or space) as datetime64[ns], NaT if bad."""
    parsed = pd.to_datetime(values, format="ISO8601", errors="coerce", utc=True)
    return np.asarray(parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]"))
