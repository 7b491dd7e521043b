"""The auction state machine: every change to a live auction, as one pure function.

    decide(state, command, now, proxies) -> Decision

`state` is the auction document (plain dicts, lists, ints, strings and aware UTC
datetimes). The decision holds the whole new state, the log records it created
(bids and other auction events, each with the next sequence number), the
realtime events to send, and the follow-ups that must happen after the write
(league status, audit records, the results email). The engine stores the new
state, records and follow-ups in ONE conditional write and completes the
follow-ups idempotently afterwards, so this module is the only place where
auction behaviour is defined. No Flask, no database, no clock of its own.

Commands: StartAuction (builds the first state), PlaceBid, Tick (the clock: close
an overdue lot, open the next, complete), Pause, Resume, Skip, UndoLastSale,
EndEarly, ProxiesChanged. A refused command returns a Rejection and no state.
"""
from __future__ import annotations

import copy
from datetime import datetime, timedelta

from auction_app.domain.auction_commands import (  # noqa: F401  (the machine's API)
    Decision, EndEarly, Pause, PlaceBid, ProxiesChanged, Refused, Resume, Skip, Tick, UndoLastSale,
)
from auction_app.domain.auction_rules import (
    AuctionSettings,
    ProxyBid,
    Rejection,
    check_bid,
    extended_ends_at,
    next_lot_index,
    reject,
    resolve_proxy_bids,
    status_after_no_sale,
)
from auction_app.domain.auction_state import (  # noqa: F401  (the machine's API)
    COMPLETED, PAUSED, RUNNING, SETTINGS_FIELDS, bidder_view, close_due_at, due_at, lot_is_open, lot_view,
    public_bid, public_lot, settings_of,
)

RECENT_BIDS = 30            # bids kept in the state for the live feed
MIN_RESUME_SECONDS = 5      # a resumed lot gets at least this long (capped by the bid clock)


# --------------------------------------------------------------------------- start

def start(league: dict, actor_id: str, now: datetime, proxies: list[ProxyBid]) -> Decision:
    """The auction's first state, built from the league document as it was flipped to running."""
    auction_id = "A" + league["_id"]
    state = {
        "_id": auction_id, "league_id": league["_id"], "kind": league.get("kind", "real"),
        "commissioner_id": league["commissioner_id"], "status": RUNNING, "seq": 0,
        "settings": {k: league["settings"][k] for k in SETTINGS_FIELDS},
        "lot_order": list(league["lot_order"]), "member_order": list(league["member_ids"]),
        "team_names": dict(league.get("team_names") or {}),
        "members": {uid: {"name": m["name"], "spent": 0, "filled": 0, "keys": {}}
                    for uid, m in league["members"].items()},
        "lots": {team: {"status": "pending", "round": 0} for team in league["lot_order"]},
        "lot": None, "next_lot_at": now, "recent_bids": [], "proxy_version": 0,
        "started_at": now, "started_by": actor_id,
    }
    d = _Change(state, now, proxies)
    d.log("auction_started", actor_id=actor_id)
    d.followups.append(_audit(state, actor_id, "auction_started", now))
    d.event("auction_started", {})
    d.open_next_or_complete()
    return d.decision()


# --------------------------------------------------------------------------- decide

def decide(state: dict, command, now: datetime, proxies: list[ProxyBid] = ()) -> Decision:
    """The one transition function. `proxies`: every live hidden maximum of the league."""
    handler = _HANDLERS[type(command)]
    change = _Change(state, now, list(proxies))
    try:
        handler(change, command)
    except Refused as refused:
        return Decision(rejection=refused.rejection, status_code=refused.status_code)
    return change.decision()


