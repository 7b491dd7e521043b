"""Socket.IO connection handling for web processes.

Origins are checked by the engine (cors_allowed_origins from config). A
connection needs a valid session (auth={"token": ...} or the session cookie):
signature, algorithm, expiry, not revoked, user not disabled. The user is kept
on the Socket.IO session; handlers read it with socket_current_user(). Every
connected client joins the announcements room.

Revocation (docs/security.md): each process keeps a registry of its own
connections (sid -> user, session jti, spectator league) and subscribes to the
revocation channel (auction_app.auth.revocation). A revoked session, a revoked
or disabled user or a rotated spectator link disconnects the matching
connections at once; removal from a league takes them out of that league's
rooms. Handlers call socket_current_user(), which refuses a connection marked
revoked, and re-checks the session in the database only every
SOCKET_SESSION_RECHECK_SECONDS (the fallback for a lost message), never per event.

A process accepts at most WEB_CONNECTIONS open connections; the next one is
refused at once with code "server_full" (counted in
socketio_connections_refused_total) instead of waiting for a free slot. The
refusal carries retry_after_ms (SOCKET_FULL_RETRY_SECONDS): the auction room
tries again by itself after about that long.

Every handler answers its acknowledgement: an unexpected exception becomes
{"ok": false, "error": {"code": "server_error", ...}} and is reported.
"""
from __future__ import annotations

import json
import logging
import time
from collections import deque

from flask import current_app, request, session
from flask_socketio import ConnectionRefusedError, join_room

from auction_app import metrics
from auction_app.errors import GENERIC, ApiError
from auction_app.extensions import socketio
from auction_app.realtime import ANNOUNCEMENTS_ROOM

log = logging.getLogger(__name__)

_USER_KEY = "_auth_user"
_CHECKED_KEY = "_auth_checked"

# sid -> {"user_id", "jti", "spectator_league", "revoked", "syncs"} for connections to THIS process.
_connections: dict[str, dict] = {}
_disconnect_hooks: list = []
_listener = {"started": False}


# --------------------------------------------------------------------------- who is connected

def spectator_league(auth) -> dict | None:
    """The league whose spectator link this viewer holds (a club screen), or None."""
    from auction_app.repositories import database, leagues

    token = auth.get("spectator_token") if isinstance(auth, dict) else None
    return leagues.by_spectator_token(database(), token) if token else None


def socket_current_user(recheck: bool = True) -> dict | None:
    """The user of this Socket.IO connection, or None (a spectator, or a revoked session).

    A connection marked revoked by a pushed revocation is refused at once (no
    database read). Otherwise the session is looked up again at most every
    SOCKET_SESSION_RECHECK_SECONDS, the fallback for a revocation message lost
    while Redis reconnected. `recheck=False` skips only that fallback.
    """
    user = session.get(_USER_KEY)
    if user is None:
        return None
    conn = _connections.get(request.sid)
    if conn is not None and conn.get("revoked"):
        session.pop(_USER_KEY, None)
        return None
    every = current_app.config.get("SOCKET_SESSION_RECHECK_SECONDS", 300)
    forced = conn is not None and conn.pop("recheck_now", False)
    if recheck and (forced or time.monotonic() - session.get(_CHECKED_KEY, 0) > every):
        from auction_app.auth.sessions import still_valid

        session[_CHECKED_KEY] = time.monotonic()
        if not still_valid(user):
            session.pop(_USER_KEY, None)
            return None
    return user


def sync_allowed() -> bool:
    """Per-connection throttle of snapshot reads (join_auction / sync): N per 10 seconds."""
    conn = _connections.get(request.sid)
    if conn is None:
        return True
    limit = current_app.config.get("SOCKET_SYNC_PER_10_SECONDS", 10)
    now = time.monotonic()
    calls: deque = conn.setdefault("syncs", deque())
    while calls and now - calls[0] > 10:
        calls.popleft()
    if len(calls) >= limit:
        return False
    calls.append(now)
    return True


