"""Loopback servers for the remote tests: an ERDDAP replay with faults, and a DAP server.

:class:`ERDDAPReplay` answers ERDDAP URLs on 127.0.0.1 with the real responses
recorded in ../shared/data/erddap (listing, info, search, tabledap .nc/.ncCF/.csv/
.csvp, griddap .nc, error bodies). The answer depends on the path (dataset and
format), not on the constraints: the tests read the requested URLs from
``requests``. Faults are switched with :meth:`ERDDAPReplay.set_fault` and apply to
data requests (tabledap/griddap) unless ``paths`` says otherwise. The server counts
requests in progress and keeps the maximum in ``max_active``.

:class:`DapProcess` runs ``dap_server.py`` (pydap's DapServer with its fixes) in a
subprocess on an ephemeral port.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

SHARED = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared",
                                      "data"))
ERDDAP_DIR = os.path.join(SHARED, "erddap")

TABLEDAP = {
    "ArgoFloats.nc": "tabledap/ArgoFloats_box_2004-01.nc",
    "ArgoFloats-synthetic-BGC.nc": "tabledap/ArgoFloats-synthetic-BGC_box_doxy.nc",
    "pmelTao5dayIso.ncCF": "tabledap/pmelTao5dayIso_ncCF_timeseries.nc",
    "erdCinpKfmBT.csv": "tabledap/erdCinpKfmBT_2007-06-24_2007-07-01.csv",
    "amelia-20180501T0000.csvp": "tabledap/amelia-20180501T0000_glider_temperature.csvp",
}
GRIDDAP = {
    "GEBCO_2020.nc": "griddap/GEBCO_2020_subset.nc",
    "erdQMekm14day.nc": "griddap/erdQMekm14day_currents_allNaN.nc",
}
INFO = {
    "ArgoFloats": "info/ArgoFloats_info.json",
    "erdCinpKfmBT": "info/erdCinpKfmBT_info.json",
}
ERRORS = {
    "nomatch": (404, "errors/ArgoFloats-synthetic-BGC_404_no_matching_results.nc", "text/plain"),
    "html500": (500, "errors/tabledap_500_tomcat_html.html", "text/html;charset=utf-8"),
    "bad400": (400, "errors/tabledap_400_unrecognized_variable.txt", "text/plain"),
}
# No 413/429/503 bodies were recorded: these follow ERDDAP's "Error {...}" format.
SYNTHETIC = {
    "413": (413, 'Error {\n    code=413;\n    message="Payload Too Large: Your query produced '
                 'too much data.  Try to request less data.";\n}\n'),
    "429": (429, 'Error {\n    code=429;\n    message="Too Many Requests: the server is '
                 'busy, please try again later.";\n}\n'),
    "503": (503, 'Error {\n    code=503;\n    message="Service Unavailable: ERDDAP is '
                 'restarting.";\n}\n'),
}
COLUMNS = ["Row Type", "Variable Name", "Attribute Name", "Data Type", "Value"]
FAULTS = ("refuse", "hang_headers", "hang_body", "truncated", "delay", *ERRORS, *SYNTHETIC)


def read(rel: str) -> bytes:
    with open(os.path.join(ERDDAP_DIR, rel), "rb") as fh:
        return fh.read()


def synth_info(rel: str, grid: bool) -> dict:
    """ERDDAP's info table for a dataset, synthesised in ERDDAP's JSON format from its
    recorded .nc answer (no info answer was recorded for these datasets)."""
    import netCDF4
    import numpy as np

    types = {"f8": "double", "f4": "float", "i4": "int", "i2": "short", "i1": "byte"}
    rows = []

    def attrs(name, obj):
        for key in obj.ncattrs():
            value = obj.getncattr(key)
            kind = types.get(np.asarray(value).dtype.str[1:], "String")
            text = ", ".join(str(v) for v in np.ravel(value)) if kind != "String" else str(value)
            rows.append(["attribute", name, key, kind, text])

    with netCDF4.Dataset(os.path.join(ERDDAP_DIR, rel)) as nc:
        attrs("NC_GLOBAL", nc)
        if not grid:
            for name, var in nc.variables.items():
                kind = types.get(var.dtype.str[1:], "String") if var.dtype != "S1" else "String"
                rows.append(["variable", name, "", kind, ""])
                attrs(name, var)
            return {"table": {"columnNames": COLUMNS, "rows": rows}}
        for dim in nc.dimensions:
            values = nc[dim][:]
            step = float(values[-1] - values[0]) / max(len(values) - 1, 1)
            rows.append(["dimension", dim, "", types[nc[dim].dtype.str[1:]],
                         f"nValues={len(values)}, evenlySpaced=true, averageSpacing={step}"])
            attrs(dim, nc[dim])
            if "actual_range" not in nc[dim].ncattrs():
                lo, hi = float(np.min(values)), float(np.max(values))
                rows.append(["attribute", dim, "actual_range", "double", f"{lo}, {hi}"])
        for name, var in nc.variables.items():
            if name not in nc.dimensions:
                rows.append(["variable", name, "", types[var.dtype.str[1:]],
                             ", ".join(var.dimensions)])
                attrs(name, var)
    return {"table": {"columnNames": COLUMNS, "rows": rows}}


def csvp_info(rel: str) -> dict:
    """ERDDAP's info table synthesised from a recorded ``.csvp`` header (names and units)."""
    header = read(rel).split(b"\n", 1)[0].decode()
    rows = []
    for column in header.split(","):
        name, _, units = column.partition(" (")
        units = units.rstrip(")")
        kind = "double" if units == "UTC" else "float"
        rows.append(["variable", name, "", kind, ""])
        if units == "UTC":
            rows.append(["attribute", name, "standard_name", "String", "time"])
            units = "seconds since 1970-01-01T00:00:00Z"
        rows.append(["attribute", name, "units", "String", units])
    return {"table": {"columnNames": COLUMNS, "rows": rows}}


