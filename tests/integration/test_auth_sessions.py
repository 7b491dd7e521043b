"""Sessions, revocation, Socket.IO, CSRF, headers, admin (issue 3). Real services only."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone

import jwt
import pytest
import socketio

SESSION_COOKIE = "auction_session"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


def new_email(prefix="member") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


def sign_in(app, db, email=None, user_agent="pytest-device"):
    """A user and a fresh session JWT, the quick way (guards.issue_session)."""
    from auction_app.auth.guards import issue_session
    from auction_app.repositories import users

    user, _ = users.get_or_create(db, email or new_email(), datetime.now(timezone.utc))
    with app.app_context():
        token = issue_session(user, user_agent, "127.0.0.1")
    return user, token


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def browser(app, token):
    client = app.test_client()
    client.set_cookie(SESSION_COOKIE, token)
    client.get("/account")  # picks up the csrf_token cookie, like a page view would
    return client


def csrf(client):
    return client.get_cookie("csrf_token").value


def claims_of(token):
    return jwt.decode(token, options={"verify_signature": False})


def connect_socket(base, **kwargs):
    client = socketio.Client(reconnection=False)
    errors = []
    client.on("connect_error", errors.append)
    try:
        client.connect(base, transports=["websocket"], wait_timeout=10, **kwargs)
    except socketio.exceptions.ConnectionError:
        return None, errors
    return client, errors


# --- Sessions ----------------------------------------------------------------

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/17.5 Mobile/15E148 Safari/604.1")
WINDOWS_FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"


def test_session_list_shows_devices_and_this_device(app, db):
    from auction_app.repositories import users

    user, phone = sign_in(app, db, user_agent=IPHONE)
    with app.app_context():
        from auction_app.auth.guards import issue_session

        laptop = issue_session(users.get(db, user["_id"]), WINDOWS_FIREFOX, "10.0.0.2")
    client = app.test_client()
    rows = client.get("/api/account/sessions", headers=bearer(laptop)).get_json()["sessions"]
    assert {r["device"] for r in rows} == {IPHONE, WINDOWS_FIREFOX}
    assert [r["device"] for r in rows if r["current"]] == [WINDOWS_FIREFOX]

    # The page names devices in words, never with the raw User-Agent string.
    page = browser(app, phone).get("/account/sessions")
    assert page.status_code == 200
    assert re.search(rb"<strong>Safari on iPhone</strong> <span class=\"badge\">this device</span>", page.data)
    assert b"<strong>Firefox on Windows</strong>" in page.data and page.data.count(b"this device</span>") == 1
    assert b"AppleWebKit" not in page.data


def test_last_seen_is_written_at_most_once_a_minute(app, client, db):
    _user, token = sign_in(app, db)
    jti = claims_of(token)["jti"]
    before = db.sessions.find_one({"jti": jti})["last_seen_at"]
    for _ in range(3):
        assert client.get("/api/account", headers=bearer(token)).status_code == 200
    assert db.sessions.find_one({"jti": jti})["last_seen_at"] == before

    db.sessions.update_one({"jti": jti}, {"$set": {"last_seen_at": datetime.now(timezone.utc) - timedelta(minutes=2)}})
    assert client.get("/api/account", headers=bearer(token)).status_code == 200
    from auction_app.repositories.sessions import get_by_jti

    seen = get_by_jti(db, jti)["last_seen_at"]
    assert datetime.now(timezone.utc) - seen < timedelta(seconds=30)


def test_revoked_session_is_refused_over_http(app, db):
    user, token = sign_in(app, db)
    _same_user, other = sign_in(app, db, email=user["email"])
    page = browser(app, token)
    assert page.get("/account/sessions").status_code == 200

    session_id = db.sessions.find_one({"jti": claims_of(token)["jti"]})["_id"]
    client = app.test_client()
    assert client.delete(f"/api/account/sessions/{session_id}", headers=bearer(other)).status_code == 200

    refused = client.get("/api/account", headers=bearer(token))
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "not_signed_in"
    redirected = page.get("/account/sessions")
    assert redirected.status_code == 302
    assert redirected.headers["Location"] == "/auth/sign-in?next=%2Faccount%2Fsessions"
    assert page.get_cookie(SESSION_COOKIE) is None  # the dead cookie is removed from the browser
    assert client.get("/api/account", headers=bearer(other)).status_code == 200
    # Someone else's session id is not found, not revoked.
    _stranger, stranger_token = sign_in(app, db)
    other_id = db.sessions.find_one({"jti": claims_of(other)["jti"]})["_id"]
    assert client.delete(f"/api/account/sessions/{other_id}", headers=bearer(stranger_token)).status_code == 404
    assert client.get("/api/account", headers=bearer(other)).status_code == 200


def test_sign_out_everywhere(app, db):
    user, laptop = sign_in(app, db)
    _same, phone = sign_in(app, db, email=user["email"])
    page = browser(app, laptop)
    response = page.post("/account/sessions/revoke-all", data={"csrf_token": csrf(page)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/auth/sign-in?signed_out=everywhere"
    assert page.get_cookie(SESSION_COOKIE) is None
    assert b"signed out on every device" in page.get(response.headers["Location"]).data

    client = app.test_client()
    assert client.get("/api/account", headers=bearer(phone)).status_code == 401
    assert client.get("/api/account", headers=bearer(laptop)).status_code == 401


def test_sign_out_this_device(app, db):
    _user, token = sign_in(app, db)
    page = browser(app, token)
    response = page.post("/auth/sign-out", data={"csrf_token": csrf(page)})
    assert response.status_code == 303 and page.get_cookie(SESSION_COOKIE) is None
    assert app.test_client().get("/api/account", headers=bearer(token)).status_code == 401

    _user, api_token = sign_in(app, db)
    client = app.test_client()
    assert client.post("/api/auth/sign-out", headers=bearer(api_token)).get_json() == {"status": "signed_out"}
    assert client.get("/api/account", headers=bearer(api_token)).status_code == 401


def test_tokens_signed_another_way_are_refused(app, client, db):
    _user, token = sign_in(app, db)
    claims = claims_of(token)
    secret = app.config["JWT_SECRET"]
    forged = {
        "none": jwt.encode(claims, None, algorithm="none"),
        "HS512": jwt.encode(claims, secret, algorithm="HS512"),
        "wrong secret": jwt.encode(claims, "another-secret-of-enough-length-123456", algorithm="HS256"),
        "expired": jwt.encode(dict(claims, exp=datetime.now(timezone.utc) - timedelta(seconds=5)), secret,
                              algorithm="HS256"),
        "other user": jwt.encode(dict(claims, sub="someone-else"), secret, algorithm="HS256"),
        "garbage": "not.a.jwt",
    }
    for name, value in forged.items():
        assert client.get("/api/account", headers=bearer(value)).status_code == 401, name
        page = app.test_client()
        page.set_cookie(SESSION_COOKIE, value)
        assert page.get("/account").status_code == 302, name
    assert client.get("/api/account", headers=bearer(token)).status_code == 200


def test_protected_pages_send_anonymous_visitors_to_sign_in(client):
    page = client.get("/account/sessions?tab=1")
    assert page.status_code == 302
    assert page.headers["Location"] == "/auth/sign-in?next=%2Faccount%2Fsessions%3Ftab%3D1"
    api = client.get("/api/account/sessions")
    assert api.status_code == 401 and api.get_json()["error"]["code"] == "not_signed_in"


# --- Socket.IO ---------------------------------------------------------------

def test_socket_connection_without_a_session_is_refused(web):
    client, errors = connect_socket(web)
    assert client is None
    assert errors and errors[0]["data"]["code"] == "not_signed_in"

    client, errors = connect_socket(web, auth={"token": "forged.token.value"})
    assert client is None and errors[0]["data"]["code"] == "not_signed_in"

    client, errors = connect_socket(web, auth={"token": {"$ne": None}})
    assert client is None and errors[0]["data"]["code"] == "invalid_request"


def test_socket_accepts_a_session_and_refuses_it_once_revoked(app, db, web):
    user, token = sign_in(app, db)
    by_token, _ = connect_socket(web, auth={"token": token})
    assert by_token is not None and by_token.connected
    by_token.disconnect()
    by_cookie, _ = connect_socket(web, headers={"Cookie": f"{SESSION_COOKIE}={token}"})
    assert by_cookie is not None and by_cookie.connected
    by_cookie.disconnect()

    app.test_client().post("/api/account/sessions/revoke-all", headers=bearer(token))
    for kwargs in ({"auth": {"token": token}}, {"headers": {"Cookie": f"{SESSION_COOKIE}={token}"}}):
        client, errors = connect_socket(web, **kwargs)
        assert client is None and errors[0]["data"]["code"] == "not_signed_in"


# --- CSRF --------------------------------------------------------------------

def test_cookie_authenticated_write_without_csrf_token_is_refused(app, db):
    _user, token = sign_in(app, db)
    page = browser(app, token)

    refused = page.post("/account/sessions/revoke-all", data={})
    assert refused.status_code == 403
    assert b"didn&#39;t come from this site" in refused.data
    wrong = page.post("/account/sessions/revoke-all", data={"csrf_token": "x" * 43})
    assert wrong.status_code == 403
    api = page.delete("/api/account/sessions")
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "csrf_failed"
    assert page.get("/account/sessions").status_code == 200  # nothing was revoked

    with_header = page.delete("/api/account/sessions", headers={"X-CSRF-Token": csrf(page)})
    assert with_header.status_code == 200 and with_header.get_json()["revoked"] == 1


def test_bearer_requests_need_no_csrf_token_but_sign_in_forms_do(app, db):
    _user, token = sign_in(app, db)
    client = app.test_client()
    assert client.post("/api/auth/sign-out", headers=bearer(token)).status_code == 200
    # Login CSRF: a cross-site form posting an email (or a link token) is refused.
    form = client.post("/auth/sign-in", data={"email": new_email()})
    assert form.status_code == 403
    assert client.post("/auth/verify", data={"token": "a" * 43}).status_code == 403


# --- Headers -----------------------------------------------------------------

@pytest.mark.parametrize("path", ["/auth/sign-in", "/health", "/api/account", "/static/app.css", "/nowhere"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    headers = response.headers
    assert headers["Content-Security-Policy"].startswith(CSP)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] in {"same-origin", "no-referrer"}


def test_sign_in_and_account_pages_are_never_cached_and_have_no_inline_script(app, db, client):
    page = client.get("/auth/sign-in")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    _user, token = sign_in(app, db)
    account = browser(app, token).get("/account")
    assert account.headers["Cache-Control"] == "no-store"
    for body in (page.data, account.data):
        assert b"<script>" not in body and b"onclick" not in body and b"style=" not in body


# --- Admin -------------------------------------------------------------------

def test_disabled_member_cannot_sign_in_and_their_sessions_stop(app, db, worker, mail_capture, web):
    admin_email, member_email = new_email("admin"), new_email("member")
    result = app.test_cli_runner().invoke(args=["make-admin", f" {admin_email.upper()} "])
    assert result.exit_code == 0 and "is now an administrator (account created)" in result.output
    admin = db.users.find_one({"email": admin_email})
    assert admin["role"] == "admin"
    _admin, admin_token = sign_in(app, db, email=admin_email)
    member, member_token = sign_in(app, db, email=member_email)
    client = app.test_client()

    not_admin = client.post(f"/api/admin/users/{admin['_id']}/disable", headers=bearer(member_token))
    assert not_admin.status_code == 403

    found = client.get(f"/api/admin/users?email={member_email}", headers=bearer(admin_token)).get_json()
    disabled = client.post(f"/api/admin/users/{found['user']['id']}/disable", headers=bearer(admin_token))
    assert disabled.status_code == 200
    assert disabled.get_json()["revoked_sessions"] == 1 and disabled.get_json()["user"]["disabled"] is True
    assert client.get("/api/account", headers=bearer(member_token)).status_code == 401
    socket_client, errors = connect_socket(web, auth={"token": member_token})
    assert socket_client is None and errors[0]["data"]["code"] == "not_signed_in"

    assert client.post("/api/auth/request-link", json={"email": member_email}).status_code == 202
    text = mail_capture.wait_for(member_email, subject_contains="sign-in link").text
    token = re.search(r"token=([A-Za-z0-9_-]+)", text).group(1)
    refused = client.post("/api/auth/verify", json={"token": token})
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "account_disabled"

    assert client.post(f"/api/admin/users/{member['_id']}/enable", headers=bearer(admin_token)).status_code == 200
    _m, fresh = sign_in(app, db, email=member_email)
    assert client.get("/api/account", headers=bearer(fresh)).status_code == 200


def test_make_admin_promotes_an_existing_member(app, db):
    _user, _token = sign_in(app, db, email=(email := new_email()))
    result = app.test_cli_runner().invoke(args=["make-admin", email])
    assert result.exit_code == 0 and "(account created)" not in result.output
    assert db.users.find_one({"email": email})["role"] == "admin"
    bad = app.test_cli_runner().invoke(args=["make-admin", "not-an-email"])
    assert bad.exit_code != 0 and "valid email" in bad.output
