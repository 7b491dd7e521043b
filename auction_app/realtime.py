"""Sending Socket.IO events from any process.

Web processes emit through the bound SocketIO extension; Celery workers emit
through a write-only SocketIO connected only to the Redis message queue (it
never starts a listener). Either way the event reaches clients connected to
any web process. Every auction event carries its sequence number and the
server time so clients can detect gaps and correct their clocks.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app
from flask_socketio import SocketIO

ANNOUNCEMENTS_ROOM = "announcements"


def init_app(app, role: str) -> None:
    if role == "web":
        from auction_app.extensions import socketio

        app.extensions["realtime_emitter"] = socketio
    else:
        app.extensions["realtime_emitter"] = SocketIO(
            message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
            channel=app.config["SOCKETIO_CHANNEL"],
        )


def server_now() -> datetime:
    return datetime.now(timezone.utc)


def emit(event: str, payload: dict, *, room: str | None = None) -> None:
    """Emit an event stamped with the server time (ISO 8601, UTC)."""
    stamped = dict(payload, server_time=server_now().isoformat())
    current_app.extensions["realtime_emitter"].emit(event, stamped, to=room)
