"""The standings page: the commissioner imports a results file in the browser and
every member with the page open sees the new table at once."""
from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, PHONE
from tests.support.factories import completed_league, session_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "fixtures"
SALES = [("liverpool", 0, 10), ("chelsea", 1, 8), ("arsenal", 0, 5), ("tottenham-hotspur", 1, 6)]


def _open(browser, app, stack, user, league_id, viewport):
    context = browser.new_context(viewport=viewport)
    context.add_cookies([{"name": app.config["SESSION_COOKIE_NAME"], "value": session_token(app, user),
                          "url": stack}])
    page = context.new_page()
    page.goto(f"{stack}/leagues/{league_id}/standings")
    return context, page


def test_an_import_in_the_browser_updates_every_open_standings_page(app, db, browser, stack):
    league, (ann, ben) = completed_league(db, SALES, members=2)
    commish_ctx, commish = _open(browser, app, stack, ann, league["_id"], DESKTOP)
    member_ctx, member = _open(browser, app, stack, ben, league["_id"], PHONE)
    expect(member.locator("#standings-body tr")).to_have_count(2)
    expect(member.locator("#standings-body tr").first).to_contain_text("0")
    expect(member.locator("#import-card")).to_have_count(0)  # members don't get the commissioner tools

    # A file for another sport: one sentence, not a row per unknown team.
    commish.set_input_files("#import-file", str(EXAMPLES / "ipl-sample.csv"))
    commish.get_by_role("button", name="Import").click()
    expect(commish.locator("#import-result")).to_have_text(
        "None of the teams in this file are in Premier League. Is it a file for another sport or competition? "
        "Nothing was imported.")
    expect(commish.locator("#import-problems li")).to_have_count(0)

    # A bad file: nothing is imported and every bad row is listed in plain words.
    commish.set_input_files("#import-file", str(EXAMPLES / "premier-league-bad.csv"))
    commish.get_by_role("button", name="Import").click()
    expect(commish.locator("#import-problems li").first).to_be_visible()
    assert commish.locator("#import-problems li").count() >= 5
    expect(commish.locator("#import-problems")).to_contain_text("row")

    # The sample file: both pages show the new table, the member's without reloading.
    commish.set_input_files("#import-file", str(EXAMPLES / "premier-league-sample.csv"))
    commish.get_by_role("button", name="Import").click()
    expect(commish.locator("#import-result")).not_to_be_empty()
    first_member_row = member.locator("#standings-body tr").first
    expect(first_member_row).to_contain_text("Ann")
    expect(first_member_row).to_contain_text("25")  # Liverpool 13 + Arsenal 12 with the football defaults
    expect(member.locator("#standings-body tr").nth(1)).to_contain_text("20")
    commish_ctx.close()
    member_ctx.close()


def test_a_match_with_no_result_shows_no_score(app, db, browser, stack):
    league, (ann, _ben) = completed_league(db, [("royal-challengers-bengaluru", 0, 10), ("kolkata-knight-riders", 1, 8)],
                                           sport_key="ipl", members=2, roster_slots=1)
    context, page = _open(browser, app, stack, ann, league["_id"], PHONE)
    page.set_input_files("#import-file", str(EXAMPLES / "ipl-sample.csv"))
    page.get_by_role("button", name="Import").click()
    expect(page.locator("#import-result")).to_contain_text("Imported")
    page.get_by_role("link", name="Royal Challengers Bengaluru").click()
    washed_out = page.locator("#team-results-body tr", has_text="No result")
    expect(washed_out).to_have_count(1)
    expect(washed_out.locator("td").nth(3)).to_have_text("–")  # not "0–0"
    context.close()
