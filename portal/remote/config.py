"""Settings of the remote-data layer: the ``remote`` section of :class:`portal.settings.Settings`.

The code lives in :mod:`portal.settings` (the bottom layer); this module names it
for the remote layer and documents the variables.

Every value has a safe default, may be set in the config file's ``remote:`` mapping
and is overridden by the ``PORTAL_*`` environment variable below; a malformed value
raises :class:`ConfigError` naming the variable. :func:`remote_config` without
arguments returns ``portal.settings.current().remote`` (re-parsed only when the
environment changes), so tests and operators can change a setting without restarting
anything that imported this module.

====================================  ===========================================
``PORTAL_HTTP_TIMEOUT``               ``connect,read`` seconds (or one number): ``10,60``
``PORTAL_HTTP_TOTAL_TIMEOUT``         whole-response deadline, seconds: ``300``
``PORTAL_HTTP_RETRIES``               retries of 429/503 answers: ``2``
``PORTAL_HTTP_BACKOFF_S``             first back-off without Retry-After: ``0.5``
``PORTAL_HTTP_RETRY_MAX_WAIT_S``      longest Retry-After honoured: ``10``
``PORTAL_MAX_PER_HOST``               requests in flight per server: ``2``
``PORTAL_QUEUE_MAX``                  requests waiting per server: ``16``
``PORTAL_QUEUE_WAIT_S``               longest wait for a slot: ``60``
``PORTAL_HOST_FAILURES``              failures in a row marking a server down: ``2``
``PORTAL_HOST_RETRY_S``               how long a down server is not asked: ``30``
``PORTAL_CACHE_DIR``                  ``~/.cache/odatis-portal/http``
``PORTAL_CACHE_SIZE_MB``              size of each cache store: ``2048``
``PORTAL_CACHE_TTL_S``                time-to-live of cached answers: ``86400``
``PORTAL_CONTACT``                    contact in the User-Agent
``PORTAL_DOWNLOAD_MAX_MB``            largest response accepted: ``512``
``PORTAL_OPENDAP_MAX_MB``             largest gridded selection: ``200``
``PORTAL_OPENDAP_OVERSIZE``           ``stride`` or ``refuse`` above that size
====================================  ===========================================
"""

from portal.settings import DEFAULT_CONTACT, RemoteConfig, remote_config

__all__ = ["DEFAULT_CONTACT", "RemoteConfig", "remote_config"]
