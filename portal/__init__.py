"""ODATIS quicklook portal.

Reads Intake catalogs pointing at local NetCDF/ODV files (and, later, ERDDAP and
OPeNDAP servers) and renders quicklooks (maps, profiles, time series) through one
builder shared by the web page, the iframe embed and the PNG renderer. Importing
``portal`` is deliberately light: heavy libraries (xarray, holoviews, panel,
datashader) are imported inside the functions that need them.

Import rule of the package: the light modules at the bottom (``model``, ``query``,
``errors``, ``settings``, ``text``, ``cache``, ``vocab``) are imported at module level
everywhere; a function-local import of another ``portal`` module is there because that
module loads a heavy library at its top (xarray, pandas, HoloViews, Panel, Bokeh), so that
``import portal``, the CLI and the fast PNG path do not pay for it — never to hide an
import cycle (``../shared/tools/import_cycles.py portal`` reports none).
"""

__version__ = "0.1.0"

from portal.errors import (  # noqa: F401  (public API)
    CatalogError,
    NoDataInSelection,
    PortalError,
    SourceUnavailable,
    UnsupportedQuicklook,
)
