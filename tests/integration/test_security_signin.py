"""Sign-in limits that hold (issue 10, items 1, 2 and 6).

- The per-email limit keys on exactly the address the link is sent to.
- Per-address limits see the member's own address behind a real reverse proxy
  (Debian's nginx, started here), never the proxy's, and a spoofed
  X-Forwarded-For changes nothing.
- A clubhouse of 30 members on one Wi-Fi can all sign in on auction night.
- A deeply nested JSON body is a clear 400 on every JSON endpoint, and still
  counts against the sign-in limit.
"""
from __future__ import annotations

import http.client
import json
import re
import uuid

import pytest

from tests.support import services
from tests.support.nginx import PROXY_ADDRESS, start_nginx

CODE_RE = re.compile(r"code instead: (\d{3}) (\d{3})")


def new_email(prefix="member") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


# --- Item 1: the per-email limit keys on the normalised address -----------------------------

def test_padding_or_recasing_an_address_never_gets_a_fresh_quota_of_links(client, db):
    email = new_email("victim")
    variants = [email, " " * 330 + email, email.upper(), "\t" + email + "  ", " " * 330 + email,
                email.title() + " " * 400]
    statuses = [client.post("/api/auth/request-link", json={"email": v}).status_code for v in variants]
    assert statuses == [202, 202, 202, 429, 429, 429]
    # Exactly three links (and three 6-digit codes with their tries) exist for the victim.
    assert db.login_tokens.count_documents({"email": email}) == 3
    refused = client.post("/api/auth/request-link", json={"email": " " * 330 + email})
    assert refused.get_json()["error"]["message"].startswith("You've asked for 3 sign-in links in the last hour.")
    assert int(refused.headers["Retry-After"]) > 0


def test_the_sign_in_form_shares_the_same_per_email_limit(client, db):
    email = new_email("form")
    client.get("/auth/sign-in")
    token = client.get_cookie("csrf_token").value
    for _ in range(3):
        assert client.post("/api/auth/request-link", json={"email": "  " + email.upper()}).status_code == 202
    page = client.post("/auth/sign-in", data={"email": " " * 300 + email, "csrf_token": token})
    assert page.status_code == 429
    assert b"You&#39;ve asked for 3 sign-in links in the last hour." in page.data
    assert db.login_tokens.count_documents({"email": email}) == 3


# --- Item 6: deeply nested JSON -------------------------------------------------------------

def _deep(depth: int = 5000) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("method, path", [
    ("post", "/api/auth/request-link"), ("post", "/api/auth/code"), ("post", "/api/auth/verify"),
    ("patch", "/api/account"), ("post", "/api/leagues"),
])
def test_deeply_nested_json_is_a_clear_400_on_json_endpoints(app, db, method, path):
    from tests.support.factories import bearer, make_user

    client = app.test_client()
    body = '{"email": ' + _deep() + "}"
    response = getattr(client, method)(path, data=body, content_type="application/json",
                                       headers=bearer(app, make_user(db)))
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    error = response.get_json()["error"]
    assert error["code"] == "invalid_request"
    assert error["message"] == "That request is nested too deeply for us to read."


def test_nested_bodies_still_count_against_the_sign_in_limit(client):
    remaining = []
    for _ in range(3):
        response = client.post("/api/auth/request-link", data='{"email": ' + _deep() + "}",
                               content_type="application/json")
        assert response.status_code == 400
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining[0] > remaining[1] > remaining[2]


# --- Item 2: a clubhouse on one Wi-Fi -------------------------------------------------------

def test_thirty_members_on_one_wifi_can_all_sign_in_on_auction_night(app, worker, mail_capture):
    """Every request comes from the same address (the test client's 127.0.0.1), as from a club's router."""
    client = app.test_client()
    members = [new_email(f"club{i:02d}") for i in range(30)]
    for email in members:
        response = client.post("/api/auth/request-link", json={"email": email})
        assert response.status_code == 202, (email, response.get_json())
    for email in members:
        mail = mail_capture.wait_for(email, subject_contains="sign-in link", timeout=60)
        code = "".join(CODE_RE.search(mail.text).groups())
        response = client.post("/api/auth/code", json={"email": email, "code": code})
        assert response.status_code == 200, (email, response.get_json())
        assert response.get_json()["user"]["email"] == email


# --- Item 2: behind a real reverse proxy ----------------------------------------------------

@pytest.fixture(scope="module")
def proxied(service_env, workdir, app):
    """A web process trusting one proxy hop, with a small per-address limit, behind nginx."""
    public_port = services.free_port()
    env = dict(service_env, TRUSTED_PROXIES="1", SIGN_IN_LINKS_PER_IP_PER_HOUR="5",
               PUBLIC_BASE_URL=f"http://127.0.0.1:{public_port}")
    web_proc, web_base = services.start_web(env, workdir, name="web-proxied")
    nginx_proc, base = start_nginx(workdir, [web_base], port=public_port)
    yield base
    services.stop_process(nginx_proc)
    services.stop_process(web_proc)


def _post_from(base: str, source: str, path: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    """A request from a given local address (127.0.0.x), as from a different member's machine."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), source_address=(source, 0), timeout=20)
    try:
        conn.request("POST", path, body=json.dumps(body),
                     headers={"Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        conn.close()


def test_behind_the_proxy_the_app_records_the_members_address_not_the_proxys(proxied, db):
    email = new_email("behind-proxy")
    status, _ = _post_from(proxied, "127.0.0.3", "/api/auth/request-link", {"email": email},
                           headers={"X-Forwarded-For": "6.6.6.6"})  # a forged header from the member
    assert status == 202
    recorded = db.login_tokens.find_one({"email": email})["requested_ip"]
    assert recorded == "127.0.0.3"
    assert recorded not in (PROXY_ADDRESS, "6.6.6.6")


def test_behind_the_proxy_one_noisy_machine_does_not_block_everyone_else(proxied):
    for i in range(5):
        status, _ = _post_from(proxied, "127.0.0.5", "/api/auth/request-link", {"email": new_email(f"noisy{i}")})
        assert status == 202
    status, body = _post_from(proxied, "127.0.0.5", "/api/auth/request-link", {"email": new_email("noisy")})
    assert status == 429 and body["error"]["code"] == "rate_limited"
    assert "from your network" in body["error"]["message"]
    # Forging X-Forwarded-For does not buy the noisy machine a new quota...
    status, _ = _post_from(proxied, "127.0.0.5", "/api/auth/request-link", {"email": new_email("noisy")},
                           headers={"X-Forwarded-For": "203.0.113.9"})
    assert status == 429
    # ...and another member, behind the same proxy, still gets a link.
    status, _ = _post_from(proxied, "127.0.0.6", "/api/auth/request-link", {"email": new_email("neighbour")})
    assert status == 202


def test_realtime_works_through_the_proxy(proxied, app, db):
    import socketio

    from tests.support.factories import make_user, session_token

    client = socketio.Client(reconnection=False)
    client.connect(proxied, auth={"token": session_token(app, make_user(db))}, transports=["websocket"],
                   wait_timeout=10)
    try:
        assert client.connected and client.transport() == "websocket"
    finally:
        client.disconnect()
