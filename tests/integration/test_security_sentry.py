"""Error reports carry no personal data or secrets, and an outage does not flood them (issue 10 item 10).

The real sentry-sdk in a real web process sends to a small local ingest
server (as in test_error_reporting.py) while MongoDB is unreachable, so every
sign-in request fails with a 503 and is reported.
"""
from __future__ import annotations

import gzip
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.support import services


class _Ingest(BaseHTTPRequestHandler):
    received: list[bytes] = []
    cond = threading.Condition()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        with _Ingest.cond:
            _Ingest.received.append(body)
            _Ingest.cond.notify_all()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def _events(envelopes: list[bytes]) -> list[dict]:
    """The error events inside Sentry envelopes (not sessions or client reports)."""
    found = []
    for envelope in envelopes:
        lines = envelope.split(b"\n")
        i = 1
        while i + 1 < len(lines):
            try:
                header = json.loads(lines[i])
            except ValueError:
                i += 1
                continue
            if header.get("type") == "event":
                found.append(json.loads(lines[i + 1]))
            i += 2
    return found


@pytest.fixture
def ingest():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ingest)
    _Ingest.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def _wait_for_events(count: int, timeout: float = 20.0) -> None:
    with _Ingest.cond:
        _Ingest.cond.wait_for(lambda: len(_events(_Ingest.received)) >= count, timeout)


def test_error_reports_carry_no_emails_tokens_codes_or_cookies(service_env, workdir, ingest, app, db):
    from tests.support.factories import make_user, session_token

    session_jwt = session_token(app, make_user(db))
    email = f"victim.{uuid.uuid4().hex[:8]}@example.com"
    link_token = "Lk" + uuid.uuid4().hex + "Zq9_x-" + uuid.uuid4().hex[:4]
    code = "246813"
    dead_mongo = f"mongodb://127.0.0.1:{services.free_port()}/?directConnection=true"
    env = dict(service_env, MONGO_URL=dead_mongo, MONGO_TIMEOUT_MS="300",
               SENTRY_DSN=f"http://public@127.0.0.1:{ingest.server_port}/1", SENTRY_TRACES_SAMPLE_RATE="0")
    proc, base = services.start_web(env, workdir, name="web-sentry-scrub")
    try:
        statuses = [
            requests.post(f"{base}/api/auth/request-link", json={"email": email}, timeout=10).status_code,
            requests.get(f"{base}/auth/verify", params={"token": link_token}, timeout=10).status_code,
            requests.post(f"{base}/api/auth/code", json={"email": email, "code": code}, timeout=10).status_code,
            requests.get(f"{base}/api/leagues", headers={"Authorization": f"Bearer {session_jwt}"},
                         cookies={"auction_session": session_jwt, "csrf_token": "c" * 43}, timeout=10).status_code,
        ]
        _wait_for_events(4)
    finally:
        services.stop_process(proc)  # the SDK flushes what is left on exit
    assert statuses == [503, 503, 503, 503], "members are told the service is unavailable (and pointed at /status)"
    events = _events(_Ingest.received)
    assert len(events) == 4
    assert all(e["exception"]["values"][-1]["type"] == "ServerSelectionTimeoutError" for e in events)
    sent = b"".join(_Ingest.received)
    for secret in (email, email.split("@")[0], link_token, code, session_jwt, "c" * 43):
        assert secret.encode() not in sent, secret
    # Still useful: the route and method of each failure are there.
    paths = sorted(e["request"]["url"].split("/", 3)[3] for e in events)
    assert paths == ["api/auth/code", "api/auth/request-link", "api/leagues", "auth/verify"]


def test_a_repeating_failure_is_reported_once_not_on_every_request(service_env, workdir, ingest):
    dead_mongo = f"mongodb://127.0.0.1:{services.free_port()}/?directConnection=true"
    env = dict(service_env, MONGO_URL=dead_mongo, MONGO_TIMEOUT_MS="200",
               SENTRY_DSN=f"http://public@127.0.0.1:{ingest.server_port}/1", SENTRY_TRACES_SAMPLE_RATE="0")
    proc, base = services.start_web(env, workdir, name="web-sentry-repeat")
    try:
        for i in range(6):
            response = requests.post(f"{base}/api/auth/request-link", json={"email": f"m{i}@example.com"},
                                     timeout=10)
            assert response.status_code == 503
        # A different failure afterwards is still reported (events go out in order).
        requests.post(f"{base}/api/auth/code", json={"email": "m@example.com", "code": "111111"}, timeout=10)
        _wait_for_events(2)
    finally:
        services.stop_process(proc)
    paths = sorted(e["request"]["url"].rsplit("/", 1)[1] for e in _events(_Ingest.received))
    assert paths == ["code", "request-link"]


def test_a_day_of_one_second_sweep_failures_sends_a_handful_of_events():
    """The duplicate filter every web and worker process uses, fed the same failure every second for 24 hours."""
    from auction_app.observability import DuplicateFilter, make_before_send

    event = {"exception": {"values": [{"type": "ServerSelectionTimeoutError", "value": "127.0.0.1:27017 refused",
                                       "stacktrace": {"frames": [{"module": "workers.timers", "function": "sweep",
                                                                  "lineno": 20, "in_app": True}]}}]}}
    duplicates = DuplicateFilter(600)
    sent = sum(1 for second in range(24 * 3600) if duplicates.allow(event, now=float(second)))
    assert sent == 144  # one per 10 minutes, instead of 86,400
    print(f"\n1-second sweep failing for 24 h: {sent} events sent instead of {24 * 3600}")
    before_send = make_before_send(600)
    assert before_send(event, {}) is not None and before_send(event, {}) is None
