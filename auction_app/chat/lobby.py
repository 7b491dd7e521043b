"""The league page's lobby: who is here before the auction, and the live switch to the room.

A member's league page says "here" every few seconds over Socket.IO (`lobby_here`);
the server keeps the last time it heard from each member in a Redis sorted set and
answers with who is here and the league's status, so the page switches to "Auction is
on — join" within a heartbeat of the start, on any web process, without a reload.
Who is here is also pushed to the other pages (`lobby_presence`). A member counts as
here for HERE_SECONDS after their last heartbeat, so a closed tab drops out by itself.
"""
from __future__ import annotations

import logging
import time

from flask_socketio import join_room, leave_room

from auction_app import realtime
from auction_app.auction.schemas import Id
from auction_app.chat.sockets import _error
from auction_app.errors import ApiError
from auction_app.extensions import socketio
from auction_app.redis_store import client
from auction_app.repositories import database
from auction_app.services import leagues as league_service
from auction_app.services.auction_views import lobby_room as room  # one name for the lobby's room
from auction_app.services.leagues import LeagueError
from auction_app.sockets import socket_current_user
from auction_app.validation import StrictModel, validate

log = logging.getLogger(__name__)
HERE_SECONDS = 20


class LobbyIn(StrictModel):
    league_id: Id


def _key(league_id: str) -> str:
    return f"lobby:{league_id}"


def here_now(league: dict, user_id: str | None = None, gone: bool = False) -> list[str]:
    """Names of the members heard from in the last HERE_SECONDS (recording `user_id` first)."""
    try:
        r = client()
        now = time.time()
        if user_id and not gone:
            r.zadd(_key(league["_id"]), {user_id: now})
            r.expire(_key(league["_id"]), 3600)
        elif user_id:
            r.zrem(_key(league["_id"]), user_id)
        r.zremrangebyscore(_key(league["_id"]), 0, now - HERE_SECONDS)
        ids = r.zrange(_key(league["_id"]), 0, -1)
    except Exception:
        log.warning("lobby presence unavailable", exc_info=True)
        return []
    members = league.get("members") or {}
    return sorted(members[uid]["name"] for uid in ids if uid in members)


def _league(data) -> tuple[dict, dict]:
    payload = validate(LobbyIn, data)
    user = socket_current_user()
    if user is None:
        raise ApiError("not_signed_in", "Please sign in to continue.", 401)
    return user, league_service.member_league(database(), payload.league_id, user["_id"])


def _announce(league: dict, names: list[str]) -> None:
    realtime.emit("lobby_presence", {"league_id": league["_id"], "here": names}, room=room(league["_id"]))


def _reply(league: dict, names: list[str]) -> dict:
    return {"ok": True, "here": names, "status": league["status"], "auction_id": league.get("auction_id")}


@socketio.on("lobby_here")
def on_lobby_here(data=None):
    try:
        user, league = _league(data)
    except (ApiError, LeagueError) as exc:
        return _error(exc.code, exc.message)
    join_room(room(league["_id"]))
    names = here_now(league, user["_id"])
    _announce(league, names)
    return _reply(league, names)


@socketio.on("lobby_leave")
def on_lobby_leave(data=None):
    try:
        user, league = _league(data)
    except (ApiError, LeagueError) as exc:
        return _error(exc.code, exc.message)
    leave_room(room(league["_id"]))
    _announce(league, here_now(league, user["_id"], gone=True))
    return {"ok": True}