class _Change:
    """A working copy of the state plus what the change produced so far."""

    def __init__(self, state: dict, now: datetime, proxies: list[ProxyBid]):
        self.state = copy.deepcopy(state)
        self.now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # what the database keeps
        self.proxies = proxies
        self.records: list[dict] = []
        self.events: list[tuple[str, dict]] = []
        self.followups: list[dict] = []
        self.bid: dict | None = None
        self.duplicate_of: int | None = None
        self.touched = False

    @property
    def s(self) -> AuctionSettings:
        return settings_of(self.state)

    def decision(self) -> Decision:
        if not self.touched:
            return Decision(bid=self.bid, duplicate_of=self.duplicate_of)
        self.state["version"] = self.state.get("version", 0) + 1  # what the conditional write checks
        due = due_at(self.state)
        if due is None:
            self.state.pop("due_at", None)
        else:
            self.state["due_at"] = due
        return Decision(self.state, records=self.records, events=self.events, followups=self.followups,
                        bid=self.bid)

    def next_seq(self) -> int:
        self.touched = True
        self.state["seq"] += 1
        return self.state["seq"]

    def log(self, kind: str, **fields) -> int:
        seq = self.next_seq()
        doc = {"_id": f"{self.state['_id']}:{seq}", "auction_id": self.state["_id"], "seq": seq, "kind": kind,
               "at": self.now, **{k: v for k, v in fields.items() if v is not None}}
        self.records.append({"collection": "auction_log", "doc": doc})
        return seq

    def event(self, name: str, payload: dict) -> None:
        self.events.append((name, {"auction_id": self.state["_id"], "seq": self.state["seq"], **payload}))

    # ---- bids

    def accept_bid(self, user_id: str, amount: int, key: str, source: str = "manual") -> dict:
        state, lot, s = self.state, self.state["lot"], self.s
        seq = self.next_seq()
        ends_at = extended_ends_at(lot["ends_at"], self.now, s)
        bid = {"_id": f"{state['_id']}:{seq}", "auction_id": state["_id"], "league_id": state["league_id"],
               "lot_id": lot["id"], "team_key": lot["team_key"], "round": lot["round"], "user_id": user_id,
               "amount": amount, "seq": seq, "at": self.now, "idempotency_key": key, "source": source,
               "kind": "bid_placed"}
        self.records.append({"collection": "bids", "doc": bid})
        extended_ms = int((ends_at - lot["ends_at"]).total_seconds() * 1000)
        lot.update(price=amount, leader_id=user_id, ends_at=ends_at, bid_count=lot.get("bid_count", 0) + 1)
        if source == "manual":
            state["members"][user_id].setdefault("keys", {})[key] = [seq, amount, lot["id"]]
        # Stored dates are datetimes (the date codec relies on it); views format them.
        state["recent_bids"] = (state.get("recent_bids") or [])[-(RECENT_BIDS - 1):] + [
            dict(public_bid(bid), at=bid["at"])]
        self.event("bid_accepted", {"bid": public_bid(bid), "bidder_name": state["members"][user_id]["name"],
                                    "ends_at": ends_at.isoformat(), "extended_ms": extended_ms,
                                    "min_next_bid": amount + s.min_increment})
        return bid

    def run_proxies(self) -> None:
        """Place the bids hidden maximums call for on the open lot, until nothing changes."""
        if self.state["status"] != RUNNING or not lot_is_open(self.state) or not self.proxies:
            return
        for _ in range(2 * len(self.state["members"]) + 2):
            team = self.state["lot"]["team_key"]
            wanted = resolve_proxy_bids(
                lot=lot_view(self.state),
                proxies=[p for p in self.proxies if p.team_key == team and p.user_id in self.state["members"]],
                bidders={uid: bidder_view(self.state, uid) for uid in self.state["members"]},
                s=self.s)
            if not wanted:
                return
            for placed in wanted:
                if check_bid(amount=placed.amount, bidder=bidder_view(self.state, placed.user_id),
                             lot=lot_view(self.state), s=self.s, now=self.now) is not None:
                    return
                self.accept_bid(placed.user_id, placed.amount, f"proxy:{self.state['seq'] + 1}", "proxy")

    # ---- lots

    def close_lot(self, *, sell: bool, kind: str, actor_id: str | None = None) -> None:
        """Close the lot on the block: sold (with settlement) or no sale."""
        state, lot = self.state, self.state["lot"]
        team = lot["team_key"]
        winner = lot.get("leader_id") if sell else None
        price = lot.get("price") if winner else None
        status = "sold" if winner else status_after_no_sale(lot["round"])
        closed_at = min(self.now, lot["ends_at"]) if kind == "lot_closed" else self.now
        seq = self.log(kind, team=team, user_id=winner, amount=price, actor_id=actor_id,
                       cancelled_price=None if sell else lot.get("price"), ends_at=lot["ends_at"])
        lot.update(status=status, closed_at=closed_at)
        state["lots"][team] = {"status": status, "round": lot["round"], "price": price, "winner_id": winner,
                               "sold_seq": seq if winner else None, "closed_at": closed_at}
        if winner:
            state["members"][winner]["spent"] += price
            state["members"][winner]["filled"] += 1
        state["next_lot_at"] = self.now + timedelta(seconds=self.s.pause_between_lots_seconds)
        payload = {"lot_id": lot["id"], "team_key": team, "status": status, "winner_id": winner, "price": price,
                   "winner_name": state["members"][winner]["name"] if winner else None,
                   "ends_at": lot["ends_at"].isoformat(), "closed_at": closed_at.isoformat(),
                   "clock_close": kind == "lot_closed", "next_lot_at": state["next_lot_at"].isoformat()}
        if kind == "lot_skipped":
            self.event("lot_skipped", {**payload, "had_bids": lot.get("leader_id") is not None,
                                       "cancelled_price": lot.get("price"),
                                       "cancelled_leader_id": lot.get("leader_id")})
        else:
            self.event("lot_sold" if winner else "lot_unsold", payload)

    def open_next_or_complete(self) -> None:
        state, s = self.state, self.s
        statuses = {team: lot["status"] for team, lot in state["lots"].items()}
        anyone_has_room = any(m["filled"] < s.roster_slots for m in state["members"].values())
        nxt = next_lot_index(state["lot_order"], statuses, anyone_has_room=anyone_has_room)
        if nxt is None:
            self.complete("rosters_full" if not anyone_has_room else "no_lots_left")
            return
        seq = self.log("lot_opened", team=nxt.team, round=nxt.round)
        ends_at = self.now + timedelta(seconds=s.lot_seconds)
        # The id names the team, the round and the opening, so it is never reused (an undone
        # sale's team comes up again under a new id).
        lot = {"id": f"{nxt.team}:r{nxt.round}:{seq}", "team_key": nxt.team, "round": nxt.round, "status": "open",
               "price": None, "leader_id": None, "opened_at": self.now, "ends_at": ends_at, "bid_count": 0}
        state["lot"] = lot
        state["lots"][nxt.team] = dict(state["lots"][nxt.team], status="open", round=nxt.round)
        self.event("lot_opened", {"lot": public_lot(lot, s), "position": _position(state)})
        self.run_proxies()

    def complete(self, reason: str, actor_id: str | None = None) -> None:
        state = self.state
        self.log("auction_completed", actor_id=actor_id, reason=reason)
        state.update(status=COMPLETED, completed_at=self.now, completed_reason=reason)
        state.pop("paused_at", None)
        state.pop("lot_remaining_ms", None)
        self.followups += [
            {"op": "league_completed", "league_id": state["league_id"]},
            _audit(state, actor_id or "system", "auction_completed", self.now, reason=reason),
        ]
        if state.get("kind") != "practice":
            self.followups.append({"op": "task", "task": "send_results", "id": f"results:{state['_id']}"})
        self.event("auction_completed", {"reason": reason})