def on_disconnect_hook(fn):
    """Register cleanup to run (in the disconnect handler's context) when a connection ends."""
    _disconnect_hooks.append(fn)
    return fn


def refuse(code: str, message: str, **details):
    """Refuse the handshake; the client's connect_error gets {message, data: {code, message, **details}}."""
    raise ConnectionRefusedError(message, {"code": code, "message": message, **details})


def add_transport_route(app) -> None:
    """Flask routes on the Engine.IO path, which Flask itself never serves (the Socket.IO
    middleware answers there first).

    Flask-SocketIO builds a Flask request context for every Socket.IO event from the
    connection's first request. With no route on that path, building it raised NotFound (or
    WebsocketMismatch for a WebSocket) and kept it as the request's routing exception: the
    exception's traceback holds the frames that hold the request context, a reference cycle
    of ~50 objects per event that only the garbage collector frees. At 5,000 sockets that was
    one collection of ~48,000 objects, 135 ms with the whole process stopped, every 30 s of
    bidding (docs/performance.md).
    """
    path = f"/{socketio.server_options.get('socketio_path', 'socket.io')}/"
    app.add_url_rule(path, endpoint="socketio_polling", view_func=_answered_by_socketio)
    # Werkzeug matches WebSocket requests only against rules made for them.
    app.add_url_rule(path, endpoint="socketio_websocket", view_func=_answered_by_socketio, websocket=True)


def _answered_by_socketio():
    raise ApiError("not_found", "Nothing here.", 404)


class DeclineWebSocketCompression:
    """WSGI middleware: the WebSocket handshake never sees the client's offer of
    permessage-deflate, so no socket is compressed (WEBSOCKET_COMPRESSION=false, the default).

    Every browser offers it and simple-websocket, under python-engineio, always takes it up
    (it has no setting). Then each socket holds its own zlib compressor: about 110-150 KB of
    memory per socket (+500-700 MB at 5,000 browsers on one process) and CPU for every
    broadcast to every member, to save ~300 bytes per bid event (docs/performance.md, sixth
    session). socket.io's own server turned it off by default for the same reason.
    """

    OFFER = "HTTP_SEC_WEBSOCKET_EXTENSIONS"

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        environ.pop(self.OFFER, None)
        return self.wsgi_app(environ, start_response)


@socketio.on("connect")
def on_connect(auth=None):
    from auction_app.auth.guards import user_from_socket

    limit = current_app.config.get("WEB_CONNECTIONS", 5000)
    if len(_connections) >= limit:
        metrics.SOCKETS_REFUSED.inc()
        log.warning("refusing a Socket.IO connection: %d open, WEB_CONNECTIONS=%d", len(_connections), limit)
        # The room tries again by itself after about this long (jittered), so members get in once
        # a place frees up without a stampede on a full process.
        refuse("server_full", "This auction server is full right now. Please try again in a minute.",
               retry_after_ms=int(current_app.config["SOCKET_FULL_RETRY_SECONDS"] * 1000))
    try:
        user = user_from_socket(auth, request.environ)
    except ApiError as exc:
        refuse(exc.code, exc.message)
    league = None
    if user is None:
        league = spectator_league(auth)
        if league is None:
            refuse("not_signed_in", "Please sign in to continue.")
    session[_USER_KEY] = user
    session[_CHECKED_KEY] = time.monotonic()
    _connections[request.sid] = {"user_id": user["_id"] if user else None,
                                 "jti": user.get("session_jti") if user else None,
                                 "spectator_league": league["_id"] if league else None, "revoked": False}
    _ensure_listener(current_app._get_current_object())
    metrics.SOCKETS.inc()
    join_room(ANNOUNCEMENTS_ROOM)


@socketio.on("disconnect")
def on_disconnect(*_args):
    metrics.SOCKETS.dec()
    try:
        for hook in _disconnect_hooks:
            try:
                hook()
            except Exception:  # noqa: BLE001  (one failing cleanup must not skip the others)
                log.exception("socket disconnect cleanup failed")
    finally:
        _connections.pop(request.sid, None)


