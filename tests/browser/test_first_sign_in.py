"""A newcomer's first sign-in: the tutorial, then a practice auction won against the bots."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_tutorial_then_a_practice_auction_won_against_the_bots(people, mail_capture, db):
    newcomer = people("newcomer", viewport=PHONE)
    page = newcomer.sign_in(mail_capture)

    # First sign-in lands on the tutorial: what a league is, the clock, max bid.
    expect(page.get_by_role("heading", name="Welcome to Club Auction")).to_be_visible()
    for step in ("A league is your group", "Bids race a clock", "Your max bid keeps you in the game"):
        expect(page.get_by_role("heading", name=step)).to_be_visible()
    newcomer.screenshot("phone-welcome")
    page.get_by_role("button", name="Start a practice auction").click()

    # The practice room: three bots bid by themselves, the newcomer outbids them all.
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    expect(page.get_by_role("heading", name="Practice auction")).to_be_visible()
    board = page.locator("#board tbody tr")
    expect(board).to_have_count(4)
    for bot in ("Bot Bella", "Bot Bruno", "Bot Cleo"):
        expect(page.locator("#board")).to_contain_text(bot)
    expect(page.locator("#lot")).to_have_attribute("data-status", "open", timeout=15_000)
    team = page.locator("#lot-team").inner_text()
    expect(page.locator("#feed li").first).to_contain_text("Bot", timeout=10_000)  # the bots are bidding
    newcomer.screenshot("phone-practice-room")
    page.get_by_label("Your amount").fill("60")  # more than any bot will pay (they stop by 55)
    page.once("dialog", lambda dialog: dialog.accept())  # 60 of 100 left: the room asks first
    page.get_by_role("button", name="Bid", exact=True).click()
    expect(page.locator("#my-state")).to_have_text("You're winning at 60")
    expect(page.locator("#moment")).to_have_text(f"SOLD! {team} to {newcomer.name} for 60", timeout=25_000)
    me_row = page.locator(f'#board tr:has-text("{newcomer.name}")')
    expect(me_row.locator("td.roster .chip")).to_have_attribute("title", f"{team} (60)")
    expect(page.locator("#my-budget")).to_have_text("40")

    # Enough practice: the newcomer (commissioner of their practice league) ends it.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="End auction").click()
    expect(page.get_by_role("heading", name="The auction is over")).to_be_visible()
    page.get_by_role("link", name="See the results").click()
    mine = page.locator(f'article.roster:has(h3:text-is("{newcomer.name}"))')
    expect(mine.locator("li").first).to_contain_text(team)
    expect(mine.locator(".spent")).to_have_text("60")

    # The tutorial is remembered; practice stays out of the real leagues.
    page.goto(newcomer.base_url + "/leagues")
    expect(page.get_by_role("heading", name="My leagues")).to_be_visible()
    expect(page.locator(".league-list")).to_have_count(0)
    expect(page.get_by_text("You're not in a league yet.")).to_be_visible()
    expect(page.locator(".practice-list")).to_contain_text("Practice auction")
    user = db.users.find_one({"email": newcomer.email})
    assert user["tutorial_outcome"] == "done" and user["tutorial_done_at"]
    newcomer.screenshot("phone-dashboard-after-practice")
