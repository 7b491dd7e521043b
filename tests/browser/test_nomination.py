"""Nominations in the room: members take turns putting a team up (as in ESPN, Sleeper, Yahoo)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, open_as, overflow, start_auction
from tests.support.factories import make_league

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_nomination_turns_go_round_three_members(app, db, browser, stack):
    league, users = make_league(db, members=3, teams=["arsenal", "chelsea", "everton", "fulham"], budget=100,
                                roster_slots=1, lot_seconds=5, bid_clock_seconds=2, pause_between_lots_seconds=1,
                                nomination_seconds=60)
    path = f"/leagues/{league['_id']}/auction"
    start_auction(stack, app, users[0], league["_id"])
    pages = [open_as(browser, app, stack, user, path, viewport)[1]
             for user, viewport in zip(users, (DESKTOP, PHONE, PHONE))]
    ann, ben, cat = pages
    names = [u["display_name"] for u in users]

    # The first member's turn: only they get the form; the others see who is choosing.
    expect(ann.locator("#nominate-who")).to_have_text("Your turn: put a team up")
    for page in (ben, cat):
        expect(page.locator("#nominate-who")).to_have_text(f"{names[0]} is choosing the next team")
        expect(page.locator("#nominate-form")).to_be_hidden()
    assert overflow(ben) <= 0, "the nomination card fits a phone"
    ann.select_option("#nominate-team", label="Chelsea")
    ann.fill("#nominate-amount", "3")
    ann.get_by_role("button", name="Put it up").click()
    for page in pages:
        expect(page.locator("#lot-team")).to_have_text("Chelsea")
        expect(page.locator("#lot-price")).to_have_text("3")
        expect(page.locator("#nominate")).to_be_hidden()

    # Chelsea sells to the first member; then it is the second member's turn, on a phone.
    expect(ben.locator("#nominate-who")).to_have_text("Your turn: put a team up", timeout=20_000)
    expect(cat.locator("#nominate-who")).to_have_text(f"{names[1]} is choosing the next team")
    options = ben.locator("#nominate-team option").all_inner_texts()
    assert "Chelsea" not in options and "Arsenal" in options, "a sold team can't be put up again"
    ben.fill("#nominate-amount", "500")
    ben.get_by_role("button", name="Put it up").click()
    expect(ben.locator("#nominate-message")).to_contain_text("at most")
    ben.select_option("#nominate-team", label="Everton")
    ben.fill("#nominate-amount", "2")
    ben.get_by_role("button", name="Put it up").click()
    expect(cat.locator("#lot-team")).to_have_text("Everton")

    # Then the third member.
    expect(cat.locator("#nominate-who")).to_have_text("Your turn: put a team up", timeout=20_000)
    expect(ann.locator("#nominate-who")).to_have_text(f"{names[2]} is choosing the next team")
    for page in pages:
        page.context.close()
