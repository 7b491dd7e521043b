"""Nominations in the room, and a scheduled start on the league page."""
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


def test_a_scheduled_start_counts_down_in_the_lobby_and_switches_the_league_page_live(app, db, browser, stack,
                                                                                      mail_capture):
    from datetime import datetime, timedelta, timezone

    league, users = make_league(db, members=2, teams=["arsenal", "chelsea"], roster_slots=1)
    path = f"/leagues/{league['_id']}"
    boss = open_as(browser, app, stack, users[0], path, DESKTOP)[1]
    member = open_as(browser, app, stack, users[1], path, PHONE)[1]
    expect(member.locator("#lobby-here")).to_contain_text("2 here")

    when = (datetime.now(timezone.utc) + timedelta(minutes=10)).replace(second=0, microsecond=0)
    boss.fill("#schedule-at", when.strftime("%Y-%m-%dT%H:%M"))  # the browser runs in UTC here
    boss.get_by_role("button", name="Schedule").click()
    expect(member.locator("#lobby-countdown")).to_contain_text("The auction starts in")
    assert mail_capture.wait_for(users[1]["email"], subject_contains="start time")

    # The time comes (moved forward here): the sweep starts it and the member's page switches at once.
    db.leagues.update_one({"_id": league["_id"]},
                          {"$set": {"scheduled_start_ms": int(datetime.now(timezone.utc).timestamp() * 1000)}})
    expect(member.locator("#auction-live")).to_be_visible(timeout=15_000)
    expect(member.locator("#league-status")).to_have_text("Auction live now")
    for page in (boss, member):
        page.context.close()
