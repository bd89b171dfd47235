"""The one IO wrapper through which the portal talks to remote servers.

:func:`fetch` (small answers: info, listings, DAP metadata and data) and
:func:`download` (data files, returned as a cached local path) both apply the same
rules: connect and read timeouts plus a whole-response deadline; at most
``PORTAL_MAX_PER_HOST`` requests in flight per server and a bounded queue behind
them (:mod:`portal.remote.hosts`); 429 and 503 retried with back-off honouring
``Retry-After``; a disk cache with a time-to-live (:mod:`portal.remote.cache`), so a
repeated quicklook costs no upstream request; a User-Agent naming the portal and
its contact. Redirects are followed only on the URL's own host name (a redirect to
another host is refused with both names). Failures become :class:`~portal.remote.hosts.UpstreamError` (a
``SourceUnavailable`` naming the server) with the server's own message, and
ERDDAP's "no matching results" becomes :class:`~portal.errors.NoDataInSelection`.
"""

from __future__ import annotations

import email.utils
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from portal.errors import NoDataInSelection
from portal.remote import cache, hosts
from portal.remote.config import RemoteConfig, remote_config
from portal.remote.errorbody import error_message, is_no_match
from portal.remote.hosts import UpstreamError

log = logging.getLogger(__name__)

_CHUNK = 1 << 16
_ERROR_BODY_MAX = 1 << 16
_RETRY_STATUS = (429, 503)
MAX_REDIRECTS = 5
_LOCAL = threading.local()
__all__ = ["Response", "UpstreamError", "download", "fetch", "fetch_json", "host_of",
           "server_status", "reset"]


@dataclass(frozen=True)
class Response:
    """A successful answer (status 200), possibly from the cache."""

    url: str
    status: int
    content_type: str
    body: bytes
    from_cache: bool = False

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body)


