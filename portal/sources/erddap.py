"""ERDDAP datasets (tabledap and griddap), subset on the server from the current view.

``driver: erddap`` with args ``server`` (``https://host/erddap``), ``dataset_id``,
``protocol`` (``tabledap`` or ``griddap``) and optional ``variables`` (the
variables the entry exposes; the first is the default), ``response`` (tabledap:
``nc``, ``ncCF``, ``csv`` or ``csvp``) and ``default_days`` (with no time range
selected, request the dataset's last N days; 0 = everything). The dataset's
``/info`` is fetched (cached) to validate variable names; the request is built by
:mod:`portal.remote.erddap_urls` from the :class:`~portal.model.Query`,
downloaded through :mod:`portal.remote.http` into the cache and opened like a
local NetCDF file, so ERDDAP entries give the same quicklooks as local files.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import time as _time
from typing import TYPE_CHECKING

import numpy as np

from portal.errors import PortalError, SourceUnavailable, UnsupportedQuicklook
from portal.sources.arguments import Argument
from portal.sources.base import Source

if TYPE_CHECKING:
    import xarray as xr

    from portal.model import DatasetEntry, Query
    from portal.remote.erddap_info import ERDDAPInfo

log = logging.getLogger(__name__)

_RAGGED_TYPES = ("timeseries", "profile", "trajectory")
_DAY = 86400.0


def relabel(exc: PortalError, dataset: str) -> PortalError:
    """A copy of ``exc`` whose message names ``dataset`` (the catalog id)."""
    import copy

    new = copy.copy(exc)
    new.dataset = dataset
    text = f"{dataset}: {exc.reason}"
    new.args = (f"{text} — {exc.hint}" if exc.hint else text,)
    return new


def dataset_info(server: str, dataset_id: str, dataset: str | None = None) -> ERDDAPInfo:
    """The dataset's parsed ``/info`` (through the HTTP cache)."""
    from portal.remote import http
    from portal.remote.erddap_info import parse_info
    from portal.remote.erddap_urls import info_url

    payload = http.fetch_json(info_url(server, dataset_id), dataset=dataset)
    return parse_info(dataset_id, payload)


def _main_variable(entry: DatasetEntry, info: ERDDAPInfo, query: Query | None) -> str:
    """The query's variable (checked later against the info), else the entry's first."""
    if query is not None and query.variable:
        return query.variable
    listed = list(entry.arguments.get("variables") or []) + [v.name for v in entry.variables]
    for name in [*listed, *info.data_variables()]:
        if info.get(name) is not None and name not in info.axes:
            return name
    raise UnsupportedQuicklook("the dataset has no measured variable", dataset=entry.id)


def _time_window(entry: DatasetEntry, info: ERDDAPInfo, query: Query | None):
    """The query's time range, or the last ``default_days`` of the dataset."""
    if query is not None and query.time is not None:
        return query.time
    days = float(entry.arguments.get("default_days", 30) or 0)
    name = info.role("time")
    var = info.get(name) if name else None
    rng = var.actual_range if var else None
    if days <= 0 or rng is None:
        return None
    # ends at time_coverage_end, or at "now" rounded up to the hour: the same view asks
    # the same URL again within the hour, so the portal's and the server's caches answer
    end = min(rng[1], math.ceil(_time.time() / 3600.0) * 3600.0)
    from datetime import UTC, datetime

    start = max(rng[0], end - days * _DAY)
    return tuple(datetime.fromtimestamp(t, UTC) for t in (start, end))


def _table_variables(info: ERDDAPInfo, main: str) -> list[str]:
    names = [info.role(r) for r in ("time", "latitude", "longitude", "z")]
    names += [main, info.qc_for(main)]
    names += [n for n, v in info.variables.items() if v.text("cf_role")]
    return [n for n in dict.fromkeys(names) if n]


def _table_response(entry: DatasetEntry, info: ERDDAPInfo) -> str:
    response = entry.arguments.get("response")
    if response:
        return str(response)
    cdm = str(info.globals.get("cdm_data_type", "")).lower()
    return "ncCF" if cdm in _RAGGED_TYPES else "nc"


