"""A real OPeNDAP (DAP2) server on 127.0.0.1 serving NetCDF files: pydap's DapServer.

Run as ``python dap_server.py ROOT``: binds an ephemeral port, prints it on stdout,
serves until terminated. pydap 3.5.9's server needs three fixes to serve correct
values, applied here and nowhere else:

* ``LazyVariable.__getitem__`` reshapes every slice to the variable's full shape,
  which fails (or silently garbles) every hyperslab: reshape only when sizes match
  (see ../shared/STACK-NOTES.md);
* the DAS response encodes lines as ASCII and catches the wrong exception, so the
  first non-ASCII attribute (``0.0125°``) truncates the DAS: encode as UTF-8;
* the DAS writes numbers with ``%.6g``, so a ``_FillValue`` of -9999999 arrives as
  -1e+07 and fills are no longer masked: write floats with full precision.
"""

from __future__ import annotations

import socketserver
import sys
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import numpy as np


def _patch_pydap() -> None:
    import pydap.handlers.netcdf_handler as handler
    from netCDF4 import Dataset
    from pydap.responses import das

    def getitem(self, key):
        with Dataset(self.filepath, "r") as source:
            source.set_auto_scale(False)
            arr = np.asarray(source[self.path][key]).astype(self.dtype)
        shape = tuple(int(n) for n in np.ravel(self._reshape)) if self._reshape else ()
        if shape and arr.size == int(np.prod(shape)):
            arr = arr.reshape(shape)
        return arr

    def das_iter(self):
        for line in das.das(self.dataset):
            yield line.encode("utf-8")

    plain = das.encode

    def precise(obj):
        if isinstance(obj, float | np.floating):
            return repr(float(obj)) if np.asarray(obj).dtype == np.float64 else f"{obj:.9g}"
        return plain(obj)

    handler.LazyVariable.__getitem__ = getitem
    das.DASResponse.__iter__ = das_iter
    das.encode = precise


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:  # noqa: D401 - silence per-request logs
        pass


def main(root: str) -> None:
    _patch_pydap()
    from pydap.wsgi.app import DapServer

    server = make_server("127.0.0.1", 0, DapServer(root), server_class=_Server,
                         handler_class=_Quiet)
    print(server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
