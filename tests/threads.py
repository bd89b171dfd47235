"""Run a test's event loop in a thread of its own.

In the full suite an earlier test (the browser tests' sync Playwright keeps one) can leave
an event loop marked running in the main thread; ``asyncio.run`` and ``bokeh.client``
refuse to start another there. These helpers run the work in a fresh thread and hand back
its result or re-raise its exception.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any


def in_thread(fn: Callable[[], Any], timeout: float = 300.0) -> Any:
    """``fn()`` called in a new thread; its result, or its exception raised here."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            out["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"{getattr(fn, '__name__', fn)} still running after {timeout} s")
    if "error" in out:
        raise out["error"]
    return out.get("value")


def run_async(coroutine_fn: Callable[[], Any], timeout: float = 300.0) -> Any:
    """``asyncio.run(coroutine_fn())`` in a new thread."""
    return in_thread(lambda: asyncio.run(coroutine_fn()), timeout)
