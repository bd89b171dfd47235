"""The one pipeline every output goes through: entry + query → data → quicklook element.

``load_view`` opens a catalog entry through its source adapter, normalises it
(processing), applies the query and computes only the columns needed; it is
cached on ``(entry, kind, query)`` — never on the data — in a bounded LRU, so
sessions share read-only results. ``build_quicklook`` turns the view into a
HoloViews element; the Panel page, the iframe embed, the PNG endpoint and the
CLI all call it.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, replace

from portal.errors import PortalError, UnsupportedQuicklook
from portal.model import DatasetEntry, Query
from portal.quicklooks import Style, builder, entry_kinds

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


def _load(entry: DatasetEntry, kind: str, query: Query, time_index: int | None) -> View:
    from portal.processing import cf
    from portal.processing.normalize import to_grid, to_observations
    from portal.processing.subset import select_grid, select_obs
    from portal.processing.variables import resolve_qc, view_warnings
    from portal.sources import open_dataset

    raw = open_dataset(entry, query)
    variable = resolve_variable(entry, query.variable)
    if entry.feature_type == "grid" or (kind == "map" and cf.is_grid(raw)):
        field = to_grid(raw, variable, dataset=entry.id)
        data = select_grid(field, query, dataset=entry.id, time_index=time_index)
        return View(data, str(field.name), "grid", kind, "all",
                    tuple(view_warnings(data, str(field.name))))
    obs = to_observations(raw, variable, dataset=entry.id)
    variable = variable or obs.attrs["main_variable"]
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


# Read-only results shared by all sessions, keyed on the frozen (entry, kind, query) records.
# (pn.cache hashes dataclass arguments by identity and would miss, or confuse two queries.)
_cached_load = functools.lru_cache(maxsize=64)(_load)


def load_view(entry: DatasetEntry, kind: str | None = None, query: Query | None = None,
              time_index: int | None = None) -> View:
    """Data for one quicklook, cached across sessions on (entry, kind, query)."""
    query = query or Query()
    kind = resolve_kind(entry, kind)
    try:
        return _cached_load(entry, kind, query, time_index)
    except PortalError:
        raise
    except Exception as exc:  # noqa: BLE001 - an unexpected failure still names the dataset
        log.exception("%s: unexpected error while loading", entry.id)
        raise PortalError(f"could not load the data ({type(exc).__name__}: {exc})",
                          dataset=entry.id) from exc


def build_quicklook(entry: DatasetEntry, kind: str | None = None, query: Query | None = None,
                    style: Style | None = None, time_index: int | None = None):
    """The HoloViews element of a quicklook (same for page, embed, PNG and CLI)."""
    from portal.quicklooks import ensure_backends

    ensure_backends()
    style = style or Style()
    query = query or Query()
    if entry.source == "pointstore":
        return _point_store(entry, kind, query, style)
    names = [v.strip() for v in (query.variable or "").split(",") if v.strip()]
    if len(names) > 1:
        return _stacked(entry, kind, query, style, names, time_index)
    view = load_view(entry, kind, query, time_index)
    from portal.processing.variables import titled

    build = builder(view.kind)
    title = titled(entry.title or entry.id, view.qc, list(view.warnings))
    return build(view.data, variable=view.variable, feature_type=view.feature_type,
                 title=title, style=style)


def _point_store(entry: DatasetEntry, kind: str | None, query: Query, style: Style):
    """Point stores are aggregated per view, not loaded: their own caches apply.

    ``map``: counts, means or QC mix per pixel; ``profile``: the profile density."""
    import dataclasses

    from portal.quicklooks import pointmap, pointprofile
    from portal.settings import Settings
    from portal.sources import open_dataset

    kind = resolve_kind(entry, kind)
    if query.qc == "auto":  # aggregates are cached per preset: keep the stores' own default
        query = dataclasses.replace(query, qc="all")
    handle = open_dataset(entry, query)
    scheduler = Settings.from_env().dask_scheduler  # serve --dask-scheduler ADDRESS
    if scheduler and not handle.scheduler:
        handle = dataclasses.replace(handle, scheduler=scheduler)
    variable = resolve_variable(entry, query.variable) or "TEMP"
    try:
        build = pointprofile.build if kind == "profile" else pointmap.build
        return build(handle, variable=variable, query=query, title=entry.title or entry.id,
                     style=style)
    except PortalError:
        raise
    except Exception as exc:  # noqa: BLE001 - name the dataset, keep the server up
        log.exception("%s: point-store aggregation failed", entry.id)
        raise PortalError(f"could not aggregate the point store ({exc})", dataset=entry.id) from exc


def _stacked(entry, kind, query, style, names, time_index):
    """Several variables: one panel each, stacked, sharing the time (or other) axis."""
    import dataclasses

    import holoviews as hv

    if len(names) > 4:
        raise UnsupportedQuicklook("at most 4 variables at once", dataset=entry.id)
    height = max(style.height // len(names), 160)
    sub_style = dataclasses.replace(style, height=height)
    panels = [build_quicklook(entry, kind, dataclasses.replace(query, variable=name), sub_style,
                              time_index) for name in names]
    return hv.Layout(panels).cols(1).opts(shared_axes=True)


def render_quicklook_png(entry: DatasetEntry, kind: str | None = None,
                         query: Query | None = None, style: Style | None = None) -> bytes:
    """PNG bytes of a quicklook (static rendering of the same element)."""
    from portal.render.png import render_png

    style = style or Style(interactive=False)
    if style.interactive:
        style = Style(style.cmap, style.color_by, style.width, style.height, False)
    element = build_quicklook(entry, kind, query, style)
    return render_png(element, style.width, style.height)
