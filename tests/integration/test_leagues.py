"""Leagues, invitations, membership and proxy maximums through the real API.

Real services: nx-27017, Redis (rate limits), a Celery worker and an SMTP
capture for invitation mail, gunicorn for the join race. Every test makes its
own users and leagues (the database is shared by the whole session).
"""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timezone

import pytest

PL = "premier-league"
IPL = "ipl"


# --------------------------------------------------------------------------- helpers

@pytest.fixture
def make_user(app, db):
    """make_user("Ann") -> (user doc, {"Authorization": "Bearer ..."})."""
    from auction_app.auth.guards import issue_session

    def make(name: str = "Member"):
        uid = uuid.uuid4().hex[:12]
        user = {"_id": f"u-{uid}", "email": f"{name.lower().replace(' ', '.')}.{uid}@example.com",
                "display_name": name, "role": "member", "disabled_at": None,
                "created_at": datetime.now(timezone.utc)}
        db.users.insert_one(user)
        with app.test_request_context():
            token = issue_session(user, "pytest", "127.0.0.1")
        return user, {"Authorization": f"Bearer {token}"}

    return make


def create(client, headers, **body):
    body.setdefault("name", f"League {uuid.uuid4().hex[:6]}")
    body.setdefault("sport_key", PL)
    return client.post("/api/leagues", json=body, headers=headers)