def _grid_sizes(info: ERDDAPInfo, selection: dict) -> dict[str, int]:
    """Estimated number of values per axis for a griddap selection."""
    from portal.remote.erddap_urls import parse_time

    sizes = {}
    for axis, bounds in selection.items():
        var = info.axes[axis]
        n = var.n_values or 1
        rng = var.actual_range
        if bounds is None or rng is None or rng[1] <= rng[0]:
            sizes[axis] = n
        elif bounds[0] == "last":
            sizes[axis] = 1
        else:
            lo, hi = (parse_time(b).timestamp() if "T" in b else float(b) for b in bounds)
            frac = abs(hi - lo) / (rng[1] - rng[0])
            sizes[axis] = max(1, min(n, round(frac * (n - 1)) + 1))
    return sizes


_ID_ROLES = ("timeseries_id", "trajectory_id", "profile_id")


def features_from_ids(ds: xr.Dataset, sample_dim: str = "row") -> xr.Dataset:
    """A flat tabledap table as a CF contiguous ragged array, grouped by its ``cf_role`` ids.

    ERDDAP's ``.nc`` answers are one row per observation; with the rows of each
    station/trajectory/profile made contiguous and a ``rowSize`` count, the
    normaliser sees the features (one line per profile) as in a local DSG file.
    """
    import pandas as pd
    import xarray as xr

    if sample_dim not in ds.dims:
        return ds
    if any("sample_dimension" in v.attrs for v in ds.variables.values()):
        return ds
    ids = [n for role in _ID_ROLES for n, v in ds.variables.items()
           if v.attrs.get("cf_role") == role and v.dims == (sample_dim,)]
    if not ids:
        return ds
    frame = pd.DataFrame({n: ds[n].values for n in ids})
    codes = frame.groupby(ids, sort=False, dropna=False).ngroup().to_numpy()
    ds = ds.isel({sample_dim: codes.argsort(kind="stable")})
    counts = np.bincount(codes).astype("int32")
    ds["rowSize"] = xr.Variable(("erddap_feature",), counts, {
        "sample_dimension": sample_dim, "long_name": "number of observations per feature"})
    return ds


def _csv_dataset(text: str, response: str, info: ERDDAPInfo) -> xr.Dataset:
    """A tabledap ``.csv`` (units on line 2) or ``.csvp`` (``name (units)``) as a Dataset."""
    import pandas as pd
    import xarray as xr

    if response == "csvp":
        frame = pd.read_csv(io.StringIO(text))
        names = [c.rsplit(" (", 1)[0] for c in frame.columns]
        units = [c.rsplit(" (", 1)[1].rstrip(")") if " (" in c else "" for c in frame.columns]
    else:  # .csv: the second line holds the units
        frame = pd.read_csv(io.StringIO(text), skiprows=[1])
        names = list(frame.columns)
        rows = list(csv.reader(io.StringIO(text.split("\n", 2)[1] if "\n" in text else "")))
        units = rows[0] if rows else [""] * len(names)
    frame.columns = names
    data = {}
    for name, unit in zip(names, units, strict=False):
        column = frame[name]
        var = info.get(name)
        attrs = {k: v for k, v in (var.attrs if var else {}).items()
                 if k in ("standard_name", "long_name", "units", "positive", "cf_role")}
        if unit and "units" not in attrs:
            attrs["units"] = unit
        if name == info.role("time") or unit == "UTC":
            column = pd.to_datetime(column, utc=True, errors="coerce").dt.tz_localize(None)
            column = column.astype("datetime64[ns]")
            attrs.pop("units", None)
            attrs["standard_name"] = "time"
        data[name] = xr.Variable("row", column.to_numpy(), attrs)
    return xr.Dataset(data, attrs={k: v for k, v in info.globals.items() if isinstance(v, str)})


