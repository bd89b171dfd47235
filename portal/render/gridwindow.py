"""Block means of a large grid window read one dask chunk at a time, for the map PNG.

A window of a 10⁸-cell file (about 1,600 x 2,000 cells, 12 MB) used to be computed whole —
its chunks concatenated into a fresh array, cached as a view — and then block-averaged to
the image's size. On this kind of machine the fresh memory is what costs (page faults: the
concatenation alone took 70 ms of CPU a request in the server, and each distinct window
stayed in the data cache). Here each chunk of the lazy window is reduced where it is read:
its finite values are summed per output block (blocks cut at the window's own offsets, so
a block spanning two chunks adds up both parts) with their count, minimum and maximum. The
result is exactly :func:`portal.render.maps.block_mean` of the whole window, plus the value
range the data warnings need, and nothing window-sized is ever allocated or cached.
Only windows on dask arrays with ascending axes take this path; others return None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import xarray as xr


@dataclass(frozen=True)
class Reduced:
    """Block means of a window (rows south to north), its finite cells and their range."""

    values: np.ndarray
    count: int
    low: float
    high: float


def reduce_window(field: xr.DataArray, max_rows: int, max_cols: int) -> Reduced | None:
    """Block means of the lazy 2-D (latitude, longitude) ``field`` with at most
    ``max_rows`` x ``max_cols`` cells, read chunk by chunk; None when ``field`` is not
    dask-backed or an axis is not ascending (the caller reads it whole then)."""
    import dask

    if field.dims != ("latitude", "longitude") or not hasattr(field.data, "to_delayed"):
        return None
    if not all(_ascending(field[axis].values) for axis in field.dims):
        return None
    ny, nx = field.shape
    fy, fx = -(-ny // max_rows), -(-nx // max_cols)
    rows, cols = np.cumsum((0,) + field.chunks[0]), np.cumsum((0,) + field.chunks[1])
    blocks = field.data.to_delayed()
    parts = [dask.delayed(_partial)(blocks[i, j], int(rows[i]), int(cols[j]), fy, fx)
             for i in range(blocks.shape[0]) for j in range(blocks.shape[1])]
    return _assemble(dask.compute(*parts, scheduler="synchronous"), -(-ny // fy), -(-nx // fx))


def _ascending(coord: np.ndarray) -> bool:
    return coord.size < 2 or bool((np.diff(coord) > 0).all())


def _partial(block: np.ndarray, r0: int, c0: int, fy: int, fx: int) -> tuple:
    """One chunk's share: (first block row, first block column, sums, counts, min, max)."""
    block = np.asarray(block, dtype="float32")
    finite = np.isfinite(block)
    sums = _block_sums(np.where(finite, block, np.float32(0)), r0, c0, fy, fx, "float32")
    counts = _block_sums(finite, r0, c0, fy, fx, "int32")
    low = float(np.fmin.reduce(block, axis=None)) if finite.any() else np.nan
    high = float(np.fmax.reduce(block, axis=None)) if finite.any() else np.nan
    return r0 // fy, c0 // fx, sums, counts, low, high


def _block_sums(a: np.ndarray, r0: int, c0: int, fy: int, fx: int, dtype: str) -> np.ndarray:
    """Sums of ``a`` (a chunk at row ``r0``, column ``c0`` of the window) over the output
    blocks it touches: rows first (contiguous), then columns of the smaller result."""
    return _segments(_segments(a, -r0 % fy, fy, 0, dtype), -c0 % fx, fx, 1, dtype)


def _segments(a: np.ndarray, head: int, factor: int, axis: int, dtype: str) -> np.ndarray:
    """Sums along ``axis`` of a first segment of ``head`` items (the end of a block begun
    in the previous chunk), then whole blocks of ``factor`` through a reshaped view (numpy
    sums those at memory speed; ``reduceat`` was ~5x slower), then a partial last one."""
    a = np.moveaxis(a, axis, 0)
    parts = [a[:head].sum(axis=0, keepdims=True, dtype=dtype)] if head else []
    body = a[head:]
    whole = body.shape[0] // factor * factor
    if whole:
        parts.append(body[:whole].reshape(whole // factor, factor, *body.shape[1:])
                     .sum(axis=1, dtype=dtype))
    if whole < body.shape[0]:
        parts.append(body[whole:].sum(axis=0, keepdims=True, dtype=dtype))
    return np.moveaxis(np.concatenate(parts), 0, axis)


def _assemble(parts, by: int, bx: int) -> Reduced:
    """The chunks' shares added into the whole (by, bx) grid of blocks."""
    sums = np.zeros((by, bx), "float32")
    counts = np.zeros((by, bx), "int32")
    lows, highs = [], []
    for i, j, s, c, low, high in parts:
        sums[i:i + s.shape[0], j:j + s.shape[1]] += s
        counts[i:i + c.shape[0], j:j + c.shape[1]] += c
        lows.append(low)
        highs.append(high)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (sums / counts).astype("float32")
    total = int(counts.sum())
    low = float(np.nanmin(lows)) if total else np.nan
    high = float(np.nanmax(highs)) if total else np.nan
    return Reduced(means, total, low, high)
