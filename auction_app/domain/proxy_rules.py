"""Hidden maximums ("proxy bids"): what the engine bids for members who set one.

Second-price rule, as on eBay: the highest effective maximum wins at one increment
above the runner-up's. Pure functions over plain values; the state machine calls
`resolve_proxy_bids` after every change that could wake a maximum up.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterable

from auction_app.domain.auction_rules import AuctionSettings, BidderView, LotView, _is_whole_number, max_bid, \
    minimum_next_bid

__all__ = ["ProxyBid", "PlacedBid", "resolve_proxy_bids"]


@dataclass(frozen=True)
class ProxyBid:
    """A member's hidden maximum for a team; the engine bids for them up to it."""
    user_id: str
    max_amount: int
    created_at: datetime
    team_key: str | None = None


@dataclass(frozen=True)
class PlacedBid:
    user_id: str
    amount: int


@dataclass(frozen=True)
class _Contender:
    user_id: str
    cap: int
    created_at: datetime


# A standing (already placed) bid predates every proxy that hasn't beaten it yet.
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


def _rank(c: _Contender) -> tuple[int, datetime, str]:
    # Highest cap first; equal caps: the earlier proxy; then user id, only so that the
    # result never depends on list order.
    return (-c.cap, c.created_at, c.user_id)


def _newest_proxy_per_user(proxies: Iterable[ProxyBid]) -> dict[str, ProxyBid]:
    # Setting a new maximum replaces the old one (it may be lower: a change of mind).
    newest: dict[str, ProxyBid] = {}
    for p in proxies:
        old = newest.get(p.user_id)
        if old is None or (p.created_at, p.max_amount) > (old.created_at, old.max_amount):
            newest[p.user_id] = p
    return newest


def _effective_cap(p: ProxyBid, bidder: BidderView | None, s: AuctionSettings) -> int:
    """What the engine may bid for this proxy: its maximum, but never past max_bid."""
    if bidder is None or bidder.slots_left <= 0 or not _is_whole_number(p.max_amount):
        return 0
    return min(p.max_amount, max_bid(bidder.budget_left, bidder.slots_left, s.min_bid))


def _leader_contender(lot: LotView, newest: dict[str, ProxyBid],
                      bidders: dict[str, BidderView], s: AuctionSettings) -> _Contender | None:
    # A manual leader holds at the current price; their own proxy may reach higher.
    if lot.leader_id is None or lot.price is None:
        return None
    standing = _Contender(lot.leader_id, lot.price, _EARLIEST)
    proxy = newest.get(lot.leader_id)
    if proxy is None:
        return standing
    cap = _effective_cap(proxy, bidders.get(lot.leader_id), s)
    if cap <= lot.price:
        return standing
    return _Contender(lot.leader_id, cap, proxy.created_at)


def resolve_proxy_bids(*, lot: LotView, proxies: list[ProxyBid],
                       bidders: dict[str, BidderView], s: AuctionSettings) -> list[PlacedBid]:
    """The bids the engine places for absent members, in order (empty if nothing changes).

    Second-price rule: the highest effective cap (min of the proxy's maximum and the
    owner's max_bid) wins at one increment above the second-highest cap -- or at the
    minimum next bid when unopposed -- never above its own cap. Equal caps: the earlier
    proxy wins, at that cap. The current leader counts with a cap of the current price
    (or their own proxy's cap, if higher) and never bids against themselves.

    Every returned bid passes `check_bid` against the state left by the previous ones:
    the runner-up bids up to its cap first (if that still leaves the winner a legal bid),
    then the winner bids the final price. When the current leader wins but no challenger
    bid would leave them room for a full increment within their cap, nothing changes:
    the leader keeps the lot at the current price (bids can't be answered with less than
    an increment, and the leader's hidden maximum beats the challenger's).
    """
    if lot.status != "open":
        return []
    floor = minimum_next_bid(lot.price, s)
    newest = _newest_proxy_per_user(proxies)
    challengers = [
        _Contender(p.user_id, cap, p.created_at)
        for p in newest.values()
        if p.user_id != lot.leader_id
        and (cap := _effective_cap(p, bidders.get(p.user_id), s)) >= floor
    ]
    if not challengers:
        return []  # nobody can beat the price; a leader never raises their own bid
    leader = _leader_contender(lot, newest, bidders, s)
    ranked = sorted(challengers + ([leader] if leader else []), key=_rank)
    winner = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    final = _final_price(winner, runner_up, floor, s)

    bids = []
    if runner_up is not None and runner_up.user_id != lot.leader_id:
        # Push the runner-up as far as it would go, leaving the winner one increment.
        runner_up_bid = min(runner_up.cap, final - s.min_increment)
        if runner_up_bid >= floor:
            bids.append(PlacedBid(runner_up.user_id, runner_up_bid))
    if winner.user_id == lot.leader_id and not bids:
        return []
    bids.append(PlacedBid(winner.user_id, final))
    return bids


def _final_price(winner: _Contender, runner_up: _Contender | None, floor: int,
                 s: AuctionSettings) -> int:
    target = floor if runner_up is None else max(runner_up.cap + s.min_increment, floor)
    return min(winner.cap, target)
