"""Revocations pushed to every web process, so open Socket.IO connections obey them at once.

Sign-out, revoking a session, revoking all sessions, an admin disabling an
account, removal from (or leaving) a league and rotating a spectator link each
publish one small JSON message on the Redis channel `<SOCKETIO_CHANNEL>:revocations`
(the Redis that carries the Socket.IO message queue). Every web process
subscribes (auction_app/sockets.py) and disconnects, or takes out of the room,
its own connections that the message concerns. Any process may publish: a web
request or a Celery worker.

Redis pub/sub does not replay: a process whose subscription dropped re-checks
all its connections against the database when it re-subscribes, and every
connection is re-checked anyway every SOCKET_SESSION_RECHECK_SECONDS.
Publishing never fails the request that revoked: the database is the truth,
this is the fast path.
"""
from __future__ import annotations

import json
import logging

from flask import current_app

from auction_app.redis_store import client

log = logging.getLogger(__name__)

SESSION = "session"          # {"jti"}: one session signed out or revoked
USER = "user"                # {"user_id"}: every session of a user (revoke all, disable)
MEMBERSHIP = "membership"    # {"league_id", "user_id"}: no longer a member of a league
SPECTATOR = "spectator"      # {"league_id"}: the league's spectator link was replaced


def channel(config) -> str:
    return f"{config['SOCKETIO_CHANNEL']}:revocations"


def publish(kind: str, **fields) -> bool:
    message = json.dumps(dict(fields, kind=kind))
    try:
        client().publish(channel(current_app.config), message)
        return True
    except Exception:  # noqa: BLE001  (the periodic re-check still catches it)
        log.warning("could not publish a %s revocation; open sockets will notice at their next re-check",
                    kind, exc_info=True)
        return False


def session_revoked(jti: str) -> bool:
    return publish(SESSION, jti=jti)


def user_revoked(user_id: str) -> bool:
    return publish(USER, user_id=user_id)


def membership_ended(league_id: str, user_id: str) -> bool:
    return publish(MEMBERSHIP, league_id=league_id, user_id=user_id)


def spectator_link_rotated(league_id: str) -> bool:
    return publish(SPECTATOR, league_id=league_id)
