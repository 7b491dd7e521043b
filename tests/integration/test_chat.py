"""Room chat over real Socket.IO connections to the real web process (auction_app/chat/):
who may read and write, the Redis-backed rate limit, and the commissioner's mute."""
from __future__ import annotations

import pytest
import socketio

from tests.support.factories import make_league, make_user, session_token

pytestmark = pytest.mark.slow


def client(web, auth):
    sio = socketio.Client(reconnection=False)
    sio.connect(web, auth=auth, transports=["websocket"], wait_timeout=10)
    return sio


def started(app, web, db):
    import requests

    league, users = make_league(db, members=3, teams=["arsenal", "chelsea"], lot_seconds=600)
    response = requests.post(f"{web}/api/leagues/{league['_id']}/auction/start", timeout=10,
                             headers={"Authorization": f"Bearer {session_token(app, users[0])}"})
    assert response.status_code == 201, response.text
    return league, users, response.json()["auction_id"]


def test_members_write_spectators_read_outsiders_see_nothing(app, db, web, worker):
    league, (boss, ann, _ben), auction_id = started(app, web, db)
    member = client(web, {"token": session_token(app, ann)})
    screen = client(web, {"spectator_token": league["spectator_token"]})
    outsider = client(web, {"token": session_token(app, make_user(db, "Nosy"))})
    try:
        heard = []
        screen.on("chat_message", heard.append)
        assert screen.call("chat_join", {"auction_id": auction_id, "spectator_token": league["spectator_token"]},
                           timeout=10)["ok"]
        assert member.call("chat_join", {"auction_id": auction_id}, timeout=10)["can_mute"] is False
        sent = member.call("chat_send", {"auction_id": auction_id, "text": "  hello   all "}, timeout=10)
        assert sent == {"ok": True}
        refused = screen.call("chat_send", {"auction_id": auction_id, "text": "hi"}, timeout=10)
        assert refused["error"]["code"] == "not_signed_in"
        nosy = outsider.call("chat_join", {"auction_id": auction_id}, timeout=10)
        assert nosy["ok"] is False and nosy["error"]["code"] == "not_found"
        assert outsider.call("chat_send", {"auction_id": auction_id, "text": "hi"}, timeout=10)["ok"] is False
        bad = member.call("chat_send", {"auction_id": auction_id, "text": {"$ne": None}}, timeout=10)
        assert bad["ok"] is False  # a payload of the wrong shape is refused, never stored
        screen.sleep(0.5)
        assert [m["text"] for m in heard] == ["hello all"]
        assert [m["text"] for m in db.chat_messages.find({"auction_id": auction_id})] == ["hello all"]
    finally:
        for sio in (member, screen, outsider):
            sio.disconnect()


def test_rate_limit_and_mute(app, db, web, worker):
    _league, (boss, ann, ben), auction_id = started(app, web, db)
    chief, talker, other = (client(web, {"token": session_token(app, u)}) for u in (boss, ann, ben))
    try:
        for sio in (chief, talker, other):
            assert sio.call("chat_join", {"auction_id": auction_id}, timeout=10)["ok"]
        replies = [talker.call("chat_send", {"auction_id": auction_id, "text": f"msg {i}"}, timeout=10)
                   for i in range(6)]
        assert [r["ok"] for r in replies] == [True] * 5 + [False]
        assert replies[-1]["error"]["code"] == "rate_limited"
        assert replies[-1]["error"]["message"].startswith("You're sending a lot quickly. Try again in ")

        # Only the commissioner mutes; a muted member's messages and reactions are refused.
        assert other.call("chat_mute", {"auction_id": auction_id, "user_id": ann["_id"], "muted": True},
                          timeout=10)["error"]["code"] == "not_commissioner"
        muted = chief.call("chat_mute", {"auction_id": auction_id, "user_id": ann["_id"], "muted": True}, timeout=10)
        assert muted == {"ok": True, "muted": [ann["_id"]]}
        assert talker.call("chat_react", {"auction_id": auction_id, "reaction": "clap"},
                           timeout=10)["error"]["code"] == "muted"
        assert other.call("chat_send", {"auction_id": auction_id, "text": "still here"}, timeout=10) == {"ok": True}
        chief.call("chat_mute", {"auction_id": auction_id, "user_id": ann["_id"], "muted": False}, timeout=10)
        assert talker.call("chat_react", {"auction_id": auction_id, "reaction": "clap"}, timeout=10) == {"ok": True}
    finally:
        for sio in (chief, talker, other):
            sio.disconnect()
