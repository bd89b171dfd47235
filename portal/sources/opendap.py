"""OPeNDAP (DAP2) datasets, opened lazily, sized before anything is loaded.

``driver: opendap`` with args ``url`` (the dataset's DAP URL, without ``.dds``),
optional ``engine`` (``pydap``, the default, or ``netcdf4``) and ``variables``.
The dataset is opened without reading data; the :class:`~portal.model.Query`
selects index ranges on the coordinate axes; the size of the selection is computed
from the dimensions and, over ``PORTAL_OPENDAP_MAX_MB``, either strided down or
refused (:mod:`portal.remote.sizing`). Strides are applied to the lazy backend
arrays before chunking, so the server is asked for strided hyperslabs. With the
pydap engine every request goes through :mod:`portal.remote.http` (timeouts,
per-server limit, cache); the netcdf4 engine uses libcurl, outside that wrapper.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np

from portal.errors import (
    NoDataInSelection,
    PortalError,
    SourceUnavailable,
    UnsupportedQuicklook,
    UpstreamUnavailable,
)
from portal.remote.dap import check_url
from portal.sources.arguments import Argument
from portal.sources.base import Source

if TYPE_CHECKING:
    import xarray as xr

    from portal.model import DatasetEntry, Query

log = logging.getLogger(__name__)

ENGINES = ("pydap", "netcdf4")
_CHUNK_BYTES = 32 * 2**20


def _open_raw(url: str, engine: str, dataset: str) -> xr.Dataset:
    import xarray as xr

    from portal.remote.dap import DapProxy

    kwargs: dict[str, Any] = {"application": DapProxy(url, dataset)} if engine == "pydap" else {}
    if engine == "pydap":
        try:
            import pydap.client  # noqa: F401
        except ImportError as exc:
            raise SourceUnavailable("OPeNDAP needs the pydap package", dataset=dataset,
                                    hint="pip install 'pydap>=3.5', or set engine: netcdf4 "
                                    "in the catalog entry") from exc
    try:
        if engine != "pydap":
            return xr.open_dataset(url, engine=engine, decode_times=False, chunks=None)
        raw = xr.open_dataset(url, engine=engine, decode_times=False, mask_and_scale=False,
                              chunks=None, **kwargs)
        return xr.decode_cf(_typed_fills(raw), decode_times=False)
    except PortalError:
        raise
    except Exception as exc:  # noqa: BLE001 - any client failure, reported with the server
        from urllib.parse import urlsplit

        raise UpstreamUnavailable(f"cannot open the OPeNDAP dataset on {urlsplit(url).netloc}: "
                                  f"{str(exc)[:200]}", dataset=dataset) from exc


def _typed_fills(ds: xr.Dataset) -> xr.Dataset:
    """Fill values in the data's own type.

    pydap parses every DAS number as a Python float, so a Float32 ``_FillValue`` of
    -1e32 no longer equals the float32 data it marks and nothing gets masked.
    """
    for var in ds.variables.values():
        if var.dtype.kind not in "iuf":
            continue
        for key in ("_FillValue", "missing_value", "valid_min", "valid_max", "valid_range"):
            if key in var.attrs:
                try:
                    var.attrs[key] = np.asarray(var.attrs[key]).astype(var.dtype)
                except (TypeError, ValueError, OverflowError):
                    pass
    return ds


def _axes(ds: xr.Dataset, var: str) -> dict[str, str]:
    """Role (time, latitude, longitude, z) -> dimension of ``var`` it indexes.

    Only 1-D coordinates along a dimension of their own count (grid axes); the
    station position of a time series (``LATITUDE(INSTANCE)``) does not.
    """
    from portal.processing import cf

    out: dict[str, str] = {}
    for role in ("time", "latitude", "longitude", "z"):
        name = cf.find_axis(ds, role, dims=tuple(map(str, ds[var].dims)))
        if name is None or ds[name].ndim != 1 or ds[name].dims[0] not in ds[var].dims:
            continue
        if ds[name].dims[0] not in out.values() and ds[name].size > 1 or role in ("time", "z"):
            out[role] = str(ds[name].dims[0])
    if out.get("latitude") is None or out.get("latitude") == out.get("longitude"):
        out.pop("latitude", None)
        out.pop("longitude", None)
    return out


def _main_variable(ds: xr.Dataset, entry: DatasetEntry, query: Query | None) -> str:
    from portal.processing.normalize import data_variables

    wanted = query.variable if query is not None and query.variable else None
    names = data_variables(ds)
    default = list(entry.arguments.get("variables") or []) + [v.name for v in entry.variables]
    for name in [wanted] if wanted else [*default, *names]:
        if name and name in ds.data_vars:
            return name
    raise UnsupportedQuicklook(f"variable {str(wanted)[:60]!r} is not in this dataset",
                               dataset=entry.id, hint=f"choose one of: {', '.join(names[:12])}")


def _coordinate(ds: xr.Dataset, dim: str, role: str) -> np.ndarray:
    values = ds[dim].variable
    if role != "time":
        return np.asarray(values.values, dtype="float64")
    import xarray as xr

    from portal.processing.decode import decode_times

    decoded = decode_times(xr.Dataset({dim: values}))[dim].values
    return decoded.astype("datetime64[ns]").astype("int64").astype("float64") / 1e9


def _bounds(role: str, query: Query, coord: np.ndarray):
    from portal.remote.erddap_urls import format_number, time_bounds

    if role == "time" and query.time is not None:
        return time_bounds(query.time)
    if role in ("latitude", "longitude") and query.bbox is not None:
        w, s, e, n = (float(format_number(v, "bbox")) for v in query.bbox)
        if role == "latitude":
            return s, n
        if np.nanmax(coord) > 180.0:
            w, e = w % 360.0, e % 360.0
        return (w, e) if w <= e else None
    if role == "z" and query.depth is not None:
        return tuple(None if d is None else float(format_number(d, "depth")) for d in query.depth)
    return None


def _index_slice(coord: np.ndarray, lo: float | None, hi: float | None) -> slice:
    """Indices of a monotonic coordinate within [lo, hi]."""
    inside = np.ones(coord.shape, bool)
    if lo is not None:
        inside &= coord >= lo
    if hi is not None:
        inside &= coord <= hi
    found = np.flatnonzero(inside)
    return slice(int(found[0]), int(found[-1]) + 1) if found.size else slice(0, 0)


def _select(ds: xr.Dataset, axes: dict[str, str], query: Query | None, dataset: str):
    """Index ranges of the query on each axis; NoDataInSelection if one is empty."""
    if query is None:
        return ds
    slices = {}
    for role, dim in axes.items():
        coord = _coordinate(ds, dim, role)
        bounds = _bounds(role, query, coord)
        if bounds is None:
            continue
        chosen = _index_slice(coord, *bounds)
        if chosen.stop <= chosen.start and role == "z" and bounds[0] is not None:
            nearest = int(np.nanargmin(np.abs(np.abs(coord) - abs(bounds[0]))))
            chosen = slice(nearest, nearest + 1)  # a level between two: the closest one
        if chosen.stop <= chosen.start:
            raise NoDataInSelection(f"the selection is outside the dataset's {role} range",
                                    dataset=dataset, hint="widen or move the selection")
        slices[dim] = chosen
    return ds.isel(slices) if slices else ds


def _itemsize(da: xr.DataArray) -> int:
    return np.dtype(da.encoding.get("dtype", da.dtype)).itemsize


def _fit(ds: xr.Dataset, var: str, axes: dict[str, str], query: Query | None, entry_id: str):
    """Stride or refuse a selection over the cap; returns (dataset, plan)."""
    from portal.remote.config import remote_config
    from portal.remote.sizing import SelectionTooLarge, SizePlan, human_bytes, plan_request

    cfg = remote_config()
    cap = int(cfg.opendap_max_mb * 2**20)
    da = ds[var]
    if not ("latitude" in axes and "longitude" in axes):  # not a grid: no striding
        total = int(sum(_itemsize(v) * v.size for v in ds.data_vars.values()))
        if total > cap:
            raise SelectionTooLarge(
                f"this dataset is about {human_bytes(total)} (all its variables), over the "
                f"{human_bytes(cap)} limit", estimate_bytes=total, cap_bytes=cap,
                dataset=entry_id)
        return ds, SizePlan(total, total)
    plan = plan_request(
        {str(k): v for k, v in da.sizes.items()}, _itemsize(da), cap, time_dim=axes.get("time"),
        space_dims=[axes[r] for r in ("latitude", "longitude") if r in axes],
        time_selected=query is not None and query.time is not None,
        policy=cfg.opendap_oversize, what=f"{var} in this selection",
        dataset=entry_id)
    if plan.last_time_only:
        ds = ds.isel({axes["time"]: slice(-1, None)})
    if plan.strides:
        ds = ds.isel({dim: slice(None, None, s) for dim, s in plan.strides.items()})
    return ds, plan


def _chunks(da: xr.DataArray) -> dict[str, int]:
    """Chunks of about 32 MB along the leading dimensions (one request each)."""
    chunks: dict[str, int] = {}
    rest = _itemsize(da) * int(np.prod(da.shape)) if da.ndim else 0
    for dim, size in zip(da.dims, da.shape, strict=True):
        rest //= max(size, 1)
        per = max(1, _CHUNK_BYTES // max(rest, 1))
        chunks[str(dim)] = min(size, per)
        if per < size:
            break
    return chunks


def _finish(ds: xr.Dataset, var: str, grid: bool, dataset: str) -> xr.Dataset:
    from portal.processing.decode import decode_dataset

    if grid:
        ds = ds[[var]]
    ds = ds.chunk(_chunks(ds[var]))
    return decode_dataset(ds, dataset)


class OPeNDAPSource(Source["xr.Dataset"]):
    """``driver: opendap`` — see the module docstring for its arguments."""

    name = "opendap"
    arguments = (
        Argument("url", required=True, doc="the dataset's DAP URL, without .dds"),
        Argument("engine", choices=ENGINES),
        Argument("variables", (list,), doc="the variables the entry exposes, default first"),
    )

    subsets_on_server = True

    def check(self, arguments: dict, catalog_dir: str) -> list[str]:
        try:
            check_url(str(arguments["url"]))
        except PortalError as exc:
            return [f"argument 'url': {exc.reason}"]
        return []

    def probe_url(self, entry: DatasetEntry) -> str | None:
        try:
            return check_url(entry.arguments.get("url", "")) + ".dds"
        except PortalError:
            return None

    def open(self, entry: DatasetEntry, query: Query | None = None) -> xr.Dataset:
        args = entry.arguments
        url = check_url(args.get("url", ""))
        engine = str(args.get("engine") or "pydap")
        if engine not in ENGINES:
            raise SourceUnavailable(f"unknown OPeNDAP engine {engine!r}", dataset=entry.id,
                                    hint=f"use one of {', '.join(ENGINES)}")
        from portal.remote.sizing import human_bytes

        raw = _open_raw(url, engine, entry.id)
        var = _main_variable(raw, entry, query)
        axes = _axes(raw, var)
        ds = _select(raw, axes, query, entry.id)
        ds, plan = _fit(ds, var, axes, query, entry.id)
        ds = _finish(ds, var, "latitude" in axes and "longitude" in axes, entry.id)
        ds.attrs["source_url"] = url
        ds.attrs["portal_estimate_bytes"] = plan.estimate_bytes
        if plan.reduced:
            ds.attrs["portal_reduced"] = (f"about {human_bytes(plan.estimate_bytes)} selected, "
                                          f"{plan.describe()}")
        return ds
