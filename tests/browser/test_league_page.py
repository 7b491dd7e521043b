"""The league page's forms work in a real browser: email invitations, settings, proxy maximums."""
from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP
from tests.support.factories import make_league, session_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_invitations_settings_and_a_hidden_maximum(app, db, browser, stack, mail_capture):
    league, (commissioner, member) = make_league(db, members=2, teams=["arsenal", "chelsea", "everton"])
    context = browser.new_context(viewport=DESKTOP)
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": session_token(app, commissioner),
                          "url": stack}])
    page = context.new_page()
    page.goto(f"{stack}/leagues/{league['_id']}")

    # Email invitations: a good address is sent (the mail really arrives), a bad one is named.
    friend = f"friend-{uuid.uuid4().hex[:8]}@example.com"
    page.fill("#invite-emails", f"{friend}\nnot-an-address")
    page.get_by_role("button", name="Send invitations").click()
    expect(page.locator("#league-message")).to_contain_text("Invitations sent: 1")
    expect(page.locator("#league-message")).to_contain_text("not-an-address")
    invitation = mail_capture.wait_for(friend)
    assert f"/join/{league['invite_token']}" in invitation.text

    # Settings: a budget that can't fill the roster is refused with the rules' sentence; a good one saves.
    page.fill("#set-budget", "1")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#league-message")).to_contain_text("can't fill")
    assert db.leagues.find_one({"_id": league["_id"]})["settings"]["budget"] == 100
    page.fill("#set-budget", "250")
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#league-message")).to_contain_text("Settings saved")
    assert db.leagues.find_one({"_id": league["_id"]})["settings"]["budget"] == 250

    # A hidden maximum: saved for me, shown only to me.
    page.select_option("#proxy-team", "chelsea")
    page.fill("#proxy-max", "40")
    page.get_by_role("button", name="Save maximum").click()
    expect(page.locator("#proxy-list")).to_contain_text("40")
    stored = db.proxies.find_one({"league_id": league["_id"], "user_id": commissioner["_id"], "team_key": "chelsea"})
    assert stored["max_amount"] == 40
    context.close()

    other = browser.new_context(viewport=DESKTOP)
    other.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": session_token(app, member), "url": stack}])
    member_page = other.new_page()
    member_page.goto(f"{stack}/leagues/{league['_id']}")
    expect(member_page.locator("#proxy-list")).not_to_contain_text("40")
    other.close()
