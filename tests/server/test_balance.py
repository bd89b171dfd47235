"""``--num-procs``: a page accepted by a busier worker is built by the least loaded one.

Which requests move (page and embed ``GET`` only, not their websocket or a PNG), which
sibling takes them, the load a worker counts for a sibling it just handed pages to, and a
real connection handed over a Unix channel and served from the received descriptor.
"""

from __future__ import annotations

import socket

from portal.server.balance import (
    SENT_WINDOW_S,
    STALE_S,
    Balancer,
    _hand_off,
    _peek_page,
    _receive,
    handoff_channels,
    is_page_request,
    pick_sibling,
    shared_loads,
)


def test_only_page_and_embed_requests_move():
    assert is_page_request(b"GET / HTTP/1.1\r\nHost: x\r\n")
    assert is_page_request(b"GET /?dataset=demo_sst_biscay&kind=map HTTP/1.1\r\n")
    assert is_page_request(b"GET /embed?dataset=a HTTP/1.1\r\n")
    assert not is_page_request(b"GET /ws?bokeh-session-id=x HTTP/1.1\r\n")  # its websocket
    assert not is_page_request(b"GET /quicklook/a/map.png?width=300 HTTP/1.1\r\n")
    assert not is_page_request(b"POST / HTTP/1.1\r\n")
    assert not is_page_request(b"\x16\x03\x01\x02\x00")  # a TLS handshake
    assert not is_page_request(b"GET /")  # the request line not complete yet
    assert is_page_request(b"GET /portail/?dataset=a HTTP/1.1\r\n", "/portail")
    assert is_page_request(b"GET /portail HTTP/1.1\r\n", "/portail/")
    assert not is_page_request(b"GET /?dataset=a HTTP/1.1\r\n", "/portail")


def test_a_page_goes_to_the_least_loaded_fresh_sibling_only():
    now = 100.0
    assert pick_sibling(3, [(1, 2, now), (2, 1, now - 0.1)], now) == 2
    assert pick_sibling(1, [(1, 1, now)], now) is None  # as loaded: it stays
    assert pick_sibling(3, [(1, 0, now - STALE_S - 0.1)], now) is None  # silent: busy or gone
    assert pick_sibling(3, [(1, 0, now - STALE_S - 1), (2, 2, now)], now) == 2
    assert pick_sibling(3, [], now) is None


def test_pages_handed_to_a_sibling_count_until_it_writes_its_load():
    clock = {"t": 10.0}
    loads = shared_loads(2)
    assert shared_loads(1) is None and handoff_channels(1) == []
    sessions = {"n": 2}
    worker = Balancer(loads, 0, lambda: sessions["n"], clock=lambda: clock["t"])
    worker.building = 1
    worker.publish()
    assert list(loads[0:2]) == [3.0, 10.0]
    loads[2], loads[3] = 1.0, 10.0  # the sibling: 1 session, written now
    assert worker.target() == 1
    clock["t"] += 0.1
    worker.handed_to(1)
    worker.handed_to(1)  # the sibling counts 3 now, not yet written: this worker keeps the next
    assert worker.siblings() == [(1, 3.0, 10.0)] and worker.target() is None
    loads[2], loads[3] = 3.0, clock["t"] + 0.05  # it wrote them: no double count
    clock["t"] += 0.1
    assert worker.siblings() == [(1, 3.0, 10.15)]
    clock["t"] += SENT_WINDOW_S + 0.1
    assert worker.siblings() == [(1, 3.0, 10.15)]


def test_a_handed_connection_is_served_from_its_descriptor():
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.create_connection(listener.getsockname(), timeout=10)
    (receive, send), _other = handoff_channels(2)
    try:
        client.sendall(b"GET /?dataset=a HTTP/1.1\r\nHost: x\r\n\r\n")
        accepted, address = listener.accept()
        for _ in range(100):  # loopback: the bytes are there within microseconds
            if _peek_page(accepted, ""):
                break
        assert _peek_page(accepted, "")  # peeked, not read: the server still parses them
        assert _hand_off(send, accepted, address)
        accepted.close()  # as the handing worker does
        served = []
        _receive(receive, lambda sock, addr: served.append((sock, addr)))
        assert [addr for _, addr in served] == [address]
        sock = served[0][0]
        assert sock.recv(64).startswith(b"GET /?dataset=a")  # the request, still unread
        sock.sendall(b"HTTP/1.1 200 OK\r\n\r\n")
        assert client.recv(64) == b"HTTP/1.1 200 OK\r\n\r\n"  # the client's own connection
        sock.close()
    finally:
        for s in (client, listener, receive, send, *_other):
            s.close()


def test_a_page_counts_from_its_accept_until_its_session_closes():
    clock = {"t": 0.0}
    sessions = {"n": 0}
    worker = Balancer(shared_loads(2), 0, lambda: sessions["n"], clock=lambda: clock["t"])
    worker.page_kept()
    worker.page_kept()  # a burst: accepted in one go, before any handler ran
    assert worker.load() == 2
    worker.page_started()  # one handler began: waiting 1, building 1
    assert worker.load() == 2 and worker.building == 1
    worker.page_done()
    sessions["n"] = 1  # built: a session now
    assert worker.load() == 2
    clock["t"] += SENT_WINDOW_S + 0.1  # the other never sent its request: it stops counting
    assert worker.load() == 1
