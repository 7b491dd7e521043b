"""Read-only views of an auction state (the auction document) for the rules and for clients."""
from __future__ import annotations

from datetime import datetime, timedelta

from auction_app.domain.auction_rules import AuctionSettings, BidderView, LotView, minimum_next_bid

RUNNING, PAUSED, COMPLETED = "running", "paused", "completed"
SETTINGS_FIELDS = tuple(AuctionSettings.__dataclass_fields__)


# --------------------------------------------------------------------------- views

def settings_of(state: dict) -> AuctionSettings:
    return AuctionSettings(**state["settings"])


def bidder_view(state: dict, user_id: str) -> BidderView:
    member, s = state["members"][user_id], state["settings"]
    return BidderView(user_id, s["budget"] - member["spent"], s["roster_slots"] - member["filled"])


def lot_view(state: dict) -> LotView:
    lot = state.get("lot")
    if not lot:
        return LotView("pending", None, None, None)
    status = "paused" if lot["status"] == "open" and state["status"] == PAUSED else lot["status"]
    return LotView(status, lot.get("price"), lot.get("leader_id"), lot.get("ends_at"))


def lot_is_open(state: dict) -> bool:
    return (state.get("lot") or {}).get("status") == "open"


def close_due_at(state: dict) -> datetime:
    # In-flight bids are accepted for grace_ms after ends_at, so the close waits for that.
    return state["lot"]["ends_at"] + timedelta(milliseconds=state["settings"]["grace_ms"])


def due_at(state: dict) -> datetime | None:
    """When the clock next has something to do for this auction (None: nothing)."""
    if state["status"] != RUNNING:
        return None
    if state.get("nominating"):
        return state["nominating"]["ends_at"]
    if lot_is_open(state) and state.get("proxies_due_at"):
        return min(close_due_at(state), state["proxies_due_at"])
    return close_due_at(state) if lot_is_open(state) else state.get("next_lot_at")


def public_bid(bid: dict) -> dict:
    """A bid as everyone sees it. Whether a hidden maximum placed it is nobody else's business."""
    return {"seq": bid["seq"], "lot_id": bid["lot_id"], "team_key": bid["team_key"], "user_id": bid["user_id"],
            "amount": bid["amount"], "at": bid["at"].isoformat()}


def public_lot(lot: dict | None, s: AuctionSettings) -> dict | None:
    if not lot:
        return None
    return {
        "id": lot["id"], "team_key": lot["team_key"], "round": lot["round"], "status": lot["status"],
        "price": lot.get("price"), "leader_id": lot.get("leader_id"),
        "ends_at": lot["ends_at"].isoformat() if lot.get("ends_at") else None,
        "min_next_bid": minimum_next_bid(lot.get("price"), s), "bid_count": lot.get("bid_count", 0),
    }
