"""Remote data access: ERDDAP and OPeNDAP servers, through one guarded HTTP layer.

``config`` reads the ``PORTAL_*`` environment variables of this layer; ``http`` is
the only module that talks to servers (timeouts, at most N requests in flight per
server, bounded queue, retries honouring ``Retry-After``, disk cache, readable
errors); ``erddap_urls`` and ``erddap_info`` are pure builders and parsers;
``sizing`` estimates and strides gridded requests (server probes for the page live
in :mod:`portal.cataloging.status`, above the sources). Nothing here touches the network at import time.
"""
