"""ODATIS quicklook portal.

Reads Intake catalogs pointing at local NetCDF/ODV files (and, later, ERDDAP and
OPeNDAP servers) and renders quicklooks (maps, profiles, time series) through one
builder shared by the web page, the iframe embed and the PNG renderer. Importing
``portal`` is deliberately light: heavy libraries (xarray, holoviews, panel,
datashader) are imported inside the functions that need them.
"""

__version__ = "0.1.0"

from portal.errors import (  # noqa: F401  (public API)
    CatalogError,
    NoDataInSelection,
    PortalError,
    SourceUnavailable,
    UnsupportedQuicklook,
)
