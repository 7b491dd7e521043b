"""A member with the standings page open sees the new table at once.

Real gunicorn + gevent web process, python-socketio clients over real
websockets, events through the Redis message queue (the import runs in this
test process, exactly as another web process or a worker would emit).
"""
from __future__ import annotations

import queue

import pytest
import socketio

from tests.integration.test_standings import PL_SALES, example, upload
from tests.support.factories import bearer, completed_league, session_token

pytestmark = pytest.mark.slow


def page_client(web: str, token: str) -> tuple[socketio.Client, "queue.Queue[dict]"]:
    received: queue.Queue = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("standings_updated", received.put)
    client.connect(web, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    return client, received


def test_a_member_with_the_page_open_receives_the_new_table_after_an_import(app, client, db, catalogs, web):
    from tests.support.factories import make_user

    league, users = completed_league(db, PL_SALES)
    ben, received = page_client(web, session_token(app, users[1]))
    outsider, outsider_received = page_client(web, session_token(app, make_user(db, "Outsider")))
    try:
        joined = ben.call("join_league", {"league_id": league["_id"]}, timeout=10)
        assert joined["ok"], joined
        assert [r["points"] for r in joined["standings"]["standings"]] == [0, 0, 0]
        # Someone outside the league can't join its room or learn it exists.
        refused = outsider.call("join_league", {"league_id": league["_id"]}, timeout=10)
        assert refused == {"ok": False, "error": {"code": "league_not_found",
                                                  "message": "We couldn't find that league."}}
        assert outsider.call("join_league", {"league_id": {"$ne": None}}, timeout=10)["ok"] is False

        response = upload(client, league["_id"], bearer(app, users[0]), example("premier-league-sample.csv"),
                          "premier-league-sample.csv")
        assert response.status_code == 200
        event = received.get(timeout=10)
        assert event["league_id"] == league["_id"] and event["reason"] == "import"
        assert [(r["rank"], r["name"], r["points"]) for r in event["standings"]["standings"]] == [
            (1, "Ann", 25), (2, "Ben", 20), (3, "Cat", 13)]
        assert event["server_time"].endswith("+00:00")

        # A scoring change recomputes and is pushed the same way.
        assert client.put(f"/api/leagues/{league['_id']}/scoring", headers=bearer(app, users[0]),
                          json={"per_goal": 0}).status_code == 200
        event = received.get(timeout=10)
        assert event["reason"] == "scoring"
        assert [r["points"] for r in event["standings"]["standings"]] == [12, 10, 6]
        assert outsider_received.empty()
    finally:
        ben.disconnect()
        outsider.disconnect()
