"""The live auction engine: start, bid, close, next lot, commissioner controls.

Plain module (no Flask). Every operation reads the auction document, decides
with the pure rules in auction_app.domain.auction_rules, and applies its change
with ONE conditional update filtered on the auction's sequence number
(repositories.auctions.transition). If another change got there first, it
re-reads and decides again. So, on any number of processes:

* two bids can never both win the same price, and every accepted bid gets the
  next sequence number;
* a close and a late bid cannot both succeed; a lot is settled (status, the
  winner's spend and roster count) in the same single write that closes it;
* duplicate or stale timer triggers find nothing to do.

Operations return `Effects`: realtime events to emit and timers to schedule.
The caller (a Socket.IO handler, a route, a Celery task) carries them out, so
this module stays free of Flask and Celery.
"""
from __future__ import annotations

import secrets
import threading
import weakref
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from pymongo.database import Database

from auction_app.domain.auction_rules import (
    UNSET,
    AuctionSettings,
    BidderView,
    LotView,
    ProxyBid,
    Rejection,
    check_bid,
    extended_ends_at,
    max_bid,
    minimum_next_bid,
    next_lot_index,
    reject,
    resolve_proxy_bids,
    status_after_no_sale,
)
from auction_app.repositories import audit, auctions, bids, leagues, proxies
from auction_app.services.errors import ServiceError

MAX_ATTEMPTS = 60  # re-reads after losing a race; each loss means someone else progressed
RECENT_BIDS = 30   # bids kept in the auction document for the live feed
RECENT_KEYS = 20   # idempotency keys kept per member, to answer retries without a query
SETTINGS_FIELDS = tuple(AuctionSettings.__dataclass_fields__)


class EngineError(ServiceError):
    """A refused auction action (start, commissioner controls)."""


@dataclass
class Effects:
    events: list[tuple[str, str, dict]] = field(default_factory=list)  # (auction_id, event, payload)
    close_checks: list[tuple[str, datetime]] = field(default_factory=list)
    open_checks: list[tuple[str, datetime]] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)

    def extend(self, other: "Effects") -> "Effects":
        self.events += other.events
        self.close_checks += other.close_checks
        self.open_checks += other.open_checks
        self.completed += other.completed
        return self


@dataclass
class BidResult:
    accepted: bool
    code: str | None = None
    message: str | None = None
    bid: dict | None = None
    duplicate: bool = False
    effects: Effects = field(default_factory=Effects)

    def to_ack(self) -> dict:
        if self.accepted:
            return {"ok": True, "duplicate": self.duplicate, "bid": public_bid(self.bid)}
        return {"ok": False, "error": {"code": self.code, "message": self.message}}


# --------------------------------------------------------------------------- views

def settings_of(auction: dict) -> AuctionSettings:
    return AuctionSettings(**auction["settings"])


def bidder_view(auction: dict, user_id: str) -> BidderView:
    member = auction["members"][user_id]
    s = auction["settings"]
    return BidderView(user_id, s["budget"] - member["spent"], s["roster_slots"] - member["filled"])


def lot_view(auction: dict) -> LotView:
    lot = auction.get("lot")
    if not lot:
        return LotView("pending", None, None, None)
    status = lot["status"]
    if status == "open" and auction["status"] == auctions.PAUSED:
        status = "paused"
    return LotView(status, lot.get("price"), lot.get("leader_id"), lot.get("ends_at"))


def public_bid(bid: dict | None) -> dict | None:
    if bid is None:
        return None
    return {
        "seq": bid["seq"], "lot_id": bid["lot_id"], "team_key": bid["team_key"], "user_id": bid["user_id"],
        "amount": bid["amount"], "at": bid["at"].isoformat(), "source": bid["source"],
    }


def room(auction_id: str) -> str:
    return f"auction:{auction_id}"


# --------------------------------------------------------------------------- start

