"""The portal page as a plain Panel app: ``panel serve portal/server/app.py``.

Configure with ``PORTAL_CATALOGS`` (files separated by ':'); add the extra routes
with ``--plugins portal.server.handlers``. ``odatis-portal serve`` is the usual
way: it adds the embed app, the routes and the frame-ancestors header itself.
"""

import panel as pn

from portal.server.serve import page_app, skip_mathjax

pn.extension(loading_indicator=True)
skip_mathjax()
page_app().servable()