_SYNTH: dict[str, bytes] = {}


def synthesised_infos() -> dict[str, bytes]:
    """Every synthesised info answer, by dataset id, computed once in the calling thread.

    netCDF-C is not thread-safe: the server threads must never open a NetCDF file
    while the test opens another, so the answers are prepared before serving.
    """
    if not _SYNTH:
        for table, grid in ((GRIDDAP, True), (TABLEDAP, False)):
            for name, rel in table.items():
                dataset_id, ext = name.rsplit(".", 1)
                if ext == ("nc" if grid else "ncCF"):
                    info = synth_info(rel, grid=grid)
                elif ext == "csvp":
                    info = csvp_info(rel)
                else:
                    continue
                _SYNTH.setdefault(dataset_id, json.dumps(info).encode())
    return _SYNTH


@dataclass
class Seen:
    """One request the replay server received."""

    path: str
    query: str
    user_agent: str
    at: float = field(default_factory=time.monotonic)


class ERDDAPReplay:
    """The replay server (see the module docstring); use as a context manager."""

    def __init__(self) -> None:
        self.fault: str | None = None
        self.fault_count: int | None = None
        self.fault_paths: tuple[str, ...] = ("/erddap/tabledap/", "/erddap/griddap/")
        self.retry_after: str | None = None
        self.delay = 0.0
        self.requests: list[Seen] = []
        self.active = 0
        self.max_active = 0
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._infos = synthesised_infos()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/erddap"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self._server.server_port}"

    def set_fault(self, fault: str | None, count: int | None = None,
                  paths: tuple[str, ...] | None = None, retry_after: str | None = None,
                  delay: float = 0.0) -> None:
        assert fault is None or fault in FAULTS, fault
        self.fault, self.fault_count = fault, count
        self.retry_after, self.delay = retry_after, delay
        if paths is not None:
            self.fault_paths = paths

    def data_requests(self) -> list[Seen]:
        data = ("/erddap/tabledap/", "/erddap/griddap/")
        return [r for r in self.requests if r.path.startswith(data)]

    def __enter__(self) -> ERDDAPReplay:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    # -- answering ----------------------------------------------------------------------

    def take_fault(self, path: str) -> str | None:
        with self._lock:
            if self.fault is None or not path.startswith(self.fault_paths):
                return None
            if self.fault_count is not None:
                if self.fault_count <= 0:
                    return None
                self.fault_count -= 1
            return self.fault

    def answer(self, path: str, query: str) -> tuple[int, str, bytes]:
        """(status, content type, body) of a normal answer."""
        parts = path.removeprefix("/erddap/").split("/")
        if parts == ["version"]:
            return 200, "text/plain", b"ERDDAP_version=2.23\n"
        if parts[:1] == ["info"]:
            return self._info(parts[1:])
        if parts[:1] == ["search"]:
            return self._search(parts[-1], query)
        table = TABLEDAP if parts[:1] == ["tabledap"] else GRIDDAP if parts[:1] == ["griddap"] \
            else {}
        if len(parts) == 2 and parts[1] in table:
            rel = table[parts[1]]
            kind = "application/x-netcdf" if rel.endswith(".nc") else "text/csv"
            return 200, kind, read(rel)
        return 404, "text/plain", (b'Error {\n    code=404;\n    message="Not Found: '
                                   b'Resource not found: ' + path.encode() + b'";\n}\n')

    def _info(self, parts: list[str]) -> tuple[int, str, bytes]:
        if parts == ["index.json"]:
            return 200, "application/json", read("listing/erddap.ifremer.fr_info_index.json")
        if len(parts) == 2 and parts[1] == "index.json":
            if parts[0] in INFO:
                return 200, "application/json", read(INFO[parts[0]])
            if parts[0] in self._infos:
                return 200, "application/json", self._infos[parts[0]]
        if parts == ["org_cormp_cap2", "index.csv"]:
            return 200, "text/csv", read("info/org_cormp_cap2_info.csv")
        return 404, "text/plain", (b'Error {\n    code=404;\n    message="Not Found: '
                                   b'Resource not found: no such dataset";\n}\n')

    def _search(self, page: str, query: str) -> tuple[int, str, bytes]:
        term = " ".join(parse_qs(query).get("searchFor", [""])).strip().strip('"').lower()
        if term == "size" and page.endswith(".json"):
            return 200, "application/json", read("listing/search_size.json")
        if term == "sea_water_temperature" and page.endswith(".csv"):
            return 200, "text/csv", read("listing/search_sea_water_temperature.csv")
        return 404, "text/plain", read("errors/search_404_no_results.txt")