def created(client, headers, **body) -> dict:
    response = create(client, headers, **body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["league"]


def token_of(link: str) -> str:
    return link.rsplit("/join/", 1)[1]


def join(client, headers, token):
    return client.post(f"/api/invites/{token}/join", headers=headers)


def league_with_members(client, make_user, n_members: int, **settings):
    """A league whose commissioner plus (n_members - 1) members have joined."""
    boss, boss_h = make_user("Boss")
    league = created(client, boss_h, **settings)
    token = token_of(league["invite_link"])
    members = []
    for i in range(n_members - 1):
        user, headers = make_user(f"Member {i}")
        assert join(client, headers, token).status_code == 201
        members.append((user, headers))
    return league, (boss, boss_h), members


def error(response) -> dict:
    return response.get_json()["error"]


@pytest.fixture(autouse=True)
def _catalogs(catalogs):
    return catalogs


# --------------------------------------------------------------------------- catalogs and creation

def test_sports_lists_every_catalog_with_its_teams(client, make_user):
    _user, h = make_user()
    sports = {s["key"]: s for s in client.get("/api/sports", headers=h).get_json()["sports"]}
    assert len(sports[PL]["teams"]) == 20
    assert len(sports[IPL]["teams"]) == 10
    assert {"key": "arsenal", "name": "Arsenal", "short": "ARS"} in sports[PL]["teams"]


def test_signed_out_visitors_get_401(client):
    assert client.get("/api/leagues").status_code == 401
    response = client.post("/api/leagues", json={"name": "x", "sport_key": PL})
    assert response.status_code == 401
    assert error(response)["code"] == "not_signed_in"


def test_create_with_defaults_makes_creator_commissioner_and_first_member(client, make_user, catalogs):
    user, h = make_user("Carla")
    league = created(client, h, name="  Sunday Club  ")
    assert league["name"] == "Sunday Club"
    assert league["status"] == "setup" and league["kind"] == "real"
    assert league["settings"] == {"budget": 500, "roster_slots": 3, "min_bid": 1, "min_increment": 1,
                                  "lot_seconds": 30, "bid_clock_seconds": 10, "grace_ms": 300,
                                  "pause_between_lots_seconds": 3, "nomination_seconds": 0, "proxy_delay_ms": 0,
                                  "max_members": 16,
                                  "lot_order_mode": "random"}
    all_keys = [t.key for t in catalogs[PL].teams]
    assert [t["key"] for t in league["teams"]] == all_keys
    # A random order was drawn and recorded: every team exactly once.
    assert sorted(t["key"] for t in league["lot_order"]) == sorted(all_keys)
    assert league["members"] == [{"user_id": user["_id"], "name": "Carla", "role": "commissioner",
                                  "joined_at": league["members"][0]["joined_at"]}]
    assert league["my_role"] == "commissioner" and league["member_count"] == 1
    assert league["invite_link"].startswith("http://127.0.0.1:") and "/join/" in league["invite_link"]
    assert "/watch/" in league["spectator_link"]
    # The order is stored, so reading it again shows the same one.
    again = client.get(f"/api/leagues/{league['id']}", headers=h).get_json()["league"]
    assert again["lot_order"] == league["lot_order"]


def test_create_with_every_setting(client, make_user):
    _user, h = make_user()
    teams = ["mumbai-indians", "chennai-super-kings", "gujarat-titans", "delhi-capitals"]
    order = ["gujarat-titans", "mumbai-indians", "delhi-capitals", "chennai-super-kings"]
    league = created(client, h, name="Cricket nights", sport_key=IPL, kind="practice", team_keys=teams,
                     budget=200, roster_slots=2, min_bid=5, min_increment=2, lot_seconds=20,
                     bid_clock_seconds=8, grace_ms=250, pause_between_lots_seconds=1, max_members=4,
                     nomination_seconds=25, lot_order_mode="custom", lot_order=order)
    assert league["settings"] == {"budget": 200, "roster_slots": 2, "min_bid": 5, "min_increment": 2,
                                  "lot_seconds": 20, "bid_clock_seconds": 8, "grace_ms": 250,
                                  "pause_between_lots_seconds": 1, "nomination_seconds": 25, "proxy_delay_ms": 0,
                                  "max_members": 4,
                                  "lot_order_mode": "custom"}
    assert league["kind"] == "practice" and league["sport"]["name"] == "Indian Premier League"
    assert sorted(t["key"] for t in league["teams"]) == sorted(teams)
    assert [t["key"] for t in league["lot_order"]] == order
    assert league["lot_order"][0] == {"key": "gujarat-titans", "name": "Gujarat Titans", "short": "GT",
                                      "position": 1}


def test_budget_that_cannot_fill_the_roster_is_refused_with_a_sentence(client, make_user, db):
    user, h = make_user()
    response = create(client, h, budget=20, roster_slots=3, min_bid=10)
    assert response.status_code == 400
    body = error(response)
    assert body["code"] == "invalid_settings"
    assert ("A budget of 20 can't fill 3 roster slots at the minimum bid of 10; "
            "raise the budget to at least 30.") in body["details"]
    assert db.leagues.count_documents({"commissioner_id": user["_id"]}) == 0


@pytest.mark.parametrize("body, says", [
    ({"name": {"$ne": None}}, "'name' has the wrong type."),
    ({"sport_key": {"$gt": ""}}, "'sport_key' has the wrong type."),
    ({"budget": "500"}, "'budget' has the wrong type."),
    ({"budget": 500.0}, "'budget' has the wrong type."),
    ({"budget": 12.5}, "'budget' has the wrong type."),
    ({"roster_slots": True}, "'roster_slots' has the wrong type."),
    ({"team_keys": "arsenal"}, "'team_keys' has the wrong type."),
    ({"owner": "me"}, "'owner' is not a field we accept."),
    ({"commissioner_id": "someone-else"}, "'commissioner_id' is not a field we accept."),
    ({"name": ""}, "Please enter a name."),
    ({"name": "x" * 81}, "The name is too long (at most 80 characters)."),
    ({"budget": 10 ** 30}, "The budget can be at most 1,000,000."),
    ({"budget": -5}, "The budget must be at least 1."),
    ({"lot_seconds": 10 ** 12}, "The time per lot can be at most 600 seconds."),
    ({"max_members": 51}, "The maximum number of members must be between 2 and 50."),
    ({"max_members": 1}, "The maximum number of members must be between 2 and 50."),
    ({"team_keys": ["arsenal", "mumbai-indians"]}, "This team is not in the Premier League: 'mumbai-indians'."),
    ({"team_keys": []}, "Pick at least one team for the auction."),
    ({"sport_key": "curling"}, "'curling' is not a sport we know"),
    ({"lot_order_mode": "alphabetical"}, "The lot order mode must be one of: 'random' or 'custom'."),
    ({"lot_order_mode": "custom"}, "Please give the lot order"),
    ({"team_keys": ["arsenal", "chelsea", "fulham"], "lot_order": ["arsenal", "chelsea"]},
     "The lot order must list every team in the auction; missing: fulham."),
    ({"bid_clock_seconds": 40}, "The clock after a late bid (40 seconds) can't be longer than the time per lot"),
])
def test_bad_input_is_a_400_with_a_sentence_and_writes_nothing(client, make_user, db, body, says):
    user, h = make_user()
    payload = {"name": "Valid name", "sport_key": PL, **body}
    response = client.post("/api/leagues", json=payload, headers=h)
    assert response.status_code == 400, response.get_json()
    assert says in error(response)["message"]
    assert db.leagues.count_documents({"commissioner_id": user["_id"]}) == 0


def test_a_body_that_is_not_an_object_is_refused(client, make_user):
    _user, h = make_user()
    assert client.post("/api/leagues", json=["name"], headers=h).status_code == 400
    assert client.post("/api/leagues", data="name=x", headers=h).status_code == 400


def test_sixth_league_in_five_minutes_is_refused_kindly(client, make_user, db):
    user, h = make_user()
    # A refused attempt doesn't count towards the limit.
    assert create(client, h, budget=0).status_code == 400
    for _ in range(5):
        assert create(client, h).status_code == 201
    response = create(client, h)
    assert response.status_code == 429
    body = error(response)
    assert body["code"] == "rate_limited"
    assert body["message"].startswith("You've created 5 leagues in the last few minutes. Try again in ")
    assert 0 < int(response.headers["Retry-After"]) <= 300
    assert db.leagues.count_documents({"commissioner_id": user["_id"]}) == 5
    # Someone else is not affected.
    _other, other_h = make_user()
    response = create(client, other_h)
    assert response.status_code == 201, response.get_json()


def test_my_leagues_lists_only_mine_with_my_role(client, make_user):
    league, (_boss, boss_h), [(_m, member_h)] = league_with_members(client, make_user, 2)
    mine = client.get("/api/leagues", headers=member_h).get_json()["leagues"]
    assert [(x["id"], x["my_role"], x["member_count"], x["status"]) for x in mine] == [
        (league["id"], "member", 2, "setup")]
    _stranger, stranger_h = make_user()
    assert client.get("/api/leagues", headers=stranger_h).get_json()["leagues"] == []


def test_members_see_the_league_but_only_the_commissioner_sees_the_invite_link(client, make_user):
    league, (boss, boss_h), [(member, member_h)] = league_with_members(client, make_user, 2)
    seen = client.get(f"/api/leagues/{league['id']}", headers=member_h).get_json()["league"]
    assert "invite_link" not in seen
    assert seen["spectator_link"] == league["spectator_link"]
    assert seen["my_role"] == "member"
    assert [(m["user_id"], m["role"]) for m in seen["members"]] == [
        (boss["_id"], "commissioner"), (member["_id"], "member")]
    assert seen["commissioner"] == {"user_id": boss["_id"], "name": "Boss"}


# --------------------------------------------------------------------------- editing

def test_commissioner_edits_settings_and_random_order_is_redrawn_when_teams_change(client, make_user):
    _boss, h = make_user()
    league = created(client, h)
    url = f"/api/leagues/{league['id']}"
    response = client.patch(url, json={"budget": 300, "lot_seconds": 45, "name": "Renamed"}, headers=h)
    assert response.status_code == 200, response.get_json()
    edited = response.get_json()["league"]
    assert edited["settings"]["budget"] == 300 and edited["settings"]["lot_seconds"] == 45
    assert edited["name"] == "Renamed"
    assert edited["lot_order"] == league["lot_order"]  # teams unchanged: same recorded order

    teams = ["arsenal", "chelsea", "liverpool", "everton"]
    edited = client.patch(url, json={"team_keys": teams}, headers=h).get_json()["league"]
    assert sorted(t["key"] for t in edited["lot_order"]) == sorted(teams)

    order = ["everton", "liverpool", "chelsea", "arsenal"]
    edited = client.patch(url, json={"lot_order": order}, headers=h).get_json()["league"]
    assert edited["settings"]["lot_order_mode"] == "custom"
    assert [t["key"] for t in edited["lot_order"]] == order
    # A custom order keeps its sequence when a team is dropped.
    edited = client.patch(url, json={"team_keys": ["arsenal", "liverpool", "everton"]}, headers=h).get_json()
    assert [t["key"] for t in edited["league"]["lot_order"]] == ["everton", "liverpool", "arsenal"]

    response = client.patch(url, json={"roster_slots": 4}, headers=h)
    assert response.status_code == 400
    assert "There are only 3 teams, so members can't fill 4 roster slots" in error(response)["message"]
    response = client.patch(url, json={"sport_key": IPL}, headers=h)
    assert response.status_code == 400


def test_max_members_cannot_drop_below_the_members_already_in(client, make_user):
    league, (_b, boss_h), _members = league_with_members(client, make_user, 3)
    response = client.patch(f"/api/leagues/{league['id']}", json={"max_members": 2}, headers=boss_h)
    assert response.status_code == 400
    assert "The league already has 3 members, so the maximum can't be lower than 3." in error(response)["message"]


def test_settings_are_frozen_once_the_auction_has_started(client, make_user, db):
    from auction_app.repositories import leagues as leagues_repo

    league, (_b, boss_h), [(_m, member_h)] = league_with_members(client, make_user, 2)
    leagues_repo.mark_started(db, league["id"], "auction-" + league["id"], datetime.now(timezone.utc))
    response = client.patch(f"/api/leagues/{league['id']}", json={"budget": 900}, headers=boss_h)
    assert response.status_code == 409
    assert error(response) == {"code": "league_started",
                               "message": "The auction has started, so settings can't change any more."}
    assert db.leagues.find_one({"_id": league["id"]})["settings"]["budget"] == 500
    assert error(client.post(f"/api/leagues/{league['id']}/leave", headers=member_h))["code"] == "league_started"


# --------------------------------------------------------------------------- authorization

def _league_endpoints(league_id: str, member_id: str):
    return [
        ("get", f"/api/leagues/{league_id}", None),
        ("patch", f"/api/leagues/{league_id}", {"budget": 900}),
        ("post", f"/api/leagues/{league_id}/invite-link/rotate", None),
        ("post", f"/api/leagues/{league_id}/invitations", {"emails": ["x@example.com"]}),
        ("post", f"/api/leagues/{league_id}/leave", None),
        ("delete", f"/api/leagues/{league_id}/members/{member_id}", None),
        ("get", f"/api/leagues/{league_id}/proxies", None),
        ("put", f"/api/leagues/{league_id}/proxies/arsenal", {"max_amount": 10}),
        ("delete", f"/api/leagues/{league_id}/proxies/arsenal", None),
    ]


def test_a_member_of_another_league_gets_404_on_every_league_endpoint(client, make_user, db):
    league, (boss, _bh), [(member, _mh)] = league_with_members(client, make_user, 2)
    other_league, (outsider, outsider_h), _ = league_with_members(client, make_user, 1)
    before = db.leagues.find_one({"_id": league["id"]})
    for method, url, body in _league_endpoints(league["id"], member["_id"]):
        response = getattr(client, method)(url, json=body, headers=outsider_h)
        assert response.status_code == 404, (method, url, response.get_json())
        assert error(response)["code"] == "league_not_found"
    # Same answer as for a league that doesn't exist: existence isn't revealed.
    assert error(client.get("/api/leagues/no-such-league", headers=outsider_h))["code"] == "league_not_found"
    after = db.leagues.find_one({"_id": league["id"]})
    assert after["invite_token"] == before["invite_token"] and after["member_count"] == 2
    assert after["settings"] == before["settings"]


def test_a_member_who_is_not_commissioner_gets_403_on_commissioner_endpoints(client, make_user, db):
    league, (boss, _bh), [(member, member_h), (other, _oh)] = league_with_members(client, make_user, 3)
    commissioner_only = [
        ("patch", f"/api/leagues/{league['id']}", {"budget": 900}),
        ("post", f"/api/leagues/{league['id']}/invite-link/rotate", None),
        ("post", f"/api/leagues/{league['id']}/invitations", {"emails": ["x@example.com"]}),
        ("delete", f"/api/leagues/{league['id']}/members/{other['_id']}", None),
        ("delete", f"/api/leagues/{league['id']}/members/{boss['_id']}", None),
    ]
    for method, url, body in commissioner_only:
        response = getattr(client, method)(url, json=body, headers=member_h)
        assert response.status_code == 403, (method, url, response.get_json())
        assert error(response)["code"] == "not_commissioner"
        assert error(response)["message"].startswith("Only the commissioner can ")
    after = db.leagues.find_one({"_id": league["id"]})
    assert after["member_count"] == 3 and after["settings"]["budget"] == 500


# --------------------------------------------------------------------------- invitations and joining

def test_invite_by_email_end_to_end(client, make_user, worker, mail_capture, app):
    boss, boss_h = make_user("Olivia Organiser")
    league = created(client, boss_h, name="Friday Five-a-side")
    invitee_email = f"new.member.{uuid.uuid4().hex[:8]}@example.com"
    response = client.post(f"/api/leagues/{league['id']}/invitations", headers=boss_h,
                           json={"emails": [invitee_email, "not-an-address", invitee_email.upper()]})
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert body["accepted"] == [invitee_email]
    assert [r["email"] for r in body["rejected"]] == ["not-an-address", invitee_email.upper()]
    assert [r["code"] for r in body["rejected"]] == ["invalid_email", "duplicate"]
    assert "@" in body["rejected"][0]["reason"]

    mail = mail_capture.wait_for(invitee_email, subject_contains="invited to a league", timeout=30)
    assert mail.subject == "You're invited to a league on Club Auction"  # no member-typed text in the subject
    assert "Olivia Organiser has invited you" in mail.text and "Friday Five-a-side" in mail.text
    link = league["invite_link"]
    assert link == f"{app.config['PUBLIC_BASE_URL']}/join/{token_of(link)}"
    assert link in mail.text and link in mail.html

    # The invitee follows the link: sees a preview, signs in, joins.
    token = token_of(link)
    preview = client.get(f"/api/invites/{token}").get_json()
    assert preview["league"]["name"] == "Friday Five-a-side"
    assert preview["league"]["commissioner_name"] == "Olivia Organiser"
    assert (preview["league"]["member_count"], preview["league"]["max_members"]) == (1, 16)
    assert preview["can_join"] is True
    invitee, invitee_h = make_user("Ivan Invitee")
    response = join(client, invitee_h, token)
    assert response.status_code == 201
    assert response.get_json()["league"]["id"] == league["id"]
    mine = client.get("/api/leagues", headers=invitee_h).get_json()["leagues"]
    assert [x["id"] for x in mine] == [league["id"]]
    names = [m["name"] for m in client.get(f"/api/leagues/{league['id']}", headers=boss_h)
             .get_json()["league"]["members"]]
    assert names == ["Olivia Organiser", "Ivan Invitee"]


def test_invitations_accept_at_most_50_addresses(client, make_user):
    _boss, h = make_user()
    league = created(client, h)
    emails = [f"p{i}@example.com" for i in range(51)]
    response = client.post(f"/api/leagues/{league['id']}/invitations", json={"emails": emails}, headers=h)
    assert response.status_code == 400
    assert error(response)["message"] == "The list of email addresses can have at most 50 entries."


def test_rotated_invite_link_stops_working(client, make_user, db):
    _boss, boss_h = make_user()
    league = created(client, boss_h)
    old = token_of(league["invite_link"])
    response = client.post(f"/api/leagues/{league['id']}/invite-link/rotate", headers=boss_h)
    new = token_of(response.get_json()["invite_link"])
    assert new != old
    _late, late_h = make_user()
    for response in (client.get(f"/api/invites/{old}"), join(client, late_h, old)):
        assert response.status_code == 404
        assert error(response) == {"code": "invite_invalid", "message":
                                   "This invite link is no longer valid. Ask the commissioner for a new one."}
    assert db.leagues.find_one({"_id": league["id"]})["member_count"] == 1
    assert join(client, late_h, new).status_code == 201


def test_full_league_refuses_the_next_member(client, make_user, db):
    league, (_b, boss_h), _ = league_with_members(client, make_user, 2, max_members=2)
    token = token_of(league["invite_link"])
    preview = client.get(f"/api/invites/{token}").get_json()
    assert preview["can_join"] is False and preview["reason"]["code"] == "league_full"
    _late, late_h = make_user()
    response = join(client, late_h, token)
    assert response.status_code == 409
    assert error(response)["code"] == "league_full"
    assert "is full: it already has 2 members" in error(response)["message"]
    assert db.leagues.find_one({"_id": league["id"]})["member_count"] == 2


def test_started_league_refuses_new_members(client, make_user, db):
    from auction_app.repositories import leagues as leagues_repo

    league, _boss, _ = league_with_members(client, make_user, 2)
    leagues_repo.mark_started(db, league["id"], "auction-" + league["id"], datetime.now(timezone.utc))
    _late, late_h = make_user()
    response = join(client, late_h, token_of(league["invite_link"]))
    assert response.status_code == 409
    assert error(response)["code"] == "league_started"
    assert "has already started, so new members can't join" in error(response)["message"]


def test_second_join_changes_nothing(client, make_user, db):
    league, _boss, [(member, member_h)] = league_with_members(client, make_user, 2)
    before = db.leagues.find_one({"_id": league["id"]})
    response = join(client, member_h, token_of(league["invite_link"]))
    assert response.status_code == 409
    assert error(response)["code"] == "already_member"
    assert error(response)["message"] == f"You're already a member of {league['name']}."
    after = db.leagues.find_one({"_id": league["id"]})
    assert after["member_count"] == 2 and after["member_ids"] == before["member_ids"]
    assert after["members"] == before["members"]


def test_joining_is_limited_to_10_per_hour(client, make_user):
    _boss, boss_h = make_user()
    tokens = [token_of(created(client, boss_h, max_members=50)["invite_link"]) for _ in range(5)]
    _other_boss, other_h = make_user()
    tokens += [token_of(created(client, other_h, max_members=50)["invite_link"]) for _ in range(5)]
    _joiner, joiner_h = make_user()
    for token in tokens:
        assert join(client, joiner_h, token).status_code == 201
    response = join(client, joiner_h, tokens[0])
    assert response.status_code == 429
    assert error(response)["message"].startswith("You've tried to join 10 leagues in the last hour. Try again in")
    assert "Retry-After" in response.headers


def test_twenty_people_race_for_nine_free_places(make_user, web, db):
    """max_members 10 counts the commissioner: 9 of 20 concurrent joins win, 11 hear it's full."""
    import requests as http

    boss, boss_h = make_user("Race Boss")
    response = http.post(f"{web}/api/leagues", json={"name": "Race", "sport_key": PL, "max_members": 10},
                         headers=boss_h, timeout=10)
    assert response.status_code == 201, response.text
    league = response.json()["league"]
    token = token_of(league["invite_link"])
    racers = [make_user(f"Racer {i}") for i in range(20)]
    barrier = threading.Barrier(len(racers))
    results: list[tuple[str, int, str]] = []
    lock = threading.Lock()

    def run(user, headers):
        barrier.wait()
        r = http.post(f"{web}/api/invites/{token}/join", headers=headers, timeout=30)
        code = r.json()["error"]["code"] if r.status_code != 201 else "joined"
        with lock:
            results.append((user["_id"], r.status_code, code))

    threads = [threading.Thread(target=run, args=racer) for racer in racers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = sorted(uid for uid, status, _code in results if status == 201)
    losers = [(status, code) for _uid, status, code in results if status != 201]
    assert len(results) == 20
    assert len(winners) == 9
    assert losers == [(409, "league_full")] * 11
    stored = db.leagues.find_one({"_id": league["id"]})
    assert stored["member_count"] == 10 == len(stored["members"]) == len(stored["member_ids"])
    assert sorted(stored["members"]) == sorted(winners + [boss["_id"]])
    assert sorted(stored["member_ids"]) == sorted(winners + [boss["_id"]])


# --------------------------------------------------------------------------- leaving and removal

def test_member_leaves_and_commissioner_removes_before_start_with_audit(client, make_user, db):
    from auction_app.repositories import audit

    league, (boss, boss_h), [(leaver, leaver_h), (removed, removed_h)] = league_with_members(client, make_user, 3)
    url = f"/api/leagues/{league['id']}"
    client.put(f"{url}/proxies/arsenal", json={"max_amount": 50}, headers=leaver_h)

    assert client.post(f"{url}/leave", headers=leaver_h).status_code == 200
    assert client.get(url, headers=leaver_h).status_code == 404  # no longer a member
    assert client.post(f"{url}/leave", headers=leaver_h).status_code == 404

    response = client.delete(f"{url}/members/{removed['_id']}", headers=boss_h)
    assert response.status_code == 200
    assert [m["user_id"] for m in response.get_json()["members"]] == [boss["_id"]]
    assert client.get(url, headers=removed_h).status_code == 404
    assert error(client.delete(f"{url}/members/{removed['_id']}", headers=boss_h))["code"] == "member_not_found"

    stored = db.leagues.find_one({"_id": league["id"]})
    assert stored["member_count"] == 1 == len(stored["members"]) and stored["member_ids"] == [boss["_id"]]
    assert db.proxies.count_documents({"league_id": league["id"], "user_id": leaver["_id"]}) == 0
    actions = [(e["action"], e["actor_id"]) for e in audit.for_league(db, league["id"])]
    assert ("member_left", leaver["_id"]) in actions
    assert ("member_removed", boss["_id"]) in actions

    # The commissioner can neither leave nor be removed; a removed member may rejoin by link.
    assert error(client.post(f"{url}/leave", headers=boss_h))["code"] == "commissioner_cannot_leave"
    assert error(client.delete(f"{url}/members/{boss['_id']}", headers=boss_h))["code"] == \
        "cannot_remove_commissioner"
    assert join(client, removed_h, token_of(league["invite_link"])).status_code == 201


def test_nobody_leaves_or_is_removed_after_the_auction_starts(client, make_user, db):
    from auction_app.repositories import leagues as leagues_repo

    league, (_boss, boss_h), [(member, member_h)] = league_with_members(client, make_user, 2)
    leagues_repo.mark_started(db, league["id"], "auction-" + league["id"], datetime.now(timezone.utc))
    url = f"/api/leagues/{league['id']}"
    response = client.post(f"{url}/leave", headers=member_h)
    assert (response.status_code, error(response)["message"]) == (
        409, "The auction has started, so members can't leave any more.")
    response = client.delete(f"{url}/members/{member['_id']}", headers=boss_h)
    assert (response.status_code, error(response)["code"]) == (409, "league_started")
    assert db.leagues.find_one({"_id": league["id"]})["member_count"] == 2


# --------------------------------------------------------------------------- proxy maximums

def test_proxy_maximums_are_private(client, make_user):
    league, (_boss, boss_h), [(_m, member_h)] = league_with_members(client, make_user, 2)
    url = f"/api/leagues/{league['id']}/proxies"
    response = client.put(f"{url}/arsenal", json={"max_amount": 120}, headers=member_h)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["proxies"] == [{"team_key": "arsenal", "key": "arsenal", "name": "Arsenal",
                                               "short": "ARS", "max_amount": 120}]
    client.put(f"{url}/chelsea", json={"max_amount": 80}, headers=boss_h)
    mine = client.get(url, headers=member_h).get_json()["proxies"]
    assert [(p["team_key"], p["max_amount"]) for p in mine] == [("arsenal", 120)]
    theirs = client.get(url, headers=boss_h).get_json()["proxies"]
    assert [(p["team_key"], p["max_amount"]) for p in theirs] == [("chelsea", 80)]
    # Nothing about maximums appears on the league page either.
    page = client.get(f"/api/leagues/{league['id']}", headers=boss_h).get_data(as_text=True)
    assert "120" not in page

    # Changing and clearing my maximum.
    client.put(f"{url}/arsenal", json={"max_amount": 150}, headers=member_h)
    assert client.get(url, headers=member_h).get_json()["proxies"][0]["max_amount"] == 150
    assert client.delete(f"{url}/arsenal", headers=member_h).get_json()["proxies"] == []
    assert error(client.delete(f"{url}/arsenal", headers=member_h))["code"] == "proxy_not_found"


@pytest.mark.parametrize("team, body, status, code", [
    ("arsenal", {"max_amount": 501}, 400, "proxy_too_high"),
    ("arsenal", {"max_amount": 0}, 400, "proxy_too_low"),
    ("arsenal", {"max_amount": 10.5}, 400, "invalid_request"),
    ("arsenal", {"max_amount": "10"}, 400, "invalid_request"),
    ("arsenal", {"max_amount": {"$gt": 0}}, 400, "invalid_request"),
    ("arsenal", {"max_amount": 10, "user_id": "someone"}, 400, "invalid_request"),
    ("mumbai-indians", {"max_amount": 10}, 404, "unknown_team"),
    ("chelsea", {"max_amount": 10}, 404, "unknown_team"),  # not in this league's auction
])
def test_bad_proxy_maximums_are_refused(client, make_user, db, team, body, status, code):
    _boss, h = make_user()
    league = created(client, h, team_keys=["arsenal", "liverpool", "everton"])
    response = client.put(f"/api/leagues/{league['id']}/proxies/{team}", json=body, headers=h)
    assert (response.status_code, error(response)["code"]) == (status, code)
    assert db.proxies.count_documents({"league_id": league["id"]}) == 0


# --------------------------------------------------------------------------- catalogs from the command line

def test_load_catalogs_command_loads_a_clubs_own_competition_and_explains_a_bad_file(app, tmp_path, client,
                                                                                   make_user):
    import json

    key = f"club-cup-{uuid.uuid4().hex[:6]}"
    good = tmp_path / "club-cup.json"
    good.write_text(json.dumps({"key": key, "name": "Club Cup", "sport": "football", "teams": [
        {"key": "reds", "name": "Reds", "short": "RED"}, {"key": "blues", "name": "Blues", "short": "BLU"}]}))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["load-catalogs", str(good)])
    assert result.exit_code == 0, result.output
    assert f"Loaded Club Cup ({key}): 2 teams." in result.output

    _user, h = make_user()
    sports = {s["key"]: s for s in client.get("/api/sports", headers=h).get_json()["sports"]}
    assert [t["key"] for t in sports[key]["teams"]] == ["reds", "blues"]
    league = created(client, h, sport_key=key, roster_slots=1)
    assert league["sport"]["name"] == "Club Cup"

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"key": "Bad Key", "name": "Bad", "sport": "curling", "teams": [
        {"key": "a", "name": "A", "short": "A"}]}))
    result = runner.invoke(args=["load-catalogs", str(bad), str(tmp_path / "missing.json")])
    assert result.exit_code != 0
    assert "bad.json: not loaded, because:" in result.output
    assert "sport 'curling' is not supported; use one of: cricket, football" in result.output
    assert "a catalog needs at least 2 teams, this one has 1" in result.output
    assert "missing.json: file not found." in result.output
    assert "2 of 2 catalog file(s) could not be loaded" in result.output

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = runner.invoke(args=["load-catalogs", str(broken)])
    assert result.exit_code != 0 and "could not be read as JSON" in result.output