def _position(state: dict) -> dict:
    """'Team 4 of 10': how far the auction has come."""
    done = sum(1 for lot in state["lots"].values() if lot["status"] in ("sold", "passed"))
    return {"number": done + 1, "of": len(state["lot_order"])}


def _audit(state: dict, actor_id: str, action: str, at: datetime, **details) -> dict:
    return {"op": "audit", "doc": {"_id": f"{state['_id']}:{state['seq']}:audit", "league_id": state["league_id"],
                                   "actor_id": actor_id, "action": action, "at": at, "details": details}}


# --------------------------------------------------------------------------- handlers

def _place_bid(c: _Change, cmd: PlaceBid) -> None:
    state = c.state
    member = state["members"].get(cmd.user_id)
    if member is None:
        raise _refuse(reject("not_member"))
    earlier = (member.get("keys") or {}).get(cmd.key)
    if earlier is not None:
        seq, amount, lot_id = earlier
        if amount != cmd.amount or (cmd.lot_id is not None and lot_id != cmd.lot_id):
            raise _refuse(reject("key_reused"), 422)
        c.duplicate_of = seq
        return
    if state["status"] == COMPLETED:
        raise _refuse(reject("auction_not_running"))
    if cmd.lot_id is None:
        amount_ok = isinstance(cmd.amount, int) and not isinstance(cmd.amount, bool) and cmd.amount >= 1
        raise _refuse(reject("lot_required") if amount_ok else reject("invalid_amount"), 400)
    lot = state.get("lot")
    if lot is None or lot["id"] != cmd.lot_id:
        raise _refuse(_refusal_for_other_lot(state, cmd.lot_id))
    refusal = check_bid(amount=cmd.amount, bidder=bidder_view(state, cmd.user_id), lot=lot_view(state),
                        s=c.s, now=c.now, seen_price=cmd.seen_price)
    if refusal is not None:
        raise _refuse(_too_late(state, lot["team_key"]) if refusal.code == "too_late" else refusal)
    c.bid = c.accept_bid(cmd.user_id, cmd.amount, cmd.key)
    c.run_proxies()


