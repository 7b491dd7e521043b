"""Practice auctions: a member alone against bots, never mixed with real leagues."""
from datetime import datetime, timezone

from auction_app.repositories import auctions, bids, leagues
from auction_app.services import auction_engine as engine
from tests.support.factories import bearer, make_user


def test_a_practice_auction_starts_at_once_with_three_bots_that_bid_back(app, client, db, catalogs):
    user = make_user(db)
    response = client.post("/api/practice", headers=bearer(app, user))
    assert response.status_code == 201, response.get_json()
    ids = response.get_json()
    league = leagues.get(db, ids["league_id"])
    assert league["kind"] == "practice" and league["member_count"] == 4
    bots = [uid for uid in league["member_ids"] if uid != user["_id"]]
    assert all(db.users.find_one({"_id": b})["role"] == "bot" for b in bots)

    auction = auctions.get(db, ids["auction_id"])
    assert auction["status"] == "running" and auction["lot"]["status"] == "open"
    lot = auction["lot"]
    # The member bids; the bots answer like people, a second or two later (not within milliseconds).
    result = engine.place_bid(db, auction["_id"], user["_id"], (lot["price"] or 0) + 1,
                              engine.new_idempotency_key(), datetime.now(timezone.utc), lot_id=lot["id"])
    assert result.accepted
    assert bids.log(db, auction["_id"])[-1]["user_id"] == user["_id"], "no bot answered at once"
    due = auctions.get(db, auction["_id"])["due_at"]
    assert 1.1 <= (due - result.bid["at"]).total_seconds() <= 2.3
    engine.tick(db, auction["_id"], due)
    assert any(b["user_id"] in bots for b in bids.log(db, auction["_id"])), "then the bots bid back"


def test_practice_leagues_are_not_real_leagues(app, client, db, catalogs):
    user = make_user(db)
    client.post("/api/practice", headers=bearer(app, user))
    listed = client.get("/api/leagues", headers=bearer(app, user)).get_json()["leagues"]
    assert [item["kind"] for item in listed] == ["practice"], "the dashboard can keep practice apart"
    assert db.users.count_documents({"role": "bot", "email": {"$regex": "practice.invalid$"}}) >= 3
