"""Lifecycle: finished leagues archived after 90 days, a member deletes their own
account, retention, audited admin actions, and the admin page with the funnel."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from auction_app.ops import lifecycle
from auction_app.repositories import announcements, audit
from auction_app.repositories import users as users_repo
from tests.support.factories import bearer, make_league, make_user

NOW = datetime.now(timezone.utc)


def _admin(app, db):
    admin = make_user(db, "Admin")
    users_repo.set_role(db, admin["_id"], "admin")
    return admin, bearer(app, admin)


def _complete(db, league, when):
    db.leagues.update_one({"_id": league["_id"]}, {"$set": {"status": "completed", "completed_at": when}})


def test_leagues_are_archived_ninety_days_after_they_finish(db, app):
    old, _ = make_league(db, members=2)
    recent, _ = make_league(db, members=2)
    _complete(db, old, NOW - timedelta(days=91))
    _complete(db, recent, NOW - timedelta(days=10))
    archived = lifecycle.archive_finished_leagues(db, NOW, app.config["LEAGUE_ARCHIVE_DAYS"])
    assert old["_id"] in archived and recent["_id"] not in archived
    assert db.leagues.find_one({"_id": old["_id"]})["archived_at"] is not None
    assert db.leagues.find_one({"_id": recent["_id"]}).get("archived_at") is None
    assert audit.for_league(db, old["_id"])[-1]["action"] == "league_archived"
    assert old["_id"] not in lifecycle.archive_finished_leagues(db, NOW, 90), "archived once"


def test_a_member_deletes_their_account_and_leagues_others_see_are_anonymised(app, client, db):
    finished, finished_members = make_league(db, members=3)
    member = finished_members[1]
    _complete(db, finished, NOW - timedelta(days=3))
    forming, _ = make_league(db, members=2)
    db.leagues.update_one({"_id": forming["_id"]}, {"$set": {f"members.{member['_id']}": {"name": "x"}},
                                                    "$push": {"member_ids": member["_id"]},
                                                    "$inc": {"member_count": 1}})
    headers = bearer(app, member)

    wrong = client.post("/api/account/delete", json={"confirm_email": "someone@else.example"}, headers=headers)
    assert wrong.status_code == 400 and wrong.get_json()["error"]["code"] == "confirmation_mismatch"
    assert users_repo.get(db, member["_id"])["email"] == member["email"], "nothing changed"

    deleted = client.post("/api/account/delete", json={"confirm_email": member["email"].upper()}, headers=headers)
    assert deleted.status_code == 200 and deleted.get_json() == {"deleted": True}
    assert db.users.count_documents({"email": member["email"]}) == 0
    gone = users_repo.get(db, member["_id"])
    assert gone["display_name"] == "Former member" and gone["disabled_at"] is not None
    kept = db.leagues.find_one({"_id": finished["_id"]})
    assert kept["members"][member["_id"]]["name"] == "Former member", "others still see the league, anonymised"
    assert member["_id"] not in db.leagues.find_one({"_id": forming["_id"]})["member_ids"]
    assert db.sessions.count_documents({"user_id": member["_id"]}) == 0
    assert client.get("/api/leagues", headers=headers).status_code == 401, "signed out everywhere"
    assert db.audit.count_documents({"actor_id": member["_id"], "action": "account_deleted"}) == 1


def test_account_deletion_waits_for_a_running_auction(app, client, db):
    from auction_app.services import auction_engine as engine

    league, users = make_league(db, members=2)
    engine.start(db, league, users[0]["_id"], NOW)
    refused = client.post("/api/account/delete", json={"confirm_email": users[1]["email"]},
                          headers=bearer(app, users[1]))
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "auction_in_progress"
    assert users_repo.get(db, users[1]["_id"])["email"] == users[1]["email"]


def test_retention_removes_old_audit_records_screenshots_and_announcements(app, db):
    marker = secrets.token_hex(4)
    audit.record(db, None, "old-" + marker, "signed_in", NOW - timedelta(days=400))
    audit.record(db, None, "new-" + marker, "signed_in", NOW - timedelta(days=1))
    db.feedback.insert_many([
        {"_id": "old-fb-" + marker, "created_at": NOW - timedelta(days=200),
         "screenshot": {"content_type": "image/png", "size": 3, "data": b"png"}, "happened": "x"},
        {"_id": "new-fb-" + marker, "created_at": NOW - timedelta(days=2),
         "screenshot": {"content_type": "image/png", "size": 3, "data": b"png"}, "happened": "y"},
    ])
    announcements.add(db, "ancient " + marker, "info", None, NOW - timedelta(days=120), NOW - timedelta(days=119))
    removed = lifecycle.apply_retention(db, NOW, app.config)
    assert removed["audit"] >= 1 and removed["screenshots"] >= 1 and removed["announcements"] >= 1
    assert db.audit.count_documents({"actor_id": "old-" + marker}) == 0
    assert db.audit.count_documents({"actor_id": "new-" + marker}) == 1
    assert db.feedback.find_one({"_id": "old-fb-" + marker})["screenshot"] is None, "report kept, image gone"
    assert db.feedback.find_one({"_id": "new-fb-" + marker})["screenshot"]["data"] == b"png"
    assert db.announcements.count_documents({"message": "ancient " + marker}) == 0


def test_admin_actions_are_audited(app, client, db):
    admin, headers = _admin(app, db)
    member = make_user(db)
    assert client.post(f"/api/admin/users/{member['_id']}/disable", headers=headers).status_code == 200
    assert client.post(f"/api/admin/users/{member['_id']}/enable", headers=headers).status_code == 200
    actions = [a["action"] for a in db.audit.find({"actor_id": admin["_id"]}).sort("at", 1)]
    assert actions[-2:] == ["admin_disable", "admin_enable"] or {"admin_disable", "admin_enable"} <= set(actions)
    made = app.test_cli_runner().invoke(args=["make-admin", f"boss-{secrets.token_hex(3)}@club.example"])
    assert made.exit_code == 0
    assert db.audit.count_documents({"action": "admin_made_admin"}) >= 1


def test_admin_page_shows_users_leagues_activity_and_the_weekly_funnel(app, client, db):
    admin, headers = _admin(app, db)
    week = lifecycle.week_of(NOW)
    before = next((r for r in lifecycle.weekly_funnel(db, NOW) if r["week"] == week),
                  {"signed_up": 0, "joined_league": 0, "first_bid": 0, "finished_auction": 0})
    league, people = make_league(db, members=3)
    for person in people:
        audit.record(db, None, person["_id"], "signed_up", NOW)
    audit.record(db, league["_id"], people[1]["_id"], "member_joined", NOW)
    audit.record(db, league["_id"], people[0]["_id"], "league_created", NOW)
    db.bids.insert_one({"_id": "funnel-bid-" + people[1]["_id"], "auction_id": "A-funnel", "user_id": people[1]["_id"],
                        "seq": 1, "amount": 3, "at": NOW})
    _complete(db, league, NOW)

    after = next(r for r in lifecycle.weekly_funnel(db, NOW) if r["week"] == week)
    assert after["signed_up"] - before["signed_up"] == 3
    assert after["joined_league"] - before["joined_league"] == 2
    assert after["first_bid"] - before["first_bid"] == 1
    assert after["finished_auction"] - before["finished_auction"] == 3

    page = client.get("/admin", headers=headers)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for heading in ("Users", "Leagues", "Activity", "Weekly funnel"):
        assert f">{heading}</h2>" in html
    assert f"<td>{week}</td><td>{after['signed_up']}</td><td>{after['joined_league']}</td>" in html
    member = make_user(db)
    assert client.get("/admin", headers=bearer(app, member)).status_code in (302, 403)
