"""The one pipeline every output goes through: entry + query → data → quicklook element.

``load_view`` opens a catalog entry through its source adapter, normalises it
(processing), applies the query and computes only the columns needed. Every step is
cached in the process's byte-bounded data cache (:mod:`portal.cache`) under a key that
includes the entry's data version (:mod:`portal.sources.versioning`): a file is opened and
normalised once per (entry, variable, version) — per query too for sources that subset on
the server —, a new bbox or time range only re-subsets, and a changed file or store is read
again on the next request. Sessions share these read-only results, and what the builders
derive from them (positions frames, T-S samples: :func:`portal.cache.derived`; a point
store's T-S sample here). ``build_quicklook`` turns the view into a
HoloViews element; the Panel page, the iframe embed, the PNG endpoint and the
CLI all call it. ``build_overlay`` does the same for several datasets on one view
(``load_layers``: one layer per dataset, a failing one kept with its reason).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from portal.cache import data_cache
from portal.errors import NoDataInSelection, PortalError, UnsupportedQuicklook
from portal.i18n import t
from portal.model import DatasetEntry, Query
from portal.quicklooks import Style, builder, entry_kinds
from portal.settings import Settings
from portal.sources import is_aggregating
from portal.text import hv_title

if TYPE_CHECKING:
    import xarray as xr

log = logging.getLogger(__name__)


#: coordinates each kind needs valid in every sample it draws
REQUIRE: dict[str, tuple[str, ...]] = {
    "timeseries": ("time",), "profile": ("z",), "map": ("latitude", "longitude"),
    "ts": ("z", "latitude", "longitude"), "section": ("z", "latitude", "longitude"),
    "timedepth": ("time", "z"), "linked": ("time", "z", "latitude", "longitude")}
#: builders that name the dataset in their own errors
_NAMING = ("ts", "section", "timedepth", "linked")


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

    from portal.processing.subset import select_grid
    from portal.processing.variables import view_warnings

    obs = _normalised(entry, kind, query, version)
    if isinstance(obs, xr.DataArray):
        field = select_grid(obs, query, dataset=entry.id)
        return View(field, str(obs.name), "grid", kind, "all",
                    tuple(view_warnings(field, str(obs.name))))
    variable = resolve_variable(entry, query.variable) or obs.attrs["main_variable"]
    if kind == "profile" and "z" not in obs.coords:
        raise UnsupportedQuicklook("no vertical coordinate (depth or pressure) in this dataset",
                                   dataset=entry.id, hint="use the map or time-series quicklook")
    if kind in ("timeseries", "timedepth") and "time" not in obs.coords:
        raise UnsupportedQuicklook("no decodable time coordinate", dataset=entry.id)
    if kind in ("section", "timedepth", "ts") and "z" not in obs.coords:
        raise UnsupportedQuicklook("no vertical coordinate (depth or pressure) in this dataset",
                                   dataset=entry.id, hint="use the map or time-series quicklook")
    data, variable, qc, notes = _select(entry, kind, query, obs, variable)
    return View(data, variable, entry.feature_type, kind, qc,
                tuple(notes + view_warnings(data, variable)))


def _select(entry: DatasetEntry, kind: str, query: Query, obs, variable: str):
    """(selected observations, the variable drawn, the QC preset, notes) of a view: the
    salinity leads a T-S diagram; linked views keep T and S beside the variable."""
    from portal.processing.subset import describe, select_obs
    from portal.processing.variables import resolve_qc

    also: tuple[str, ...] = ()
    if kind == "ts":  # both T and S, each with its own QC; the salinity leads
        from portal.processing.teos10 import ts_columns

        columns = ts_columns(obs, entry.id, _holding_data(entry, obs))
        variable, also = columns.salinity, (columns.temperature,)
    elif kind == "linked":  # T and S beside the variable when there are both: a T-S plot
        also = _ts_beside(obs, variable, entry)
    qc = resolve_qc(query.qc, obs, variable, str(dict(entry.extra).get("qc_default", "")))
    selected = replace(query, qc=qc)
    try:
        data = select_obs(obs, selected, variable, dataset=entry.id, require=REQUIRE[kind],
                          also=also)
    except NoDataInSelection:
        if kind != "linked" or not also:
            raise
        # the variable has samples but none beside a valid T and S (salinity all flagged
        # bad, say): the linked views show the variable, with a profile for the T-S plot
        data = select_obs(obs, selected, variable, dataset=entry.id, require=REQUIRE[kind])
        return data, variable, qc, [f"no T-S plot: no sample with valid "
                                    f"{' and '.join(also)} in {describe(selected)}"]
    return data, variable, qc, []


def _holding_data(entry: DatasetEntry, obs) -> tuple[str, ...] | None:
    """The columns of ``obs`` the catalog lists (those holding data: the scan leaves the
    empty ones out); None when it lists none of them (every column is a candidate)."""
    listed = {v.name for v in entry.variables}
    return tuple(str(n) for n in obs.data_vars if str(n) in listed) or None


def _ts_beside(obs, variable: str, entry: DatasetEntry) -> tuple[str, ...]:
    """The temperature and salinity columns other than ``variable`` (none without both)."""
    from portal.processing.teos10 import ts_columns

    try:
        columns = ts_columns(obs, entry.id, _holding_data(entry, obs))
    except UnsupportedQuicklook:
        return ()
    return tuple(n for n in (columns.temperature, columns.salinity) if n != variable)


def _cached_load(entry: DatasetEntry, kind: str, query: Query) -> View:
    """The view from the process's data cache, keyed on (entry, kind — or the kinds that
    share it —, query, data version)."""
    from portal.sources.versioning import data_version

    version = data_version(entry)
    shared = _view_class(entry, kind, query, version)
    view = data_cache().get_or_compute(("view", entry, version, shared, query),
                                       lambda: _load(entry, kind, query, version))
    return view if view.kind == kind else replace(view, kind=kind)


#: kinds whose views differ only by the coordinates they require (:data:`REQUIRE`)
_PLAIN_KINDS = ("map", "timeseries", "profile", "section", "timedepth")
_COORDS = ("time", "z", "latitude", "longitude")


def _view_class(entry: DatasetEntry, kind: str, query: Query, version: str) -> str:
    """``"obs"`` for a kind of :data:`_PLAIN_KINDS` over observations holding a time, a
    depth and a position wherever the variable has a value: the views of those kinds then
    select the same rows (the coordinates they require drop none), and one cached view
    serves them all (a mooring's map and series, a float's map, profiles and section held
    a copy each: the data cache overflowed and recomputed them under load); else ``kind``,
    each its own view (its own checks and row filter)."""
    import numpy as np
    import xarray as xr

    from portal.cache import derived

    if kind not in _PLAIN_KINDS or entry.feature_type == "grid":
        return kind
    obs = _normalised(entry, kind, query, version)
    if not isinstance(obs, xr.Dataset) or not all(c in obs.coords for c in _COORDS):
        return kind
    variable = resolve_variable(entry, query.variable) or obs.attrs.get("main_variable")
    if variable not in obs:
        return kind
    columns = [obs[variable].variable, *(obs[c].variable for c in _COORDS)]
    if not all(isinstance(c.data, np.ndarray) and c.dims == ("obs",) for c in columns):
        return kind  # lazy or not one row per sample: not read to decide

    def placed() -> bool:
        valued = columns[0].notnull().values
        return not any(bool((valued & c.isnull().values).any()) for c in columns[1:])

    return "obs" if derived("coords_where_valued", [c.data for c in columns], placed) else kind


def normalised_data(entry: DatasetEntry, query: Query | None = None
                    ) -> xr.DataArray | xr.Dataset:
    """The entry's data in canonical form for ``query.variable`` (a lazy grid DataArray or
    an observation Dataset), not subset: downloads select from it. Cached like the views."""
    from portal.sources.versioning import data_version

    query = query or Query()
    return _normalised(entry, resolve_kind(entry, None), query, data_version(entry))


def grid_window(entry: DatasetEntry, query: Query) -> xr.DataArray | None:
    """The 2-D window of a gridded entry's map that ``query`` selects, not read yet and not
    cached (the PNG path reduces it block by block: a 10⁸-cell file's window never exists
    whole); None when the entry's map is not a grid."""
    import xarray as xr

    from portal.processing.subset import grid_window as cut
    from portal.sources.versioning import data_version

    try:
        grid = _normalised(entry, "map", query, data_version(entry))
        return cut(grid, query, dataset=entry.id) if isinstance(grid, xr.DataArray) else None
    except PortalError:
        raise
    except Exception as exc:  # noqa: BLE001 - as load_view: the failure names the dataset
        log.exception("%s: unexpected error while cutting the grid", entry.id)
        raise PortalError(f"could not load the data ({type(exc).__name__}: {exc})",
                          dataset=entry.id) from exc


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
                            view_notes(view.data), style.lang))
    named = {"dataset": entry.id} if view.kind in _NAMING else {}
    return build(_with_platform(view.data, entry), variable=view.variable, feature_type=view.feature_type,
                 title=title, style=style, **named)


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

    ``map``: counts, means or QC mix per pixel; ``profile``: the profile density; ``ts``:
    the T-S diagram of a bounded sample of the selection's rows."""
    from portal.quicklooks import pointmap, pointprofile, ts
    from portal.sources import open_aggregator

    kind = resolve_kind(entry, kind)
    if query.qc == "auto":  # aggregates are cached per preset: keep the stores' own default
        query = replace(query, qc="all")
    scheduler = Settings.from_env().dask_scheduler  # serve --dask-scheduler ADDRESS
    handle = open_aggregator(entry).with_scheduler(scheduler)
    variable = resolve_variable(entry, query.variable) or "TEMP"
    try:
        if kind == "ts":  # a bounded read of the selection's rows, not an aggregate
            return ts.build_store(handle, query=query, title=hv_title(entry.title or entry.id),
                                  style=style, dataset=entry.id,
                                  cached=_ts_store_sample(entry, handle, query))
        build = pointprofile.build if kind == "profile" else pointmap.build
        return build(handle, variable=variable, query=query, title=hv_title(entry.title or entry.id),
                     style=style)
    except PortalError:
        raise
    except Exception as exc:  # noqa: BLE001 - name the dataset, keep the server up
        log.exception("%s: point-store aggregation failed", entry.id)
        raise PortalError(f"could not aggregate the point store ({exc})", dataset=entry.id) from exc


