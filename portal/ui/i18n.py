"""User-interface strings: the page's view of :mod:`portal.i18n` (the one table).

The table lives at the bottom of the package so plots and the PNG route share it with
the page; this module keeps the page's imports short.
"""

from portal.i18n import LANGUAGES, STRINGS, count, negotiate, number, t, variable_name

__all__ = ["LANGUAGES", "STRINGS", "count", "negotiate", "number", "t", "variable_name"]
