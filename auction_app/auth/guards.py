"""Who is making this request, and the decorators that require someone.

The interface the rest of the product uses:

- current_user() -> dict | None: the user document (`_id`, `email`,
  `display_name`, `role`, `disabled_at`) plus `session_jti` and `session_id`.
- login_required / admin_required: view decorators. HTML requests are sent
  to the sign-in page with `next`; /api/* requests get 401/403 JSON.
- user_from_socket(auth, environ): the same check for a Socket.IO handshake.
- issue_session(user, user_agent, ip) -> str: a new session JWT (tests use it
  to sign in quickly).

Credentials: `Authorization: Bearer <jwt>` (API clients) or the HttpOnly
session cookie (browsers). When a Bearer header is present the cookie is
ignored, which is also why Bearer requests are exempt from CSRF checks.
"""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode

from flask import current_app, redirect, request
from werkzeug.http import parse_cookie

from auction_app.auth import sessions
from auction_app.auth.schemas import SocketAuth
from auction_app.errors import ApiError, wants_json
from auction_app.validation import validate
from auction_app.security import state

_UNSET = object()


def bearer_token() -> str | None:
    """The token of an `Authorization: Bearer` header, or None when there is none."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def uses_bearer() -> bool:
    return bool(request.headers.get("Authorization", "").lower().startswith("bearer "))


def current_user() -> dict | None:
    """The signed-in user of this request (cached per request), or None."""
    cached = state().get("_auth_user", _UNSET)
    if cached is not _UNSET:
        return cached
    user = None
    if uses_bearer():
        state().auth_via = "bearer"
        token = bearer_token()
        user = sessions.authenticate(token) if token else None
    else:
        cookie = request.cookies.get(current_app.config["SESSION_COOKIE_NAME"])
        if cookie:
            state().auth_via = "cookie"
            user = sessions.authenticate(cookie)
            if user is None:
                state().clear_session_cookie = True  # stale, revoked or forged: drop it from the browser
    state()._auth_user = user
    return user


def _sign_in_url() -> str:
    target = request.full_path if request.query_string else request.path
    return "/auth/sign-in?" + urlencode({"next": target})


def _refuse_anonymous():
    if request.path.startswith("/api/") or wants_json():
        raise ApiError("not_signed_in", "Please sign in to continue.", 401)
    return redirect(_sign_in_url(), code=303 if request.method != "GET" else 302)


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_user() is None:
            return _refuse_anonymous()
        return view(*args, **kwargs)

    return wrapper


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        user = current_user()
        if user is None:
            return _refuse_anonymous()
        if user.get("role") != "admin":
            raise ApiError("forbidden", "Only administrators can do that.", 403)
        return view(*args, **kwargs)

    return wrapper


def user_from_socket(auth: dict | None, environ) -> dict | None:
    """The user of a Socket.IO handshake, or None.

    The token comes from `auth={"token": ...}` or else the session cookie sent
    with the handshake. Same checks as HTTP: signature, allow-listed algorithm,
    expiry, session not revoked, user not disabled. A malformed `auth` payload
    raises ApiError (code invalid_request) so the caller can refuse clearly.
    """
    token = None
    if auth is not None:
        token = validate(SocketAuth, auth).token
    if not token:
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        token = cookies.get(current_app.config["SESSION_COOKIE_NAME"])
    if not token:
        return None
    return sessions.authenticate(token)


def issue_session(user: dict, user_agent: str | None, ip: str | None) -> str:
    """Start a session for `user` and return its JWT (for a cookie or a Bearer header)."""
    token, _session = sessions.start(user, user_agent, ip)
    return token