def _ts_store_sample(entry: DatasetEntry, handle, query: Query):
    """The T-S sample of a point-store selection (rows read, QC applied, TEOS-10 columns),
    shared by every session in the data cache under (entry, data version, selection): the
    variable asked for does not change it."""
    from portal.quicklooks import ts
    from portal.sources.versioning import data_version

    selection = replace(query.selection, variable=None)
    key = ("ts-store", entry, data_version(entry), selection)
    return data_cache().get_or_compute(key, lambda: ts.store_sample(handle, selection, entry.id))


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


def _store_aggregate(entry: DatasetEntry, kind: str, query: Query, style: Style,
                     variable: str | None):
    """A point store in a combined view: its aggregate (count per cell) over a map, its
    profile density on a profile axis, its values binned in time on a time-series axis
    (:mod:`portal.overlay_store`). Returns (data, variable, feature type)."""
    from portal import overlay_store
    from portal.quicklooks.pointmap import view_aggregate
    from portal.settings import Settings, current
    from portal.sources import open_aggregator

    handle = open_aggregator(entry).with_scheduler(Settings.from_env().dask_scheduler)
    variable = resolve_variable(entry, variable) or "TEMP"
    query = replace(query, qc="all") if query.qc == "auto" else query
    if kind == "profile":
        da = overlay_store.profile_density(handle, query, variable, style.width, style.height)
        return da, variable, "profileDensity"
    if kind == "timeseries":
        bins = overlay_store.time_bins(handle, query, variable,
                                       style.width // overlay_store.TIME_BIN_PX,
                                       current().limits.max_points)
        return bins, variable, "timeBinned"
    bbox = query.bbox.continuous() if query.bbox else (-180.0, -80.0, 180.0, 85.0)
    agg, _note = view_aggregate(handle, query, replace(style, color_by="auto"), variable, bbox)
    return agg, variable, "point"


