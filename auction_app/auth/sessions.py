"""Session tokens: a signed JWT whose `jti` is recorded in the sessions collection.

Claims: sub (user id), email, jti, iat, exp (SESSION_DAYS), aud. Decoding
allows exactly one algorithm (config JWT_ALGORITHM), so "none" or a different
HMAC/RSA algorithm is refused. A token is only good while its session record
exists, is not revoked and has not expired, has been used within
SESSION_IDLE_HOURS (inactivity timeout, beside the absolute SESSION_DAYS), and
its user is not disabled.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

import jwt
from flask import current_app

from auction_app.clock import utcnow
from auction_app.repositories import sessions as sessions_repo
from auction_app.repositories import users as users_repo
from auction_app.repositories import database

AUDIENCE = "club-auction:session"
MAX_TOKEN_CHARS = 4096
USER_AGENT_CHARS = 300


def start(user: dict, user_agent: str | None, ip: str | None) -> tuple[str, dict]:
    """Record a new session for `user` and return (JWT, session document)."""
    config = current_app.config
    now = utcnow().replace(microsecond=0)
    expires_at = now + timedelta(days=config["SESSION_DAYS"])
    jti = secrets.token_urlsafe(24)
    session = sessions_repo.create(database(), user_id=user["_id"], jti=jti,
                                   user_agent=(user_agent or "Unknown device")[:USER_AGENT_CHARS],
                                   ip=ip, now=now, expires_at=expires_at)
    claims = {"sub": user["_id"], "email": user["email"], "jti": jti, "iat": now, "exp": expires_at,
              "aud": AUDIENCE}
    token = jwt.encode(claims, config["JWT_SECRET"], algorithm=config["JWT_ALGORITHM"])
    return token, session


def decode(token: str) -> dict | None:
    """Verified claims, or None for anything forged, expired, mis-typed or using another algorithm."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        return None
    config = current_app.config
    try:
        claims = jwt.decode(token, config["JWT_SECRET"], algorithms=[config["JWT_ALGORITHM"]], audience=AUDIENCE,
                            options={"require": ["exp", "iat", "jti", "sub", "aud"]})
    except jwt.InvalidTokenError:
        return None
    if not isinstance(claims.get("jti"), str) or not isinstance(claims.get("sub"), str):
        return None
    return claims


def authenticate(token: str) -> dict | None:
    """The user behind a session token (with `session_jti` and `session_id`), or None.

    Checks signature, algorithm, expiry, the session record (exists, same user,
    not revoked, not expired) and the user (exists, not disabled). Moves
    last_seen_at forward at most once per SESSION_TOUCH_SECONDS.
    """
    claims = decode(token)
    if claims is None:
        return None
    db, now = database(), utcnow()
    session = sessions_repo.get_by_jti(db, claims["jti"])
    if session is None or session["user_id"] != claims["sub"] or session.get("revoked_at"):
        return None
    if session["expires_at"] <= now or idle_too_long(session, now):
        return None
    user = users_repo.get(db, claims["sub"])
    if user is None or user.get("disabled_at"):
        return None
    _touch(db, session, now)
    return dict(user, session_jti=claims["jti"], session_id=session["_id"])


def idle_too_long(session: dict, now) -> bool:
    """Unused for longer than SESSION_IDLE_HOURS (last_seen_at moves at most once per SESSION_TOUCH_SECONDS)."""
    idle = timedelta(hours=current_app.config["SESSION_IDLE_HOURS"])
    last = session.get("last_seen_at") or session.get("created_at")
    return last is not None and now - last > idle


def _touch(db, session: dict, now) -> None:
    every = timedelta(seconds=current_app.config["SESSION_TOUCH_SECONDS"])
    if session["last_seen_at"] is None or now - session["last_seen_at"] >= every:
        sessions_repo.touch(db, session["_id"], now, every)


def set_cookie(response, token: str) -> None:
    config = current_app.config
    response.set_cookie(config["SESSION_COOKIE_NAME"], token, max_age=config["SESSION_DAYS"] * 86400,
                        httponly=True, secure=config["SESSION_COOKIE_SECURE"], samesite="Lax", path="/")


def clear_cookie(response) -> None:
    config = current_app.config
    response.delete_cookie(config["SESSION_COOKIE_NAME"], path="/", httponly=True,
                           secure=config["SESSION_COOKIE_SECURE"], samesite="Lax")


def still_valid(user: dict) -> bool:
    """Is the session a user was authenticated with still active (not revoked, not expired, user enabled)?"""
    db, now = database(), utcnow()
    session = sessions_repo.get_by_jti(db, user.get("session_jti") or "")
    if session is None or session.get("revoked_at") or session["expires_at"] <= now or idle_too_long(session, now):
        return False
    fresh = users_repo.get(db, user["_id"])
    if fresh is None or fresh.get("disabled_at"):
        return False
    _touch(db, session, now)  # a member watching an auction is using the session
    return True
