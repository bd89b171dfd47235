"""Downloads of the current selection as CSV or CF NetCDF, size-checked before the values are read.

:func:`prepare` takes a catalog entry and the same :class:`~portal.query.Query` as the
quicklooks (``var``, ``time``, ``depth``, ``bbox``, ``qc``; ``qc=auto`` resolves as for the
quicklooks, ``qc=all`` keeps every flag)
and returns a :class:`Selection`: for observation datasets the rows that fall in the
query, found from the coordinates and flags only, and for grids the lazy slice of the
field (time window, nearest depth, box). Its :attr:`Selection.size` is the number of rows
or cells; beyond the settings' ``Limits.max_download_rows`` rows or
``Limits.max_download_cells`` cells (caps of their own: a download streams far more than a
plot draws), :class:`~portal.errors.SelectionTooLarge` (413) is raised with the estimate and a
suggestion, before any measured value is read. :func:`csv_chunks` streams CSV text
(``# key: value`` provenance lines first, then one row per observation or cell) and
:func:`netcdf_bytes` writes a NetCDF-4 file (observations as a CF DSG point table, grids as
a CF grid); both carry provenance: source kind, source file name or URL, portal version,
the query and the date. Sources that aggregate per view (the point store) are
downloadable when their handle has an ``export(query)`` method: its plan's ``estimate``
(from the row-group index) is size-checked, then its rows stream from pyarrow
(:mod:`portal.pointstore.export`). :func:`estimate` gives the page the same size check
as a number of rows or cells and bytes, cached per data version and query. xarray/numpy are imported inside functions: ``import portal``
stays light.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from portal.cache import data_cache
from portal.errors import (
    BadParameter,
    NoDataInSelection,
    PortalError,
    SelectionTooLarge,
    strip_paths,
)
from portal.model import DatasetEntry
from portal.query import Query, limits

if TYPE_CHECKING:
    import xarray as xr

FORMATS = {"csv": "text/csv", "nc": "application/x-netcdf"}
CHUNK_ROWS = 100_000


@dataclass(frozen=True)
class Selection:
    """What a download will hold: lazy data (observations or a grid) and its size."""

    entry: DatasetEntry
    query: Query
    data: Any            # xr.Dataset along "obs", or an xr.DataArray grid
    grid: bool
    size: int            # rows (observations) or cells (grid)
    export: Any = None   # an aggregating source's planned export (streamed), else None

    @property
    def columns(self) -> list[str]:
        if self.grid:
            return [*(str(d) for d in self.data.dims), str(self.data.name)]
        return [*(c for c in ("time", "latitude", "longitude", "z") if c in self.data.coords),
                *(str(v) for v in self.data.data_vars)]


def provenance(entry: DatasetEntry, query: Query) -> dict[str, str]:
    """The attributes every downloaded file carries."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        portal_version = version("odatis-portal")
    except PackageNotFoundError:
        portal_version = "unknown"
    args = entry.arguments
    where = args.get("url") or args.get("urlpath") or args.get("path") or ""
    if isinstance(where, list | tuple):
        where = ", ".join(str(w) for w in where)
    where = str(where)
    shown = where if "://" in where else os.path.basename(where)  # never server folders
    params = "&".join(f"{k}={v}" for k, v in query.selection.to_params().items())
    return {"source_dataset": entry.id, "source_kind": entry.source, "source": shown,
            "title": entry.title, "institution": entry.institution,
            "license": entry.license, "portal_version": portal_version,
            "portal_query": params or "(whole dataset)",
            "date_created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def _too_large(entry: DatasetEntry, size: int, cap: int, unit: str) -> SelectionTooLarge:
    return _TooLarge(entry, size, cap, unit)


def _flag_mask(table: xr.Dataset, names: list[str], preset: str) -> Any:
    """Rows where at least one variable's flag passes the QC preset (all rows without
    flags or with ``qc=all``)."""
    import numpy as np

    from portal.processing.qc import accepted_flags

    keep = np.zeros(table.sizes["obs"], bool)
    for name in names:
        flags = table.get(f"{name}_qc")
        if flags is None or preset == "all":
            return np.ones(table.sizes["obs"], bool)
        accepted = accepted_flags(preset, str(flags.attrs.get("qc_scheme", "generic")))
        if accepted is None:
            return np.ones(table.sizes["obs"], bool)
        keep |= np.isin(np.asarray(flags.values), sorted(accepted))
    return keep


def _observations(entry: DatasetEntry, obs: xr.Dataset, query: Query) -> Selection:
    import numpy as np

    from portal.processing.qc import apply_qc
    from portal.processing.variables import resolve_qc

    names = list(query.variables) or [str(obs.attrs.get("main_variable"))]
    missing = [n for n in names if n not in obs.data_vars]
    if missing:
        raise BadParameter(f"var: {missing[0]!r} cannot be downloaded with {names[0]!r} "
                           "from this dataset", parameter="var", hint="one variable at a time")
    table = obs[[v for n in names for v in (n, f"{n}_qc") if v in obs]]
    qc = resolve_qc(query.qc, table, names[0], str(entry.metadata().get("qc_default", "")))
    mask = _flag_mask(table, names, qc)  # flags and coordinates only: the values
    for name in names:                    # are read after the size check
        table = apply_qc(table, name, qc)
    time = query.time.datetime64_bounds() if query.time else (None, None)
    if "time" in table.coords and time[0] is not None:
        mask &= np.asarray(table.time.values >= time[0])
    if "time" in table.coords and time[1] is not None:
        mask &= np.asarray(table.time.values <= time[1])
    if query.depth and "z" in table.coords:
        z = np.asarray(table.z.values, dtype="float64")
        mask &= (z >= query.depth.lower) if query.depth.lower is not None else True
        mask &= (z <= query.depth.upper) if query.depth.upper is not None else True
    if query.bbox and "latitude" in table.coords:
        mask &= query.bbox.contains(table.longitude.values, table.latitude.values)
    rows = np.flatnonzero(mask)
    _check_rows(entry, int(rows.size))
    return Selection(entry, query, table.isel(obs=rows), False, int(rows.size))


def _grid(entry: DatasetEntry, da: xr.DataArray, query: Query) -> Selection:
    import numpy as np

    if query.time and "time" in da.dims:
        lo, hi = query.time.datetime64_bounds()
        da = da.sel(time=slice(lo, hi))
    if query.depth and "z" in da.dims and query.depth.lower is not None:
        da = da.sel(z=[query.depth.lower], method="nearest")
    if query.bbox:
        da = da.sel(latitude=slice(query.bbox.south, query.bbox.north)) \
            if bool(da.latitude[0] <= da.latitude[-1]) else \
            da.sel(latitude=slice(query.bbox.north, query.bbox.south))
        da = da.isel(longitude=np.flatnonzero(query.bbox.contains_lon(da.longitude.values)))
    cap = limits().max_download_cells
    if da.size > cap:
        raise _too_large(entry, int(da.size), cap, "cells")
    if da.size == 0:
        raise NoDataInSelection("no grid cell in this selection", dataset=entry.id)
    return Selection(entry, query, da, True, int(da.size))


def _exported(entry: DatasetEntry, query: Query) -> Selection:
    """A point-store-like selection: size from its plan's index estimate, rows streamed."""
    from portal.sources import open_aggregator

    planner = getattr(open_aggregator(entry), "export", None)
    if planner is None:
        raise BadParameter("downloads of aggregated collections are not available yet",
                           parameter="dataset", hint="download the collection's source files")
    export = planner(query)
    _check_rows(entry, int(export.estimate))
    return Selection(entry, query, None, False, int(export.estimate), export)


def prepare(entry: DatasetEntry, query: Query) -> Selection:
    """The selection of ``query`` in ``entry``, size-checked (see the module doc)."""
    import xarray as xr

    from portal.pipeline import normalised_data
    from portal.sources import is_aggregating

    if is_aggregating(entry):
        return _exported(entry, query)
    data = normalised_data(entry, query.replace(variable=(query.variables or (None,))[0]))
    if isinstance(data, xr.DataArray):
        return _grid(entry, data, query)
    return _observations(entry, data, query)


def _frame_chunks(selection: Selection) -> Iterator[Any]:
    """The selection as pandas DataFrames of at most CHUNK_ROWS rows."""
    data = selection.data
    if selection.grid:
        frame = data.to_dataframe().reset_index()[selection.columns]
        for start in range(0, len(frame), CHUNK_ROWS):
            yield frame.iloc[start:start + CHUNK_ROWS]
        return
    for start in range(0, selection.size, CHUNK_ROWS):
        part = data.isel(obs=slice(start, start + CHUNK_ROWS)).compute()
        frame = part.reset_coords().to_dataframe().reset_index(drop=True)
        yield frame[[c for c in selection.columns if c in frame]]


def csv_chunks(selection: Selection) -> Generator[str | bytes, None, None]:
    """CSV text in pieces: provenance comment lines, the header, then the rows (an
    export's rows come as UTF-8 bytes, formatted by pyarrow)."""
    meta = provenance(selection.entry, selection.query)
    yield "".join(f"# {k}: {' '.join(str(v).split())}\n" for k, v in meta.items())
    if selection.export is not None:
        yield from selection.export.csv_chunks()
        return
    header = True
    for frame in _frame_chunks(selection):
        yield frame.to_csv(index=False, header=header, date_format="%Y-%m-%dT%H:%M:%SZ")
        header = False


def netcdf_bytes(selection: Selection) -> bytes:
    """A NetCDF-4 file of the selection with provenance and CF featureType attributes."""
    import io

    data = selection.export.to_xarray() if selection.export is not None \
        else selection.data.compute()
    ds = data.to_dataset() if selection.grid else data.reset_coords()
    ds.attrs.update({k: v for k, v in data.attrs.items() if isinstance(v, str | int | float)})
    ds.attrs.pop("main_variable", None)
    if not selection.grid:  # a CF DSG point table along "obs" (time, position per row)
        ds = ds.set_coords([c for c in ("time", "latitude", "longitude", "z") if c in ds])
        ds.attrs["featureType"] = "point"
    ds.attrs.update(provenance(selection.entry, selection.query))
    ds.attrs["Conventions"] = "CF-1.10, ACDD-1.3"
    buffer = io.BytesIO()
    ds.to_netcdf(buffer, engine="h5netcdf")
    return buffer.getvalue()


@dataclass(frozen=True)
class Estimate:
    """What the page shows before a download: its size, or why it would be refused."""

    size: int            # rows or cells (0 when refused for lack of data)
    unit: str            # "rows" or "cells"
    nbytes: int          # approximate size of the CSV
    refused: str = ""    # the refusal's message and suggestion, when refused (English)
    over: int = 0        # refused as too large: the selection's estimated rows or cells
    cap: int = 0         # ... and the limit it is over

    def label(self, lang: str = "en") -> str:
        """``≈ 12,345 rows, ~1.2 MB`` (the page's text next to the links; ``≈ 12 345
        lignes, ~1,2 Mo`` in French); '' if unknown."""
        from portal.i18n import count, file_size, t

        if self.size < 0:
            return ""
        return t("download_size", lang, n=count(self.size, self.unit, lang),
                 nbytes=file_size(self.nbytes, lang))

    def refusal(self, lang: str = "en") -> str:
        """The refusal and its suggestion in ``lang`` ('' when not refused)."""
        from portal.i18n import count, number, t

        if not self.refused or lang == "en":
            return self.refused
        if self.cap:
            return t("download_too_large", lang, n=count(self.over, self.unit, lang),
                     cap=number(self.cap, lang))
        return t("download_no_data", lang)


class _TooLarge(SelectionTooLarge):
    """A download over its cap, with the figures the page words in its own language."""

    def __init__(self, entry: DatasetEntry, size: int, cap: int, unit: str) -> None:
        super().__init__(
            f"the selection holds about {size:,} {unit}, over the download limit of {cap:,}",
            dataset=entry.id, hint="narrow the time range or the box (bbox), or pick one depth")
        self.size, self.cap, self.unit = size, cap, unit


def _estimate(entry: DatasetEntry, query: Query) -> Estimate:
    try:
        selection = prepare(entry, query)
    except (SelectionTooLarge, NoDataInSelection) as exc:
        hint = f" — {exc.hint}" if exc.hint else ""
        message = strip_paths(exc.reason + hint)
        if isinstance(exc, _TooLarge):
            return Estimate(0, exc.unit, 0, message, over=exc.size, cap=exc.cap)
        return Estimate(0, "rows", 0, message)
    except PortalError:  # the download itself will say what is wrong (an unreadable
        return Estimate(-1, "rows", 0)  # file, a bad parameter): the size is unknown
    if selection.export is not None:
        per_row = selection.export.csv_bytes_per_row()
    else:  # about ten characters a column: time stamps are wider, flags narrower
        per_row = 10 * len(selection.columns) + 4
    unit = "cells" if selection.grid else "rows"
    return Estimate(selection.size, unit, selection.size * per_row)


def estimate(entry: DatasetEntry, query: Query) -> Estimate:
    """The size of ``query``'s download, from the same size check as :func:`prepare`
    (coordinates and flags, or a store's index: no values read), cached per data version
    and selection in the data cache."""
    from portal.sources.versioning import data_version

    params = tuple(sorted(query.selection.to_params().items()))
    key = ("download-estimate", entry.id, data_version(entry), params)
    return data_cache().get_or_compute(key, lambda: _estimate(entry, query))


def _check_rows(entry: DatasetEntry, rows: int) -> None:
    """SelectionTooLarge over the row cap, NoDataInSelection for none (before any read)."""
    cap = limits().max_download_rows
    if rows > cap:
        raise _too_large(entry, rows, cap, "rows")
    if rows == 0:
        raise NoDataInSelection("no observation in this selection", dataset=entry.id,
                                hint="widen the time/depth range or the box")
