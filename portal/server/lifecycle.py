"""How the server process ends, always in the log.

A server that vanished without a word (reported once with five cold sessions at once)
cannot be diagnosed. :func:`log_exits` makes every end leave a line:

- fatal signals (SIGSEGV, SIGFPE, SIGABRT, SIGBUS, SIGILL: a crash in a compiled extension)
  dump every thread's Python traceback to stderr (:mod:`faulthandler`), which the service's
  log captures; ``kill -USR1 PID`` prints every thread's stack on demand without stopping
  the server (from a Python handler, with the interpreter's lock held: :mod:`faulthandler`'s
  own dump reads other threads' frames while they run, and crashed a busy server);
- SIGTERM and SIGINT log "stopping (SIGTERM)" and stop the event loop cleanly (``serve``
  then logs "stopped"); under plain ``panel serve`` Bokeh's own SIGTERM handler stops it;
- under ``serve --num-procs N`` the parent only waits on its forked workers (Tornado's
  ``fork_processes``): a SIGTERM to it is forwarded to every worker, each stops cleanly
  and exits 0, and the parent then exits (Tornado restarts only workers that failed);
  workers still alive after :data:`WORKER_GRACE_S` are killed;
- an exception escaping the main loop or a thread is logged with its traceback;
- every exit, whatever the cause, logs "exiting" with the reason known (the signal, the
  exception, or "normal exit") from :mod:`atexit`.

Only SIGKILL (the kernel's out-of-memory killer, ``kill -9``) cannot be logged by the
process itself: "exited without a log line" after this module points there (``dmesg``).
"""

from __future__ import annotations

import atexit
import faulthandler
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("portal.server")


@dataclass
class ExitRecord:
    """Why the process is ending, as far as it knows (one per process, set by handlers)."""

    reason: str = "normal exit"
    installed: bool = False
    stop: list[Callable[[], None]] = field(default_factory=list)
    forks: bool = False  # this process forks workers (serve --num-procs N, N != 1)


RECORD = ExitRecord()  # process-wide by nature: signals and atexit are process-wide
WORKER_GRACE_S = 20  # seconds the forked workers have to stop before they are killed


def log_exits(stop: Callable[[], None] | None = None, handle_signals: bool = True) -> None:
    """Install the handlers (idempotent). ``stop`` stops the server's event loop (called
    from SIGTERM/SIGINT); without one, the signals are left to whoever handles them."""
    if stop is not None:
        RECORD.stop.append(stop)
    if RECORD.installed:
        return
    RECORD.installed = True
    faulthandler.enable(file=sys.stderr, all_threads=True)
    if hasattr(signal, "SIGUSR1") and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGUSR1, dump_threads)
    atexit.register(_at_exit)
    _hook_exceptions()
    if handle_signals and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _on_stop_signal)


def dump_threads(_signum: int | None = None, _frame=None) -> None:
    """Print every thread's Python stack to stderr (``kill -USR1 PID``). It runs in the main
    thread between two bytecodes, holding the interpreter's lock, so no frame changes while
    it reads them (:mod:`faulthandler`'s dump does not hold it: a segfault mid-dump)."""
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    lines = [f"stacks of the {len(names)} threads of pid {os.getpid()} (SIGUSR1):"]
    for ident, frame in sys._current_frames().items():
        lines.append(f"Thread {names.get(ident, '?')} ({ident}), most recent call last:")
        lines += [line.rstrip("\n") for line in traceback.format_stack(frame)]
    print("\n".join(lines), file=sys.stderr, flush=True)
    log.info("thread stacks of pid %d printed to stderr (SIGUSR1)", os.getpid())


def will_fork() -> None:
    """Say this process is about to fork workers (``--num-procs``): a stop signal that
    reaches the parent is then forwarded to them (call before the fork)."""
    RECORD.forks = True


def _on_stop_signal(signum: int, _frame) -> None:
    name = signal.Signals(signum).name
    RECORD.reason = f"stopped by {name}"
    log.info("stopping (%s), pid %d", name, os.getpid())
    if RECORD.forks and _is_fork_parent():
        _forward(signum)
        return  # Tornado's wait loop sees the workers exit 0, then exits the parent
    if not RECORD.stop:
        raise SystemExit(0)
    for stop in RECORD.stop:
        stop()


def _is_fork_parent() -> bool:
    from tornado.process import task_id

    return task_id() is None  # the workers have a task id, the waiting parent none


def worker_pids(pid: int | None = None) -> list[int]:
    """The live child processes of ``pid`` (default: this one), from ``/proc`` (Linux,
    where ``--num-procs`` is used); ``[]`` where ``/proc`` is absent."""
    pid = pid or os.getpid()
    children: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                children += [int(p) for p in fh.read().split()]
    except OSError:
        return children
    return sorted(set(children))


def _forward(signum: int) -> None:
    """Send ``signum`` to every worker; kill those still alive after the grace period."""
    pids = worker_pids()
    log.info("forwarding %s to the workers %s", signal.Signals(signum).name,
             ", ".join(map(str, pids)) or "(none left)")
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass
    signal.signal(signal.SIGALRM, _kill_workers)
    signal.alarm(WORKER_GRACE_S)


def _kill_workers(_signum: int, _frame) -> None:
    pids = worker_pids()
    log.warning("workers %s did not stop within %d s: killed", pids, WORKER_GRACE_S)
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    raise SystemExit(1)  # out of Tornado's wait loop, which would restart killed workers


def _at_exit() -> None:
    log.info("exiting, pid %d: %s", os.getpid(), RECORD.reason)
    for handler in logging.getLogger().handlers + log.handlers:
        try:
            handler.flush()
        except Exception:  # noqa: BLE001 - a closed stream at shutdown
            pass


def _hook_exceptions() -> None:
    previous = sys.excepthook

    def main_hook(kind, value, tb) -> None:
        RECORD.reason = f"uncaught {kind.__name__}: {value}"
        log.critical("uncaught exception, the server stops", exc_info=(kind, value, tb))
        previous(kind, value, tb)

    def thread_hook(args) -> None:
        log.error("uncaught exception in thread %s", getattr(args.thread, "name", "?"),
                  exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    sys.excepthook = main_hook
    threading.excepthook = thread_hook