def start(db: Database, league: dict, actor_id: str, now: datetime) -> tuple[dict, Effects]:
    """Start the league's auction (commissioner only, at least 2 members)."""
    if league["commissioner_id"] != actor_id:
        raise EngineError("not_commissioner", "Only the commissioner can start the auction.", 403)
    if league["status"] != leagues.SETUP:
        raise EngineError("already_started", "The auction has already started.", 409)
    if league["member_count"] < 2:
        raise EngineError("not_enough_members",
                          "At least 2 members are needed to start the auction. Share the invite link first.", 409)
    settings = {k: league["settings"][k] for k in SETTINGS_FIELDS}
    auction = {
        "_id": "A" + league["_id"],
        "league_id": league["_id"],
        "kind": league.get("kind", "real"),
        "commissioner_id": league["commissioner_id"],
        "status": auctions.RUNNING,
        "seq": 0,
        "settings": settings,
        "lot_order": list(league["lot_order"]),
        "member_order": list(league["member_ids"]),
        "members": {uid: {"name": m["name"], "spent": 0, "filled": 0} for uid, m in league["members"].items()},
        "lots": {team: {"status": "pending", "round": 0} for team in league["lot_order"]},
        "lot": None,
        "next_lot_at": now,
        "recent_bids": [],
        "outbox": [],
        "started_at": now,
        "started_by": actor_id,
    }
    auctions.insert(db, auction)  # a second start finds the existing one (unique league_id)
    if not leagues.mark_started(db, league["_id"], auction["_id"], now):
        raise EngineError("already_started", "The auction has already started.", 409)
    audit.record(db, league["_id"], actor_id, "auction_started", now)
    effects = open_next_lot(db, auction["_id"], now)
    return auctions.get(db, auction["_id"]), effects


# --------------------------------------------------------------------------- bids

class _PriceFloors:
    """The highest price this process has seen for each open lot.

    Within one lot the price never goes down, and a lot id is never reused, so a
    bid below a price seen earlier is certainly too low now: it can be refused
    without reading the database. Only used for a bid's first attempt (a retry
    may be a bid that was already accepted, which must be answered as such).
    """

    def __init__(self):
        self._floors: dict[str, tuple[str, int, int]] = {}

    def note(self, auction: dict) -> None:
        lot = auction.get("lot")
        if lot and lot.get("price") is not None:
            self.raise_to(auction["_id"], lot["id"], lot["price"], auction["settings"]["min_increment"])

    def raise_to(self, auction_id: str, lot_id: str, price: int, increment: int) -> None:
        current = self._floors.get(auction_id)
        if current is None or current[0] != lot_id or current[1] < price:
            self._floors[auction_id] = (lot_id, price, increment)

    def refusal(self, auction_id: str, lot_id: str | None, amount) -> Rejection | None:
        floor = self._floors.get(auction_id)
        if floor is None or floor[0] != lot_id or not isinstance(amount, int) or isinstance(amount, bool):
            return None
        minimum = floor[1] + floor[2]
        return reject("below_minimum", minimum=minimum) if 1 <= amount < minimum else None


price_floors = _PriceFloors()


def place_bid(db: Database, auction_id: str, user_id: str, amount, idempotency_key: str, now: datetime, *,
              lot_id: str | None = None, seen_price=UNSET, source: str = "manual",
              first_attempt: bool = False) -> BidResult:
    """Accept or refuse one bid. A retried idempotency key returns the first outcome.

    `first_attempt`: the client says this key has never been sent before, so a bid
    that is certainly too low may be refused from the price floor without a read.
    """
    # Bids on one auction take turns inside this process: the second of two equal
    # bids then sees the first one's price at once instead of racing it to the
    # database. Across processes the conditional write still decides.
    with _auction_lock(auction_id):
        result = _place_bid(db, auction_id, user_id, amount, idempotency_key, now, lot_id=lot_id,
                            seen_price=seen_price, source=source, first_attempt=first_attempt)
    if result.accepted and not result.duplicate and source == "manual":
        result.effects.extend(run_proxies(db, auction_id, now, league_id=result.bid["league_id"],
                                          team_key=result.bid["team_key"]))
    return result


