"""What an aggregation asks for, and which row groups it must read.

:class:`AggSpec` is a hashable, picklable description of one aggregation (map or profile
density, canvas, filters, statistic) — the unit a Dask worker receives. :func:`make_spec`
validates user input (bbox and time through :mod:`portal.query`, QC preset, variable) with
messages that list the valid choices. :func:`select_row_groups` prunes the row-group index
with the view box (split at the date line by :meth:`~portal.query.BBox.split`), the time
window and the depth range; :func:`kernel_params` turns the surviving row groups of one
part into the kernel's parameter matrices.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from portal.errors import BadParameter, PortalError, UnsupportedQuicklook
from portal.pointstore import kernels as K
from portal.pointstore.schema import PRESET_CLASSES
from portal.pointstore.store import Store
from portal.query import BBox, TimeRange, limits

HOWS = ("count", "mean", "sum", "min", "max", "qc")
WORLD = (-180.0, -90.0, 180.0, 90.0)


@dataclass(frozen=True)
class AggSpec:
    """One aggregation: ``kind`` "map" (x=lon, y=lat) or "density" (x=value, y=z)."""

    kind: str
    bbox: tuple[float, float, float, float]  # west, south, east, north; east may exceed 180
    width: int
    height: int
    how: str = "count"
    variable: str | None = None
    qc: str = "all"
    time: tuple[int, int] | None = None  # inclusive, seconds since 1970
    depth: tuple[float, float] | None = None
    x_range: tuple[float, float] | None = None  # density: value axis
    y_range: tuple[float, float] | None = None  # density: depth axis

    @property
    def canvas(self) -> tuple[float, float, float, float]:
        """(x0, y0, x1, y1) of the canvas in its own units."""
        if self.kind == "map":
            return self.bbox
        if self.x_range is None or self.y_range is None:
            raise ValueError("a density aggregation needs x_range and y_range")
        return (self.x_range[0], self.y_range[0], self.x_range[1], self.y_range[1])

    @property
    def needs_value(self) -> bool:
        return self.kind == "density" or self.how != "count" or self.qc != "all"

    @property
    def needs_flags(self) -> bool:
        return self.qc != "all" or self.how == "qc"


def parse_bbox(bbox) -> tuple[float, float, float, float]:
    """(W, S, E, N) with E > W (a box across the date line gets E + 360); all if None.

    Any form :class:`~portal.query.BBox` takes (a BBox, four numbers, ``"W,S,E,N"``)."""
    if bbox is None:
        return WORLD
    return _as_bbox(bbox).continuous()


def _as_bbox(bbox) -> BBox:
    if isinstance(bbox, BBox):
        return bbox
    if isinstance(bbox, str):
        return BBox.parse(bbox)
    try:
        return BBox(*bbox)
    except TypeError:
        raise BadParameter(f"bbox: expected four numbers west, south, east, north; got "
                           f"{bbox!r}", parameter="bbox") from None


def parse_time(time) -> tuple[int, int] | None:
    """(start, end) whole seconds, both inclusive, or None for all time.

    ``time`` is a :class:`~portal.query.TimeRange`, a (start, end) pair or one date (its
    whole day); an end date alone covers its day (see :func:`portal.query.parse_instant`).
    """
    if time is None:
        return None
    if isinstance(time, str):
        window = TimeRange.parse(time)
    elif isinstance(time, TimeRange):
        window = time
    else:
        window = TimeRange(*time)
    lo, hi = window.epoch_bounds()
    if lo is None and hi is None:
        return None
    return (-(2**62) if lo is None else math.floor(lo), 2**62 if hi is None else math.floor(hi))


def make_spec(store: Store, kind: str, *, bbox=None, time=None, width: int = 800,
              height: int = 500, how: str = "count", variable: str | None = "TEMP",
              qc: str = "all", depth=None, x_range=None, y_range=None) -> AggSpec:
    """A validated :class:`AggSpec` (errors list the valid choices)."""
    if how not in HOWS:
        raise UnsupportedQuicklook(f"unknown aggregation {how!r}", dataset=store.name,
                                   hint=f"use one of {', '.join(HOWS)}")
    if qc == "auto":  # the stores' own default: every class, drawn as a QC mix on request
        qc = "all"
    if qc not in PRESET_CLASSES:
        raise UnsupportedQuicklook(f"unknown QC preset {qc!r}", dataset=store.name,
                                   hint=f"use one of {', '.join(PRESET_CLASSES)}")
    width, height = int(width), int(height)
    max_pixels = limits().max_image_px ** 2
    if width < 1 or height < 1 or width * height > max_pixels:
        raise PortalError(f"canvas {width}x{height} refused: at most {max_pixels:,} pixels",
                          dataset=store.name, hint="ask for a smaller image")
    needs_var = kind == "density" or how != "count" or qc != "all"
    var = variable if needs_var else None
    if needs_var and var not in store.params:
        raise UnsupportedQuicklook(f"variable {variable!r} is not in this store",
                                   dataset=store.name,
                                   hint=f"choose one of: {', '.join(store.params) or 'none'}")
    dz = None
    if depth is not None:
        lo, hi = depth
        dz = (-np.inf if lo is None else float(lo), np.inf if hi is None else float(hi))
    return AggSpec(kind=kind, bbox=parse_bbox(bbox), width=width, height=height, how=how,
                   variable=var, qc=qc, time=parse_time(time), depth=dz,
                   x_range=tuple(x_range) if x_range else None,
                   y_range=tuple(y_range) if y_range else None)


# ------------------------------------------------------------------------------ pruning


def shifts(spec: AggSpec) -> tuple[float, ...]:
    """Longitude shifts that bring stored longitudes (-180..180) into the view."""
    x0, _, x1, _ = spec.bbox
    return (0.0,) + ((360.0,) if x1 > 180 else ()) + ((-360.0,) if x0 < -180 else ())


def select_row_groups(store: Store, spec: AggSpec) -> np.ndarray:
    """Index rows of the row groups that can hold points of the selection."""
    ix = store.index
    if not len(ix["rg"]):
        return np.zeros(0, np.int64)
    hit = np.zeros(len(ix["rg"]), bool)
    for part in BBox(*spec.bbox).split():  # the view, cut at the date line
        hit |= ((ix["lon_max"] >= part.west) & (ix["lon_min"] <= part.east)
                & (ix["lat_max"] >= part.south) & (ix["lat_min"] <= part.north))
    if spec.time is not None:
        hit &= (ix["t_max"] >= spec.time[0]) & (ix["t_min"] <= spec.time[1])
    zr = spec.depth if spec.kind == "map" else spec.y_range
    if zr is not None:
        with np.errstate(invalid="ignore"):
            hit &= (ix["z_max"] >= zr[0]) & (ix["z_min"] <= zr[1])
    return np.flatnonzero(hit)


def kernel_params(store: Store, spec: AggSpec, rg_rows: np.ndarray, loaded, compact: bool):
    """(P, IP) kernel matrices for the selected row groups of one part (see kernels).

    A map across the date line gives a row group one pass per longitude shift it meets.
    """
    ix = store.index
    x0, _, x1, _ = spec.bbox
    blocks_f, blocks_i = [], []
    for sh in shifts(spec):
        keep = (ix["lon_max"][rg_rows] + sh >= x0) & (ix["lon_min"][rg_rows] + sh <= x1)
        j = np.flatnonzero(keep)
        if j.size == 0:
            continue
        g = rg_rows[j]
        p = np.zeros((j.size, K.N_F))
        ip = np.zeros((j.size, K.N_I), np.int64)
        ip[:, K.I_START] = loaded.starts[j]
        ip[:, K.I_STOP] = loaded.starts[j] + loaded.rows[j]
        _axes(spec, loaded, j, compact, sh, p)
        _time_filter(spec, ix, g, ip)
        _range_filters(spec, ix, g, loaded, j, compact, sh, p, ip)
        blocks_f.append(p)
        blocks_i.append(ip)
    if not blocks_f:
        return np.zeros((0, K.N_F)), np.zeros((0, K.N_I), np.int64)
    return np.concatenate(blocks_f), np.concatenate(blocks_i)


def _axes(spec, loaded, j, compact, sh, p) -> None:
    x0, y0, x1, y1 = spec.canvas
    sx, sy = spec.width / (x1 - x0), spec.height / (y1 - y0)
    xcol, ycol = ("longitude", "latitude") if spec.kind == "map" else (spec.variable, "z")
    sh_x = sh if spec.kind == "map" else 0.0
    if compact:
        ox, stx = loaded.offset[xcol][j], loaded.step[xcol][j]
        oy, sty = loaded.offset[ycol][j], loaded.step[ycol][j]
        p[:, K.F_AX], p[:, K.F_BX] = stx * sx, (ox + sh_x - x0) * sx
        p[:, K.F_AY], p[:, K.F_BY] = sty * sy, (oy - y0) * sy
    else:
        p[:, K.F_AX], p[:, K.F_BX] = sx, (sh_x - x0) * sx
        p[:, K.F_AY], p[:, K.F_BY] = sy, -y0 * sy
    if spec.variable is not None and spec.variable in loaded.offset:
        p[:, K.F_AV] = loaded.step[spec.variable][j] if compact else 1.0
        p[:, K.F_BV] = loaded.offset[spec.variable][j] if compact else 0.0


def _time_filter(spec, ix, g, ip) -> None:
    if spec.time is None:
        return
    t0, t1 = ix["t_min"][g], ix["t_max"][g]
    lo, hi = spec.time
    ip[:, K.I_USE_T] = ~((lo <= t0) & (t1 <= hi))
    ip[:, K.I_T_LO] = np.maximum(lo - t0, 0)
    ip[:, K.I_T_HI] = np.minimum(hi - t0, 2**32 - 1)


def _code_bounds(lo, hi, off, step, compact):
    if not compact:
        return lo, hi
    return (lo - off) / step, (hi - off) / step


def _range_filters(spec, ix, g, loaded, j, compact, sh, p, ip) -> None:
    """Slot A/B: depth range (maps) or the longitude/latitude box (density)."""
    if spec.kind == "map":
        if spec.depth is not None:
            ip[:, K.I_USE_A] = 1
            lo, hi = spec.depth
            p[:, K.F_A_LO], p[:, K.F_A_HI] = _code_bounds(
                lo, hi, loaded.offset["z"][j], loaded.step["z"][j], compact)
        return
    if "longitude" not in loaded.offset:  # whole globe: no box to test
        return
    x0, y0, x1, y1 = spec.bbox
    lon_lo, lon_hi = max(x0 - sh, -180.0), min(x1 - sh, 180.0)
    inside = ((ix["lon_min"][g] >= lon_lo) & (ix["lon_max"][g] <= lon_hi)
              & (ix["lat_min"][g] >= y0) & (ix["lat_max"][g] <= y1))
    ip[:, K.I_USE_A] = ip[:, K.I_USE_B] = ~inside
    p[:, K.F_A_LO], p[:, K.F_A_HI] = _code_bounds(
        lon_lo, lon_hi, loaded.offset["longitude"][j], loaded.step["longitude"][j], compact)
    p[:, K.F_B_LO], p[:, K.F_B_HI] = _code_bounds(
        y0, y1, loaded.offset["latitude"][j], loaded.step["latitude"][j], compact)
