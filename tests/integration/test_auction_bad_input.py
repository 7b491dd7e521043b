"""Bad input to the auction API and Socket.IO room: a code, a sentence, and nothing changed."""
import secrets
from datetime import datetime, timedelta, timezone

import pytest

from auction_app.repositories import auctions, bids
from auction_app.services import auction_engine as engine
from tests.support.auction_clients import RoomClient
from tests.support.factories import bearer, make_league, session_token


@pytest.fixture
def live(app, db):
    league, users = make_league(db, members=3, lot_seconds=60)
    auction, _ = engine.start(db, league, users[0]["_id"], datetime.now(timezone.utc))
    return auction, users


def _post_bid(client, app, auction, user, body):
    return client.post(f"/api/auctions/{auction['_id']}/bids", json=body, headers=bearer(app, user))


def _unchanged(db, auction, before_seq):
    assert auctions.get(db, auction["_id"])["seq"] == before_seq
    assert bids.log(db, auction["_id"]) == []


@pytest.mark.parametrize("body, code", [
    ({"amount": "10", "idempotency_key": "key-000001"}, "invalid_request"),
    ({"amount": {"$gt": 0}, "idempotency_key": "key-000002"}, "invalid_request"),
    ({"amount": 10**15, "idempotency_key": "key-000003"}, "invalid_request"),
    ({"amount": 5, "idempotency_key": {"$ne": None}}, "invalid_request"),
    ({"amount": 5, "idempotency_key": "short"}, "invalid_request"),
    ({"amount": 5, "idempotency_key": "key-000004", "user_id": "someone-else"}, "invalid_request"),
    ({"amount": 0, "idempotency_key": "key-000005"}, "invalid_amount"),
    ({"amount": -3, "idempotency_key": "key-000006"}, "invalid_amount"),
    ({"amount": 2.5, "idempotency_key": "key-000007"}, "invalid_amount"),
    ({"amount": True, "idempotency_key": "key-000008"}, "invalid_request"),
    ({"amount": 5, "idempotency_key": "key-000009", "lot_id": "chelsea:r1:99"}, "lot_not_open"),
])
def test_bad_bids_get_a_code_and_a_sentence_and_change_nothing(app, client, db, live, body, code):
    auction, users = live
    before = auctions.get(db, auction["_id"])["seq"]
    response = _post_bid(client, app, auction, users[1], body)
    assert response.status_code in (400, 409)
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"] and "Traceback" not in error["message"]
    _unchanged(db, auction, before)


def test_a_member_of_another_league_cannot_bid_or_read(app, client, db, live):
    auction, _ = live
    _, outsiders = make_league(db, members=2)
    before = auctions.get(db, auction["_id"])["seq"]
    bid = _post_bid(client, app, auction, outsiders[0], {"amount": 5, "idempotency_key": "outsider-01"})
    assert bid.status_code == 404 and bid.get_json()["error"]["code"] == "not_member"
    assert client.get(f"/api/auctions/{auction['_id']}", headers=bearer(app, outsiders[0])).status_code == 404
    control = client.post(f"/api/auctions/{auction['_id']}/pause", headers=bearer(app, outsiders[0]))
    assert control.status_code == 404
    _unchanged(db, auction, before)


def test_only_the_commissioner_uses_the_controls(app, client, db, live):
    auction, users = live
    response = client.post(f"/api/auctions/{auction['_id']}/pause", headers=bearer(app, users[1]))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_commissioner"
    assert auctions.get(db, auction["_id"])["status"] == "running"


def test_an_unknown_auction_is_not_found(app, client, db, live):
    _, users = live
    response = _post_bid(client, app, {"_id": "Anope"}, users[1], {"amount": 5, "idempotency_key": "unknown-01"})
    assert response.status_code == 404


def test_bids_after_the_close_are_refused_and_not_lost(app, client, db, live):
    auction, users = live
    doc = auctions.get(db, auction["_id"])
    engine.close_lot_if_due(db, auction["_id"], doc["lot"]["ends_at"] + timedelta(seconds=1))
    response = _post_bid(client, app, auction, users[1],
                         {"amount": 5, "idempotency_key": "late-bid-01", "lot_id": doc["lot"]["id"]})
    error = response.get_json()["error"]
    assert error["code"] == "too_late" and error["message"].startswith("Too late for ")
    assert response.status_code == 409 and len(bids.log(db, auction["_id"])) == 0


