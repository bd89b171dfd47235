"""Aggregations on an existing Dask distributed cluster (``--dask-scheduler ADDRESS``).

The work unit is one part's selected row groups: each task opens the store on the worker
(the store folder must be reachable there under the same path, e.g. a shared file system),
runs :func:`portal.pointstore.aggregate.run_parts` — with the worker's own hot cache — and
returns flat canvas arrays that the caller sums. Clients are created once per address and
reused; this module never starts a cluster (tests and benchmarks start a ``LocalCluster``).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from portal.errors import PortalError

_CLIENTS: dict[str, Any] = {}
_LOCK = threading.Lock()


def get_client(scheduler: Any):
    """A ``distributed.Client`` for an address (cached), or the client passed in."""
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - distributed is a dependency
        raise PortalError("--dask-scheduler needs the 'distributed' package",
                          hint="pip install distributed") from exc
    if isinstance(scheduler, Client):
        return scheduler
    address = str(scheduler)
    with _LOCK:
        client = _CLIENTS.get(address)
        if client is None or client.status != "running":
            try:
                client = Client(address, timeout="10s", set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise PortalError(f"cannot reach the Dask scheduler at {address}: {exc}",
                                  hint="check --dask-scheduler (e.g. tcp://host:8786)") from exc
            _CLIENTS[address] = client
        return client


def _task(store_dir: str, spec, jobs: list[tuple[int, np.ndarray]],
          encoding: str) -> dict[str, Any]:
    from portal.pointstore.aggregate import run_parts
    from portal.pointstore.store import open_store

    return run_parts(open_store(store_dir), spec, jobs, encoding=encoding)


def run_on_cluster(scheduler: Any, store_dir: str, spec, jobs: list[tuple[int, np.ndarray]],
                   encoding: str = "auto") -> list[dict[str, Any]]:
    """Run ``jobs`` (part, index rows) as tasks; returns their partial results."""
    import os

    client = get_client(scheduler)
    path = os.path.abspath(store_dir)
    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    batches = _batches(jobs, 4 * n_workers)
    futures = [client.submit(_task, path, spec, batch, encoding, pure=False)
               for batch in batches]
    try:
        return client.gather(futures)
    except Exception as exc:  # noqa: BLE001 - a worker error, reported with its message
        if isinstance(exc, PortalError):
            raise
        raise PortalError(f"aggregation failed on the Dask cluster: {exc}") from exc


def _batches(jobs, n: int) -> list[list[tuple[int, np.ndarray]]]:
    """Split jobs into about ``n`` batches of similar row-group counts."""
    if not jobs:
        return []
    sizes = np.array([len(r) for _, r in jobs])
    order = np.argsort(-sizes)
    bins: list[list] = [[] for _ in range(min(n, len(jobs)))]
    load = np.zeros(len(bins))
    for i in order:
        b = int(np.argmin(load))
        bins[b].append(jobs[i])
        load[b] += sizes[i]
    return [b for b in bins if b]
