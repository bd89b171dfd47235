"""Shared read-only state of a running server: settings and the loaded catalog.

Both are cached process-wide with ``pn.state.as_cached`` (read-only data shared by
sessions); every session builds its own widgets and state objects.
"""

from __future__ import annotations

import functools

from portal.catalog.loader import Catalog, load_catalog
from portal.settings import Settings, current


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


def catalog() -> Catalog:
    """The server's catalog, loaded once per process."""
    import panel as pn

    files = catalog_files()
    return pn.state.as_cached("portal-catalog", lambda files: load_catalog(list(files)),
                              files=files)