def _handler(replay: ERDDAPReplay):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server API
            split = urlsplit(self.path)
            path, query = unquote(split.path), split.query
            with replay._lock:
                replay.requests.append(Seen(path, query, self.headers.get("User-Agent", "")))
                replay.active += 1
                replay.max_active = max(replay.max_active, replay.active)
            try:
                self._serve(path, query, replay.take_fault(path))
            except (BrokenPipeError, ConnectionResetError):
                pass
            finally:
                with replay._lock:
                    replay.active -= 1

        def _send(self, status: int, ctype: str, body: bytes, length: int | None = None,
                  extra: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body) if length is None else length))
            for key, value in (extra or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def _serve(self, path: str, query: str, fault: str | None) -> None:
            if fault == "hang_headers":
                replay.release.wait(30)
                return
            if fault == "delay":
                time.sleep(replay.delay)
            status, ctype, body = replay.answer(path, unquote(query))
            if fault in ("hang_body", "truncated"):
                self._send(200, ctype, body[: len(body) // 2], length=len(body))
                if fault == "hang_body":
                    replay.release.wait(30)
                self.close_connection = True
                return
            if fault in ERRORS:
                status, rel, ctype = ERRORS[fault]
                body = read(rel)
            elif fault in SYNTHETIC:
                status, text = SYNTHETIC[fault]
                ctype, body = "text/plain;charset=UTF-8", text.encode()
            extra = {"Retry-After": replay.retry_after} if replay.retry_after and \
                fault in ("429", "503") else None
            self._send(status, ctype, body, extra=extra)

    return Handler


def closed_port() -> int:
    """A loopback port with nothing listening (connections are refused)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


class DapProcess:
    """``dap_server.py`` serving ``root`` in a subprocess; use as a context manager."""

    def __init__(self, root: str = SHARED) -> None:
        self.root = root
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> DapProcess:
        script = os.path.join(os.path.dirname(__file__), "dap_server.py")
        self.proc = subprocess.Popen([sys.executable, script, self.root], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            self.proc.kill()
            raise RuntimeError("the DAP test server did not start")
        self.port = int(line)
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
