"""Who may see and do what in an auction. Ids from clients are always checked here."""
from __future__ import annotations

from auction_app.errors import ApiError
from auction_app.repositories import auctions, database, leagues
from auction_app.services import auction_store

NOT_FOUND = ApiError("not_found", "We couldn't find that auction.", 404)


def auction_for_member(auction_id: str, user_id: str) -> dict:
    """The auction if `user_id` is one of its members; 404 otherwise (existence isn't revealed)."""
    auction = auctions.get(database(), auction_id)
    if auction is None or user_id not in auction["members"]:
        raise NOT_FOUND
    return auction


def check_member(auction_id: str, user_id: str) -> None:
    """404 unless `user_id` is one of the auction's members; no read when this process knows the auction."""
    members = auction_store.members_of(database(), auction_id) if isinstance(auction_id, str) else None
    if members is None or user_id not in members:
        raise NOT_FOUND


def auction_for_spectator(auction_id: str, spectator_token: str) -> dict:
    auction = auctions.get(database(), auction_id)
    if auction is None:
        raise NOT_FOUND
    league = leagues.get(database(), auction["league_id"])
    if not league or not spectator_token or league.get("spectator_token") != spectator_token:
        raise NOT_FOUND
    return auction


def league_for_member(league_id: str, user_id: str) -> dict:
    league = leagues.get(database(), league_id)
    if league is None or user_id not in (league.get("members") or {}):
        raise ApiError("not_found", "We couldn't find that league.", 404)
    return league