def test_load_catalogs_command_without_files_loads_the_bundled_ones(app):
    result = app.test_cli_runner().invoke(args=["load-catalogs"])
    assert result.exit_code == 0, result.output
    assert "Loaded Premier League (premier-league): 20 teams." in result.output
    assert "Loaded Indian Premier League (ipl): 10 teams." in result.output


def test_proxy_maximums_during_the_auction_only_for_teams_not_yet_sold(client, make_user, db):
    from auction_app.repositories import leagues as leagues_repo

    league, _boss, [(_m, member_h)] = league_with_members(client, make_user, 2)
    auction_id = "test-auction-" + league["id"]
    # The engine's per-team lot statuses (status "completed" keeps any running beat sweep away from it).
    db.auctions.insert_one({"_id": auction_id, "league_id": league["id"], "status": "completed", "seq": 0,
                            "lots": {"arsenal": {"status": "sold", "round": 1}, "chelsea": {"status": "pending",
                                                                                             "round": 0}}})
    leagues_repo.mark_started(db, league["id"], auction_id, datetime.now(timezone.utc))
    url = f"/api/leagues/{league['id']}/proxies"
    response = client.put(f"{url}/arsenal", json={"max_amount": 30}, headers=member_h)
    assert (response.status_code, error(response)) == (409, {"code": "team_sold",
                                                             "message": "Arsenal has already been sold."})
    assert client.put(f"{url}/chelsea", json={"max_amount": 30}, headers=member_h).status_code == 200
    leagues_repo.mark_completed(db, league["id"], datetime.now(timezone.utc))
    response = client.put(f"{url}/chelsea", json={"max_amount": 40}, headers=member_h)
    assert (response.status_code, error(response)["code"]) == (409, "auction_over")
