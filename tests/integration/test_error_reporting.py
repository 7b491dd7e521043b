"""Errors reach Sentry when SENTRY_DSN is set, and members still get a friendly page.

A small HTTP server on localhost stands in for Sentry's ingest endpoint, so the
real sentry-sdk sends real envelopes over a real socket.
"""
import gzip
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.support import services


class _Ingest(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        _Ingest.received.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def ingest():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ingest)
    _Ingest.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_a_server_error_is_reported_to_sentry_and_the_member_sees_a_friendly_page(service_env, workdir, ingest,
                                                                                 app, db):
    from tests.support.factories import make_user, session_token

    token = session_token(app, make_user(db))
    dead_mongo = f"mongodb://127.0.0.1:{services.free_port()}/?directConnection=true"
    env = dict(service_env, MONGO_URL=dead_mongo, MONGO_TIMEOUT_MS="300", RELEASE="test-release-42",
               SENTRY_DSN=f"http://public@127.0.0.1:{ingest.server_port}/1", SENTRY_TRACES_SAMPLE_RATE="0")
    proc, base = services.start_web(env, workdir, name="web-sentry")
    try:
        response = requests.get(base + "/api/leagues", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        deadline = time.monotonic() + 10
        while not _Ingest.received and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        services.stop_process(proc)
    # A shared dependency down: a clear 503 pointing at the status page (not the proxy's error page).
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert "/status" in response.json()["error"]["message"]
    sent = b"".join(_Ingest.received)
    assert b"ServerSelectionTimeoutError" in sent
    assert b"test-release-42" in sent


def test_nothing_is_sent_without_a_dsn(app):
    from auction_app.observability import init_sentry

    assert app.config["SENTRY_DSN"] is None
    assert init_sentry(app, "web") is False