@socketio.on_error_default
def on_handler_error(exc):
    """Any exception in any handler: report it, and still answer the acknowledgement."""
    log.error("socket handler failed: %s", type(exc).__name__, exc_info=exc)
    try:
        import sentry_sdk

        sentry_sdk.capture_exception(exc)
    except Exception:  # noqa: BLE001
        pass
    code, message = GENERIC[500]
    return {"ok": False, "error": {"code": code, "message": message}}


# --------------------------------------------------------------------------- revocations

def _ensure_listener(app) -> None:
    if not _listener["started"]:
        _listener["started"] = True
        socketio.start_background_task(_listen, app)


def _listen(app) -> None:
    """Subscribe to the revocation and shared-state channels for the life of the process;
    re-subscribe after errors."""
    import redis

    from auction_app import state_sharing
    from auction_app.auth.revocation import channel
    from auction_app.extensions import mongo

    states = state_sharing.channel(app.config).encode()
    with app.app_context():
        codec_options = mongo.db.codec_options  # shared states decode as reads of the database do
    lost = False
    while True:
        try:
            conn = redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=5, health_check_interval=30)
            pubsub = conn.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(channel(app.config), states)
            state_sharing.listening()
            if lost:
                _recheck_everyone()  # messages published while we were away are gone
                lost = False
            for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                if message["channel"] == states:
                    state_sharing.take(message["data"], codec_options)
                else:
                    apply_revocation(app, message["data"])
        except Exception:  # noqa: BLE001
            log.warning("revocation channel lost; re-subscribing", exc_info=True)
            lost = True
            socketio.sleep(1)


def _recheck_everyone() -> None:
    """Make every connection re-check its session against the database at its next event."""
    for conn in list(_connections.values()):
        conn["recheck_now"] = True


def apply_revocation(app, raw: str) -> int:
    """Act on one revocation message for this process's connections. Returns how many it touched."""
    from auction_app.auth import revocation

    try:
        message = json.loads(raw)
    except ValueError:
        return 0
    kind = message.get("kind")
    touched = 0
    for sid, conn in list(_connections.items()):
        if kind == revocation.SESSION and conn["jti"] and conn["jti"] == message.get("jti") or \
                kind == revocation.USER and conn["user_id"] and conn["user_id"] == message.get("user_id"):
            conn["revoked"] = True
            _end(sid, "signed_out", "You've been signed out. Please sign in again.")
        elif kind == revocation.SPECTATOR and conn["spectator_league"] == message.get("league_id"):
            conn["revoked"] = True
            _end(sid, "spectator_link_changed", "This spectator link has been replaced. Ask the "
                                                "commissioner for the new one.")
        elif kind == revocation.MEMBERSHIP and conn["user_id"] and conn["user_id"] == message.get("user_id"):
            _leave_league_rooms(app, sid, message.get("league_id") or "")
        else:
            continue
        touched += 1
    return touched


def _end(sid: str, code: str, message: str) -> None:
    try:
        # Straight to this process's connection (not through the queue), so it arrives before the close.
        socketio.server.emit("session_ended", {"code": code, "message": message}, to=sid, namespace="/",
                             ignore_queue=True)
        socketio.server.disconnect(sid, namespace="/")
    except Exception:  # noqa: BLE001  (already gone)
        log.info("could not disconnect %s", sid, exc_info=True)


def _leave_league_rooms(app, sid: str, league_id: str) -> None:
    from auction_app.repositories import database, leagues
    from auction_app.services import auction_engine, standings

    rooms = [standings.room(league_id)]
    with app.app_context():
        league = leagues.get(database(), league_id)
    if league and league.get("auction_id"):
        rooms.append(auction_engine.room(league["auction_id"]))
    for room in rooms:
        socketio.server.leave_room(sid, room, namespace="/")
    socketio.server.emit("membership_ended", {"league_id": league_id,
                                              "message": "You're no longer a member of this league."},
                         to=sid, namespace="/", ignore_queue=True)
