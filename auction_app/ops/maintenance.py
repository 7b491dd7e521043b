"""Maintenance mode: running auctions pause cleanly, writes answer 503 with the
announcement, and every room is told (Socket.IO event `announcement` with
`maintenance: true`; `maintenance: false` when it ends).

Turned on and off with `flask maintenance on|off` (auction_app/cli.py). The
guard reads the flag from the cached status check, so every web process
follows within STATUS_CACHE_SECONDS.
"""
from __future__ import annotations

import logging
from datetime import datetime

from flask import jsonify, render_template, request

from auction_app.repositories import announcements, auctions, ops_state

log = logging.getLogger(__name__)

DEFAULT_MESSAGE = "Club Auction is down for maintenance. Live auctions are paused and will resume shortly."
# Writes still allowed during maintenance: signing out, and the admins' own tools.
ALLOWED_WRITES = ("/api/auth/sign-out", "/auth/sign-out", "/api/admin/")


def turn_on(db, message: str | None, now: datetime, actor_id: str | None = None) -> list[str]:
    """Pause every running auction (as its commissioner), flag maintenance, announce it. Returns paused ids."""
    from auction_app.effects import carry_out
    from auction_app.services import auction_engine
    from auction_app.services.errors import ServiceError

    message = message or DEFAULT_MESSAGE
    paused: list[str] = []
    for auction in auctions.running(db):
        try:
            carry_out(auction_engine.pause(db, auction["_id"], auction["commissioner_id"], now))
            paused.append(auction["_id"])
        except ServiceError as exc:  # it ended or was paused meanwhile: nothing to do
            log.info("auction %s not paused for maintenance: %s", auction["_id"], exc)
    previous = ops_state.get(db, ops_state.MAINTENANCE) or {}
    already = previous.get("paused_auction_ids", []) if previous.get("on") else []
    ops_state.put(db, ops_state.MAINTENANCE, {"on": True, "message": message, "since": now, "actor_id": actor_id,
                                              "paused_auction_ids": sorted(set(already) | set(paused))})
    announcements.clear(db, now, kind="maintenance")
    announcements.add(db, message, "warning", actor_id, now, kind="maintenance")
    _broadcast(message, True)
    return paused


def turn_off(db, now: datetime, actor_id: str | None = None) -> list[str]:
    """Resume the auctions maintenance paused, clear the flag and its announcement. Returns resumed ids."""
    from auction_app.effects import carry_out
    from auction_app.services import auction_engine
    from auction_app.services.errors import ServiceError

    state = ops_state.get(db, ops_state.MAINTENANCE) or {}
    resumed: list[str] = []
    for auction_id in state.get("paused_auction_ids", []):
        auction = auctions.get(db, auction_id)
        if auction is None:
            continue
        try:
            carry_out(auction_engine.resume(db, auction_id, auction["commissioner_id"], now))
            resumed.append(auction_id)
        except ServiceError as exc:  # resumed by hand, or ended: leave it
            log.info("auction %s not resumed after maintenance: %s", auction_id, exc)
    ops_state.put(db, ops_state.MAINTENANCE, {"on": False, "ended_at": now, "paused_auction_ids": []})
    announcements.clear(db, now, kind="maintenance")
    _broadcast("Maintenance is over: everything is working again.", False)
    return resumed


def _broadcast(message: str, on: bool) -> None:
    from auction_app import realtime

    try:
        realtime.emit("announcement", {"message": message, "level": "warning" if on else "info", "maintenance": on})
    except Exception:  # noqa: BLE001 — Redis down must not stop maintenance mode
        log.warning("could not tell connected members about maintenance", exc_info=True)


def init_app(app) -> None:
    @app.before_request
    def _refuse_writes_in_maintenance():
        if request.method in ("GET", "HEAD", "OPTIONS") or request.path.startswith(ALLOWED_WRITES):
            return None
        from auction_app.ops import status_cache

        state = status_cache.snapshot(app).get("maintenance")
        if not state:
            return None
        return unavailable("maintenance", state.get("message") or DEFAULT_MESSAGE)

    from pymongo.errors import ConnectionFailure
    from redis.exceptions import ConnectionError as RedisConnectionError

    @app.errorhandler(ConnectionFailure)
    @app.errorhandler(RedisConnectionError)
    def _dependency_down(exc):
        # A shared dependency is down: members get a clear page pointing at /status,
        # not the proxy's error page (and the pod stays in rotation to say so).
        # A warning, not an error: the exception itself goes to Sentry just below (once).
        log.warning("dependency unreachable on %s %s: %s", request.method, request.path, type(exc).__name__)
        import sentry_sdk

        sentry_sdk.capture_exception(exc)  # handled here, so Sentry's Flask integration would not see it
        return unavailable("service_unavailable", "We can't reach our database right now, so this didn't work. "
                           "Live auctions pause until it's back; see /status for updates.")


def unavailable(code: str, message: str):
    headers = {"Retry-After": "60"}
    if request.path.startswith("/api/") or request.is_json or not request.accept_mimetypes.accept_html:
        return jsonify({"error": {"code": code, "message": message}}), 503, headers
    return render_template("error.html", error={"message": message, "status": 503}), 503, headers