def _place_bid(db, auction_id, user_id, amount, idempotency_key, now, *, lot_id, seen_price, source,
               first_attempt) -> BidResult:
    if first_attempt:
        quick = price_floors.refusal(auction_id, lot_id, amount)
        if quick is not None:
            return _refused(quick)
    for _ in range(MAX_ATTEMPTS):
        auction = auctions.get(db, auction_id)
        if auction is None:
            return _refused(Rejection("auction_not_found", "We couldn't find that auction."))
        price_floors.note(auction)
        earlier = _earlier_outcome(db, auction, user_id, idempotency_key)
        if earlier is not None:
            return earlier
        refusal = _refusal(auction, user_id, amount, now, lot_id, seen_price)
        if refusal is not None:
            return _refused(refusal)
        result = _try_accept(db, auction, user_id, amount, idempotency_key, now, source)
        if result is not None:
            return result
    return _refused(Rejection("busy", "So many bids are arriving that yours couldn't be placed. Please try again."))


_locks_guard = threading.Lock()
_locks: "weakref.WeakValueDictionary[str, threading.Lock]" = weakref.WeakValueDictionary()


def _auction_lock(auction_id: str) -> threading.Lock:
    with _locks_guard:
        lock = _locks.get(auction_id)
        if lock is None:
            lock = _locks[auction_id] = threading.Lock()
        return lock


def _earlier_outcome(db, auction, user_id, key) -> BidResult | None:
    """The bid this key already placed, if any.

    Each member's last RECENT_KEYS keys live in the auction document (read anyway),
    so the common case, a client retrying within seconds, costs no extra query.
    """
    member = auction["members"].get(user_id)
    if member is None or key not in (member.get("recent_keys") or []):
        return None
    pending = next((r["doc"] for r in auction.get("outbox") or []
                    if r["collection"] == "bids" and r["doc"]["user_id"] == user_id
                    and r["doc"]["idempotency_key"] == key), None)
    found = pending or bids.by_idempotency_key(db, auction["_id"], user_id, key)
    return BidResult(True, bid=found, duplicate=True) if found else None


def _refusal(auction, user_id, amount, now, lot_id, seen_price) -> Rejection | None:
    if user_id not in auction["members"]:
        return reject("not_member")
    if auction["status"] == auctions.COMPLETED:
        return reject("auction_not_running")
    lot = auction.get("lot")
    if lot_id is not None and (lot is None or lot["id"] != lot_id):
        return _closed_lot_refusal(auction, lot_id)
    return check_bid(amount=amount, bidder=bidder_view(auction, user_id), lot=lot_view(auction),
                     s=settings_of(auction), now=now, seen_price=seen_price)


def _closed_lot_refusal(auction, lot_id) -> Rejection:
    team_key = lot_id.split(":", 1)[0]
    closed_at = (auction["lots"].get(team_key) or {}).get("closed_at")
    if closed_at is not None:
        return reject("too_late", closed_at=closed_at.strftime("%H:%M:%S"))
    return reject("lot_not_open")


