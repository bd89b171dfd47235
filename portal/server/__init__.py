"""Serving: the Panel apps (page and embed), extra HTTP routes and the CSP transform.

``serve`` starts Panel's Tornado server with the page at ``/``, the chrome-less
quicklook at ``/embed``, and handlers for ``/quicklook/ID/KIND.png``,
``/api/datasets`` and ``/health``. Every response carries
``Content-Security-Policy: frame-ancestors`` from the configuration.
"""