def _refusal_for_other_lot(state: dict, lot_id: str) -> Rejection:
    team = lot_id.split(":", 1)[0]
    if (state["lots"].get(team) or {}).get("closed_at") is None:
        return reject("lot_not_open")
    return _too_late(state, team)


def _too_late(state: dict, team: str) -> Rejection:
    """'Too late for CSK — it sold to dave for 31.' (for the lot closed, or closing, on that team)."""
    lot = state.get("lot") or {}
    if lot.get("team_key") == team and lot.get("status") == "open":
        winner, price = lot.get("leader_id"), lot.get("price")  # overdue: it sells to the leader at close
    else:
        past = state["lots"].get(team) or {}
        winner, price = past.get("winner_id"), past.get("price")
    name = (state.get("team_names") or {}).get(team, team)
    if winner:
        return Rejection("too_late", f"Too late for {name} — it sold to {state['members'][winner]['name']} for {price}.")
    return Rejection("too_late", f"Too late for {name} — its bidding closed with no sale.")


def _tick(c: _Change, cmd: Tick) -> None:
    state = c.state
    if state["status"] != RUNNING:
        return
    if lot_is_open(state):
        if c.now < close_due_at(state):
            return
        c.close_lot(sell=True, kind="lot_closed")
    if state.get("next_lot_at") is None or c.now >= state["next_lot_at"]:
        c.open_next_or_complete()


def _require_commissioner(state: dict, actor_id: str) -> None:
    if state["commissioner_id"] != actor_id:
        raise Refused("not_commissioner", "Only the commissioner can do that.", 403)


def _pause(c: _Change, cmd: Pause) -> None:
    state = c.state
    _require_commissioner(state, cmd.actor_id)
    if state["status"] != RUNNING:
        raise Refused("not_running", "The auction isn't running, so it can't be paused.")
    remaining_ms = None
    if lot_is_open(state):
        if c.now >= state["lot"]["ends_at"]:
            # Its clock ran out: the lot closes as it would have, it never pauses.
            c.close_lot(sell=True, kind="lot_closed")
        else:
            remaining_ms = int((state["lot"]["ends_at"] - c.now).total_seconds() * 1000)
    c.log("lot_paused" if remaining_ms is not None else "auction_paused", actor_id=cmd.actor_id,
          team=state["lot"]["team_key"] if remaining_ms is not None else None)
    state.update(status=PAUSED, paused_at=c.now, lot_remaining_ms=remaining_ms)
    c.followups.append(_audit(state, cmd.actor_id, "pause", c.now))
    c.event("auction_paused", {"remaining_ms": remaining_ms})