def _try_accept(db, auction, user_id, amount, key, now, source) -> BidResult | None:
    lot = auction["lot"]
    s = settings_of(auction)
    seq = auction["seq"] + 1
    ends_at = extended_ends_at(lot["ends_at"], now, s)
    bid = {
        "_id": f"{auction['_id']}:{seq}", "auction_id": auction["_id"], "league_id": auction["league_id"],
        "lot_id": lot["id"], "team_key": lot["team_key"], "round": lot["round"], "user_id": user_id,
        "amount": amount, "seq": seq, "at": now, "idempotency_key": key, "source": source,
        "kind": "bid_placed",
    }
    recent = (auction.get("recent_bids") or [])[-(RECENT_BIDS - 1):] + [public_bid(bid)]
    auctions.flush_outbox(db, auction)  # the previous change's record must be stored before we replace it
    keys = (auction["members"][user_id].get("recent_keys") or [])[-(RECENT_KEYS - 1):] + [key]
    changed = auctions.transition(
        db, auction,
        set_={"lot.price": amount, "lot.leader_id": user_id, "lot.ends_at": ends_at,
              f"members.{user_id}.recent_keys": keys,
              "recent_bids": recent, "outbox": [{"collection": "bids", "doc": bid}]},
        inc={"lot.bid_count": 1},
        where={"status": auctions.RUNNING, "lot.status": "open", "lot.id": lot["id"]},
    )
    if not changed:
        return None
    auctions.flush_outbox(db, {"outbox": [{"collection": "bids", "doc": bid}]})
    price_floors.raise_to(auction["_id"], lot["id"], amount, s.min_increment)
    effects = Effects()
    effects.events.append((auction["_id"], "bid_accepted", {
        "auction_id": auction["_id"], "seq": seq, "bid": public_bid(bid),
        "bidder_name": auction["members"][user_id]["name"], "ends_at": ends_at.isoformat(),
        "min_next_bid": amount + s.min_increment,
    }))
    if ends_at != lot["ends_at"]:
        effects.close_checks.append((auction["_id"], _close_due_at(ends_at, s)))
    return BidResult(True, bid=bid, effects=effects)


def _refused(rejection: Rejection) -> BidResult:
    return BidResult(False, code=rejection.code, message=rejection.message)


def run_proxies(db: Database, auction_id: str, now: datetime, *, league_id: str | None = None,
                team_key: str | None = None) -> Effects:
    """Place the bids members' hidden maximums call for, until nothing changes.

    With the league and team of the lot just bid on, a team nobody has a maximum
    for costs one small query instead of reading the auction (the common case).
    """
    effects = Effects()
    if league_id and team_key and not proxies.for_team(db, league_id, team_key):
        return effects
    for _ in range(MAX_ATTEMPTS):
        auction = auctions.get(db, auction_id)
        if auction is None or auction["status"] != auctions.RUNNING or not auction.get("lot"):
            return effects
        lot = auction["lot"]
        if lot["status"] != "open":
            return effects
        stored = proxies.for_team(db, auction["league_id"], lot["team_key"])
        if not stored:
            return effects
        wanted = resolve_proxy_bids(
            lot=lot_view(auction),
            proxies=[ProxyBid(p["user_id"], p["max_amount"], p["created_at"]) for p in stored
                     if p["user_id"] in auction["members"]],
            bidders={uid: bidder_view(auction, uid) for uid in auction["members"]},
            s=settings_of(auction),
        )
        if not wanted:
            return effects
        first = wanted[0]
        key = f"proxy:{lot['id']}:{auction['seq']}"
        result = place_bid(db, auction_id, first.user_id, first.amount, key, now,
                           lot_id=lot["id"], source="proxy")
        effects.extend(result.effects)
        if not result.accepted and result.code in ("too_late", "lot_not_open", "lot_paused", "auction_not_running"):
            return effects
    return effects


# --------------------------------------------------------------------------- clock

def _close_due_at(ends_at: datetime, s: AuctionSettings) -> datetime:
    # In-flight bids are accepted for grace_ms after ends_at, so the close waits for that.
    return ends_at + timedelta(milliseconds=s.grace_ms)


def close_lot_if_due(db: Database, auction_id: str, now: datetime) -> Effects:
    """Close and settle the open lot if its clock has run out. Safe to call any time."""
    for _ in range(MAX_ATTEMPTS):
        auction = auctions.get(db, auction_id)
        if auction is None:
            return Effects()
        auctions.flush_outbox(db, auction)
        lot = auction.get("lot")
        if auction["status"] != auctions.RUNNING or not lot or lot["status"] != "open":
            return Effects()
        s = settings_of(auction)
        if now < _close_due_at(lot["ends_at"], s):
            return Effects()
        effects = _close(db, auction, now, sell=True, kind="lot_closed")
        if effects is not None:
            return effects
    return Effects()


