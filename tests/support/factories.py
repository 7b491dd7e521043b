"""Build test data through the repositories (the same writes the product makes)."""
from __future__ import annotations

import random
import secrets
import uuid
from datetime import datetime, timedelta, timezone

from auction_app.repositories import auctions, leagues
from auction_app.services import auction_engine as engine

TEAMS = ["arsenal", "aston-villa", "bournemouth", "brentford", "brighton", "chelsea"]

DEFAULT_SETTINGS = {
    "budget": 100, "roster_slots": 2, "min_bid": 1, "min_increment": 1, "lot_seconds": 30,
    "bid_clock_seconds": 10, "grace_ms": 300, "pause_between_lots_seconds": 3, "max_members": 16,
    "lot_order_mode": "custom",
}


def make_user(db, name: str | None = None) -> dict:
    uid = secrets.token_urlsafe(9)
    name = name or f"Member {uid[:4]}"
    user = {"_id": uid, "email": f"{uuid.uuid4().hex[:10]}@example.com", "display_name": name,
            "role": "member", "created_at": datetime.now(timezone.utc)}
    db.users.insert_one(user)
    return user


def make_league(db, members: int = 2, teams: list[str] | None = None, **settings) -> tuple[dict, list[dict]]:
    """A league in setup with `members` users; the first one is the commissioner."""
    users = [make_user(db, f"Player {i + 1}") for i in range(members)]
    now = datetime.now(timezone.utc)
    teams = list(teams or TEAMS)
    league = {
        "_id": secrets.token_urlsafe(9), "name": f"League {uuid.uuid4().hex[:6]}", "sport_key": "premier-league",
        "kind": "real", "commissioner_id": users[0]["_id"], "status": leagues.SETUP,
        "settings": dict(DEFAULT_SETTINGS, **settings), "team_keys": teams, "lot_order": teams,
        "invite_token": secrets.token_urlsafe(32), "spectator_token": secrets.token_urlsafe(32),
        "members": {u["_id"]: {"name": u["display_name"], "role": "commissioner" if i == 0 else "member",
                               "joined_at": now} for i, u in enumerate(users)},
        "member_ids": [u["_id"] for u in users], "member_count": members,
        "created_at": now, "updated_at": now,
    }
    leagues.insert(db, league)
    return league, users


def shuffled(items, seed=0):
    items = list(items)
    random.Random(seed).shuffle(items)
    return items


def session_token(app, user: dict) -> str:
    """A real session for `user`, as the sign-in flow would create (see tests of auth for the flow)."""
    from auction_app.auth.guards import issue_session

    with app.test_request_context():
        return issue_session(user, "pytest", "127.0.0.1")


def bearer(app, user: dict) -> dict:
    return {"Authorization": f"Bearer {session_token(app, user)}"}


def completed_league(db, sales, sport_key="premier-league", members=3, roster_slots=2):
    """A league whose auction ran to completion: sales = [(team, member index, price)] in lot order."""
    teams = [team for team, _, _ in sales]
    names = ["Ann", "Ben", "Cat", "Dan"][:members]
    league, users = make_league(db, members=members, teams=teams, roster_slots=roster_slots)
    for user, name in zip(users, names):  # readable names in the table
        db.users.update_one({"_id": user["_id"]}, {"$set": {"display_name": name}})
        league["members"][user["_id"]]["name"] = name
        user["display_name"] = name
    leagues.set_fields(db, league["_id"], {"sport_key": sport_key, "members": league["members"]})
    league["sport_key"] = sport_key
    clock = datetime.now(timezone.utc)
    auction, _ = engine.start(db, league, users[0]["_id"], clock)
    for team, who, price in sales:
        current = auctions.get(db, auction["_id"])
        assert current["lot"]["team_key"] == team
        result = engine.place_bid(db, auction["_id"], users[who]["_id"], price, engine.new_idempotency_key(),
                                  clock + timedelta(seconds=1), lot_id=current["lot"]["id"])
        assert result.accepted, result.to_ack()
        clock = current["lot"]["ends_at"] + timedelta(seconds=1)
        engine.close_lot_if_due(db, auction["_id"], clock)
        clock += timedelta(seconds=5)
        engine.open_next_lot(db, auction["_id"], clock)
    assert auctions.get(db, auction["_id"])["status"] == "completed"
    return leagues.get(db, league["_id"]), users
