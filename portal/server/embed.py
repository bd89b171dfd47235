"""The chrome-less quicklook as a plain Panel app, served at ``/embed``.

``panel serve portal/server/app.py portal/server/embed.py --index app --plugins
portal.server.plugin`` serves the page at ``/`` and this app at ``/embed``, as
``odatis-portal serve`` does. Configure with ``PORTAL_CATALOGS`` like ``app.py``.
"""

import panel as pn

from portal.server.serve import embed_app, skip_mathjax

pn.extension(loading_indicator=True)
skip_mathjax()
embed_app().servable()
