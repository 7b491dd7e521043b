"""Open sockets obey revocation at once, on every web process (issue 10 items 3 and 8, issue 9, issue 11).

Two real gunicorn + gevent web processes share Redis. A member's socket is
open on process A; the sign-out, revoke or disable happens on process B. The
revocation is pushed through Redis, so A disconnects the socket (with a
`session_ended` event saying why) without any database read per event.
"""
from __future__ import annotations

import secrets
import threading
from datetime import datetime, timezone

import pytest
import requests
import socketio

from tests.support import services
from tests.support.auction_clients import RoomClient
from tests.support.factories import make_league, make_user, session_token


@pytest.fixture(scope="module")
def web_b(service_env, workdir, app):
    proc, base = services.start_web(service_env, workdir, name="web-b")
    yield base
    services.stop_process(proc)


class Watcher:
    """A real Socket.IO client that records session_ended, membership_ended, standings_updated and its disconnect."""

    def __init__(self, base, auth):
        self.events: list[tuple[str, dict]] = []
        self.gone = threading.Event()
        self.cond = threading.Condition()
        self.sio = socketio.Client(reconnection=False)
        for name in ("session_ended", "membership_ended", "standings_updated", "presence"):
            self.sio.on(name, self._record(name))
        self.sio.on("disconnect", lambda *a: self.gone.set())
        self.sio.connect(base, auth=auth, transports=["websocket"], wait_timeout=10)

    def _record(self, name):
        def handler(payload):
            with self.cond:
                self.events.append((name, payload))
                self.cond.notify_all()
        return handler

    def wait_for(self, name, timeout=15.0) -> dict:
        with self.cond:
            ok = self.cond.wait_for(lambda: any(n == name for n, _ in self.events), timeout)
            assert ok, f"no {name} within {timeout}s; got {self.events}"
            return next(p for n, p in self.events if n == name)

    def received(self, name) -> list[dict]:
        with self.cond:
            return [p for n, p in self.events if n == name]

    def close(self):
        if self.sio.connected:
            self.sio.disconnect()


def _running_auction(db, members=3):
    from auction_app.services import auction_engine

    league, users = make_league(db, members=members)
    auction, _effects = auction_engine.start(db, league, users[0]["_id"], datetime.now(timezone.utc))
    return league, users, auction


def _assert_signed_out(watcher: Watcher):
    ended = watcher.wait_for("session_ended")
    assert ended["code"] == "signed_out" and "signed out" in ended["message"]
    assert watcher.gone.wait(10) and not watcher.sio.connected


@pytest.mark.parametrize("how", ["sign_out", "revoke_this_session", "revoke_all", "admin_disable"])
def test_revocation_on_one_process_disconnects_the_socket_open_on_another(web, web_b, app, db, how):
    _league, users, auction = _running_auction(db)
    member = users[1]
    token = session_token(app, member)
    room = RoomClient(web, token=token, name="member").connect()
    room_gone = threading.Event()
    room.sio.on("disconnect", lambda *a: room_gone.set())
    room.join(auction["_id"])
    watcher = Watcher(web, {"token": token})
    try:
        bearer = {"Authorization": f"Bearer {token}"}
        if how == "sign_out":
            response = requests.post(f"{web_b}/api/auth/sign-out", headers=bearer, timeout=10)
        elif how == "revoke_this_session":
            other = {"Authorization": f"Bearer {session_token(app, member)}"}
            sessions = requests.get(f"{web_b}/api/account/sessions", headers=bearer, timeout=10).json()["sessions"]
            current = next(s["id"] for s in sessions if s["current"])
            response = requests.delete(f"{web_b}/api/account/sessions/{current}", headers=other, timeout=10)
        elif how == "revoke_all":
            response = requests.post(f"{web_b}/api/account/sessions/revoke-all", headers=bearer, timeout=10)
        else:
            admin = make_user(db, "Admin")
            db.users.update_one({"_id": admin["_id"]}, {"$set": {"role": "admin"}})
            response = requests.post(f"{web_b}/api/admin/users/{member['_id']}/disable",
                                     headers={"Authorization": f"Bearer {session_token(app, admin)}"}, timeout=10)
        assert response.status_code == 200, response.text
        _assert_signed_out(watcher)
        # The auction-room socket went too: no more events, no more sync.
        assert room_gone.wait(10)
        with pytest.raises(socketio.exceptions.ConnectionError):
            Watcher(web, {"token": token})  # and the token no longer opens a socket anywhere
    finally:
        watcher.close()
        room.disconnect()


def test_an_open_socket_of_another_member_is_not_touched(web, web_b, app, db):
    _league, users, auction = _running_auction(db)
    leaver, stayer = users[1], users[2]
    leaver_token = session_token(app, leaver)
    gone = Watcher(web, {"token": leaver_token})
    stays = RoomClient(web, token=session_token(app, stayer), name="stayer").connect()
    stays.join(auction["_id"])
    try:
        requests.post(f"{web_b}/api/auth/sign-out", headers={"Authorization": f"Bearer {leaver_token}"}, timeout=10)
        _assert_signed_out(gone)
        assert stays.sync()["auction_id"] == auction["_id"]  # still served
    finally:
        gone.close()
        stays.disconnect()


