"""A member's hidden maximums (proxy bids) in a league: set, clear, list.

No Flask here; errors are `LeagueError`s, as in `services/leagues.py`. The auction engine
reads the maximums when it bids for them.
"""
from __future__ import annotations

from datetime import datetime

from pymongo.database import Database

from auction_app.repositories import auctions as auctions_repo
from auction_app.repositories import proxies as proxies_repo
from auction_app.repositories import sports as sports_repo
from auction_app.services.leagues import COMPLETED, RUNNING, LeagueError, member_league, team_view

# --------------------------------------------------------------------------- proxy maximums

_CLOSED_LOT_STATUSES = {"sold", "passed"}


def _team_closed(db: Database, league: dict, team_key: str) -> bool:
    """Whether the running auction has already sold (or finally passed on) this team.

    Reads the auction's per-team lot status when present (`lots` as a map keyed by
    team or a list of lots with `team_key`); the engine checks again when it bids.
    """
    auction = auctions_repo.get(db, league.get("auction_id")) if league.get("auction_id") else None
    if not auction:
        return False
    lots = auction.get("lots")
    if isinstance(lots, dict):
        lot = lots.get(team_key)
        return isinstance(lot, dict) and lot.get("status") in _CLOSED_LOT_STATUSES
    if isinstance(lots, list):
        return any(isinstance(lot, dict) and lot.get("team_key") == team_key
                   and lot.get("status") in _CLOSED_LOT_STATUSES for lot in lots)
    return False


def _team_name(db: Database, league: dict, team_key: str) -> str:
    return team_view(sports_repo.get(db, league["sport_key"]), team_key)["name"]


def _proxy_target(db: Database, league_id, user_id: str, team_key) -> dict:
    league = member_league(db, league_id, user_id)
    if league["status"] == COMPLETED:
        raise LeagueError("auction_over", "The auction is over, so maximums can't change any more.", 409)
    if not isinstance(team_key, str) or team_key not in league["team_keys"]:
        raise LeagueError("unknown_team", "That team isn't in this league's auction.", 404)
    if league["status"] == RUNNING and _team_closed(db, league, team_key):
        raise LeagueError("team_sold", f"{_team_name(db, league, team_key)} has already been sold.", 409)
    return league


def set_proxy(db: Database, league_id, user_id: str, team_key, max_amount: int, now: datetime) -> dict:
    """Set my hidden maximum for a team. Returns all my maximums in this league."""
    league = _proxy_target(db, league_id, user_id, team_key)
    settings = league["settings"]
    if max_amount < settings["min_bid"]:
        raise LeagueError("proxy_too_low", f"Your maximum must be at least the minimum bid of "
                                           f"{settings['min_bid']}.", 400)
    if max_amount > settings["budget"]:
        raise LeagueError("proxy_too_high", f"Your maximum can't be more than your budget of "
                                            f"{settings['budget']}.", 400)
    proxies_repo.set_max(db, league["_id"], user_id, team_key, max_amount, now)
    return my_proxies(db, league["_id"], user_id)


def clear_proxy(db: Database, league_id, user_id: str, team_key) -> dict:
    league = _proxy_target(db, league_id, user_id, team_key)
    if not proxies_repo.clear(db, league["_id"], user_id, team_key):
        raise LeagueError("proxy_not_found", "You haven't set a maximum for that team.", 404)
    return my_proxies(db, league["_id"], user_id)


def my_proxies(db: Database, league_id, user_id: str) -> dict:
    league = member_league(db, league_id, user_id)
    mine = proxies_repo.for_user(db, league["_id"], user_id)
    catalog = sports_repo.get(db, league["sport_key"])
    return {"proxies": [dict(team_view(catalog, key), team_key=key, max_amount=amount)
                        for key, amount in sorted(mine.items(), key=lambda kv: league["lot_order"].index(kv[0])
                                                  if kv[0] in league["lot_order"] else 10**6)]}
