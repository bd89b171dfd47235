"""Which catalog servers answer: probes for the page and the CLI.

:func:`catalog_servers` groups a catalog's remote entries by server (each source
adapter names its cheap probe URL, see :meth:`portal.sources.base.Source.probe_url`);
:func:`probe_servers` asks each server one cheap question (ERDDAP ``/version``, an
OPeNDAP dataset's ``.dds``) in parallel, through :mod:`portal.remote.http`, and
reports every server within the connect+read timeout plus one second, even when
name resolution hangs (no network): a probe still running then is reported
unreachable. :func:`known_status` merges what normal requests already learnt.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from portal.errors import PortalError
from portal.model import DatasetEntry


@dataclass
class ServerStatus:
    """One upstream server: its probe URL, its datasets, whether it answers."""

    host: str
    probe_url: str
    datasets: list[str] = field(default_factory=list)
    reachable: bool | None = None
    message: str = ""
    seconds: float = 0.0


def _probe_url(entry: DatasetEntry) -> str | None:
    from portal.sources import get_source

    try:
        return get_source(entry.source, dataset=entry.id).probe_url(entry)
    except PortalError:
        return None


def catalog_servers(entries: Iterable[DatasetEntry]) -> dict[str, ServerStatus]:
    """Remote servers of a catalog by host, each with the ids of its datasets."""
    from portal.remote.http import host_of

    servers: dict[str, ServerStatus] = {}
    for entry in entries:
        url = _probe_url(entry)
        if url is None:
            continue
        host = host_of(url)
        servers.setdefault(host, ServerStatus(host, url)).datasets.append(entry.id)
    return servers


def _probe(status: ServerStatus) -> None:
    from portal.remote import http

    start = time.monotonic()
    try:
        http.fetch(status.probe_url, use_cache=False)
        status.reachable, status.message = True, ""
    except PortalError as exc:
        status.reachable, status.message = False, exc.reason
    status.seconds = time.monotonic() - start


def probe_servers(entries: Iterable[DatasetEntry],
                  timeout: float | None = None) -> dict[str, ServerStatus]:
    """Probe every server of ``entries`` at once; answers within ``timeout`` seconds."""
    from portal.remote.config import remote_config

    cfg = remote_config()
    limit = timeout if timeout is not None else cfg.connect_timeout + cfg.read_timeout + 1.0
    servers = catalog_servers(entries)
    threads = [threading.Thread(target=_probe, args=(s,), daemon=True) for s in servers.values()]
    deadline = time.monotonic() + limit
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    for status in servers.values():
        if status.reachable is None:
            status.reachable = False
            status.message = f"no answer within {limit:g} s"
            status.seconds = limit
    return servers


def known_status(entries: Iterable[DatasetEntry]) -> dict[str, ServerStatus]:
    """Servers of ``entries`` with what recent requests learnt (no new request)."""
    from portal.remote.http import server_status

    seen = server_status()
    servers = catalog_servers(entries)
    for host, status in servers.items():
        if host in seen:
            status.reachable = seen[host]["reachable"]
            status.message = seen[host]["error"]
    return servers
