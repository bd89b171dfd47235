"""Redirects: followed on the same host, refused to another host with both names."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class _Handler(BaseHTTPRequestHandler):
    target = ""  # where /away redirects

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path.startswith("/away"):
            self.send_response(302)
            self.send_header("Location", self.target + "/secret")
            self.end_headers()
        elif self.path.startswith("/here"):
            self.send_response(301)
            self.send_header("Location", "/final")
            self.end_headers()
        else:
            body = f"body of {self.path}".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def servers():
    """The trusted server on 127.0.0.1 and an 'internal' one reached as localhost."""
    trusted = ThreadingHTTPServer(("127.0.0.1", 0), type("H1", (_Handler,), {}))
    internal = ThreadingHTTPServer(("127.0.0.1", 0), type("H2", (_Handler,), {}))
    trusted.RequestHandlerClass.target = f"http://localhost:{internal.server_port}"
    for srv in (trusted, internal):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{trusted.server_port}", f"localhost:{internal.server_port}"
    for srv in (trusted, internal):
        srv.shutdown()
        srv.server_close()


def test_same_host_redirect_is_followed(servers):
    from portal.remote.http import fetch

    assert fetch(f"{servers[0]}/here", use_cache=False).text == "body of /final"


def test_redirect_to_another_host_is_refused(servers):
    from portal.remote.hosts import UpstreamError
    from portal.remote.http import fetch

    base, other = servers
    with pytest.raises(UpstreamError) as info:
        fetch(f"{base}/away", use_cache=False)
    message = str(info.value)
    assert base.split("//")[1] in message and other in message and "refused" in message


def test_from_erddap_names_both_hosts(servers, tmp_path, capsys):
    from portal.cli import main

    base, other = servers
    status = main(["catalog", "from-erddap", f"{base}/away/erddap", "-o", str(tmp_path / "c.yaml")])
    err = capsys.readouterr().err
    assert status == 1 and other in err and base.split("//")[1] in err, err
    assert not (tmp_path / "c.yaml").exists()
