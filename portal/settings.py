"""Portal configuration: one frozen :class:`Settings` read from a YAML file and the environment.

Precedence, lowest first: the defaults below, the YAML file named by ``PORTAL_CONFIG``
(``odatis-portal serve --config FILE`` sets it), the ``PORTAL_*`` environment variables,
and command-line flags (``serve`` writes them back to the environment, so forked
processes and plain ``panel serve portal/server/app.py`` agree). The file holds the
field names below as keys, ``limits:`` and ``remote:`` as mappings of their own fields::

    catalogs: [/srv/catalogs/argo.yaml]
    png_cache_bytes: 268435456
    limits: {max_image_px: 3000}
    remote: {retries: 3, cache_ttl_s: 3600}
    login: {issuer: https://idp.example.org/realms/odatis, client_id: portal}

``login:`` turns on OpenID Connect sign-in (:class:`LoginConfig`; secrets are better
given as ``PORTAL_LOGIN_CLIENT_SECRET``, ``PORTAL_COOKIE_SECRET`` and
``PORTAL_OAUTH_ENCRYPTION_KEY``).

:func:`current` returns the settings for the present environment (parsed once per
distinct set of ``PORTAL_*`` values and config-file version); settings are constant
after start and shared safely by sessions. A malformed value raises :class:`ConfigError`
naming the variable or key.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from portal.errors import BadParameter, ConfigError


@dataclass(frozen=True)
class Limits:
    """The one table of request limits: every output (page, embed, PNG, CLI) checks these."""

    min_image_px: int = 100
    max_image_px: int = 4000          # width or height of a rendered image
    max_points: int = 1_000_000       # rows of observations drawn as points
    max_cells: int = 50_000_000       # cells of a gridded selection read at once
    max_variables: int = 4            # variables in one request
    max_download_rows: int = 10_000_000   # rows of one download (CSV or NetCDF)
    max_download_cells: int = 50_000_000  # cells of one gridded download

    def check_image(self, width: int, height: int) -> None:
        """Raise :class:`BadParameter` (a ``ValueError``) naming the allowed range when a
        size is outside it."""
        lo, hi = self.min_image_px, self.max_image_px
        if not (lo <= width <= hi and lo <= height <= hi):
            raise BadParameter(f"width and height must be between {lo} and {hi} pixels")


# ----------------------------------------------------------------- remote section

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


def _env_number(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number",
                           hint=f"unset it or use e.g. {default:g}") from None
    if value < minimum:
        raise ConfigError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def _timeouts(env: Mapping[str, str], base: RemoteConfig) -> tuple[float, float]:
    raw = env.get("PORTAL_HTTP_TIMEOUT", "").strip()
    if not raw:
        return base.connect_timeout, base.read_timeout
    parts = [p for p in raw.replace(";", ",").split(",") if p.strip()]
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) not in (1, 2) or min(values) <= 0:
        raise ConfigError(f"PORTAL_HTTP_TIMEOUT={raw!r} is not 'connect,read' seconds",
                           hint="for example PORTAL_HTTP_TIMEOUT=10,60")
    return values[0], values[-1]


def remote_config(env: Mapping[str, str] | None = None,
                  base: RemoteConfig | None = None) -> RemoteConfig:
    """Settings from ``env`` over ``base`` (the config file's values, else the defaults);
    without ``env``, the ``remote`` section of :func:`portal.settings.current`."""
    if env is None:
        return current().remote
    d = base or RemoteConfig()
    connect, read = _timeouts(env, d)
    oversize = env.get("PORTAL_OPENDAP_OVERSIZE", "").strip().lower() or d.opendap_oversize
    if oversize not in ("stride", "refuse"):
        raise ConfigError(f"PORTAL_OPENDAP_OVERSIZE={oversize!r}", hint="use stride or refuse")
    return RemoteConfig(
        connect_timeout=connect,
        read_timeout=read,
        total_timeout=_env_number(env, "PORTAL_HTTP_TOTAL_TIMEOUT", d.total_timeout, 0.1),
        retries=int(_env_number(env, "PORTAL_HTTP_RETRIES", d.retries)),
        backoff_s=_env_number(env, "PORTAL_HTTP_BACKOFF_S", d.backoff_s),
        retry_max_wait_s=_env_number(env, "PORTAL_HTTP_RETRY_MAX_WAIT_S", d.retry_max_wait_s),
        max_per_host=int(_env_number(env, "PORTAL_MAX_PER_HOST", d.max_per_host, 1)),
        queue_max=int(_env_number(env, "PORTAL_QUEUE_MAX", d.queue_max)),
        queue_wait_s=_env_number(env, "PORTAL_QUEUE_WAIT_S", d.queue_wait_s),
        host_failures=int(_env_number(env, "PORTAL_HOST_FAILURES", d.host_failures, 1)),
        host_retry_s=_env_number(env, "PORTAL_HOST_RETRY_S", d.host_retry_s),
        cache_dir=env.get("PORTAL_CACHE_DIR", "").strip() or d.cache_dir,
        cache_size_mb=_env_number(env, "PORTAL_CACHE_SIZE_MB", d.cache_size_mb),
        cache_ttl_s=_env_number(env, "PORTAL_CACHE_TTL_S", d.cache_ttl_s),
        contact=env.get("PORTAL_CONTACT", "").strip() or d.contact,
        download_max_mb=_env_number(env, "PORTAL_DOWNLOAD_MAX_MB", d.download_max_mb, 0.001),
        opendap_max_mb=_env_number(env, "PORTAL_OPENDAP_MAX_MB", d.opendap_max_mb, 0.001),
        opendap_oversize=oversize,
    )


@dataclass(frozen=True)
class LoginConfig:
    """OpenID Connect sign-in (off while ``issuer`` is empty).

    The endpoints come from the issuer's discovery document unless given; ``roles_claim``
    names the identity-token claim that holds the user's roles or groups (a list, or a
    text split on commas and spaces); ``user_claim`` the claim shown as the user's name.
    Personal API tokens are kept (hashed) under ``state_dir``, at most
    ``max_tokens_per_user`` per user.
    """

    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    cookie_secret: str = ""
    encryption_key: str = ""
    roles_claim: str = "groups"
    user_claim: str = "email"
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    authorize_url: str = ""
    token_url: str = ""
    userinfo_url: str = ""
    logout_url: str = ""
    state_dir: str = ""
    max_tokens_per_user: int = 10
    expiry_days: float = 1.0

    @property
    def enabled(self) -> bool:
        return bool(self.issuer.strip() or self.authorize_url.strip())


#: LoginConfig field -> environment variable
_LOGIN_ENV = {"issuer": "PORTAL_LOGIN_ISSUER", "client_id": "PORTAL_LOGIN_CLIENT_ID",
              "client_secret": "PORTAL_LOGIN_CLIENT_SECRET",
              "cookie_secret": "PORTAL_COOKIE_SECRET",
              "encryption_key": "PORTAL_OAUTH_ENCRYPTION_KEY",
              "roles_claim": "PORTAL_LOGIN_ROLES_CLAIM", "user_claim": "PORTAL_LOGIN_USER_CLAIM",
              "state_dir": "PORTAL_STATE_DIR"}


def login_config(env: Mapping[str, str], base: LoginConfig) -> LoginConfig:
    """``base`` (the config file's ``login:`` section) with the ``PORTAL_LOGIN_*``,
    ``PORTAL_COOKIE_SECRET``, ``PORTAL_OAUTH_ENCRYPTION_KEY`` and ``PORTAL_STATE_DIR``
    variables over it."""
    updates: dict[str, Any] = {name: raw for name, var in _LOGIN_ENV.items()
                               if (raw := env.get(var, "").strip())}
    return dataclasses.replace(base, **updates)


def default_data_dir(env: Mapping[str, str]) -> str:
    """``$XDG_DATA_HOME/odatis-portal``, else ``~/.local/share/odatis-portal``."""
    base = env.get("XDG_DATA_HOME") or os.path.join("~", ".local", "share")
    return os.path.join(os.path.expanduser(base), "odatis-portal")


@dataclass(frozen=True)
class Settings:
    """What an administrator configures (catalogs, embedding, computing, caches, limits)."""

    catalogs: tuple[str, ...] = ()
    embed_origins: tuple[str, ...] = ()
    dask_scheduler: str | None = None
    layout: str = "portal"
    data_dir: str = ""                       # writable: generated demo data (XDG default)
    demo_scale: float = 1.0                  # size of generated demo data (CI: ~0.01)
    png_cache_bytes: int = 256 * 2**20       # rendered PNGs kept in memory, per process
    data_cache_bytes: int = 1024 * 2**20     # opened and normalised data, per process
    remote_ttl_s: float = 300.0              # how long a remote dataset's version is trusted
    pointstore_max_points: int | None = None
    pointstore_threads: int = 0              # 0: one per CPU
    pointstore_cache_bytes: int = 6 * 2**30
    public_url: str = ""                     # e.g. https://www.odatis-ocean.fr (no path)
    prefix: str = ""                         # URL path the portal is served under, e.g. /portail
    config_file: str = ""
    limits: Limits = field(default_factory=Limits)
    remote: RemoteConfig = field(default_factory=RemoteConfig)
    login: LoginConfig = field(default_factory=LoginConfig)

    @property
    def state_path(self) -> str:
        """Where the server keeps what it writes at run time (API tokens): the login's
        ``state_dir``, else ``state`` under the data folder."""
        return os.path.abspath(os.path.expanduser(
            self.login.state_dir or os.path.join(self.data_path, "state")))

    @property
    def data_path(self) -> str:
        """The writable data folder, absolute."""
        return os.path.abspath(os.path.expanduser(self.data_dir or default_data_dir({})))

    @property
    def base_path(self) -> str:
        """The prefix as a path: ``/portail`` (no trailing slash), or ``""`` at the root."""
        path = self.prefix.strip().strip("/")
        return f"/{path}" if path else ""

    def link(self, path: str) -> str:
        """A URL of the portal for ``path`` (``/quicklook/…``): the public URL and prefix
        when a public URL is configured, else the path under the prefix. Never built from
        a request's ``Host`` header."""
        return self.public_url.strip().rstrip("/") + self.base_path + path

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, config_file: str | None = None
             ) -> Settings:
        """Settings from the config file (``config_file``, else ``PORTAL_CONFIG``) and
        ``env`` (default ``os.environ``)."""
        env = os.environ if env is None else env
        path = config_file if config_file is not None else env.get("PORTAL_CONFIG", "")
        values = _read_file(path) if path else {}
        limits = _section(Limits, values.pop("limits", {}), "limits")
        remote = _section(RemoteConfig, values.pop("remote", {}), "remote")
        login = _section(LoginConfig, values.pop("login", {}), "login")
        base = _section(cls, values, "")
        updates = {name: parse(raw, name, var) for name, (var, parse) in _ENV.items()
                   if (raw := env.get(var, "").strip())}
        updates.setdefault("data_dir", base.data_dir or default_data_dir(env))
        return dataclasses.replace(base, limits=limits, remote=remote_config(env, remote),
                                   login=login_config(env, login),
                                   config_file=os.path.abspath(path) if path else "", **updates)

    from_env = load  # the former name

    def to_env(self) -> dict[str, str]:
        """The ``PORTAL_*`` variables that reproduce the command-line part of these settings."""
        env = {"PORTAL_CATALOGS": os.pathsep.join(self.catalogs),
               "PORTAL_EMBED_ORIGINS": " ".join(self.embed_origins),
               "PORTAL_LAYOUT": self.layout}
        if self.dask_scheduler:
            env["PORTAL_DASK_SCHEDULER"] = self.dask_scheduler
        for name, var in (("public_url", "PORTAL_PUBLIC_URL"), ("prefix", "PORTAL_PREFIX")):
            if getattr(self, name):
                env[var] = getattr(self, name)
        if self.config_file:
            env["PORTAL_CONFIG"] = self.config_file
        return env


