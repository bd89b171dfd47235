"""How the server ends: ``serve --num-procs 2`` answers from two workers, each within its
memory bound, and a SIGTERM to the parent stops every worker cleanly, in the log."""

from __future__ import annotations

import os
import signal
import threading
import time

from portal.server.lifecycle import worker_pids
from tests.server.conftest import answering_pids, http_get, serving, small_catalog

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


def test_sigusr1_prints_every_thread_stack_and_the_server_keeps_serving(tmp_path):
    # faulthandler's dump read the render threads' frames while they ran: a busy server
    # segfaulted on `kill -USR1` (seen under load); the Python handler holds the GIL
    with serving(small_catalog(tmp_path), tmp_path) as served:
        pngs = [f"/quicklook/grid/map.png?width={300 + i}&height=300" for i in range(6)]
        answers: list[int] = []
        renders = threading.Thread(target=lambda: answers.extend(
            http_get(served.port, path)[0] for path in pngs))
        renders.start()
        for _ in range(20):  # while the PNGs render in worker threads
            os.kill(served.proc.pid, signal.SIGUSR1)
            time.sleep(0.05)
        renders.join(120)
        assert answers == [200] * len(pngs)
        assert served.proc.poll() is None
        assert http_get(served.port, "/health")[0] == 200
        log = served.log.read_text()
        assert "stacks of the" in log and "Thread MainThread" in log
        assert "run_forever" in log  # the event loop's own stack
        assert "Fatal Python error" not in log
