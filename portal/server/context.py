"""Shared read-only state of a running server: settings and the loaded catalog.

Both are cached process-wide with ``pn.state.as_cached`` (read-only data shared by
sessions); every session builds its own widgets and state objects.
"""

from __future__ import annotations

from portal.catalog.loader import Catalog, load_catalog
from portal.settings import Settings


def settings() -> Settings:
    import panel as pn

    return pn.state.as_cached("portal-settings", Settings.from_env)


def catalog_files() -> tuple[str, ...]:
    files = settings().catalogs
    if files:
        return files
    from portal.demo import ensure_demo_catalog

    return (ensure_demo_catalog(),)


def catalog() -> Catalog:
    """The server's catalog, loaded once per process."""
    import panel as pn

    files = catalog_files()
    return pn.state.as_cached("portal-catalog", lambda files: load_catalog(list(files)),
                              files=files)
