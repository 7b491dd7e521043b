"""Every page a person can reach, on a 390×844 phone and a 1366×768 desktop: no serious or
critical accessibility problem found by axe-core (from npm, injected into the page), and
nothing wider than the phone's screen. Screenshots land in test-artifacts/screenshots/."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS, overflow, start_auction, widest
from tests.support.factories import completed_league, make_league, make_user, session_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SALES = [("liverpool", 0, 10), ("chelsea", 1, 8), ("arsenal", 0, 5), ("tottenham-hotspur", 1, 6)]
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "fixtures"


def axe_problems(page) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now, in words."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document);
        if (!r.passes.length) return ["axe-core checked nothing"];
        return r.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
          .map((v) => `${v.id} (${v.impact}): ${v.help} — `
                      + v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", "));
    }""")
    return result


def check(page, name: str, size: str, problems: dict, width: int):
    found = axe_problems(page)
    if found:
        problems[f"{size} {name}"] = found
    bar = page.locator(".topbar").bounding_box()
    if bar["height"] > 60:
        problems.setdefault(f"{size} {name}", []).append(f"the top bar wraps ({bar['height']:.0f} px tall)")
    tall = page.evaluate("Math.max(0, ...[...document.querySelectorAll('#standings-body tr, #board tbody tr')]"
                         ".map((r) => r.getBoundingClientRect().height))")
    if tall > 130:
        problems.setdefault(f"{size} {name}", []).append(f"a table row is {tall:.0f} px tall")
    wide = overflow(page)
    if wide > 0:
        problems.setdefault(f"{size} {name}", []).append(f"{wide} px wider than a {width} px screen: {widest(page)}")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{size}-page-{name}.png"), full_page=True)


def make_places(app, db, stack):
    """The leagues behind the pages: one in setup, one live, one completed with results."""
    done, (ann, ben, _cat) = completed_league(db, SALES, members=3)
    setup_league, (boss, member) = make_league(db, members=2, teams=["arsenal", "chelsea"])
    live_league, (host, guest) = make_league(db, members=2, teams=["arsenal", "chelsea", "everton"],
                                             lot_seconds=600, bid_clock_seconds=10)
    start_auction(stack, app, host, live_league["_id"])
    import requests

    with (EXAMPLES / "premier-league-sample.csv").open("rb") as handle:
        imported = requests.post(f"{stack}/api/leagues/{done['_id']}/fixtures", timeout=20,
                                 headers={"Authorization": f"Bearer {session_token(app, ann)}"},
                                 files={"file": ("sample.csv", handle, "text/csv")})
    assert imported.status_code in (200, 201), imported.text
    outsider = make_user(db, "Outsider")
    from auction_app.repositories import users as users_repo

    users_repo.mark_tutorial_done(db, boss["_id"], "skipped")  # the welcome page is checked on its own URL
    return {"done": done, "ann": ann, "ben": ben, "setup": setup_league, "boss": boss, "member": member,
            "live": live_league, "host": host, "guest": guest, "outsider": outsider}


def test_every_page_is_accessible_and_fits_a_phone_and_a_desktop(app, db, browser, stack, catalogs):
    places = make_places(app, db, stack)
    problems: dict[str, list[str]] = {}
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        walk(app, browser, stack, places, size, viewport, problems)
    assert problems == {}


def walk(app, browser, stack, places, size, viewport, problems):
    phone = viewport == PHONE

    def visit(user, pages):
        # bypass_csp: only so axe-core can be injected; the pages run under their real CSP otherwise.
        context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, bypass_csp=True)
        if user is not None:
            context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": session_token(app, user),
                                  "url": stack}])
        page = context.new_page()
        page.set_default_timeout(15_000)
        for name, path, ready in pages:
            page.goto(stack + path)
            ready(page)
            check(page, name, size, problems, viewport["width"])
        context.close()

    def heading(text):
        return lambda page: expect(page.get_by_role("heading", name=text).first).to_be_visible()

    def room_link(page):
        expect(page.get_by_role("link", name="Go to the auction room")).to_be_visible()

    live = lambda page: expect(page.locator("#conn")).to_have_attribute("data-state", "live")  # noqa: E731
    done, setup, running = places["done"]["_id"], places["setup"], places["live"]["_id"]
    visit(None, [
        ("landing", "/", heading("Bid for real teams, live, with your club")),
        ("how-to-play", "/how-to-play", heading("How to play")),
        ("guide", "/guide", heading("User guide")),
        ("status", "/status", heading("Service status")),
        ("sign-in", "/auth/sign-in", heading("Sign in")),
        ("feedback", "/feedback", heading("Report a problem")),
        ("join-signed-out", f"/join/{setup['invite_token']}", heading(f"Join {setup['name']}")),
        ("spectator-live", f"/watch/{places['live']['spectator_token']}", live),
        ("not-found", "/no-such-page", heading("Page not found")),
    ])
    visit(places["boss"], [
        ("welcome", "/welcome", heading("Welcome to Club Auction")),
        ("dashboard", "/leagues", heading("My leagues")),
        ("new-league", "/leagues/new", heading("Create a league")),
        ("league-setup-commissioner", f"/leagues/{setup['_id']}", heading(setup["name"])),
        ("account", "/account", heading("Your account")),
        ("devices", "/account/sessions", heading("Signed-in devices")),
        ("not-a-member", f"/leagues/{done}", heading("This league isn't one of yours")),
    ])
    visit(places["member"], [("league-setup-member", f"/leagues/{setup['_id']}", heading(setup["name"]))])
    visit(places["outsider"], [("join-signed-in", f"/join/{setup['invite_token']}", heading(f"Join {setup['name']}"))])
    visit(places["host"], [("room-commissioner", f"/leagues/{running}/auction", live),
                           ("league-running", f"/leagues/{running}", room_link)])
    visit(places["ann"], [
        ("room-completed", f"/leagues/{done}/auction", heading("The auction is over")),
        ("results", f"/leagues/{done}/results", heading(f"Results: {places['done']['name']}")),
        ("standings", f"/leagues/{done}/standings", heading(f"{places['done']['name']}: standings")),
        ("league-completed", f"/leagues/{done}", heading(places["done"]["name"])),
    ])
