"""Operator features: metrics, status page data, announcements, the admin overview."""
from datetime import datetime, timezone

from auction_app.repositories import users as users_repo
from auction_app.services import auction_engine as engine
from tests.support.factories import bearer, make_league, make_user


def _admin(app, db):
    admin = make_user(db, "Admin")
    users_repo.set_role(db, admin["_id"], "admin")
    return admin, bearer(app, admin)


def test_metrics_count_bids_by_outcome(app, client, db):
    league, users = make_league(db, members=2)
    auction, _ = engine.start(db, league, users[0]["_id"], datetime.now(timezone.utc))
    headers = bearer(app, users[1])
    url = f"/api/auctions/{auction['_id']}/bids"
    lot_id = auction["lot"]["id"]
    client.post(url, json={"amount": 3, "idempotency_key": "metrics-key-1", "lot_id": lot_id}, headers=headers)
    client.post(url, json={"amount": 1, "idempotency_key": "metrics-key-2", "lot_id": lot_id}, headers=headers)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'auction_bids_total{outcome="accepted"}' in text
    assert 'auction_bids_total{outcome="already_leading"}' in text
    assert "http_request_duration_seconds_bucket" in text


def test_announcements_reach_the_status_page_and_need_an_admin(app, client, db, worker):
    member = make_user(db)
    refused = client.post("/api/admin/announcements", json={"message": "Maintenance tonight"},
                          headers=bearer(app, member))
    assert refused.status_code == 403
    _, admin_headers = _admin(app, db)
    made = client.post("/api/admin/announcements", json={"message": "Maintenance at 22:00 UTC", "level": "warning"},
                       headers=admin_headers)
    assert made.status_code == 201
    status = client.get("/api/status").get_json()
    assert status["announcement"]["message"] == "Maintenance at 22:00 UTC"
    assert status["healthy"] is True
    cleared = client.delete("/api/admin/announcements", headers=admin_headers)
    assert cleared.status_code in (200, 204)
    assert client.get("/api/status").get_json()["announcement"] is None, "a cleared announcement is gone at once"


def test_announcement_payloads_are_validated(app, client, db):
    _, admin_headers = _admin(app, db)
    bad = client.post("/api/admin/announcements", json={"message": {"$ne": None}}, headers=admin_headers)
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "invalid_request"


def test_admin_overview_counts_activity(app, client, db):
    admin, admin_headers = _admin(app, db)
    league, users = make_league(db, members=2)
    engine.start(db, league, users[0]["_id"], datetime.now(timezone.utc))
    body = client.get("/api/admin/overview", headers=admin_headers).get_json()
    assert body["activity_24h"].get("auction_started", 0) >= 1
    assert client.get("/api/admin/overview", headers=bearer(app, users[1])).status_code == 403
