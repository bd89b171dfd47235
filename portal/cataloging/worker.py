"""Describe untrusted files in a child process bounded in memory and time.

A crafted NetCDF/HDF5 file can abort the C library (which ``try`` cannot catch),
declare a 10^11-long dimension whose statistics never end, or ask for more memory
than the machine has. :class:`IsolatedReader` reads them in a spawned child with an
address-space limit (``resource.setrlimit(RLIMIT_AS)``: its size after imports plus
``memory_mb``) and waits at most ``timeout_s`` per file; a child that stalls is
killed, and a child that dies or runs out of memory becomes a :class:`ScanSkip` with
a reason; the next file gets a fresh child. The scan and the server live on. One
child serves file after file (:class:`IsolatedReader`): it pays the imports once.
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

from portal.cataloging import scan
from portal.cataloging.refusals import skip_with
from portal.cataloging.scan import NotDataFile, ScanSkip, _reason
from portal.errors import PortalError
from portal.model import DatasetEntry

log = logging.getLogger(__name__)

TIMEOUT_S = float(os.environ.get("PORTAL_SCAN_TIMEOUT_S", "60"))
MEMORY_MB = int(os.environ.get("PORTAL_SCAN_MEMORY_MB", "2048"))


def _vm_bytes() -> int:
    """This process's virtual size (the base the child's limit is added to)."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _describe(path: str, dataset_id: str, memory_mb: int) -> tuple[Any, ...]:
    try:
        return ("ok", scan.describe_file(path, dataset_id))
    except MemoryError:
        return ("skip", f"reading it needs more than {memory_mb} MB of memory", False)
    except OSError as exc:  # e.g. a file removed or unreadable (permissions) meanwhile
        return ("skip", f"cannot open it: {exc.strerror or type(exc).__name__}", False)
    except PortalError as exc:
        return ("skip", _reason(exc), isinstance(exc, NotDataFile))
    except Exception as exc:  # noqa: BLE001 - reported to the parent as the reason
        return ("skip", f"unexpected error while reading it: {type(exc).__name__}: {exc}",
                False)


def _serve(conn, memory_mb: int) -> None:
    """The child: imports, a memory limit, then one file per message until None."""
    import resource

    import xarray  # noqa: F401 - imported before the limit and the first file's clock

    limit = _vm_bytes() + memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    conn.send(("ready",))
    while (job := conn.recv()) is not None:
        path, dataset_id = job
        result = _describe(path, dataset_id, memory_mb)
        try:
            conn.send(result)
        except Exception as exc:  # noqa: BLE001 - e.g. an entry that cannot be pickled
            conn.send(("skip", f"unexpected error while reading it: {type(exc).__name__}",
                       False))


def _died(exitcode: int | None, memory_mb: int) -> str:
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name
        return (f"the file crashed its reader ({name}); it may be corrupt or crafted"
                if name != "SIGKILL" else f"its reader was killed (over {memory_mb} MB?)")
    return f"its reader stopped without an answer (exit status {exitcode})"


class IsolatedReader:
    """A reusable child process that describes files one at a time (see module doc).

    Spawned (not forked: a fork of a threaded parent can inherit a held lock and
    hang), started on first use and again after a file killed or stalled it. Use as a
    context manager, or call :meth:`close`.
    """

    def __init__(self, timeout_s: float | None = None, memory_mb: int | None = None,
                 start_timeout_s: float = 180.0):
        self.timeout_s = TIMEOUT_S if timeout_s is None else timeout_s
        self.memory_mb = MEMORY_MB if memory_mb is None else memory_mb
        self.start_timeout_s = start_timeout_s
        self._proc: Any = None
        self._conn: Any = None

    def __enter__(self) -> IsolatedReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        import multiprocessing

        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child, self.memory_mb), daemon=True)
        self._proc.start()
        child.close()
        if not self._conn.poll(self.start_timeout_s) or self._conn.recv() != ("ready",):
            self._stop()
            raise ScanSkip("the isolated reader did not start")

    def _stop(self) -> int | None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.join()
            code = self._proc.exitcode
            self._conn.close()
            self._proc = self._conn = None
            return code
        return None

    def close(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            try:
                self._conn.send(None)
                self._proc.join(5)
            except OSError:
                pass
        self._stop()

    def describe(self, path: str, dataset_id: str) -> DatasetEntry:
        """The entry of ``path``; ScanSkip/NotDataFile with the reason otherwise."""
        if self._proc is None or not self._proc.is_alive():
            self._stop()
            self._start()
        self._conn.send((path, dataset_id))
        if not self._conn.poll(self.timeout_s):
            self._stop()
            raise skip_with("timed-out", ScanSkip(
                f"reading it took longer than {self.timeout_s:g} s (stopped); "
                "it may declare huge dimensions"))
        try:
            result = self._conn.recv()
        except EOFError:
            self._proc.join(5)
            code = self._stop()
            kind = "too-large" if code == -signal.SIGKILL else "worker-crashed"
            raise skip_with(kind, ScanSkip(_died(code, self.memory_mb))) from None
        if result[0] == "ok":
            return result[1]
        raise (NotDataFile if result[2] else ScanSkip)(result[1])
