"""Members choose the name others see on the draft board."""
from auction_app.repositories import leagues, users
from tests.support.factories import bearer, make_league


def test_a_new_name_shows_in_leagues_that_have_not_started(app, client, db):
    league, members = make_league(db, members=2)
    response = client.patch("/api/account", json={"display_name": "Sam Keeper"}, headers=bearer(app, members[1]))
    assert response.status_code == 200 and response.get_json()["user"]["display_name"] == "Sam Keeper"
    assert users.get(db, members[1]["_id"])["display_name"] == "Sam Keeper"
    assert leagues.get(db, league["_id"])["members"][members[1]["_id"]]["name"] == "Sam Keeper"


def test_bad_names_are_refused_and_change_nothing(app, client, db):
    _, members = make_league(db, members=2)
    headers = bearer(app, members[1])
    for body in ({"display_name": ""}, {"display_name": "x" * 41}, {"display_name": {"$ne": None}},
                 {"display_name": "<script>"}, {"display_name": "ok", "role": "admin"}):
        response = client.patch("/api/account", json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.get_json()["error"]["code"] == "invalid_request"
    assert users.get(db, members[1]["_id"])["display_name"] == members[1]["display_name"]
    assert users.get(db, members[1]["_id"])["role"] == "member"


def test_the_account_page_offers_the_name_form(app, client, db):
    _, members = make_league(db, members=2)
    page = client.get("/account", headers=bearer(app, members[1]))
    assert page.status_code == 200
    assert b'name="display_name"' in page.data and members[1]["display_name"].encode() in page.data
