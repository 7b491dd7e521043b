"""Practice auctions: the end screen sums up what I bought, and finished practices can be
deleted from My leagues instead of piling up."""
from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from auction_app.repositories import users as users_repo
from tests.browser.conftest import PHONE, open_as
from tests.support.factories import make_user, session_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_finished_practice_sums_up_and_can_be_deleted(app, db, browser, stack, catalogs):
    me = make_user(db, "Pat")
    users_repo.mark_tutorial_done(db, me["_id"], "done")
    headers = {"Authorization": f"Bearer {session_token(app, me)}"}
    started = requests.post(f"{stack}/api/practice", json={}, headers=headers, timeout=10)
    assert started.status_code == 201, started.text
    league_id, auction_id = started.json()["league_id"], started.json()["auction_id"]

    context, page = open_as(browser, app, stack, me, "/leagues", PHONE)
    item = page.locator(".practice-list li")
    expect(item).to_have_count(1)
    expect(item.get_by_role("button", name="Delete")).to_have_count(0)  # not while it runs

    ended = requests.post(f"{stack}/api/auctions/{auction_id}/end", headers=headers, timeout=10)
    assert ended.status_code == 200, ended.text
    page.goto(f"{stack}/leagues/{league_id}/auction")
    expect(page.get_by_role("heading", name="The auction is over")).to_be_visible()
    expect(page.get_by_text("The auction is over")).to_have_count(1)  # said once, not twice
    expect(page.locator("#done-mine")).to_have_text("You didn't buy a team; all 100 of your budget is left.")

    page.goto(f"{stack}/leagues")
    page.locator(".practice-list li").get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Practice deleted.")).to_be_visible()
    expect(page.locator(".practice-list li")).to_have_count(0)
    assert db.leagues.find_one({"_id": league_id}) is None and db.auctions.find_one({"_id": auction_id}) is None
    context.close()