def _resume(c: _Change, cmd: Resume) -> None:
    state, s = c.state, c.s
    _require_commissioner(state, cmd.actor_id)
    if state["status"] != PAUSED:
        raise Refused("not_paused", "The auction isn't paused.")
    ends_at = None
    if lot_is_open(state):
        remaining = timedelta(milliseconds=state.get("lot_remaining_ms") or 0)
        ends_at = c.now + max(remaining, timedelta(seconds=min(s.bid_clock_seconds, MIN_RESUME_SECONDS)))
        state["lot"]["ends_at"] = ends_at
    else:
        state["next_lot_at"] = c.now + timedelta(seconds=s.pause_between_lots_seconds)
    c.log("lot_resumed" if ends_at else "auction_resumed", actor_id=cmd.actor_id,
          team=state["lot"]["team_key"] if ends_at else None)
    state.update(status=RUNNING)
    state.pop("paused_at", None)
    state.pop("lot_remaining_ms", None)
    c.followups.append(_audit(state, cmd.actor_id, "resume", c.now))
    c.event("auction_resumed", {"ends_at": ends_at.isoformat() if ends_at else None,
                                "next_lot_at": None if ends_at else state["next_lot_at"].isoformat()})
    c.run_proxies()


def _skip(c: _Change, cmd: Skip) -> None:
    state = c.state
    _require_commissioner(state, cmd.actor_id)
    if state["status"] == COMPLETED or not lot_is_open(state):
        raise Refused("no_open_lot", "There's no team on the block to skip.")
    c.close_lot(sell=False, kind="lot_skipped", actor_id=cmd.actor_id)
    c.followups.append(_audit(state, cmd.actor_id, "skip", c.now))


def _undo(c: _Change, cmd: UndoLastSale) -> None:
    state = c.state
    _require_commissioner(state, cmd.actor_id)
    if state["status"] == COMPLETED:
        raise Refused("auction_completed", "The auction is over, so sales can't be undone.")
    sold = [(lot["sold_seq"], team) for team, lot in state["lots"].items()
            if lot["status"] == "sold" and lot.get("sold_seq")]
    if not sold:
        raise Refused("nothing_to_undo", "There's no sale to undo yet.")
    _, team = max(sold)
    if cmd.team_key is not None and cmd.team_key != team:
        name = (state.get("team_names") or {}).get(cmd.team_key, cmd.team_key)
        raise Refused("already_undone", f"The sale of {name} isn't the last sale any more (it was already undone).")
    lot = state["lots"][team]
    winner, price = lot["winner_id"], lot["price"]
    c.log("sale_undone", team=team, user_id=winner, amount=price, actor_id=cmd.actor_id)
    state["lots"][team] = {"status": "pending", "round": 0, "undone_price": price, "undone_winner_id": winner}
    state["members"][winner]["spent"] -= price
    state["members"][winner]["filled"] -= 1
    c.followups.append(_audit(state, cmd.actor_id, "undo_last_sale", c.now, team=team, price=price))
    c.event("sale_undone", {"team_key": team, "user_id": winner, "price": price})


def _end_early(c: _Change, cmd: EndEarly) -> None:
    state = c.state
    _require_commissioner(state, cmd.actor_id)
    if state["status"] == COMPLETED:
        raise Refused("auction_completed", "The auction is already over.")
    if lot_is_open(state):
        c.close_lot(sell=False, kind="lot_skipped", actor_id=cmd.actor_id)
    c.complete("ended_by_commissioner", cmd.actor_id)


def _proxies_changed(c: _Change, cmd: ProxiesChanged) -> None:
    if c.state["status"] == COMPLETED:
        return
    c.state["proxy_version"] = c.state.get("proxy_version", 0) + 1
    c.touched = True  # the new version tells every process to reload the maximums
    c.run_proxies()


def _refuse(rejection: Rejection, status_code: int = 409) -> Refused:
    return Refused(rejection.code, rejection.message, status_code)


_HANDLERS = {PlaceBid: _place_bid, Tick: _tick, Pause: _pause, Resume: _resume, Skip: _skip,
             UndoLastSale: _undo, EndEarly: _end_early, ProxiesChanged: _proxies_changed}