def host_of(url: str) -> str:
    """``host[:port]`` of a URL: the unit of limits, health and messages."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UpstreamError(f"not an http(s) URL: {url[:80]!r}", host=parts.netloc or "?",
                            kind="invalid")
    return parts.netloc.rsplit("@", 1)[-1].lower()


def _session(cfg: RemoteConfig):
    import requests

    session = getattr(_LOCAL, "session", None)
    if session is None:
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=4, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        _LOCAL.session = session
    session.headers["User-Agent"] = cfg.user_agent
    session.max_redirects = MAX_REDIRECTS
    return session


def _connection_error(exc: Exception, host: str, cfg: RemoteConfig) -> UpstreamError:
    import requests

    text = str(exc)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return UpstreamError(f"{host} did not accept a connection within "
                             f"{cfg.connect_timeout:g} s", host=host, kind="timeout")
    if isinstance(exc, requests.exceptions.ReadTimeout) or "timed out" in text.lower():
        return UpstreamError(f"{host} did not answer within {cfg.read_timeout:g} s",
                             host=host, kind="timeout")
    broken = requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError
    if isinstance(exc, broken):
        return UpstreamError(f"{host} sent a truncated or corrupt response", host=host,
                             kind="truncated")
    if "refused" in text.lower():
        reason = "connection refused"
    elif "resolve" in text.lower() or "name or service" in text.lower():
        reason = "name not resolved: no network or unknown host"
    else:
        reason = type(exc).__name__
    return UpstreamError(f"cannot connect to {host} ({reason})", host=host, kind="refused")


def _retry_after(headers) -> float | None:
    raw = (headers.get("Retry-After") or "").strip()
    if not raw:
        return None
    if raw.isdigit():
        return float(raw)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _read_body(resp, sink: Callable[[bytes], None], deadline: float, limit: int, host: str) -> int:
    """Stream the body into ``sink``; enforce deadline, size limit and Content-Length."""
    total = 0
    for chunk in resp.iter_content(_CHUNK):
        total += len(chunk)
        if total > limit:
            raise UpstreamError(f"the answer of {host} is larger than {limit / 2**20:.0f} MB",
                                host=host, kind="too_large",
                                hint="select a shorter time range, a smaller area or fewer depths")
        if time.monotonic() > deadline:
            raise UpstreamError(f"{host} is too slow: the answer did not arrive within the "
                                "deadline", host=host, kind="timeout")
        sink(chunk)
    expected = resp.headers.get("Content-Length")
    if expected and expected.isdigit() and not resp.headers.get("Content-Encoding") \
            and total < int(expected):
        raise UpstreamError(f"{host} sent a truncated response ({total} of {expected} bytes)",
                            host=host, kind="truncated")
    return total


def _get_same_host(url: str, cfg: RemoteConfig, host: str):
    """GET following at most ``MAX_REDIRECTS`` redirects, all on the URL's own host name.

    The URL in the catalog (or typed by the operator) is trusted; a redirect elsewhere
    (an internal service, another site) is not followed: UpstreamError naming both.
    An http -> https move on the same host is followed.
    """
    from urllib.parse import urljoin

    session = _session(cfg)
    for _ in range(MAX_REDIRECTS + 1):
        resp = session.get(url, timeout=cfg.timeout, stream=True, allow_redirects=False)
        if not resp.is_redirect:
            return resp
        target = urljoin(url, resp.headers.get("Location", ""))
        resp.close()
        if urlsplit(target).scheme not in ("http", "https") or (
                (urlsplit(target).hostname or "") != (urlsplit(url).hostname or "")):
            other = urlsplit(target).netloc.rsplit("@", 1)[-1].lower() or target[:80]
            raise UpstreamError(f"{host} redirected the request to another host, {other}: "
                                "refused", host=host, kind="invalid", status=resp.status_code,
                                hint=f"use a URL on {other} directly if that server is trusted")
        url = target
    raise UpstreamError(f"{host} redirected more than {MAX_REDIRECTS} times", host=host,
                        kind="invalid")


def _attempt(url: str, cfg: RemoteConfig, host: str, sink: Callable[[bytes], None]):
    """One GET. Returns (status, content type, headers, error body or b'')."""
    import requests

    deadline = time.monotonic() + cfg.total_timeout
    try:
        resp = _get_same_host(url, cfg, host)
    except requests.exceptions.RequestException as exc:
        raise _connection_error(exc, host, cfg) from exc
    with resp:
        ctype = resp.headers.get("Content-Type", "")
        try:
            if resp.status_code != 200:
                parts: list[bytes] = []
                _read_body(resp, parts.append, deadline, _ERROR_BODY_MAX * 16, host)
                return resp.status_code, ctype, resp.headers, b"".join(parts)[:_ERROR_BODY_MAX]
            _read_body(resp, sink, deadline, int(cfg.download_max_mb * 2**20), host)
        except requests.exceptions.RequestException as exc:
            raise _connection_error(exc, host, cfg) from exc
    return 200, ctype, resp.headers, b""


def _http_error(status: int, ctype: str, body: bytes, host: str, retry_after: float | None,
                dataset: str | None) -> Exception:
    msg = error_message(body, ctype)
    detail = f": {msg}" if msg else ""
    if is_no_match(status, body):
        return NoDataInSelection("no data in this selection", dataset=dataset,
                                 hint="widen the time range, the area or the depth range")
    kinds = {413: "too_large", 429: "busy", 502: "unavailable", 503: "unavailable",
             504: "timeout"}
    texts = {
        400: (f"{host} rejected the request (HTTP 400){detail}",
              "the catalog entry may be out of date: re-harvest it"),
        404: (f"{host} has no such resource (HTTP 404){detail}",
              "the dataset may have been removed or renamed: re-harvest the catalog"),
        413: (f"{host} refused the request as too large (HTTP 413){detail}",
              "select a shorter time range, a smaller area or fewer variables"),
        429: (f"{host} is limiting the portal's requests (HTTP 429){detail}",
              f"try again in {retry_after:.0f} s" if retry_after else "try again later"),
        503: (f"{host} is unavailable (HTTP 503){detail}", "try again later"),
    }
    text, hint = texts.get(status, (f"{host} failed (HTTP {status}){detail}", "try again later"))
    return UpstreamError(text, host=host, kind=kinds.get(status, "http"), status=status,
                         dataset=dataset, hint=hint)


def _run(url: str, cfg: RemoteConfig, dataset: str | None, sink_factory,
         since: float) -> tuple[int, str, bytes]:
    """GET with slots, health checks and retries; returns (status, ctype, error body).

    ``since`` is when the caller began waiting (for another thread's identical
    request): a server that failed to answer since then is not asked again.
    """
    host = host_of(url)
    for attempt in range(cfg.retries + 1):
        hosts.check_up(host, cfg.host_failures, cfg.host_retry_s, dataset,
                       since=since if attempt == 0 else None)
        queued_at = time.monotonic()
        with hosts.slot(host, cfg.max_per_host, cfg.queue_max, cfg.queue_wait_s):
            hosts.check_up(host, cfg.host_failures, cfg.host_retry_s, dataset, since=queued_at)
            try:
                status, ctype, headers, body = _attempt(url, cfg, host, sink_factory())
            except UpstreamError as exc:
                hosts.record_failure(host, exc)
                raise UpstreamError(exc.reason, host=host, kind=exc.kind, dataset=dataset,
                                    hint=exc.hint) from exc
        wait = _retry_after(headers)
        if status in _RETRY_STATUS and attempt < cfg.retries:
            wait = cfg.backoff_s * 2**attempt if wait is None else wait
            if wait <= cfg.retry_max_wait_s:
                log.info("%s answered %s; retrying in %.1f s", host, status, wait)
                time.sleep(wait)
                continue
        break
    if status == 200 or status < 500:
        hosts.record_success(host)
    if status != 200:
        error = _http_error(status, ctype, body, host, wait, dataset)
        if isinstance(error, UpstreamError):
            hosts.record_failure(host, error)
        raise error
    return status, ctype, b""


def _cached_or_raise(cfg: RemoteConfig, url: str, dataset: str | None) -> cache.CachedBody | None:
    hit = cache.get_body(cfg, url)
    if hit is not None and hit.status != 200:
        raise NoDataInSelection("no data in this selection", dataset=dataset,
                                hint="widen the time range, the area or the depth range")
    return hit


def _remember_no_match(cfg: RemoteConfig, url: str) -> None:
    cache.put_body(cfg, url, cache.CachedBody(404, "text/plain", b"no matching results"),
                   ttl=min(cfg.cache_ttl_s, 600.0))


def fetch(url: str, *, dataset: str | None = None, use_cache: bool = True) -> Response:
    """GET a (small) answer; see the module docstring for the rules applied."""
    cfg = remote_config()
    hit = _cached_or_raise(cfg, url, dataset) if use_cache else None
    if hit is not None:
        return Response(url, hit.status, hit.content_type, hit.body, from_cache=True)
    since = time.monotonic()
    with cache.single_flight(url):
        hit = _cached_or_raise(cfg, url, dataset) if use_cache else None
        if hit is not None:
            return Response(url, hit.status, hit.content_type, hit.body, from_cache=True)
        parts: list[bytes] = []

        def sink_factory():
            parts.clear()
            return parts.append

        try:
            _, ctype, _ = _run(url, cfg, dataset, sink_factory, since)
        except NoDataInSelection:
            if use_cache:
                _remember_no_match(cfg, url)
            raise
        body = b"".join(parts)
        if use_cache:
            cache.put_body(cfg, url, cache.CachedBody(200, ctype, body))
    return Response(url, 200, ctype, body)


def fetch_json(url: str, *, dataset: str | None = None) -> Any:
    """:func:`fetch` and parse JSON (UpstreamError 'invalid' if it is not JSON)."""
    resp = fetch(url, dataset=dataset)
    try:
        return resp.json()
    except ValueError as exc:
        raise UpstreamError(f"{host_of(url)} sent an answer that is not JSON", host=host_of(url),
                            kind="invalid", dataset=dataset) from exc


def download(url: str, *, dataset: str | None = None, suffix: str = ".nc") -> str:
    """Download ``url`` into the cache folder and return the local path (cached)."""
    cfg = remote_config()
    path = cache.get_file(cfg, url, suffix)
    if path is not None:
        return path
    _cached_or_raise(cfg, url, dataset)
    final = cache.file_path(cfg, url, suffix)
    since = time.monotonic()
    with cache.single_flight(url):
        path = cache.get_file(cfg, url, suffix)
        if path is not None:
            return path
        _cached_or_raise(cfg, url, dataset)
        tmp = cache.temp_path(final)
        handle = open(tmp, "wb")

        def sink_factory():
            handle.seek(0)
            handle.truncate()
            return handle.write

        try:
            with handle:
                _run(url, cfg, dataset, sink_factory, since)
            os.replace(tmp, final)
        except NoDataInSelection:
            _remember_no_match(cfg, url)
            raise
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        cache.put_file(cfg, url, final)
    return final


def server_status() -> dict[str, dict[str, Any]]:
    """Health of every server talked to: ``{host: {reachable, error, kind, in_flight}}``.

    ``reachable`` is False while the last answer was a connection failure, a
    timeout, a truncated body or a 502/503/504; the page shows ``error`` for them.
    """
    out = {}
    for host, state in hosts.host_states().items():
        out[host] = {
            "reachable": not (state.failures and state.last_kind in UpstreamError.UNREACHABLE),
            "error": state.last_error,
            "kind": state.last_kind,
            "in_flight": hosts.in_flight(host),
        }
    return out


def reset() -> None:
    """Forget limits, health records, open cache handles and thread sessions (tests)."""
    hosts.reset()
    cache.close_all()
    session = getattr(_LOCAL, "session", None)
    if session is not None:
        session.close()
        _LOCAL.session = None