def _close(db, auction, now, *, sell: bool, kind: str, actor_id: str | None = None) -> Effects | None:
    """Close the lot on the block in one write: sold (with settlement) or no sale."""
    lot = auction["lot"]
    s = settings_of(auction)
    team = lot["team_key"]
    seq = auction["seq"] + 1
    winner = lot.get("leader_id") if sell else None
    price = lot.get("price") if winner else None
    status = "sold" if winner else status_after_no_sale(lot["round"])
    closed_at = min(now, lot["ends_at"]) if kind == "lot_closed" else now
    running = auction["status"] == auctions.RUNNING
    next_at = now + timedelta(seconds=s.pause_between_lots_seconds)
    record = _log_record(auction, seq, kind, now, team=team, user_id=winner, amount=price, actor_id=actor_id)
    set_ = {
        "lot.status": status, "lot.closed_at": closed_at,
        f"lots.{team}": {"status": status, "round": lot["round"], "price": price, "winner_id": winner,
                         "sold_seq": seq if winner else None, "closed_at": closed_at},
        "next_lot_at": next_at, "outbox": [record],
    }
    inc = {f"members.{winner}.spent": price, f"members.{winner}.filled": 1} if winner else {}
    if not auctions.transition(db, auction, set_=set_, inc=inc, where={"lot.status": "open", "lot.id": lot["id"]}):
        return None
    auctions.flush_outbox(db, {"outbox": [record]})
    effects = Effects()
    payload = {"auction_id": auction["_id"], "seq": seq, "lot_id": lot["id"], "team_key": team,
               "status": status, "winner_id": winner, "price": price,
               "winner_name": auction["members"][winner]["name"] if winner else None,
               "ends_at": lot["ends_at"].isoformat(), "closed_at": closed_at.isoformat(),
               "clock_close": kind == "lot_closed"}
    effects.events.append((auction["_id"], "lot_sold" if winner else "lot_unsold", payload))
    if running:
        effects.open_checks.append((auction["_id"], next_at))
    return effects


def open_next_lot(db: Database, auction_id: str, now: datetime) -> Effects:
    """Open the next lot once the pause after the last one is over, or complete the auction."""
    for _ in range(MAX_ATTEMPTS):
        auction = auctions.get(db, auction_id)
        if auction is None or auction["status"] != auctions.RUNNING:
            return Effects()
        auctions.flush_outbox(db, auction)
        if (auction.get("lot") or {}).get("status") == "open":
            return Effects()
        if auction.get("next_lot_at") and now < auction["next_lot_at"]:
            return Effects()
        effects = _open_or_complete(db, auction, now)
        if effects is not None:
            return effects.extend(run_proxies(db, auction_id, now)) if effects.close_checks else effects
    return Effects()


def _open_or_complete(db, auction, now) -> Effects | None:
    s = settings_of(auction)
    statuses = {team: lot["status"] for team, lot in auction["lots"].items()}
    anyone_has_room = any(m["filled"] < s.roster_slots for m in auction["members"].values())
    nxt = next_lot_index(auction["lot_order"], statuses, anyone_has_room=anyone_has_room)
    if nxt is None:
        reason = "rosters_full" if not anyone_has_room else "no_lots_left"
        return _complete(db, auction, now, reason)
    seq = auction["seq"] + 1
    ends_at = now + timedelta(seconds=s.lot_seconds)
    # The id names the team, the round and the opening, so it is never reused (an undone
    # sale's team comes up again under a new id).
    lot = {"id": f"{nxt.team}:r{nxt.round}:{seq}", "team_key": nxt.team, "round": nxt.round, "status": "open",
           "price": None, "leader_id": None, "opened_at": now, "ends_at": ends_at, "bid_count": 0}
    record = _log_record(auction, seq, "lot_opened", now, team=nxt.team)
    changed = auctions.transition(
        db, auction,
        set_={"lot": lot, f"lots.{nxt.team}.status": "open", f"lots.{nxt.team}.round": nxt.round,
              "outbox": [record]},
        where={"status": auctions.RUNNING},
    )
    if not changed:
        return None
    auctions.flush_outbox(db, {"outbox": [record]})
    effects = Effects()
    effects.events.append((auction["_id"], "lot_opened", {
        "auction_id": auction["_id"], "seq": seq, "lot": public_lot(lot, s)}))
    effects.close_checks.append((auction["_id"], _close_due_at(ends_at, s)))
    return effects