def _load_layer(entry: DatasetEntry, kind: str, query: Query, style: Style,
                variable: str | None) -> dict[str, Any]:
    """The fields of one dataset's layer (data, variable, units, feature type)."""
    single = replace(query, variable=variable, datasets=(), dataset=None, kind=None)
    if is_aggregating(entry):
        agg, name, feature_type = _store_aggregate(entry, kind, single, style, variable)
        info = entry.variable(name)
        return {"data": agg, "variable": name, "aggregated": True, "feature_type": feature_type,
                "units": info.units if info else "", "long_name": info.long_name if info else ""}
    view = load_view(entry, kind, single)
    data: Any = view.data  # a grid DataArray or an observation Dataset
    attrs = dict((data if view.feature_type == "grid" else data[view.variable]).attrs)
    return {"data": view.data, "variable": view.variable, "feature_type": view.feature_type,
            "units": str(attrs.get("units", "")), "long_name": str(attrs.get("long_name", ""))}


def load_layers(entries: list[DatasetEntry], kind: str, query: Query,
                style: Style) -> list:
    """One layer per dataset, in order; a failure becomes the layer's ``error``."""
    from portal.errors import public_message
    from portal.overlay import choose_variables, new_layer

    chosen = choose_variables(entries, query)
    layers = []
    for i, entry in enumerate(entries):
        base = new_layer(entry, i)
        try:
            layers.append(replace(base, **_load_layer(entry, kind, query, style,
                                                      chosen[entry.id])))
        except PortalError as exc:
            layers.append(replace(base, error=public_message(exc).split("\n")[0][:160]))
        except Exception as exc:  # noqa: BLE001 - one source failing leaves the others
            log.exception("%s: could not load for a combined view", entry.id)
            layers.append(replace(base, error=f"could not load the data ({type(exc).__name__})"))
    return layers


