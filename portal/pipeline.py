"""The one pipeline every output goes through: entry + query → data → quicklook element.

``load_view`` opens a catalog entry through its source adapter, normalises it
(processing), applies the query and computes only the columns needed. Every step is
cached in the process's byte-bounded data cache (:mod:`portal.cache`) under a key that
includes the entry's data version (:mod:`portal.sources.versioning`): a file is opened and
normalised once per (entry, variable, version) — per query too for sources that subset on
the server —, a new bbox or time range only re-subsets, and a changed file or store is read
again on the next request. Sessions share these read-only results. ``build_quicklook`` turns the view into a
HoloViews element; the Panel page, the iframe embed, the PNG endpoint and the
CLI all call it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from portal.cache import data_cache
from portal.errors import PortalError, UnsupportedQuicklook
from portal.model import DatasetEntry, Query
from portal.quicklooks import Style, builder, entry_kinds
from portal.settings import Settings
from portal.sources import is_aggregating
from portal.text import hv_title

if TYPE_CHECKING:
    import xarray as xr

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class View:
    """Computed data ready to draw, with what the quicklook needs to label it."""

    data: object
    variable: str
    feature_type: str
    kind: str
    qc: str = "all"
    warnings: tuple[str, ...] = ()


def resolve_kind(entry: DatasetEntry, kind: str | None) -> str:
    """The requested kind, or the featureType's default; error if it does not apply."""
    kinds = entry_kinds(entry)
    if not kinds:
        raise UnsupportedQuicklook("this dataset holds metadata only; nothing to draw",
                                   dataset=entry.id)
    if kind is None:
        return kinds[0]
    if kind not in kinds:
        raise UnsupportedQuicklook(
            f"no {kind} quicklook for a {entry.feature_type} dataset", dataset=entry.id,
            hint=f"available: {', '.join(kinds)}",
        )
    return kind


def resolve_variable(entry: DatasetEntry, variable: str | None) -> str | None:
    """The requested variable checked against the catalog, or the main one."""
    if variable is None:
        main = entry.main_variable
        return main.name if main else None
    if entry.variables and entry.variable(variable) is None:
        names = ", ".join(v.name for v in entry.variables[:15])
        raise UnsupportedQuicklook(f"unknown variable {variable!r}", dataset=entry.id,
                                   hint=f"choose one of: {names}")
    return variable


def _opened(entry: DatasetEntry, query: Query, version: str):
    """The adapter's dataset, opened once per (entry, version) — per query too when the
    server subsets (remote sources)."""
    from portal.sources import open_dataset
    from portal.sources.versioning import subsets_on_server

    per_query = query if subsets_on_server(entry) else None
    key = ("open", entry, version, per_query)
    cache = data_cache()
    if key not in cache:
        _forget_other_versions(entry, version)
    return cache.get_or_compute(key, lambda: open_dataset(entry, query))


def _forget_other_versions(entry: DatasetEntry, version: str) -> None:
    """Drop what the cache holds for older versions of ``entry`` and close its files (a file
    rewritten in place must not be read through a handle opened before)."""

    def stale(key) -> bool:
        return isinstance(key, tuple) and len(key) > 2 and key[1] == entry and key[2] != version

    for value in data_cache().discard(stale):
        close = getattr(value, "close", None)
        if callable(close) and type(value).__module__.startswith("xarray"):
            close()


def _normalised(entry: DatasetEntry, kind: str, query: Query,
                version: str) -> xr.DataArray | xr.Dataset:
    """The opened dataset as a grid (DataArray) or as observations (Dataset), cached like the
    opening and per variable; it stays lazy where the file is large."""
    from portal.processing import cf
    from portal.processing.normalize import to_grid, to_observations
    from portal.sources.versioning import subsets_on_server

    raw = _opened(entry, query, version)
    variable = resolve_variable(entry, query.variable)
    grid = entry.feature_type == "grid" or (kind == "map" and cf.is_grid(raw))
    per_query = query if subsets_on_server(entry) else None
    key = ("normalised", entry, version, per_query, variable, grid)
    if grid:
        return data_cache().get_or_compute(key, lambda: to_grid(raw, variable, dataset=entry.id))
    return data_cache().get_or_compute(
        key, lambda: to_observations(raw, variable, dataset=entry.id))


def _load(entry: DatasetEntry, kind: str, query: Query, version: str) -> View:
    """Subset the normalised data to the query: a new bbox or time range only re-subsets."""
    import xarray as xr

    from portal.processing.subset import select_grid, select_obs
    from portal.processing.variables import resolve_qc, view_warnings

    obs = _normalised(entry, kind, query, version)
    if isinstance(obs, xr.DataArray):
        field = select_grid(obs, query, dataset=entry.id)
        return View(field, str(obs.name), "grid", kind, "all",
                    tuple(view_warnings(field, str(obs.name))))
    variable = resolve_variable(entry, query.variable) or obs.attrs["main_variable"]
    if kind == "profile" and "z" not in obs.coords:
        raise UnsupportedQuicklook("no vertical coordinate (depth or pressure) in this dataset",
                                   dataset=entry.id, hint="use the map or time-series quicklook")
    if kind == "timeseries" and "time" not in obs.coords:
        raise UnsupportedQuicklook("no decodable time coordinate", dataset=entry.id)
    require = {"timeseries": ("time",), "profile": ("z",),
               "map": ("latitude", "longitude")}[kind]
    qc = resolve_qc(query.qc, obs, variable, str(dict(entry.extra).get("qc_default", "")))
    data = select_obs(obs, replace(query, qc=qc), variable, dataset=entry.id, require=require)
    return View(data, variable, entry.feature_type, kind, qc, tuple(view_warnings(data, variable)))