def _split(sep: str | None) -> Callable[[str, str, str], tuple[str, ...]]:
    return lambda raw, name, var: tuple(p.strip() for p in raw.split(sep) if p.strip())


def _number(cast: type) -> Callable[[str, str, str], Any]:
    def parse(raw: str, name: str, var: str) -> Any:
        try:
            value = cast(float(raw))
        except ValueError:
            raise ConfigError(f"{var}={raw!r} is not a number", hint="unset it or fix it") from None
        if value < 0:
            raise ConfigError(f"{var}={raw!r} must not be negative")
        return value
    return parse


def _gigabytes(raw: str, name: str, var: str) -> int:
    return int(_number(float)(raw, name, var) * 2**30)


def _text(raw: str, name: str, var: str) -> str:
    return raw


#: field -> (environment variable, parser of its text)
_ENV: dict[str, tuple[str, Callable[[str, str, str], Any]]] = {
    "catalogs": ("PORTAL_CATALOGS", _split(os.pathsep)),
    "embed_origins": ("PORTAL_EMBED_ORIGINS", _split(None)),
    "dask_scheduler": ("PORTAL_DASK_SCHEDULER", _text),
    "layout": ("PORTAL_LAYOUT", _text),
    "public_url": ("PORTAL_PUBLIC_URL", _text),
    "prefix": ("PORTAL_PREFIX", _text),
    "data_dir": ("PORTAL_DATA_DIR", _text),
    "demo_scale": ("PORTAL_DEMO_SCALE", _number(float)),
    "png_cache_bytes": ("PORTAL_PNG_CACHE_BYTES", _number(int)),
    "data_cache_bytes": ("PORTAL_DATA_CACHE_BYTES", _number(int)),
    "remote_ttl_s": ("PORTAL_REMOTE_TTL_S", _number(float)),
    "pointstore_max_points": ("PORTAL_POINTSTORE_MAX_POINTS", _number(int)),
    "pointstore_threads": ("PORTAL_POINTSTORE_THREADS", _number(int)),
    "pointstore_cache_bytes": ("PORTAL_POINTSTORE_CACHE_GB", _gigabytes),
}


