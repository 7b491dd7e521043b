"""The auction room over Socket.IO: join (with a full snapshot), bid (acknowledged), sync.

Every handler validates its payload and checks membership; errors come back in
the acknowledgement as {"ok": false, "error": {"code", "message"}}.

`join_auction` and `sync` read a full snapshot, so each connection may call
them SOCKET_SYNC_PER_10_SECONDS times per 10 seconds; a connection already in
the room does not touch presence again, and presence is broadcast only when
the set of members online changes, coalesced to one broadcast per auction per
PRESENCE_COALESCE_SECONDS.
"""
from __future__ import annotations

import time

from flask import current_app, request
from flask_socketio import join_room, leave_room

from auction_app import metrics, realtime
from auction_app.auction import presence
from auction_app.auction.access import NOT_FOUND, auction_for_spectator, check_member
from auction_app.auction.ratelimit import check_bid_rate
from auction_app.auction.schemas import BidIn, JoinAuctionIn, NominateIn
from auction_app.clock import utcnow
from auction_app.effects import carry_out
from auction_app.errors import ApiError
from auction_app.extensions import socketio
from auction_app.repositories import database
from auction_app.services import auction_engine, auction_store
from auction_app.sockets import on_disconnect_hook, socket_current_user, sync_allowed
from auction_app.validation import validate

# sid -> set of auction ids this connection watches (per web process; cleaned on disconnect)
_rooms_by_sid: dict[str, set[str]] = {}


def _error(exc: ApiError) -> dict:
    return {"ok": False, "error": {"code": exc.code, "message": exc.message}}


SYNC_LIMITED = ApiError("rate_limited", "You're refreshing the auction very often. Please wait a few seconds "
                                        "and try again.", 429)


def _check_viewer(payload: JoinAuctionIn) -> str | None:
    """The member's id (None for a spectator) if this connection may watch the auction; ApiError otherwise."""
    user = socket_current_user()
    if user is not None:
        check_member(payload.auction_id, user["_id"])
        return user["_id"]
    auction_for_spectator(payload.auction_id, payload.spectator_token or "")
    return None


@socketio.on("join_auction")
def on_join_auction(data=None):
    try:
        payload = validate(JoinAuctionIn, data)
        if not sync_allowed():
            raise SYNC_LIMITED
        viewer_id = _check_viewer(payload)
    except ApiError as exc:
        return _error(exc)
    auction_id = payload.auction_id
    # In the room first, then the state: every event after the state read reaches this socket,
    # and the client skips the ones the snapshot already has (by seq). Joins at the same moment
    # share one read (auction_store.read_after_now).
    join_room(auction_engine.room(auction_id))
    auction = auction_store.read_after_now(database(), auction_id)
    if auction is None:  # deleted meanwhile
        leave_room(auction_engine.room(auction_id))
        return _error(NOT_FOUND)
    joined = _rooms_by_sid.setdefault(request.sid, set())
    online: list[str] = []  # spectators are not told who is online
    if viewer_id and auction_id in joined:
        online = presence.current(auction_id)  # already here: nothing changes, nothing to announce
    elif viewer_id:
        online, newly_online = presence.enter(auction_id, request.sid, viewer_id)
        if newly_online:
            _announce_presence(auction, online)
    joined.add(auction_id)
    snapshot = auction_engine.snapshot(database(), auction, viewer_id, utcnow())
    snapshot["online"] = online
    return {"ok": True, "snapshot": snapshot}


@socketio.on("sync")
def on_sync(data=None):
    return on_join_auction(data)


@socketio.on("bid")
def on_bid(data=None):
    user = socket_current_user()  # a revoked session (pushed to this process) stops bidding at once
    if user is None:
        return _error(ApiError("not_signed_in", "Please sign in to bid.", 401))
    try:
        payload = validate(BidIn, data)  # membership is checked by the engine (code not_member)
    except ApiError as exc:
        return _error(exc)
    limited = check_bid_rate(user["_id"])
    if limited is not None:
        return {"ok": False, "error": {"code": limited.code, "message": limited.message}}
    seen = payload.seen_price if "seen_price" in payload.model_fields_set else auction_engine.UNSET
    started = time.perf_counter()
    result = auction_engine.place_bid(database(), payload.auction_id, user["_id"], payload.amount,
                                      payload.idempotency_key, utcnow(), lot_id=payload.lot_id, seen_price=seen,
                                      first_attempt=not payload.retry, publish=carry_out)
    metrics.observe_bid(result.accepted, result.code, time.perf_counter() - started)
    return result.to_ack()


@socketio.on("nominate")
def on_nominate(data=None):
    user = socket_current_user()
    if user is None:
        return _error(ApiError("not_signed_in", "Please sign in to put a team up.", 401))
    try:
        payload = validate(NominateIn, data)
    except ApiError as exc:
        return _error(exc)
    limited = check_bid_rate(user["_id"])
    if limited is not None:
        return {"ok": False, "error": {"code": limited.code, "message": limited.message}}
    return auction_engine.nominate(database(), payload.auction_id, user["_id"], payload.team_key, payload.amount,
                                   payload.idempotency_key, utcnow(), publish=carry_out).to_ack()


@socketio.on("leave_auction")
def on_leave_auction(data=None):
    try:
        payload = validate(JoinAuctionIn, data)
    except ApiError as exc:
        return _error(exc)
    _leave(payload.auction_id)
    return {"ok": True}


@on_disconnect_hook
def _forget_connection():
    for auction_id in list(_rooms_by_sid.get(request.sid, ())):
        _leave(auction_id)
    _rooms_by_sid.pop(request.sid, None)


def _leave(auction_id: str) -> None:
    leave_room(auction_engine.room(auction_id))
    _rooms_by_sid.get(request.sid, set()).discard(auction_id)
    online, changed = presence.leave(auction_id, request.sid)
    if changed:
        # No database read: a mass disconnect (a web process restarting, a club's Wi-Fi dropping)
        # must not queue thousands of reads. The seq is the latest this process announced.
        seq = _presence_pending.get(auction_id) or _presence_seq.get(auction_id, 0)
        _announce_presence({"_id": auction_id, "seq": seq}, online)


# Presence changes are coalesced per auction: the first change arms one announcement
# PRESENCE_COALESCE_SECONDS later, with whoever is online then; changes meanwhile ride along.
# 50 members joining within a second cost one broadcast to the room, not 50 (issue 11).
PRESENCE_COALESCE_SECONDS = 0.5
_presence_pending: dict[str, int] = {}  # auction id -> the latest auction seq seen with a change
_presence_seq: dict[str, int] = {}  # auction id -> the seq of its last presence announcement here


def _announce_presence(auction: dict, online: list[str]) -> None:
    auction_id = auction["_id"]
    armed = auction_id in _presence_pending
    _presence_pending[auction_id] = max(auction["seq"], _presence_pending.get(auction_id, 0))
    if not armed:
        socketio.start_background_task(_flush_presence, current_app._get_current_object(), auction_id)


def _flush_presence(app, auction_id: str) -> None:
    socketio.sleep(PRESENCE_COALESCE_SECONDS)
    seq = _presence_pending.pop(auction_id, 0)
    _presence_seq[auction_id] = seq
    with app.app_context():
        realtime.emit("presence", {"auction_id": auction_id, "seq": seq, "online": presence.current(auction_id)},
                      room=auction_engine.room(auction_id))