def _complete(db, auction, now, reason: str, actor_id: str | None = None) -> Effects | None:
    seq = auction["seq"] + 1
    record = _log_record(auction, seq, "auction_completed", now, actor_id=actor_id, reason=reason)
    if not auctions.transition(db, auction, set_={"status": auctions.COMPLETED, "completed_at": now,
                                                  "completed_reason": reason, "outbox": [record]}):
        return None
    auctions.flush_outbox(db, {"outbox": [record]})
    leagues.mark_completed(db, auction["league_id"], now)
    audit.record(db, auction["league_id"], actor_id or "system", "auction_completed", now, reason=reason)
    effects = Effects(completed=[auction["_id"]])
    effects.events.append((auction["_id"], "auction_completed",
                           {"auction_id": auction["_id"], "seq": seq, "reason": reason}))
    return effects


def sweep(db: Database, now: datetime) -> Effects:
    """The safety net run by beat every second: close overdue lots, open due ones."""
    effects = Effects()
    for auction in auctions.live(db):
        lot = auction.get("lot") or {}
        s = settings_of(auction)
        if lot.get("status") == "open":
            if now >= _close_due_at(lot["ends_at"], s):
                effects.extend(close_lot_if_due(db, auction["_id"], now))
        elif auction.get("next_lot_at") is None or now >= auction["next_lot_at"]:
            effects.extend(open_next_lot(db, auction["_id"], now))
    return effects


# --------------------------------------------------------------------------- commissioner

def _commissioner_auction(db, auction_id: str, actor_id: str) -> dict:
    auction = auctions.get(db, auction_id)
    if auction is None or (actor_id not in auction["members"] and actor_id != auction["commissioner_id"]):
        raise EngineError("not_found", "We couldn't find that auction.", 404)
    if auction["commissioner_id"] != actor_id:
        raise EngineError("not_commissioner", "Only the commissioner can do that.", 403)
    auctions.flush_outbox(db, auction)
    return auction


def _control(db, auction_id, actor_id, now, action: str, attempt) -> Effects:
    """Run a commissioner action with the usual re-read on a lost race, and audit it."""
    for _ in range(MAX_ATTEMPTS):
        auction = _commissioner_auction(db, auction_id, actor_id)
        effects = attempt(auction)
        if effects is not None:
            audit.record(db, auction["league_id"], actor_id, action, now)
            return effects
    raise EngineError("busy", "The auction is very busy; please try again.", 409)


def pause(db: Database, auction_id: str, actor_id: str, now: datetime) -> Effects:
    def attempt(auction):
        if auction["status"] != auctions.RUNNING:
            raise EngineError("not_running", "The auction isn't running, so it can't be paused.", 409)
        lot = auction.get("lot") or {}
        remaining_ms = None
        if lot.get("status") == "open":
            remaining_ms = max(0, int((lot["ends_at"] - now).total_seconds() * 1000))
        seq = auction["seq"] + 1
        kind = "lot_paused" if remaining_ms is not None else "auction_paused"
        record = _log_record(auction, seq, kind, now, team=lot.get("team_key") if remaining_ms is not None else None,
                             actor_id=actor_id)
        if not auctions.transition(db, auction, set_={"status": auctions.PAUSED, "paused_at": now,
                                                      "lot_remaining_ms": remaining_ms, "outbox": [record]},
                                   where={"status": auctions.RUNNING}):
            return None
        auctions.flush_outbox(db, {"outbox": [record]})
        return _single(auction, "auction_paused", seq, remaining_ms=remaining_ms)
    return _control(db, auction_id, actor_id, now, "pause", attempt)


