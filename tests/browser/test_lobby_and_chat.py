"""Before and around the auction, with several people at once: the league page shows who
is here and switches live to "Auction is on" when the commissioner starts; a spectator
link opened early switches by itself; chat reaches everyone and a mute is respected."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, open_as, start_auction
from tests.support.factories import make_league

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIVE = 20_000


def test_lobby_live_start_spectator_and_chat_with_mute(app, db, browser, stack):
    league, (ann, bob, cat) = make_league(db, members=3, teams=["arsenal", "chelsea"], budget=50, roster_slots=1,
                                          lot_seconds=60, bid_clock_seconds=10, pause_between_lots_seconds=1)
    league_path = f"/leagues/{league['_id']}"
    bob_ctx, b = open_as(browser, app, stack, bob, league_path, PHONE)
    cat_ctx, c = open_as(browser, app, stack, cat, league_path, PHONE)
    screen_ctx = browser.new_context(viewport=DESKTOP)
    screen = screen_ctx.new_page()
    screen.goto(f"{stack}/watch/{league['spectator_token']}")

    # The lobby: each member's page lists who else has the league open.
    expect(b.locator("#lobby-here")).to_have_text("2 here: Player 2, Player 3", timeout=LIVE)
    expect(c.locator("#lobby-here")).to_contain_text("Player 2")
    # A spectator link opened before the start says so instead of hanging on "Connecting…".
    expect(screen.locator("#conn-text")).to_have_text("Not started yet")
    expect(screen.get_by_role("heading", name="The auction hasn't started yet")).to_be_visible()

    # The commissioner starts: the members' pages switch live; the spectator screen goes live.
    start_auction(stack, app, ann, league["_id"])
    for page in (b, c):
        expect(page.get_by_role("heading", name="Auction is on")).to_be_visible(timeout=LIVE)
        expect(page.locator("#league-status")).to_have_text("Auction live now")
    b.screenshot(path=_shot("phone-league-auction-on"), full_page=True)
    expect(screen.locator("#conn")).to_have_attribute("data-state", "live", timeout=LIVE)
    expect(screen.locator("#lot-team")).to_have_text("Arsenal")
    b.get_by_role("link", name="Join the auction room").click()
    expect(b.locator("#conn")).to_have_attribute("data-state", "live")
    c.goto(stack + league_path + "/auction")
    ann_ctx, a = open_as(browser, app, stack, ann, league_path + "/auction", DESKTOP)
    for page in (a, b, c):
        expect(page.locator("#conn")).to_have_attribute("data-state", "live")

    # Chat: Bob's message reaches everyone, the spectator screen included; rules are the product's.
    b.get_by_label("Message").fill("Arsenal is mine")
    b.get_by_role("button", name="Send").click()
    for page in (a, c, screen):
        expect(page.locator("#chat-list")).to_contain_text("Player 2: Arsenal is mine")
    b.get_by_label("Message").fill("<b>hi</b>")
    b.get_by_role("button", name="Send").click()
    expect(b.locator("#chat-message")).to_have_text("Messages can't contain < or > or special control characters.")
    c.get_by_role("button", name="React: Applause").click()
    expect(a.locator("#chat-list")).to_contain_text("Player 3 👏")

    # The commissioner mutes Bob: his form closes, the server refuses him, Cat still chats.
    a.get_by_role("button", name="Mute Player 2").click()
    expect(b.locator("#chat-message")).to_have_text("The commissioner has muted you in this chat.")
    expect(b.get_by_label("Message")).to_be_disabled()
    reply = b.evaluate("""() => new Promise((resolve) => {
        const s = window.io({ transports: ["websocket"] });
        s.on("connect", () => s.emit("chat_send", { auction_id: document.getElementById("room").dataset.auctionId,
                                                    text: "sneaky" }, (r) => { s.close(); resolve(r); }));
    })""")
    assert reply == {"ok": False, "error": {"code": "muted", "message": "The commissioner has muted you in this chat."}}
    c.get_by_label("Message").fill("Good luck all")
    c.get_by_role("button", name="Send").click()
    expect(a.locator("#chat-list")).to_contain_text("Player 3: Good luck all")
    expect(a.locator("#chat-list")).not_to_contain_text("sneaky")
    # Messages are kept: a page opened now shows them.
    screen.reload()
    expect(screen.locator("#chat-list")).to_contain_text("Player 3: Good luck all")
    auction_id = db.leagues.find_one({"_id": league["_id"]})["auction_id"]
    stored = [m["text"] for m in db.chat_messages.find({"auction_id": auction_id}).sort("at", 1)]
    assert stored == ["Arsenal is mine", "Good luck all"]  # refused messages are never stored
    for context in (ann_ctx, bob_ctx, cat_ctx, screen_ctx):
        context.close()


def _shot(name):
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return str(SCREENSHOTS / f"{name}.png")
