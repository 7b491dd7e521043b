"""The commissioner schedules the auction: members are emailed, the lobby is told, and the
auction starts by itself when the time comes (the league page switches live)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from auction_app.repositories import leagues
from auction_app.services import auction_engine as engine
from tests.support.auction_clients import RoomClient
from tests.support.factories import bearer, make_league, session_token


def now():
    return datetime.now(timezone.utc)


def test_a_scheduled_auction_is_announced_and_starts_by_itself(app, client, db, web, worker, beat, mail_capture):
    league, (boss, member) = make_league(db, members=2)
    url = f"/api/leagues/{league['_id']}/auction/schedule"
    refused = client.put(url, json={"starts_at": (now() + timedelta(minutes=5)).isoformat()},
                         headers=bearer(app, member))
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "not_commissioner"
    for bad in ({"starts_at": (now() - timedelta(minutes=5)).isoformat()},
                {"starts_at": "2026-12-01T20:00:00"},              # no time zone
                {"starts_at": {"$gt": ""}}, {"when": "tomorrow"}):
        answer = client.put(url, json=bad, headers=bearer(app, boss))
        assert answer.status_code == 400, bad
    assert leagues.get(db, league["_id"]).get("scheduled_start_at") is None, "nothing was scheduled"

    lobby = RoomClient(web, token=session_token(app, member), name="lobby")
    started = []
    lobby.sio.on("auction_started", started.append)
    lobby.connect()
    lobby.sio.call("lobby_here", {"league_id": league["_id"]}, timeout=10)
    starts_at = now() + timedelta(minutes=5)
    answer = client.put(url, json={"starts_at": starts_at.isoformat()}, headers=bearer(app, boss))
    assert answer.status_code == 200
    mail = mail_capture.wait_for(member["email"], subject_contains="start time")
    assert league["name"] in mail.text and starts_at.strftime("%H:%M") in mail.text
    assert not mail_capture.to(boss["email"]), "the commissioner scheduled it; nobody mails them about it"

    # The time comes (moved forward here rather than waiting five minutes).
    db.leagues.update_one({"_id": league["_id"]}, {"$set": {"scheduled_start_ms": int(now().timestamp() * 1000)}})
    deadline = time.monotonic() + 10
    while leagues.get(db, league["_id"])["status"] != "running":
        assert time.monotonic() < deadline, "the beat sweep started the auction"
        time.sleep(0.2)
    deadline = time.monotonic() + 10
    while not started:
        assert time.monotonic() < deadline, "the league page's lobby heard the start at once"
        time.sleep(0.1)
    assert started[0]["league_id"] == league["_id"]
    lobby.disconnect()
    with app.app_context():
        engine.end_early(db, "A" + league["_id"], boss["_id"], now())


def test_a_scheduled_league_without_enough_members_is_unscheduled_not_retried(app, client, db):
    league, (boss,) = make_league(db, members=1)
    client.put(f"/api/leagues/{league['_id']}/auction/schedule",
               json={"starts_at": (now() + timedelta(minutes=2)).isoformat()}, headers=bearer(app, boss))
    effects = engine.start_scheduled(db, now() + timedelta(minutes=3))
    assert leagues.get(db, league["_id"])["status"] == "setup"
    assert leagues.get(db, league["_id"])["scheduled_start_at"] is None
    assert [(e[0], e[1]) for e in effects.lobby_events] == [(league["_id"], "auction_schedule_failed")]
