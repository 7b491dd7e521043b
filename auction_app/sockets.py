"""Socket.IO connection handling for web processes.

Origins are checked by the engine (cors_allowed_origins from config). A
connection needs a valid session (auth={"token": ...} or the session cookie):
signature, algorithm, expiry, not revoked, user not disabled. The user is kept
on the Socket.IO session; handlers read it with socket_current_user(). Every
connected client joins the announcements room.
"""
import time

from flask import request, session
from flask_socketio import ConnectionRefusedError, join_room

from auction_app import metrics
from auction_app.errors import ApiError
from auction_app.extensions import socketio
from auction_app.realtime import ANNOUNCEMENTS_ROOM

_USER_KEY = "_auth_user"
_CHECKED_KEY = "_auth_checked"
# An open connection re-checks its session at most this often before a bid, so a
# revoked session stops bidding within seconds without a query on every bid.
RECHECK_SECONDS = 5.0


def spectator_allowed(auth) -> bool:
    """A read-only viewer with a league's spectator link (a club screen) may connect."""
    from auction_app.repositories import database, leagues

    token = auth.get("spectator_token") if isinstance(auth, dict) else None
    return leagues.by_spectator_token(database(), token) is not None


def socket_current_user(recheck: bool = False) -> dict | None:
    """The user of this Socket.IO connection (checked at connect), or None for a spectator.

    recheck=True looks the session up again (at most every RECHECK_SECONDS), so a
    session revoked since the connection was made is refused (before bids).
    """
    user = session.get(_USER_KEY)
    if user is not None and recheck and time.monotonic() - session.get(_CHECKED_KEY, 0) > RECHECK_SECONDS:
        from auction_app.auth.sessions import still_valid

        session[_CHECKED_KEY] = time.monotonic()
        if not still_valid(user):
            session.pop(_USER_KEY, None)
            return None
    return user


def refuse(code: str, message: str):
    """Refuse the handshake; the client's connect_error gets {message, data: {code, message}}."""
    raise ConnectionRefusedError(message, {"code": code, "message": message})


@socketio.on("connect")
def on_connect(auth=None):
    from auction_app.auth.guards import user_from_socket

    try:
        user = user_from_socket(auth, request.environ)
    except ApiError as exc:
        refuse(exc.code, exc.message)
    if user is None and not spectator_allowed(auth):
        refuse("not_signed_in", "Please sign in to continue.")
    session[_USER_KEY] = user
    session[_CHECKED_KEY] = time.monotonic()
    metrics.SOCKETS.inc()
    join_room(ANNOUNCEMENTS_ROOM)
