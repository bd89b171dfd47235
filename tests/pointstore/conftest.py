"""Fixtures of the point-store tests: small stores built once per session.

``synthetic`` is written through the ingest code path from random columns whose values the
tests keep (brute-force references); ``demo`` comes from the generator. Row groups are tiny
(512 rows) so that pruning has something to prune.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
T0 = int(np.datetime64("2005-01-01", "s").astype(np.int64))
T1 = int(np.datetime64("2011-01-01", "s").astype(np.int64))


def make_columns(n: int, seed: int) -> dict[str, np.ndarray]:
    """Clustered random observations in store columns (NaNs and all flag kinds included)."""
    from portal.pointstore.writer import empty_columns

    rng = np.random.default_rng(seed)
    cols = empty_columns(["TEMP", "PSAL"], n)
    centres = rng.uniform([-175, -70], [175, 70], (40, 2))
    pick = rng.integers(0, len(centres), n)
    cols["longitude"][:] = np.clip(centres[pick, 0] + rng.normal(0, 4, n), -179.99, 179.99)
    cols["latitude"][:] = np.clip(centres[pick, 1] + rng.normal(0, 3, n), -89.9, 89.9)
    cols["time"][:] = rng.integers(T0, T1, n)
    cols["z"][:] = rng.uniform(0, 2000, n)
    cols["z"][rng.random(n) < 0.01] = np.nan
    cols["z_qc"][:] = 1
    cols["TEMP"][:] = 25 - cols["z"] / 100 + rng.normal(0, 1, n)
    cols["PSAL"][:] = rng.normal(35, 0.5, n)
    for p in ("TEMP", "PSAL"):
        cols[p][rng.random(n) < 0.02] = np.nan
        cols[f"{p}_qc"][:] = rng.choice([-1, 0, 1, 1, 1, 1, 1, 2, 3, 4, 5, 8, 9], n)
    cols["platform"][:] = rng.integers(0, 20, n)
    cols["cycle"][:] = rng.integers(1, 200, n)
    cols["source"][:] = 0
    return cols


def build(path: Path, parts: list[dict[str, np.ndarray]], row_group_size: int = 512,
          levels: int = 8) -> str:
    from portal.pointstore import store as st
    from portal.pointstore import writer

    st.create_store(str(path), {"row_group_size": row_group_size, "levels": levels})
    platforms = [f"69{i:05d}" for i in range(20)]
    with st.writer_lock(str(path)):
        for i, cols in enumerate(parts):
            store = st.open_store(str(path))
            part = writer.write_part(str(path), cols, ["TEMP", "PSAL"], platforms, store.config,
                                     sources=[{"name": f"synthetic-{i}", "sha256": f"{i:064d}",
                                               "ingested": "now"}])
            writer.commit(str(path), [part], {})
    return str(path)


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory):
    """(store folder, concatenated reference columns) of a two-part random store."""
    parts = [make_columns(30_000, 1), make_columns(20_000, 2)]
    path = build(tmp_path_factory.mktemp("synthetic") / "store", parts)
    ref = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    return path, ref


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory):
    from portal.demo.points import generate

    path = str(tmp_path_factory.mktemp("demo") / "store")
    generate(40_000, path, seed=3, chunk_points=15_000, row_group_size=1024)
    return path


@pytest.fixture()
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared data folder {SHARED} is absent")
    return SHARED
