"""Invitations cannot be used to send spam (issue 10 item 9).

A member may have us send INVITATIONS_PER_DAY invitation emails a day
(INVITATIONS_PER_DAY_NEW_ACCOUNT for an account younger than a week), counted
per address, and the subject line never carries text a member typed.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from tests.support.factories import bearer, make_league


def _addresses(n: int) -> list[str]:
    batch = uuid.uuid4().hex[:6]
    return [f"friend{i}.{batch}@example.com" for i in range(n)]


def _league_of(db, commissioner_age: timedelta):
    league, users = make_league(db, members=2)
    created = datetime.now(timezone.utc) - commissioner_age
    db.users.update_one({"_id": users[0]["_id"]}, {"$set": {"created_at": created}})
    users[0]["created_at"] = created
    return league, users[0]


def test_a_new_account_may_send_a_few_invitations_a_day(app, client, db):
    league, boss = _league_of(db, timedelta(hours=2))
    allowance = app.config["INVITATIONS_PER_DAY_NEW_ACCOUNT"]
    url = f"/api/leagues/{league['_id']}/invitations"
    first = client.post(url, json={"emails": _addresses(allowance)}, headers=bearer(app, boss))
    assert first.status_code == 202 and len(first.get_json()["accepted"]) == allowance
    refused = client.post(url, json={"emails": _addresses(1)}, headers=bearer(app, boss))
    assert refused.status_code == 429
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"].startswith(f"You can send up to {allowance} invitation emails a day")
    assert "share the invite link" in error["message"]


def test_an_established_account_gets_more_but_still_a_daily_cap_counted_per_address(app, client, db):
    league, boss = _league_of(db, timedelta(days=30))
    allowance = app.config["INVITATIONS_PER_DAY"]
    assert allowance > app.config["INVITATIONS_PER_DAY_NEW_ACCOUNT"]
    url = f"/api/leagues/{league['_id']}/invitations"
    headers = bearer(app, boss)
    sent = 0
    while sent + 50 <= allowance:
        assert client.post(url, json={"emails": _addresses(50)}, headers=headers).status_code == 202
        sent += 50
    # A request that would go over is refused whole and uses none of what is left.
    left = allowance - sent
    assert client.post(url, json={"emails": _addresses(left + 1)}, headers=headers).status_code == 429
    if left:
        assert client.post(url, json={"emails": _addresses(left)}, headers=headers).status_code == 202
    assert client.post(url, json={"emails": _addresses(1)}, headers=headers).status_code == 429


def test_the_subject_line_never_carries_text_a_member_typed(app, client, db, worker, mail_capture):
    league, boss = _league_of(db, timedelta(days=30))
    spam = "WIN A FREE PHONE visit cheap-pills.example"
    db.leagues.update_one({"_id": league["_id"]}, {"$set": {"name": spam,
                                                            f"members.{boss['_id']}.name": "Prize Desk"}})
    [to] = _addresses(1)
    response = client.post(f"/api/leagues/{league['_id']}/invitations", json={"emails": [to]},
                           headers=bearer(app, boss))
    assert response.status_code == 202
    mail = mail_capture.wait_for(to, subject_contains="invited", timeout=30)
    assert mail.subject == "You're invited to a league on Club Auction"
    assert spam in mail.text  # the body says which league, as before
