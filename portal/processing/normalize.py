"""Turn any supported dataset into the portal's canonical forms.

*Observations* (profiles, time series, trajectories, points): a Dataset with one
dimension ``obs`` and coordinates ``time`` (datetime64), ``latitude``,
``longitude``, ``z`` (vertical, positive down, metres or decibars; absent if the
data have none) and ``feature`` (profile/station/trajectory index, the Argo cycle
number for floats). Each measured variable keeps its attributes and, where the
file has flags, a companion ``<name>_qc`` (int8, -1 = no flag) whose
``qc_scheme`` attribute says ``argo``, ``seadatanet`` or ``generic``.

*Grids*: a DataArray whose dimensions are among ``time``, ``z``, ``latitude``,
``longitude``.

Orthogonal/incomplete multidimensional, contiguous ragged, single-feature and
Argo layouts are handled; the sample dimension follows the requested variable,
so a file with 10-min and hourly series gives each its own time axis. Everything
stays lazy (dask) until a quicklook computes the few columns it draws.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import xarray as xr

from portal.errors import NoDataInSelection, UnsupportedQuicklook
from portal.processing import cf
from portal.processing.qc import qc_scheme, qc_to_int

AXES = ("time", "latitude", "longitude", "z")


def data_variables(ds: xr.Dataset) -> list[str]:
    """Measured variables of a raw dataset, the most useful first."""
    from portal.processing.variables import rank, referenced_bookkeeping

    variables = ds.variables  # xr.Variable: ds[name] would build a DataArray each time
    axes = {cf.find_axis(ds, a) for a in AXES}
    referenced = referenced_bookkeeping({str(n): v.attrs for n, v in variables.items()})
    names = [str(n) for n in ds.data_vars
             if n not in axes and cf.is_data_variable(ds, str(n), referenced)]
    if is_argo(ds):
        params = argo_parameters(ds)
        names = [p for p in params if p in variables and p != "PRES"] or names
    return sorted(names, key=lambda n: rank(n, variables[n].attrs, variables[n].size))


def is_argo(ds: xr.Dataset) -> bool:
    return "Argo" in str(ds.attrs.get("Conventions", "")) or (
        "DATA_TYPE" in ds.variables and "N_PROF" in ds.dims
    )


def argo_parameters(ds: xr.Dataset) -> list[str]:
    """Parameter names listed by an Argo file (STATION_PARAMETERS or TRAJECTORY_PARAMETERS)."""
    for name in ("STATION_PARAMETERS", "TRAJECTORY_PARAMETERS"):
        if name in ds.variables:
            arr = np.asarray(ds[name].values)
            if arr.dtype.kind == "S" and arr.dtype.itemsize == 1 and arr.ndim > 1:
                arr = np.array([b"".join(r) for r in arr.reshape(-1, arr.shape[-1]).tolist()])
            words = {
                (x.decode("latin-1") if isinstance(x, bytes) else str(x)).strip()
                for x in arr.ravel()
            }
            order = ["PRES", "TEMP", "PSAL", "CNDC", "DOXY"]
            found = sorted((w for w in words if w), key=lambda w: (order.index(w) if w in order else 9, w))
            return found
    return []


# --------------------------------------------------------------------------- observations


def to_observations(ds: xr.Dataset, variable: str | None = None, dataset: str = "") -> xr.Dataset:
    """Canonical observation table of ``ds`` along the sample dimension of ``variable``."""
    if cf.classify(ds) == "metadata":
        raise UnsupportedQuicklook(
            "this is an Argo metadata file (no measurements)", dataset=dataset,
            hint="open the float's _prof.nc or _traj.nc file instead",
        )
    names = data_variables(ds)
    if not names:
        from portal.processing.variables import no_data_reason

        raise NoDataInSelection(no_data_reason(ds), dataset=dataset)
    var = variable or names[0]
    if var not in ds.variables:
        problem = [p for p in str(ds.attrs.get("file_problems", "")).splitlines()
                   if f"{var!r}" in p]
        raise UnsupportedQuicklook(
            problem[0] if problem else f"variable {var!r} not in dataset", dataset=dataset,
            hint=f"choose one of: {', '.join(names[:12])}",
        )
    if var not in names:  # asked for by name (an older catalog, a user): draw it anyway
        names = [var, *names]
    if ds[var].size == 0:
        from portal.processing.variables import no_data_reason

        raise NoDataInSelection(no_data_reason(ds), dataset=dataset)
    if is_argo(ds) and "N_PROF" in ds[var].dims:
        out = _argo_profiles(ds, names)
    else:
        out = _generic(ds, var, names, dataset)
    out.attrs.update({k: v for k, v in ds.attrs.items() if isinstance(v, str | int | float)})
    out.attrs["featureType"] = cf.classify(ds)
    out.attrs["main_variable"] = var
    if is_argo(ds) and "CYCLE_NUMBER" in ds.variables and "N_PROF" not in ds[var].dims:
        out.attrs["feature_unit"] = "cycle"  # one float, one track: features are its cycles
    out.attrs.update(_estimated_axes(ds))
    return out


#: QC variables that flag positions and times, by convention (Argo trajectories).
AXIS_QC = {"positions": ("POSITION_QC",), "times": ("JULD_QC",)}


def _estimated_axes(ds: xr.Dataset) -> dict[str, int]:
    """How many positions and times the file's own QC flags as interpolated or estimated
    (flag 8 on the Argo, SeaDataNet and OceanSITES scales), e.g. Argo ``POSITION_QC``."""
    out = {}
    for what, argo_names in AXIS_QC.items():
        axes = ("latitude", "longitude") if what == "positions" else ("time",)
        names = [n for n in argo_names if n in ds.variables]
        for axis in axes:
            name = cf.find_axis(ds, axis)
            qc = cf.qc_name_for(ds, name) if name else None
            if qc and qc not in names:
                names.append(qc)
        count = 0
        for qc in names:
            flags = qc_to_int(ds[qc])
            meanings = str(ds[qc].attrs.get("flag_meanings", "")).lower()
            if qc_scheme(ds, qc) in ("argo", "seadatanet") or "interpolat" in meanings:
                count = max(count, int((np.asarray(flags.values) == 8).sum()))
        if count:
            out[f"{what}_estimated_by_provider"] = count
    return out


def _squeezed(da: xr.DataArray) -> xr.DataArray:
    drop = [d for d in da.dims if da.sizes[d] == 1 and da.ndim > 1]
    return da.isel({d: 0 for d in drop}, drop=True) if drop else da


def _ragged_index(ds: xr.Dataset, sample_dim: Hashable) -> tuple[str, np.ndarray] | None:
    """(instance_dim, feature index per sample) for a contiguous ragged sample dimension."""
    for name in ds.variables:
        attrs = ds[name].attrs
        if f"_{attrs.get('sample_dimension')}" == sample_dim and ds[name].ndim == 1:
            counts = np.nan_to_num(np.asarray(ds[name].values, dtype="float64")).astype("int64")
            idx = np.repeat(np.arange(counts.size), np.clip(counts, 0, None))
            n = ds.sizes[sample_dim]
            if idx.size < n:
                idx = np.concatenate([idx, np.full(n - idx.size, max(counts.size - 1, 0))])
            return str(ds[name].dims[0]), idx[:n]
    return None


def _aligner(ds: xr.Dataset, ref: xr.DataArray, instance: tuple[str, np.ndarray] | None):
    """Return a function mapping a raw variable onto ``ref``'s shape (or None if it can't)."""
    ref_dims = set(ref.dims)
    sizes = {d: ref.sizes[d] for d in ref.dims}

    def align(name: str) -> xr.DataArray | None:
        da = _squeezed(ds[name]) if ds[name].ndim > 1 else ds[name]
        if da.size == 1 and ref.size != 1:
            da = da.squeeze(drop=True)
        if da.ndim == 0:  # a station's position: one value for every row, not a copy each
            filled = xr.DataArray(constant(da.values, ref.shape), dims=ref.dims)
            return filled.assign_attrs(da.attrs)
        if instance is not None and da.dims == (instance[0],):
            picked = da.isel({instance[0]: xr.DataArray(instance[1], dims=ref.dims[:1])})
            return picked.drop_vars([c for c in picked.coords], errors="ignore")
        if set(da.dims) <= ref_dims:
            return da.broadcast_like(ref).transpose(*ref.dims)
        if da.ndim == 1:
            for dim, size in sizes.items():
                if da.sizes[da.dims[0]] == size:
                    renamed = da.rename({da.dims[0]: dim}).drop_vars(list(da.coords), errors="ignore")
                    return renamed.broadcast_like(ref).transpose(*ref.dims)
        return None

    return align


def _plain(ds: xr.Dataset) -> xr.Dataset:
    """All coordinates as plain variables and dimensions renamed ``_<dim>``, so that no
    file name (``time``, ``obs``...) can collide with the canonical names."""
    ds = ds.drop_indexes(list(ds.xindexes))
    return ds.rename_dims({d: f"_{d}" for d in ds.dims}).reset_coords()


def _generic(ds: xr.Dataset, var: str, names: list[str], dataset: str) -> xr.Dataset:
    ds = _plain(ds)
    ref = _squeezed(ds[var])
    ref = ref.drop_vars(list(ref.coords), errors="ignore")
    if ref.ndim > 2:
        raise UnsupportedQuicklook(
            f"variable {var!r} has {ref.ndim} non-trivial dimensions {ref.dims}", dataset=dataset,
            hint="this layout looks like a grid; declare the dataset with featureType grid",
        )
    instance = _ragged_index(ds, ref.dims[0]) if ref.ndim == 1 else None
    align = _aligner(ds, ref, instance)
    allowed = set(ref.dims) | ({instance[0]} if instance else set())
    allowed |= {str(d) for d in ds.dims if ds.sizes[d] == 1}
    same_len = {str(d) for d in ds.dims if ds.sizes[d] in ref.shape}
    columns: dict[str, xr.DataArray] = {}
    for axis in AXES:
        name = cf.find_axis(ds, axis, dims=tuple(allowed)) or cf.find_axis(
            ds, axis, dims=tuple(allowed | same_len)
        )
        if name is not None and name != var:
            aligned = align(name)
            if aligned is not None:
                columns[axis] = aligned
    for name in names:
        if name in columns or name in {c.name for c in columns.values()}:
            continue
        aligned = align(name)
        if aligned is None:
            continue
        columns[name] = aligned
        qc = cf.qc_name_for(ds, name)
        if qc is not None:
            qc_aligned = align(qc)
            if qc_aligned is not None:
                columns[f"{name}_qc"] = qc_to_int(qc_aligned).assign_attrs(
                    qc_scheme=qc_scheme(ds, qc), source_variable=qc
                )
    feature = _feature_index(ref, instance)
    if is_argo(ds) and "CYCLE_NUMBER" in ds.variables:  # Argo trajectories: cycle per sample
        cycle = align("CYCLE_NUMBER")
        if cycle is not None:
            feature = cycle.fillna(-1).astype("int32") if cycle.dtype.kind == "f" else cycle
    table = xr.Dataset(columns)
    table["feature"] = feature
    return _finish(_stack(table, ref.dims))


def _feature_index(ref: xr.DataArray, instance) -> xr.DataArray:
    if instance is not None:
        return xr.DataArray(instance[1].astype("int32"), dims=ref.dims)
    if ref.ndim == 2:
        return xr.DataArray(np.arange(ref.shape[0], dtype="int32"), dims=ref.dims[:1]).broadcast_like(
            ref
        ).transpose(*ref.dims)
    return xr.DataArray(constant(np.int32(0), ref.shape), dims=ref.dims)


def constant(value, shape: tuple[int, ...]) -> np.ndarray:
    """``value`` repeated to ``shape`` without a copy (a read-only view whose steps are 0;
    :func:`portal.processing.subset.select_obs` keeps such columns so): a 10⁶-row mooring's
    latitude, longitude and feature would otherwise take 20 MB, and as much again in each
    selection of its rows."""
    return np.broadcast_to(np.asarray(value), shape)


def _stack(table: xr.Dataset, dims: tuple) -> xr.Dataset:
    if len(dims) == 1:
        return table.rename_dims({dims[0]: "obs"})
    stacked = table.stack(obs=dims, create_index=False)
    return stacked.drop_vars(list(dims), errors="ignore")


def _finish(table: xr.Dataset) -> xr.Dataset:
    """Set axis names/attributes, vertical positive down, datetime time; axes as coords."""
    if "z" in table:
        z = table["z"]
        positive = str(z.attrs.get("positive", "")).lower()
        std = str(z.attrs.get("standard_name", "")).lower()
        if positive == "up" or std in ("altitude", "height"):
            with np.errstate(invalid="ignore"):
                flip = bool((z < 0).sum() >= (z > 0).sum()) if z.size < 5_000_000 else True
            if flip:
                table["z"] = (-z).assign_attrs(z.attrs)
                table["z"].attrs["positive"] = "down"
        table["z"].attrs.setdefault("long_name", "Depth")
    if "time" in table and table["time"].dtype.kind != "M":
        table = table.drop_vars("time")
    for axis in ("longitude", "latitude"):
        if axis in table and table[axis].dtype.kind in "iu":
            table[axis] = table[axis].astype("float64")
    table = table.reset_coords()
    coords = [a for a in (*AXES, "feature") if a in table]
    stray = [n for n in table.variables if n not in coords and table[n].dims != ("obs",)]
    return table.drop_vars(stray).set_coords(coords)


def _argo_profiles(ds: xr.Dataset, names: list[str]) -> xr.Dataset:
    """Argo core/BGC profile files: adjusted values where the data mode says so."""
    ds = _plain(ds)
    modes = _argo_modes(ds)
    ref = ds["PRES"]
    columns: dict[str, xr.DataArray] = {}
    for name in ["PRES", *names]:
        value, qc = _argo_merged(ds, name, modes)
        key = "z" if name == "PRES" else name
        columns[key] = value
        if qc is not None:
            columns[f"{key}_qc"] = qc
    columns["z"].attrs.update(long_name="Pressure", units="dbar", positive="down")
    time_name = "JULD" if "JULD" in ds.variables else cf.find_axis(ds, "time")
    for axis, coord in (("time", time_name), ("latitude", "LATITUDE"), ("longitude", "LONGITUDE")):
        if coord in ds.variables:
            columns[axis] = ds[coord].broadcast_like(ref).transpose(*ref.dims)
    if "CYCLE_NUMBER" in ds.variables:
        cyc = ds["CYCLE_NUMBER"].fillna(-1) if ds["CYCLE_NUMBER"].dtype.kind == "f" else ds["CYCLE_NUMBER"]
        feature = cyc.astype("int32").broadcast_like(ref).transpose(*ref.dims)
    else:
        feature = _feature_index(ref, None)
    table = xr.Dataset({k: v.drop_vars(list(v.coords), errors="ignore") for k, v in columns.items()})
    table["feature"] = feature.drop_vars(list(feature.coords), errors="ignore")
    table.attrs["argo_values"] = "adjusted where DATA_MODE is A or D, real-time otherwise"
    return _finish(_stack(table, ref.dims))


def argo_drawn(ds: xr.Dataset, name: str) -> xr.Variable:
    """The values of Argo parameter ``name`` the portal draws: adjusted where DATA_MODE is
    A or D, real-time otherwise (what the catalog must judge "holds data" on). Files whose
    DATA_MODE is not per profile of ``name`` (trajectories) keep their raw values."""
    modes = _argo_modes(ds)
    if modes is not None and not set(modes.dims) <= set(ds[name].dims):
        return ds.variables[name]
    return _argo_merged(ds, name, modes)[0].variable


def _argo_modes(ds: xr.Dataset) -> xr.DataArray | None:
    if "DATA_MODE" in ds.variables:
        raw = np.asarray(ds["DATA_MODE"].values)
        modes = np.array([m.decode() if isinstance(m, bytes) else str(m) for m in raw.ravel()])
        return xr.DataArray(np.isin(modes, ["A", "D"]), dims=ds["DATA_MODE"].dims)
    return None


def _argo_merged(ds: xr.Dataset, name: str, modes) -> tuple[xr.DataArray, xr.DataArray | None]:
    raw = ds[name]
    adj_name = f"{name}_ADJUSTED"
    qc = ds[f"{name}_QC"] if f"{name}_QC" in ds.variables else None
    value = raw
    if adj_name in ds.variables:
        adj = ds[adj_name]
        adj_qc = ds.get(f"{adj_name}_QC")
        use = modes if modes is not None else adj.notnull()
        value = xr.where(use, adj, raw, keep_attrs=True)
        if qc is not None and adj_qc is not None:
            qc = xr.where(use, adj_qc, qc)
    value = value.assign_attrs({k: v for k, v in raw.attrs.items() if k != "_FillValue"})
    qc_int = None
    if qc is not None:
        qc_int = qc_to_int(qc).assign_attrs(qc_scheme="argo", source_variable=f"{name}_QC")
    return value, qc_int


# --------------------------------------------------------------------------------- grids


def to_grid(ds: xr.Dataset, variable: str | None = None, dataset: str = "") -> xr.DataArray:
    """Canonical gridded DataArray (dims among time, z, latitude, longitude)."""
    names = [n for n in data_variables(ds) if ds[n].ndim >= 2]
    var = variable or (names[0] if names else None)
    if var is None or var not in ds.variables:
        raise UnsupportedQuicklook(
            f"variable {variable!r} is not a gridded variable", dataset=dataset,
            hint=f"choose one of: {', '.join(names)}" if names else None,
        )
    da = ds[var]
    renames = {}
    for axis in AXES:
        name = cf.find_axis(ds, axis, dims=da.dims)
        if name is not None and ds[name].ndim == 1 and ds[name].dims[0] in da.dims:
            renames[ds[name].dims[0]] = axis
            if name not in da.coords:
                da = da.assign_coords({ds[name].dims[0]: ds[name].values})
    if "latitude" not in renames.values() or "longitude" not in renames.values():
        raise UnsupportedQuicklook(f"{var!r} has no latitude/longitude axes", dataset=dataset)
    da = da.drop_vars([c for c in da.coords if c not in da.dims], errors="ignore")
    da = da.rename({d: n for d, n in renames.items() if d != n})
    extra = [d for d in da.dims if d not in AXES]
    if extra:
        da = da.isel({d: 0 for d in extra}, drop=True)
    if da.sizes["latitude"] > 1 and float(da.latitude[0]) > float(da.latitude[-1]):
        da = da.isel(latitude=slice(None, None, -1))
    da.name = var
    return da
