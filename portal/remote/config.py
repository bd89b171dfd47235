"""Settings of the remote-data layer, read from ``PORTAL_*`` environment variables.

Every value has a safe default; a malformed value raises :class:`CatalogError`
naming the variable. :func:`remote_config` re-reads the environment on each call
(a dozen dictionary look-ups), so tests and operators can change a setting without
restarting anything that imported this module.

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

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from portal.errors import CatalogError

DEFAULT_CONTACT = "https://www.odatis-ocean.fr"


@dataclass(frozen=True)
class RemoteConfig:
    """Resolved settings of the remote layer (see the module table)."""

    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    total_timeout: float = 300.0
    retries: int = 2
    backoff_s: float = 0.5
    retry_max_wait_s: float = 10.0
    max_per_host: int = 2
    queue_max: int = 16
    queue_wait_s: float = 60.0
    host_failures: int = 2
    host_retry_s: float = 30.0
    cache_dir: str = os.path.join("~", ".cache", "odatis-portal", "http")
    cache_size_mb: float = 2048.0
    cache_ttl_s: float = 86400.0
    contact: str = DEFAULT_CONTACT
    download_max_mb: float = 512.0
    opendap_max_mb: float = 200.0
    opendap_oversize: str = "stride"

    @property
    def timeout(self) -> tuple[float, float]:
        """``(connect, read)`` as ``requests`` takes it."""
        return (self.connect_timeout, self.read_timeout)

    @property
    def user_agent(self) -> str:
        """``odatis-portal/<version> (+<contact>)``."""
        from portal import __version__

        return f"odatis-portal/{__version__} (+{self.contact})"

    @property
    def cache_path(self) -> str:
        return os.path.abspath(os.path.expanduser(self.cache_dir))


def _number(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise CatalogError(f"{name}={raw!r} is not a number",
                           hint=f"unset it or use e.g. {default:g}") from None
    if value < minimum:
        raise CatalogError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def _timeouts(env: Mapping[str, str]) -> tuple[float, float]:
    raw = env.get("PORTAL_HTTP_TIMEOUT", "").strip()
    if not raw:
        return RemoteConfig.connect_timeout, RemoteConfig.read_timeout
    parts = [p for p in raw.replace(";", ",").split(",") if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or min(values) <= 0:
        raise CatalogError(f"PORTAL_HTTP_TIMEOUT={raw!r} is not 'connect,read' seconds",
                           hint="for example PORTAL_HTTP_TIMEOUT=10,60")
    return values[0], values[-1]


def remote_config(env: Mapping[str, str] | None = None) -> RemoteConfig:
    """Settings from ``env`` (default ``os.environ``); see the module table."""
    env = os.environ if env is None else env
    connect, read = _timeouts(env)
    oversize = env.get("PORTAL_OPENDAP_OVERSIZE", "stride").strip().lower() or "stride"
    if oversize not in ("stride", "refuse"):
        raise CatalogError(f"PORTAL_OPENDAP_OVERSIZE={oversize!r}", hint="use stride or refuse")
    d = RemoteConfig
    return RemoteConfig(
        connect_timeout=connect,
        read_timeout=read,
        total_timeout=_number(env, "PORTAL_HTTP_TOTAL_TIMEOUT", d.total_timeout, 0.1),
        retries=int(_number(env, "PORTAL_HTTP_RETRIES", d.retries)),
        backoff_s=_number(env, "PORTAL_HTTP_BACKOFF_S", d.backoff_s),
        retry_max_wait_s=_number(env, "PORTAL_HTTP_RETRY_MAX_WAIT_S", d.retry_max_wait_s),
        max_per_host=int(_number(env, "PORTAL_MAX_PER_HOST", d.max_per_host, 1)),
        queue_max=int(_number(env, "PORTAL_QUEUE_MAX", d.queue_max)),
        queue_wait_s=_number(env, "PORTAL_QUEUE_WAIT_S", d.queue_wait_s),
        host_failures=int(_number(env, "PORTAL_HOST_FAILURES", d.host_failures, 1)),
        host_retry_s=_number(env, "PORTAL_HOST_RETRY_S", d.host_retry_s),
        cache_dir=env.get("PORTAL_CACHE_DIR", "").strip() or d.cache_dir,
        cache_size_mb=_number(env, "PORTAL_CACHE_SIZE_MB", d.cache_size_mb),
        cache_ttl_s=_number(env, "PORTAL_CACHE_TTL_S", d.cache_ttl_s),
        contact=env.get("PORTAL_CONTACT", "").strip() or d.contact,
        download_max_mb=_number(env, "PORTAL_DOWNLOAD_MAX_MB", d.download_max_mb, 0.001),
        opendap_max_mb=_number(env, "PORTAL_OPENDAP_MAX_MB", d.opendap_max_mb, 0.001),
        opendap_oversize=oversize,
    )