def test_a_member_removed_from_a_league_stops_receiving_its_standings(web, web_b, app, db, catalogs):
    from auction_app import realtime
    from auction_app.services import standings

    league, users = make_league(db, members=3)
    boss, removed, staying = users
    removed_socket = Watcher(web, {"token": session_token(app, removed)})
    staying_socket = Watcher(web, {"token": session_token(app, staying)})
    try:
        for watcher in (removed_socket, staying_socket):
            ack = watcher.sio.call("join_league", {"league_id": league["_id"]}, timeout=10)
            assert ack["ok"], ack
        response = requests.delete(f"{web_b}/api/leagues/{league['_id']}/members/{removed['_id']}",
                                   headers={"Authorization": f"Bearer {session_token(app, boss)}"}, timeout=10)
        assert response.status_code == 200, response.text
        ended = removed_socket.wait_for("membership_ended")
        assert ended["league_id"] == league["_id"] and "no longer a member" in ended["message"]
        with app.app_context():
            realtime.emit("standings_updated", {"league_id": league["_id"], "reason": "test"},
                          room=standings.room(league["_id"]))
        staying_socket.wait_for("standings_updated")
        assert removed_socket.received("standings_updated") == []
        # Joining again is refused: they are not a member any more.
        again = removed_socket.sio.call("join_league", {"league_id": league["_id"]}, timeout=10)
        assert again["ok"] is False and again["error"]["code"] == "league_not_found"
    finally:
        removed_socket.close()
        staying_socket.close()


def test_rotating_the_spectator_link_disconnects_screens_using_the_old_one(web, web_b, app, db):
    league, users, auction = _running_auction(db, members=2)
    old = league["spectator_token"]
    screen = Watcher(web, {"spectator_token": old})
    try:
        ack = screen.sio.call("join_auction", {"auction_id": auction["_id"], "spectator_token": old}, timeout=10)
        assert ack["ok"], ack
        response = requests.post(f"{web_b}/api/leagues/{league['_id']}/spectator-link/rotate",
                                 headers={"Authorization": f"Bearer {session_token(app, users[0])}"}, timeout=10)
        assert response.status_code == 200
        new_link = response.json()["spectator_link"]
        assert old not in new_link and new_link.rsplit("/", 1)[1] == db.leagues.find_one(
            {"_id": league["_id"]})["spectator_token"]
        ended = screen.wait_for("session_ended")
        assert ended["code"] == "spectator_link_changed"
        assert screen.gone.wait(10)
        with pytest.raises(socketio.exceptions.ConnectionError):
            Watcher(web, {"spectator_token": old})
        assert requests.get(f"{web}/watch/{old}", timeout=10).status_code == 404
        # Only the commissioner may rotate it.
        refused = requests.post(f"{web_b}/api/leagues/{league['_id']}/spectator-link/rotate",
                                headers={"Authorization": f"Bearer {session_token(app, users[1])}"}, timeout=10)
        assert refused.status_code == 403
    finally:
        screen.close()


# --- Item 8: sync / join_auction are throttled and presence is coalesced --------------------

def test_sync_is_throttled_per_connection_and_repeats_broadcast_no_presence(web, app, db):
    _league, users, auction = _running_auction(db)
    listener = RoomClient(web, token=session_token(app, users[0]), name="listener").connect()
    listener.join(auction["_id"])
    noisy = RoomClient(web, token=session_token(app, users[1]), name="noisy").connect()
    try:
        noisy.join(auction["_id"])
        listener.wait_for("presence", lambda p: users[1]["_id"] in p["online"])
        acks = [noisy.sio.call("sync", {"auction_id": auction["_id"]}, timeout=10) for _ in range(40)]
        served = [a for a in acks if a["ok"]]
        limited = [a for a in acks if not a["ok"]]
        assert len(served) >= 9 and len(limited) >= 25  # 10 per 10 seconds per connection, the join included
        assert all(a["error"]["code"] == "rate_limited" for a in limited)
        assert "Please wait a few seconds" in limited[0]["error"]["message"]
        # A third member comes online: the listener hears that, and nothing about the 40 syncs.
        third = RoomClient(web, token=session_token(app, users[2]), name="third").connect()
        third.join(auction["_id"])
        listener.wait_for("presence", lambda p: users[2]["_id"] in p["online"])
        presence = listener.received("presence")
        about_noisy = [p for p in presence if users[1]["_id"] in p["online"] and users[2]["_id"] not in p["online"]]
        assert len(about_noisy) == 1
        third.disconnect()
    finally:
        noisy.disconnect()
        listener.disconnect()


# --- Issue 9: every handler acknowledges, even when it fails -------------------------------

