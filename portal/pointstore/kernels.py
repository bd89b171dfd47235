"""The lean aggregation kernel: points of selected row groups onto a W x H canvas, in numba.

Two phases per row group, both cache friendly because rows follow the Hilbert curve. Phase 1
maps every point to a pixel index (or to a trash slot when it falls outside the canvas or
fails a filter) into a thread-local buffer; on compactly encoded columns (uint16 offsets within
the row group's own box) it does so in 32.32 fixed-point integer arithmetic, which the compiler
vectorises. Phase 2 scatters the buffer run-length encoded: consecutive points of one pixel
(a profile, a track) are added once, which removes the store-to-load chain that caps naive
histogram loops. Threads (a Python pool; the kernel releases the GIL) own private canvases that the caller sums. Per-row-group parameters
travel in two matrices (float ``P``, integer ``IP``; column meanings in the ``F_*``/``I_*``
constants), so one compiled kernel serves maps (x=lon, y=lat) and profile density (x=value,
y=z) with any mix of time, range and QC filters.
"""

from __future__ import annotations

import math

import numpy as np

from portal.pointstore import jit as nb  # numba, imported at the first kernel call

# float parameters per row group: pixel = value * a + b on each axis, decoded value
# = code * av + bv, filter bounds (in the column's own units or codes)
F_AX, F_BX, F_AY, F_BY, F_AV, F_BV, F_A_LO, F_A_HI, F_B_LO, F_B_HI = range(10)
N_F = 10
# integer parameters per row group: rows [start, stop) of the column arrays, filter switches,
# time window as offsets from the row group's first second
I_START, I_STOP, I_USE_T, I_T_LO, I_T_HI, I_USE_A, I_USE_B = range(7)
N_I = 7
Q_NAN = 65535  # uint16 code of a missing value
MODE_COUNT, MODE_STATS, MODE_CLASSES = 0, 1, 2


@nb.njit(cache=True, nogil=True)
def _index_compact(xs, ys, a, b, c, d, W, H, buf):
    """uint16 codes: float32 arithmetic (8 lanes per AVX2 instruction). Missing codes are not
    tested here (positions are never missing); see ``check_xy``."""
    trash = np.int32(W * H)
    fw = np.float32(W)
    fh = np.float32(H)
    for j in range(xs.size):
        fx = np.float32(xs[j]) * a + b
        fy = np.float32(ys[j]) * c + d
        ok = (fx >= 0) & (fx < fw) & (fy >= 0) & (fy < fh)
        buf[j] = np.int32(fy) * np.int32(W) + np.int32(fx) if ok else trash


@nb.njit(cache=True, nogil=True)
def _index_compact_range(xs, ys, fs, lo, hi, a, b, c, d, W, H, buf):
    """:func:`_index_compact` fused with a code-range filter on a third column."""
    trash = np.int32(W * H)
    fw = np.float32(W)
    fh = np.float32(H)
    for j in range(xs.size):
        fx = np.float32(xs[j]) * a + b
        fy = np.float32(ys[j]) * c + d
        ok = (fx >= 0) & (fx < fw) & (fy >= 0) & (fy < fh) & (fs[j] >= lo) & (fs[j] <= hi)
        buf[j] = np.int32(fy) * np.int32(W) + np.int32(fx) if ok else trash


@nb.njit(cache=True, nogil=True)
def _index_exact(xs, ys, a, b, c, d, W, H, buf):
    """float32 values: float64 arithmetic, the same rounding as a numpy reference."""
    trash = np.int32(W * H)
    for j in range(xs.size):
        fx = np.float64(xs[j]) * a + b
        fy = np.float64(ys[j]) * c + d
        ok = (fx >= 0.0) & (fx < W) & (fy >= 0.0) & (fy < H)
        buf[j] = np.int32(math.floor(fy)) * np.int32(W) + np.int32(math.floor(fx)) if ok else trash


@nb.njit(cache=True, nogil=True)
def _keep_range(cs, lo, hi, buf, trash):
    for j in range(cs.size):
        c = cs[j]
        buf[j] = buf[j] if (c >= lo) & (c <= hi) else trash


@nb.njit(cache=True, nogil=True)
def _keep_lut(qs, lut, buf, trash):
    for j in range(qs.size):
        buf[j] = buf[j] if lut[np.uint8(qs[j])] != 0 else trash