def resume(db: Database, auction_id: str, actor_id: str, now: datetime) -> Effects:
    def attempt(auction):
        if auction["status"] != auctions.PAUSED:
            raise EngineError("not_paused", "The auction isn't paused.", 409)
        s = settings_of(auction)
        lot = auction.get("lot") or {}
        seq = auction["seq"] + 1
        set_ = {"status": auctions.RUNNING, "paused_at": None, "lot_remaining_ms": None}
        effects = Effects()
        if lot.get("status") == "open":
            # The clock restarts with the time that was left, and at least the bid clock.
            remaining = timedelta(milliseconds=auction.get("lot_remaining_ms") or 0)
            ends_at = now + max(remaining, timedelta(seconds=min(s.bid_clock_seconds, 5)))
            set_["lot.ends_at"] = ends_at
            effects.close_checks.append((auction["_id"], _close_due_at(ends_at, s)))
            kind = "lot_resumed"
        else:
            ends_at = None
            set_["next_lot_at"] = now + timedelta(seconds=s.pause_between_lots_seconds)
            effects.open_checks.append((auction["_id"], set_["next_lot_at"]))
            kind = "auction_resumed"
        record = _log_record(auction, seq, kind, now, team=lot.get("team_key") if ends_at else None,
                             actor_id=actor_id)
        set_["outbox"] = [record]
        if not auctions.transition(db, auction, set_=set_, where={"status": auctions.PAUSED}):
            return None
        auctions.flush_outbox(db, {"outbox": [record]})
        return effects.extend(_single(auction, "auction_resumed", seq,
                                      ends_at=ends_at.isoformat() if ends_at else None))
    return _control(db, auction_id, actor_id, now, "resume", attempt)


def skip(db: Database, auction_id: str, actor_id: str, now: datetime) -> Effects:
    """Close the lot on the block with no sale; it is offered again in the second round."""
    def attempt(auction):
        if auction["status"] == auctions.COMPLETED or (auction.get("lot") or {}).get("status") != "open":
            raise EngineError("no_open_lot", "There's no team on the block to skip.", 409)
        return _close(db, auction, now, sell=False, kind="lot_skipped", actor_id=actor_id)
    return _control(db, auction_id, actor_id, now, "skip", attempt)


def undo_last_sale(db: Database, auction_id: str, actor_id: str, now: datetime) -> Effects:
    """Refund the most recent sale; the team goes back into the pool and comes up next."""
    def attempt(auction):
        if auction["status"] == auctions.COMPLETED:
            raise EngineError("auction_completed", "The auction is over, so sales can't be undone.", 409)
        sold = [(lot["sold_seq"], team, lot) for team, lot in auction["lots"].items()
                if lot["status"] == "sold" and lot.get("sold_seq")]
        if not sold:
            raise EngineError("nothing_to_undo", "There's no sale to undo yet.", 409)
        _, team, lot = max(sold)
        seq = auction["seq"] + 1
        winner, price = lot["winner_id"], lot["price"]
        record = _log_record(auction, seq, "sale_undone", now, team=team, user_id=winner, amount=price,
                             actor_id=actor_id)
        changed = auctions.transition(
            db, auction,
            set_={f"lots.{team}": {"status": "pending", "round": 0}, "outbox": [record]},
            inc={f"members.{winner}.spent": -price, f"members.{winner}.filled": -1},
            where={f"lots.{team}.status": "sold", f"lots.{team}.sold_seq": lot["sold_seq"]},
        )
        if not changed:
            return None
        auctions.flush_outbox(db, {"outbox": [record]})
        return _single(auction, "sale_undone", seq, team_key=team, user_id=winner, price=price)
    return _control(db, auction_id, actor_id, now, "undo_last_sale", attempt)