def test_a_handler_that_fails_still_answers_with_a_sentence_and_the_connection_keeps_working(web, app, db):
    user = make_user(db)
    broken_id = "broken-" + secrets.token_hex(4)
    # A damaged auction document (no sequence, no lots) makes the join handler raise.
    db.auctions.insert_one({"_id": broken_id, "members": [user["_id"]], "league_id": "nowhere"})
    room = RoomClient(web, token=session_token(app, user), name="member").connect()
    try:
        ack = room.sio.call("join_auction", {"auction_id": broken_id}, timeout=10)
        assert ack == {"ok": False, "error": {
            "code": "server_error",
            "message": "Something went wrong on our side. We've been told and will look into it."}}
        # The connection is still there and answers the next event.
        again = room.sio.call("join_auction", {"auction_id": "missing-auction"}, timeout=10)
        assert again["ok"] is False and again["error"]["code"] == "not_found"
    finally:
        room.disconnect()
        db.auctions.delete_one({"_id": broken_id})


# --------------------------------------------------------------------------- bid rate limit (issue 11)

def _bids_until_limited(rooms: list[RoomClient], lot_id: str, tries: int) -> tuple[int, dict | None]:
    """Bid `tries` times, taking turns over `rooms`; returns (bids the limiter let through, first refusal)."""
    passed, refusal = 0, None
    for i in range(tries):
        ack = rooms[i % len(rooms)].bid(1_000 + i, lot_id=lot_id)
        if not ack["ok"] and ack["error"]["code"] == "rate_limited":
            refusal = refusal or ack["error"]
        else:
            passed += 1
    return passed, refusal


def test_a_member_bidding_too_fast_is_told_to_wait_and_others_still_bid(web, app, db):
    _league, users, auction = _running_auction(db)
    fast = RoomClient(web, token=session_token(app, users[1]), name="fast").connect()
    calm = RoomClient(web, token=session_token(app, users[2]), name="calm").connect()
    try:
        lot_id = fast.join(auction["_id"])["lot"]["id"]
        calm.join(auction["_id"])
        passed, refusal = _bids_until_limited([fast], lot_id, 125)
        assert passed == 120  # BID_RATE_LIMIT: 120 per minute
        assert refusal is not None and "bidding too fast" in refusal["message"] and "seconds" in refusal["message"]
        assert calm.bid(5, lot_id=lot_id)["ok"], "one member's limit is not another's"
    finally:
        fast.disconnect()
        calm.disconnect()


def test_bids_spread_over_two_web_processes_count_together(web, web_b, app, db):
    # Each process counts in its own memory (no round trip per bid) and adds its count to Redis
    # every 0.1 s: 100 bids on each process are 200 for the member. From half the limit on, the
    # member's bids are counted in Redis one by one, so the processes together stop them at about
    # the 120th (without that, as many as 155 passed once bids got faster).
    _league, users, auction = _running_auction(db)
    token = session_token(app, users[1])
    on_a = RoomClient(web, token=token, name="on A").connect()
    on_b = RoomClient(web_b, token=token, name="on B").connect(("polling",), origin=web)
    try:
        lot_id = on_a.join(auction["_id"])["lot"]["id"]
        on_b.join(auction["_id"])
        passed, refusal = _bids_until_limited([on_a, on_b], lot_id, 200)
        assert refusal is not None, "200 bids in a minute over two processes were all let through"
        assert 120 <= passed <= 130, f"{passed} of 200 bids passed the limit of 120"
    finally:
        on_a.disconnect()
        on_b.disconnect()


def test_the_shared_count_stops_only_the_member_over_the_limit_until_the_window_ends(app):
    from auction_app.auction import ratelimit

    import time

    over, under = f"over-{secrets.token_hex(4)}", f"under-{secrets.token_hex(4)}"
    now = time.time()
    if now % 60 > 55:  # keep the whole test inside one minute window
        time.sleep(61 - now % 60)
        now = time.time()
    window_ends = (now // 60 + 1) * 60
    with app.app_context():
        ratelimit.add_to_shared_count({(over, "5/minute"): 4, (under, "5/minute"): 5}, now)
        ratelimit.add_to_shared_count({(over, "5/minute"): 2}, now)  # 6 in the window
    assert ratelimit._refused_until[over] == window_ends  # the end of the window, not a minute from now
    with app.test_request_context():
        refused = ratelimit.check_bid_rate(over)
        assert ratelimit.check_bid_rate(under) is None, "5 of 5 is within the limit"
    assert refused is not None and refused.code == "rate_limited"
    # Once the window has ended, the process keeps nothing of it: the member bids again, and a
    # long-running process does not hold an entry for every member who ever bid.
    ratelimit.forget_ended_windows(window_ends)
    assert over not in ratelimit._refused_until and over not in ratelimit._shared_seen
    assert under not in ratelimit._shared_seen
    assert (under, app.config["BID_RATE_LIMIT"]) in ratelimit._this_process  # counted here, window running
    ratelimit.forget_ended_windows(time.time() + 61)  # and once this process's own window has ended
    assert not {over, under} & {user for user, _spec in ratelimit._this_process}