def _read_file(path: str) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"config file {path} cannot be read ({type(exc).__name__})",
                          hint="fix PORTAL_CONFIG or --config") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} is not a mapping of settings")
    return dict(data)


def _section(cls: type, values: Any, prefix: str) -> Any:
    """``cls`` built from a mapping of the config file, checking names and value types."""
    if not isinstance(values, dict):
        raise ConfigError(f"config key {prefix!r} must be a mapping")
    known = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        if key not in known or key in ("limits", "remote", "login", "config_file"):
            raise ConfigError(f"unknown config key {name!r}",
                              hint=f"known keys: {', '.join(sorted(known))}")
        default = getattr(cls(), key)
        if isinstance(default, tuple):
            value = tuple(value) if isinstance(value, list | tuple) else (str(value),)
        elif isinstance(default, bool | int | float) and not isinstance(value, int | float):
            raise ConfigError(f"config key {name!r} must be a number, got {value!r}")
        kwargs[key] = value
    return cls(**kwargs)


def current() -> Settings:
    """The settings for the present ``PORTAL_*`` environment and config file."""
    env = tuple(sorted((k, v) for k, v in os.environ.items()
                       if k.startswith(("PORTAL_", "XDG_DATA_HOME"))))
    path = dict(env).get("PORTAL_CONFIG", "")
    try:
        version = os.stat(path).st_mtime_ns if path else 0
    except OSError:
        version = -1
    return _load_cached(env, version)


@functools.lru_cache(maxsize=8)
def _load_cached(env: tuple[tuple[str, str], ...], version: int) -> Settings:
    return Settings.load(dict(env))


def asset_url(name: str) -> str:
    """The browser path of a static file under the prefix: ``portal.css`` gives
    ``/portail/assets/portal.css``; a root-relative path (``/assets/logo.svg`` from a
    layout file) gets the prefix; an absolute URL (``https://…``) is kept."""
    if "://" in name:
        return name
    return current().base_path + (name if name.startswith("/") else f"/assets/{name}")


def frame_ancestors(settings: Settings) -> str:
    """The CSP ``frame-ancestors`` value: 'self' plus the configured embedding origins."""
    return " ".join(("'self'", *settings.embed_origins))


def login_links(settings: Settings, next_path: str = "/") -> dict[str, str]:
    """Sign-in (back to ``next_path``), sign-out and API-token page URLs."""
    import urllib.parse

    nxt = urllib.parse.quote(settings.base_path + next_path, safe="/")
    return {"login": settings.link(f"/login?next={nxt}"), "logout": settings.link("/logout"),
            "tokens": settings.link("/account/tokens")}