class ERDDAPSource(Source["xr.Dataset"]):
    """``driver: erddap`` — see the module docstring for its arguments."""

    name = "erddap"
    arguments = (
        Argument("server", required=True, doc="the ERDDAP base URL, https://host/erddap"),
        Argument("dataset_id", required=True, doc="the ERDDAP datasetID"),
        Argument("protocol", choices=("tabledap", "griddap")),
        Argument("variables", (list,), doc="the variables the entry exposes, default first"),
        Argument("response", choices=("nc", "ncCF", "csv", "csvp")),
        Argument("default_days", (int, float),
                 doc="with no time range, request the last N days (0 = everything)"),
    )

    def check(self, arguments: dict, catalog_dir: str) -> list[str]:
        from portal.remote.erddap_urls import check_server

        try:
            check_server(str(arguments["server"]))
        except PortalError as exc:
            return [f"argument 'server': {exc.reason}"]
        return []

    subsets_on_server = True

    def version(self, entry: DatasetEntry) -> str:
        """The dataset's end of time coverage, and the ``remote_ttl_s`` bucket."""
        from portal.sources.versioning import erddap_version

        return erddap_version(entry)

    def probe_url(self, entry: DatasetEntry) -> str | None:
        from portal.remote.erddap_urls import version_url

        try:
            return version_url(entry.arguments.get("server", ""))
        except PortalError:
            return None

    def open(self, entry: DatasetEntry, query: Query | None = None) -> xr.Dataset:
        args = entry.arguments
        server, dataset_id = args.get("server", ""), args.get("dataset_id", "")
        try:
            info = dataset_info(server, dataset_id, dataset=entry.id)
            protocol = args.get("protocol") or info.protocol
            if protocol == "griddap":
                ds = self._griddap(entry, info, query)
            elif protocol == "tabledap":
                ds = self._tabledap(entry, info, query)
            else:
                raise SourceUnavailable(f"unknown ERDDAP protocol {protocol!r}", dataset=entry.id,
                                        hint="use protocol: tabledap or griddap")
        except PortalError as exc:
            if exc.dataset in (None, dataset_id) and exc.dataset != entry.id:
                raise relabel(exc, entry.id) from exc
            raise
        ds.attrs.setdefault("erddap_server", server)
        ds.attrs.setdefault("erddap_dataset_id", dataset_id)
        return ds

    def _tabledap(self, entry: DatasetEntry, info: ERDDAPInfo, query: Query | None):
        from portal.formats.netcdf import open_netcdf_file
        from portal.remote import http
        from portal.remote.erddap_urls import tabledap_url

        main = _main_variable(entry, info, query)
        response = _table_response(entry, info)
        url = tabledap_url(entry.arguments["server"], info, _table_variables(info, main),
                           time=_time_window(entry, info, query),
                           bbox=query.bbox if query else None,
                           depth=query.depth if query else None, response=response)
        if response in ("csv", "csvp"):
            ds = _csv_dataset(http.fetch(url, dataset=entry.id).text, response, info)
        else:
            ds = _read_now(open_netcdf_file(http.download(url, dataset=entry.id, suffix=".nc"),
                                            entry.id))
        ds = features_from_ids(ds)
        ds.attrs["source_url"] = url
        return ds

    def _griddap(self, entry: DatasetEntry, info: ERDDAPInfo, query: Query | None):
        from portal.formats.netcdf import open_netcdf_file
        from portal.remote import http
        from portal.remote.config import remote_config
        from portal.remote.erddap_urls import grid_selection, griddap_url
        from portal.remote.sizing import human_bytes, plan_request

        main = _main_variable(entry, info, query)
        time = query.time if query else None
        bbox, depth = (query.bbox, query.depth) if query else (None, None)
        selection = grid_selection(info, time=time, bbox=bbox, depth=depth)
        cfg = remote_config()
        var = info.get(main)
        roles = {r: info.role(r) for r in ("time", "latitude", "longitude")}
        plan = plan_request(
            _grid_sizes(info, selection), var.itemsize if var else 8,
            int(cfg.opendap_max_mb * 2**20), time_dim=roles["time"],
            space_dims=[d for d in (roles["latitude"], roles["longitude"]) if d],
            time_selected=time is not None, policy=cfg.opendap_oversize,
            what=f"{main} in this selection", dataset=entry.id)
        url = griddap_url(entry.arguments["server"], info, [main], time=time, bbox=bbox,
                          depth=depth, strides=plan.strides, last_time=plan.last_time_only)
        ds = _read_now(open_netcdf_file(http.download(url, dataset=entry.id, suffix=".nc"),
                                        entry.id))
        ds.attrs["source_url"] = url
        if plan.reduced:
            ds.attrs["portal_reduced"] = (f"about {human_bytes(plan.estimate_bytes)} selected, "
                                          f"{plan.describe()}")
        return ds


def _read_now(ds: xr.Dataset) -> xr.Dataset:
    """A downloaded subset read whole at once: it was sized for memory by the request plan,
    and the download cache may delete its file (size and age limits) while the dataset is
    still in the data cache, where a variable left on disk could no longer be read."""
    return ds.load()