def load_overlay(entries: list[DatasetEntry], kind: str | None, query: Query,
                 style: Style):
    """The layers of a combined view (several datasets, one selection), loaded through
    :func:`load_view` (point stores by their aggregate) and put in a common unit:
    a :class:`portal.overlay.Combined`. Raises only when every dataset failed."""
    from portal.overlay import harmonise

    kind = kind or "map"
    combined = harmonise(load_layers(entries, kind, query, style), kind)
    if not combined.drawn:
        reasons = "; ".join(f"{layer.id}: {layer.error}" for layer in combined.layers)
        raise UnsupportedQuicklook(f"none of the datasets could be drawn ({reasons})")
    return combined


def build_overlay(entries: list[DatasetEntry], kind: str | None = None,
                  query: Query | None = None, style: Style | None = None):
    """The HoloViews element of a combined view (page, embed and PNG all call this)."""
    from portal.quicklooks import ensure_backends
    from portal.quicklooks.overlay import build

    ensure_backends()
    style, query = style or Style(), query or Query()
    combined = load_overlay(entries, kind, query, style)
    lang = style.lang
    title = hv_title(t("title_overlay", lang, drawn=len(combined.drawn), n=len(entries),
                       what=t(f"overlay_{combined.kind}", lang))
                     + (t("title_overlay_unit", lang, unit=combined.unit) if combined.unit
                        else ""))
    return build(combined, title=title, style=style, query_bbox=query.bbox)
