"""Security headers on every response and CSRF protection for browser writes.

CSRF (double submit): a random `csrf_token` cookie (readable by our own
scripts, not HttpOnly) must be echoed in the `X-CSRF-Token` header or a
`csrf_token` form field, compared in constant time. It is required for every
unsafe request (POST/PUT/PATCH/DELETE) that carries the session cookie, and
for unauthenticated requests whose body a cross-site HTML form could send
(form-encoded, multipart, text/plain: this stops "login CSRF"). Exempt:
requests with `Authorization: Bearer` (a browser never attaches one to a
cross-site request) and cookie-less JSON requests (a cross-site page cannot
send `Content-Type: application/json` without a CORS preflight, which we
never grant).

Bound to the session (ASVS 5.0 V3): while a browser is signed in with the
session cookie, the token is HMAC(SECRET_KEY, session jti), so a token read
or planted before sign-in, or taken from another session, is refused; it
changes at every sign-in and dies with the session. Signed-out forms (sign-in,
code, link confirmation) keep the random double-submit token.

Also: Flask's own session is never read from or written to a cookie. The
product keeps nothing in it over HTTP, and its cookie would share the
SESSION_COOKIE_NAME setting with the session JWT.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from flask import current_app, request
from flask.sessions import SecureCookieSession, SessionInterface

from auction_app.errors import ApiError

CSRF_COOKIE = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
_CSRF_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
# Content types a cross-site <form> (or a no-cors fetch) can send without a preflight.
FORM_TYPES = {"", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
    "object-src 'none'"
)
# Pages that show a member's account or carry a sign-in token: never cached, never referred.
PRIVATE_PREFIXES = ("/auth/", "/account", "/admin", "/api/auth/", "/api/account", "/api/admin")
TOKEN_PAGES = ("/auth/",)

class _RequestState(dict):
    """Per-request scratch values (attribute access). Kept on the request's WSGI
    environ rather than flask.g, because g belongs to the app context, which can
    outlive a request (a test holding an app context shares g across requests)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value


def state() -> _RequestState:
    return request.environ.setdefault("auction.request_state", _RequestState())


CSRF_MESSAGE = ("This form has expired or didn't come from this site, so we didn't act on it. "
                "Please go back, reload the page and try again.")


class _NoCookieSession(SessionInterface):
    """Flask's session, empty at every request and never stored in a cookie.

    Sign-in is the session JWT (auction_app.auth.sessions); nothing uses flask.session over
    HTTP. Socket.IO handlers keep their connection's user on Flask-SocketIO's own copy of
    it, made at connect. Opening a signed cookie for every Socket.IO event cost the bid
    path ~0.1 ms (docs/performance.md, sixth session)."""

    def open_session(self, app, request) -> SecureCookieSession:
        return SecureCookieSession()

    def save_session(self, app, session, response) -> None:
        return None


def session_csrf_token(jti: str) -> str:
    """The CSRF token of one session: 43 URL-safe characters, like a random token."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"csrf:{jti}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _cookie_session_jti() -> str | None:
    """The jti of this request's session cookie (signature and expiry checked, no database read)."""
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return None
    cookie = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"])
    if not cookie:
        return None
    from auction_app.auth.sessions import decode

    claims = decode(cookie)
    return claims["jti"] if claims else None


def csrf_token() -> str:
    """The CSRF token for this browser (Jinja global). Set as a cookie on the response if new."""
    token = state().get("_csrf_token")
    if token:
        return token
    existing = request.cookies.get(CSRF_COOKIE, "")
    jti = _cookie_session_jti()
    if jti:
        token = session_csrf_token(jti)
        if existing != token:
            state()._csrf_new = True
    elif _CSRF_RE.fullmatch(existing):
        token = existing
    else:
        token = secrets.token_urlsafe(32)
        state()._csrf_new = True
    state()._csrf_token = token
    return token


def rotate_csrf_token(session_jwt: str | None = None) -> str:
    """A fresh token on sign-in (bound to the new session), so a token planted before it is useless."""
    from auction_app.auth.sessions import decode

    claims = decode(session_jwt) if session_jwt else None
    token = session_csrf_token(claims["jti"]) if claims else secrets.token_urlsafe(32)
    state()._csrf_token = token
    state()._csrf_new = True
    return token


def csrf_required() -> bool:
    if request.method in SAFE_METHODS:
        return False
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return False
    if request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]):
        return True
    return request.mimetype in FORM_TYPES


def _submitted_csrf() -> str:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form.get(CSRF_FIELD, "")
    return ""


def check_csrf() -> None:
    if not csrf_required():
        return
    submitted = _submitted_csrf()
    jti = _cookie_session_jti()
    # Signed in: the token of THIS session. Signed out: the double-submit cookie.
    expected = session_csrf_token(jti) if jti else request.cookies.get(CSRF_COOKIE, "")
    if not (_CSRF_RE.fullmatch(expected) and submitted
            and hmac.compare_digest(expected.encode(), submitted.encode()[:256])):
        raise ApiError("csrf_failed", CSRF_MESSAGE, 403)


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    path = request.path
    if path.startswith(TOKEN_PAGES) or state().get("no_referrer"):
        headers["Referrer-Policy"] = "no-referrer"
    else:
        headers.setdefault("Referrer-Policy", "same-origin")
    if path.startswith(PRIVATE_PREFIXES) or state().get("private_page"):
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if current_app.config["PUBLIC_BASE_URL"].startswith("https://"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if not state().get("session_cookie_set") and _cookie_session_jti():
        csrf_token()  # a signed-in browser always holds its session's token (scripts read the cookie)
    if state().get("_csrf_new"):
        response.set_cookie(CSRF_COOKIE, state()._csrf_token, max_age=7 * 86400, httponly=False,
                            secure=current_app.config["SESSION_COOKIE_SECURE"], samesite="Lax", path="/")
    return response


def init_app(app) -> None:
    app.session_interface = _NoCookieSession()
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.before_request(check_csrf)
    app.after_request(add_security_headers)
