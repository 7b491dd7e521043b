"""Magic-link tokens and 6-digit codes.

- The link token is 256 bits from `secrets`; only its SHA-256 is stored.
- The code is 6 digits from `secrets`; only HMAC-SHA256(SECRET_KEY, token id + code)
  is stored (a plain SHA-256 of a 6-digit number could be reversed by trying a
  million values, the key prevents that), compared in constant time.
- A token is consumed by ONE atomic conditional update (pending + unexpired →
  used), so two clicks or two processes can never both sign in with it.
- Each code attempt is counted atomically BEFORE comparing; after
  SIGN_IN_CODE_ATTEMPTS attempts the code dies (the link itself keeps working:
  it cannot be guessed).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from flask import current_app

from auction_app.clock import utcnow
from auction_app.errors import ApiError
from auction_app.repositories import database, login_tokens

TOKEN_BYTES = 32  # 256 bits


def new_link_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def hash_code(token_id: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"sign-in-code:{token_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _minutes() -> int:
    return current_app.config["MAGIC_LINK_MINUTES"]


def link_invalid() -> ApiError:
    # Also what an expired link gets once the TTL index has deleted its token.
    return ApiError("link_invalid", "This sign-in link isn't valid or has expired. Please ask for a new one.", 400)


def link_used() -> ApiError:
    return ApiError("link_used", "This sign-in link has already been used. Please ask for a new one.", 410)


def link_expired() -> ApiError:
    return ApiError("link_expired", f"This sign-in link has expired (links work for {_minutes()} minutes). "
                                    "Please ask for a new one.", 410)


def code_invalid() -> ApiError:
    return ApiError("code_invalid", "That code isn't right or has expired. Check the latest sign-in email, "
                                    "or ask for a new one.", 400)


def code_locked() -> ApiError:
    return ApiError("code_locked", "That code has been tried too many times, so it no longer works. "
                                   "Please use the link in the email, or ask for a new one.", 400)


def issue(email: str, ip: str | None) -> tuple[str, str, datetime]:
    """Create a pending token for `email`. Returns (link token, code, expires_at); only hashes are stored."""
    now = utcnow()
    token, code = new_link_token(), new_code()
    expires_at = now + timedelta(minutes=_minutes())
    login_tokens.insert(database(), token_hash=hash_token(token), code_hash_for=lambda tid: hash_code(tid, code),
                        email=email, now=now, expires_at=expires_at, ip=ip)
    return token, code, expires_at


def _explain(doc: dict | None, now: datetime) -> ApiError:
    if doc is None:
        return link_invalid()
    if doc["status"] != login_tokens.PENDING:
        return link_used()
    if doc["expires_at"] <= now:
        return link_expired()
    return link_invalid()


def peek(token: str) -> dict:
    """The pending token for the confirmation page. Reads only: a GET never consumes."""
    now = utcnow()
    doc = login_tokens.find_by_hash(database(), hash_token(token))
    if doc is None or doc["status"] != login_tokens.PENDING or doc["expires_at"] <= now:
        raise _explain(doc, now)
    return doc


def consume_link(token: str) -> str:
    """Consume a link token (atomically). Returns the email it was issued for."""
    now = utcnow()
    digest = hash_token(token)
    doc = login_tokens.consume_by_hash(database(), digest, now)
    if doc is None:
        raise _explain(login_tokens.find_by_hash(database(), digest), now)
    return doc["email"]


def consume_code(email: str, code: str) -> str:
    """Sign in with the 6-digit code sent to `email`. Returns the email on success."""
    db, now = database(), utcnow()
    max_attempts = current_app.config["SIGN_IN_CODE_ATTEMPTS"]
    candidates = login_tokens.pending_for_email(db, email, now)
    if not candidates:
        raise code_invalid()
    still_alive = False
    for candidate in candidates:
        reserved = login_tokens.reserve_code_attempt(db, candidate["_id"], now, max_attempts)
        if reserved is None:
            continue  # this code is already dead
        if hmac.compare_digest(reserved["code_hash"], hash_code(reserved["_id"], code)):
            if login_tokens.consume_by_id(db, reserved["_id"], now) is not None:
                return reserved["email"]
            continue
        if reserved["code_attempts"] < max_attempts:
            still_alive = True
    raise code_invalid() if still_alive else code_locked()