def end_early(db: Database, auction_id: str, actor_id: str, now: datetime) -> Effects:
    """End the auction now. The lot on the block, if any, closes without a sale."""
    def attempt(auction):
        if auction["status"] == auctions.COMPLETED:
            raise EngineError("auction_completed", "The auction is already over.", 409)
        if (auction.get("lot") or {}).get("status") == "open":
            closed = _close(db, auction, now, sell=False, kind="lot_skipped", actor_id=actor_id)
            if closed is None:
                return None
            auction = auctions.get(db, auction["_id"])
            return closed.extend(_complete(db, auction, now, "ended_by_commissioner", actor_id) or Effects())
        return _complete(db, auction, now, "ended_by_commissioner", actor_id)
    return _control(db, auction_id, actor_id, now, "end_early", attempt)


def _single(auction, event: str, seq: int, **payload) -> Effects:
    effects = Effects()
    effects.events.append((auction["_id"], event, {"auction_id": auction["_id"], "seq": seq, **payload}))
    return effects


def _log_record(auction, seq, kind, at, **fields) -> dict:
    doc = {"_id": f"{auction['_id']}:{seq}", "auction_id": auction["_id"], "seq": seq, "kind": kind, "at": at,
           **{k: v for k, v in fields.items() if v is not None}}
    return {"collection": "auction_log", "doc": doc}


# --------------------------------------------------------------------------- reading

def public_lot(lot: dict | None, s: AuctionSettings) -> dict | None:
    if not lot:
        return None
    return {
        "id": lot["id"], "team_key": lot["team_key"], "round": lot["round"], "status": lot["status"],
        "price": lot.get("price"), "leader_id": lot.get("leader_id"),
        "ends_at": lot["ends_at"].isoformat() if lot.get("ends_at") else None,
        "min_next_bid": minimum_next_bid(lot.get("price"), s), "bid_count": lot.get("bid_count", 0),
    }


def snapshot(db: Database, auction: dict, viewer_id: str | None, now: datetime) -> dict:
    """Everything a client needs to draw the room, as of `seq`. Proxies only the viewer's own."""
    s = settings_of(auction)
    rosters: dict[str, list] = {uid: [] for uid in auction["members"]}
    for team, lot in auction["lots"].items():
        if lot["status"] == "sold":
            rosters[lot["winner_id"]].append({"team_key": team, "price": lot["price"]})
    members = []
    for uid in auction["member_order"]:
        view = bidder_view(auction, uid)
        members.append({"user_id": uid, "name": auction["members"][uid]["name"], "budget_left": view.budget_left,
                        "slots_left": view.slots_left, "roster": rosters[uid]})
    lot = dict(public_lot(auction.get("lot"), s) or {}) or None
    if lot and auction["status"] == auctions.PAUSED and lot["status"] == "open":
        lot["status"] = "paused"
        lot["remaining_ms"] = auction.get("lot_remaining_ms")
    me = None
    if viewer_id in auction["members"]:
        view = bidder_view(auction, viewer_id)
        me = {"user_id": viewer_id, "budget_left": view.budget_left, "slots_left": view.slots_left,
              "max_bid": max_bid(view.budget_left, view.slots_left, s.min_bid),
              "is_commissioner": viewer_id == auction["commissioner_id"],
              "proxies": proxies.for_user(db, auction["league_id"], viewer_id)}
    return {
        "auction_id": auction["_id"], "league_id": auction["league_id"], "status": auction["status"],
        "seq": auction["seq"], "server_time": now.isoformat(), "settings": asdict(s),
        "lot": lot, "members": members,
        "lots": [{"team_key": t, **{k: v for k, v in auction["lots"][t].items()
                                   if k in ("status", "round", "price", "winner_id")}}
                 for t in auction["lot_order"]],
        "recent_bids": auction.get("recent_bids") or [],
        "next_lot_at": auction["next_lot_at"].isoformat() if auction.get("next_lot_at") else None,
        "completed_reason": auction.get("completed_reason"),
        "me": me,
    }


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(12)
