"""Practice auctions: a member learns bidding alone against a few bots.

A practice league is an ordinary league of kind "practice" (so it never mixes
with real leagues) with three bot members. The bots bid through the same proxy
mechanism absent members use: each has a hidden, random value for every team
and the engine bids for it, one increment at a time, up to that value. Short
clocks keep a practice round to a few minutes.
"""
from __future__ import annotations

import random
from datetime import datetime

from pymongo.database import Database

from auction_app.repositories import leagues as leagues_repo, proxies, sports, users
from auction_app.services import auction_engine, leagues as leagues_service

BOT_NAMES = ("Bot Bella", "Bot Bruno", "Bot Cleo")
PRACTICE_SETTINGS = {
    "budget": 100, "roster_slots": 2, "min_bid": 1, "min_increment": 1, "lot_seconds": 15,
    "bid_clock_seconds": 5, "pause_between_lots_seconds": 2, "max_members": 4, "lot_order_mode": "random",
    # Bots answer like people, a second or two after a bid, not within milliseconds.
    "proxy_delay_ms": 1200,
}
PRACTICE_TEAMS = 6
PREFERRED_CATALOG = "premier-league"


def bot_values(rng: random.Random, team_keys: list[str], budget: int, slots: int) -> dict[str, int]:
    """A bot's hidden maximum per team: around a fair share of its budget, some keen, some not."""
    fair = budget // slots
    return {team: rng.randint(max(1, fair // 5), int(fair * 1.1)) for team in team_keys}


def start_practice(db: Database, user: dict, now: datetime, rng: random.Random | None = None):
    """Create and start a practice auction for `user`. Returns (league, auction, effects)."""
    rng = rng or random.Random()
    catalog = sports.get(db, PREFERRED_CATALOG) or next(iter(sports.all_catalogs(db)), None)
    if catalog is None:
        raise leagues_service.LeagueError("no_catalog", "No sports are set up yet, so practice isn't available.", 503)
    teams = rng.sample([t.key for t in catalog.teams], min(PRACTICE_TEAMS, len(catalog.teams)))
    league = leagues_service.create_league(db, user, name="Practice auction", sport_key=catalog.key, now=now,
                                           kind="practice", changes=dict(PRACTICE_SETTINGS, team_keys=teams))
    for name in BOT_NAMES:
        bot = users.create_bot(db, name, now)
        leagues_repo.join(db, league["_id"], bot["_id"], {"name": name, "role": "member", "joined_at": now},
                          invite_token=None)
        for team, value in bot_values(rng, teams, PRACTICE_SETTINGS["budget"], PRACTICE_SETTINGS["roster_slots"]).items():
            proxies.set_max(db, league["_id"], bot["_id"], team, value, now)
    league = leagues_repo.get(db, league["_id"])
    auction, effects = auction_engine.start(db, league, user["_id"], now)
    return league, auction, effects


def delete_practice(db: Database, league_id, user_id: str) -> dict:
    """Delete one of my finished practice auctions (and everything it wrote). Returns the league."""
    league = leagues_service.member_league(db, league_id, user_id)
    if league.get("kind") != "practice" or league["commissioner_id"] != user_id:
        raise leagues_service.LeagueError("not_practice", "Only your own practice auctions can be deleted here.", 403)
    if league["status"] == leagues_repo.RUNNING:
        raise leagues_service.LeagueError("practice_running", "This practice is still running. End it in the room "
                                                              "first, then delete it.", 409)
    leagues_repo.delete_with_auction(db, league)
    return league