def _cached_load(entry: DatasetEntry, kind: str, query: Query) -> View:
    """The view from the process's data cache, keyed on (entry, kind, query, data version)."""
    from portal.sources.versioning import data_version

    version = data_version(entry)
    return data_cache().get_or_compute(("view", entry, version, kind, query),
                                       lambda: _load(entry, kind, query, version))


def normalised_data(entry: DatasetEntry, query: Query | None = None
                    ) -> xr.DataArray | xr.Dataset:
    """The entry's data in canonical form for ``query.variable`` (a lazy grid DataArray or
    an observation Dataset), not subset: downloads select from it. Cached like the views."""
    from portal.sources.versioning import data_version

    query = query or Query()
    return _normalised(entry, resolve_kind(entry, None), query, data_version(entry))


def load_view(entry: DatasetEntry, kind: str | None = None, query: Query | None = None) -> View:
    """Data for one quicklook, cached across sessions on (entry, kind, query, data version)."""
    query = query or Query()
    kind = resolve_kind(entry, kind)
    try:
        return _cached_load(entry, kind, query)
    except PortalError:
        raise
    except Exception as exc:  # noqa: BLE001 - an unexpected failure still names the dataset
        log.exception("%s: unexpected error while loading", entry.id)
        raise PortalError(f"could not load the data ({type(exc).__name__}: {exc})",
                          dataset=entry.id) from exc


def build_quicklook(entry: DatasetEntry, kind: str | None = None, query: Query | None = None,
                    style: Style | None = None):
    """The HoloViews element of a quicklook (same for page, embed, PNG and CLI)."""
    from portal.quicklooks import ensure_backends

    ensure_backends()
    style = style or Style()
    query = query or Query()
    if is_aggregating(entry):
        return _aggregated(entry, kind, query, style)
    names = [v.strip() for v in (query.variable or "").split(",") if v.strip()]
    if len(names) > 1:
        return _stacked(entry, kind, query, style, names)
    view = load_view(entry, kind, query)
    from portal.processing.variables import titled, view_notes

    build = builder(view.kind)
    title = hv_title(titled(entry.title or entry.id, view.qc, list(view.warnings),
                            view_notes(view.data)))
    return build(_with_platform(view.data, entry), variable=view.variable,
                 feature_type=view.feature_type, title=title, style=style)


def _with_platform(data, entry: DatasetEntry):
    """The data with the catalog's platform id in its attributes (the hover names it),
    as a shallow copy: the cached view is not touched."""
    from portal.quicklooks.hover import platform_of

    platform = str(dict(entry.extra or {}).get("platform_id", "") or "")
    if not platform or platform_of(data.attrs):
        return data
    return data.assign_attrs(platform_id=platform)


def _aggregated(entry: DatasetEntry, kind: str | None, query: Query, style: Style):
    """Aggregating sources (point stores) are drawn per view, not loaded: their caches apply.

    ``map``: counts, means or QC mix per pixel; ``profile``: the profile density."""
    from portal.quicklooks import pointmap, pointprofile
    from portal.sources import open_aggregator

    kind = resolve_kind(entry, kind)
    if query.qc == "auto":  # aggregates are cached per preset: keep the stores' own default
        query = replace(query, qc="all")
    scheduler = Settings.from_env().dask_scheduler  # serve --dask-scheduler ADDRESS
    handle = open_aggregator(entry).with_scheduler(scheduler)
    variable = resolve_variable(entry, query.variable) or "TEMP"
    try:
        build = pointprofile.build if kind == "profile" else pointmap.build
        return build(handle, variable=variable, query=query, title=hv_title(entry.title or entry.id),
                     style=style)
    except PortalError:
        raise
    except Exception as exc:  # noqa: BLE001 - name the dataset, keep the server up
        log.exception("%s: point-store aggregation failed", entry.id)
        raise PortalError(f"could not aggregate the point store ({exc})", dataset=entry.id) from exc


def _stacked(entry, kind, query, style, names):
    """Several variables: one panel each, stacked, sharing the time (or other) axis."""
    import dataclasses

    import holoviews as hv

    if len(names) > 4:
        raise UnsupportedQuicklook("at most 4 variables at once", dataset=entry.id)
    height = max(style.height // len(names), 160)
    sub_style = dataclasses.replace(style, height=height)
    panels = [build_quicklook(entry, kind, dataclasses.replace(query, variable=name), sub_style)
              for name in names]
    return hv.Layout(panels).cols(1).opts(shared_axes=True)
