from datetime import datetime, timedelta, timezone

from flask import Response, abort, current_app, jsonify, request

from auction_app import metrics
from auction_app.auth.guards import admin_required, current_user
from auction_app.extensions import limiter
from auction_app.ops import bp
from auction_app.ops import status_cache
from auction_app.ops.schemas import AnnouncementIn
from auction_app.repositories import announcements, audit, database
from auction_app.validation import parse_json


@bp.get("/health")
@limiter.exempt
def health():
    """Liveness: the process answers. Touches no dependency."""
    return jsonify(status="ok", release=current_app.config["RELEASE"])


def _status_limit() -> str:
    return current_app.config["STATUS_RATE_LIMIT"]


READY_FIELDS = ("status", "database", "redis", "workers", "failing")


@bp.get("/ready")
@limiter.limit(_status_limit)
def ready():
    """MongoDB and Redis reachable; how many Celery workers answer. From the cached check
    (at most STATUS_CACHE_SECONDS old), so monitors and status pages add no load."""
    snap = status_cache.snapshot(current_app)
    body = {k: snap[k] for k in READY_FIELDS if k in snap}
    body["checked_at"] = datetime.fromtimestamp(snap["checked_at"], timezone.utc).isoformat()
    return jsonify(body), (200 if snap["healthy"] else 503)


@bp.get("/api/status")
@limiter.limit(_status_limit)
def status():
    """What the public status page shows: health in plain words and the latest announcement."""
    snap = status_cache.snapshot(current_app)
    now = datetime.now(timezone.utc)
    latest = announcements.latest(database(), now) if snap["database"] == "connected" else None
    return jsonify({
        "healthy": snap["healthy"], "live_auctions_working": snap["healthy"] and snap["workers"] > 0
        and not snap.get("maintenance"),
        "maintenance": bool(snap.get("maintenance")),
        "checked_at": datetime.fromtimestamp(snap["checked_at"], timezone.utc).isoformat(),
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
    hours = body.hours or current_app.config["ANNOUNCEMENT_HOURS"]
    admin_id = current_user()["_id"]
    saved = announcements.add(database(), body.message, body.level, admin_id, now, now + timedelta(hours=hours))
    audit.record(database(), None, admin_id, "admin_announced", now, level=body.level, hours=hours)
    broadcast_announcement.delay(body.message, body.level)
    return jsonify({"message": saved["message"], "level": saved["level"], "at": now.isoformat(),
                    "expires_at": saved["expires_at"].isoformat()}), 201


@bp.delete("/api/admin/announcements")
@admin_required
def clear_announcements():
    """Take down every announcement in force (the status page and new room visitors stop showing it)."""
    now = datetime.now(timezone.utc)
    cleared = announcements.clear(database(), now)
    audit.record(database(), None, current_user()["_id"], "admin_cleared_announcements", now, count=cleared)
    return jsonify({"cleared": cleared})


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
