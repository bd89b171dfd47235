"""How the server process ends, always in the log.

A server that vanished without a word (reported once with five cold sessions at once)
cannot be diagnosed. :func:`log_exits` makes every end leave a line:

- fatal signals (SIGSEGV, SIGFPE, SIGABRT, SIGBUS, SIGILL: a crash in a compiled extension)
  dump every thread's Python traceback to stderr (:mod:`faulthandler`), which the service's
  log captures; ``kill -USR1 PID`` dumps them on demand without stopping the server;
- SIGTERM and SIGINT log "stopping (SIGTERM)" and stop the event loop cleanly (``serve``
  then logs "stopped"); under plain ``panel serve`` Bokeh's own SIGTERM handler stops it;
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
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("portal.server")


@dataclass
class ExitRecord:
    """Why the process is ending, as far as it knows (one per process, set by handlers)."""

    reason: str = "normal exit"
    installed: bool = False
    stop: list[Callable[[], None]] = field(default_factory=list)


RECORD = ExitRecord()  # process-wide by nature: signals and atexit are process-wide


def log_exits(stop: Callable[[], None] | None = None, handle_signals: bool = True) -> None:
    """Install the handlers (idempotent). ``stop`` stops the server's event loop (called
    from SIGTERM/SIGINT); without one, the signals are left to whoever handles them."""
    if stop is not None:
        RECORD.stop.append(stop)
    if RECORD.installed:
        return
    RECORD.installed = True
    faulthandler.enable(file=sys.stderr, all_threads=True)
    if hasattr(signal, "SIGUSR1"):
        faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True, chain=False)
    atexit.register(_at_exit)
    _hook_exceptions()
    if handle_signals and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, _on_stop_signal)


def _on_stop_signal(signum: int, _frame) -> None:
    name = signal.Signals(signum).name
    RECORD.reason = f"stopped by {name}"
    log.info("stopping (%s), pid %d", name, os.getpid())
    if not RECORD.stop:
        raise SystemExit(0)
    for stop in RECORD.stop:
        stop()


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
