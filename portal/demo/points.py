"""A Coriolis-like synthetic store of any size, generated in bounded memory.

Profiling floats are deployed over 2000-2025 in the open ocean (Natural Earth land mask when
``static/land_110m.geojson`` is there, else an ice-only mask), live 3-7 years, drift with a
zonal current plus a random walk and surface every 10 days. Each profile samples pressure
from the surface to 1000-2000 dbar (some deep floats to 4000), denser near the surface;
temperature and salinity follow a plausible climatology (latitude, season, thermocline depth,
salty Atlantic and Mediterranean, fresh ITCZ) plus per-float anomalies and noise. QC flags
follow realistic proportions (about 95 % good), bad flags carry spikes, a few floats have a
drifting salinity sensor. Profiles are generated in time chunks, sorted by Hilbert key of
their position (so points need no sort), expanded to points by a numba kernel
driven by a counter-based random generator (the same store for the same seed whatever the
chunking), and written through the ingest path, two chunks in flight.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numba as nb
import numpy as np

from portal.assets import land_geojson
from portal.errors import PortalError
from portal.pointstore import bands as B
from portal.pointstore import overviews as ov
from portal.pointstore import store as st
from portal.pointstore import writer
from portal.pointstore.hilbert import hilbert_keys, radix_argsort

PARAMS = ["TEMP", "PSAL"]
START = np.datetime64("2000-01-01T00:00:00", "s").astype(np.int64)
ROUND_S = 10 * 86400
N_ROUNDS = 949  # 2000-01-01 .. 2025-12-31
KM_PER_DEG = 111.2


@dataclass
class DemoReport:
    store: str
    points: int
    profiles: int
    floats: int
    parts: int
    seconds: float

    @property
    def points_per_second(self) -> float:
        return self.points / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (f"{self.store}: {self.points:,} points, {self.profiles:,} profiles from "
                f"{self.floats:,} floats in {self.parts} parts, {self.seconds:.1f} s "
                f"({self.points_per_second:,.0f} points/s)")


# ------------------------------------------------------------------------------ ocean mask


def ocean_mask() -> np.ndarray:
    """bool[180, 360] on a 1° grid (row = latitude -90..90): True where floats may drift."""
    lat = np.arange(-89.5, 90, 1.0)
    lon = np.arange(-179.5, 180, 1.0)
    mask = np.ones((180, 360), bool)
    mask[(lat < -70) | (lat > 80)] = False
    land_file = land_geojson()
    try:
        import json

        import shapely
        from shapely.geometry import shape

        geom = shape(json.loads(land_file.read_text())["features"][0]["geometry"])
        xx, yy = np.meshgrid(lon, lat)
        mask &= ~shapely.contains_xy(geom, xx, yy)
    except (OSError, ValueError, KeyError, ImportError):
        pass
    return mask


# ---------------------------------------------------------------------- float trajectories


def _profiles(n_target: int, rng: np.random.Generator, mask: np.ndarray) -> dict[str, np.ndarray]:
    """Profile headers (time-ordered): time, lon, lat, float index, cycle."""
    mean_life = 150.0
    n_floats = max(1, int(round(n_target / (mean_life * 0.8))))
    deploy = (N_ROUNDS * rng.random(n_floats) ** 0.7).astype(np.int64) - 20
    life = rng.integers(100, 200, n_floats)
    phase = rng.integers(0, ROUND_S, n_floats)
    ocean_cells = np.flatnonzero(mask.ravel())
    start = rng.choice(ocean_cells, n_floats)
    lat = start // 360 - 89.5 + rng.uniform(-0.5, 0.5, n_floats)
    lon = start % 360 - 179.5 + rng.uniform(-0.5, 0.5, n_floats)
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("time", "lon", "lat", "float", "cycle")}
    for r in range(N_ROUNDS):
        act = np.flatnonzero((deploy <= r) & (r < deploy + life))
        if act.size == 0:
            continue
        lon[act], lat[act] = _drift(lon[act], lat[act], rng, mask)
        out["time"].append(START + r * ROUND_S + phase[act] + rng.integers(-7200, 7200, act.size))
        out["lon"].append(lon[act].copy())
        out["lat"].append(lat[act].copy())
        out["float"].append(act.astype(np.int32))
        out["cycle"].append((r - deploy[act] + 1).astype(np.int32))
    return {k: np.concatenate(v) if v else np.zeros(0) for k, v in out.items()}


def _drift(lon, lat, rng, mask):
    """One 10-day step: zonal current by latitude + random walk; no step onto land."""
    rad = np.radians(lat)
    u = 0.12 * np.exp(-(((lat + 52) / 8) ** 2)) - 0.06 * np.exp(-((lat / 15) ** 2))  # m/s
    dx_km = u * ROUND_S / 1000 + rng.normal(0, 25, lon.size)
    dy_km = rng.normal(0, 18, lon.size)
    new_lon = (lon + dx_km / (KM_PER_DEG * np.maximum(np.cos(rad), 0.2)) + 180) % 360 - 180
    new_lat = np.clip(lat + dy_km / KM_PER_DEG, -77, 84)
    iy = np.clip((new_lat + 90).astype(int), 0, 179)
    ix = np.clip((new_lon + 180).astype(int), 0, 359)
    ok = mask[iy, ix]
    return np.where(ok, new_lon, lon), np.where(ok, new_lat, lat)


# ------------------------------------------------------------------ points of the profiles


@nb.njit(cache=True, nogil=True, inline="always")
def _hash(seed, i):
    """64 random bits from (seed, counter): splitmix64, no state."""
    x = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(i)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@nb.njit(cache=True, nogil=True, inline="always")
def _rand(seed, i, k):
    """Uniform [0, 1) from (seed, counter, stream)."""
    h = _hash(np.uint64(seed) * np.uint64(8) + np.uint64(k), i)
    return np.float64(h >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@nb.njit(cache=True, nogil=True, inline="always")
def _flag(u, good, prob, pbad, bad):
    if u < good:
        return 1
    if u < good + prob:
        return 2
    if u < good + prob + pbad:
        return 3
    if u < good + prob + pbad + bad:
        return 4
    return 0 if u < 0.998 else 9


@nb.njit(cache=True, nogil=True)
def _surface(lon, lat, doy):
    c = math.cos(math.radians(lat))
    season = 2.5 * math.sin(2 * math.pi * (doy - 80) / 365.25) * (1 if lat > 0 else -1)
    sst = -1.8 + 29.8 * c ** 2.2 + season * min(abs(lat) / 40.0, 1.0)
    sss = 34.0 + 1.8 * math.exp(-(((abs(lat) - 25) / 12) ** 2)) - 0.8 * math.exp(-((lat / 8) ** 2))
    if -80 < lon < 20 and -40 < lat < 65:
        sss += 0.6
    if 0 < lon < 36 and 30 < lat < 46:
        sst += 2.0
        sss = 38.5
    if lat > 66:
        sss -= 2.0
    return sst, sss


@nb.njit(cache=True, nogil=True)
def _expand(plon, plat, ptime, pfloat, pcycle, pnlev, offsets, gstart, pid, float_anom,
            float_drift, seed, out_lon, out_lat, out_t, out_plat, out_cyc, out_z, out_zqc, out_T,
            out_Tqc, out_S, out_Sqc):
    """Points of profiles (in the order given) at ``offsets``; randomness keyed by the global
    point number ``gstart[p] + k`` and profile id, so chunking never changes the values."""
    for p in range(plon.size):
        f_id = pfloat[p]
        doy = ((ptime[p] // 86400) % 365.25)
        sst, sss = _surface(plon[p], plat[p], doy)
        sst += float_anom[f_id]
        deep = _rand(seed + 1, pid[p], 0) < 0.05
        zmax = 4000.0 if deep else (2000.0 if _rand(seed + 1, pid[p], 1) < 0.85 else 1000.0)
        thermo = 120.0 + 250.0 * math.cos(math.radians(plat[p]))
        drift = float_drift[f_id] * pcycle[p]
        n = pnlev[p]
        o = offsets[p]
        for k in range(n):
            i = o + k
            g = gstart[p] + k
            h = _hash(seed, g)
            u = (h >> np.uint64(40)) * (1.0 / 16777216.0)
            f = (k + 0.5 * u) / max(n - 1, 1)
            z = zmax * f * f + 3.0 + u
            decay = math.exp(-z / thermo)
            tdeep = 1.5 + 4.0 * (1.0 - z / (z + 900.0))
            T = max(tdeep + (sst - tdeep) * decay + 0.05 * (u - 0.5), -1.9)
            S = 34.72 + (sss - 34.72) * decay * decay + 0.01 * (u - 0.5) + drift
            tq = _flag(((h >> np.uint64(20)) & np.uint64(0xFFFFF)) * (1.0 / 1048576.0),
                       0.955, 0.02, 0.01, 0.008)
            v = (h & np.uint64(0xFFFFF)) * (1.0 / 1048576.0)
            sq = _flag(v, 0.93, 0.03, 0.015, 0.015) if drift == 0 else (3 if v < 0.6 else 4)
            if tq == 4:
                T += 8.0 * (u - 0.3)
            if sq == 4:
                S -= 3.0 * u
            out_lon[i], out_lat[i], out_t[i] = plon[p], plat[p], ptime[p]
            out_plat[i], out_cyc[i] = f_id, pcycle[p]
            out_z[i] = z
            out_zqc[i] = 1 if u < 0.995 or k % 7 else 4
            out_T[i] = T if tq != 9 else np.nan
            out_S[i] = S if sq != 9 else np.nan
            out_Tqc[i], out_Sqc[i] = tq, sq


def _levels(n_points: int, n_profiles: int, rng: np.random.Generator) -> np.ndarray:
    """Levels per profile, summing exactly to ``n_points`` (each >= 1)."""
    weight = rng.uniform(0.5, 1.5, n_profiles)
    nlev = np.floor(weight / weight.sum() * n_points).astype(np.int64)
    nlev = np.maximum(nlev, 1)
    diff = n_points - int(nlev.sum())
    if diff > 0:
        nlev[:diff] += 1
    while diff < 0:
        big = np.flatnonzero(nlev > 1)[: -diff]
        nlev[big] -= 1
        diff += big.size
    return nlev


# ----------------------------------------------------------------------------- driver


def generate(n: int, store_dir: str, *, seed: int = 0, chunk_points: int | None = None,
             row_group_size: int | None = None, levels: int = 9, overwrite: bool = False,
             commit_points: int = 200_000_000, progress: Any = None) -> DemoReport:
    """Write a demo store of exactly ``n`` points into ``store_dir`` (a new or empty store)."""
    if n < 1:
        raise PortalError("--n must be at least 1")
    t0 = time.perf_counter()
    _prepare(store_dir, overwrite)
    rng = np.random.default_rng(seed)
    heads = _profiles(int(np.clip(n / 60, min(n, 50), 6e6)), rng, ocean_mask())
    nprof = min(heads["time"].size, n)
    heads = {k: v[:nprof] for k, v in heads.items()}
    nlev = _levels(n, nprof, rng)
    n_floats = int(heads["float"].max()) + 1
    floats = {"anom": rng.normal(0, 0.6, n_floats),
              "drift": np.where(rng.random(n_floats) < 0.03, rng.uniform(0.002, 0.01, n_floats), 0.0)}
    rg = row_group_size or int(np.clip(n // 15000, 4096, 65536))
    chunk = chunk_points or int(max(min(40_000_000 if n >= 400_000_000 else 25_000_000, n), rg))
    cfg = {"row_group_size": rg, "levels": levels}
    st.create_store(store_dir, cfg, title=f"Demo Coriolis-like point store ({n:,} points)")
    bounds = _chunk_bounds(nlev, chunk)
    platforms = [str(1900000 + 1000000 * (i % 6) + i // 6) for i in range(n_floats)]
    starts = np.concatenate([[0], np.cumsum(nlev)[:-1]]).astype(np.int64)
    args = (heads, nlev, starts, floats, platforms, seed, store_dir)
    with st.writer_lock(store_dir):
        n_parts = _write_all(bounds, args, n, progress, commit_points)
    seconds = time.perf_counter() - t0
    return DemoReport(store_dir, n, nprof, n_floats, n_parts, seconds)


def _prepare(store_dir: str, overwrite: bool) -> None:
    if os.path.isfile(os.path.join(store_dir, st.STORE_MARKER)):
        if not overwrite and st.open_store(store_dir).n_points:
            raise PortalError(f"{store_dir} already holds a store",
                              hint="choose another folder or pass --overwrite")
        import shutil

        shutil.rmtree(store_dir)


def _chunk_bounds(nlev: np.ndarray, chunk: int) -> list[tuple[int, int]]:
    cum = np.cumsum(nlev)
    cuts = np.searchsorted(cum, np.arange(chunk, int(cum[-1]), chunk), side="left") + 1
    edges = np.unique(np.concatenate([[0], cuts, [nlev.size]]))
    return [(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True) if b > a]


def _write_all(bounds, args, n, progress, commit_points: int) -> int:
    """Generate and write chunks two at a time; commit every ``commit_points`` points."""
    store_dir = args[-1]
    pending: list[writer.PartData] = []
    merged: dict[int, ov.Table] = {}
    bands: list[B.PartBands] = []
    done = n_parts = 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(_chunk, i, a, b, *args) for i, (a, b) in enumerate(bounds)]
        for k, fut in enumerate(futures):
            part = fut.result()
            for tbin, table in part.overview.items():
                merged[tbin] = ov.merge([merged.get(tbin, ov.empty_table(PARAMS)), table], PARAMS)
            part.overview = {}
            if part.bands is not None:  # merged as we go, like the overviews: bounded memory
                bands = [B.merge_parts([*bands, part.bands], PARAMS)]
                part.bands = B.PartBands()
            pending.append(part)
            done += part.rows
            last = k == len(futures) - 1
            if last or sum(p.rows for p in pending) >= commit_points:
                pending[0].overview = merged
                if bands:
                    pending[0].bands = bands[0]
                writer.commit(store_dir, pending, {}, gc=last)
                n_parts += len(pending)
                pending, merged, bands = [], {}, []
            if progress is not None:
                progress(done, n)
    return n_parts


def _chunk(i: int, a: int, b: int, heads, nlev, starts, floats, platforms, seed, store_dir):
    """Profiles a..b (time order) -> Hilbert order -> points -> one part file."""
    keys = hilbert_keys(heads["lon"][a:b], heads["lat"][a:b])
    order = radix_argsort(keys) + a
    counts = nlev[order]
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    m = int(counts.sum())
    cols = writer.empty_columns(PARAMS, m)
    cols["source"][:] = i
    _expand(heads["lon"][order], heads["lat"][order], heads["time"][order], heads["float"][order],
            heads["cycle"][order], counts, offsets, starts[order], order, floats["anom"],
            floats["drift"], seed, cols["longitude"], cols["latitude"], cols["time"],
            cols["platform"], cols["cycle"], cols["z"], cols["z_qc"], cols["TEMP"],
            cols["TEMP_qc"], cols["PSAL"], cols["PSAL_qc"])
    digest = hashlib.sha256(f"demo:{seed}:{len(nlev)}:{a}:{b}".encode()).hexdigest()
    source = {"name": f"demo-chunk-{i:05d}", "sha256": digest, "size": 0, "rows": m,
              "ingested": st.now_iso()}
    cfg = st.open_store(store_dir).config
    part = writer.write_part(store_dir, cols, PARAMS, platforms, cfg, presorted=True,
                             sources=[source])
    part.sources[0]["part"] = part.name
    return part
