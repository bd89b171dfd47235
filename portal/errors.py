"""Error hierarchy of the portal, each class with the HTTP status it answers with.

Every error a user can meet derives from :class:`PortalError`; its message says
what happened, to which dataset or file, and what to do next, and its ``http_status``
is the HTTP status the server answers with (bad parameter 400, unknown dataset 404,
no data 404, too large 413, upstream server down 502 or 504, a local file that
cannot be read or a bad configuration 500). The CLI prints ``str(error)``; the HTTP
endpoints and the page show :func:`public_message`, which never shows server paths.
Any other exception is a bug: 500 with a generic message, traceback in the log.
"""

from __future__ import annotations

import re


class PortalError(Exception):
    """Base class: a problem the user can understand and act on."""

    http_status: int = 500  # the HTTP status a server answers with

    def __init__(self, message: str, *, dataset: str | None = None, hint: str | None = None):
        self.dataset = dataset
        self.hint = hint
        self.reason = message
        text = f"{dataset}: {message}" if dataset else message
        if hint:
            text = f"{text} — {hint}"
        super().__init__(text)


class BadParameter(PortalError, ValueError):
    """A request or command-line parameter that cannot be used; the message names it (400).

    Also a ``ValueError``, so code that validated with ``ValueError`` keeps working.
    """

    http_status = 400

    def __init__(self, message: str, *, parameter: str | None = None, hint: str | None = None):
        self.parameter = parameter
        super().__init__(message, hint=hint)


class CatalogError(PortalError):
    """The catalog file or one of its entries is invalid (a server-side problem, 500)."""


class DatasetNotFound(CatalogError):
    """No dataset with this id in the catalog (404)."""

    http_status = 404


class ConfigError(CatalogError):
    """A setting (environment variable or config file value) is malformed (500)."""


class SourceUnavailable(PortalError):
    """A dataset's local file or store cannot be read (missing, corrupt): 500, not 502."""


class UpstreamUnavailable(SourceUnavailable):
    """The remote server behind a dataset is down or answers with an error (502)."""

    http_status = 502


class UpstreamTimeout(UpstreamUnavailable):
    """The remote server behind a dataset did not answer in time (504)."""

    http_status = 504


class NoDataInSelection(PortalError):
    """The dataset is readable, but the requested selection holds no valid values (404)."""

    http_status = 404


class UnsupportedQuicklook(PortalError):
    """The requested quicklook or variable does not apply to this dataset (400)."""

    http_status = 400


class SelectionTooLarge(PortalError):
    """The requested selection is larger than the configured limits allow (413)."""

    http_status = 413


GENERIC_MESSAGE = "internal error: the portal could not answer this request (it has been logged)"

# A local path: starts where a URL cannot (not after ':', '/', '.', a word character or
# '}'), e.g. '/srv/data/x.nc', '../data/x.nc', '~/x.nc'; group 1 is its directory part.
_PATH = re.compile(r"(?<![\w:/.}\-])((?:~|\.{1,2})?/(?:[^\s'\"/<>]+/)*)([^\s'\"/<>,;:)]*)")
_CATALOG_DIR = re.compile(r"\{CATALOG_DIR\}/(?:[^\s'\"/<>]+/)*")


def _strip(match: re.Match[str]) -> str:
    folder, name = match.group(1), match.group(2)
    deep = folder.count("/") >= 3 or not folder.startswith("/")
    if deep or "." in name.strip("."):  # a file or a deep folder: keep the last name only
        return name
    return match.group(0)  # '/api/datasets', '/health': routes, not server paths


def strip_paths(text: str) -> str:
    """``text`` with the directories of local paths removed (file names are kept)."""
    return _PATH.sub(_strip, _CATALOG_DIR.sub("", text))


def status_of(exc: BaseException) -> int:
    """The HTTP status for ``exc``: its ``http_status``, 500 for anything unexpected."""
    return exc.http_status if isinstance(exc, PortalError) else 500


def public_message(exc: BaseException) -> str:
    """What a visitor may read about ``exc``: the portal message without server paths,
    or a generic message for an unexpected exception (whose text may hold anything)."""
    if isinstance(exc, PortalError):
        return strip_paths(str(exc))
    return GENERIC_MESSAGE
