"""The room survives a dropped connection: offline mid-lot, bids happen meanwhile,
and back online the room resyncs by itself to the right price, leader and clock."""
from __future__ import annotations

import re
import time
from datetime import datetime, timezone

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, open_as
from tests.support import services
from tests.support.auction_clients import rest_bid
from tests.support.factories import make_league, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def session_for(app, user) -> str:
    from auction_app.auth.guards import issue_session

    with app.test_request_context():
        return issue_session(user, "pytest", "127.0.0.1")


def bid(base, token, auction_id, amount):
    response = rest_bid(base, token, auction_id, amount)
    assert response.status_code == 201, response.text


def seconds_shown(page) -> int:
    minutes, seconds = re.fullmatch(r"(\d+):(\d\d)", page.locator("#lot-clock").inner_text()).groups()
    return int(minutes) * 60 + int(seconds)


def test_offline_then_online_resyncs_price_leader_and_clock(app, db, browser, stack):
    league, users = make_league(db, members=2, teams=["arsenal", "chelsea"], budget=100, roster_slots=1,
                                lot_seconds=40, bid_clock_seconds=40, pause_between_lots_seconds=1)
    tokens = [session_for(app, u) for u in users]
    started = requests.post(f"{stack}/api/leagues/{league['_id']}/auction/start", timeout=10,
                            headers={"Authorization": f"Bearer {tokens[0]}"})
    assert started.status_code == 201, started.text
    auction_id = started.json()["auction_id"]

    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": tokens[1], "url": stack}])
    page = context.new_page()
    page.goto(f"{stack}/leagues/{league['_id']}/auction")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    expect(page.locator("#lot-team")).to_have_text("Arsenal")
    expect(page.locator("#lot-price")).to_have_text("–")
    expect(page.locator("#lot-leader")).to_have_text("No bids yet: opens at 1")

    # The phone loses its connection; the room says so. Meanwhile the other member bids 9.
    context.set_offline(True)
    expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
    expect(page.locator("#conn-text")).to_have_text("Offline: waiting for the network")
    time.sleep(3)  # long enough for the clock it last saw to be clearly wrong
    bid(stack, tokens[0], auction_id, 9)
    page.get_by_role("button", name="Bid 1", exact=True).click()
    expect(page.locator("#bid-message")).to_contain_text("You're offline, so your bid wasn't sent")
    expect(page.locator("#lot-leader")).to_have_text("No bids yet: opens at 1")  # nothing arrives offline
    page.screenshot(path=str(_shot("phone-room-offline")), full_page=True)

    # Back online: it reconnects and redraws from a fresh snapshot.
    context.set_offline(False)
    expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=15_000)
    expect(page.locator("#lot-price")).to_have_text("9")
    expect(page.locator("#room-notice")).to_have_text("Back online — 1 bid while you were away.")
    expect(page.locator("#bid-message")).to_be_hidden()  # "You're offline" no longer true
    expect(page.locator("#lot-leader")).to_have_text("Leader: Player 1")
    expect(page.locator("#feed li").first).to_contain_text("Player 1 bid 9 on Arsenal")
    ends_at = db.auctions.find_one({"_id": auction_id})["lot"]["ends_at"]
    if ends_at.tzinfo is None:
        ends_at = ends_at.replace(tzinfo=timezone.utc)
    expected = (ends_at - datetime.now(timezone.utc)).total_seconds()
    assert abs(seconds_shown(page) - expected) <= 2, (page.locator("#lot-clock").inner_text(), expected)
    expect(page.get_by_role("button", name="Bid 10", exact=True)).to_be_enabled()
    context.close()


def _shot(name):
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS / f"{name}.png"


def test_the_browsers_socket_is_not_compressed(app, db, browser, stack):
    """Chromium offers permessage-deflate on every WebSocket. The product declines it
    (WEBSOCKET_COMPRESSION, default off): taken up, each member's socket held its own zlib
    compressor, 110-150 KB of the web process's memory (docs/performance.md)."""
    context, page = open_as(browser, app, stack, make_user(db, "Dana"), "/")
    try:
        extensions = page.evaluate("""() => new Promise((resolve, reject) => {
            const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket");
            ws.onopen = () => { resolve(ws.extensions); ws.close(); };
            ws.onerror = () => reject(new Error("the WebSocket did not open"));
        })""")
    finally:
        context.close()
    assert extensions == ""


def test_a_member_turned_away_by_a_full_server_gets_in_once_a_place_frees(app, db, browser, stack, service_env,
                                                                          workdir):
    """A web process at WEB_CONNECTIONS refuses the next socket (server_full). socket.io never
    retries a refusal by itself: the room says so and tries again after the server's
    retry_after_ms (jittered), so the member gets in without reloading once someone leaves."""
    import socketio

    league, users = make_league(db, members=2, teams=["arsenal", "chelsea"], budget=100, roster_slots=1,
                                lot_seconds=60, bid_clock_seconds=60)
    tokens = [session_for(app, u) for u in users]
    port = services.free_port()
    env = dict(service_env, WEB_CONNECTIONS="1", SOCKET_FULL_RETRY_SECONDS="1",
               PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    proc, base = services.start_web(env, workdir, name="web-full", port=port, worker_connections=50)
    first = socketio.Client(reconnection=False)
    context = browser.new_context()
    try:
        started = requests.post(f"{base}/api/leagues/{league['_id']}/auction/start", timeout=10,
                                headers={"Authorization": f"Bearer {tokens[0]}"})
        assert started.status_code == 201, started.text
        first.connect(base, auth={"token": tokens[0]}, transports=["websocket"], wait_timeout=10)  # the one place

        context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": tokens[1], "url": base}])
        page = context.new_page()
        page.goto(f"{base}/leagues/{league['_id']}/auction")
        expect(page.locator("#conn-text")).to_have_text(
            "This auction server is full right now. We'll get you in as soon as a place is free.")
        time.sleep(2)  # it keeps trying (and being refused) while the place is taken
        expect(page.locator("#conn")).not_to_have_attribute("data-state", "live")

        first.disconnect()
        expect(page.locator("#conn")).to_have_attribute("data-state", "live", timeout=10_000)
        expect(page.locator("#lot-team")).to_have_text("Arsenal")
    finally:
        context.close()
        if first.connected:
            first.disconnect()
        services.stop_process(proc)