@nb.njit(cache=True, nogil=True)
def _keep_valid(vs, compact, buf, trash):
    for j in range(vs.size):
        bad = (vs[j] == Q_NAN) if compact else (vs[j] != vs[j])
        buf[j] = trash if bad else buf[j]


@nb.njit(cache=True, nogil=True)
def _index(x, y, fa, fb, t, qc, v, r, P, IP, W, H, compact, qc_lut, use_qc, use_v, check_xy,
           buf):
    """Phase 1 for row group r: pixel index or trash (W*H) of each point into ``buf``.

    ``check_xy`` drops missing x/y codes (profile density: values and depths can be missing).
    """
    s = IP[r, I_START]
    e = IP[r, I_STOP]
    out = buf[: e - s]
    trash = np.int32(W * H)
    if compact:
        f32 = np.float32
        a, b, c, d = f32(P[r, F_AX]), f32(P[r, F_BX]), f32(P[r, F_AY]), f32(P[r, F_BY])
        if IP[r, I_USE_A] != 0:
            lo, hi = max(P[r, F_A_LO], 0.0), min(P[r, F_A_HI], Q_NAN - 1.0)
            _index_compact_range(x[s:e], y[s:e], fa[s:e], np.uint16(math.ceil(lo)),
                                 np.uint16(math.floor(hi)), a, b, c, d, W, H, out)
        else:
            _index_compact(x[s:e], y[s:e], a, b, c, d, W, H, out)
        if IP[r, I_USE_B] != 0:
            lo, hi = max(P[r, F_B_LO], 0.0), min(P[r, F_B_HI], Q_NAN - 1.0)
            _keep_range(fb[s:e], np.int64(math.ceil(lo)), np.int64(math.floor(hi)), out, trash)
    else:
        _index_exact(x[s:e], y[s:e], P[r, F_AX], P[r, F_BX], P[r, F_AY], P[r, F_BY], W, H, out)
        if IP[r, I_USE_A] != 0:
            _keep_range(fa[s:e], P[r, F_A_LO], P[r, F_A_HI], out, trash)
        if IP[r, I_USE_B] != 0:
            _keep_range(fb[s:e], P[r, F_B_LO], P[r, F_B_HI], out, trash)
    if check_xy:
        _keep_valid(x[s:e], compact, out, trash)
        _keep_valid(y[s:e], compact, out, trash)
    if IP[r, I_USE_T] != 0:
        _keep_range(t[s:e], IP[r, I_T_LO], IP[r, I_T_HI], out, trash)
    if use_qc:
        _keep_lut(qc[s:e], qc_lut, out, trash)
    if use_v:
        _keep_valid(v[s:e], compact, out, trash)


@nb.njit(cache=True, nogil=True)
def _scatter_count(buf, acc):
    last = buf[0]
    run = 0
    for j in range(buf.size):
        k = buf[j]
        if k == last:
            run += 1
        else:
            acc[last] += run
            last = k
            run = 1
    acc[last] += run


@nb.njit(cache=True, nogil=True)
def _run_end(buf, j, k):
    """End of the run of pixel ``k`` starting at ``j``."""
    n = buf.size
    while j < n and buf[j] == k:
        j += 1
    return j


@nb.njit(cache=True, nogil=True)
def _run_codes(vs, s, e):
    """(valid count, code sum, min code, max code) of uint16 codes ``vs[s:e]`` without
    ``Q_NAN``: branch-free integer arithmetic, which the compiler vectorises."""
    total, count, lo, hi = 0, 0, Q_NAN, 0
    for j in range(s, e):
        c = np.int64(vs[j])
        ok = c != Q_NAN
        total += c if ok else 0
        count += 1 if ok else 0
        lo = min(lo, c)  # Q_NAN is the largest code: never below a valid one
        hi = max(hi, c if ok else 0)
    return count, np.float64(total), np.float64(lo), np.float64(hi)


@nb.njit(cache=True, nogil=True)
def _run_floats(vs, s, e):
    """:func:`_run_codes` on float32 values (NaN skipped), summed in float64."""
    total, count, lo, hi = 0.0, 0, np.inf, -np.inf
    for j in range(s, e):
        v = np.float64(vs[j])
        if v == v:
            total += v
            count += 1
            lo = min(lo, v)
            hi = max(hi, v)
    return count, total, lo, hi


