"""Error hierarchy of the portal.

Every error a user can meet derives from :class:`PortalError`; its message says
what happened, to which dataset or file, and what to do next. The CLI, the page
and the HTTP endpoints print ``str(error)`` and never a traceback.
"""

from __future__ import annotations


class PortalError(Exception):
    """Base class: a problem the user can understand and act on."""

    def __init__(self, message: str, *, dataset: str | None = None, hint: str | None = None):
        self.dataset = dataset
        self.hint = hint
        self.reason = message
        text = f"{dataset}: {message}" if dataset else message
        if hint:
            text = f"{text} — {hint}"
        super().__init__(text)


class CatalogError(PortalError):
    """The catalog file or one of its entries is invalid."""


class SourceUnavailable(PortalError):
    """A dataset's file or server cannot be read (missing, corrupt, unreachable)."""


class NoDataInSelection(PortalError):
    """The dataset is readable, but the requested selection holds no valid values."""


class UnsupportedQuicklook(PortalError):
    """The requested quicklook or variable does not apply to this dataset."""


class BadParameter(PortalError, ValueError):
    """A request or command-line parameter that cannot be used; the message names it (HTTP 400).

    Also a ``ValueError``, so code that validated with ``ValueError`` keeps working.
    """

    http_status = 400

    def __init__(self, message: str, *, parameter: str | None = None, hint: str | None = None):
        self.parameter = parameter
        super().__init__(message, hint=hint)
