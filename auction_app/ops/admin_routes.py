"""The admin page (users, leagues, activity, weekly funnel) and a member's own account deletion."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app, jsonify, redirect, render_template, request

from auction_app.auth.guards import admin_required, current_user, login_required
from auction_app.auth.sessions import clear_cookie
from auction_app.errors import ApiError
from auction_app.ops import bp, lifecycle as lifecycle_rules
from auction_app.ops import status_cache
from auction_app.repositories import audit, database, lifecycle


@bp.get("/admin")
@admin_required
def admin_overview_page():
    db, now = database(), datetime.now(timezone.utc)
    snap = status_cache.snapshot(current_app)
    return render_template(
        "account/admin_overview.html",
        users=lifecycle.user_counts(db), leagues=lifecycle.league_counts(db),
        recent_leagues=lifecycle.recent_leagues(db),
        active_7d=audit.active_users_since(db, now - timedelta(days=7)),
        activity_24h=sorted(audit.counts_since(db, now - timedelta(days=1)).items()),
        activity_7d=sorted(audit.counts_since(db, now - timedelta(days=7)).items()),
        funnel=lifecycle_rules.weekly_funnel(db, now), status=snap, generated_at=now)


@bp.get("/api/admin/funnel")
@admin_required
def admin_funnel():
    return jsonify({"weeks": lifecycle_rules.weekly_funnel(database(), datetime.now(timezone.utc))})


def _delete_me(confirm: str | None):
    user = current_user()
    if (confirm or "").strip().lower() != user["email"].lower():
        raise ApiError("confirmation_mismatch", "Type your email address exactly to confirm deleting your account.")
    try:
        return lifecycle_rules.delete_account(database(), user, datetime.now(timezone.utc))
    except lifecycle_rules.AccountDeletionRefused as exc:
        raise ApiError(exc.code, exc.message, 409) from None


@bp.post("/api/account/delete")
@login_required
def delete_account_api():
    body = request.get_json(silent=True)
    confirm = body.get("confirm_email") if isinstance(body, dict) else None
    if confirm is not None and not isinstance(confirm, str):
        raise ApiError("invalid_request", "confirm_email must be your email address as text.")
    _delete_me(confirm)
    response = jsonify({"deleted": True})
    clear_cookie(response)
    return response


@bp.get("/account/delete")
@login_required
def delete_account_page():
    return render_template("account/delete.html", user=current_user(), error=None)


@bp.post("/account/delete")
@login_required
def delete_account_form():
    try:
        _delete_me(request.form.get("confirm_email"))
    except ApiError as exc:
        return render_template("account/delete.html", user=current_user(), error=exc.message), exc.status
    response = redirect("/?account=deleted", code=303)
    clear_cookie(response)
    return response


# Admin writes made elsewhere (disable/enable a member, fixture imports...) are audited here in
# one place; the ones this package handles itself record their own, richer entries.
_SELF_AUDITED = {"ops.announce", "ops.clear_announcements"}


@bp.after_app_request
def _audit_admin_writes(response):
    if (request.method in ("POST", "PUT", "PATCH", "DELETE") and response.status_code < 400
            and request.path.startswith(("/admin/", "/api/admin/")) and request.endpoint not in _SELF_AUDITED):
        admin = current_user()
        if admin:
            action = "admin_" + (request.endpoint or "unknown").rsplit(".", 1)[-1].removeprefix("admin_")
            audit.record(database(), None, admin["_id"], action, datetime.now(timezone.utc),
                         path=request.path[:200])
    return response
