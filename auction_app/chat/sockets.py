"""Socket.IO handlers for the room chat: join (history), send, react, mute.

Members and spectators (with the league's spectator link) can read; only members
can write. Every payload is validated; every reply is {"ok": true, ...} or
{"ok": false, "error": {"code", "message"}} with a sentence for people.
"""
from __future__ import annotations

import secrets
from typing import Annotated

from flask_socketio import join_room
from pydantic import Field

from auction_app import realtime
from auction_app.auction.access import auction_for_member, auction_for_spectator
from auction_app.auction.schemas import Id
from auction_app.chat import rules
from auction_app.chat.ratelimit import wait_seconds
from auction_app.clock import utcnow
from auction_app.errors import ApiError
from auction_app.extensions import socketio
from auction_app.repositories import chat as chat_repo
from auction_app.repositories import database
from auction_app.sockets import socket_current_user
from auction_app.validation import StrictModel, validate


class ChatJoinIn(StrictModel):
    auction_id: Id
    spectator_token: Annotated[str, Field(min_length=16, max_length=128)] | None = None


class ChatSendIn(StrictModel):
    auction_id: Id
    text: Annotated[str, Field(max_length=1000)]


class ChatReactIn(StrictModel):
    auction_id: Id
    reaction: Annotated[str, Field(max_length=20)]


class ChatMuteIn(StrictModel):
    auction_id: Id
    user_id: Id
    muted: bool


def room(auction_id: str) -> str:
    return f"chat:{auction_id}"


def _error(code: str, message: str) -> dict:
    return {"ok": False, "error": {"code": code, "message": message}}


def _public(message: dict) -> dict:
    return {"id": message["_id"], "user_id": message["user_id"], "name": message["name"], "text": message["text"],
            "at": message["at"].isoformat()}


def _speaker(auction_id: str) -> tuple[dict, dict]:
    """The member writing and the auction; ApiError or ChatError when they may not."""
    user = socket_current_user(recheck=True)
    if user is None:
        raise rules.ChatError("not_signed_in", "Sign in as a member of this league to chat.")
    auction = auction_for_member(auction_id, user["_id"])
    if chat_repo.is_muted(database(), auction_id, user["_id"]):
        raise rules.ChatError("muted", "The commissioner has muted you in this chat.")
    return user, auction


def _guarded(handler):
    def run(data=None):
        try:
            return handler(data)
        except ApiError as exc:
            return _error(exc.code, exc.message)
        except rules.ChatError as exc:
            return _error(exc.code, exc.message)
    run.__name__ = handler.__name__
    return run


def _limited(kind: str, user_id: str) -> None:
    wait = wait_seconds(kind, user_id)
    if wait is not None:
        raise rules.ChatError("rate_limited", f"You're sending a lot quickly. Try again in {wait} s.")


@socketio.on("chat_join")
@_guarded
def on_chat_join(data=None):
    payload = validate(ChatJoinIn, data)
    user = socket_current_user()
    if user is not None:
        auction = auction_for_member(payload.auction_id, user["_id"])
    else:
        auction = auction_for_spectator(payload.auction_id, payload.spectator_token or "")
    join_room(room(auction["_id"]))
    db = database()
    return {"ok": True, "messages": [_public(m) for m in chat_repo.recent(db, auction["_id"])],
            "muted": chat_repo.muted(db, auction["_id"]),
            "can_mute": bool(user) and user["_id"] == auction["commissioner_id"]}


@socketio.on("chat_send")
@_guarded
def on_chat_send(data=None):
    payload = validate(ChatSendIn, data)
    user, auction = _speaker(payload.auction_id)
    text = rules.clean_text(payload.text)
    _limited("chat", user["_id"])
    message = {"_id": f"{utcnow().strftime('%Y%m%d%H%M%S%f')}-{secrets.token_hex(4)}", "auction_id": auction["_id"],
               "user_id": user["_id"], "name": auction["members"][user["_id"]]["name"], "text": text, "at": utcnow()}
    chat_repo.add(database(), message)
    realtime.emit("chat_message", dict(_public(message), auction_id=auction["_id"]), room=room(auction["_id"]))
    return {"ok": True}


@socketio.on("chat_react")
@_guarded
def on_chat_react(data=None):
    payload = validate(ChatReactIn, data)
    user, auction = _speaker(payload.auction_id)
    reaction = rules.check_reaction(payload.reaction)
    _limited("reaction", user["_id"])
    realtime.emit("chat_reaction", {"auction_id": auction["_id"], "user_id": user["_id"],
                                    "name": auction["members"][user["_id"]]["name"], "reaction": reaction,
                                    "face": rules.REACTIONS[reaction]}, room=room(auction["_id"]))
    return {"ok": True}


@socketio.on("chat_mute")
@_guarded
def on_chat_mute(data=None):
    payload = validate(ChatMuteIn, data)
    user = socket_current_user(recheck=True)
    if user is None:
        raise rules.ChatError("not_commissioner", "Only the commissioner can mute members.")
    auction = auction_for_member(payload.auction_id, user["_id"])
    rules.may_mute(user["_id"], auction["commissioner_id"], payload.user_id)
    if payload.user_id not in auction["members"]:
        raise rules.ChatError("not_member", "That person isn't in this auction.")
    db = database()
    if payload.muted:
        chat_repo.mute(db, auction["_id"], payload.user_id, user["_id"], utcnow())
    else:
        chat_repo.unmute(db, auction["_id"], payload.user_id)
    muted = chat_repo.muted(db, auction["_id"])
    realtime.emit("chat_muted", {"auction_id": auction["_id"], "muted": muted}, room=room(auction["_id"]))
    return {"ok": True, "muted": muted}