@nb.njit(cache=True, nogil=True)
def _scatter_stats(buf, vs, av, bv, compact, acc, sums, mins, maxs):
    """Count, sum, min and max of the valid values per pixel, run-length encoded like
    :func:`_scatter_count`: a run of points in one pixel sums its raw values locally and
    decodes once (``value * av + bv``; ``av`` > 0, so the extreme codes are the extremes).
    Missing values are skipped here, which spares phase 1 a pass over the value column."""
    trash = acc.size - 1
    j = 0
    while j < buf.size:
        k = buf[j]
        if k == trash:
            j += 1
            continue
        start, j = j, _run_end(buf, j, k)
        if compact:
            count, total, lo, hi = _run_codes(vs, start, j)
        else:
            count, total, lo, hi = _run_floats(vs, start, j)
        if count:
            acc[k] += count
            sums[k] += total * av + count * bv
            mins[k] = min(mins[k], lo * av + bv)
            maxs[k] = max(maxs[k], hi * av + bv)


@nb.njit(cache=True, nogil=True)
def _scatter_classes(buf, qs, cls_lut, classes):
    trash = classes.shape[1] - 1
    for j in range(buf.size):
        k = buf[j]
        if k != trash:
            classes[cls_lut[np.uint8(qs[j])], k] += 1


@nb.njit(cache=True, nogil=True)
def aggregate_rows(x, y, fa, fb, t, qc, v, P, IP, r0, r1, W, H, mode, compact, qc_lut, use_qc,
                   check_xy, cls_lut, out_n, out_s, out_min, out_max, out_c):
    """Accumulate the row groups of P/IP rows ``r0:r1`` into one canvas (releases the GIL).

    ``out_n`` counts (size W*H+1, the last slot is the trash); MODE_STATS adds the sum, min
    and max of the decoded value column ``v``; MODE_CLASSES counts per QC class
    (``out_c[class]``, the class of each flag from ``cls_lut``). A non-empty ``v`` also drops
    points whose value is missing.
    """
    use_v = v.size > 0
    longest = 1
    for r in range(r0, r1):
        longest = max(longest, IP[r, I_STOP] - IP[r, I_START])
    buf = np.empty(longest, dtype=np.int32)
    for r in range(r0, r1):
        s = IP[r, I_START]
        e = IP[r, I_STOP]
        if e <= s:
            continue
        _index(x, y, fa, fb, t, qc, v, r, P, IP, W, H, compact, qc_lut, use_qc,
               use_v and mode != MODE_STATS, check_xy, buf)
        out = buf[: e - s]
        if mode == MODE_COUNT:
            _scatter_count(out, out_n)
        elif mode == MODE_STATS:
            _scatter_stats(out, v[s:e], P[r, F_AV], P[r, F_BV], compact, out_n, out_s, out_min, out_max)
        else:
            _scatter_classes(out, qc[s:e], cls_lut, out_c)


def aggregate(x, y, fa, fb, t, qc, v, P, IP, groups, W, H, mode, compact, qc_lut, use_qc,
              check_xy, cls_lut, out_n, out_s, out_min, out_max, out_c, pool=None) -> None:
    """Run :func:`aggregate_rows` for each run ``groups[g]:groups[g+1]`` into canvas g,
    one thread per run (the kernel releases the GIL)."""
    def one(g):
        aggregate_rows(x, y, fa, fb, t, qc, v, P, IP, groups[g], groups[g + 1], W, H, mode,
                       compact, qc_lut, use_qc, check_xy, cls_lut, out_n[g], out_s[g], out_min[g],
                       out_max[g], out_c[g])

    n = groups.size - 1
    if n == 1 or pool is None:
        for g in range(n):
            one(g)
    else:
        list(pool.map(one, range(n)))


def balanced_groups(rows: np.ndarray, n_groups: int) -> np.ndarray:
    """Split consecutive row groups (sizes ``rows``) into ``n_groups`` runs of similar size."""
    n = len(rows)
    n_groups = max(1, min(n_groups, n))
    if n == 0:
        return np.zeros(2, dtype=np.int64)
    cum = np.cumsum(rows)
    targets = cum[-1] * np.arange(1, n_groups) / n_groups
    cuts = np.searchsorted(cum, targets, side="left") + 1
    return np.unique(np.concatenate([[0], np.clip(cuts, 0, n), [n]])).astype(np.int64)
