"""How the server ends: ``serve --num-procs 2`` answers from two workers, each within its
memory bound, and a SIGTERM to the parent stops every worker cleanly, in the log."""

from __future__ import annotations

import os
import signal
import time

from portal.server.lifecycle import worker_pids
from tests.server.conftest import answering_pids, serving, small_catalog

MEMORY_BOUND_MB = 2048  # per process: interpreter + plotting stack + both byte-bounded caches


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"  # a zombie has stopped
    except OSError:
        return False


def test_sigterm_to_the_parent_stops_every_worker(tmp_path):
    with serving(small_catalog(tmp_path), tmp_path, "--num-procs", "2") as served:
        workers = worker_pids(served.proc.pid)
        try:
            assert len(workers) == 2, workers
            seen = answering_pids(served.port)
            assert set(seen) == set(workers), (seen, workers)
            assert all(0 < rss < MEMORY_BOUND_MB for rss in seen.values()), seen
            os.kill(served.proc.pid, signal.SIGTERM)  # the parent only, not its group
            served.proc.wait(timeout=40)
            deadline = time.monotonic() + 10
            while any(map(_alive, workers)) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert not [pid for pid in workers if _alive(pid)], "a worker survived its parent"
            assert served.proc.returncode == 0
        finally:
            for pid in filter(_alive, workers):  # never leave an orphan serving
                os.kill(pid, signal.SIGKILL)
    log = served.log.read_text()
    assert f"stopping (SIGTERM), pid {served.proc.pid}" in log, log[-3000:]
    assert "forwarding SIGTERM to the workers" in log, log[-3000:]
    for pid in workers:
        assert f"stopped, pid {pid}" in log, log[-3000:]
