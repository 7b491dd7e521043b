"""What clients see of an auction: the room name and the full snapshot."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import asdict
from datetime import datetime

from pymongo.database import Database

from auction_app.domain.auction_machine import (
    PAUSED,
    bidder_view,
    public_bid,
    public_lot,
    settings_of,
)
from auction_app.domain.auction_rules import max_bid
from auction_app.services import auction_store

__all__ = ["room", "lobby_room", "snapshot", "public_bid", "public_lot"]


def room(auction_id: str) -> str:
    return f"auction:{auction_id}"


def lobby_room(league_id: str) -> str:
    """Members on the league page before (and as) its auction starts."""
    return f"lobby:{league_id}"


def snapshot(db: Database, auction: dict, viewer_id: str | None, now: datetime) -> dict:
    """Everything a client needs to draw the room, as of `seq`. Proxies only the viewer's own."""
    view = dict(_public_view(db, auction))
    view["server_time"] = now.isoformat()
    view["me"] = _viewer_view(db, auction, viewer_id)
    return view


# The part every viewer of one version of an auction shares, built once per version: fifty
# members opening the room at once cost one build, not fifty (issue 11). Small and bounded.
_public_views: OrderedDict[tuple, dict] = OrderedDict()
_PUBLIC_VIEWS_KEPT = 512


def _public_view(db: Database, auction: dict) -> dict:
    # The revision too: a restore from a backup brings back earlier versions (auctions.replace_if_unchanged).
    key = (db.name, auction["_id"], auction.get("version"), auction.get("rev"), auction["seq"])
    found = _public_views.get(key)
    if found is None:
        found = _public_views[key] = _build_public_view(db, auction)
        while len(_public_views) > _PUBLIC_VIEWS_KEPT:
            _public_views.popitem(last=False)
    return found


def _build_public_view(db: Database, auction: dict) -> dict:
    s = settings_of(auction)
    rosters: dict[str, list] = {uid: [] for uid in auction["members"]}
    for team, lot in auction["lots"].items():
        if lot["status"] == "sold":
            rosters[lot["winner_id"]].append({"team_key": team, "price": lot["price"]})
    members = []
    for uid in auction["member_order"]:
        view = bidder_view(auction, uid)
        members.append({"user_id": uid, "name": auction["members"][uid]["name"], "budget_left": view.budget_left,
                        "slots_left": view.slots_left, "roster": rosters[uid],
                        "max_bid": max_bid(view.budget_left, view.slots_left, s.min_bid)})
    lot = dict(public_lot(auction.get("lot"), s) or {}) or None
    if lot and auction["status"] == PAUSED and lot["status"] == "open":
        lot["status"] = "paused"
        lot["remaining_ms"] = auction.get("lot_remaining_ms")
    done = sum(1 for t in auction["lots"].values() if t["status"] in ("sold", "passed"))
    return {
        "auction_id": auction["_id"], "league_id": auction["league_id"], "status": auction["status"],
        "seq": auction["seq"], "settings": asdict(s),
        "lot": lot, "members": members,
        "lots": [{"team_key": t, **{k: v for k, v in auction["lots"][t].items()
                                   if k in ("status", "round", "price", "winner_id", "sold_seq", "undone_price")}}
                 for t in auction["lot_order"]],
        "position": {"done": done, "of": len(auction["lot_order"])},
        "recent_bids": [public_bid(b) for b in auction_store.recent_bids(db, auction)],
        "next_lot_at": auction["next_lot_at"].isoformat() if auction.get("next_lot_at") else None,
        "completed_reason": auction.get("completed_reason"),
        "nominating": _nominating(auction),
        "offerable": [t for t in auction["lot_order"] if auction["lots"][t]["status"] in ("pending", "unsold")],
    }


def _viewer_view(db: Database, auction: dict, viewer_id: str | None) -> dict | None:
    if viewer_id not in auction["members"]:
        return None
    s = settings_of(auction)
    view = bidder_view(auction, viewer_id)
    # The maximums the engine bids with (cached per lot and per change of maximums), the viewer's only.
    mine = {p.team_key: p.max_amount for p in auction_store.proxies_for(db, auction) if p.user_id == viewer_id}
    return {"user_id": viewer_id, "budget_left": view.budget_left, "slots_left": view.slots_left,
            "max_bid": max_bid(view.budget_left, view.slots_left, s.min_bid),
            "is_commissioner": viewer_id == auction["commissioner_id"], "proxies": mine}


def _nominating(auction: dict) -> dict | None:
    """Whose turn it is to put a team up, and until when (nominations only)."""
    turn = auction.get("nominating")
    if not turn:
        return None
    return {"user_id": turn["user_id"], "name": auction["members"][turn["user_id"]]["name"],
            "ends_at": turn["ends_at"].isoformat()}
