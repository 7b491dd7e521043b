"""Maintenance mode, announcements that expire and can be cleared, and a status
page that answers from a cached, rate-limited check."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from auction_app.ops import status_cache
from auction_app.repositories import announcements, auctions
from auction_app.repositories import users as users_repo
from auction_app.services import auction_engine as engine
from tests.support.auction_clients import RoomClient
from tests.support.factories import bearer, make_league, make_user, session_token


class AnnouncementWatcher(RoomClient):
    EVENTS = RoomClient.EVENTS + ("announcement",)


def _running_auction(db):
    league, users = make_league(db, members=2)
    auction, _ = engine.start(db, league, users[0]["_id"], datetime.now(timezone.utc))
    return auction, users


def test_maintenance_pauses_auctions_refuses_writes_tells_rooms_and_ends_cleanly(app, client, db, web, worker):
    auction, users = _running_auction(db)
    room = AnnouncementWatcher(web, token=session_token(app, users[1])).connect()
    room.join(auction["_id"])
    runner = app.test_cli_runner()
    try:
        turned_on = runner.invoke(args=["maintenance", "on", "Upgrading the database, back at 22:30 UTC"])
        assert turned_on.exit_code == 0, turned_on.output
        assert "Paused" in turned_on.output
        assert auctions.get(db, auction["_id"])["status"] == auctions.PAUSED

        told = room.wait_for("announcement", lambda p: p.get("maintenance") is True)
        assert told["message"] == "Upgrading the database, back at 22:30 UTC" and told["level"] == "warning"
        room.wait_for("auction_paused")

        bid = client.post(f"/api/auctions/{auction['_id']}/bids", json={"amount": 5, "idempotency_key": "mm-1"},
                          headers=bearer(app, users[1]))
        assert bid.status_code == 503
        assert bid.get_json()["error"] == {"code": "maintenance",
                                           "message": "Upgrading the database, back at 22:30 UTC"}
        assert bid.headers["Retry-After"]
        assert client.get(f"/api/auctions/{auction['_id']}", headers=bearer(app, users[1])).status_code == 200
        status = client.get("/api/status").get_json()
        assert status["maintenance"] is True and status["live_auctions_working"] is False
        assert status["announcement"]["message"] == "Upgrading the database, back at 22:30 UTC"

        turned_off = runner.invoke(args=["maintenance", "off"])
        assert turned_off.exit_code == 0, turned_off.output
        assert auctions.get(db, auction["_id"])["status"] == auctions.RUNNING
        room.wait_for("announcement", lambda p: p.get("maintenance") is False)
        accepted = client.post(f"/api/auctions/{auction['_id']}/bids",
                               json={"amount": 5, "idempotency_key": "mm-2"}, headers=bearer(app, users[1]))
        assert accepted.status_code != 503, accepted.get_json()
        assert client.get("/api/status").get_json()["announcement"] is None
        actions = {a["action"] for a in db.audit.find({"action": {"$regex": "^admin_maintenance"}})}
        assert {"admin_maintenance_on", "admin_maintenance_off"} <= actions
    finally:
        room.disconnect()
        runner.invoke(args=["maintenance", "off"])


def test_announcements_expire_and_admins_can_clear_them(app, client, db):
    now = datetime.now(timezone.utc)
    announcements.clear(db, now)
    announcements.add(db, "Old news", "info", None, now - timedelta(hours=30), now - timedelta(hours=6))
    assert announcements.latest(db, now) is None, "an expired announcement is not shown"

    admin = make_user(db, "Admin")
    users_repo.set_role(db, admin["_id"], "admin")
    made = client.post("/api/admin/announcements", json={"message": "Pitch closed today", "hours": 2},
                       headers=bearer(app, admin))
    assert made.status_code == 201
    expires = datetime.fromisoformat(made.get_json()["expires_at"])
    assert timedelta(hours=1, minutes=59) < expires - now < timedelta(hours=2, minutes=1)
    assert client.get("/api/status").get_json()["announcement"]["message"] == "Pitch closed today"
    assert announcements.latest(db, now + timedelta(hours=3)) is None, "gone once it expires"

    cleared = client.delete("/api/admin/announcements", headers=bearer(app, admin))
    assert cleared.status_code == 200 and cleared.get_json()["cleared"] >= 1
    assert client.get("/api/status").get_json()["announcement"] is None
    assert db.audit.count_documents({"actor_id": admin["_id"], "action": "admin_cleared_announcements"}) == 1
    assert db.audit.count_documents({"actor_id": admin["_id"], "action": "admin_announced"}) == 1

    runner = app.test_cli_runner()
    said = runner.invoke(args=["announce", "Back soon", "--level", "warning", "--hours", "1"])
    assert said.exit_code == 0 and "for 1 h" in said.output
    assert runner.invoke(args=["announce", "--clear"]).exit_code == 0
    assert announcements.latest(db, datetime.now(timezone.utc)) is None


def test_status_and_ready_answer_from_one_cached_check(app, client):
    status_cache.forget(app)
    first = client.get("/api/status").get_json()["checked_at"]
    seen = {client.get("/api/status").get_json()["checked_at"] for _ in range(10)}
    seen |= {client.get("/ready").get_json()["checked_at"] for _ in range(10)}
    assert seen == {first}, "twenty viewers, one dependency check"


def test_status_endpoints_are_rate_limited_per_client(client):
    limit = int(client.application.config["STATUS_RATE_LIMIT"].split()[0])
    answers = [client.get("/api/status").status_code for _ in range(limit + 1)]
    assert answers[:limit] == [200] * limit
    assert answers[-1] == 429
