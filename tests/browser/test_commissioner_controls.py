"""The commissioner's buttons in the auction room do what they say, for everyone watching."""
from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP
from tests.support.auction_clients import rest_bid
from tests.support.factories import make_league, session_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _bid(base, token, auction_id, amount):
    return rest_bid(base, token, auction_id, amount)


def test_pause_resume_skip_and_undo_from_the_room(app, db, browser, stack):
    league, users = make_league(db, members=2, teams=["arsenal", "chelsea", "everton"], budget=100,
                                roster_slots=2, lot_seconds=6, bid_clock_seconds=2, pause_between_lots_seconds=1)
    tokens = [session_token(app, u) for u in users]
    started = requests.post(f"{stack}/api/leagues/{league['_id']}/auction/start", timeout=10,
                            headers={"Authorization": f"Bearer {tokens[0]}"})
    auction_id = started.json()["auction_id"]

    context = browser.new_context(viewport=DESKTOP)
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": tokens[0], "url": stack}])
    page = context.new_page()
    page.goto(f"{stack}/leagues/{league['_id']}/auction")
    page.on("dialog", lambda dialog: dialog.accept())  # undo and skip ask first (tests/browser/test_room_alerts.py)
    expect(page.locator("#lot-team")).to_have_text("Arsenal")

    # Pause: the clock freezes, and a member's bid is refused with a plain sentence.
    assert _bid(stack, tokens[1], auction_id, 7).status_code == 201
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#lot-clock")).to_contain_text("Paused")
    refused = _bid(stack, tokens[1], auction_id, 9).json()["error"]
    assert refused["code"] == "lot_paused" and "paused" in refused["message"]

    # Resume, let the lot sell to the member, then undo that sale: refunded and offered again.
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#lot-clock")).not_to_contain_text("Paused")
    expect(page.locator("#moment")).to_contain_text("Arsenal", timeout=15_000)
    expect(page.locator("#lot-team")).to_have_text("Chelsea", timeout=15_000)
    page.get_by_role("button", name="Undo last sale").click()
    expect(page.locator("#moment")).to_contain_text("Sale undone")
    member = db.auctions.find_one({"_id": auction_id})["members"][users[1]["_id"]]
    assert (member["spent"], member["filled"]) == (0, 0)

    # Skip the team on the block: no sale, and the auction moves on.
    page.get_by_role("button", name="Skip team").click()
    expect(page.locator("#moment")).to_contain_text(re.compile("skipped|unsold"))
    actions = [e["action"] for e in db.audit.find({"league_id": league["_id"]}).sort("at", 1)]
    assert actions[-4:] == ["pause", "resume", "undo_last_sale", "skip"]

    # The results say which sale was undone, and mark its winning bid in the log.
    page.goto(f"{stack}/leagues/{league['_id']}/results")
    expect(page.locator("#undone")).to_contain_text("Arsenal to Player 2 for 7: undone")
    expect(page.locator("#bid-log tr", has_text="sale undone")).to_have_count(1)
    context.close()
