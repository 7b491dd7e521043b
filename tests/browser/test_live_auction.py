"""A whole live auction in real browsers: a commissioner on a desktop, a member on a
390×844 phone and a spectator screen, all signed in (or not) the way people do it."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, finish_tutorial

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIVE_WAIT = 15_000  # ms: a lot closes within lot_seconds + the sweep's second or two


def create_league(person, name: str, teams: list[str]) -> str:
    page = person.goto("/leagues")
    page.get_by_role("link", name="Create a league").click()
    page.get_by_label("League name").fill(name)
    page.get_by_label("Sport").select_option("premier-league")
    for box in page.locator('input[name="team_keys"]').all():
        box.set_checked(False)
    for team in teams:
        page.get_by_label(team, exact=True).check()
    for label, value in [("Budget per member", "50"), ("Teams per member", "1"), ("Seconds per team", "8"),
                         ("Seconds after a late bid", "4"), ("Pause between teams (seconds)", "1")]:
        page.get_by_label(label).fill(value)
    person.screenshot("desktop-create-league")
    page.get_by_role("button", name="Create the league").click()
    page.get_by_role("heading", name=name).wait_for()
    return page.url.rstrip("/").rsplit("/", 1)[-1]


def lot_team(page) -> str:
    expect(page.locator("#lot")).to_have_attribute("data-status", "open", timeout=LIVE_WAIT)
    return page.locator("#lot-team").inner_text()


def test_two_members_and_a_spectator_run_a_whole_auction(people, mail_capture, db):
    alice = people("alice")
    bob = people("bob", viewport=PHONE)
    screen = people("screen")

    # The commissioner signs in through the mail, skips the tutorial, creates a league.
    alice.sign_in(mail_capture)
    finish_tutorial(alice)
    alice.screenshot("desktop-dashboard-empty")
    league_id = create_league(alice, "Friday Club", ["Arsenal", "Chelsea"])
    page_a = alice.page
    expect(page_a.get_by_text("Waiting for the auction")).to_be_visible()
    invite = page_a.get_by_label("Invite link: anyone with it can join").input_value()
    spectator_link = page_a.get_by_label("Spectator link: watch without bidding (for a club screen)").input_value()
    assert invite.startswith(alice.base_url + "/join/")

    # The member opens the invite link on a phone, signs in from there and joins.
    page_b = bob.page
    page_b.goto(invite)
    expect(page_b.get_by_role("heading", name="Join Friday Club")).to_be_visible()
    bob.screenshot("phone-join-signed-out")
    page_b.get_by_role("link", name="Sign in to join").click()
    bob.sign_in(mail_capture, next_path=invite[len(bob.base_url):])
    page_b.get_by_role("button", name="Join this league").click()
    expect(page_b.get_by_role("heading", name="Friday Club")).to_be_visible()
    expect(page_b.get_by_text(f"Waiting for {alice.name} to start the auction")).to_be_visible()

    page_a.reload()
    expect(page_a.locator("#member-list")).to_contain_text(bob.name)
    alice.screenshot("desktop-league-setup")
    bob.screenshot("phone-league-setup")

    # Start: the commissioner lands in the room; the member follows from the league page.
    page_a.once("dialog", lambda dialog: dialog.accept())
    page_a.get_by_role("button", name="Start the auction").click()
    expect(page_a.locator("#conn")).to_have_attribute("data-state", "live")
    page_b.reload()
    page_b.get_by_role("link", name="Go to the auction room").click()
    expect(page_b.locator("#conn")).to_have_attribute("data-state", "live")
    screen.page.goto(spectator_link)
    expect(screen.page.locator("#conn")).to_have_attribute("data-state", "live")
    expect(screen.page.get_by_text("watching")).to_be_visible()
    expect(screen.page.locator("#bid-panel")).to_have_count(0)  # spectators can't bid

    # Lot 1: Alice opens, Bob's too-low bid is refused in words, Bob raises by 5.
    first = lot_team(page_a)
    assert lot_team(page_b) == first and lot_team(screen.page) == first
    expect(page_a.locator("#controls")).to_be_visible()
    expect(page_b.locator("#controls")).to_be_hidden()
    page_a.get_by_role("button", name="Bid 1", exact=True).click()
    expect(page_a.locator("#lot-leader")).to_have_text("You're winning")
    expect(page_b.locator("#lot-price")).to_have_text("1")
    expect(page_b.locator("#lot-leader")).to_have_text(f"Leader: {alice.name}")
    expect(screen.page.locator("#feed li").first).to_contain_text(f"{alice.name} bid 1 on {first}")

    page_b.get_by_label("Your amount").fill("1")
    page_b.get_by_role("button", name="Bid", exact=True).click()
    expect(page_b.locator("#bid-message")).to_have_text("The next bid must be at least 2.")
    page_b.get_by_role("button", name="Bid 6", exact=True).click()
    expect(page_b.locator("#lot-leader")).to_have_text("You're winning")
    expect(page_a.locator("#lot-price")).to_have_text("6")
    expect(page_a.locator("#lot-leader")).to_have_text(f"Leader: {bob.name}")
    expect(screen.page.locator("#feed li").first).to_contain_text(f"{bob.name} bid 6 on {first}")
    alice.screenshot("desktop-room-live")
    bob.screenshot("phone-room-live")
    screen.screenshot("desktop-spectator-live")

    # Sold: unmistakable for everyone; Bob's roster and budget update on every board.
    sold = f"SOLD! {first} to {bob.name} for 6"
    for page in (page_a, page_b, screen.page):
        expect(page.locator("#moment")).to_have_text(sold, timeout=LIVE_WAIT)
    page_b.wait_for_timeout(400)  # let the sold banner finish appearing
    bob.screenshot("phone-room-sold")
    bob_row = page_a.locator(f'#board tr:has-text("{bob.name}")')
    expect(bob_row.locator("td.budget")).to_have_text("44")
    expect(bob_row.locator("td.roster .chip")).to_have_attribute("title", f"{first} (6)")  # shown as "ARS 6"

    # Lot 2: Bob's roster is full, and the room says so; Alice takes the last team.
    second = lot_team(page_b)
    assert second != first
    page_b.get_by_role("button", name="Bid 1", exact=True).click()
    expect(page_b.locator("#bid-message")).to_contain_text("You've already filled")
    page_a.get_by_role("button", name="Bid 1", exact=True).click()
    expect(screen.page.locator("#feed li").first).to_contain_text(f"{alice.name} bid 1 on {second}")
    for page in (page_a, page_b, screen.page):
        expect(page.get_by_role("heading", name="The auction is over")).to_be_visible(timeout=LIVE_WAIT)
    expect(page_a.locator("#done-reason")).to_have_text("Every roster is full.")
    alice.screenshot("desktop-room-completed")

    # Both results pages show what the database holds.
    auction = db.auctions.find_one({"league_id": league_id})
    sold_lots = {team: lot for team, lot in auction["lots"].items() if lot["status"] == "sold"}
    assert {lot["winner_id"] for lot in sold_lots.values()} == set(auction["members"])
    bid_count = db.bids.count_documents({"auction_id": auction["_id"]})
    assert bid_count == 3
    for person in (alice, bob):
        person.page.get_by_role("link", name="See the results").click()
        page = person.page
        expect(page.get_by_role("heading", name="Results: Friday Club")).to_be_visible()
        for team, lot in sold_lots.items():
            name = auction["members"][lot["winner_id"]]["name"]
            card = page.locator(f'article.roster:has(h3:text-is("{name}"))')
            expect(card.locator(f'li[data-team="{team}"] .amount')).to_have_text(str(lot["price"]))
            expect(card.locator(".spent")).to_have_text(str(lot["price"]))
        expect(page.locator("#bid-log tbody tr")).to_have_count(bid_count)
    expect(page_b.locator("#bid-log tbody tr").first).to_contain_text(re.compile(rf"{alice.name}\s*1"))
    alice.screenshot("desktop-results")
    bob.screenshot("phone-results")

    # Bob came in through the invite and has now played: no tutorial, straight to his leagues.
    bob.goto("/leagues")
    expect(bob.page.get_by_role("heading", name="My leagues")).to_be_visible()
    expect(bob.page.locator(".league-item", has_text="Friday Club")).to_contain_text("Auction completed")
