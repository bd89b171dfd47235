"""numba, imported when a kernel is first called: ``from portal.pointstore import jit as nb``.

Importing numba and setting up its CPU target (LLVM, its NumPy and linear-algebra
registries, SciPy's BLAS) costs ~0.5 s of CPU, which a short process that only reads a
store's overviews (``odatis-portal thumbnails``: a NumPy spread, see
:func:`portal.pointstore.overviews.spread`) need not pay. ``nb.njit(**options)`` here
returns a stand-in that compiles nothing until called; the first call of any stand-in
imports numba and replaces every stand-in, in every module that defined or imported one,
by the real dispatcher (so a kernel calling another compiles against real dispatchers),
then runs. Options, numba's disk cache and results are those of ``numba.njit``; other
attributes (``nb.prange``...) are numba's. :func:`loaded` says whether numba is in use yet.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

#: every stand-in made (bounded: one per decorated kernel, made at import)
_PENDING: list[_Kernel] = []
_LOCK = threading.Lock()


def loaded() -> bool:
    """Whether numba is imported in this process (then kernels cost no start-up)."""
    return "numba" in sys.modules


class _Kernel:
    """A ``numba.njit`` kernel not compiled yet; calls and attributes go to the real one."""

    def __init__(self, fn: Callable, options: dict[str, Any]) -> None:
        self.py_func = fn
        self.options = options
        self.dispatcher: Any = None
        self.__name__ = fn.__name__
        self.__qualname__ = fn.__qualname__
        self.__doc__ = fn.__doc__
        self.__module__ = fn.__module__

    def __call__(self, *args, **kwargs):
        return (self.dispatcher or _materialise(self))(*args, **kwargs)

    def __getattr__(self, name: str):  # (only for names not set in __init__)
        if name.startswith("__") or name in ("py_func", "options", "dispatcher"):
            raise AttributeError(name)  # (copy and pickle probe before __init__)
        return getattr(self.dispatcher or _materialise(self), name)


def njit(**options: Any) -> Callable[[Callable], Any]:
    """``numba.njit(**options)`` without importing numba now (numba's own once loaded)."""
    if loaded():
        import numba

        return numba.njit(**options)

    def decorate(fn: Callable) -> _Kernel:
        kernel = _Kernel(fn, options)
        _PENDING.append(kernel)
        return kernel

    return decorate


def _materialise(kernel: _Kernel):
    """Import numba, make every pending kernel's dispatcher and put it where the stand-in
    was in each module's globals; ``kernel``'s dispatcher."""
    import numba

    with _LOCK:
        made = {id(k): k for k in _PENDING}
        for k in _PENDING:
            if k.dispatcher is None:
                k.dispatcher = numba.njit(**k.options)(k.py_func)
        for k in _PENDING:
            space = k.py_func.__globals__
            for name, value in list(space.items()):
                if isinstance(value, _Kernel) and id(value) in made:
                    space[name] = value.dispatcher
    return kernel.dispatcher


def __getattr__(name: str):
    """numba's other names (``prange``, ``types``...), importing it."""
    import numba

    return getattr(numba, name)
