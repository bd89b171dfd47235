"""Route pydap's DAP2 requests through the portal's HTTP wrapper.

pydap accepts a WSGI ``application`` in place of the network and sends it every
request (``.dds``, ``.das``, ``.dods?var[a:s:b]``) with the scheme and host
removed. :class:`DapProxy` is such an application bound to one catalog server: it
re-attaches that server (and only that one) and fetches through
:func:`portal.remote.http.fetch`, so OPeNDAP reads get the same timeouts,
per-server limit, retries, disk cache and readable errors as ERDDAP requests.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from portal.errors import SourceUnavailable


class DapProxy:
    """WSGI application forwarding pydap's requests to ``scheme://host`` of ``url``."""

    def __init__(self, url: str, dataset: str | None = None):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {url[:80]!r}")
        self.base = f"{parts.scheme}://{parts.netloc}"
        self.dataset = dataset

    def upstream_url(self, environ: dict) -> str:
        """The server URL of a WSGI request (path and query kept, host from the catalog)."""
        from webob import Request

        return self.base + Request(environ).path_qs

    def __call__(self, environ: dict, start_response):
        from portal.remote import http

        resp = http.fetch(self.upstream_url(environ), dataset=self.dataset)
        ctype = _with_charset(resp.content_type or "application/octet-stream", resp.body)
        start_response("200 OK", [("Content-Type", ctype),
                                  ("Content-Length", str(len(resp.body)))])
        return [resp.body]


def _with_charset(ctype: str, body: bytes) -> str:
    """``ctype`` with a charset that decodes the text part of ``body``.

    Servers label DAS/DDS ``charset=ascii`` or nothing while sending UTF-8 (or
    Latin-1) attribute text; pydap decodes with the label, so fix the label.
    """
    text = body.split(b"\nData:\n", 1)[0]
    base = ctype.split(";", 1)[0].strip()
    declared = ""
    for param in ctype.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            declared = value.strip().strip('"')
    for charset in (declared, "utf-8"):
        if not charset:
            continue
        try:
            text.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
        return f"{base}; charset={charset}"
    return f"{base}; charset=latin-1"


def check_url(url: str) -> str:
    """The catalog's DAP URL as http(s) (``dap2://`` means https); CatalogError-like if not."""
    from urllib.parse import urlsplit

    text = str(url or "").strip()
    if text.startswith("dap2://"):
        text = "https://" + text[len("dap2://"):]
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        raise SourceUnavailable(f"{text[:100]!r} is not an OPeNDAP http(s) URL",
                                hint="the catalog entry needs url: https://host/path/dataset")
    for suffix in (".html", ".dds", ".das", ".dods", ".info"):
        if parts.path.endswith(suffix) and not parts.query:
            text = text[: -len(suffix)]
    return text
