"""HTML pages: sign in (link or code), confirm a link, sign out, sessions, admin."""
from __future__ import annotations

from flask import redirect, render_template, request

from auction_app.auth import bp, service, tokens
from auction_app.auth.guards import admin_required, current_user, login_required
from auction_app.auth.limits import code_per_ip, link_per_email_refusal, link_per_ip
from auction_app.auth.schemas import (CodeSignInForm, DisplayNameIn, RequestLinkForm, VerifyLink, VerifyLinkForm, check_id,
                                      safe_next)
from auction_app.auth.sessions import clear_cookie, set_cookie
from auction_app.errors import ApiError
from auction_app.repositories import database
from auction_app.repositories import users as users_repo
from auction_app.security import CSRF_FIELD, rotate_csrf_token, state
from auction_app.validation import validate

DEFAULT_AFTER_SIGN_IN = "/account"


def _form_data() -> dict:
    return {k: v for k, v in request.form.items() if k != CSRF_FIELD}


def _friendly(error: ApiError) -> str:
    """A refusal's sentence for a form (validation messages are already written for people)."""
    return error.message


def _make_response(body: str, status: int):
    from flask import make_response

    return make_response(body, status)


def _signed_in_redirect(user: dict, token: str, next_path: str | None):
    response = redirect(next_path or DEFAULT_AFTER_SIGN_IN, code=303)
    set_cookie(response, token)
    state().session_cookie_set = True
    rotate_csrf_token(token)
    return response


# --- Sign in -----------------------------------------------------------------

@bp.get("/auth/sign-in")
def sign_in():
    next_path = safe_next(request.args.get("next"))
    if current_user() is not None:
        return redirect(next_path or DEFAULT_AFTER_SIGN_IN)
    notice = {"1": "You're signed out.", "everywhere": "You're signed out on every device."}.get(
        request.args.get("signed_out", ""))
    return render_template("auth/sign_in.html", next=next_path, email="", error=None, notice=notice)


@bp.post("/auth/sign-in")
@link_per_ip
def sign_in_submit():
    data = _form_data()
    try:
        form = validate(RequestLinkForm, data)
    except ApiError as error:
        email = data.get("email", "") if isinstance(data.get("email"), str) else ""
        return render_template("auth/sign_in.html", next=safe_next(data.get("next")), email=email[:254],
                               error=_friendly(error), notice=None), 400
    limited = link_per_email_refusal(form.email)  # keyed on exactly the address the link goes to
    if limited is not None:
        response = _make_response(render_template("auth/sign_in.html", next=form.next, email=form.email,
                                                   error=limited.message, notice=None), 429)
        response.headers.update(limited.headers)
        return response
    service.request_link(form.email, form.next)
    return render_template("auth/check_inbox.html", email=form.email, next=form.next, error=None,
                           minutes=_minutes())


@bp.post("/auth/code")
@code_per_ip
def code_submit():
    data = _form_data()
    email = data.get("email", "")[:254]
    try:
        form = validate(CodeSignInForm, data)
        user, token = service.sign_in_with_code(form.email, form.code)
    except ApiError as error:
        return render_template("auth/check_inbox.html", email=email, next=safe_next(data.get("next")),
                               error=_friendly(error), minutes=_minutes()), error.status
    return _signed_in_redirect(user, token, form.next)


@bp.get("/auth/verify")
def verify_page():
    """What a mail scanner fetches: shows a button, consumes nothing."""
    token = request.args.get("token", "")
    next_path = safe_next(request.args.get("next"))
    try:
        validate(VerifyLink, {"token": token})
        pending = tokens.peek(token)
    except ApiError as error:
        return render_template("auth/link_problem.html", error=error), error.status
    return render_template("auth/confirm.html", email=pending["email"], token=token, next=next_path)


@bp.post("/auth/verify")
def verify_submit():
    try:
        form = validate(VerifyLinkForm, _form_data())
        user, token = service.sign_in_with_link(form.token)
    except ApiError as error:
        return render_template("auth/link_problem.html", error=error), error.status
    return _signed_in_redirect(user, token, form.next)


@bp.post("/auth/sign-out")
def sign_out():
    user = current_user()
    if user is not None:
        service.sign_out(user)
    response = redirect("/auth/sign-in?signed_out=1", code=303)
    clear_cookie(response)
    return response


def _minutes() -> int:
    from flask import current_app

    return current_app.config["MAGIC_LINK_MINUTES"]


# --- Account -----------------------------------------------------------------

@bp.get("/account")
@login_required
def account():
    return render_template("account/index.html", user=current_user())


@bp.post("/account/name")
@login_required
def account_name():
    try:
        form = validate(DisplayNameIn, _form_data())
    except ApiError as error:
        return render_template("account/index.html", user=current_user(), name_error=error.message), 400
    service.set_display_name(current_user(), form.display_name)
    return redirect("/account?saved=1", code=303)


@bp.get("/account/sessions")
@login_required
def account_sessions():
    return render_template("account/sessions.html", sessions=service.active_sessions(current_user()))


@bp.post("/account/sessions/<session_id>/revoke")
@login_required
def revoke_session(session_id):
    user = current_user()
    sid = check_id(session_id)
    service.revoke_session(user, sid)
    if sid == user["session_id"]:
        response = redirect("/auth/sign-in?signed_out=1", code=303)
        clear_cookie(response)
        return response
    return redirect("/account/sessions", code=303)


@bp.post("/account/sessions/revoke-all")
@login_required
def revoke_all_sessions():
    service.revoke_all_sessions(current_user()["_id"])
    response = redirect("/auth/sign-in?signed_out=everywhere", code=303)
    clear_cookie(response)
    return response


# --- Admin -------------------------------------------------------------------

@bp.get("/admin/users")
@admin_required
def admin_users():
    return render_template("account/admin_users.html", users=users_repo.list_users(database()),
                           me=current_user())


@bp.post("/admin/users/<user_id>/disable")
@admin_required
def admin_disable(user_id):
    service.disable_user(current_user(), check_id(user_id))
    return redirect("/admin/users", code=303)


@bp.post("/admin/users/<user_id>/enable")
@admin_required
def admin_enable(user_id):
    service.enable_user(check_id(user_id))
    return redirect("/admin/users", code=303)
