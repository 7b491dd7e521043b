"""Scale (issue 11): several web processes behind nginx configured like the ingress, and the
per-process connection limit. Real gunicorn + gevent processes, Debian's nginx, real sockets."""
from __future__ import annotations

import gc
import re
from datetime import datetime, timezone

import pytest
import requests
import socketio
from flask import request
from flask.ctx import RequestContext
from werkzeug.test import EnvironBuilder

from auction_app.effects import carry_out
from auction_app.services import auction_engine as engine
from tests.support import services
from tests.support.auction_clients import RoomClient
from tests.support.factories import make_league, make_user, session_token
from tests.support.nginx import AFFINITY_COOKIE, start_nginx

pytestmark = pytest.mark.slow


def metric(base: str, name: str) -> float:
    """A figure an operator reads on a web process's /metrics."""
    text = requests.get(base + "/metrics", timeout=10).text
    return float(re.search(rf"^{name} (\S+)$", text, re.M).group(1))


def open_sockets(base: str) -> int:
    return int(metric(base, "socketio_connections"))


@pytest.fixture(scope="module")
def two_webs_behind_nginx(service_env, workdir):
    """Two web processes behind nginx with the ingress's cookie affinity; yields (public URL, [web URLs])."""
    public_port = services.free_port()
    env = dict(service_env, TRUSTED_PROXIES="1", PUBLIC_BASE_URL=f"http://127.0.0.1:{public_port}")
    webs = [services.start_web(env, workdir, name=f"web-scale-{i}") for i in range(2)]
    nginx_proc, base = start_nginx(workdir, [b for _, b in webs], affinity="cookie", port=public_port)
    yield base, [b for _, b in webs]
    services.stop_process(nginx_proc)
    for proc, _ in webs:
        services.stop_process(proc)


def test_two_web_processes_behind_nginx_share_one_room_over_both_transports(app, db, worker,
                                                                             two_webs_behind_nginx):
    base, webs = two_webs_behind_nginx
    league, users = make_league(db, members=6, budget=1000, roster_slots=1, lot_seconds=120, bid_clock_seconds=30)
    with app.app_context():
        auction, effects = engine.start(db, league, users[0]["_id"], datetime.now(timezone.utc))
        carry_out(effects)
    before = [open_sockets(w) for w in webs]
    # Half the members on long-polling (each poll is a new HTTP request: only affinity keeps them on
    # the process that holds their session), half on WebSocket.
    clients = []
    for i, user in enumerate(users):
        client = RoomClient(base, token=session_token(app, user), name=f"m{i}")
        client.connect(transports=("polling",) if i % 2 else ("websocket",))
        clients.append(client)
    try:
        for client in clients:
            client.join(auction["_id"])
        added = [open_sockets(w) - b for w, b in zip(webs, before)]
        # nginx spread the members over both processes, and every one of them is counted once.
        assert sum(added) == len(clients)
        assert all(n > 0 for n in added), added
        polling = [c for c in clients if c.sio.transport() == "polling"]
        assert polling and all(AFFINITY_COOKIE in c.sio.eio.http.cookies for c in polling)

        lot_id = clients[0].snapshot["lot"]["id"]
        price = clients[0].snapshot["lot"]["price"] or 0
        amounts = []
        for bidder in clients:  # each member outbids the last one, whichever process either is on
            price += 1
            ack = bidder.bid(price, lot_id=lot_id)
            assert ack["ok"], ack
            amounts.append(price)
        for client in clients:
            client.wait_for("bid_accepted", lambda p: p["bid"]["amount"] == amounts[-1])
            seen = sorted(p["bid"]["amount"] for p in client.received("bid_accepted"))
            assert seen == amounts, (client.name, seen)
            assert client.gaps == 0
    finally:
        for client in clients:
            client.disconnect()


def stale_rereads(base: str) -> float:
    """Changes on this web process decided on a copy of the auction another process had changed."""
    return metric(base, "auction_stale_state_rereads_total")


def test_bids_alternating_between_two_web_processes_do_not_re_read_the_auction(app, db, two_webs_behind_nginx):
    """Each process decides a bid on its cached copy of the auction. Without the states the
    other process commits being shared, every bid here found that copy out of date and read
    the auction again (after a refused decision or a failed write)."""
    base, webs = two_webs_behind_nginx
    league, (a, b) = make_league(db, members=2, budget=1000, roster_slots=1, lot_seconds=120, bid_clock_seconds=30)
    with app.app_context():
        auction, effects = engine.start(db, league, a["_id"], datetime.now(timezone.utc))
        carry_out(effects)
    # Straight to each process (polling: a direct WebSocket would need the proxy's headers).
    on_a = RoomClient(webs[0], token=session_token(app, a), name="on process A").connect(("polling",), origin=base)
    on_b = RoomClient(webs[1], token=session_token(app, b), name="on process B").connect(("polling",), origin=base)
    try:
        on_a.join(auction["_id"])
        on_b.join(auction["_id"])
        lot_id, price = on_a.snapshot["lot"]["id"], on_a.snapshot["lot"]["price"] or 0
        before = sum(stale_rereads(w) for w in webs)
        for i in range(20):
            price += 1
            ack = (on_a, on_b)[i % 2].bid(price, lot_id=lot_id)
            assert ack["ok"] and not ack["duplicate"], ack
        stale = sum(stale_rereads(w) for w in webs) - before
        assert stale <= 3, f"{stale:.0f} of 20 bids were decided on a copy the other process had changed"
        for client in (on_a, on_b):
            client.wait_for("bid_accepted", lambda p: p["bid"]["amount"] == price)
            assert client.gaps == 0
    finally:
        on_a.disconnect()
        on_b.disconnect()


