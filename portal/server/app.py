"""The portal page as a plain Panel app: ``panel serve portal/server/app.py``.

Configure with ``PORTAL_CATALOGS`` (files separated by ':'); add the embed app, the
extra routes and the security headers with ``portal/server/embed.py --index app
--plugins portal.server.plugin`` (see :mod:`portal.server.plugin`).
"""

import panel as pn

from portal.server.serve import page_app, skip_mathjax

pn.extension(loading_indicator=True)
skip_mathjax()
page_app().servable()
