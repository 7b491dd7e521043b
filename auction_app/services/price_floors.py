"""The highest price this process has seen for each open lot.

Within one lot the price never goes down, and a lot id is never reused, so a
bid below a price seen earlier is certainly too low now: it can be refused
without reading the database. Only used for a bid's first attempt (a retry
may be a bid that was already accepted, which must be answered as such).
"""
from __future__ import annotations

from auction_app.domain.auction_rules import Rejection, reject

# auction id -> (open lot id, highest price seen, the auction's minimum increment)
_floors: dict[str, tuple[str, int, int]] = {}


def note(auction: dict) -> None:
    lot = auction.get("lot")
    if lot and lot.get("price") is not None:
        current = _floors.get(auction["_id"])
        if current is None or current[0] != lot["id"] or current[1] < lot["price"]:
            _floors[auction["_id"]] = (lot["id"], lot["price"], auction["settings"]["min_increment"])


def refusal(auction_id: str, lot_id: str | None, amount) -> Rejection | None:
    floor = _floors.get(auction_id)
    if floor is None or floor[0] != lot_id or not isinstance(amount, int) or isinstance(amount, bool):
        return None
    minimum = floor[1] + floor[2]
    return reject("below_minimum", minimum=minimum) if 1 <= amount < minimum else None