def test_a_web_process_refuses_the_socket_beyond_its_limit_with_a_clear_error(app, db, service_env, workdir):
    port = services.free_port()
    env = dict(service_env, WEB_CONNECTIONS="3", PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    proc, base = services.start_web(env, workdir, name="web-limit", port=port, worker_connections=50)
    tokens = [session_token(app, make_user(db)) for _ in range(4)]
    connected = []
    try:
        for token in tokens[:3]:
            client = socketio.Client(reconnection=False)
            client.connect(base, auth={"token": token}, transports=["websocket"], wait_timeout=10)
            connected.append(client)
        assert open_sockets(base) == 3

        errors = []
        fourth = socketio.Client(reconnection=False)
        fourth.on("connect_error", errors.append)
        with pytest.raises(socketio.exceptions.ConnectionError):
            fourth.connect(base, auth={"token": tokens[3]}, transports=["websocket"], wait_timeout=10)
        full = "This auction server is full right now. Please try again in a minute."
        assert errors == [{"message": full, "data": {"code": "server_full", "message": full,
                                                     "retry_after_ms": 20000}}]
        assert open_sockets(base) == 3
        assert metric(base, "socketio_connections_limit") == 3  # beside the count: how full, for the alert
        assert re.search(r"^socketio_connections_refused_total 1\.0$", requests.get(base + "/metrics").text, re.M)

        connected.pop().disconnect()  # a place frees up: the same member gets in
        again = socketio.Client(reconnection=False)
        again.connect(base, auth={"token": tokens[3]}, transports=["websocket"], wait_timeout=10)
        connected.append(again)
        assert open_sockets(base) == 3
    finally:
        for client in connected:
            client.disconnect()
        services.stop_process(proc)


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_a_socket_io_event_leaves_nothing_for_the_garbage_collector(app, transport):
    """Flask-SocketIO builds a Flask request context for every Socket.IO event, from the
    connection's first request (the Engine.IO path). Matching that path used to raise NotFound
    and keep it on the request: the exception's traceback held the frames holding the
    context, a cycle only the collector frees. At 5,000 sockets that was one collection of
    ~48,000 objects, the whole web process stopped for 135 ms, every 30 s of bidding."""
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade"} if transport == "websocket" else {}
    handshake = EnvironBuilder(path="/socket.io/", query_string=f"EIO=4&transport={transport}",
                               headers=upgrade).get_environ()
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        for _ in range(20):
            with app.request_context(handshake):
                assert request.routing_exception is None
        gc.collect()
        kept = [type(o).__name__ for o in gc.garbage if isinstance(o, (RequestContext, BaseException))]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert kept == [], f"{len(kept)} request contexts and exceptions were left in reference cycles"


def negotiated_compression(base: str) -> str | None:
    """Open the Engine.IO WebSocket offering permessage-deflate as every browser does;
    the extension the server answered with (None: it declined)."""
    import base64
    import os
    import socket
    from urllib.parse import urlparse

    url = urlparse(base)
    key = base64.b64encode(os.urandom(16)).decode()
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {url.netloc}\r\n"
                      f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                      "Sec-WebSocket-Version: 13\r\n"
                      "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n").encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(4096)
    head = answer.split(b"\r\n\r\n", 1)[0].decode()
    assert head.startswith("HTTP/1.1 101"), head
    found = re.search(r"^sec-websocket-extensions: *(.+?)\s*$", head, re.M | re.I)
    return found.group(1) if found else None


def test_sockets_are_not_compressed_unless_the_operator_turns_it_on(web, service_env, workdir):
    """Every browser offers permessage-deflate, and the WebSocket server under python-engineio
    always took it up: a zlib compressor of 110-150 KB per socket (+500-700 MB at 5,000
    members on one process) and CPU for every event to every member (docs/performance.md)."""
    assert negotiated_compression(web) is None

    port = services.free_port()
    env = dict(service_env, WEBSOCKET_COMPRESSION="true", PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    proc, base = services.start_web(env, workdir, name="web-deflate", port=port)
    try:
        assert negotiated_compression(base).startswith("permessage-deflate")
    finally:
        services.stop_process(proc)
