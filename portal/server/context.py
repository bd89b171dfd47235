"""Shared read-only state of a running server: settings and the loaded catalog, reloadable.

The catalog is held per process by a :class:`CatalogHolder` (kept with
``pn.state.as_cached``, one per set of catalog files): every call of :func:`catalog`
compares the files' modification times with those of the loaded version (a few
``stat`` calls) and reloads when one changed or after ``SIGHUP``
(:func:`install_sighup`). A new catalog is only swapped in when it loads; a broken
file keeps the previous catalog serving, logs why, and :func:`catalog_state` reports
it for ``/health``. Sessions already open keep the catalog they started with (a
:class:`~portal.catalog.loader.Catalog` is never changed after loading); new
sessions and requests get the new one. Every session builds its own widgets.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from dataclasses import dataclass

from portal.catalog.loader import Catalog, load_catalog
from portal.settings import Settings, current

log = logging.getLogger(__name__)


def settings() -> Settings:
    """The settings of this process (see :func:`portal.settings.current`)."""
    return current()


def catalog_files() -> tuple[str, ...]:
    """The catalog files to load (the demo catalog prepared once per process)."""
    import panel as pn

    from portal.demo.home import prepare_catalogs

    files = settings().catalogs
    return pn.state.as_cached(f"portal-catalog-files:{files!r}",
                              functools.partial(prepare_catalogs, files))


def _mtimes(files: tuple[str, ...]) -> tuple[int, ...]:
    out = []
    for path in files:
        try:
            out.append(os.stat(path).st_mtime_ns)
        except OSError:
            out.append(-1)
    return tuple(out)


@dataclass(frozen=True)
class CatalogState:
    """What ``/health`` says about the catalog: when loaded, what was left out, and the
    error of the last reload that failed (``""`` once a reload succeeds)."""

    files: tuple[str, ...]
    datasets: int
    loaded_at: float
    skipped: tuple[str, ...]
    reload_error: str


class CatalogHolder:
    """The catalog of one set of files in this process, reloaded when they change."""

    def __init__(self, files: tuple[str, ...]) -> None:
        self.files = files
        self._lock = threading.Lock()
        self._stamp = _mtimes(files)
        self._catalog = load_catalog(list(files))  # the first load must succeed
        self._loaded_at = time.time()
        self._error = ""
        self._forced = False

    def request_reload(self) -> None:
        """Reload on the next :meth:`get` even if no file changed (``SIGHUP``)."""
        self._forced = True

    def get(self) -> Catalog:
        """The current catalog, reloaded first when a file changed or a reload was asked."""
        stamp = _mtimes(self.files)
        if stamp != self._stamp or self._forced:
            with self._lock:
                if stamp != self._stamp or self._forced:
                    self._reload(stamp)
        return self._catalog

    def _reload(self, stamp: tuple[int, ...]) -> None:
        self._stamp, self._forced = stamp, False
        try:
            fresh = load_catalog(list(self.files))
        except Exception as exc:  # noqa: BLE001 - any failure keeps the previous catalog
            self._error = f"{type(exc).__name__}: {exc}"
            log.error("catalog reload failed, still serving the previous %d datasets: %s",
                      len(self._catalog), self._error)
            return
        self._catalog, self._loaded_at, self._error = fresh, time.time(), ""
        log.info("catalog reloaded: %d datasets from %s", len(fresh), ", ".join(self.files))

    def state(self) -> CatalogState:
        cat = self._catalog
        return CatalogState(self.files, len(cat), self._loaded_at, tuple(cat.skipped),
                            self._error)


def holder() -> CatalogHolder:
    """This process's holder for the configured catalog files."""
    import panel as pn

    files = catalog_files()
    return pn.state.as_cached(f"portal-catalog:{files!r}", lambda: CatalogHolder(files))


def catalog() -> Catalog:
    """The server's catalog (loaded once per process, reloaded when its files change)."""
    return holder().get()


def catalog_state() -> CatalogState:
    """The catalog's load state for ``/health`` (reloads first if a file changed)."""
    h = holder()
    h.get()
    return h.state()


def request_reload() -> None:
    """Make every catalog holder of this process reload on its next use (creates none)."""
    import panel as pn

    for item in list(pn.state.cache.values()):  # as_cached stores (value, expiry)
        value = item[0] if isinstance(item, tuple) and item else item
        if isinstance(value, CatalogHolder):
            value.request_reload()


def install_sighup() -> None:
    """Reload the catalog on ``SIGHUP`` (main thread only; nothing where there is none)."""
    import signal

    if not hasattr(signal, "SIGHUP") or threading.current_thread() is not threading.main_thread():
        return

    def on_hup(signum, frame) -> None:  # only sets flags on existing holders
        request_reload()

    signal.signal(signal.SIGHUP, on_hup)
