from flask import current_app, jsonify

from auction_app.extensions import limiter
from auction_app.ops import bp
from auction_app.ops.health import readiness


@bp.get("/health")
@limiter.exempt
def health():
    """Liveness: the process answers. Touches no dependency."""
    return jsonify(status="ok", release=current_app.config["RELEASE"])


@bp.get("/ready")
@limiter.exempt
def ready():
    """Readiness: MongoDB and Redis reachable; how many Celery workers answer."""
    body, healthy = readiness(current_app.config, current_app.extensions["celery"])
    return jsonify(body), (200 if healthy else 503)
