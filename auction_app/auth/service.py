"""Sign-in and session operations shared by the HTML pages and the JSON API."""
from __future__ import annotations

from flask import request

from auction_app.auth import emails, revocation, sessions, tokens
from auction_app.clock import utcnow
from auction_app.errors import ApiError
from auction_app.repositories import audit, database
from auction_app.repositories import leagues as leagues_repo
from auction_app.repositories import proxies as proxies_repo
from auction_app.repositories import sessions as sessions_repo
from auction_app.repositories import users as users_repo


def client_ip() -> str | None:
    # The member's address: with TRUSTED_PROXIES set, ProxyFix (create_app) has read X-Forwarded-For.
    return request.remote_addr


def request_link(email: str, next_path: str | None = None) -> None:
    """Issue a token and queue the email. Does exactly the same work whether or not
    an account exists (accounts are created on first sign-in), so neither the
    response nor its timing tells anyone which addresses have accounts."""
    token, code, _expires_at = tokens.issue(email, client_ip())
    emails.send_sign_in_email(email, token, code, next_path)


def account_disabled() -> ApiError:
    return ApiError("account_disabled", "This account has been disabled. If you think this is a mistake, "
                                        "please contact support.", 403)


def complete_sign_in(email: str) -> tuple[dict, str]:
    """After a link or code was consumed: the account (created on first sign-in) and a new session JWT."""
    db = database()
    user, created = users_repo.get_or_create(db, email, utcnow())
    if user.get("disabled_at"):
        raise account_disabled()
    users_repo.record_sign_in(db, user["_id"], utcnow())
    audit.record(db, None, user["_id"], "signed_up" if created else "signed_in", utcnow())
    token, _session = sessions.start(user, request.headers.get("User-Agent"), client_ip())
    return user, token


def sign_in_with_link(token: str) -> tuple[dict, str]:
    return complete_sign_in(tokens.consume_link(token))


def sign_in_with_code(email: str, code: str) -> tuple[dict, str]:
    return complete_sign_in(tokens.consume_code(email, code))


def sign_out(user: dict) -> None:
    sessions_repo.revoke_jti(database(), user["session_jti"], utcnow())
    revocation.session_revoked(user["session_jti"])


def active_sessions(user: dict) -> list[dict]:
    rows = sessions_repo.list_active(database(), user["_id"], utcnow())
    return [
        {
            "id": s["_id"],
            "device": s.get("user_agent") or "Unknown device",
            "ip": s.get("ip"),
            "created_at": s["created_at"],
            "last_seen_at": s["last_seen_at"],
            "expires_at": s["expires_at"],
            "current": s["_id"] == user.get("session_id"),
        }
        for s in rows
    ]


def revoke_session(user: dict, session_id: str | None) -> None:
    db = database()
    revoked = sessions_repo.revoke(db, user["_id"], session_id, utcnow()) if session_id else None
    if revoked is None:
        raise ApiError("session_not_found", "We couldn't find that session. It may already be signed out.", 404)
    revocation.session_revoked(revoked["jti"])


def revoke_all_sessions(user_id: str) -> int:
    count = sessions_repo.revoke_all(database(), user_id, utcnow())
    revocation.user_revoked(user_id)
    return count


def set_display_name(user: dict, name: str) -> dict:
    """The name other members see on the draft board and in results."""
    db = database()
    users_repo.set_display_name(db, user["_id"], name)
    leagues_repo.rename_member_before_start(db, user["_id"], name)
    return dict(user, display_name=name)


def public_user(user: dict) -> dict:
    return {"id": user["_id"], "email": user["email"], "display_name": user.get("display_name"),
            "role": user.get("role", users_repo.MEMBER), "disabled": bool(user.get("disabled_at"))}


def disable_user(admin: dict, user_id: str | None) -> tuple[dict, int]:
    """Disable an account and revoke every session it has."""
    db = database()
    user = users_repo.get(db, user_id) if user_id else None
    if user is None:
        raise ApiError("user_not_found", "We couldn't find that member.", 404)
    if user["_id"] == admin["_id"]:
        raise ApiError("cannot_disable_self", "You can't disable your own account.", 400)
    # Hidden maximums stop first, so the engine never bids for a disabled account.
    proxies_repo.suspend_for_user(db, user["_id"], utcnow())
    users_repo.disable(db, user["_id"], utcnow())
    _maximums_changed(db, user["_id"])
    revoked = revoke_all_sessions(user["_id"])
    return users_repo.get(db, user["_id"]), revoked


def enable_user(user_id: str | None) -> dict:
    db = database()
    user = users_repo.get(db, user_id) if user_id else None
    if user is None:
        raise ApiError("user_not_found", "We couldn't find that member.", 404)
    users_repo.enable(db, user["_id"])
    proxies_repo.resume_for_user(db, user["_id"])
    _maximums_changed(db, user["_id"])
    return users_repo.get(db, user["_id"])


def _maximums_changed(db, user_id: str) -> None:
    """Every process reloads the maximums of the live auctions this member is in."""
    from auction_app.effects import carry_out
    from auction_app.services import auction_engine

    for league in leagues_repo.for_member(db, user_id):
        if league.get("auction_id") and league["status"] == leagues_repo.RUNNING:
            auction_engine.run_proxies(db, league["auction_id"], utcnow(), publish=carry_out)
