"""Socket.IO connection handling for web processes.

Origins are checked by the engine (cors_allowed_origins from config). Every
connected client joins the announcements room.
"""
from flask_socketio import join_room

from auction_app.extensions import socketio
from auction_app.realtime import ANNOUNCEMENTS_ROOM


@socketio.on("connect")
def on_connect(auth=None):
    join_room(ANNOUNCEMENTS_ROOM)
