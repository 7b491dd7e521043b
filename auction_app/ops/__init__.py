"""Operations endpoints: liveness, readiness, status."""
from flask import Blueprint

bp = Blueprint("ops", __name__)

from auction_app.ops import routes  # noqa: E402,F401  (routes attach to bp)
from auction_app.ops import admin_routes  # noqa: E402,F401  (admin page, account deletion)
