"""The pages over plain HTTP (no browser): every page renders for the right people,
and the feedback form stores reports, checks screenshots by their bytes and mails admins."""
from __future__ import annotations

import pytest

from tests.support.factories import bearer, make_league, make_user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def sign_in(app, client, user):
    from auction_app.auth.guards import issue_session

    with app.test_request_context():
        token = issue_session(user, "pytest", "127.0.0.1")
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], token)
    client.get("/")  # picks up the CSRF cookie
    return client.get_cookie("csrf_token").value


@pytest.mark.parametrize("path, heading", [
    ("/", "Bid for real teams, live, with your club"), ("/how-to-play", "How to play"),
    ("/guide", "User guide"), ("/status", "Service status"), ("/feedback", "Report a problem"),
])
def test_public_pages_render(client, path, heading):
    response = client.get(path)
    assert response.status_code == 200
    assert f">{heading}<" in response.get_data(as_text=True)


def test_member_pages_need_sign_in_and_hide_other_leagues(app, client, db, catalogs):
    assert client.get("/leagues").headers["Location"].startswith("/auth/sign-in?next=")
    league, users = make_league(db, members=2)
    outsider = make_user(db, "Outsider")
    sign_in(app, client, outsider)
    for path in (f"/leagues/{league['_id']}", f"/leagues/{league['_id']}/auction", f"/leagues/{league['_id']}/results"):
        response = client.get(path)
        assert response.status_code == 404  # existence isn't revealed, but the page says how to get in
        assert "ask them for an invite link" in response.get_data(as_text=True)


def test_first_visit_shows_the_tutorial_until_skipped(app, client, db, catalogs):
    user = make_user(db, "Newcomer")
    csrf = sign_in(app, client, user)
    assert client.get("/leagues").headers["Location"] == "/welcome"
    assert "Welcome to Club Auction" in client.get("/welcome").get_data(as_text=True)
    response = client.post("/welcome", data={"outcome": "skipped", "next": "/leagues", "csrf_token": csrf})
    assert response.status_code == 303
    stored = db.users.find_one({"_id": user["_id"]})
    assert stored["tutorial_outcome"] == "skipped" and stored["tutorial_done_at"]
    page = client.get("/leagues").get_data(as_text=True)
    assert "My leagues" in page and "Practice" in page


def test_league_pages_render_for_members(app, client, db, catalogs):
    league, users = make_league(db, members=2)
    db.users.update_one({"_id": users[0]["_id"]}, {"$currentDate": {"tutorial_done_at": True}})
    sign_in(app, client, db.users.find_one({"_id": users[0]["_id"]}))
    dashboard = client.get("/leagues").get_data(as_text=True)
    assert league["name"] in dashboard and "Waiting for the auction" in dashboard
    page = client.get(f"/leagues/{league['_id']}").get_data(as_text=True)
    assert "Start the auction" in page and "/join/" + league["invite_token"] in page
    # Before the start the room sends people back to the league page; results say there are none.
    assert client.get(f"/leagues/{league['_id']}/auction").status_code == 302
    assert "no results" in client.get(f"/leagues/{league['_id']}/results").get_data(as_text=True)
    assert client.get(f"/watch/{league['spectator_token']}").status_code == 200
    assert client.get("/watch/not-a-real-token").status_code == 404


def test_join_page_previews_the_league_before_sign_in(client, db, catalogs):
    league, _ = make_league(db, members=1)
    page = client.get(f"/join/{league['invite_token']}").get_data(as_text=True)
    assert f"Join {league['name']}" in page and "Sign in to join" in page
    bad = client.get("/join/" + "x" * 43)
    assert bad.status_code == 404 and "no longer valid" in bad.get_data(as_text=True)


def _feedback(client, csrf, **files):
    data = {"happened": "The bid button did nothing", "expected": "A bid", "page": "/leagues", "csrf_token": csrf}
    data.update(files)
    return client.post("/feedback", data=data, content_type="multipart/form-data")


def test_feedback_is_stored_checked_and_mailed_to_admins(app, client, db, worker, mail_capture):
    import io

    admin = make_user(db, "Admin")
    db.users.update_one({"_id": admin["_id"]}, {"$set": {"role": "admin"}})
    csrf = sign_in(app, client, make_user(db, "Reporter"))
    fake = _feedback(client, csrf, screenshot=(io.BytesIO(b"GIF89a" + b"\x00" * 10), "shot.png"))
    assert fake.status_code == 400 and "must be a PNG or JPEG" in fake.get_data(as_text=True)
    big = _feedback(client, csrf, screenshot=(io.BytesIO(PNG + b"\x00" * (2 * 1024 * 1024)), "big.png"))
    assert big.status_code == 400 and "larger than 2 MB" in big.get_data(as_text=True)
    ok = _feedback(client, csrf, screenshot=(io.BytesIO(JPEG), "shot.jpg"))
    assert ok.status_code == 200 and "Thank you" in ok.get_data(as_text=True)
    stored = db.feedback.find_one({"happened": "The bid button did nothing"})
    assert stored["screenshot"]["content_type"] == "image/jpeg" and bytes(stored["screenshot"]["data"]) == JPEG
    mail = mail_capture.wait_for(admin["email"], subject_contains="Problem report")
    assert "The bid button did nothing" in mail.text and "image/jpeg" in mail.text
    admin_headers = bearer(app, admin)
    listing = client.get("/admin/feedback", headers=admin_headers)
    assert listing.status_code == 200 and "The bid button did nothing" in listing.get_data(as_text=True)
    shot = client.get(f"/admin/feedback/{stored['_id']}/screenshot", headers=admin_headers)
    assert shot.status_code == 200 and shot.mimetype == "image/jpeg" and shot.data == JPEG
    member_view = client.get("/admin/feedback", headers=bearer(app, make_user(db, "Nosy")))
    assert member_view.status_code in (403, 404)