def test_a_replayed_key_returns_the_first_outcome(app, client, db, live):
    auction, users = live
    body = {"amount": 5, "idempotency_key": "replayed-key-1", "lot_id": auctions.get(db, auction["_id"])["lot"]["id"]}
    first = _post_bid(client, app, auction, users[1], body)
    again = _post_bid(client, app, auction, users[1], dict(body, retry=True))
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json()["duplicate"] is True
    assert again.get_json()["bid"]["seq"] == first.get_json()["bid"]["seq"]
    assert len(bids.log(db, auction["_id"])) == 1
    other = _post_bid(client, app, auction, users[1], dict(body, amount=9, retry=True))
    assert other.status_code == 422 and other.get_json()["error"]["code"] == "key_reused", \
        "the same key with another amount is refused, never applied"
    assert len(bids.log(db, auction["_id"])) == 1


def test_a_key_older_than_the_recent_ones_is_still_answered_once(app, client, db, live):
    auction, users = live
    lot_id = auctions.get(db, auction["_id"])["lot"]["id"]
    first = _post_bid(client, app, auction, users[1], {"amount": 2, "idempotency_key": "the-first-key", "lot_id": lot_id})
    assert first.status_code == 201
    for n in range(25):  # 50 more bids: the first key is long out of any recent list
        for who, amount in ((0, 3 + 2 * n), (1, 4 + 2 * n)):
            response = _post_bid(client, app, auction, users[who],
                                 {"amount": amount, "idempotency_key": f"bid-{n}-{who}-key", "lot_id": lot_id})
            assert response.status_code == 201, response.get_json()
    before = auctions.get(db, auction["_id"])
    again = _post_bid(client, app, auction, users[1],
                      {"amount": 2, "idempotency_key": "the-first-key", "lot_id": lot_id, "retry": True})
    assert again.status_code == 200 and again.get_json()["bid"]["seq"] == first.get_json()["bid"]["seq"]
    after = auctions.get(db, auction["_id"])
    assert (after["seq"], after["lot"]["price"]) == (before["seq"], before["lot"]["price"]), "nothing moved"
    assert len(bids.log(db, auction["_id"])) == 51


def test_socket_payloads_are_validated_and_spectators_cannot_bid(app, db, web, live):
    auction, users = live
    member = RoomClient(web, token=session_token(app, users[1])).connect()
    try:
        member.join(auction["_id"])
        for payload in ({"auction_id": {"$ne": None}, "amount": 5, "idempotency_key": "sock-key-01"},
                        {"auction_id": auction["_id"], "amount": "5", "idempotency_key": "sock-key-02"},
                        "not an object", None):
            ack = member.sio.call("bid", payload, timeout=10)
            assert ack["ok"] is False and ack["error"]["code"] == "invalid_request", ack
        bad_join = member.sio.call("join_auction", {"auction_id": "A" + "x" * 20}, timeout=10)
        assert bad_join["ok"] is False and bad_join["error"]["code"] == "not_found"
    finally:
        member.disconnect()
    league = db.leagues.find_one({"_id": auction["league_id"]})
    spectator = RoomClient(web, spectator_token=league["spectator_token"]).connect()
    try:
        snapshot = spectator.join(auction["_id"])
        assert snapshot["me"] is None and snapshot["lot"]["status"] == "open"
        ack = spectator.bid(5, lot_id=snapshot["lot"]["id"])
        assert ack["ok"] is False and ack["error"]["code"] == "not_signed_in"
    finally:
        spectator.disconnect()
    assert bids.log(db, auction["_id"]) == []


def test_a_wrong_spectator_token_cannot_connect(web):
    import socketio

    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(web, auth={"spectator_token": "not-a-real-token-0000"}, transports=["websocket"],
                       wait_timeout=5)


def test_nominations_over_rest_refuse_the_wrong_member_bad_teams_and_bad_amounts(app, client, db):
    league, users = make_league(db, members=3, lot_seconds=60, nomination_seconds=30)
    auction, _ = engine.start(db, league, users[0]["_id"], datetime.now(timezone.utc))
    url = f"/api/auctions/{auction['_id']}/nominate"

    def nominate(user, **body):
        body = {"team_key": "chelsea", "amount": 2, "idempotency_key": secrets.token_urlsafe(12), **body}
        return client.post(url, json=body, headers=bearer(app, user))

    assert nominate(users[1]).status_code == 403
    for body, status, code in (({"team_key": "not-a-team"}, 400, "team_not_available"),
                               ({"amount": {"$gt": 0}}, 400, "invalid_request"),
                               ({"amount": 0}, 400, "invalid_amount"),
                               ({"amount": 10**6}, 409, "over_max_bid")):
        answer = nominate(users[0], **body)
        assert (answer.status_code, answer.get_json()["error"]["code"]) == (status, code), body
    assert auctions.get(db, auction["_id"])["lot"] is None, "nothing was put up"
    ok = nominate(users[0])
    assert ok.status_code == 201 and ok.get_json()["bid"]["team_key"] == "chelsea"
