"""JSON API of the sign-in area. Bodies are validated by the StrictModel schemas."""
from __future__ import annotations

from flask import current_app, jsonify, request

from auction_app.auth import api_bp, service
from auction_app.auth.guards import admin_required, current_user, login_required
from auction_app.auth.limits import check_link_per_email, code_per_ip, link_per_ip
from auction_app.auth.schemas import AdminUserLookup, CodeSignIn, DisplayNameIn, RequestLink, VerifyLink, check_id
from auction_app.auth.sessions import clear_cookie
from auction_app.errors import ApiError
from auction_app.repositories import database
from auction_app.repositories import users as users_repo
from auction_app.validation import parse_json, validate
from auction_app.security import state


def _iso(value):
    return value.isoformat() if value is not None else None


def _signed_in(user: dict, token: str):
    return jsonify(token=token, token_type="Bearer",
                   expires_in=current_app.config["SESSION_DAYS"] * 86400,
                   user=service.public_user(user))


@api_bp.post("/auth/request-link")
@link_per_ip
def request_link():
    body = parse_json(RequestLink)
    check_link_per_email(body.email)  # keyed on exactly the address the link goes to
    service.request_link(body.email)
    minutes = current_app.config["MAGIC_LINK_MINUTES"]
    # Identical for every valid address, whether or not it has an account.
    return jsonify(status="sent", message=f"Check your inbox: a sign-in link and a 6-digit code are on their "
                                          f"way. They work for {minutes} minutes."), 202


@api_bp.post("/auth/verify")
def verify():
    body = parse_json(VerifyLink)
    user, token = service.sign_in_with_link(body.token)
    return _signed_in(user, token)


@api_bp.post("/auth/code")
@code_per_ip
def code():
    body = parse_json(CodeSignIn)
    user, token = service.sign_in_with_code(body.email, body.code)
    return _signed_in(user, token)


@api_bp.post("/auth/sign-out")
@login_required
def sign_out():
    service.sign_out(current_user())
    response = jsonify(status="signed_out")
    if state().get("auth_via") == "cookie":
        clear_cookie(response)
    return response


@api_bp.get("/account")
@login_required
def account():
    return jsonify(user=service.public_user(current_user()))


@api_bp.patch("/account")
@login_required
def update_account():
    body = parse_json(DisplayNameIn)
    return jsonify(user=service.public_user(service.set_display_name(current_user(), body.display_name)))


@api_bp.get("/account/sessions")
@login_required
def sessions():
    rows = service.active_sessions(current_user())
    return jsonify(sessions=[
        dict(row, created_at=_iso(row["created_at"]), last_seen_at=_iso(row["last_seen_at"]),
             expires_at=_iso(row["expires_at"]))
        for row in rows
    ])


@api_bp.delete("/account/sessions/<session_id>")
@login_required
def revoke_session(session_id):
    user = current_user()
    sid = check_id(session_id)
    service.revoke_session(user, sid)
    response = jsonify(status="revoked", current=sid == user["session_id"])
    if sid == user["session_id"] and state().get("auth_via") == "cookie":
        clear_cookie(response)
    return response


@api_bp.delete("/account/sessions")
@api_bp.post("/account/sessions/revoke-all")
@login_required
def revoke_all():
    """Sign out everywhere, this device included."""
    revoked = service.revoke_all_sessions(current_user()["_id"])
    response = jsonify(status="revoked", revoked=revoked)
    if state().get("auth_via") == "cookie":
        clear_cookie(response)
    return response


@api_bp.get("/admin/users")
@admin_required
def admin_find_user():
    query = validate(AdminUserLookup, request.args.to_dict())
    user = users_repo.get_by_email(database(), query.email)
    if user is None:
        raise ApiError("user_not_found", "We couldn't find a member with that email.", 404)
    return jsonify(user=service.public_user(user))


@api_bp.post("/admin/users/<user_id>/disable")
@admin_required
def admin_disable(user_id):
    user, revoked = service.disable_user(current_user(), check_id(user_id))
    return jsonify(user=service.public_user(user), revoked_sessions=revoked)


@api_bp.post("/admin/users/<user_id>/enable")
@admin_required
def admin_enable(user_id):
    return jsonify(user=service.public_user(service.enable_user(check_id(user_id))))
