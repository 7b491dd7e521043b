"""Passwordless sign-in, revocable sessions and account security (issue 3).

Blueprints: `bp` serves the HTML pages (/auth/*, /account/*, /admin/*),
`api_bp` the JSON API (/api/auth/*, /api/account/*, /api/admin/*).
See docs/security.md.
"""
from flask import Blueprint

bp = Blueprint("auth", __name__)
api_bp = Blueprint("auth_api", __name__, url_prefix="/api")


def init_app(app) -> None:
    from auction_app.auth import api, routes  # noqa: F401  (routes attach to the blueprints)
    from auction_app.auth.guards import current_user
    from auction_app.auth.sessions import clear_cookie
    from auction_app.security import state

    app.register_blueprint(bp)
    app.register_blueprint(api_bp)

    def safe_current_user():
        # Used by base.html on every page, error pages included: never let it raise.
        try:
            return current_user()
        except Exception:  # noqa: BLE001
            return None

    app.jinja_env.globals["current_user"] = safe_current_user

    @app.after_request
    def drop_stale_session_cookie(response):
        if state().get("clear_session_cookie") and not state().get("session_cookie_set"):
            clear_cookie(response)
        return response
