"""The standings room over Socket.IO.

`join_league` {league_id}: members only; joins room `league:<id>` and
acknowledges with the current table, so a page that (re)connects is never
behind. After every import and scoring change the server emits
`standings_updated` {league_id, reason, standings, server_time} to the room
(from the web process or a worker, through auction_app.realtime.emit).
Delivery is at most once, so clients call join_league again on every
reconnect. Errors come back in the ack as {"ok": false, "error": {...}}.
"""
from __future__ import annotations

from flask_socketio import join_room, leave_room

from auction_app.errors import ApiError
from auction_app.extensions import socketio
from auction_app.repositories import database
from auction_app.services import standings as service
from auction_app.services.leagues import LeagueError
from auction_app.sockets import socket_current_user
from auction_app.standings.schemas import JoinLeagueIn
from auction_app.validation import validate


def _error(code: str, message: str) -> dict:
    return {"ok": False, "error": {"code": code, "message": message}}


@socketio.on("join_league")
def on_join_league(data=None):
    user = socket_current_user()
    if user is None:
        return _error("not_signed_in", "Please sign in to see the standings.")
    try:
        payload = validate(JoinLeagueIn, data)
        view = service.member_standings(database(), payload.league_id, user["_id"])
    except (ApiError, LeagueError) as exc:
        return _error(exc.code, exc.message)
    join_room(service.room(payload.league_id))
    return {"ok": True, "standings": view}


@socketio.on("leave_league")
def on_leave_league(data=None):
    try:
        payload = validate(JoinLeagueIn, data)
    except ApiError as exc:
        return _error(exc.code, exc.message)
    leave_room(service.room(payload.league_id))
    return {"ok": True}
