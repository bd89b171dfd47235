"""Synthetic demo data: labelled files in real layouts, a point store, and the demo catalog.

``files`` writes the NetCDF demo files and the catalog, ``argo`` the Argo floats,
``points`` the Coriolis-like point store; ``ncwrite`` holds what they share;
``home`` generates missing demo files when the demo catalog is loaded.
Every title starts with ``[SYNTHETIC DEMO]``.
"""

from portal.demo.files import (  # noqa: F401
    DEFAULT_CATALOG,
    DEFAULT_DATA_DIR,
    DEMO_FILES,
    MOORING_SAMPLES,
    POINTS_DIR,
    POINTS_ID,
    build_demo_catalog,
    ensure_demo,
    land_mask,
    write_glider,
    write_mooring,
    write_sst,
)
from portal.demo.home import ensure_demo_catalog, prepare_catalogs  # noqa: F401
from portal.demo.ncwrite import COMMENT, TITLE_PREFIX  # noqa: F401
