from datetime import datetime, timedelta, timezone

from flask import Response, abort, current_app, jsonify, request

from auction_app import metrics
from auction_app.auth.guards import admin_required, current_user
from auction_app.extensions import limiter
from auction_app.ops import bp
from auction_app.ops.health import readiness
from auction_app.ops.schemas import AnnouncementIn
from auction_app.repositories import announcements, audit, database
from auction_app.validation import parse_json


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


@bp.get("/api/status")
@limiter.exempt
def status():
    """What the public status page shows: health in plain words and the latest announcement."""
    body, healthy = readiness(current_app.config, current_app.extensions["celery"])
    latest = announcements.latest(database()) if body["database"] == "connected" else None
    return jsonify({
        "healthy": healthy, "live_auctions_working": healthy and body["workers"] > 0,
        "checked_at": datetime.now(timezone.utc).isoformat(),
        "announcement": {"message": latest["message"], "level": latest["level"], "at": latest["at"].isoformat()}
        if latest else None,
    })


@bp.get("/metrics")
@limiter.exempt
def prometheus_metrics():
    """Prometheus scrape endpoint. With METRICS_TOKEN set it needs `Authorization: Bearer <token>`;
    without one it is only served outside production."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        if request.headers.get("Authorization", "") != f"Bearer {token}":
            abort(404)
    elif current_app.config["ENV_NAME"] == "production":
        abort(404)
    payload, content_type = metrics.exposition()
    return Response(payload, content_type=content_type)


@bp.post("/api/admin/announcements")
@admin_required
def announce():
    """Show a message to every connected member and on the status page."""
    from workers.realtime import broadcast_announcement

    body = parse_json(AnnouncementIn)
    now = datetime.now(timezone.utc)
    saved = announcements.add(database(), body.message, body.level, current_user()["_id"], now)
    broadcast_announcement.delay(body.message, body.level)
    return jsonify({"message": saved["message"], "level": saved["level"], "at": now.isoformat()}), 201


@bp.get("/api/admin/overview")
@admin_required
def overview():
    """Key pilot figures for admins: activity in the last day and week, live auctions, bids."""
    db, now = database(), datetime.now(timezone.utc)
    return jsonify({
        "active_users_7d": audit.active_users_since(db, now - timedelta(days=7)),
        "activity_24h": audit.counts_since(db, now - timedelta(days=1)),
        "activity_7d": audit.counts_since(db, now - timedelta(days=7)),
        "generated_at": now.isoformat(),
    })
